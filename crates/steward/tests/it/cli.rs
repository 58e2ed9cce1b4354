//! The `steward` binary itself: help on every command, the operator's commands, the
//! configuration layers, `serve` and `demo` starting and stopping, start-up refusals, and
//! a server killed in the middle of writes that restarts with nothing half-written.

use crate::harness::{Browser, PASSWORD, ScratchDir};
use reqwest::StatusCode;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

pub(crate) fn steward() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    for (key, _) in std::env::vars() {
        if key.starts_with("STEWARD_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "warn");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("run steward")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// A running `steward serve` or `demo`, its stdout lines arriving on a channel.
pub(crate) struct Running {
    child: Child,
    lines: Receiver<String>,
    pub(crate) base: String,
}

impl Running {
    pub(crate) fn start(mut command: Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start steward");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut running = Running { child, lines, base: String::new() };
        let line = running.wait_for("http://");
        let start = line.find("http://").unwrap_or(0);
        let url = line[start..].split_whitespace().next().unwrap_or_default().trim_end_matches("/login").to_string();
        running.base = url;
        running
    }

    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => {
                    let _ = self.child.kill();
                    let stderr = self
                        .child
                        .stderr
                        .take()
                        .map(|s| std::io::read_to_string(s).unwrap_or_default())
                        .unwrap_or_default();
                    panic!("steward never printed '{needle}'; stderr: {stderr}");
                }
            }
        }
    }

    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let status = self.child.wait().expect("wait");
        std::mem::forget(self);
        status
    }

    /// Stops with SIGTERM: the rest of stdout's lines and the whole of stderr.
    pub(crate) fn stop_and_collect(mut self) -> (Vec<String>, String) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        let stderr =
            self.child.stderr.take().map(|s| std::io::read_to_string(s).unwrap_or_default()).unwrap_or_default();
        let mut lines = Vec::new();
        // The reader thread ends at end of file, dropping its sender.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            lines.push(line);
        }
        (lines, stderr)
    }

    pub(crate) fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::forget(self);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["tenant", "--help"],
        vec!["tenant", "create", "--help"],
        vec!["tenant", "list", "--help"],
        vec!["tenant", "show", "--help"],
        vec!["member", "--help"],
        vec!["member", "add", "--help"],
        vec!["member", "list", "--help"],
        vec!["config", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["dsar", "--help"],
        vec!["dsar", "export", "--help"],
        vec!["dsar", "erase", "--help"],
        vec!["keys", "--help"],
        vec!["keys", "rotate", "--help"],
    ] {
        let output = run(steward().args(&args));
        assert!(output.status.success(), "{args:?}");
        assert!(text(&output.stdout).contains("Usage:"), "{args:?}");
    }
    let unknown = run(steward().arg("frobnicate"));
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("unrecognized subcommand"));
}

