//! Start-up: configuration, logging, the master key, the store and the services, with a
//! clear message for each thing that can be wrong.

use crate::cli::GlobalFlags;
use crate::config::{Config, ConfigError, Layer};
use std::path::Path;
use steward_app::mail::Mailer;
use steward_app::{App, AppSettings};
use steward_crypto::master_key::MasterKey;
use steward_store::{Store, StoreKind};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("master key: {0}")]
    Key(#[from] steward_crypto::CryptoError),
    #[error("STEWARD_MASTER_KEY must be 64 hexadecimal characters")]
    KeyEnv,
    #[error("database: {0}")]
    Store(#[from] steward_store::StoreError),
    #[error(
        "the database schema is at version {found}, this Steward needs {needed}: run `steward migrate` as the owner role first"
    )]
    SchemaBehind { found: i64, needed: i64 },
    #[error("mail: {0}")]
    Mail(#[from] steward_app::mail::MailError),
    #[error("{0}")]
    App(#[from] steward_app::AppError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
    #[error("sub-processor endpoints: {0}")]
    Egress(String),
}

/// Loads the configuration layers for this invocation.
pub fn load_config(flags: &GlobalFlags) -> Result<Config, StartError> {
    let file = match &flags.config {
        Some(path) => Layer::from_file(path, true)?,
        None => Layer::from_file(Path::new("steward.toml"), false)?,
    };
    let env = Layer::from_env(|name| std::env::var(name).ok())?;
    let flag_layer = Layer::from_flags(&flags.keys)?;
    Ok(Config::resolve(&[("steward.toml", file), ("environment", env), ("flag", flag_layer)])?)
}

pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::logging::BackgroundWriter::stderr())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // A second initialisation (tests) is harmless; the first one wins.
    let _ = if config.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
}

pub fn load_master_key(config: &Config) -> Result<MasterKey, StartError> {
    match std::env::var("STEWARD_MASTER_KEY") {
        Ok(hex) if !hex.is_empty() => MasterKey::from_hex(&hex).ok_or(StartError::KeyEnv),
        _ => Ok(MasterKey::load_or_create(&config.master_key_file)?),
    }
}

/// Opens the store. SQLite is migrated in place (it is the embedded default, one
/// process owns it); PostgreSQL must already be migrated by the owner role, and must
/// enforce row-level security against the role Steward connects as.
pub async fn open_store(config: &Config) -> Result<Store, StartError> {
    let cache = steward_store::sqlite::CacheBudget { mib: config.sqlite_cache_mib };
    let store = Store::open_with_cache(&config.database_url, config.max_connections, cache).await?;
    match store.kind() {
        StoreKind::Sqlite => {
            store.migrate().await?;
            store.publish_policy_versions().await?;
        }
        StoreKind::Postgres => {
            let found = store.schema_version().await?;
            let needed = store.latest_known_version();
            if found < needed {
                return Err(StartError::SchemaBehind { found, needed });
            }
            store.verify_isolation().await?;
        }
    }
    Ok(store)
}

/// Ends a command that ran Steward's services: seals the audit events it committed (on
/// PostgreSQL a server's sealer would not know of them until it restarts or the log is
/// read), then closes the store.
pub async fn close_app(app: &App) {
    steward_app::audit::sealer::seal_marked(app).await;
    app.store.close().await;
}

/// Builds the services for a store.
pub fn build_app(config: &Config, store: Store, master_key: MasterKey, port: Option<u16>) -> Result<App, StartError> {
    let base_url = config.base_url.clone().unwrap_or_else(|| format!("http://localhost:{}", port.unwrap_or(8080)));
    let settings = AppSettings {
        base_url,
        default_country_code: config.default_country_code.clone(),
        session_idle_minutes: config.session_idle_minutes,
        login_attempts_per_minute: config.login_attempts_per_minute,
        retention: config.retention_limits(),
        message_lease_seconds: config.message_lease_seconds,
        backup_keep_days: config.backup_keep_days,
        key_backup_keep_days: config.key_backup_keep_days,
        processor_endpoints: vec![
            ("twilio".into(), config.twilio_api_url.clone()),
            ("whatsapp".into(), config.whatsapp_api_url.clone()),
            ("razorpay".into(), config.razorpay_api_url.clone()),
        ],
        ..AppSettings::default()
    };
    let mailer = Mailer::new(config.smtp_url.as_deref(), &config.mail_from, config.mail_links_on_console)?;
    let mut app = App::new(store, settings, master_key, mailer).map_err(|e| StartError::Egress(e.to_string()))?;
    if !config.twilio_account_sid.is_empty() {
        app.sms = Some(std::sync::Arc::new(steward_app::messaging::twilio::Twilio {
            base_url: config.twilio_api_url.clone(),
            account_sid: config.twilio_account_sid.clone(),
            auth_token: config.twilio_auth_token.clone().into(),
            from: config.twilio_from.clone(),
        }));
    }
    if let Some(endpoint) = &config.otlp_endpoint {
        app.telemetry = Some(steward_app::telemetry::Telemetry::start(endpoint, app.egress.plain_client(), "steward"));
    }
    Ok(app)
}
