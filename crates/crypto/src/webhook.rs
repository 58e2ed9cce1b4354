//! Verifying that a provider's callback is really from the provider.
//!
//! - Twilio (`X-Twilio-Signature`): Base64 of HMAC-SHA-1, keyed with the account's auth
//!   token, over the full URL Twilio called followed by every POST parameter, sorted by
//!   name, as name then value with no separators.
//! - Meta's WhatsApp Cloud API (`X-Hub-Signature-256`): `sha256=` and the hex of
//!   HMAC-SHA-256, keyed with the app secret, over the raw request body.
//!
//! Comparisons are constant-time.

use crate::token::constant_time_eq;
use hmac::{Hmac, KeyInit, Mac};

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The signature Twilio sends for a callback to `url` with these form parameters.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let Ok(mut mac) = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes()) else {
        return String::new();
    };
    mac.update(data.as_bytes());
    base64(&mac.finalize().into_bytes())
}

pub fn verify_twilio_signature(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let expected = twilio_signature(auth_token, url, params);
    !header.is_empty() && constant_time_eq(expected.as_bytes(), header.trim().as_bytes())
}

/// The `X-Hub-Signature-256` value for `body` under `app_secret`.
pub fn hub_signature_256(app_secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(app_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", crate::to_hex(&mac.finalize().into_bytes()))
}

pub fn verify_hub_signature_256(app_secret: &str, body: &[u8], header: &str) -> bool {
    let expected = hub_signature_256(app_secret, body);
    !header.is_empty() && constant_time_eq(expected.as_bytes(), header.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn twilio_signatures_match_twilios_documented_example() {
        // Twilio's request-validation example: auth token 12345, this URL and these parameters.
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(twilio_signature("12345", url, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(verify_twilio_signature("12345", url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        let mut tampered = params.clone();
        tampered[2].1 = "9999".into();
        assert!(!verify_twilio_signature("12345", url, &tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!verify_twilio_signature("12345", url, &params, ""));
        assert!(!verify_twilio_signature("other", url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    #[test]
    fn hub_signatures_match_the_documented_example() {
        // The X-Hub-Signature-256 example GitHub documents for the same scheme Meta uses.
        let header = hub_signature_256("It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(header, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        assert!(verify_hub_signature_256("It's a Secret to Everybody", b"Hello, World!", &header));
        assert!(!verify_hub_signature_256("It's a Secret to Everybody", b"Hello, World?", &header));
        assert!(!verify_hub_signature_256("It's a Secret to Everybody", b"Hello, World!", ""));
    }
}
