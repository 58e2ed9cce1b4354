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
        // "+91 (0)98123 45678": the bracketed trunk zero is written but never dialled.
        let without_trunk = trimmed.replace("(0)", "");
        let trimmed = without_trunk.trim();
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
        let code = default_country_code.trim_start_matches('+');
        let local = national_or_full.trim_start_matches('0');
        let full = if international {
            national_or_full
        } else if code == "91" && local.len() == 12 && local.starts_with("91") {
            // "91 98123 45678": the country code written without its plus.
            local.to_string()
        } else {
            format!("{}{}", default_country_code.trim_start_matches('+'), national_or_full.trim_start_matches('0'))
        };
        if full.len() < 8 || full.len() > 15 || full.starts_with('0') {
            return Err(ValidationError::new(field, "is not a valid phone number (8 to 15 digits with country code)"));
        }
        if let Some(national) = full.strip_prefix("91")
            && national.len() != 10
        {
            return Err(ValidationError::new(field, "is not a valid Indian number (10 digits after +91)"));
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

/// The international calling code of a country (ISO 3166 alpha-2), for numbers a
/// business's customers write without one. `None` for a country Steward does not list;
/// callers then use the deployment's default.
pub fn calling_code(country: &str) -> Option<&'static str> {
    const CODES: &[(&str, &str)] = &[
        ("IN", "+91"),
        ("US", "+1"),
        ("CA", "+1"),
        ("GB", "+44"),
        ("AE", "+971"),
        ("SG", "+65"),
        ("AU", "+61"),
        ("NZ", "+64"),
        ("DE", "+49"),
        ("FR", "+33"),
        ("NL", "+31"),
        ("IE", "+353"),
        ("NP", "+977"),
        ("LK", "+94"),
        ("BD", "+880"),
        ("PK", "+92"),
        ("MY", "+60"),
        ("SA", "+966"),
        ("QA", "+974"),
        ("KE", "+254"),
        ("ZA", "+27"),
    ];
    let wanted = country.trim().to_ascii_uppercase();
    CODES.iter().find(|(c, _)| *c == wanted).map(|(_, code)| *code)
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
    refuse_hidden_formatting(field, name)?;
    Ok(name.to_string())
}

/// Whether `c` changes how text around it is shown without being seen itself: the
/// bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) that
/// make `moc.evil` read as `live.com` in a list or an export, and the invisible spaces and
/// joiners that make two names look alike. The zero-width joiner and non-joiner stay:
/// Hindi, Malayalam and other Indian scripts need them to spell words.
pub fn is_hidden_formatting(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{061C}')
}

/// Refuses text carrying [`is_hidden_formatting`] characters, naming the field.
pub fn refuse_hidden_formatting(field: &str, text: &str) -> Result<(), ValidationError> {
    match text.chars().find(|c| is_hidden_formatting(*c)) {
        Some(c) => Err(ValidationError::new(
            field,
            format!("may not contain the invisible formatting character U+{:04X}", u32::from(c)),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_bidi_overrides_and_invisible_spaces_but_keep_indian_joiners() {
        for spoof in ["Asha \u{202E}lahsA", "A\u{2066}b", "A\u{200B}sha", "\u{FEFF}Asha", "A\u{2069}"] {
            let refused = parse_name("name", spoof, 80).unwrap_err();
            assert_eq!(refused.field, "name");
            assert!(refused.message.contains("U+"), "{}", refused.message);
        }
        assert!(parse_name("name", "क्\u{200D}ष", 80).is_ok());
        assert!(parse_name("name", "ന്\u{200C}റ", 80).is_ok());
    }

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
        for indian in [
            "9812345678",
            "+91 98123 45678",
            "+91-98123-45678",
            "098123-45678",
            "91 9812345678",
            "0091 98123 45678",
            "+91 (0) 98123 45678",
            "(+91) 98123.45678",
        ] {
            assert_eq!(ok(indian), Ok("+919812345678".into()), "{indian}");
        }
        assert!(ok("+91 98123 4567").is_err());
        assert!(ok("12ab").is_err());
        assert!(ok("123").is_err());
    }

    proptest::proptest! {
        /// Any way of writing an Indian mobile number (spaces, dashes, dots, brackets, with
        /// +91, 0091, 91 or a trunk 0, or nothing) normalises to the same E.164 number.
        #[test]
        fn every_written_form_of_an_indian_mobile_normalises_alike(
            first in 6u8..=9,
            rest in proptest::collection::vec(0u8..=9, 9),
            prefix in proptest::sample::select(vec!["", "+91", "+91 ", "0091 ", "91", "0", "+91 (0)", "(+91) "]),
            separators in proptest::collection::vec(proptest::sample::select(vec!["", " ", "-", "."]), 10),
        ) {
            let digits: Vec<u8> = std::iter::once(first).chain(rest).collect();
            let mut written = prefix.to_string();
            for (digit, sep) in digits.iter().zip(&separators) {
                written.push_str(sep);
                written.push(char::from(b'0' + digit));
            }
            let expected = format!("+91{}", digits.iter().map(|d| char::from(b'0' + d)).collect::<String>());
            proptest::prop_assert_eq!(Phone::parse("phone", &written, "+91").map(Phone::into_string), Ok(expected));
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(parse_name("name", "  ", 10).is_err());
        assert!(parse_name("name", "a\u{7}b", 10).is_err());
        assert_eq!(parse_name("name", " Asha ", 10), Ok("Asha".into()));
    }
}
