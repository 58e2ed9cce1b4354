//! Configuration: defaults < `steward.toml` < `STEWARD_*` environment < command-line flags.
//!
//! Every key is declared once in [`KEYS`], with its default and its documentation; the
//! example file `steward.example.toml` is generated from that table (`steward config
//! --example`) and a test keeps the committed copy current.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One configuration key.
pub struct Key {
    pub name: &'static str,
    pub default: &'static str,
    pub secret: bool,
    pub doc: &'static str,
}

pub const KEYS: &[Key] = &[
    Key {
        name: "data_dir",
        default: "./steward-data",
        secret: false,
        doc: "Folder for the SQLite database and the master key file.",
    },
    Key {
        name: "database_url",
        default: "",
        secret: true,
        doc: "sqlite://PATH or postgres://USER@HOST/DB. Empty: sqlite://<data_dir>/steward.db.",
    },
    Key {
        name: "listen",
        default: "127.0.0.1:8080",
        secret: false,
        doc: "Address and port to serve on (port 0 picks a free port).",
    },
    Key {
        name: "base_url",
        default: "",
        secret: false,
        doc: "Where members reach Steward, for links in mail. Empty: http://localhost:<port>.",
    },
    Key {
        name: "master_key_file",
        default: "",
        secret: false,
        doc: "File holding the master key (64 hex characters, mode 0600); created if missing. Empty: <data_dir>/master.key. STEWARD_MASTER_KEY (hex) overrides the file.",
    },
    Key {
        name: "smtp_url",
        default: "",
        secret: true,
        doc: "Outgoing mail: smtp://host:port, smtp://host?tls=required, smtps://user:pass@host. Empty: links are printed on the console.",
    },
    Key { name: "mail_from", default: "Steward <no-reply@localhost>", secret: false, doc: "Sender of member mail." },
    Key {
        name: "default_country_code",
        default: "+91",
        secret: false,
        doc: "Country code for phone numbers written without one.",
    },
    Key {
        name: "session_idle_minutes",
        default: "720",
        secret: false,
        doc: "Minutes a login session may be idle before it ends.",
    },
    Key {
        name: "max_connections",
        default: "16",
        secret: false,
        doc: "Largest number of database connections in the pool.",
    },
    Key { name: "body_limit_bytes", default: "65536", secret: false, doc: "Largest request body accepted." },
    Key {
        name: "log_format",
        default: "text",
        secret: false,
        doc: "text or json (one JSON object per line, for log collectors).",
    },
];

/// One layer of settings; `None` means "not set here".
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub base_url: Option<String>,
    pub master_key_file: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub default_country_code: Option<String>,
    pub session_idle_minutes: Option<i64>,
    pub login_attempts_per_minute: Option<u32>,
    pub max_connections: Option<u32>,
    pub body_limit_bytes: Option<usize>,
    pub log_format: Option<String>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: String,
    pub base_url: Option<String>,
    pub master_key_file: PathBuf,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub default_country_code: String,
    pub session_idle_minutes: i64,
    pub login_attempts_per_minute: u32,
    pub max_connections: u32,
    pub body_limit_bytes: usize,
    pub log_format: String,
    /// Where each key's value came from, for `steward config`.
    pub sources: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl Layer {
    /// Reads `steward.toml`; a missing file is an empty layer unless it was asked for.
    pub fn from_file(path: &Path, required: bool) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| ConfigError::File { path: path.display().to_string(), message: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Layer::default()),
            Err(e) => Err(ConfigError::File { path: path.display().to_string(), message: e.to_string() }),
        }
    }

    /// Reads `STEWARD_<KEY>` variables.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let text = |key: &str| get(&format!("STEWARD_{}", key.to_ascii_uppercase())).filter(|v| !v.is_empty());
        fn number<T: std::str::FromStr>(key: &str, value: Option<String>) -> Result<Option<T>, ConfigError> {
            value
                .map(|v| {
                    v.trim().parse::<T>().map_err(|_| ConfigError::Env {
                        name: format!("STEWARD_{}", key.to_ascii_uppercase()),
                        message: format!("'{v}' is not a whole number"),
                    })
                })
                .transpose()
        }
        Ok(Layer {
            data_dir: text("data_dir"),
            database_url: text("database_url"),
            listen: text("listen"),
            base_url: text("base_url"),
            master_key_file: text("master_key_file"),
            smtp_url: text("smtp_url"),
            mail_from: text("mail_from"),
            default_country_code: text("default_country_code"),
            session_idle_minutes: number("session_idle_minutes", text("session_idle_minutes"))?,
            login_attempts_per_minute: number("login_attempts_per_minute", text("login_attempts_per_minute"))?,
            max_connections: number("max_connections", text("max_connections"))?,
            body_limit_bytes: number("body_limit_bytes", text("body_limit_bytes"))?,
            log_format: text("log_format"),
        })
    }
}