#[test]
fn operator_commands_manage_tenants_and_members_with_clear_errors() {
    let dir = ScratchDir::new("cli");
    let data = dir.0.to_string_lossy().to_string();
    let migrate = run(steward().args(["--data-dir", &data, "migrate"]));
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    assert!(text(&migrate.stdout).contains("migration(s) applied"));

    let create = |slug: &str| {
        run(steward()
            .args([
                "--data-dir",
                &data,
                "tenant",
                "create",
                "--name",
                "Sunrise Gym",
                "--slug",
                slug,
                "--owner-email",
                "owner@sunrise.example",
                "--owner-name",
                "Sunil Owner",
            ])
            .env("STEWARD_OWNER_PASSWORD", PASSWORD))
    };
    let created = create("sunrise-gym");
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("created tenant sunrise-gym"));
    assert!(!text(&created.stdout).contains(PASSWORD), "a given password is never printed");
    let again = create("sunrise-gym");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("slug: is already taken"), "{}", text(&again.stderr));

    let listed = run(steward().args(["--data-dir", &data, "tenant", "list"]));
    assert!(text(&listed.stdout).contains("sunrise-gym"));
    let shown = run(steward().args(["--data-dir", &data, "tenant", "show", "sunrise-gym"]));
    assert!(text(&shown.stdout).contains("Asia/Kolkata"));
    let missing = run(steward().args(["--data-dir", &data, "tenant", "show", "nowhere"]));
    assert!(text(&missing.stderr).contains("no tenant has the slug 'nowhere'"));

    let added = run(steward().args([
        "--data-dir",
        &data,
        "member",
        "add",
        "--tenant",
        "sunrise-gym",
        "--email",
        "coach@sunrise.example",
        "--name",
        "Coach Ravi",
        "--role",
        "staff",
    ]));
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(text(&added.stdout).contains("password (shown once): "), "a generated password is printed once");
    let bad = run(steward().args([
        "--data-dir",
        &data,
        "member",
        "add",
        "--tenant",
        "sunrise-gym",
        "--email",
        "not-an-email",
        "--name",
        "X",
    ]));
    assert!(text(&bad.stderr).contains("email: is not"), "{}", text(&bad.stderr));
    let verified = run(steward().args(["--data-dir", &data, "audit", "verify", "--tenant", "sunrise-gym"]));
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("is intact: 2 events checked"), "{}", text(&verified.stdout));
    let members = run(steward().args(["--data-dir", &data, "member", "list", "--tenant", "sunrise-gym"]));
    let out = text(&members.stdout);
    assert!(out.contains("coach@sunrise.example") && out.contains("owner@sunrise.example"));
}

#[test]
fn import_customers_reports_rejected_rows_by_line_and_applies_all_or_nothing() {
    // promise: CRM-1
    let dir = ScratchDir::new("cli-import");
    let data = dir.0.to_string_lossy().to_string();
    let created = run(steward()
        .args(["--data-dir", &data, "tenant", "create", "--name", "Lotus Clinic", "--slug", "lotus"])
        .args(["--owner-email", "owner@lotus.example", "--owner-name", "Lata Owner"])
        .env("STEWARD_OWNER_PASSWORD", PASSWORD));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let file = dir.0.join("clients.csv");
    std::fs::write(&file, "Client Name;Mobile\nRavi Kumar;98450 10101\nNo Phone;12ab\nSeema Das;98450 20202\n")
        .unwrap();
    let import = |extra: &[&str]| {
        run(steward()
            .args(["--data-dir", &data, "import", "customers", &file.to_string_lossy(), "--tenant", "lotus"])
            .args(extra))
    };
    let strict = import(&[]);
    assert!(!strict.status.success());
    assert!(text(&strict.stderr).contains("clients.csv: line 3: phone:"), "{}", text(&strict.stderr));
    assert!(text(&strict.stdout).contains("nothing written"), "{}", text(&strict.stdout));
    let dry = import(&["--skip-bad-rows", "--dry-run"]);
    assert!(dry.status.success() && text(&dry.stdout).contains("2 created"), "{}", text(&dry.stdout));
    let applied = import(&["--skip-bad-rows"]);
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(
        text(&applied.stdout).contains("2 created, 0 updated, 0 duplicates skipped, 1 rejected"),
        "{}",
        text(&applied.stdout)
    );
    let again = import(&["--skip-bad-rows"]);
    assert!(text(&again.stdout).contains("0 created, 0 updated, 2 duplicates skipped"), "{}", text(&again.stdout));
    let bad_flag = import(&["--on-duplicate", "merge"]);
    assert!(text(&bad_flag.stderr).contains("--on-duplicate: 'merge' is not skip or update"));
}

