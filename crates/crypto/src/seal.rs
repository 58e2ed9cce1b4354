//! Sealing: XChaCha20-Poly1305 with a random 24-byte nonce, and associated data that binds
//! a ciphertext to where it belongs (tenant, table, column, row, key version), so a sealed
//! value copied to another row or tenant does not open.
//!
//! Layout of a sealed value: version byte `1`, nonce (24 bytes), ciphertext and tag.

use crate::{CryptoError, random_bytes};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// Seals `plaintext` under a 32-byte key, bound to `associated_data`.
pub fn seal(key: &[u8; 32], associated_data: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| CryptoError::Unseal)?;
    let nonce_bytes = random_bytes::<NONCE_LEN>()?;
    let nonce = XNonce::try_from(&nonce_bytes[..]).map_err(|_| CryptoError::Unseal)?;
    let ciphertext =
        cipher.encrypt(&nonce, Payload { msg: plaintext, aad: associated_data }).map_err(|_| CryptoError::Unseal)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Opens a value made by [`seal`] with the same key and associated data.
pub fn open(key: &[u8; 32], associated_data: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
        return Err(CryptoError::Unseal);
    }
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| CryptoError::Unseal)?;
    let nonce = XNonce::try_from(&sealed[1..1 + NONCE_LEN]).map_err(|_| CryptoError::Unseal)?;
    cipher
        .decrypt(&nonce, Payload { msg: &sealed[1 + NONCE_LEN..], aad: associated_data })
        .map_err(|_| CryptoError::Unseal)
}

/// Associated data naming where a sealed field lives.
pub fn field_context(tenant: &str, table: &str, column: &str, row: &str, key_version: u32) -> Vec<u8> {
    format!("steward/v1|{tenant}|{table}|{column}|{row}|{key_version}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sealed_values_round_trip(plaintext in proptest::collection::vec(any::<u8>(), 0..512), key in any::<[u8; 32]>()) {
            let aad = field_context("t", "customers", "notes", "r", 1);
            let sealed = seal(&key, &aad, &plaintext).unwrap();
            prop_assert_eq!(open(&key, &aad, &sealed).unwrap(), plaintext);
        }
    }

    #[test]
    fn a_value_moved_to_another_row_or_altered_does_not_open() {
        let key = [7u8; 32];
        let sealed = seal(&key, &field_context("t", "c", "n", "row-1", 1), b"secret").unwrap();
        assert!(open(&key, &field_context("t", "c", "n", "row-2", 1), &sealed).is_err());
        assert!(open(&[8u8; 32], &field_context("t", "c", "n", "row-1", 1), &sealed).is_err());
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(open(&key, &field_context("t", "c", "n", "row-1", 1), &altered).is_err());
    }
}
