//! The tenant's own customer fields (CRM-2): each has a kind and is declared `personal` or
//! `sensitive` when it is created. A sensitive field's values are sealed, need
//! `customers.sensitive.read` to see, and every read and write of one is audited.

use crate::ValidationError;
use crate::classification::DataClass;
use serde::{Deserialize, Serialize};

pub const MAX_LABEL: usize = 60;
pub const MAX_OPTIONS: usize = 100;
pub const MAX_TEXT_VALUE: usize = 2_000;
pub const MAX_FIELDS: usize = 100;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Select,
    MultiSelect,
    YesNo,
}

impl FieldKind {
    pub const ALL: [FieldKind; 6] = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::Select,
        FieldKind::MultiSelect,
        FieldKind::YesNo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Select => "select",
            FieldKind::MultiSelect => "multi_select",
            FieldKind::YesNo => "yes_no",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let wanted = raw.trim().to_ascii_lowercase().replace(['-', ' ', '/'], "_");
        FieldKind::ALL.into_iter().find(|k| k.name() == wanted).ok_or_else(|| {
            ValidationError::new(field, "must be one of: text, number, date, select, multi_select, yes_no")
        })
    }

    pub fn has_options(self) -> bool {
        matches!(self, FieldKind::Select | FieldKind::MultiSelect)
    }
}

/// Whether a field's values are personal or sensitive; nothing else may be declared.
pub fn parse_field_class(field: &str, raw: &str) -> Result<DataClass, ValidationError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "personal" => Ok(DataClass::Personal),
        "sensitive" => Ok(DataClass::Sensitive),
        _ => Err(ValidationError::new(field, "must be personal or sensitive")),
    }
}

/// The options of a select field: trimmed, distinct, 1 to 100 of them.
pub fn parse_options(field: &str, kind: FieldKind, raw: &[String]) -> Result<Vec<String>, ValidationError> {
    if !kind.has_options() {
        return if raw.iter().all(|o| o.trim().is_empty()) {
            Ok(Vec::new())
        } else {
            Err(ValidationError::new(field, "only select and multi_select fields have options"))
        };
    }
    let mut options: Vec<String> = Vec::new();
    for option in raw.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        if option.chars().count() > MAX_LABEL
            || option.chars().any(|c| c.is_control() || crate::contact::is_hidden_formatting(c))
        {
            return Err(ValidationError::new(
                field,
                format!("option '{}' is too long or has control characters", super::short(option)),
            ));
        }
        if !options.iter().any(|o| o == option) {
            options.push(option.to_string());
        }
    }
    if options.is_empty() || options.len() > MAX_OPTIONS {
        return Err(ValidationError::new(field, format!("a {} field needs 1 to {MAX_OPTIONS} options", kind.name())));
    }
    Ok(options)
}

/// Checks a value typed for a field of `kind` and returns its stored form: text as typed,
/// numbers in their shortest form, dates as `YYYY-MM-DD`, yes/no as `yes` or `no`, a
/// multi-select as a JSON array of its options. `None` clears the value.
pub fn normalize_value(
    field: &str,
    kind: FieldKind,
    options: &[String],
    raw: &str,
) -> Result<Option<String>, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value = match kind {
        FieldKind::Text => super::parse_text(field, text, MAX_TEXT_VALUE)?.unwrap_or_default(),
        FieldKind::Number => {
            let number: f64 = text
                .replace(',', "")
                .parse()
                .map_err(|_| ValidationError::new(field, format!("'{}' is not a number", super::short(text))))?;
            if !number.is_finite() {
                return Err(ValidationError::new(field, "is not a finite number"));
            }
            number.to_string()
        }
        FieldKind::Date => super::parse_date(field, text)?.to_string(),
        FieldKind::YesNo => match text.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" | "on" => "yes".into(),
            "no" | "n" | "false" | "0" | "off" => "no".into(),
            _ => return Err(ValidationError::new(field, "must be yes or no")),
        },
        FieldKind::Select => find_option(field, options, text)?,
        FieldKind::MultiSelect => {
            let chosen: Vec<String> = if text.starts_with('[') {
                serde_json::from_str(text).map_err(|_| ValidationError::new(field, "must be a list of options"))?
            } else {
                text.split([';', ',']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
            };
            let mut picked: Vec<String> = Vec::new();
            for one in &chosen {
                let option = find_option(field, options, one)?;
                if !picked.contains(&option) {
                    picked.push(option);
                }
            }
            if picked.is_empty() {
                return Ok(None);
            }
            serde_json::to_string(&picked).map_err(|_| ValidationError::new(field, "must be a list of options"))?
        }
    };
    Ok(Some(value))
}

fn find_option(field: &str, options: &[String], wanted: &str) -> Result<String, ValidationError> {
    options
        .iter()
        .find(|o| o.eq_ignore_ascii_case(wanted.trim()))
        .cloned()
        .ok_or_else(|| ValidationError::new(field, format!("'{}' is not one of the options", super::short(wanted))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_against_their_kind() {
        let opts = vec!["Red".to_string(), "Blonde".to_string()];
        assert_eq!(normalize_value("f", FieldKind::Number, &[], "1,200.50").unwrap(), Some("1200.5".into()));
        assert!(normalize_value("f", FieldKind::Number, &[], "NaN").is_err());
        assert_eq!(normalize_value("f", FieldKind::Date, &[], "01/02/2020").unwrap(), Some("2020-02-01".into()));
        assert_eq!(normalize_value("f", FieldKind::YesNo, &[], "Y").unwrap(), Some("yes".into()));
        assert_eq!(normalize_value("f", FieldKind::Select, &opts, "red").unwrap(), Some("Red".into()));
        assert!(normalize_value("f", FieldKind::Select, &opts, "green").is_err());
        assert_eq!(
            normalize_value("f", FieldKind::MultiSelect, &opts, "blonde; red").unwrap(),
            Some(r#"["Blonde","Red"]"#.into())
        );
        assert_eq!(normalize_value("f", FieldKind::Text, &[], "  ").unwrap(), None);
    }

    #[test]
    fn only_personal_or_sensitive_can_be_declared() {
        assert_eq!(parse_field_class("c", "Sensitive").unwrap(), DataClass::Sensitive);
        assert!(parse_field_class("c", "secret").is_err());
        assert!(parse_options("o", FieldKind::Select, &[]).is_err());
        assert!(parse_options("o", FieldKind::Text, &["x".into()]).is_err());
    }
}
