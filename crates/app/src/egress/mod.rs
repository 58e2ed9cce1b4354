//! The one way out (EGR-1, EGR-2): every outbound call that carries personal data goes
//! through [`Egress`], which knows the declared sub-processors
//! ([`steward_domain::processors`]) and the hosts the operator configured for each. A call
//! to any other host, to an undeclared processor, or carrying a field the processor may not
//! receive is refused before a byte leaves, logged, and recorded; a permitted call is
//! recorded (tenant, processor, purpose, field names, outcome) before it is made.

use crate::{App, AppError};
use std::collections::HashMap;
use std::sync::Arc;
use steward_domain::ids::TenantId;
use steward_domain::processors::{self, Processor};
use steward_store::TenantTx;
use steward_store::egress::{self as rows, EgressRow};
use uuid::Uuid;

/// Why a call did not go out.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    #[error("'{0}' is not a declared sub-processor")]
    UndeclaredProcessor(String),
    #[error("{host} is not a host declared for {processor}")]
    UndeclaredHost { processor: &'static str, host: String },
    #[error("{processor} may not receive the field {field}")]
    UndeclaredField { processor: &'static str, field: String },
    #[error("the address has no host")]
    NoHost,
    #[error("{processor} could not be reached: {message}")]
    Transport { processor: &'static str, message: String },
    #[error(transparent)]
    App(#[from] AppError),
}

/// One outbound call's who and why; values never appear here, only field names.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub tenant: TenantId,
    pub processor: &'a str,
    pub purpose: &'a str,
    pub fields: &'a [&'a str],
}

/// The outbound client and the hosts each processor may be reached at.
#[derive(Clone)]
pub struct Egress {
    http: reqwest::Client,
    hosts: Arc<HashMap<&'static str, Vec<String>>>,
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress").field("hosts", &self.hosts).finish()
    }
}

/// The host (and port, when not the scheme's default) of a URL, lower-cased.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let authority = authority.trim_end_matches(":443").trim_end_matches(":80");
    (!authority.is_empty()).then(|| authority.to_ascii_lowercase())
}

impl Egress {
    /// `endpoints` maps a processor id to the base URLs the operator configured for it
    /// (e.g. `twilio` → `https://api.twilio.com`). A processor with none cannot be called.
    pub fn new(endpoints: &[(&str, &str)]) -> Result<Self, EgressError> {
        let mut hosts: HashMap<&'static str, Vec<String>> = HashMap::new();
        for (id, url) in endpoints {
            let processor = processors::find(id).ok_or_else(|| EgressError::UndeclaredProcessor(id.to_string()))?;
            let host = host_of(url).ok_or(EgressError::NoHost)?;
            hosts.entry(processor.id).or_default().push(host);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| EgressError::Transport { processor: "tls", message: e.to_string() })?
            .with_root_certificates(rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() })
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(std::time::Duration::from_secs(20))
            .connect_timeout(std::time::Duration::from_secs(5))
            // Only what is asked for goes out: never follow a redirect to another host.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| EgressError::Transport { processor: "http", message: e.to_string() })?;
        Ok(Egress { http, hosts: Arc::new(hosts) })
    }

    /// The declared processor a call may go to, or why it may not.
    pub fn permit(&self, processor: &str, host: &str, fields: &[&str]) -> Result<&'static Processor, EgressError> {
        let declared = processors::find(processor).ok_or_else(|| EgressError::UndeclaredProcessor(processor.into()))?;
        let host = host.to_ascii_lowercase();
        if !self.hosts.get(declared.id).is_some_and(|hosts| hosts.contains(&host)) {
            return Err(EgressError::UndeclaredHost { processor: declared.id, host });
        }
        if let Some(field) = declared.undeclared_field(fields) {
            return Err(EgressError::UndeclaredField { processor: declared.id, field: field.to_string() });
        }
        Ok(declared)
    }

    /// The hosts a processor may be reached at.
    pub fn hosts_of(&self, processor: &str) -> &[String] {
        self.hosts.get(processor).map_or(&[], Vec::as_slice)
    }

    /// The client itself, for calls that carry no personal data by construction (spans to
    /// the operator's own OTLP collector); everything else goes through [`send`].
    pub fn plain_client(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// Starts a request; send it with [`send`].
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http.request(method, url)
    }
}

