//! GSTIN, India's 15-character GST identification number, validated with its checksum.
//!
//! Layout: 2-digit state code, the holder's 10-character PAN, an entity number, `Z`, and a
//! check character computed over the first 14 characters in base 36 with factors 1 and 2
//! alternating (the published GSTN algorithm).

use crate::ValidationError;

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A GSTIN whose format and check character are correct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gstin(String);

impl Gstin {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let gstin: String = raw.trim().to_ascii_uppercase();
        let bytes = gstin.as_bytes();
        if bytes.len() != 15 {
            return Err(ValidationError::new(field, "must be exactly 15 characters"));
        }
        let state: u32 =
            gstin[..2].parse().map_err(|_| ValidationError::new(field, "must start with a two-digit state code"))?;
        if !(1..=38).contains(&state) && state != 97 && state != 99 {
            return Err(ValidationError::new(field, "starts with an unknown state code"));
        }
        let pan = &bytes[2..12];
        let pan_ok = pan[..5].iter().all(u8::is_ascii_uppercase)
            && pan[5..9].iter().all(u8::is_ascii_digit)
            && pan[9].is_ascii_uppercase();
        if !pan_ok {
            return Err(ValidationError::new(
                field,
                "characters 3 to 12 must be a PAN (5 letters, 4 digits, 1 letter)",
            ));
        }
        if !bytes[12].is_ascii_alphanumeric() || bytes[12] == b'0' {
            return Err(ValidationError::new(field, "character 13 must be an entity number 1-9 or A-Z"));
        }
        if bytes[13] != b'Z' {
            return Err(ValidationError::new(field, "character 14 must be Z"));
        }
        match check_character(&bytes[..14]) {
            Some(expected) if expected == bytes[14] => Ok(Self(gstin)),
            _ => Err(ValidationError::new(field, "has a wrong check character; look for a typing mistake")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The check character for the first 14 characters, or `None` if one is not base 36.
pub fn check_character(first_fourteen: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (position, c) in first_fourteen.iter().enumerate() {
        let value = ALPHABET.iter().position(|a| a == c)? as u32;
        let product = value * if position % 2 == 0 { 1 } else { 2 };
        sum += product / 36 + product % 36;
    }
    Some(ALPHABET[((36 - sum % 36) % 36) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_published_example() {
        assert!(Gstin::parse("gstin", "27AAPFU0939F1ZV").is_ok());
        assert!(Gstin::parse("gstin", " 27aapfu0939f1zv ").is_ok());
    }

    #[test]
    fn rejects_a_wrong_check_character_naming_the_field() {
        let err = Gstin::parse("gstin", "27AAPFU0939F1ZW").err();
        assert_eq!(err.map(|e| e.field), Some("gstin".into()));
    }

    proptest! {
        #[test]
        fn any_single_character_change_is_caught(position in 0usize..15, replacement in 0usize..36) {
            let valid = b"27AAPFU0939F1ZV".to_vec();
            let mut changed = valid.clone();
            changed[position] = ALPHABET[replacement];
            prop_assume!(changed != valid);
            let text = String::from_utf8(changed).unwrap_or_default();
            prop_assert!(Gstin::parse("gstin", &text).is_err());
        }
    }
}
