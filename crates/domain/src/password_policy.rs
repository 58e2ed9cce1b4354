//! What a password must be before Steward will hash it (ACC-2).
//!
//! Length is what matters; composition rules are not imposed. The upper bound keeps one
//! request from making argon2 work on megabytes.

use crate::ValidationError;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 256;

const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "password12",
    "password123",
    "qwertyuiop",
    "1q2w3e4r5t",
    "iloveyou12",
    "passw0rd12",
    "0987654321",
    "abcdefghij",
];

pub fn check_password(field: &str, password: &str, email: &str) -> Result<(), ValidationError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ValidationError::new(field, format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ValidationError::new(field, format!("must be at most {MAX_PASSWORD_BYTES} bytes")));
    }
    let lowered = password.to_lowercase();
    if COMMON.contains(&lowered.as_str()) {
        return Err(ValidationError::new(field, "is one of the most common passwords; choose another"));
    }
    if !email.is_empty() && lowered == email.to_lowercase() {
        return Err(ValidationError::new(field, "must not be your email address"));
    }
    if password.chars().all(|c| password.starts_with(c)) {
        return Err(ValidationError::new(field, "must not repeat one character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_and_common_passwords() {
        assert!(check_password("password", "short", "").is_err());
        assert!(check_password("password", "password123", "").is_err());
        assert!(check_password("password", "aaaaaaaaaaaa", "").is_err());
        assert!(check_password("password", "x@example.com", "x@example.com").is_err());
        assert!(check_password("password", &"ab".repeat(200), "").is_err());
        assert!(check_password("password", "correct horse battery", "").is_ok());
    }
}