/// Checks and records a call that is not made over HTTP (mail), before it is made. Returns
/// the record's id so the outcome can be written afterwards.
pub async fn admit(app: &App, call: Call<'_>, host: &str) -> Result<Uuid, EgressError> {
    admit_to(app, call, host).await.map(|(id, _)| id)
}

/// [`admit`], also naming the declared processor the call was let through to.
async fn admit_to(app: &App, call: Call<'_>, host: &str) -> Result<(Uuid, &'static Processor), EgressError> {
    match app.egress.permit(call.processor, host, call.fields) {
        Ok(processor) => {
            let id = Uuid::now_v7();
            write(app, call, id, host, "sent".into()).await?;
            Ok((id, processor))
        }
        Err(refusal) => {
            refuse(app, call, host, &refusal).await;
            Err(refusal)
        }
    }
}

/// Sends a request to a declared processor, recording it; refuses anything else.
pub async fn send(
    app: &App,
    call: Call<'_>,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, EgressError> {
    let request = request.build().map_err(|e| EgressError::Transport { processor: "http", message: e.to_string() })?;
    let host = host_of(request.url().as_str()).ok_or(EgressError::NoHost)?;
    let (id, processor) = admit_to(app, call, &host).await?;
    let processor = processor.id;
    match app.egress.http.execute(request).await {
        Ok(response) => {
            finish(app, call.tenant, id, &format!("answered {}", response.status().as_u16())).await;
            Ok(response)
        }
        Err(error) => {
            // reqwest's message can carry the URL and so a path with identifiers; keep the kind only.
            let message = if error.is_timeout() { "timed out" } else { "connection failed" };
            finish(app, call.tenant, id, message).await;
            Err(EgressError::Transport { processor, message: message.into() })
        }
    }
}

/// A call checked and recorded inside the caller's transaction, so a batch of calls (the
/// outbox worker's) costs one write before and one after; send it with [`execute`] and
/// write its outcome with [`steward_store::egress::set_outcome`].
#[derive(Debug, Clone)]
pub struct Admitted {
    pub id: Uuid,
    pub processor: &'static str,
    host: String,
}

/// Checks a call and records it (outcome `sending`) in `tx`; a refusal is recorded there too.
pub async fn admit_in(app: &App, tx: &mut TenantTx, call: Call<'_>, url: &str) -> Result<Admitted, EgressError> {
    let host = host_of(url).ok_or(EgressError::NoHost)?;
    let (outcome, result) = match app.egress.permit(call.processor, &host, call.fields) {
        Ok(processor) => ("sending".to_string(), Ok(processor)),
        Err(refusal) => {
            tracing::warn!(processor = call.processor, host, reason = %refusal, "outbound call refused");
            (format!("refused: {refusal}"), Err(refusal))
        }
    };
    let id = Uuid::now_v7();
    rows::insert(tx, &record(app, call, id, &host, outcome)).await.map_err(AppError::from)?;
    result.map(|processor| Admitted { id, processor: processor.id, host })
}

/// Sends a request admitted with [`admit_in`]; refuses it if it goes anywhere else.
/// Answers the response, or the transport's failure, with the outcome to record.
pub async fn execute(
    app: &App,
    admitted: &Admitted,
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::Response, String), (EgressError, String)> {
    let processor = admitted.processor;
    let request = request.build().map_err(|e| {
        (EgressError::Transport { processor, message: e.to_string() }, "not sent: the request was not valid".into())
    })?;
    if host_of(request.url().as_str()).as_deref() != Some(admitted.host.as_str()) {
        let host = host_of(request.url().as_str()).unwrap_or_default();
        return Err((EgressError::UndeclaredHost { processor, host }, "refused: not the admitted host".into()));
    }
    match app.egress.http.execute(request).await {
        Ok(response) => {
            let outcome = format!("answered {}", response.status().as_u16());
            Ok((response, outcome))
        }
        Err(error) => {
            let message = if error.is_timeout() { "timed out" } else { "connection failed" };
            Err((EgressError::Transport { processor, message: message.into() }, message.into()))
        }
    }
}

