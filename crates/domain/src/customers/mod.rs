//! Customers (CRM-1): the people a tenant serves, and the rules for what a customer record
//! may hold. Sensitive values (CRM-2) are declared by the tenant's own fields and are
//! sealed before they reach storage; this module only names which values are sensitive.

pub mod fields;
pub mod search;

use crate::ValidationError;
use serde::{Deserialize, Serialize};

/// Longest customer name, address, tag and note Steward stores.
pub const MAX_NAME: usize = 200;
pub const MAX_ADDRESS: usize = 500;
pub const MAX_TAG: usize = 40;
pub const MAX_TAGS: usize = 30;
pub const MAX_NOTE: usize = 10_000;

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            /// Parses the name, or says which names `field` accepts.
            pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
                match raw.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
                    $($text => Ok($name::$variant),)*
                    _ => Err(ValidationError::new(field, format!("must be one of: {}", [$($text),*].join(", ")))),
                }
            }
        }
    };
}

word_enum!(
    /// How a customer came to the business.
    Source { WalkIn => "walk_in", Phone => "phone", OnlineBooking => "online_booking", Import => "import", Referral => "referral", Api => "api", Other => "other", Anonymized => "anonymized" }
);

word_enum!(
    /// A way of reaching a customer.
    Channel { Sms => "sms", Whatsapp => "whatsapp", Email => "email" }
);

word_enum!(
    /// What a customer agreed to be contacted for, per channel.
    Purpose { Reminders => "reminders", Marketing => "marketing" }
);

/// A date of birth: an ISO date, not in the future, not before 1900.
pub fn parse_date_of_birth(
    field: &str,
    raw: &str,
    today: jiff::civil::Date,
) -> Result<jiff::civil::Date, ValidationError> {
    let date = parse_date(field, raw)?;
    if date > today {
        return Err(ValidationError::new(field, "is in the future"));
    }
    if date.year() < 1900 {
        return Err(ValidationError::new(field, "is before 1900"));
    }
    Ok(date)
}

/// A calendar date written `YYYY-MM-DD` (also `DD/MM/YYYY` and `DD-MM-YYYY`, as dates are
/// written in India).
pub fn parse_date(field: &str, raw: &str) -> Result<jiff::civil::Date, ValidationError> {
    let text = raw.trim();
    let bad = || ValidationError::new(field, format!("'{}' is not a date (use YYYY-MM-DD)", short(text)));
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return Ok(date);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    if let [day, month, year] = parts.as_slice()
        && year.len() == 4
    {
        let (Ok(day), Ok(month), Ok(year)) = (day.parse::<i8>(), month.parse::<i8>(), year.parse::<i16>()) else {
            return Err(bad());
        };
        return jiff::civil::Date::new(year, month, day).map_err(|_| bad());
    }
    Err(bad())
}

/// A tag: folded to lowercase, words joined by `-`, 1 to 40 characters.
pub fn parse_tag(field: &str, raw: &str) -> Result<String, ValidationError> {
    let words: Vec<String> =
        search::fold(raw).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    let tag = words.join("-");
    if tag.is_empty() {
        return Err(ValidationError::new(field, "a tag needs at least one letter or digit"));
    }
    if tag.chars().count() > MAX_TAG {
        return Err(ValidationError::new(field, format!("a tag is at most {MAX_TAG} characters")));
    }
    Ok(tag)
}

/// A list of tags, duplicates removed, order kept.
pub fn parse_tags(field: &str, raw: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut tags: Vec<String> = Vec::new();
    for one in raw {
        let tag = parse_tag(field, one)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ValidationError::new(field, format!("at most {MAX_TAGS} tags")));
    }
    Ok(tags)
}

/// Free text of at most `max` characters; control characters other than newlines and tabs
/// are refused. Empty text is `None`.
pub fn parse_text(field: &str, raw: &str, max: usize) -> Result<Option<String>, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > max {
        return Err(ValidationError::new(field, format!("is longer than {max} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(ValidationError::new(field, "may not contain control characters"));
    }
    crate::contact::refuse_hidden_formatting(field, text)?;
    Ok(Some(text.to_string()))
}

/// The start of a value, for an error message that must not repeat a whole input.
pub fn short(text: &str) -> String {
    let mut out: String = text.chars().take(24).collect();
    if text.chars().count() > 24 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_iso_and_indian_order() {
        assert_eq!(parse_date("d", "1990-04-23").unwrap().to_string(), "1990-04-23");
        assert_eq!(parse_date("d", "23/04/1990").unwrap().to_string(), "1990-04-23");
        assert_eq!(parse_date("d", "23-04-1990").unwrap().to_string(), "1990-04-23");
        assert!(parse_date("d", "31/02/1990").is_err());
        assert!(parse_date("d", "yesterday").is_err());
        let today = jiff::civil::date(2026, 11, 23);
        assert!(parse_date_of_birth("d", "2030-01-01", today).is_err());
        assert!(parse_date_of_birth("d", "1850-01-01", today).is_err());
    }

    #[test]
    fn tags_are_folded_and_deduplicated() {
        let tags = parse_tags("tags", &["VIP".into(), " vip ".into(), "Bridal Party".into(), "Café".into()]).unwrap();
        assert_eq!(tags, vec!["vip", "bridal-party", "cafe"]);
        assert!(parse_tag("tags", "!!!").is_err());
    }

    #[test]
    fn words_parse_with_dashes_or_spaces() {
        assert_eq!(Source::parse("source", "Walk-in").unwrap(), Source::WalkIn);
        assert_eq!(Channel::parse("c", "WhatsApp").unwrap(), Channel::Whatsapp);
        assert!(Purpose::parse("p", "spam").unwrap_err().to_string().contains("reminders, marketing"));
    }
}
