//! Configuration: defaults < `steward.toml` < `STEWARD_*` environment < command-line flags.
//!
//! Every key is declared once, in the table below: its name, type, default, documentation,
//! whether it is a secret, its flag, and how its value is checked. The file reader, the
//! environment variables (`STEWARD_<KEY>`), the flags, [`Config`] and its fields,
//! `steward config`, and the example file `steward.example.toml` (`steward config
//! --example`, kept current by a test) all come from it (the machinery is in `table.rs`).
//! Adding a key is one entry here, plus the code that uses its value.

mod table;

use table::declare_keys;
pub use table::{ConfigError, KeyFlags, example_file};

use std::ops::RangeInclusive;
use std::path::PathBuf;
use steward_store::tx::redact_url;
use steward_web::client_address::{ProxyHeader, TrustedProxies};

declare_keys! {
    /// Folder for the SQLite database and the master key file.
    data_dir: String = "./steward-data", flag "DIR", read PathBuf = path;

    /// sqlite://PATH or postgres://USER@HOST/DB. Empty: sqlite://<data_dir>/steward.db.
    database_url: String = "", secret redact_url, flag "URL",
        read String = |url| Ok(or_derived(url, || format!("sqlite://{}", data_dir.join("steward.db").display())));

    /// Address and port to serve on (port 0 picks a free port).
    listen: String = "127.0.0.1:8080", flag "ADDR", check socket_address("127.0.0.1:8080");

    /// Where members reach Steward, for links in mail. Empty: http://localhost:<port>.
    base_url: String = "", flag "URL", read Option<String> = |url| optional(url).map(web_address).transpose();

    /// File holding the master key (64 hex characters, mode 0600); created if missing.
    /// Empty: <data_dir>/master.key. STEWARD_MASTER_KEY (hex) overrides the file.
    master_key_file: String = "",
        read PathBuf = |file| Ok(optional(file).map(PathBuf::from).unwrap_or_else(|| data_dir.join("master.key")));

    /// Outgoing mail: smtp://host:port, smtp://host?tls=required, smtps://user:pass@host.
    /// Empty: links are printed on the console.
    smtp_url: String = "", secret redact_url, flag "URL", read Option<String> = |url| Ok(optional(url));

    /// Sender of member mail.
    mail_from: String = "Steward <no-reply@localhost>";

    /// true: without smtp_url, print each mail's kind and link (password resets, export
    /// downloads: secrets) on the console, as `steward demo` does. false: such mail is not sent.
    mail_links_on_console: bool = false;

    /// Country code for phone numbers written without one.
    default_country_code: String = "+91", check country_code;

    /// Minutes a login session may be idle before it ends.
    session_idle_minutes: i64 = 720, check within(5..=60 * 24 * 30);

    /// Log-in attempts one network address may make per minute (wrong passwords also lock
    /// an account for browsers its member never used).
    login_attempts_per_minute: u32 = 10, check within(1..=100_000);

    /// Largest number of database connections in the pool.
    max_connections: u32 = 16, check within(2..=1000);

    /// SQLite only: MiB of memory the page caches of all connections may hold together
    /// (half for the writer, half shared by the readers). More keeps more of a large
    /// database in memory; pages outside it are read again from the system's file cache.
    sqlite_cache_mib: u32 = 16, check within(1..=65536);

    /// Largest request body accepted.
    body_limit_bytes: usize = 65536, check within(1024..=64 * 1024 * 1024);

    /// Seconds a connection has to send a whole request head (from its start, or from the
    /// first byte of its next request); then it is closed.
    http_header_timeout_seconds: u64 = 10, check within(1..=3600);

    /// Longest pause while a request body arrives; then the request gets 408 and the
    /// connection is closed.
    http_body_timeout_seconds: u64 = 30, check within(1..=3600);

    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    http_idle_timeout_seconds: u64 = 60, check within(1..=3600);

    /// Connections served at once; more wait to be accepted. Lowered at start to fit the
    /// open-file limit.
    http_max_connections: usize = 4096, check within(1..=1_000_000);

    /// The header the trusted proxies append the client to: x-forwarded-for or forwarded
    /// (RFC 7239). Only this one is read.
    proxy_header: String = "x-forwarded-for",
        read ProxyHeader = |header| header.parse().map_err(|e: steward_web::client_address::ProxySettingError| e.to_string());

    /// Comma-separated addresses or CIDR ranges of reverse proxies (e.g. "127.0.0.1,
    /// 10.0.0.0/8") whose proxy_header names the client, for rate limits and logs. Empty:
    /// the TCP peer is the client.
    trusted_proxies: String = "",
        read TrustedProxies = |list| TrustedProxies::parse(&list, proxy_header).map_err(|e| e.to_string());

    /// A separate address:port serving only /metrics, to anyone who reaches it (keep it
    /// private). Empty: /metrics on the main listener.
    metrics_listen: String = "",
        read Option<String> = |address| optional(address).map(socket_address("127.0.0.1:9090")).transpose();

    /// A bearer token that /metrics then requires (Authorization: Bearer ...), on either
    /// listener. Empty: the main listener answers /metrics to loopback only, and not at all
    /// while trusted_proxies or metrics_listen is set.
    metrics_token: String = "", secret hide;

    /// text or json (one JSON object per line, for log collectors).
    log_format: String = "text", check |format: String| match format.as_str() {
        "text" | "json" => Ok(format),
        _ => Err("must be text or json".to_string()),
    };

    /// Usage records are kept this many days at most; tenants may choose fewer.
    retention_usage_days: i64 = 395, check within(1..=36_500);

    /// The fewest days a tenant may keep its security logs (the default keeps them while
    /// the account is active).
    retention_security_log_min_days: i64 = 365, check within(1..=36_500);

    /// The fewest days of inactivity after which a tenant may have customers deleted.
    retention_personal_min_days: i64 = 30, check within(1..=36_500);

    /// Days a cancelled business may come back before it is terminated.
    retention_cancellation_grace_days: i64 = 90, check within(1..=36_500);

    /// Days after termination until every record of the business is deleted (at most 90;
    /// grace + delay at most 180).
    retention_purge_delay_days: i64 = 30, check within(1..=36_500);

    /// Minutes between retention sweeps inside serve (0: never; run `steward retention
    /// run` instead).
    retention_sweep_minutes: i64 = 60, check within(0..=36_500);

    /// Folder for backups. Empty: <data_dir>/backups.
    backup_dir: String = "",
        read PathBuf = |dir| Ok(optional(dir).map(PathBuf::from).unwrap_or_else(|| data_dir.join("backups")));

    /// Data backups older than this are overwritten and removed by `steward backup`.
    backup_keep_days: i64 = 14, check within(1..=36_500);

    /// Key store backups older than this are overwritten and removed by `steward backup`.
    key_backup_keep_days: i64 = 3, check within(1..=36_500);

    /// Twilio's API (SMS). Egress refuses every host not named by these *_api_url keys or
    /// smtp_url.
    twilio_api_url: String = "https://api.twilio.com", check api_address;

    /// The WhatsApp Business Cloud API.
    whatsapp_api_url: String = "https://graph.facebook.com", check api_address;

    /// Razorpay's API (payments).
    razorpay_api_url: String = "https://api.razorpay.com", check api_address;

    /// The operator's Twilio account SID (AC…), for SMS one-time codes. Empty: no SMS.
    twilio_account_sid: String = "";

    /// The Twilio account's auth token.
    twilio_auth_token: String = "", secret hide;

    /// The sending number (E.164) or messaging service SID (MG…).
    twilio_from: String = "";

    /// An OpenTelemetry collector's OTLP/HTTP address (e.g. http://127.0.0.1:4318): one
    /// span per request, routes and ids only. Empty: no export.
    otlp_endpoint: String = "", read Option<String> = |url| optional(url).map(web_address).transpose();

    /// How long the message worker's claim on a message lasts; messages a stopped process
    /// was sending are sent again (same idempotency key) after this.
    message_lease_seconds: i64 = 60, check within(1..=36_500);
}