macro_rules! pick {
    ($layers:expr, $sources:expr, $field:ident) => {{
        let mut chosen = None;
        let mut source = "default";
        for (name, layer) in $layers.iter() {
            if let Some(value) = layer.$field.clone() {
                chosen = Some(value);
                source = name;
            }
        }
        $sources.push((stringify!($field), source));
        chosen
    }};
}

impl Config {
    /// Resolves layers given lowest first: `[("file", ..), ("env", ..), ("flag", ..)]`.
    pub fn resolve(layers: &[(&'static str, Layer)]) -> Result<Self, ConfigError> {
        let mut sources = Vec::new();
        let data_dir = PathBuf::from(pick!(layers, sources, data_dir).unwrap_or_else(|| "./steward-data".into()));
        let database_url = pick!(layers, sources, database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("steward.db").display()));
        let listen = pick!(layers, sources, listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        if listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid {
                key: "listen",
                message: format!("'{listen}' is not an address:port such as 127.0.0.1:8080"),
            });
        }
        let base_url = pick!(layers, sources, base_url);
        if let Some(url) = &base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                key: "base_url",
                message: "must start with http:// or https://".into(),
            });
        }
        let master_key_file =
            pick!(layers, sources, master_key_file).map(PathBuf::from).unwrap_or_else(|| data_dir.join("master.key"));
        let smtp_url = pick!(layers, sources, smtp_url);
        let mail_from = pick!(layers, sources, mail_from).unwrap_or_else(|| "Steward <no-reply@localhost>".into());
        let default_country_code = pick!(layers, sources, default_country_code).unwrap_or_else(|| "+91".into());
        if !default_country_code.starts_with('+')
            || default_country_code.len() < 2
            || !default_country_code[1..].chars().all(|c| c.is_ascii_digit())
        {
            return Err(ConfigError::Invalid { key: "default_country_code", message: "must look like +91".into() });
        }
        let session_idle_minutes = pick!(layers, sources, session_idle_minutes).unwrap_or(720);
        if !(5..=60 * 24 * 30).contains(&session_idle_minutes) {
            return Err(ConfigError::Invalid {
                key: "session_idle_minutes",
                message: "must be between 5 and 43200".into(),
            });
        }
        let login_attempts_per_minute = pick!(layers, sources, login_attempts_per_minute).unwrap_or(10);
        if !(1..=100_000).contains(&login_attempts_per_minute) {
            return Err(ConfigError::Invalid {
                key: "login_attempts_per_minute",
                message: "must be between 1 and 100000".into(),
            });
        }
        let max_connections = pick!(layers, sources, max_connections).unwrap_or(16);
        if !(2..=1000).contains(&max_connections) {
            return Err(ConfigError::Invalid { key: "max_connections", message: "must be between 2 and 1000".into() });
        }
        let body_limit_bytes = pick!(layers, sources, body_limit_bytes).unwrap_or(65536);
        if !(1024..=64 * 1024 * 1024).contains(&body_limit_bytes) {
            return Err(ConfigError::Invalid {
                key: "body_limit_bytes",
                message: "must be between 1024 and 67108864".into(),
            });
        }
        let log_format = pick!(layers, sources, log_format).unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            return Err(ConfigError::Invalid { key: "log_format", message: "must be text or json".into() });
        }
        Ok(Config {
            data_dir,
            database_url,
            listen,
            base_url,
            master_key_file,
            smtp_url,
            mail_from,
            default_country_code,
            session_idle_minutes,
            login_attempts_per_minute,
            max_connections,
            body_limit_bytes,
            log_format,
            sources,
        })
    }

    /// The effective configuration as `key = value` lines, secrets redacted.
    pub fn describe(&self, master_key_fingerprint: Option<&str>) -> String {
        let source = |key: &str| self.sources.iter().find(|(k, _)| *k == key).map(|(_, s)| *s).unwrap_or("default");
        let redacted_smtp = self.smtp_url.as_deref().map(steward_store::tx::redact_url).unwrap_or_default();
        let rows: Vec<(&str, String)> = vec![
            ("data_dir", self.data_dir.display().to_string()),
            ("database_url", steward_store::tx::redact_url(&self.database_url)),
            ("listen", self.listen.clone()),
            ("base_url", self.base_url.clone().unwrap_or_default()),
            ("master_key_file", self.master_key_file.display().to_string()),
            ("smtp_url", redacted_smtp),
            ("mail_from", self.mail_from.clone()),
            ("default_country_code", self.default_country_code.clone()),
            ("session_idle_minutes", self.session_idle_minutes.to_string()),
            ("login_attempts_per_minute", self.login_attempts_per_minute.to_string()),
            ("max_connections", self.max_connections.to_string()),
            ("body_limit_bytes", self.body_limit_bytes.to_string()),
            ("log_format", self.log_format.clone()),
        ];
        let mut out = String::new();
        for (key, value) in rows {
            let shown = if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
                value
            } else {
                format!("{value:?}")
            };
            out.push_str(&format!("{key} = {shown}  # {}\n", source(key)));
        }
        match master_key_fingerprint {
            Some(fp) => {
                out.push_str(&format!("# master key loaded, fingerprint {fp} (the key itself is never shown)\n"))
            }
            None => out.push_str("# master key not loaded yet (created on first serve)\n"),
        }
        out
    }
}

