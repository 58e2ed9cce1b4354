//! The test harness: a fresh database and a running server per test, a small browser-like
//! client that keeps cookies and CSRF tokens, an API client, fixtures, and the local SMTP
//! server (aiosmtpd) that receives Steward's real mail.

#![allow(dead_code)]

use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use steward_app::access::auth::{self, ClientInfo};
use steward_app::access::principal::Principal;
use steward_app::clock::Clock;
use steward_app::mail::Mailer;
use steward_app::tenancy::{self, NewTenant};
use steward_app::{App, AppSettings};
use steward_crypto::master_key::MasterKey;
use steward_domain::ids::TenantId;
use steward_store::{Store, StoreKind};

pub const PASSWORD: &str = "correct horse battery";

/// Whether this run must not skip anything (CI sets CI=true).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips a test that needs something absent, loudly; under CI it fails instead.
pub fn skip_or_fail(what: &str) {
    if in_ci() {
        panic!("CI=true but {what} is not available");
    }
    eprintln!("SKIPPED: {what} is not available on this machine");
}

/// An admin connection to PostgreSQL for the tests that need it whatever the backend
/// under test: `STEWARD_TEST_POSTGRES_ADMIN_URL`, else `STEWARD_TEST_DATABASE_URL`.
pub fn postgres_admin_url() -> Option<String> {
    ["STEWARD_TEST_POSTGRES_ADMIN_URL", "STEWARD_TEST_DATABASE_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|u| !u.is_empty()))
}

/// Whether the whole suite runs on PostgreSQL (`STEWARD_TEST_DATABASE_URL` is set).
pub fn suite_on_postgres() -> bool {
    std::env::var("STEWARD_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// A scratch folder removed when dropped.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!("steward-{label}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("scratch dir");
        Self(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A PostgreSQL database made for one test, dropped afterwards.
pub struct PgDatabase {
    pub admin_url: String,
    pub name: String,
    pub owner_url: String,
    pub app_url: String,
}

pub const PG_OWNER_ROLE: &str = "steward_test_owner";
pub const PG_APP_ROLE: &str = "steward_test_app";

fn with_user_and_db(admin_url: &str, user: &str, db: &str) -> String {
    let (scheme, rest) = admin_url.split_once("://").expect("postgres URL");
    let host_and_path = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let host = host_and_path.split('/').next().unwrap_or(host_and_path);
    format!("{scheme}://{user}@{host}/{db}")
}

impl PgDatabase {
    /// A database for one test; on a Citus coordinator, a Citus database of the cluster.
    pub async fn create(admin_url: &str) -> Self {
        Self::create_on(admin_url, true).await
    }

    /// A database of one PostgreSQL even on a Citus coordinator (the extension left out):
    /// what an operator moves onto the cluster.
    pub async fn create_plain(admin_url: &str) -> Self {
        Self::create_on(admin_url, false).await
    }

    async fn create_on(admin_url: &str, join_the_cluster: bool) -> Self {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(admin_url).await.expect("connect as the PostgreSQL admin");
        for (role, extra) in [(PG_OWNER_ROLE, ""), (PG_APP_ROLE, " NOBYPASSRLS")] {
            let sql = format!(
                "DO $$ BEGIN CREATE ROLE {role} LOGIN NOSUPERUSER{extra}; \
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.expect("create test role");
        }
        let name = format!("steward_t_{}", uuid::Uuid::new_v4().simple());
        if join_the_cluster {
            // Four shards per table rather than Citus's 32: each test distributes a whole
            // schema, and placement, not the number of shards, is what the suite proves.
            steward_store::citus::create_database(admin_url, &name, PG_OWNER_ROLE, Some(4))
                .await
                .expect("create test database");
        } else {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} OWNER {PG_OWNER_ROLE}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
        }
        let _ = admin.close().await;
        Self {
            admin_url: admin_url.to_string(),
            owner_url: with_user_and_db(admin_url, PG_OWNER_ROLE, &name),
            app_url: with_user_and_db(admin_url, PG_APP_ROLE, &name),
            name,
        }
    }

    /// Migrates as the owner and grants the runtime role, as `steward migrate --grant-to` does.
    pub async fn migrate(&self) {
        let owner = Store::open(&self.owner_url, 2).await.expect("connect as owner");
        owner.migrate().await.expect("migrate");
        owner.publish_policy_versions().await.expect("publish policies");
        owner.grant_runtime_role(PG_APP_ROLE).await.expect("grant");
        owner.close().await;
    }
}

/// The workers of a Citus cluster whose coordinator the admin connection reaches (`None`:
/// one PostgreSQL).
pub async fn citus_workers(admin: &mut sqlx::PgConnection) -> Option<Vec<(String, i32)>> {
    steward_store::citus::workers(admin).await.expect("look for citus")
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async code; a short-lived runtime on its own thread cleans up.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(steward_store::citus::drop_database(&admin_url, &name));
        })
        .join();
    }
}

/// Where a test's data lives.
pub enum TestDb {
    Sqlite(ScratchDir),
    Postgres(PgDatabase),
}

impl TestDb {
    pub async fn fresh(force_postgres: bool) -> (Self, Store) {
        match postgres_admin_url().filter(|_| force_postgres || suite_on_postgres()) {
            Some(admin) => {
                let db = PgDatabase::create(&admin).await;
                db.migrate().await;
                let store = Store::open(&db.app_url, 8).await.expect("connect as the runtime role");
                store.verify_isolation().await.expect("row-level security is enforced");
                (TestDb::Postgres(db), store)
            }
            None => Self::sqlite().await,
        }
    }

    /// A fresh SQLite database, even when the suite runs on PostgreSQL: for tests that
    /// compare the backends.
    pub async fn sqlite() -> (Self, Store) {
        let dir = ScratchDir::new("db");
        let url = format!("sqlite://{}", dir.0.join("steward.db").display());
        let store = Store::open(&url, 8).await.expect("open sqlite");
        store.migrate().await.expect("migrate");
        store.publish_policy_versions().await.expect("publish policies");
        (TestDb::Sqlite(dir), store)
    }
}

#[derive(Default)]
pub struct Options {
    pub smtp_url: Option<String>,
    pub clock: Option<Clock>,
    pub host: Option<&'static str>,
    /// Run on PostgreSQL even when the suite runs on SQLite.
    pub postgres: bool,
    /// Requests slower than this count as problems (default: Steward's).
    pub slow_request_ms: Option<u64>,
    /// Where the sub-processors' APIs are (local fake servers); default: the real ones.
    pub processor_endpoints: Option<Vec<(String, String)>>,
    /// The operator's SMS account (a Twilio client pointed at a fake server).
    pub sms: Option<std::sync::Arc<dyn steward_app::messaging::SmsProvider>>,
    /// An OTLP collector to export spans to.
    pub otlp_endpoint: Option<String>,
    /// The master key (default: a fresh one), for tests that run the `steward` binary
    /// against the same data and must hold the same key.
    pub master_key: Option<MasterKey>,
    /// The web layer's settings (trusted proxies, metrics token); default: Steward's.
    pub web: Option<steward_web::WebSettings>,
    /// The server's clocks and connection limit; default: Steward's.
    pub server: Option<steward_web::ServerSettings>,
}

/// A running Steward.
pub struct TestServer {
    pub base: String,
    /// A connection URL that reaches the data with no tenant filter and no row-level
    /// security (the file itself, or the PostgreSQL superuser), for tampering tests.
    pub raw_url: String,
    pub app: App,
    pub store: Store,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let (db, store) = TestDb::fresh(options.postgres).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let host = options.host.unwrap_or("127.0.0.1");
        let base = format!("http://{host}:{port}");
        let mut settings = AppSettings { base_url: base.clone(), ..AppSettings::default() };
        if let Some(slow) = options.slow_request_ms {
            settings.slow_request_ms = slow;
        }
        if let Some(endpoints) = options.processor_endpoints {
            settings.processor_endpoints = endpoints;
        }
        let mailer = Mailer::new(options.smtp_url.as_deref(), "Steward <no-reply@steward.test>", true).expect("mailer");
        let master_key = options.master_key.unwrap_or_else(|| MasterKey::generate().expect("key"));
        let mut app = App::new(store.clone(), settings, master_key, mailer).expect("app");
        if let Some(clock) = options.clock {
            app.clock = clock;
        }
        app.sms = options.sms;
        if let Some(endpoint) = &options.otlp_endpoint {
            app.telemetry =
                Some(steward_app::telemetry::Telemetry::start(endpoint, app.egress.plain_client(), "steward-test"));
        }
        let router = steward_web::router(app.clone(), options.web.unwrap_or_default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(steward_web::serve(listener, router, options.server.unwrap_or_default(), async move {
            let _ = rx.await;
        }));
        let raw_url = match &db {
            TestDb::Sqlite(dir) => format!("sqlite://{}", dir.0.join("steward.db").display()),
            TestDb::Postgres(pg) => {
                pg.admin_url.rsplit_once('/').map(|(h, _)| format!("{h}/{}", pg.name)).unwrap_or_default()
            }
        };
        TestServer { base, raw_url, app, store, shutdown: Some(tx), _db: db }
    }

    /// The URL the `steward` binary opens this test's data with: the SQLite file, or the
    /// PostgreSQL runtime role (the binary refuses the superuser, as `serve` does).
    pub fn cli_database_url(&self) -> String {
        match &self._db {
            TestDb::Sqlite(_) => self.raw_url.clone(),
            TestDb::Postgres(pg) => pg.app_url.clone(),
        }
    }

    /// Runs SQL straight against the database, around Steward, as an attacker with
    /// database access would.
    pub async fn tamper(&self, sql: &str) {
        use sqlx::Connection;
        if self.raw_url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&self.raw_url).await.expect("open the file");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.expect("tamper");
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.raw_url).await.expect("connect as superuser");
            // Events are sealed into their chain just after commit; tamper with the sealed log.
            // One business at a time: on Citus a function called per row of a distributed
            // table would run on the shards, and the sealer's own queries may not nest there.
            let businesses: Vec<uuid::Uuid> =
                sqlx::query_scalar("SELECT tenant_id FROM audit_heads").fetch_all(&mut conn).await.expect("chains");
            for business in businesses {
                sqlx::query("SELECT audit_seal($1, 1000000)")
                    .bind(business)
                    .execute(&mut conn)
                    .await
                    .expect("seal every chain");
            }
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.expect("tamper");
        }
    }

    pub fn kind(&self) -> StoreKind {
        self.store.kind()
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    pub fn api(&self, token: &str) -> Api {
        Api { http: client(), base: self.base.clone(), token: token.to_string() }
    }

    /// A tenant with a verified owner, signed in through the service layer.
    pub async fn tenant(&self, slug: &str) -> Fixture {
        let (tenant, _) = tenancy::create_tenant(
            &self.app,
            NewTenant {
                business_name: format!("Business {slug}"),
                slug: slug.into(),
                country: "IN".into(),
                time_zone: "Asia/Kolkata".into(),
                owner_name: format!("Owner of {slug}"),
                owner_email: format!("owner@{slug}.example"),
                owner_password: PASSWORD.into(),
                accepted_policy: true,
                owner_email_verified: true,
                ip: None,
            },
        )
        .await
        .expect("create tenant");
        let owner = self.principal(slug, &format!("owner@{slug}.example")).await;
        let all: Vec<String> =
            steward_domain::permissions::Permission::ALL.iter().map(|p| p.name().to_string()).collect();
        let token =
            steward_app::access::tokens::create(&self.app, &owner, "fixture", &all, None).await.expect("token").token;
        Fixture { slug: slug.into(), tenant: tenant.id, owner, owner_token: token }
    }

    /// Logs a member in through the service and returns who they are.
    pub async fn principal(&self, slug: &str, email: &str) -> Principal {
        let issued =
            auth::log_in(&self.app, slug, email, PASSWORD, &ClientInfo::default(), None).await.expect("log in");
        auth::authenticate_session(&self.app, &issued.cookie_value).await.expect("session")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A tenant made by [`TestServer::tenant`].
pub struct Fixture {
    pub slug: String,
    pub tenant: TenantId,
    pub owner: Principal,
    pub owner_token: String,
}

pub fn client() -> reqwest::Client {
    // Steward's reqwest is built without a default TLS provider (it brings its own to the
    // egress client); the tests' plain-HTTP clients name the same one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("http client")
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The value of the first `<input name="csrf">` on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        self.body.split(marker).nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_string()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
    }
}

async fn read(response: reqwest::Response) -> Page {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    Page { status, headers, body }
}

/// A browser-like client: keeps cookies (including `Secure` ones, over plain HTTP to
/// the local test server) and follows nothing by itself.
pub struct Browser {
    http: reqwest::Client,
    pub base: String,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self { http: client(), base: base.to_string(), cookies: BTreeMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&mut self, page: &Page) {
        for cookie in page.set_cookies() {
            let first = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = first.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        let page = read(response).await;
        self.keep_cookies(&page);
        page
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_encode(fields);
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        let page = read(response).await;
        self.keep_cookies(&page);
        page
    }

    /// POSTs a multipart form with one file, as a browser uploads it.
    pub async fn post_file(&mut self, path: &str, fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> Page {
        let boundary = "steward-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(file);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .expect("POST");
        let page = read(response).await;
        self.keep_cookies(&page);
        page
    }

    /// GETs a form page, then POSTs the fields with the page's CSRF token.
    pub async fn submit(&mut self, form_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(form_path).await;
        let csrf = form.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn log_in(&mut self, slug: &str, email: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("workspace", slug), ("email", email), ("password", password), ("next", "/app")],
        )
        .await
    }
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An API client with a bearer token.
pub struct Api {
    http: reqwest::Client,
    base: String,
    pub token: String,
}

impl Api {
    /// Calls the API; the answer (and the body, if the API accepted it) must match the
    /// served OpenAPI document (`api_schema`).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Page {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let page = read(request.send().await.expect("API call")).await;
        self.hold_to_document(&method, path, body.as_ref(), &page).await;
        page
    }

    pub async fn raw(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let sent: Option<Value> =
            if content_type.starts_with("application/json") { serde_json::from_slice(&body).ok() } else { None };
        let request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        let page = read(request.send().await.expect("API call")).await;
        self.hold_to_document(&method, path, sent.as_ref(), &page).await;
        page
    }

    async fn hold_to_document(&self, method: &Method, path: &str, sent: Option<&Value>, page: &Page) {
        let content_type = page.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        crate::api_schema::hold_to_document(crate::api_schema::Exchange {
            base: &self.base,
            method: method.as_str(),
            path,
            request: sent,
            status: page.status.as_u16(),
            content_type,
            body: &page.body,
        })
        .await;
    }

    pub async fn get(&self, path: &str) -> Page {
        self.call(Method::GET, path, None).await
    }
}

/// A real SMTP server (aiosmtpd from PyPI) writing what it receives into a maildir.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: ScratchDir,
}

impl SmtpServer {
    /// Starts the server, or returns `None` (after `skip_or_fail`) if aiosmtpd is missing.
    pub async fn start() -> Option<Self> {
        let probe = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !probe.is_ok_and(|s| s.success()) {
            skip_or_fail("the SMTP server aiosmtpd (pip install aiosmtpd)");
            return None;
        }
        let port = free_port();
        let maildir = ScratchDir::new("maildir");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.0.join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        // From here the server is owned, so Drop stops it even if it never listens.
        let server = Self { child, port, maildir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start listening");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.0.join("box").join(sub)) {
                for entry in entries.flatten() {
                    if let Ok(text) = std::fs::read_to_string(entry.path()) {
                        out.push(text);
                    }
                }
            }
        }
        out
    }

    /// Waits for a message to `to` whose text contains `needle`; returns the first link
    /// into Steward in it.
    pub async fn wait_for_link(&self, to: &str, needle: &str) -> String {
        let text = self.wait_for_text(to, needle).await;
        match text.split_whitespace().find(|w| w.starts_with("http://")) {
            Some(link) => link.trim().to_string(),
            None => panic!("the mail to {to} containing '{needle}' has no link: {text}"),
        }
    }

    /// Waits for a message to `to` whose text contains `needle`; returns it whole, with
    /// quoted-printable soft line breaks undone.
    pub async fn wait_for_text(&self, to: &str, needle: &str) -> String {
        for _ in 0..200 {
            for message in self.messages() {
                let unfolded = message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
                if unfolded.contains(to) && unfolded.contains(needle) {
                    return unfolded;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} containing '{needle}' arrived; got {} message(s)", self.messages().len());
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// The path part of a link into Steward.
pub fn path_of(link: &str) -> String {
    let without_scheme = link.split_once("://").map(|(_, rest)| rest).unwrap_or(link);
    without_scheme.find('/').map(|i| without_scheme[i..].to_string()).unwrap_or_else(|| "/".into())
}

/// Declares the sensitive custom field "Allergies" for a tenant, as its owner.
pub async fn allergies_field(server: &TestServer, fixture: &Fixture) {
    steward_app::customers::fields::create(
        &server.app,
        &fixture.owner,
        &steward_app::customers::fields::FieldInput {
            label: "Allergies".into(),
            kind: "text".into(),
            data_class: "sensitive".into(),
            options: vec![],
        },
    )
    .await
    .expect("declare the field");
}