#[test]
fn configuration_layers_and_redaction() {
    let dir = ScratchDir::new("config");
    let file = dir.0.join("steward.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:9100\"\nlog_format = \"json\"\n").unwrap();
    let output = run(steward()
        .args(["--config", &file.to_string_lossy(), "--data-dir", &dir.0.to_string_lossy(), "config"])
        .env("STEWARD_LISTEN", "127.0.0.1:9200")
        .env("STEWARD_DATABASE_URL", "postgres://app:supersecretpw@db.internal/steward")
        .env("STEWARD_SMTP_URL", "smtps://mailer:mailsecretpw@relay.internal"));
    let out = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(out.contains("listen = \"127.0.0.1:9200\"  # environment"), "{out}");
    assert!(out.contains("log_format = \"json\"  # steward.toml"), "{out}");
    assert!(!out.contains("supersecretpw") && !out.contains("mailsecretpw"), "{out}");
    assert!(out.contains("app:****@db.internal"));

    std::fs::write(&file, "listen = \"127.0.0.1:9100\"\nlisten_port = 1\n").unwrap();
    let unknown = run(steward().args(["--config", &file.to_string_lossy(), "config"]));
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("listen_port"), "{}", text(&unknown.stderr));
    let bad_env = run(steward().arg("config").env("STEWARD_MAX_CONNECTIONS", "many"));
    assert!(text(&bad_env.stderr).contains("STEWARD_MAX_CONNECTIONS"));
}

/// The repository's root, where `steward.example.toml`, `README.md` and `docs/` live.
fn repository_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `key = value` lines of the example file, uncommented: every key a user can set,
/// with its documented default.
fn example_settings(example: &str) -> Vec<(String, String)> {
    example
        .lines()
        .filter_map(|line| line.strip_prefix("# ")?.split_once(" = "))
        .filter(|(key, _)| !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// `steward config` output as (key, value, source).
fn effective_settings(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (key, rest) = line.split_once(" = ")?;
            let (value, source) = rest.rsplit_once("  # ")?;
            Some((key.to_string(), value.to_string(), source.to_string()))
        })
        .collect()
}

/// The committed example file is what `steward config --example` prints (regenerate it
/// with `cargo run -q -p steward -- config --example > steward.example.toml`), it names
/// every key `steward config` knows, and read as a configuration file it changes nothing:
/// each documented default is the real one. Each key with a default is also read from its
/// environment variable.
#[test]
fn the_example_file_is_current_complete_and_states_the_real_defaults() {
    let dir = ScratchDir::new("example");
    let committed = std::fs::read_to_string(repository_root().join("steward.example.toml")).unwrap();
    let generated = run(steward().current_dir(&dir.0).args(["config", "--example"]));
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    assert!(
        text(&generated.stdout) == committed,
        "steward.example.toml is out of date: cargo run -q -p steward -- config --example > steward.example.toml"
    );

    let documented = example_settings(&committed);
    let defaults = run(steward().current_dir(&dir.0).arg("config"));
    assert!(defaults.status.success(), "{}", text(&defaults.stderr));
    let defaults = effective_settings(&text(&defaults.stdout));
    let keys = |settings: &[(String, String, String)]| settings.iter().map(|(k, _, _)| k.clone()).collect::<Vec<_>>();
    let documented_keys: Vec<String> = documented.iter().map(|(key, _)| key.clone()).collect();
    assert_eq!(documented_keys, keys(&defaults), "every key steward config shows is in the example file");
    assert!(documented_keys.iter().any(|key| key == "login_attempts_per_minute"));

    let file = dir.0.join("example.toml");
    let uncommented: String = documented.iter().map(|(key, value)| format!("{key} = {value}\n")).collect();
    std::fs::write(&file, uncommented).unwrap();
    let from_file = run(steward().current_dir(&dir.0).args(["--config", &file.to_string_lossy(), "config"]));
    assert!(from_file.status.success(), "the example parses: {}", text(&from_file.stderr));
    let from_file = effective_settings(&text(&from_file.stdout));
    assert_eq!(keys(&from_file), keys(&defaults));
    for ((key, value, source), (_, default, _)) in from_file.iter().zip(&defaults) {
        assert_eq!(source, "steward.toml", "{key} is read from the file");
        assert_eq!(value, default, "{key}: the example's default is the real one");
    }

    let mut command = steward();
    command.current_dir(&dir.0).arg("config");
    for (key, value) in &documented {
        let value = value.trim_matches('"');
        if !value.is_empty() {
            command.env(format!("STEWARD_{}", key.to_ascii_uppercase()), value);
        }
    }
    let from_env = run(&mut command);
    assert!(from_env.status.success(), "{}", text(&from_env.stderr));
    for ((key, value, source), (_, documented)) in effective_settings(&text(&from_env.stdout)).iter().zip(&documented) {
        if documented != "\"\"" {
            assert_eq!(source, "environment", "{key} is read from STEWARD_{}", key.to_ascii_uppercase());
            assert_eq!(value, documented, "{key}");
        }
    }
}

