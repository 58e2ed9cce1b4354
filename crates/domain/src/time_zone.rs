//! IANA time zone names, checked against the time zone database bundled into the binary
//! (so a machine without `/usr/share/zoneinfo` still knows `Asia/Kolkata`).

use crate::ValidationError;

/// Returns the canonical spelling of a known IANA zone name.
pub fn parse_time_zone(field: &str, raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    match jiff::tz::TimeZone::get(name) {
        Ok(zone) => Ok(zone.iana_name().unwrap_or(name).to_string()),
        Err(_) => {
            Err(ValidationError::new(field, format!("'{name}' is not a known IANA time zone such as Asia/Kolkata")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_real_zones_and_rejects_others() {
        assert_eq!(parse_time_zone("time_zone", "Asia/Kolkata"), Ok("Asia/Kolkata".into()));
        assert!(parse_time_zone("time_zone", "America/New_York").is_ok());
        assert!(parse_time_zone("time_zone", "Mars/Olympus").is_err());
    }
}
