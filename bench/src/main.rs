//! `steward-bench`: measures Steward's foundation numbers against the release binary.
//!
//! It seeds a database (many tenants, each with members), starts `steward serve` as its
//! own process, and drives it from this process over loopback:
//! - token-authenticated `GET /api/v1/me` with N concurrent keep-alive connections
//!   (requests per second, p50 and p99 latency; several runs, the median reported);
//! - log-in (argon2id) latency, and the `/me` p99 while log-ins run beside it compared
//!   with the p99 without them, measured in the same run;
//! - the server's resident memory idle and under load (from /proc).
//!
//! Results are printed and appended to `bench/results.md`.
//!
//! Usage: steward-bench audit [--events N] [--writes N] [--runs N]   (see bench/src/audit.rs)
//!        steward-bench customers [--postgres ADMIN_URL] [--rows N] ...   (see bench/src/customers.rs)
//!        steward-bench booking [--postgres ADMIN_URL] [--runs N] ...      (see bench/src/booking.rs)
//!        steward-bench growth [--postgres ADMIN_URL] [--steps 1000,...] ... (see bench/src/growth.rs)
//!        steward-bench privacy [--customers N] [--appointments N] [--people N] (see bench/src/privacy.rs)
//!        steward-bench retention [--tenants N] [--rows N] [--customers N] ... (see bench/src/retention.rs)
//!        steward-bench messaging [--reminders N] [--tenants N] [--runs N]   (see bench/src/messaging.rs)
//!        steward-bench slow-clients [--connections N] [--runs N] [--open-files N] (see bench/src/slow_clients.rs)
//!        steward-bench pages [--runs N] [--requests N]                       (see bench/src/pages.rs)
//!        steward-bench [--postgres ADMIN_URL] [--steward PATH] [--seconds N] [--runs N]
//!        [--connections N] [--tenants N] [--results FILE] [--wrk]

// The seeders write fixture rows straight into tenant tables, as the test suite does, so
// they open tenant transactions themselves rather than going through a service's write path.
#![allow(clippy::disallowed_methods)]

mod audit;
mod booking;
mod customers;
mod growth;
mod growth_floor;
mod http;
mod messaging;
mod pages;
mod pg_profile;
mod privacy;
mod retention;
mod seed;
mod slow_clients;
mod sqlite_floor;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Options {
    postgres: Option<String>,
    steward: String,
    seconds: u64,
    runs: usize,
    connections: usize,
    tenants: usize,
    results: String,
    /// Drive the `/me` load with wrk (Debian's package) instead of the built-in client.
    wrk: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        postgres: None,
        steward: default_binary(),
        seconds: 5,
        runs: 5,
        connections: 64,
        tenants: 100,
        results: "bench/results.md".into(),
        wrk: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--postgres" => options.postgres = Some(value()?),
            "--steward" => options.steward = value()?,
            "--seconds" => options.seconds = value()?.parse().map_err(|_| "--seconds: a whole number")?,
            "--runs" => options.runs = value()?.parse().map_err(|_| "--runs: a whole number")?,
            "--connections" => options.connections = value()?.parse().map_err(|_| "--connections: a whole number")?,
            "--tenants" => options.tenants = value()?.parse().map_err(|_| "--tenants: a whole number")?,
            "--results" => options.results = value()?,
            "--wrk" => options.wrk = true,
            other => return Err(format!("unknown flag {other}; see the top of bench/src/main.rs")),
        }
    }
    Ok(options)
}

