//! The words of each member mail. Plain text, short, with the one link that matters.

use super::OutgoingMail;

pub fn verify_email(to: &str, name: &str, business: &str, link: String) -> OutgoingMail {
    OutgoingMail {
        kind: "email confirmation",
        to: to.to_string(),
        subject: format!("Confirm your email for {business} on Steward"),
        text: format!(
            "Hello {name},\n\nPlease confirm this is your email address by opening this link within 48 hours:\n\n{link}\n\n\
             If you did not sign up for Steward, ignore this message.\n"
        ),
        link,
    }
}

pub fn invitation(to: &str, inviter: &str, business: &str, role: &str, link: String) -> OutgoingMail {
    OutgoingMail {
        kind: "invitation",
        to: to.to_string(),
        subject: format!("{inviter} invited you to {business} on Steward"),
        text: format!(
            "Hello,\n\n{inviter} invited you to join {business} on Steward as {role}.\n\
             Accept within 7 days by opening this link and choosing a password:\n\n{link}\n\n\
             If you do not know {business}, ignore this message.\n"
        ),
        link,
    }
}

pub fn password_reset(to: &str, name: &str, business: &str, link: String) -> OutgoingMail {
    OutgoingMail {
        kind: "password reset",
        to: to.to_string(),
        subject: format!("Reset your Steward password for {business}"),
        text: format!(
            "Hello {name},\n\nSomeone asked to reset your password. If it was you, open this link within one hour:\n\n{link}\n\n\
             If it was not you, ignore this message; your password stays as it is.\n"
        ),
        link,
    }
}
