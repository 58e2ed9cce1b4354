//! Password hashing with argon2id (ACC-2): 19 MiB, two passes, one lane (the OWASP
//! baseline), a random salt per hash, the PHC string stored. Callers run these on a
//! blocking thread: a hash takes tens of milliseconds of CPU.

use crate::CryptoError;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// Hashes a password to a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))
}

/// True when `password` matches the stored PHC string. A malformed stored hash is a
/// mismatch, never a panic.
pub fn verify_password(password: &str, stored: &str) -> bool {
    hasher().verify_password(password.as_bytes(), stored).is_ok()
}

/// Spends the same time as a real check, for logins with an unknown email, so response
/// time does not reveal which addresses are members.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("steward dummy password").unwrap_or_default());
    let _ = verify_password(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        // promise: ACC-2
        let first = hash_password("correct horse battery").unwrap();
        let second = hash_password("correct horse battery").unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify_password("correct horse battery", &first));
        assert!(!verify_password("wrong horse battery", &first));
        assert!(!verify_password("anything", "not a phc string"));
    }
}