fn default_binary() -> String {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    format!("{target}/release/steward")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Prints a run's report and appends it to the results file.
fn record_results(results: &str, report: &str) -> Result<(), String> {
    use std::io::Write;
    println!("{report}");
    let mut file =
        std::fs::OpenOptions::new().create(true).append(true).open(results).map_err(|e| format!("{results}: {e}"))?;
    file.write_all(report.as_bytes()).map_err(|e| e.to_string())
}

/// Removes a benchmark's data folder, unless `STEWARD_BENCH_KEEP` is set: then it is kept
/// (with the server's log) for a closer look, and its place is printed.
fn remove_data(dir: &std::path::Path) {
    if std::env::var_os("STEWARD_BENCH_KEEP").is_some() {
        println!("kept the data in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn median_u64(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let results = "bench/results.md";
    let binary = default_binary();
    let rest = arguments.get(1..).unwrap_or_default();
    let measured = match arguments.first().map(String::as_str) {
        Some("customers") => Some(customers::run(rest, &binary, results).await),
        Some("booking") => Some(booking::run(rest, &binary, results).await),
        Some("growth") => Some(growth::run(rest, &binary, results).await),
        Some("privacy") => Some(privacy::run(rest, &binary, results).await),
        Some("retention") => Some(retention::run(rest, &binary, results).await),
        Some("messaging") => Some(messaging::run(rest, &binary, results).await),
        Some("audit") => Some(audit::run(rest, &binary, results).await),
        Some("slow-clients") => Some(slow_clients::run(rest, &binary, results).await),
        Some("pages") => Some(pages::run(rest, &binary, results).await),
        _ => None,
    };
    if let Some(outcome) = measured {
        if let Err(e) = outcome {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(options).await {
        eprintln!("error: {e}");
        eprintln!("(the server's log is kept in the steward-bench-* folder under the temp directory)");
        std::process::exit(1);
    }
}

async fn run(options: Options) -> Result<(), String> {
    if !std::path::Path::new(&options.steward).exists() {
        return Err(format!("{} not found: build it first with cargo build --release", options.steward));
    }
    let data_dir = std::env::temp_dir().join(format!("steward-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let seeded = seed::seed(&data_dir, options.postgres.as_deref(), options.tenants).await?;
    println!(
        "seeded {} tenants, {} members, on {} in {:.1}s",
        seeded.tenants,
        seeded.members,
        seeded.backend,
        started.elapsed().as_secs_f64()
    );

    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let mut command = Command::new(&options.steward);
    command
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("STEWARD_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(data_dir.join("server.log")).map_err(|e| e.to_string())?);
    if let Some(url) = &seeded.runtime_url {
        command.arg("--database-url").arg(url);
    }
    let server = Server(command.arg("serve").spawn().map_err(|e| format!("start steward: {e}"))?);
    let pid = server.0.id();
    let address = format!("127.0.0.1:{port}");
    http::wait_until_up(&address).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kib(pid, "VmRSS:");

    let me = http::get_request("/api/v1/me", &seeded.token);
    http::load(&address, &me, options.connections, Duration::from_secs(2)).await?; // warm-up
    let mut rps = Vec::new();
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut peak_rss = 0;
    for run in 1..=options.runs {
        let sampler = tokio::spawn(async move {
            let mut max = 0;
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                max = max.max(rss_kib(pid, "VmRSS:"));
            }
            max
        });
        let result = if options.wrk {
            http::load_with_wrk(&address, "/api/v1/me", &seeded.token, options.connections, options.seconds)?
        } else {
            http::load(&address, &me, options.connections, Duration::from_secs(options.seconds)).await?
        };
        peak_rss = peak_rss.max(sampler.await.unwrap_or(0));
        println!(
            "run {run}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            result.per_second,
            result.p50_us as f64 / 1000.0,
            result.p99_us as f64 / 1000.0,
            result.errors
        );
        if result.errors > 0 {
            return Err(format!("{} requests failed", result.errors));
        }
        rps.push(result.per_second);
        p50.push(result.p50_us);
        p99.push(result.p99_us);
    }

    // Log-in latency, alone.
    let login =
        http::LoginForm::prepare(&address, &seeded.login_slug, &seeded.login_email, &seeded.login_password).await?;
    let mut login_times = Vec::new();
    for _ in 0..30 {
        login_times.push(login.log_in(&address).await?);
    }
    login_times.sort_unstable();

    // /me beside log-ins: two clients log in continuously while the load runs.
    let baseline = http::load(&address, &me, options.connections, Duration::from_secs(options.seconds)).await?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loggers = Vec::new();
    for _ in 0..2 {
        let stop = stop.clone();
        let login = login.clone();
        let address = address.clone();
        loggers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match login.log_in(&address).await {
                    Ok(t) => times.push(t),
                    Err(_) => break,
                }
            }
            times
        }));
    }
    let beside = http::load(&address, &me, options.connections, Duration::from_secs(options.seconds)).await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut busy_logins = Vec::new();
    for logger in loggers {
        busy_logins.extend(logger.await.unwrap_or_default());
    }
    busy_logins.sort_unstable();
    let hwm = rss_kib(pid, "VmHWM:");

    // The audit event's cost on a write request: the same profile write with no change
    // (no event) and with a change (one event), alternating, 8 connections.
    let token = seeded.token.clone();
    let unchanged: http::RequestMaker =
        Arc::new(move |_, _| http::json_request("PATCH", "/api/v1/tenant", &token, "{}"));
    let token = seeded.token.clone();
    let changed: http::RequestMaker = Arc::new(move |c, n| {
        http::json_request("PATCH", "/api/v1/tenant", &token, &format!("{{\"name\":\"Bench business {c}-{n}\"}}"))
    });
    let mut without_audit = Vec::new();
    let mut with_audit = Vec::new();
    for _ in 0..options.runs {
        let a = http::load_varied(&address, unchanged.clone(), 8, Duration::from_secs(options.seconds)).await?;
        let b = http::load_varied(&address, changed.clone(), 8, Duration::from_secs(options.seconds)).await?;
        if a.errors + b.errors > 0 {
            return Err(format!("{} write requests failed", a.errors + b.errors));
        }
        without_audit.push(a.per_second);
        with_audit.push(b.per_second);
    }
    let without_audit = median_f64(without_audit);
    let with_audit = median_f64(with_audit);
    drop(server);

    let date = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let report = format!(
        "\n### {date}, {backend}, {tenants} tenants / {members} members\n\n\
         Command: `cargo run --release -p steward-bench -- {args}` (load generator: {generator})\n\n\
         | measure | value |\n|---|---|\n\
         | `GET /api/v1/me`, {conns} connections, median of {runs} runs of {secs}s | {rps:.0} req/s |\n\
         | p50 / p99 latency (median of runs) | {p50:.2} ms / {p99:.2} ms |\n\
         | log-in (argon2id) alone, 30 sequential: p50 / p99 | {lp50:.1} ms / {lp99:.1} ms |\n\
         | log-in while `/me` load runs: p50 ({busy_n} log-ins) | {bp50:.1} ms |\n\
         | `/me` p99 without / with 2 clients logging in continuously | {base99:.2} ms / {beside99:.2} ms |\n\
         | `/me` req/s without / with log-ins | {base_rps:.0} / {beside_rps:.0} |\n\
         | server RSS idle / peak sampled under load / high-water mark | {idle} MiB / {peak} MiB / {hwm} MiB |\n\
         | `PATCH /api/v1/tenant`, 8 connections: no change (no audit event) / a change (one event) | {without_audit:.0} / {with_audit:.0} req/s ({audit_cost:.1}% less) |\n",
        backend = seeded.backend,
        tenants = seeded.tenants,
        members = seeded.members,
        args = std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        generator = if options.wrk { "wrk, 1 thread" } else { "built-in, 2 threads" },
        conns = options.connections,
        runs = options.runs,
        secs = options.seconds,
        rps = median_f64(rps),
        p50 = median_u64(p50) as f64 / 1000.0,
        p99 = median_u64(p99) as f64 / 1000.0,
        lp50 = percentile(&login_times, 0.5) as f64 / 1000.0,
        lp99 = percentile(&login_times, 0.99) as f64 / 1000.0,
        busy_n = busy_logins.len(),
        bp50 = percentile(&busy_logins, 0.5) as f64 / 1000.0,
        base99 = baseline.p99_us as f64 / 1000.0,
        beside99 = beside.p99_us as f64 / 1000.0,
        base_rps = baseline.per_second,
        beside_rps = beside.per_second,
        idle = idle_rss / 1024,
        peak = peak_rss / 1024,
        hwm = hwm / 1024,
        audit_cost = (1.0 - with_audit / without_audit) * 100.0,
    );
    record_results(&options.results, &report)?;
    seeded.cleanup().await;
    remove_data(&data_dir);
    Ok(())
}
