//! Secret tokens (sessions, API tokens, one-time links): 32 random bytes shown once as
//! hex; only their SHA-256 is stored, so a copy of the database cannot be used to log in.

use crate::{CryptoError, random_bytes, to_hex};
use sha2::{Digest, Sha256};

/// A fresh secret, 64 hex characters.
pub fn new_secret() -> Result<String, CryptoError> {
    Ok(to_hex(&random_bytes::<32>()?))
}

/// What is stored for a secret.
pub fn token_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compares two byte strings in time that depends only on their length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hashes_stable() {
        let a = new_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret().unwrap());
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
