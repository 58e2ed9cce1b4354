//! Email addresses and phone numbers as Steward accepts them.
//!
//! Email: one `@`, a plausible local part and a dotted domain; stored lowercased so the
//! same person is one member. Phone: normalised to E.164 (`+` and 8 to 15 digits), with a
//! default country code for numbers written locally (India: `+91`).

use crate::ValidationError;

/// A normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        if email.len() > 254 {
            return Err(ValidationError::new(field, "is longer than 254 characters"));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(ValidationError::new(field, "is not an email address (no @)"));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(ValidationError::new(field, "is not a valid email address"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A phone number in E.164 form, e.g. `+919812345678`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts spaces, dashes, dots and brackets; a number without `+` gets
    /// `default_country_code` (a leading trunk `0` is dropped first).
    pub fn parse(field: &str, raw: &str, default_country_code: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        let international = trimmed.starts_with('+') || trimmed.starts_with("00");
        let mut digits = String::new();
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '+' => {}
                _ => {
                    return Err(ValidationError::new(
                        field,
                        format!("may contain only digits, spaces, +, -, . and brackets (found '{c}')"),
                    ));
                }
            }
        }
        let national_or_full = if trimmed.starts_with("00") { digits[2..].to_string() } else { digits };
        let full = if international {
            national_or_full
        } else {
            format!("{}{}", default_country_code.trim_start_matches('+'), national_or_full.trim_start_matches('0'))
        };
        if full.len() < 8 || full.len() > 15 || full.starts_with('0') {
            return Err(ValidationError::new(field, "is not a valid phone number (8 to 15 digits with country code)"));
        }
        Ok(Self(format!("+{full}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A person's or business's display name: trimmed, 1 to `max` characters, no control
/// characters.
pub fn parse_name(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    if name.chars().count() > max {
        return Err(ValidationError::new(field, format!("is longer than {max} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "may not contain control characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse("email", " Owner@Example.COM ").map(Email::into_string),
            Ok("owner@example.com".into())
        );
        for bad in ["", "plain", "a@b", "a@@b.com", ".a@b.com", "a@-b.com", "a b@c.com"] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_normalise_to_e164() {
        let ok = |raw| Phone::parse("phone", raw, "+91").map(Phone::into_string);
        assert_eq!(ok("098123 45678"), Ok("+919812345678".into()));
        assert_eq!(ok("+1 (212) 555-0100"), Ok("+12125550100".into()));
        assert_eq!(ok("0044 20 7946 0000"), Ok("+442079460000".into()));
        assert!(ok("12ab").is_err());
        assert!(ok("123").is_err());
    }

    #[test]
    fn names_are_bounded() {
        assert!(parse_name("name", "  ", 10).is_err());
        assert!(parse_name("name", "a\u{7}b", 10).is_err());
        assert_eq!(parse_name("name", " Asha ", 10), Ok("Asha".into()));
    }
}
