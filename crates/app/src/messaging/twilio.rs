//! Twilio's Programmable Messaging API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
//! with HTTP basic authentication (account SID and auth token) and a form body of `To`,
//! `From` and `Body`; `201 Created` with the message's `sid`, or an error object with
//! Twilio's `code`, `message` and `status` (e.g. 21211, an invalid `To` number). A
//! `StatusCallback` URL asks Twilio to report delivery there, signed with the auth token.

use super::{Accepted, SendError, Sms, SmsProvider};
use crate::App;
use secrecy::{ExposeSecret, SecretString};

/// The operator's (or a business's) Twilio account.
pub struct Twilio {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The sending number (E.164) or a messaging service SID (`MG…`).
    pub from: String,
}

impl std::fmt::Debug for Twilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sid = &self.account_sid;
        let shown = format!("{}****{}", &sid[..sid.len().min(2)], &sid[sid.len().saturating_sub(4)..]);
        f.debug_struct("Twilio").field("account_sid", &shown).field("auth_token", &"****").finish()
    }
}

#[derive(serde::Deserialize)]
struct Created {
    sid: String,
}

#[derive(serde::Deserialize)]
struct Failure {
    code: Option<i64>,
    message: Option<String>,
}

impl SmsProvider for Twilio {
    fn processor(&self) -> &'static str {
        "twilio"
    }

    fn request(&self, app: &App, sms: &Sms<'_>) -> reqwest::RequestBuilder {
        let url =
            format!("{}/2010-04-01/Accounts/{}/Messages.json", self.base_url.trim_end_matches('/'), self.account_sid);
        let sender = if self.from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
        let mut form = vec![("To", sms.to), (sender, self.from.as_str()), ("Body", sms.body)];
        if let Some(callback) = sms.status_callback {
            form.push(("StatusCallback", callback));
        }
        let mut request = app
            .egress
            .request(reqwest::Method::POST, &url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form);
        if let Some(key) = sms.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        request
    }

    fn read_answer(&self, status: u16, body: &[u8]) -> Result<Accepted, SendError> {
        if status == 201 || status == 200 {
            let created: Created = serde_json::from_slice(body).map_err(|_| SendError::Unexpected { status })?;
            return Ok(Accepted { provider_id: created.sid });
        }
        match serde_json::from_slice::<Failure>(body) {
            Ok(failure) => Err(SendError::Refused {
                status,
                code: failure.code.unwrap_or(0),
                message: failure.message.unwrap_or_default(),
            }),
            Err(_) => Err(SendError::Unexpected { status }),
        }
    }

    fn callback_secret(&self) -> &str {
        self.auth_token.expose_secret()
    }
}
