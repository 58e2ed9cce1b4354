//! Configuration: defaults < `steward.toml` < `STEWARD_*` environment < command-line flags.
//!
//! Every key is declared once in [`KEYS`], with its default and its documentation; the
//! example file `steward.example.toml` is generated from that table (`steward config
//! --example`) and a test keeps the committed copy current.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use steward_web::client_address::{ProxyHeader, TrustedProxies};

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
        name: "mail_links_on_console",
        default: "false",
        secret: false,
        doc: "true: without smtp_url, print each mail's kind and link (password resets, export downloads: secrets) on the console, as `steward demo` does. false: such mail is not sent.",
    },
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
        name: "login_attempts_per_minute",
        default: "10",
        secret: false,
        doc: "Log-in attempts one network address may make per minute (wrong passwords also lock an account for browsers its member never used).",
    },
    Key {
        name: "max_connections",
        default: "16",
        secret: false,
        doc: "Largest number of database connections in the pool.",
    },
    Key { name: "body_limit_bytes", default: "65536", secret: false, doc: "Largest request body accepted." },
    Key {
        name: "http_header_timeout_seconds",
        default: "10",
        secret: false,
        doc: "Seconds a connection has to send a whole request head (from its start, or from the first byte of its next request); then it is closed.",
    },
    Key {
        name: "http_body_timeout_seconds",
        default: "30",
        secret: false,
        doc: "Longest pause while a request body arrives; then the request gets 408 and the connection is closed.",
    },
    Key {
        name: "http_idle_timeout_seconds",
        default: "60",
        secret: false,
        doc: "Seconds a kept-alive connection may wait for its next request before it is closed.",
    },
    Key {
        name: "http_max_connections",
        default: "4096",
        secret: false,
        doc: "Connections served at once; more wait to be accepted. Lowered at start to fit the open-file limit.",
    },
    Key {
        name: "trusted_proxies",
        default: "",
        secret: false,
        doc: "Comma-separated addresses or CIDR ranges of reverse proxies (e.g. \"127.0.0.1, 10.0.0.0/8\") whose proxy_header names the client, for rate limits and logs. Empty: the TCP peer is the client.",
    },
    Key {
        name: "proxy_header",
        default: "x-forwarded-for",
        secret: false,
        doc: "The header the trusted proxies append the client to: x-forwarded-for or forwarded (RFC 7239). Only this one is read.",
    },
    Key {
        name: "metrics_listen",
        default: "",
        secret: false,
        doc: "A separate address:port serving only /metrics, to anyone who reaches it (keep it private). Empty: /metrics on the main listener.",
    },
    Key {
        name: "metrics_token",
        default: "",
        secret: true,
        doc: "A bearer token that /metrics then requires (Authorization: Bearer ...), on either listener. Empty: the main listener answers /metrics to loopback only, and not at all while trusted_proxies or metrics_listen is set.",
    },
    Key {
        name: "log_format",
        default: "text",
        secret: false,
        doc: "text or json (one JSON object per line, for log collectors).",
    },
    Key {
        name: "retention_usage_days",
        default: "395",
        secret: false,
        doc: "Usage records are kept this many days at most; tenants may choose fewer.",
    },
    Key {
        name: "retention_security_log_min_days",
        default: "365",
        secret: false,
        doc: "The fewest days a tenant may keep its security logs (the default keeps them while the account is active).",
    },
    Key {
        name: "retention_personal_min_days",
        default: "30",
        secret: false,
        doc: "The fewest days of inactivity after which a tenant may have customers deleted.",
    },
    Key {
        name: "retention_cancellation_grace_days",
        default: "90",
        secret: false,
        doc: "Days a cancelled business may come back before it is terminated.",
    },
    Key {
        name: "retention_purge_delay_days",
        default: "30",
        secret: false,
        doc: "Days after termination until every record of the business is deleted (at most 90; grace + delay at most 180).",
    },
    Key {
        name: "retention_sweep_minutes",
        default: "60",
        secret: false,
        doc: "Minutes between retention sweeps inside serve (0: never; run `steward retention run` instead).",
    },
    Key {
        name: "backup_keep_days",
        default: "14",
        secret: false,
        doc: "Data backups older than this are overwritten and removed by `steward backup`.",
    },
    Key {
        name: "key_backup_keep_days",
        default: "3",
        secret: false,
        doc: "Key store backups older than this are overwritten and removed by `steward backup`.",
    },
    Key {
        name: "twilio_api_url",
        default: "https://api.twilio.com",
        secret: false,
        doc: "Twilio's API (SMS). Egress refuses every host not named by these *_api_url keys or smtp_url.",
    },
    Key {
        name: "whatsapp_api_url",
        default: "https://graph.facebook.com",
        secret: false,
        doc: "The WhatsApp Business Cloud API.",
    },
    Key {
        name: "razorpay_api_url",
        default: "https://api.razorpay.com",
        secret: false,
        doc: "Razorpay's API (payments).",
    },
    Key {
        name: "twilio_account_sid",
        default: "",
        secret: false,
        doc: "The operator's Twilio account SID (AC…), for SMS one-time codes. Empty: no SMS.",
    },
    Key { name: "twilio_auth_token", default: "", secret: true, doc: "The Twilio account's auth token." },
    Key {
        name: "twilio_from",
        default: "",
        secret: false,
        doc: "The sending number (E.164) or messaging service SID (MG…).",
    },
    Key {
        name: "otlp_endpoint",
        default: "",
        secret: false,
        doc: "An OpenTelemetry collector's OTLP/HTTP address (e.g. http://127.0.0.1:4318): one span per request, routes and ids only. Empty: no export.",
    },
    Key {
        name: "message_lease_seconds",
        default: "60",
        secret: false,
        doc: "How long the message worker's claim on a message lasts; messages a stopped process was sending are sent again (same idempotency key) after this.",
    },
    Key { name: "backup_dir", default: "", secret: false, doc: "Folder for backups. Empty: <data_dir>/backups." },
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
    pub mail_links_on_console: Option<bool>,
    pub default_country_code: Option<String>,
    pub session_idle_minutes: Option<i64>,
    pub login_attempts_per_minute: Option<u32>,
    pub max_connections: Option<u32>,
    pub body_limit_bytes: Option<usize>,
    pub http_header_timeout_seconds: Option<u64>,
    pub http_body_timeout_seconds: Option<u64>,
    pub http_idle_timeout_seconds: Option<u64>,
    pub http_max_connections: Option<usize>,
    pub trusted_proxies: Option<String>,
    pub proxy_header: Option<String>,
    pub metrics_listen: Option<String>,
    pub metrics_token: Option<String>,
    pub log_format: Option<String>,
    pub retention_usage_days: Option<i64>,
    pub retention_security_log_min_days: Option<i64>,
    pub retention_personal_min_days: Option<i64>,
    pub retention_cancellation_grace_days: Option<i64>,
    pub retention_purge_delay_days: Option<i64>,
    pub retention_sweep_minutes: Option<i64>,
    pub backup_keep_days: Option<i64>,
    pub key_backup_keep_days: Option<i64>,
    pub twilio_api_url: Option<String>,
    pub whatsapp_api_url: Option<String>,
    pub razorpay_api_url: Option<String>,
    pub backup_dir: Option<String>,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<String>,
    pub twilio_from: Option<String>,
    pub otlp_endpoint: Option<String>,
    pub message_lease_seconds: Option<i64>,
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
    pub mail_links_on_console: bool,
    pub default_country_code: String,
    pub session_idle_minutes: i64,
    pub login_attempts_per_minute: u32,
    pub max_connections: u32,
    pub body_limit_bytes: usize,
    pub http_header_timeout_seconds: u64,
    pub http_body_timeout_seconds: u64,
    pub http_idle_timeout_seconds: u64,
    pub http_max_connections: usize,
    pub trusted_proxies: TrustedProxies,
    pub metrics_listen: Option<String>,
    pub metrics_token: String,
    pub log_format: String,
    pub retention_usage_days: i64,
    pub retention_security_log_min_days: i64,
    pub retention_personal_min_days: i64,
    pub retention_cancellation_grace_days: i64,
    pub retention_purge_delay_days: i64,
    pub retention_sweep_minutes: i64,
    pub backup_keep_days: i64,
    pub key_backup_keep_days: i64,
    pub twilio_api_url: String,
    pub whatsapp_api_url: String,
    pub razorpay_api_url: String,
    pub backup_dir: PathBuf,
    pub twilio_account_sid: String,
    pub twilio_auth_token: String,
    pub twilio_from: String,
    pub otlp_endpoint: Option<String>,
    pub message_lease_seconds: i64,
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
        fn boolean(key: &str, value: Option<String>) -> Result<Option<bool>, ConfigError> {
            value
                .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => Ok(true),
                    "false" | "0" | "no" => Ok(false),
                    _ => Err(ConfigError::Env {
                        name: format!("STEWARD_{}", key.to_ascii_uppercase()),
                        message: format!("'{v}' is not true or false"),
                    }),
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
            mail_links_on_console: boolean("mail_links_on_console", text("mail_links_on_console"))?,
            default_country_code: text("default_country_code"),
            session_idle_minutes: number("session_idle_minutes", text("session_idle_minutes"))?,
            login_attempts_per_minute: number("login_attempts_per_minute", text("login_attempts_per_minute"))?,
            max_connections: number("max_connections", text("max_connections"))?,
            body_limit_bytes: number("body_limit_bytes", text("body_limit_bytes"))?,
            http_header_timeout_seconds: number("http_header_timeout_seconds", text("http_header_timeout_seconds"))?,
            http_body_timeout_seconds: number("http_body_timeout_seconds", text("http_body_timeout_seconds"))?,
            http_idle_timeout_seconds: number("http_idle_timeout_seconds", text("http_idle_timeout_seconds"))?,
            http_max_connections: number("http_max_connections", text("http_max_connections"))?,
            trusted_proxies: text("trusted_proxies"),
            proxy_header: text("proxy_header"),
            metrics_listen: text("metrics_listen"),
            metrics_token: text("metrics_token"),
            log_format: text("log_format"),
            retention_usage_days: number("retention_usage_days", text("retention_usage_days"))?,
            retention_security_log_min_days: number(
                "retention_security_log_min_days",
                text("retention_security_log_min_days"),
            )?,
            retention_personal_min_days: number("retention_personal_min_days", text("retention_personal_min_days"))?,
            retention_cancellation_grace_days: number(
                "retention_cancellation_grace_days",
                text("retention_cancellation_grace_days"),
            )?,
            retention_purge_delay_days: number("retention_purge_delay_days", text("retention_purge_delay_days"))?,
            retention_sweep_minutes: number("retention_sweep_minutes", text("retention_sweep_minutes"))?,
            backup_keep_days: number("backup_keep_days", text("backup_keep_days"))?,
            key_backup_keep_days: number("key_backup_keep_days", text("key_backup_keep_days"))?,
            twilio_api_url: text("twilio_api_url"),
            whatsapp_api_url: text("whatsapp_api_url"),
            razorpay_api_url: text("razorpay_api_url"),
            backup_dir: text("backup_dir"),
            twilio_account_sid: text("twilio_account_sid"),
            twilio_auth_token: text("twilio_auth_token"),
            twilio_from: text("twilio_from"),
            otlp_endpoint: text("otlp_endpoint"),
            message_lease_seconds: number("message_lease_seconds", text("message_lease_seconds"))?,
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
        let mail_links_on_console = pick!(layers, sources, mail_links_on_console).unwrap_or(false);
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
        let http_header_timeout_seconds = pick!(layers, sources, http_header_timeout_seconds).unwrap_or(10);
        let http_body_timeout_seconds = pick!(layers, sources, http_body_timeout_seconds).unwrap_or(30);
        let http_idle_timeout_seconds = pick!(layers, sources, http_idle_timeout_seconds).unwrap_or(60);
        for (key, value) in [
            ("http_header_timeout_seconds", http_header_timeout_seconds),
            ("http_body_timeout_seconds", http_body_timeout_seconds),
            ("http_idle_timeout_seconds", http_idle_timeout_seconds),
        ] {
            if !(1..=3600).contains(&value) {
                return Err(ConfigError::Invalid { key, message: "must be between 1 and 3600".into() });
            }
        }
        let http_max_connections = pick!(layers, sources, http_max_connections).unwrap_or(4096);
        if !(1..=1_000_000).contains(&http_max_connections) {
            return Err(ConfigError::Invalid {
                key: "http_max_connections",
                message: "must be between 1 and 1000000".into(),
            });
        }
        let proxy_header = pick!(layers, sources, proxy_header)
            .unwrap_or_else(|| "x-forwarded-for".into())
            .parse::<ProxyHeader>()
            .map_err(|e| ConfigError::Invalid { key: "proxy_header", message: e.to_string() })?;
        let trusted_proxies =
            TrustedProxies::parse(&pick!(layers, sources, trusted_proxies).unwrap_or_default(), proxy_header)
                .map_err(|e| ConfigError::Invalid { key: "trusted_proxies", message: e.to_string() })?;
        let metrics_listen = pick!(layers, sources, metrics_listen).filter(|m| !m.is_empty());
        if let Some(address) = &metrics_listen
            && address.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(ConfigError::Invalid {
                key: "metrics_listen",
                message: format!("'{address}' is not an address:port such as 127.0.0.1:9090"),
            });
        }
        let metrics_token = pick!(layers, sources, metrics_token).unwrap_or_default();
        let log_format = pick!(layers, sources, log_format).unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            return Err(ConfigError::Invalid { key: "log_format", message: "must be text or json".into() });
        }
        let retention_usage_days = pick!(layers, sources, retention_usage_days).unwrap_or(395);
        let retention_security_log_min_days = pick!(layers, sources, retention_security_log_min_days).unwrap_or(365);
        let retention_personal_min_days = pick!(layers, sources, retention_personal_min_days).unwrap_or(30);
        let retention_cancellation_grace_days = pick!(layers, sources, retention_cancellation_grace_days).unwrap_or(90);
        let retention_purge_delay_days = pick!(layers, sources, retention_purge_delay_days).unwrap_or(30);
        let retention_sweep_minutes = pick!(layers, sources, retention_sweep_minutes).unwrap_or(60);
        let backup_keep_days = pick!(layers, sources, backup_keep_days).unwrap_or(14);
        let key_backup_keep_days = pick!(layers, sources, key_backup_keep_days).unwrap_or(3);
        let message_lease_seconds = pick!(layers, sources, message_lease_seconds).unwrap_or(60);
        for (key, value, low) in [
            ("retention_usage_days", retention_usage_days, 1),
            ("retention_security_log_min_days", retention_security_log_min_days, 1),
            ("retention_personal_min_days", retention_personal_min_days, 1),
            ("retention_cancellation_grace_days", retention_cancellation_grace_days, 1),
            ("retention_purge_delay_days", retention_purge_delay_days, 1),
            ("retention_sweep_minutes", retention_sweep_minutes, 0),
            ("backup_keep_days", backup_keep_days, 1),
            ("key_backup_keep_days", key_backup_keep_days, 1),
            ("message_lease_seconds", message_lease_seconds, 1),
        ] {
            if !(low..=36_500).contains(&value) {
                return Err(ConfigError::Invalid { key, message: format!("must be between {low} and 36500") });
            }
        }
        let limits = steward_domain::retention::Limits {
            usage_days: retention_usage_days,
            security_log_min_days: retention_security_log_min_days,
            personal_min_days: retention_personal_min_days,
            cancellation_grace_days: retention_cancellation_grace_days,
            purge_delay_days: retention_purge_delay_days,
        };
        if let Err(error) = limits.validate() {
            return Err(ConfigError::Invalid { key: "retention_purge_delay_days", message: error.to_string() });
        }
        let twilio_api_url = pick!(layers, sources, twilio_api_url).unwrap_or_else(|| "https://api.twilio.com".into());
        if !(twilio_api_url.starts_with("https://") || twilio_api_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "twilio_api_url",
                message: "must start with https:// (or http:// for a local test server)".into(),
            });
        }
        let whatsapp_api_url =
            pick!(layers, sources, whatsapp_api_url).unwrap_or_else(|| "https://graph.facebook.com".into());
        if !(whatsapp_api_url.starts_with("https://") || whatsapp_api_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "whatsapp_api_url",
                message: "must start with https:// (or http:// for a local test server)".into(),
            });
        }
        let razorpay_api_url =
            pick!(layers, sources, razorpay_api_url).unwrap_or_else(|| "https://api.razorpay.com".into());
        if !(razorpay_api_url.starts_with("https://") || razorpay_api_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "razorpay_api_url",
                message: "must start with https:// (or http:// for a local test server)".into(),
            });
        }
        let backup_dir =
            pick!(layers, sources, backup_dir).map(PathBuf::from).unwrap_or_else(|| data_dir.join("backups"));
        let twilio_account_sid = pick!(layers, sources, twilio_account_sid).unwrap_or_default();
        let twilio_auth_token = pick!(layers, sources, twilio_auth_token).unwrap_or_default();
        let twilio_from = pick!(layers, sources, twilio_from).unwrap_or_default();
        let otlp_endpoint = pick!(layers, sources, otlp_endpoint).filter(|e| !e.is_empty());
        if let Some(endpoint) = &otlp_endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                key: "otlp_endpoint",
                message: "must start with http:// or https://".into(),
            });
        }
        if !twilio_account_sid.is_empty() && (twilio_auth_token.is_empty() || twilio_from.is_empty()) {
            return Err(ConfigError::Invalid {
                key: "twilio_account_sid",
                message: "needs twilio_auth_token and twilio_from as well".into(),
            });
        }
        Ok(Config {
            message_lease_seconds,
            retention_usage_days,
            retention_security_log_min_days,
            retention_personal_min_days,
            retention_cancellation_grace_days,
            retention_purge_delay_days,
            retention_sweep_minutes,
            backup_keep_days,
            key_backup_keep_days,
            twilio_api_url,
            whatsapp_api_url,
            razorpay_api_url,
            backup_dir,
            twilio_account_sid,
            twilio_auth_token,
            twilio_from,
            otlp_endpoint,
            data_dir,
            database_url,
            listen,
            base_url,
            master_key_file,
            smtp_url,
            mail_from,
            mail_links_on_console,
            default_country_code,
            session_idle_minutes,
            login_attempts_per_minute,
            max_connections,
            body_limit_bytes,
            http_header_timeout_seconds,
            http_body_timeout_seconds,
            http_idle_timeout_seconds,
            http_max_connections,
            trusted_proxies,
            metrics_listen,
            metrics_token,
            log_format,
            sources,
        })
    }

    /// The retention limits tenants choose within.
    pub fn retention_limits(&self) -> steward_domain::retention::Limits {
        steward_domain::retention::Limits {
            usage_days: self.retention_usage_days,
            security_log_min_days: self.retention_security_log_min_days,
            personal_min_days: self.retention_personal_min_days,
            cancellation_grace_days: self.retention_cancellation_grace_days,
            purge_delay_days: self.retention_purge_delay_days,
        }
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
            ("mail_links_on_console", self.mail_links_on_console.to_string()),
            ("default_country_code", self.default_country_code.clone()),
            ("session_idle_minutes", self.session_idle_minutes.to_string()),
            ("login_attempts_per_minute", self.login_attempts_per_minute.to_string()),
            ("max_connections", self.max_connections.to_string()),
            ("body_limit_bytes", self.body_limit_bytes.to_string()),
            ("http_header_timeout_seconds", self.http_header_timeout_seconds.to_string()),
            ("http_body_timeout_seconds", self.http_body_timeout_seconds.to_string()),
            ("http_idle_timeout_seconds", self.http_idle_timeout_seconds.to_string()),
            ("http_max_connections", self.http_max_connections.to_string()),
            ("trusted_proxies", self.trusted_proxies.to_string()),
            ("proxy_header", self.trusted_proxies.header().name().to_string()),
            ("metrics_listen", self.metrics_listen.clone().unwrap_or_default()),
            ("metrics_token", if self.metrics_token.is_empty() { String::new() } else { "****".into() }),
            ("log_format", self.log_format.clone()),
            ("retention_usage_days", self.retention_usage_days.to_string()),
            ("retention_security_log_min_days", self.retention_security_log_min_days.to_string()),
            ("retention_personal_min_days", self.retention_personal_min_days.to_string()),
            ("retention_cancellation_grace_days", self.retention_cancellation_grace_days.to_string()),
            ("retention_purge_delay_days", self.retention_purge_delay_days.to_string()),
            ("retention_sweep_minutes", self.retention_sweep_minutes.to_string()),
            ("backup_keep_days", self.backup_keep_days.to_string()),
            ("key_backup_keep_days", self.key_backup_keep_days.to_string()),
            ("twilio_api_url", self.twilio_api_url.clone()),
            ("whatsapp_api_url", self.whatsapp_api_url.clone()),
            ("razorpay_api_url", self.razorpay_api_url.clone()),
            ("backup_dir", self.backup_dir.display().to_string()),
            ("twilio_account_sid", self.twilio_account_sid.clone()),
            ("twilio_auth_token", if self.twilio_auth_token.is_empty() { String::new() } else { "****".into() }),
            ("twilio_from", self.twilio_from.clone()),
            ("otlp_endpoint", self.otlp_endpoint.clone().unwrap_or_default()),
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