/// Writes a call's outcome on its record; a failure here is logged, never fatal to the call.
pub async fn finish(app: &App, tenant: TenantId, id: Uuid, outcome: &str) {
    let outcome = outcome.to_owned();
    let result = app
        .store
        .write(tenant, move |mut tx| async move {
            rows::set_outcome(&mut tx, id, &outcome).await?;
            tx.commit().await?;
            Ok::<(), AppError>(())
        })
        .await;
    if let Err(error) = result {
        tracing::warn!(%error, "an egress record's outcome could not be written");
    }
}

async fn refuse(app: &App, call: Call<'_>, host: &str, refusal: &EgressError) {
    tracing::warn!(processor = call.processor, host, reason = %refusal, "outbound call refused");
    if let Err(error) = write(app, call, Uuid::now_v7(), host, format!("refused: {refusal}")).await {
        tracing::warn!(%error, "a refused call could not be recorded");
    }
}

fn record(app: &App, call: Call<'_>, id: Uuid, host: &str, outcome: String) -> EgressRow {
    EgressRow {
        id,
        at: app.now(),
        processor: call.processor.to_string(),
        purpose: call.purpose.to_string(),
        fields: call.fields.join(","),
        host: host.to_string(),
        outcome,
    }
}

async fn write(app: &App, call: Call<'_>, id: Uuid, host: &str, outcome: String) -> Result<(), AppError> {
    let (writer_app, row) = (app.clone(), record(app, call, id, host, outcome));
    app.store
        .write(call.tenant, move |mut tx| async move {
            // Stamped when the record is written, not when it was built.
            rows::insert(&mut tx, &EgressRow { at: writer_app.now(), ..row }).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_urls_without_credentials_or_default_ports() {
        assert_eq!(host_of("https://api.twilio.com/2010-04-01/Accounts"), Some("api.twilio.com".into()));
        assert_eq!(host_of("http://127.0.0.1:4010/v1"), Some("127.0.0.1:4010".into()));
        assert_eq!(host_of("smtps://user:pass@Mail.Example.in:443"), Some("mail.example.in".into()));
        assert_eq!(host_of("https://"), None);
    }

    #[test]
    fn only_declared_processors_hosts_and_fields_pass() {
        // promise: EGR-1
        let egress = Egress::new(&[("twilio", "https://api.twilio.com")]).unwrap();
        assert!(egress.permit("twilio", "api.twilio.com", &["customer.phone"]).is_ok());
        assert!(matches!(
            egress.permit("twilio", "tracker.example.com", &["customer.phone"]),
            Err(EgressError::UndeclaredHost { .. })
        ));
        assert!(matches!(
            egress.permit("twilio", "api.twilio.com", &["customer.date_of_birth"]),
            Err(EgressError::UndeclaredField { .. })
        ));
        assert!(matches!(egress.permit("adnetwork", "ads.example.com", &[]), Err(EgressError::UndeclaredProcessor(_))));
        // Declared but not configured: refused too.
        assert!(matches!(egress.permit("razorpay", "api.razorpay.com", &[]), Err(EgressError::UndeclaredHost { .. })));
        assert!(Egress::new(&[("adnetwork", "https://ads.example.com")]).is_err());
    }
}

/// An egress record as pages and the API show it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "EgressRecord")]
pub struct EgressView {
    pub id: Uuid,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    pub processor: String,
    pub purpose: String,
    pub fields: Vec<String>,
    pub host: String,
    pub outcome: String,
}

/// The tenant's latest outbound calls (`audit.read`).
pub async fn recent(app: &App, who: &crate::access::principal::Principal) -> Result<Vec<EgressView>, AppError> {
    who.require(steward_domain::permissions::Permission::AuditRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let rows = rows::recent(&mut tx, 200).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|row| EgressView {
            id: row.id,
            at: crate::clock::format_instant(row.at),
            processor: row.processor,
            purpose: row.purpose,
            fields: row.fields.split(',').filter(|f| !f.is_empty()).map(str::to_string).collect(),
            host: row.host,
            outcome: row.outcome,
        })
        .collect())
}
