//! Tenant slugs: the short name in a tenant's public addresses (`/b/{slug}`, `/p/{slug}`)
//! and on the login form.

use crate::ValidationError;

/// Words a tenant may not take, because they name Steward's own routes or would mislead.
const RESERVED: &[&str] = &[
    "admin", "api", "app", "assets", "b", "docs", "healthz", "login", "logout", "p", "readyz", "signup", "static",
    "steward", "support", "www",
];

/// A validated slug: 3 to 40 characters of `a-z`, `0-9` and single inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let slug = raw.trim().to_ascii_lowercase();
        if slug.len() < 3 || slug.len() > 40 {
            return Err(ValidationError::new(field, "must be 3 to 40 characters long"));
        }
        if !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(ValidationError::new(field, "may contain only lowercase letters, digits and hyphens"));
        }
        if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return Err(ValidationError::new(field, "may not start or end with a hyphen or contain two in a row"));
        }
        if RESERVED.contains(&slug.as_str()) {
            return Err(ValidationError::new(field, "is reserved; choose another"));
        }
        Ok(Self(slug))
    }

    /// Suggests a slug from a business name ("Asha's Salon & Spa" -> "ashas-salon-spa").
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if (c.is_whitespace() || c == '-' || c == '&') && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_matches('-').chars().take(40).collect::<String>().trim_matches('-').to_string()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_slugs_and_lowercases() {
        assert_eq!(Slug::parse("slug", " Asha-Salon ").map(Slug::into_string), Ok("asha-salon".into()));
    }

    #[test]
    fn rejects_bad_slugs_naming_the_field() {
        for bad in ["ab", "has space", "-lead", "trail-", "dou--ble", "api", "ünï", &"x".repeat(41)] {
            let err = Slug::parse("slug", bad).err();
            assert_eq!(err.map(|e| e.field), Some("slug".to_string()), "{bad}");
        }
    }

    #[test]
    fn suggests_from_a_name() {
        assert_eq!(Slug::suggest("Asha's Salon & Spa"), "ashas-salon-spa");
    }
}
