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

/// An HMAC-SHA-256 of `parts` (each length-prefixed, so no two lists of parts collide)
/// under `key`, as hex: the signature on a value Steward hands out and reads back.
pub fn signature(key: &[u8; 32], parts: &[&[u8]]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        // HMAC takes a key of any length; this arm cannot run.
        return String::new();
    };
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    to_hex(&mac.finalize().into_bytes())
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
        let key = [7u8; 32];
        assert_eq!(signature(&key, &[b"a", b"bc"]).len(), 64);
        assert_ne!(signature(&key, &[b"a", b"bc"]), signature(&key, &[b"ab", b"c"]));
    }
}
