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

/// A sign-in from a device the member has not signed in from before (MSG-2). "From" is
/// the network address: Steward keeps no location database, so it names no city.
pub fn new_sign_in(
    to: &str,
    name: &str,
    business: &str,
    device: &str,
    ip: &str,
    at: &str,
    link: String,
) -> OutgoingMail {
    OutgoingMail {
        kind: "new sign-in alert",
        to: to.to_string(),
        subject: format!("New sign-in to {business} on Steward"),
        text: format!(
            "Hello {name},\n\nYour account was used to sign in to {business} on Steward from a device it has not used before:\n\n\
             Device: {device}\nNetwork address: {ip}\nTime: {at} (UTC)\n\n\
             If this was you, there is nothing to do. If it was not, change your password now; that ends every other session:\n\n{link}\n"
        ),
        link,
    }
}

/// Too many wrong passwords from browsers the member never signed in from (ACC-4).
pub fn account_locked(to: &str, name: &str, business: &str, until: &str, link: String) -> OutgoingMail {
    OutgoingMail {
        kind: "account locked alert",
        to: to.to_string(),
        subject: format!("Wrong passwords were tried on your Steward account for {business}"),
        text: format!(
            "Hello {name},\n\nSeveral wrong passwords were just tried on your account at {business}. Until {until} (UTC), \
             only browsers you have signed in from before can sign in to it; yours still can.\n\n\
             If this was not you, your password is still safe, but consider changing it:\n\n{link}\n"
        ),
        link,
    }
}

pub fn password_changed(to: &str, name: &str, business: &str, at: &str, link: String) -> OutgoingMail {
    OutgoingMail {
        kind: "password changed alert",
        to: to.to_string(),
        subject: format!("Your Steward password for {business} was changed"),
        text: format!(
            "Hello {name},\n\nThe password of your account at {business} was changed at {at} (UTC), and your other sessions were ended.\n\n\
             If you did not do this, reset your password now and tell the business's owner:\n\n{link}\n"
        ),
        link,
    }
}

pub fn token_created(to: &str, name: &str, business: &str, token_name: &str, at: &str, link: String) -> OutgoingMail {
    OutgoingMail {
        kind: "api token alert",
        to: to.to_string(),
        subject: format!("A new API token was created on your Steward account for {business}"),
        text: format!(
            "Hello {name},\n\nAn API token named \"{token_name}\" was created on your account at {business} at {at} (UTC).\n\n\
             If you did not create it, revoke it here and change your password:\n\n{link}\n"
        ),
        link,
    }
}
