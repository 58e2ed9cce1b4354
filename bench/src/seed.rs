//! Seeds the benchmark's database through Steward's own services: many tenants with
//! members, and one tenant whose owner holds the API token the load uses.

use std::path::Path;
use steward_app::access::{auth, members, tokens};
use steward_app::mail::Mailer;
use steward_app::tenancy::{self, NewTenant};
use steward_app::{App, AppSettings};
use steward_crypto::master_key::MasterKey;
use steward_store::Store;

pub struct Seeded {
    pub backend: &'static str,
    pub tenants: usize,
    pub members: usize,
    pub token: String,
    pub login_slug: String,
    pub login_email: String,
    pub login_password: String,
    /// PostgreSQL: the runtime role's URL `serve` must use.
    pub runtime_url: Option<String>,
    postgres: Option<(String, String)>,
}

pub(crate) const PASSWORD: &str = "bench password 2026";
const OWNER_ROLE: &str = "steward_bench_owner";
pub(crate) const APP_ROLE: &str = "steward_bench_app";

fn url_for(admin: &str, user: &str, db: &str) -> String {
    let (scheme, rest) = admin.split_once("://").unwrap_or(("postgres", admin));
    let host_path = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let host = host_path.split('/').next().unwrap_or(host_path);
    format!("{scheme}://{user}@{host}/{db}")
}

async fn admin_sql(admin: &str, sql: String) -> Result<(), String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await.map_err(|e| format!("connect {admin}: {e}"))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.map_err(|e| e.to_string())?;
    let _ = conn.close().await;
    Ok(())
}

pub async fn seed(data_dir: &Path, postgres: Option<&str>, tenant_count: usize) -> Result<Seeded, String> {
    let (store, runtime_url, pg) = match postgres {
        Some(admin) => {
            for (role, extra) in [(OWNER_ROLE, ""), (APP_ROLE, " NOBYPASSRLS")] {
                admin_sql(admin, format!("DO $$ BEGIN CREATE ROLE {role} LOGIN NOSUPERUSER{extra}; EXCEPTION WHEN duplicate_object THEN NULL; END $$")).await?;
            }
            let name = format!("steward_bench_{}", uuid::Uuid::new_v4().simple());
            // On a Citus coordinator, a database of the cluster with Citus's own shard count.
            steward_store::citus::create_database(admin, &name, OWNER_ROLE, None).await.map_err(|e| e.to_string())?;
            let owner = Store::open(&url_for(admin, OWNER_ROLE, &name), 2).await.map_err(|e| e.to_string())?;
            owner.migrate().await.map_err(|e| e.to_string())?;
            owner.publish_policy_versions().await.map_err(|e| e.to_string())?;
            owner.grant_runtime_role(APP_ROLE).await.map_err(|e| e.to_string())?;
            owner.close().await;
            let app_url = url_for(admin, APP_ROLE, &name);
            let store = Store::open(&app_url, 8).await.map_err(|e| e.to_string())?;
            (store, Some(app_url), Some((admin.to_string(), name)))
        }
        None => {
            let url = format!("sqlite://{}", data_dir.join("steward.db").display());
            let store = Store::open(&url, 8).await.map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            store.publish_policy_versions().await.map_err(|e| e.to_string())?;
            (store, None, None)
        }
    };
    let backend = if postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    let key = MasterKey::load_or_create(&data_dir.join("master.key")).map_err(|e| e.to_string())?;
    let mailer = Mailer::new(None, "bench <bench@localhost>", false).map_err(|e| e.to_string())?;
    let app = App::new(
        store.clone(),
        AppSettings { login_attempts_per_minute: 100_000, ..AppSettings::default() },
        key,
        mailer,
    )
    .map_err(|e| e.to_string())?;

    let mut members_made = 0;
    for index in 0..tenant_count {
        let slug = format!("bench-{index:04}");
        let (tenant, _) = tenancy::create_tenant(&app, new_tenant(&slug)).await.map_err(|e| e.to_string())?;
        members_made += 1;
        for staff in 0..3 {
            members::add_member(
                &app,
                tenant.id,
                &format!("staff{staff}@{slug}.example"),
                &format!("Staff {staff}"),
                "staff",
                PASSWORD,
            )
            .await
            .map_err(|e| e.to_string())?;
            members_made += 1;
        }
    }
    let login_slug = "bench-0000".to_string();
    let login_email = format!("owner@{login_slug}.example");
    let issued = auth::log_in(&app, &login_slug, &login_email, PASSWORD, &auth::ClientInfo::default(), None)
        .await
        .map_err(|e| e.to_string())?;
    let owner = auth::authenticate_session(&app, &issued.cookie_value).await.map_err(|e| e.to_string())?;
    let token = tokens::create(
        &app,
        &owner,
        "bench",
        &["members.read".to_string(), "tenant.read".to_string(), "tenant.manage".to_string()],
        None,
    )
    .await
    .map_err(|e| e.to_string())?
    .token;
    store.close().await;
    Ok(Seeded {
        backend,
        tenants: tenant_count,
        members: members_made,
        token,
        login_slug,
        login_email,
        login_password: PASSWORD.into(),
        runtime_url,
        postgres: pg,
    })
}

