//! The WhatsApp Business Cloud API: approved template messages, sent with
//! `POST {base}/{version}/{phone-number-id}/messages` and a bearer token, a JSON body of
//! `messaging_product: "whatsapp"`, the recipient and the template (name, language, body
//! parameters as text). The answer carries the message's `wamid`; a refusal carries Meta's
//! error object (`code`, e.g. 132001 for a template that does not exist in that language,
//! 131026 for a number that cannot receive it, 130429 when sending too fast).

use super::{Accepted, SendError};
use crate::App;
use crate::egress::{self, Call};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use steward_domain::ids::TenantId;

/// The Graph API version Steward speaks.
pub const API_VERSION: &str = "v21.0";

/// A business's (or the operator's) WhatsApp sender.
pub struct WhatsApp {
    pub base_url: String,
    pub phone_number_id: String,
    pub access_token: SecretString,
}

impl std::fmt::Debug for WhatsApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsApp")
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"****")
            .finish()
    }
}

/// An approved template and the values of its body's `{{1}}`, `{{2}}`, … in order.
#[derive(Debug, Clone, Copy)]
pub struct Template<'a> {
    pub name: &'a str,
    /// `en`, `hi`, `en_US`, … as the template was approved.
    pub language: &'a str,
    pub body: &'a [&'a str],
}

/// The request body the Cloud API expects for a template message.
pub fn template_body(to: &str, template: Template<'_>) -> serde_json::Value {
    let parameters: Vec<serde_json::Value> =
        template.body.iter().map(|text| json!({ "type": "text", "text": text })).collect();
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        // The Cloud API takes the number with its country code, without the plus.
        "to": to.trim_start_matches('+'),
        "type": "template",
        "template": {
            "name": template.name,
            "language": { "code": template.language },
            "components": [{ "type": "body", "parameters": parameters }],
        },
    })
}

#[derive(serde::Deserialize)]
struct Sent {
    messages: Vec<SentMessage>,
}

#[derive(serde::Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(serde::Deserialize)]
struct Failure {
    error: FailureDetail,
}

#[derive(serde::Deserialize)]
struct FailureDetail {
    code: Option<i64>,
    message: Option<String>,
}

/// Why a call was made and what it carries, for the egress record.
#[derive(Debug, Clone, Copy)]
pub struct Purpose<'a> {
    pub tenant: TenantId,
    pub purpose: &'a str,
    pub fields: &'a [&'a str],
}

impl WhatsApp {
    /// The request that sends a template message, not yet sent.
    pub fn request(
        &self,
        app: &App,
        to: &str,
        template: Template<'_>,
        idempotency_key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let url = format!("{}/{API_VERSION}/{}/messages", self.base_url.trim_end_matches('/'), self.phone_number_id);
        let mut request = app
            .egress
            .request(reqwest::Method::POST, &url)
            .bearer_auth(self.access_token.expose_secret())
            .json(&template_body(to, template));
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        request
    }

    /// The Cloud API's answer, read.
    pub fn read_answer(status: u16, body: &[u8]) -> Result<Accepted, SendError> {
        if status == 200 {
            let sent: Sent = serde_json::from_slice(body).map_err(|_| SendError::Unexpected { status })?;
            let id = sent.messages.into_iter().next().ok_or(SendError::Unexpected { status })?.id;
            return Ok(Accepted { provider_id: id });
        }
        match serde_json::from_slice::<Failure>(body) {
            Ok(failure) => Err(SendError::Refused {
                status,
                code: failure.error.code.unwrap_or(0),
                message: failure.error.message.unwrap_or_default(),
            }),
            Err(_) => Err(SendError::Unexpected { status }),
        }
    }

    /// Sends one template message through egress, recorded on its own.
    pub async fn send_template(
        &self,
        app: &App,
        to: &str,
        template: Template<'_>,
        why: Purpose<'_>,
    ) -> Result<Accepted, SendError> {
        let request = self.request(app, to, template, None);
        let call = Call { tenant: why.tenant, processor: "whatsapp", purpose: why.purpose, fields: why.fields };
        let response = egress::send(app, call, request).await?;
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        Self::read_answer(status, &body)
    }
}