impl Config {
    /// The checks that involve more than one key, after each key has passed its own.
    fn check_together(&self) -> Result<(), ConfigError> {
        if let Err(error) = self.retention_limits().validate() {
            return Err(ConfigError::Invalid { key: "retention_purge_delay_days", message: error.to_string() });
        }
        if !self.twilio_account_sid.is_empty() && (self.twilio_auth_token.is_empty() || self.twilio_from.is_empty()) {
            return Err(ConfigError::Invalid {
                key: "twilio_account_sid",
                message: "needs twilio_auth_token and twilio_from as well".into(),
            });
        }
        Ok(())
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
}

// What the table's `check` and `read` use. An empty text is "not given" for the keys whose
// documentation gives a fallback for "Empty", in every layer alike.

fn optional(text: String) -> Option<String> {
    Some(text).filter(|text| !text.is_empty())
}

fn or_derived(text: String, derived: impl FnOnce() -> String) -> String {
    optional(text).unwrap_or_else(derived)
}

fn path(text: String) -> Result<PathBuf, String> {
    Ok(PathBuf::from(text))
}

fn within<T: PartialOrd + std::fmt::Display>(range: RangeInclusive<T>) -> impl FnOnce(T) -> Result<T, String> {
    move |value| {
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(format!("must be between {} and {}", range.start(), range.end()))
        }
    }
}