pub(crate) fn new_tenant(slug: &str) -> NewTenant {
    NewTenant {
        business_name: format!("Bench business {slug}"),
        slug: slug.into(),
        country: "IN".into(),
        time_zone: "Asia/Kolkata".into(),
        owner_name: "Bench Owner".into(),
        owner_email: format!("owner@{slug}.example"),
        owner_password: PASSWORD.into(),
        accepted_policy: true,
        owner_email_verified: true,
        ip: None,
    }
}

impl Seeded {
    /// Does what PostgreSQL's autovacuum (on by default) does by itself within a minute or
    /// so of a bulk load: gathers the planner's statistics and clears the dead row versions
    /// the set-up left. Without statistics the planner takes the tables for nearly empty
    /// and reads a customer by id through the email index, among tens of customers; without
    /// the vacuum every appointment the set-up wrote leaves a dead version of its staff
    /// member's row (the busy-time counter), which each availability request then steps
    /// over. The benchmark runs where autovacuum may be off, so it asks, and says so in its
    /// report.
    pub async fn analyze(&self) -> Result<(), String> {
        if let Some((admin, name)) = &self.postgres {
            admin_sql(&url_for(admin, OWNER_ROLE, name), "VACUUM ANALYZE".into()).await?;
        }
        Ok(())
    }

    /// The benchmark's PostgreSQL database as the administrator named by `--postgres`.
    pub fn admin_database_url(&self) -> Option<String> {
        let (admin, name) = self.postgres.as_ref()?;
        let rest = admin.split_once("://").map(|(_, rest)| rest).unwrap_or(admin);
        let user = rest.rsplit_once('@').map(|(user, _)| user).unwrap_or("postgres");
        Some(url_for(admin, user, name))
    }

    /// Drops the benchmark's PostgreSQL database, unless `STEWARD_BENCH_KEEP` is set (as
    /// with the data folder): then its name is printed for a closer look.
    pub async fn cleanup(&self) {
        if let Some((admin, name)) = &self.postgres {
            if std::env::var_os("STEWARD_BENCH_KEEP").is_some() {
                println!("kept the PostgreSQL database {name}");
                return;
            }
            steward_store::citus::drop_database(admin, name).await;
        }
    }
}

/// An API token of the seeded owner that may read and write customers (on tenant
/// `bench-0000`), made through Steward's own services.
pub async fn customers_token(data_dir: &Path, seeded: &Seeded, name: &str) -> Result<String, String> {
    let (store, app) = open_app(data_dir, seeded.runtime_url.as_deref(), 2).await?;
    let issued =
        auth::log_in(&app, &seeded.login_slug, &seeded.login_email, &seeded.login_password, &Default::default(), None)
            .await
            .map_err(|e| e.to_string())?;
    let owner = auth::authenticate_session(&app, &issued.cookie_value).await.map_err(|e| e.to_string())?;
    let scopes = ["customers.read".to_string(), "customers.write".to_string()];
    let token = tokens::create(&app, &owner, name, &scopes, None).await.map_err(|e| e.to_string())?.token;
    store.close().await;
    Ok(token)
}

/// Opens the seeded database in this process, with Steward's services on it, to prepare
/// what a benchmark measures (the server itself runs as its own process).
pub async fn open_app(data_dir: &Path, runtime_url: Option<&str>, connections: u32) -> Result<(Store, App), String> {
    let url = runtime_url
        .map(str::to_string)
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("steward.db").display()));
    let store = Store::open(&url, connections).await.map_err(|e| e.to_string())?;
    let key = MasterKey::load_or_create(&data_dir.join("master.key")).map_err(|e| e.to_string())?;
    let app = App::new(
        store.clone(),
        AppSettings { login_attempts_per_minute: 100_000, ..AppSettings::default() },
        key,
        Mailer::new(None, "bench <bench@localhost>", false).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    Ok((store, app))
}

/// Starts `steward serve` on the seeded data at a free port; its log goes to
/// `server.log` in the data folder. Answers the server and its address once it is up.
pub async fn start_server(
    steward: &str,
    data_dir: &Path,
    runtime_url: Option<&str>,
) -> Result<(crate::Server, String), String> {
    start_server_with(steward, data_dir, runtime_url, &[]).await
}

/// [`start_server`] with extra environment (configuration keys as `STEWARD_…`).
pub async fn start_server_with(
    steward: &str,
    data_dir: &Path,
    runtime_url: Option<&str>,
    env: &[(&str, &str)],
) -> Result<(crate::Server, String), String> {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let mut command = std::process::Command::new(steward);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(data_dir.join("server.log")).map_err(|e| e.to_string())?);
    command.envs(env.iter().copied());
    if let Some(url) = runtime_url {
        command.arg("--database-url").arg(url);
    }
    let server = crate::Server(command.arg("serve").spawn().map_err(|e| format!("start steward: {e}"))?);
    let address = format!("127.0.0.1:{port}");
    crate::http::wait_until_up(&address).await?;
    Ok((server, address))
}

/// A new SQLite deployment in a temporary folder, migrated, with Steward's services on it.
pub async fn fresh_sqlite(label: &str) -> Result<(std::path::PathBuf, Store, App), String> {
    let data_dir = std::env::temp_dir().join(format!("steward-bench-{label}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}", data_dir.join("steward.db").display());
    let store = Store::open(&url, 2).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    store.publish_policy_versions().await.map_err(|e| e.to_string())?;
    store.close().await;
    let (store, app) = open_app(&data_dir, None, 4).await?;
    Ok((data_dir, store, app))
}
