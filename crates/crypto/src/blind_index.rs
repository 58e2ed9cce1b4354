//! Blind indexes: a keyed HMAC of a normalised value, so an exact-match lookup on an
//! encrypted field never needs the plaintext in the database.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The index of `value` under `key`, for `column` (so equal values in different columns
/// do not match each other).
pub fn blind_index(key: &[u8; 32], column: &str, value: &str) -> Vec<u8> {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(column.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_match_only_within_a_column_and_key() {
        let key = [1u8; 32];
        assert_eq!(blind_index(&key, "phone", "+91981"), blind_index(&key, "phone", "+91981"));
        assert_ne!(blind_index(&key, "phone", "+91981"), blind_index(&key, "email", "+91981"));
        assert_ne!(blind_index(&key, "phone", "+91981"), blind_index(&[2u8; 32], "phone", "+91981"));
    }
}