fn socket_address(example: &'static str) -> impl Fn(String) -> Result<String, String> {
    move |address| match address.parse::<std::net::SocketAddr>() {
        Ok(_) => Ok(address),
        Err(_) => Err(format!("'{address}' is not an address:port such as {example}")),
    }
}

fn web_address(url: String) -> Result<String, String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err("must start with http:// or https://".into())
    }
}

/// A sub-processor's API: plain HTTP only for a local test server.
fn api_address(url: String) -> Result<String, String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url)
    } else {
        Err("must start with https:// (or http:// for a local test server)".into())
    }
}

fn country_code(code: String) -> Result<String, String> {
    if code.len() >= 2 && code.starts_with('+') && code[1..].chars().all(|c| c.is_ascii_digit()) {
        Ok(code)
    } else {
        Err("must look like +91".into())
    }
}

/// A secret that is not a URL: shown only as set or not.
fn hide(value: &str) -> String {
    if value.is_empty() { String::new() } else { "****".into() }
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
        assert!(config.sources.contains(&("max_connections", "default")));
    }

    #[test]
    fn bad_values_name_the_key() {
        let bad = Layer { listen: Some("nowhere".into()), ..Default::default() };
        let err = Config::resolve(&[("file", bad)]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("listen: 'nowhere' is not an address:port such as 127.0.0.1:8080"));
        let low = Layer { session_idle_minutes: Some(1), ..Default::default() };
        let err = Config::resolve(&[("file", low)]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("session_idle_minutes: must be between 5 and 43200"));
        let env = Layer::from_env(|k| (k == "STEWARD_MAX_CONNECTIONS").then(|| "many".to_string()))
            .err()
            .map(|e| e.to_string());
        assert_eq!(env.as_deref(), Some("environment variable STEWARD_MAX_CONNECTIONS: 'many' is not a whole number"));
        let env = Layer::from_env(|k| (k == "STEWARD_MAIL_LINKS_ON_CONSOLE").then(|| "maybe".to_string()))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            env.as_deref(),
            Some("environment variable STEWARD_MAIL_LINKS_ON_CONSOLE: 'maybe' is not true or false")
        );
        let lonely = Layer { twilio_account_sid: Some("AC1".into()), ..Default::default() };
        let err = Config::resolve(&[("file", lonely)]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("twilio_account_sid: needs twilio_auth_token and twilio_from as well"));
    }

    #[test]
    fn secrets_are_redacted() {
        let layer = Layer {
            database_url: Some("postgres://app:hunter2secret@db/steward".into()),
            smtp_url: Some("smtps://mailer:pa55word@relay".into()),
            metrics_token: Some("t0kensecret".into()),
            twilio_account_sid: Some("AC1".into()),
            twilio_auth_token: Some("tw1liosecret".into()),
            twilio_from: Some("+15550100".into()),
            ..Default::default()
        };
        let text = Config::resolve(&[("file", layer)]).unwrap().describe(None);
        for secret in ["hunter2secret", "pa55word", "t0kensecret", "tw1liosecret"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("metrics_token = \"****\"  # file"), "{text}");
    }

    /// Every key is read from `STEWARD_<KEY>`, and nothing else is asked for.
    #[test]
    fn every_key_has_its_environment_variable() {
        let asked = std::cell::RefCell::new(Vec::new());
        Layer::from_env(|name| {
            asked.borrow_mut().push(name.to_string());
            None
        })
        .unwrap();
        let expected: Vec<String> = KEYS.iter().map(|key| table::env_var(key.name)).collect();
        assert_eq!(asked.into_inner(), expected);
        assert!(expected.contains(&"STEWARD_LOGIN_ATTEMPTS_PER_MINUTE".to_string()));
    }

    /// The flags a key declares are global flags named after it, and a flag beats the
    /// environment.
    #[test]
    fn flags_come_from_the_table() {
        use clap::{Args, FromArgMatches};
        let command = KeyFlags::augment_args(clap::Command::new("steward"));
        let longs: Vec<&str> = command.get_arguments().filter_map(|arg| arg.get_long()).collect();
        assert_eq!(longs, ["data-dir", "database-url", "listen", "base-url", "smtp-url"]);
        let matches = command.get_matches_from(["steward", "--listen", "127.0.0.1:9300", "--data-dir", "/srv/steward"]);
        let flags = Layer::from_flags(&KeyFlags::from_arg_matches(&matches).unwrap()).unwrap();
        let env = Layer::from_env(|name| (name == "STEWARD_LISTEN").then(|| "127.0.0.1:9301".to_string())).unwrap();
        let config = Config::resolve(&[("environment", env), ("flag", flags)]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9300");
        assert_eq!(config.master_key_file, PathBuf::from("/srv/steward/master.key"));
        assert!(config.sources.contains(&("data_dir", "flag")));
    }

    /// The example file, with every line uncommented, gives exactly the defaults.
    #[test]
    fn the_example_file_states_the_defaults() {
        let uncommented: String = example_file()
            .lines()
            .filter_map(|line| line.strip_prefix("# "))
            .filter(|line| KEYS.iter().any(|key| line.starts_with(&format!("{} = ", key.name))))
            .map(|line| format!("{line}\n"))
            .collect();
        let layer: Layer = toml::from_str(&uncommented).unwrap();
        let from_file = Config::resolve(&[("file", layer)]).unwrap().describe(None);
        let defaults = Config::resolve(&[]).unwrap().describe(None);
        assert_eq!(from_file.replace("  # file\n", "  # default\n"), defaults);
        assert_eq!(uncommented.lines().count(), KEYS.len());
    }

    #[test]
    fn example_file_documents_every_key_and_is_current() {
        let generated = example_file();
        for key in KEYS {
            assert!(generated.contains(&format!("\n# {} = ", key.name)));
        }
        let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../steward.example.toml"))
            .unwrap_or_default();
        assert_eq!(committed, generated, "run: cargo run -q -p steward -- config --example > steward.example.toml");
    }
}
