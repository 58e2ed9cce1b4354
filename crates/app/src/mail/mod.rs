//! Mail to members: verification, invitations, password reset.
//!
//! With an SMTP server configured (`smtp://host:port`, `smtp://host?tls=required` for
//! STARTTLS, `smtps://user:pass@host`), mail goes there. With none, mail is not sent, and
//! the log says which kind was dropped. Only when asked (`steward demo`, or the
//! `mail_links_on_console` setting) does Steward print each mail's kind and link on its
//! console instead: the links (password reset, an export's download) are bearer secrets
//! that a shared terminal or a collected stdout would otherwise hand to anyone. Mail
//! never decides whether a request succeeds: it is sent after the change commits, and a
//! failure is logged (without the address) for the operator.

pub mod templates;

use crate::{App, egress};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use steward_domain::ids::TenantId;
use steward_domain::processors;

/// One message to one member.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// What kind of mail this is, for the console ("invitation"); never personal.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The link the message exists to deliver; the console mailer prints it.
    pub link: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the SMTP address is not valid: {0}")]
    BadUrl(String),
    #[error("the sender address '{0}' is not valid")]
    BadSender(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the mail was not let out: {0}")]
    Refused(String),
    #[error("the SMTP server refused or could not be reached: {0}")]
    Send(String),
    #[error("no mail server is configured (smtp_url)")]
    NotConfigured,
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: Arc<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
        host: String,
    },
    /// Prints each mail's kind and link on stdout (demo, or when asked for).
    Console,
    /// No relay and no console: mail is dropped and the log names its kind.
    Unconfigured,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::Console => f.write_str("Mailer::Console"),
            Mailer::Unconfigured => f.write_str("Mailer::Unconfigured"),
        }
    }
}

impl Mailer {
    /// An SMTP mailer for `url`; without one, the console mailer when `links_on_console`
    /// asks for it, otherwise none.
    pub fn new(url: Option<&str>, from: &str, links_on_console: bool) -> Result<Self, MailError> {
        let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
            return Ok(if links_on_console { Mailer::Console } else { Mailer::Unconfigured });
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::BadUrl(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from: Mailbox = from.parse().map_err(|_| MailError::BadSender(from.to_string()))?;
        let host = crate::egress::host_of(url).ok_or_else(|| MailError::BadUrl("it names no host".into()))?;
        Ok(Mailer::Smtp { transport: Arc::new(transport), from, host })
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.send_as(mail, None).await
    }

    /// Sends with a fixed `Message-ID` (the outbox's idempotency key), so a message sent
    /// again after a crash is the same message to every server that handles it.
    pub async fn send_as(&self, mail: &OutgoingMail, message_id: Option<&str>) -> Result<(), MailError> {
        match self {
            Mailer::Console => {
                // Only the kind and the link: the subject names people.
                println!("\n  mail ({}): {}\n", mail.kind, mail.link);
                Ok(())
            }
            Mailer::Unconfigured => Err(MailError::NotConfigured),
            Mailer::Smtp { transport, from, .. } => {
                let to: Mailbox =
                    mail.to.parse().map_err(|_| MailError::Build("recipient address is not valid".into()))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&mail.subject)
                    .message_id(message_id.map(|id| format!("<{id}@steward>")))
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.clone())
                    .map_err(|e| MailError::Build(e.to_string()))?;
                transport.send(message).await.map(|_| ()).map_err(|e| MailError::Send(e.to_string()))
            }
        }
    }

    /// The relay's host, when mail leaves Steward.
    pub fn relay_host(&self) -> Option<&str> {
        match self {
            Mailer::Smtp { host, .. } => Some(host),
            Mailer::Console | Mailer::Unconfigured => None,
        }
    }
}

/// Mail to a member of `tenant`, sent without making the caller wait. Mail that leaves for
/// the relay goes through egress (checked and recorded, EGR-1); a failure is logged with
/// the kind of mail only.
pub fn send_in_background(app: &App, tenant: TenantId, mail: OutgoingMail) {
    send_carrying(app, tenant, mail, &["member.email", "member.name", "business.name", "link"]);
}

/// Mail for `tenant` (to a customer: a privacy request's code, an export link), declaring
/// the fields it carries for the egress record; sent without making the caller wait.
pub fn send_carrying(app: &App, tenant: TenantId, mail: OutgoingMail, fields: &'static [&'static str]) {
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(error) = send_now(&app, tenant, &mail, fields).await {
            tracing::warn!(kind = mail.kind, %error, "mail was not sent");
        }
    });
}

/// Sends mail for `tenant` now: through the relay, checked and recorded by egress (EGR-1),
/// or to the console when there is no relay.
pub async fn send_now(app: &App, tenant: TenantId, mail: &OutgoingMail, fields: &[&str]) -> Result<(), MailError> {
    let record = match app.mailer.relay_host() {
        Some(host) => {
            let call = egress::Call { tenant, processor: processors::SMTP_RELAY.id, purpose: mail.kind, fields };
            Some(egress::admit(app, call, host).await.map_err(|e| MailError::Refused(e.to_string()))?)
        }
        None => None,
    };
    let outcome = app.mailer.send(mail).await;
    if let Some(id) = record {
        egress::finish(app, tenant, id, if outcome.is_ok() { "accepted by the relay" } else { "not sent" }).await;
    }
    outcome
}
