//! The master key: 32 random bytes that wrap every tenant key. It lives in a file of its
//! own (mode 0600) beside the database, or in `STEWARD_MASTER_KEY` (hex), never inside the
//! database, so a copy of the data alone does not open it.

use crate::{CryptoError, from_hex, random_bytes, to_hex};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use std::path::Path;

/// The deployment's master key.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(****)")
    }
}

impl MasterKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(SecretBox::new(Box::new(random_bytes::<32>()?))))
    }

    /// Parses 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = from_hex(text.trim())?.try_into().ok()?;
        Some(Self(SecretBox::new(Box::new(bytes))))
    }

    /// Reads the key file, or creates it with a fresh key (mode 0600) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let problem = |problem: String| CryptoError::KeyFile { path: path.display().to_string(), problem };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_private(path).map_err(problem)?;
                Self::from_hex(&text).ok_or_else(|| problem("does not hold a 64-character hexadecimal key".into()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                write_private(path, &format!("{}\n", to_hex(key.0.expose_secret()))).map_err(problem)?;
                Ok(key)
            }
            Err(e) => Err(problem(format!("cannot be read: {e}"))),
        }
    }

    /// A key for one purpose, derived so that no two uses share key material.
    pub fn derive(&self, purpose: &str) -> SecretBox<[u8; 32]> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose_secret()).unwrap_or_else(|_| unreachable_key());
        mac.update(b"steward/derive/v1/");
        mac.update(purpose.as_bytes());
        let out: [u8; 32] = mac.finalize().into_bytes().into();
        SecretBox::new(Box::new(out))
    }

    /// A short fingerprint for `steward config`, which shows that a key is loaded without
    /// showing the key.
    pub fn fingerprint(&self) -> String {
        to_hex(&self.derive("fingerprint").expose_secret()[..4])
    }
}

// HMAC accepts keys of any length, so `new_from_slice` cannot fail for 32 bytes.
fn unreachable_key() -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new(&Default::default())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        // The data folder is usually made here, first of all: for Steward's user alone.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| format!("cannot create its folder: {e}"))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot be created: {e}"))?;
    file.write_all(contents.as_bytes()).and_then(|_| file.sync_all()).map_err(|e| format!("cannot be written: {e}"))
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot be written: {e}"))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_err(|e| e.to_string())?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!("is readable by others (mode {:o}); run: chmod 600 {}", mode & 0o777, path.display()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_key_file_and_reads_it_back() {
        let dir = std::env::temp_dir().join(format!("steward-key-{}", std::process::id()));
        let path = dir.join("master.key");
        let _ = std::fs::remove_dir_all(&dir);
        let first = MasterKey::load_or_create(&path).unwrap();
        let second = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(first.fingerprint(), second.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(format!("{first:?}"), "MasterKey(****)");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let key = MasterKey::generate().unwrap();
        assert_ne!(key.derive("a").expose_secret(), key.derive("b").expose_secret());
    }
}
