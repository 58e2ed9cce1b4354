//! Steward's services, one folder per capability. They take validated input, open the
//! right transaction, apply the domain's rules and return typed results; they know
//! nothing of HTTP.

pub mod access;
pub mod audit;
pub mod booking;
pub mod clock;
pub mod customers;
pub mod diagnostics;
pub mod egress;
pub mod error;
pub mod key_rotation;
pub mod keys;
pub mod mail;
pub mod messaging;
pub mod privacy;
pub mod rate_limit;
pub mod reports;
pub mod retention;
pub mod schedule;
pub mod telemetry;
pub mod tenancy;
pub mod usage;

use std::sync::Arc;
use steward_crypto::master_key::MasterKey;
use steward_store::Store;

pub use error::AppError;

/// Settings the services need, taken from the deployment's configuration.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Where members reach Steward, for links in mail (`https://crm.example.in`).
    pub base_url: String,
    /// Country code for phone numbers written without one.
    pub default_country_code: String,
    /// Minutes a login session may be idle before it ends.
    pub session_idle_minutes: i64,
    /// Log-in and password-reset attempts allowed per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Requests slower than this many milliseconds appear in the tenant's problems view.
    pub slow_request_ms: u64,
    /// How long data is kept, within the promises; tenants choose within these.
    pub retention: steward_domain::retention::Limits,
    /// Base URLs of the sub-processors' APIs, by processor id (the SMTP relay comes from the
    /// mailer). Egress refuses every other host.
    pub processor_endpoints: Vec<(String, String)>,
    /// How long the message worker's claim on a message lasts; a claim left by a process
    /// that died is taken up again after this.
    pub message_lease_seconds: i64,
    /// Days data backups are kept before they are overwritten (the notice says so).
    pub backup_keep_days: i64,
    /// Days key store backups are kept before they are overwritten.
    pub key_backup_keep_days: i64,
}

/// The sub-processors' real API addresses.
pub fn default_processor_endpoints() -> Vec<(String, String)> {
    [
        ("twilio", "https://api.twilio.com"),
        ("whatsapp", "https://graph.facebook.com"),
        ("razorpay", "https://api.razorpay.com"),
    ]
    .into_iter()
    .map(|(id, url)| (id.to_string(), url.to_string()))
    .collect()
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            base_url: "http://localhost:8080".into(),
            default_country_code: "+91".into(),
            session_idle_minutes: 12 * 60,
            login_attempts_per_minute: 10,
            slow_request_ms: 1_000,
            retention: steward_domain::retention::Limits::default(),
            processor_endpoints: default_processor_endpoints(),
            message_lease_seconds: 60,
            backup_keep_days: 14,
            key_backup_keep_days: 3,
        }
    }
}

/// Everything a service call needs; cheap to clone, shared by all requests.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub settings: Arc<AppSettings>,
    pub master_key: Arc<MasterKey>,
    pub mailer: mail::Mailer,
    pub clock: clock::Clock,
    pub login_limiter: Arc<rate_limit::RateLimiter>,
    /// Sign-ups from the public page, per address, network and email.
    pub signup_limits: Arc<rate_limit::SignupLimits>,
    /// Log-ins from each trusted browser (`access/devices.rs`), which the lockout lets by.
    pub device_limiter: Arc<rate_limit::RateLimiter>,
    pub token_cache: Arc<access::token_cache::TokenCache>,
    pub keys: Arc<keys::KeyRing>,
    pub import_jobs: Arc<customers::import::jobs::ImportJobs>,
    /// Slots held from the public booking page, per address.
    pub hold_limiter: Arc<rate_limit::RateLimiter>,
    /// Staff members' busy time, reused by availability while it is current.
    pub busy_cache: Arc<booking::availability::BusyCache>,
    /// Each tenant's recent failed and slow requests.
    pub problems: Arc<diagnostics::Problems>,
    /// The one outbound client.
    pub egress: egress::Egress,
    /// Privacy requests from the public page, per address and per identifier.
    pub privacy_limiter: Arc<rate_limit::RateLimiter>,
    /// The operator's SMS account, when one is configured.
    pub sms: Option<Arc<dyn messaging::SmsProvider>>,
    /// The OpenTelemetry exporter, when an OTLP endpoint is configured.
    pub telemetry: Option<telemetry::Telemetry>,
}

impl App {
    /// Fails only when the configured sub-processor endpoints are not valid.
    pub fn new(
        store: Store,
        settings: AppSettings,
        master_key: MasterKey,
        mailer: mail::Mailer,
    ) -> Result<Self, egress::EgressError> {
        let login_limiter = Arc::new(rate_limit::RateLimiter::new(settings.login_attempts_per_minute, 60));
        let mut endpoints: Vec<(&str, String)> =
            settings.processor_endpoints.iter().map(|(id, url)| (id.as_str(), url.clone())).collect();
        if let Some(host) = mailer.relay_host() {
            endpoints.push(("smtp", format!("smtp://{host}")));
        }
        let endpoints: Vec<(&str, &str)> = endpoints.iter().map(|(id, url)| (*id, url.as_str())).collect();
        let egress = egress::Egress::new(&endpoints)?;
        Ok(Self {
            store,
            settings: Arc::new(settings),
            master_key: Arc::new(master_key),
            mailer,
            clock: clock::Clock::system(),
            login_limiter,
            signup_limits: Arc::default(),
            device_limiter: Arc::new(rate_limit::RateLimiter::new(10, 15 * 60)),
            token_cache: Arc::default(),
            keys: Arc::default(),
            import_jobs: Arc::default(),
            hold_limiter: Arc::new(rate_limit::RateLimiter::new(30, 60)),
            busy_cache: Arc::default(),
            problems: Arc::default(),
            egress,
            privacy_limiter: Arc::new(rate_limit::RateLimiter::new(5, 600)),
            sms: None,
            telemetry: None,
        })
    }

    /// The current instant, in microseconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The current instant, typed.
    pub fn now_timestamp(&self) -> steward_domain::time::Timestamp {
        steward_domain::time::Timestamp::from_micros(self.clock.now())
    }

    /// Answers when the database does (for `/readyz` and the start of `serve`), with what
    /// its configuration leaves undone.
    pub async fn database_ready(&self) -> Result<Vec<steward_store::DatabaseWarning>, AppError> {
        Ok(self.store.ping().await?)
    }

    /// Which database Steward runs on: `sqlite` or `postgres`.
    pub fn database_name(&self) -> &'static str {
        self.store.kind().name()
    }

    /// A link into Steward, for mail.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.settings.base_url.trim_end_matches('/'), path)
    }
}
