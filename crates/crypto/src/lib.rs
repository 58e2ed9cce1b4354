//! Steward's cryptography: the master key, sealing of fields and keys, blind indexes,
//! password hashing and one-time tokens.
//!
//! Keys are `secrecy` types that zeroize on drop and never print; nothing here logs.

pub mod blind_index;
pub mod master_key;
pub mod password;
pub mod seal;
pub mod token;
pub mod webhook;

/// What can go wrong in Steward's cryptography.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A sealed value did not open: wrong key, wrong associated data, or altered bytes.
    #[error("a sealed value could not be opened (wrong key, moved, or altered)")]
    Unseal,
    #[error("the key file {path} {problem}")]
    KeyFile { path: String, problem: String },
    #[error("the operating system's random number source failed")]
    Random,
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

/// Lowercase hexadecimal, used for tokens and fingerprints.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// Parses lowercase or uppercase hexadecimal; `None` on any other character or odd length.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        assert_eq!(to_hex(&[0, 15, 255]), "000fff");
        assert_eq!(from_hex("000fFF"), Some(vec![0, 15, 255]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