/// Where the README or `docs/` name a key's default, as "`key` (N)" in prose or as a
/// "| `key` | N |" table row, it is the default the example file states.
#[test]
fn the_docs_state_the_real_defaults() {
    let root = repository_root();
    let defaults = example_settings(&std::fs::read_to_string(root.join("steward.example.toml")).unwrap());
    let mut pages = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut checked = 0;
    for page in pages {
        let content = std::fs::read_to_string(&page).unwrap().replace('\n', " ");
        for (key, default) in &defaults {
            for (opening, closing) in [(format!("`{key}` ("), ")"), (format!("| `{key}` | "), " |")] {
                for (at, _) in content.match_indices(&opening) {
                    let rest = &content[at + opening.len()..];
                    let stated = rest.split(closing).next().unwrap_or_default().replace(',', "");
                    if !stated.is_empty() && stated.chars().all(|c| c.is_ascii_digit()) {
                        assert_eq!(&stated, default, "{}: {key}", page.display());
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked >= 10, "the docs name defaults in these two forms ({checked} found)");
}

#[tokio::test]
async fn serve_answers_and_stops_cleanly_on_sigterm() {
    let dir = ScratchDir::new("serve");
    let mut command = steward();
    command.args(["--data-dir", &dir.0.to_string_lossy(), "--listen", "127.0.0.1:0", "serve"]);
    let running = Running::start(command);
    let health = crate::harness::client().get(format!("{}/healthz", running.base)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let key = dir.0.join("master.key");
    assert!(key.exists(), "serve made the master key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let status = running.terminate();
    assert!(status.success(), "{status:?}");
}

/// The login `steward demo` prints.
pub(crate) struct DemoLogin {
    pub(crate) business: String,
    pub(crate) email: String,
    pub(crate) password: String,
}

/// Starts `steward demo` with its data in `dir`; the login is read from what it prints.
pub(crate) fn start_demo(dir: &ScratchDir) -> (Running, DemoLogin) {
    let mut command = steward();
    command.args(["--data-dir", &dir.0.to_string_lossy(), "--listen", "127.0.0.1:0", "demo"]);
    let mut running = Running::start(command);
    let business = running.wait_for("Business").split_whitespace().last().unwrap_or_default().to_string();
    let email = running.wait_for("Email").split_whitespace().nth(1).unwrap_or_default().to_string();
    let password = running.wait_for("Password").split_whitespace().last().unwrap_or_default().to_string();
    (running, DemoLogin { business, email, password })
}

#[tokio::test]
async fn demo_prints_a_login_that_works() {
    let dir = ScratchDir::new("demo");
    let (running, DemoLogin { business, email, password }) = start_demo(&dir);
    let mut browser = Browser::new(&running.base);
    let login = browser.log_in(&business, &email, &password).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let members = browser.get("/app/members").await;
    assert_eq!(members.body.matches("@asha-salon.example").count(), 4, "owner, admin and two staff");
    running.kill_hard();
}

#[tokio::test]
async fn a_server_killed_during_writes_restarts_with_nothing_half_written() {
    let dir = ScratchDir::new("crash");
    let data = dir.0.to_string_lossy().to_string();
    let mut command = steward();
    command
        .args(["--data-dir", &data, "--listen", "127.0.0.1:0", "serve"])
        .env("STEWARD_LOGIN_ATTEMPTS_PER_MINUTE", "100000");
    let running = Running::start(command);
    let base = running.base.clone();
    let mut writers = Vec::new();
    for worker in 0..4 {
        let base = base.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..1000 {
                let mut browser = Browser::new(&base);
                let slug = format!("crash-{worker}-{n}");
                let email = format!("owner@{slug}.example");
                let fields = [
                    ("business_name", "Crash Test"),
                    ("slug", slug.as_str()),
                    ("country", "IN"),
                    ("time_zone", "Asia/Kolkata"),
                    ("name", "Owner"),
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                    ("accept_policy", "yes"),
                ];
                let Ok(form) = tokio::time::timeout(Duration::from_secs(5), browser.get("/signup")).await else {
                    return;
                };
                let mut all = vec![("csrf", form.csrf())];
                all.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
                let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
                if tokio::time::timeout(Duration::from_secs(5), browser.post("/signup", &pairs)).await.is_err() {
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.kill_hard();
    for writer in writers {
        writer.abort();
    }

    // Restart on the same data: it must come up, and every tenant must be whole.
    let mut command = steward();
    command.args(["--data-dir", &data, "--listen", "127.0.0.1:0", "serve"]);
    let restarted = Running::start(command);
    assert_eq!(
        crate::harness::client().get(format!("{}/readyz", restarted.base)).send().await.unwrap().status(),
        StatusCode::OK
    );
    let store = steward_store::Store::open(&format!("sqlite://{data}/steward.db"), 2).await.unwrap();
    let mut platform = store.begin_platform().await.unwrap();
    let tenants = steward_store::tenancy::tenants::list(&mut platform).await.unwrap();
    drop(platform);
    assert!(!tenants.is_empty(), "some sign-ups landed before the kill");
    for tenant in &tenants {
        let mut tx = store.begin_tenant_read(tenant.id).await.unwrap();
        let roles = steward_store::access::roles::list(&mut tx).await.unwrap();
        let members = steward_store::access::members::list(&mut tx).await.unwrap();
        assert_eq!(roles.len(), 3, "{}: roles", tenant.slug);
        assert_eq!(members.len(), 1, "{}: owner", tenant.slug);
        let accepted = steward_store::tenancy::policy::acceptances_of(&mut tx, members[0].id).await.unwrap();
        assert_eq!(accepted.len(), 1, "{}: policy acceptance", tenant.slug);
    }
    store.close().await;
    restarted.terminate();
}

#[tokio::test]
async fn serve_refuses_unsafe_postgres_setups_with_a_message() {
    let Some(admin) = crate::harness::postgres_admin_url() else {
        crate::harness::skip_or_fail("PostgreSQL (set STEWARD_TEST_DATABASE_URL)");
        return;
    };
    let db = crate::harness::PgDatabase::create(&admin).await;
    let dir = ScratchDir::new("pg-serve");
    let data = dir.0.to_string_lossy().to_string();
    let behind =
        run(steward().args(["--data-dir", &data, "--database-url", &db.app_url, "--listen", "127.0.0.1:0", "serve"]));
    assert!(!behind.status.success());
    assert!(text(&behind.stderr).contains("run `steward migrate`"), "{}", text(&behind.stderr));

    let migrate =
        run(steward().args(["--database-url", &db.owner_url, "migrate", "--grant-to", crate::harness::PG_APP_ROLE]));
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    let superuser_url = admin.rsplit_once('/').map(|(h, _)| format!("{h}/{}", db.name)).unwrap_or_default();
    let refused = run(steward().args([
        "--data-dir",
        &data,
        "--database-url",
        &superuser_url,
        "--listen",
        "127.0.0.1:0",
        "serve",
    ]));
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("bypass row-level security"), "{}", text(&refused.stderr));

    let dir = ScratchDir::new("pg-serve");
    let mut command = steward();
    command.args([
        "--data-dir",
        &dir.0.to_string_lossy(),
        "--database-url",
        &db.app_url,
        "--listen",
        "127.0.0.1:0",
        "serve",
    ]);
    let running = Running::start(command);
    let ready =
        crate::harness::client().get(format!("{}/readyz", running.base)).send().await.unwrap().text().await.unwrap();
    assert!(ready.contains("postgres"));
    running.terminate();
}

#[tokio::test]
async fn a_whole_flow_leaves_no_personal_value_in_logs_console_or_audit() {
    // promise: SEC-3
    // promise: ISO-2
    let dir = ScratchDir::new("scan");
    let data = dir.0.to_string_lossy().to_string();
    let mut child = steward()
        .args(["--data-dir", &data, "--listen", "127.0.0.1:0", "serve"])
        .env("RUST_LOG", "debug,sqlx=warn,hyper=warn,h2=warn")
        .env("STEWARD_LOG_FORMAT", "json")
        .env("STEWARD_MAIL_LINKS_ON_CONSOLE", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start steward");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, lines) = channel::<String>();
    let out_tx = tx.clone();
    let out_reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = out_tx.send(line);
        }
    });
    let err_reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let first = lines.recv_timeout(Duration::from_secs(60)).expect("serve prints its address");
    let base = first[first.find("http://").unwrap_or(0)..].split_whitespace().next().unwrap_or_default().to_string();

    let (name, email, phone, password) =
        ("Ottoline Brackwater", "ottoline.brackwater@scan.example", "+91 99887 76655", "brackwater secret phrase");
    let mut browser = Browser::new(&base);
    let fields = [
        ("business_name", "Scan Salon"),
        ("slug", "scan-salon"),
        ("country", "IN"),
        ("time_zone", "Asia/Kolkata"),
        ("name", name),
        ("email", email),
        ("password", password),
        ("accept_policy", "yes"),
    ];
    assert_eq!(browser.submit("/signup", "/signup", &fields).await.status, StatusCode::SEE_OTHER);
    let mut console: Vec<String> = Vec::new();
    let verify_link = loop {
        let line = lines.recv_timeout(Duration::from_secs(30)).expect("the console shows the confirmation link");
        console.push(line.clone());
        if let Some(at) = line.find("/verify/") {
            break line[at..].trim().to_string();
        }
    };
    assert_eq!(browser.get(&verify_link).await.status, StatusCode::OK);
    browser.submit("/app/account", "/app/account", &[("name", name), ("phone", phone)]).await;
    browser
        .submit(
            "/app/members",
            "/app/members/invite",
            &[("email", "invitee.quillfeather@scan.example"), ("role", "staff")],
        )
        .await;
    let page = browser.get("/app").await;
    browser.post("/logout", &[("csrf", &page.csrf())]).await;
    browser.log_in("scan-salon", email, "a wrong password here").await;
    browser.submit("/forgot", "/forgot", &[("workspace", "scan-salon"), ("email", email)]).await;
    browser.log_in("scan-salon", email, password).await;

    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
    drop(tx);
    let _ = out_reader.join();
    console.extend(lines.try_iter());
    assert!(console.iter().any(|l| l.contains("mail (invitation)")), "{console:?}");
    let logs = err_reader.join().unwrap_or_default();
    assert!(logs.contains("\"status\":303"), "request lines were logged: {logs}");

    let store = steward_store::Store::open(&format!("sqlite://{data}/steward.db"), 2).await.unwrap();
    let mut platform = store.begin_platform().await.unwrap();
    let tenant = steward_store::tenancy::tenants::find_by_slug(&mut platform, "scan-salon").await.unwrap().unwrap();
    drop(platform);
    let mut tx = store.begin_tenant_read(tenant.id).await.unwrap();
    let audit = steward_store::audit::read_after(&mut tx, 0, 10_000).await.unwrap();
    drop(tx);
    store.close().await;
    let audit_text = format!("{audit:?}");
    assert!(audit_text.contains("member.profile_changed") && audit_text.contains("invitation.created"));

    // The request log names routes, not paths: the confirmation token in the link is a secret.
    let token = verify_link.trim_start_matches("/verify/");
    assert!(token.len() > 20 && !logs.contains(token), "the log holds the confirmation token");
    assert!(logs.contains("/verify/{token}"), "the log names the route");
    for (place, text) in [("log", logs.as_str()), ("console", &console.join("\n")), ("audit", audit_text.as_str())] {
        let lower = text.to_lowercase();
        for personal in ["ottoline", "brackwater", "9988776655", "99887 76655", "quillfeather", "scan.example"] {
            assert!(!lower.contains(personal), "the {place} holds '{personal}'");
        }
    }
}

#[tokio::test]
async fn a_backup_taken_before_an_erasure_no_longer_opens_the_erased_persons_values_and_key_backups_expire_first() {
    // promise: RET-5
    // promise: SEC-1
    if crate::harness::suite_on_postgres() {
        // PostgreSQL deployments back up with pg_dump (docs/operations.md); this is the
        // SQLite `steward backup` and `steward restore`.
        return;
    }
    let server = crate::harness::TestServer::start().await;
    let shop = server.tenant("backup-shop").await;
    crate::harness::allergies_field(&server, &shop).await;
    let input: steward_app::customers::records::CustomerInput =
        serde_json::from_value(serde_json::json!({ "name": "Erased Person", "fields": { "Allergies": "penicillin" } }))
            .unwrap();
    let person = steward_app::customers::records::create(&server.app, &shop.owner, &input).await.unwrap();

    let backups = ScratchDir::new("backups");
    let data_dir = backups.0.join("data");
    let keys_dir = backups.0.join("keys");
    let backup = |now: &str| {
        run(steward().args([
            "--database-url",
            &server.raw_url,
            "backup",
            "--to",
            &data_dir.to_string_lossy(),
            "--keys-to",
            &keys_dir.to_string_lossy(),
            "--now",
            now,
        ]))
    };
    // Taken online, while the server runs.
    let first = backup("2027-03-01T10:00:00Z");
    assert!(first.status.success(), "{}", text(&first.stderr));
    let files = |dir: &std::path::Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
        names.sort();
        names
    };
    let (data_before, keys_before) = (files(&data_dir)[0].clone(), files(&keys_dir)[0].clone());
    assert!(!std::fs::read(&data_before).unwrap().windows(10).any(|w| w == b"penicillin"), "sealed in the backup");
    // Backups are for Steward's user alone (SEC-2): folders 0700, files 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        for (path, wanted) in [(&data_dir, 0o700), (&keys_dir, 0o700), (&data_before, 0o600), (&keys_before, 0o600)] {
            assert_eq!(mode(path), wanted, "{}", path.display());
        }
    }

    // The person is erased: their key is destroyed.
    steward_app::customers::records::delete(&server.app, &shop.owner, person.id).await.unwrap();
    let second = backup("2027-03-01T11:00:00Z");
    assert!(second.status.success(), "{}", text(&second.stderr));
    let keys_after = files(&keys_dir).into_iter().find(|p| p != &keys_before).unwrap();

    // Restore the data from before the erasure with the key store as it is now.
    let restored = ScratchDir::new("restored");
    let restored_url = format!("sqlite://{}", restored.0.join("steward.db").display());
    let restore = |keys: &std::path::Path| {
        run(steward().args([
            "--database-url",
            &restored_url,
            "restore",
            "--from",
            &data_before.to_string_lossy(),
            "--keys",
            &keys.to_string_lossy(),
        ]))
    };
    let done = restore(&keys_after);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let read_back = |url: String| {
        let app = server.app.clone();
        let owner = shop.owner.clone();
        async move {
            let store = steward_store::Store::open(&url, 2).await.unwrap();
            let restored = steward_app::App { store: store.clone(), keys: Default::default(), ..app };
            let detail = steward_app::customers::records::get(&restored, &owner, person.id).await.unwrap();
            store.close().await;
            detail.fields.iter().find(|f| f.label == "Allergies").map(|f| (f.value.clone(), f.present)).unwrap()
        }
    };
    assert_eq!(read_back(restored_url.clone()).await, (None, true), "the record is back, its sensitive value is not");

    // With the older key backup it would open: which is why key backups expire within days.
    let done = restore(&keys_before);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert_eq!(read_back(restored_url.clone()).await.0.as_deref(), Some("penicillin"));
    let later = backup("2027-03-05T11:00:01Z");
    assert!(later.status.success(), "{}", text(&later.stderr));
    assert!(text(&later.stdout).contains("2 key backup(s) older than 3 days"), "{}", text(&later.stdout));
    assert!(!keys_before.exists() && !keys_after.exists(), "expired key backups are overwritten and removed");
    assert!(data_before.exists(), "data backups are kept longer (14 days)");

    // A file that is not a backup is refused by name, and nothing is replaced.
    let bogus = restored.0.join("bogus.db");
    std::fs::write(&bogus, b"not a database").unwrap();
    let refused = run(steward().args(["--database-url", &restored_url, "restore", "--from", &bogus.to_string_lossy()]));
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("bogus.db"), "{}", text(&refused.stderr));
}

#[tokio::test]
async fn serve_without_a_mail_server_prints_no_link_unless_asked() {
    // promise: SEC-2
    // A reset or export link is a bearer secret: `serve` without SMTP drops the mail and
    // logs its kind; it prints links only when the operator asks (demo does).
    let dir = ScratchDir::new("no-smtp");
    let mut command = steward();
    command.args(["--data-dir", &dir.0.to_string_lossy(), "--listen", "127.0.0.1:0", "serve"]);
    let running = Running::start(command);
    let mut browser = Browser::new(&running.base);
    let fields = [
        ("business_name", "Quiet Salon"),
        ("slug", "quiet-salon"),
        ("country", "IN"),
        ("time_zone", "Asia/Kolkata"),
        ("name", "Generated Owner"),
        ("email", "owner@quiet-salon.example"),
        ("password", PASSWORD),
        ("accept_policy", "yes"),
    ];
    assert_eq!(browser.submit("/signup", "/signup", &fields).await.status, StatusCode::SEE_OTHER);
    browser.submit("/forgot", "/forgot", &[("workspace", "quiet-salon"), ("email", "owner@quiet-salon.example")]).await;
    // Mail is sent in the background: give it time to be dropped (and logged) before stopping.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (console, stderr) = running.stop_and_collect();
    let console = console.join("\n");
    assert!(!console.contains("/verify/") && !console.contains("/reset/"), "{console}");
    assert!(stderr.contains("no mail server is configured"), "the log says mail was dropped: {stderr}");
}

#[tokio::test]
async fn a_person_erased_while_serve_runs_is_in_no_file_of_the_data_folder_once_it_stops() {
    // promise: DSR-3
    // As an operator does it: serve runs, the person is erased (here by `steward dsar`,
    // a second process on the same files), serve is stopped with SIGTERM, and every file
    // of the data folder is read, the key store and both write-ahead logs included.
    if crate::harness::suite_on_postgres() {
        return;
    }
    let dir = ScratchDir::new("erase-on-disk");
    let data = dir.0.join("data").to_string_lossy().to_string();
    let created = run(steward()
        .args(["--data-dir", &data, "tenant", "create", "--name", "Scrub Salon", "--slug", "scrub"])
        .args(["--owner-email", "owner@scrub.example", "--owner-name", "Generated Owner"])
        .env("STEWARD_OWNER_PASSWORD", PASSWORD));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let file = dir.0.join("clients.csv");
    std::fs::write(
        &file,
        "Name,Mobile,Email\nOttilie Scrubwell,98450 71717,ottilie@scrubwell.example\nBertram Keepwell,98450 72727,bertram@keepwell.example\n",
    )
    .unwrap();
    let mut command = steward();
    command.args(["--data-dir", &data, "--listen", "127.0.0.1:0", "serve"]);
    let running = Running::start(command);
    let health = crate::harness::client().get(format!("{}/readyz", running.base)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // Written while serve holds the files open, the person's pages go through the
    // write-ahead log, where their old versions stay until the log is emptied.
    let imported =
        run(steward().args(["--data-dir", &data, "import", "customers", &file.to_string_lossy(), "--tenant", "scrub"]));
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let erased = run(steward().args(["--data-dir", &data, "dsar", "erase", "--tenant", "scrub"]).args([
        "--email",
        "ottilie@scrubwell.example",
        "--reason",
        "ticket 77 from the owner",
    ]));
    assert!(erased.status.success(), "{}", text(&erased.stderr));
    let status = running.terminate();
    assert!(status.success(), "{status:?}");

    let mut kept_seen = false;
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let holds = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        for trace in ["Ottilie", "Scrubwell", "scrubwell", "9845071717", "ottilie@"] {
            assert!(!holds(trace), "{} still holds {trace}", path.display());
        }
        kept_seen |= holds("Keepwell");
    }
    assert!(kept_seen, "the scan reads the files: the other customer is there");
}