/// The commented example file, generated from [`KEYS`].
pub fn example_file() -> String {
    let mut out = String::from(
        "# Steward configuration. Every key is optional; shown here with its default.\n\
         # Precedence: defaults < this file < STEWARD_<KEY> environment variables < command-line flags.\n\
         # Generated by `steward config --example`; a test keeps this file current.\n",
    );
    for key in KEYS {
        out.push_str(&format!(
            "\n# {}{}\n",
            key.doc,
            if key.secret { " (secret: redacted by `steward config`)" } else { "" }
        ));
        let numeric = !key.default.is_empty() && key.default.chars().all(|c| c.is_ascii_digit());
        if numeric {
            out.push_str(&format!("# {} = {}\n", key.name, key.default));
        } else {
            out.push_str(&format!("# {} = {:?}\n", key.name, key.default));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_win() {
        let file =
            Layer { listen: Some("127.0.0.1:9000".into()), log_format: Some("json".into()), ..Default::default() };
        let env = Layer { listen: Some("127.0.0.1:9001".into()), ..Default::default() };
        let flags = Layer { listen: Some("127.0.0.1:9002".into()), ..Default::default() };
        let config = Config::resolve(&[("file", file), ("env", env), ("flag", flags)]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9002");
        assert_eq!(config.log_format, "json");
        assert!(config.sources.contains(&("listen", "flag")));
        assert!(config.sources.contains(&("log_format", "file")));
    }

    #[test]
    fn bad_values_name_the_key() {
        let bad = Layer { listen: Some("nowhere".into()), ..Default::default() };
        let err = Config::resolve(&[("file", bad)]).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.starts_with("listen:")));
        let env = Layer::from_env(|k| (k == "STEWARD_MAX_CONNECTIONS").then(|| "many".to_string()))
            .err()
            .map(|e| e.to_string());
        assert!(env.is_some_and(|e| e.contains("STEWARD_MAX_CONNECTIONS")));
    }

    #[test]
    fn secrets_are_redacted() {
        let layer = Layer {
            database_url: Some("postgres://app:hunter2secret@db/steward".into()),
            smtp_url: Some("smtps://mailer:pa55word@relay".into()),
            ..Default::default()
        };
        let text = Config::resolve(&[("file", layer)]).unwrap().describe(None);
        assert!(!text.contains("hunter2secret") && !text.contains("pa55word"), "{text}");
    }

    #[test]
    fn example_file_documents_every_key_and_is_current() {
        let generated = example_file();
        for key in KEYS {
            assert!(generated.contains(&format!("# {} = ", key.name)));
        }
        let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../steward.example.toml"))
            .unwrap_or_default();
        assert_eq!(committed, generated, "run: cargo run -- config --example > steward.example.toml");
    }
}
