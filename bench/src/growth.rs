//! Growth (issue 33): one business grows from 1,000 to 100,000 customers, and at each
//! step the same requests are measured against the release binary:
//! - creating a customer through the API at each connection count (a fixed number of
//!   creates per run, so the business grows by the same amount at every step);
//! - reading one customer by id (ids sampled across the whole business);
//! - searching by name prefix.
//!
//! Names follow a realistic Indian distribution: a hundred first names and sixty surnames,
//! each chosen with Zipf weights, so the common names repeat by the thousand at 100,000
//! (what makes "possible duplicates" and name lookups grow with a business). Phones and
//! emails are unique. SQLite runs first, then PostgreSQL (when `--postgres` names an admin
//! connection) once per `--autovacuum` setting, all in one invocation, so the backends are
//! compared in the same run. Statistics are never gathered by the benchmark: with
//! autovacuum off, the plans must hold on whatever the tables had when they were empty.
//! The server's resident memory is read after the load, then again after `--idle-seconds`
//! without a request (a server gives memory back once the load is over).
//!
//! Usage: steward-bench growth [--postgres ADMIN_URL] [--autovacuum off,on] [--steps 1000,10000,30000,100000]
//!        [--creates N] [--connections 8,64] [--runs N] [--seconds N] [--idle-seconds N] [--steward PATH]

use crate::growth_floor::{self, EngineFloor};
use crate::pg_profile::{Profile, read_profile, start_profile};
use crate::{http, median_f64, median_u64, rss_kib, seed};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const FIRST: &[&str] = &[
    "Rahul",
    "Priya",
    "Amit",
    "Pooja",
    "Rohit",
    "Neha",
    "Sandeep",
    "Anjali",
    "Vikram",
    "Sneha",
    "Arjun",
    "Kavya",
    "Suresh",
    "Divya",
    "Rajesh",
    "Lakshmi",
    "Manoj",
    "Deepa",
    "Anil",
    "Swati",
    "Sanjay",
    "Meera",
    "Ravi",
    "Nisha",
    "Aditya",
    "Shreya",
    "Karthik",
    "Ananya",
    "Vijay",
    "Aishwarya",
    "Nikhil",
    "Ritu",
    "Harish",
    "Sunita",
    "Gaurav",
    "Preeti",
    "Ajay",
    "Rekha",
    "Kiran",
    "Geeta",
    "Mohan",
    "Jyoti",
    "Naveen",
    "Payal",
    "Prakash",
    "Radha",
    "Ashok",
    "Komal",
    "Sunil",
    "Bhavna",
    "Vivek",
    "Tanvi",
    "Deepak",
    "Shalini",
    "Ramesh",
    "Madhuri",
    "Arun",
    "Pallavi",
    "Srinivas",
    "Usha",
    "Varun",
    "Isha",
    "Yash",
    "Sakshi",
    "Abhishek",
    "Nandini",
    "Harsh",
    "Aarti",
    "Tarun",
    "Vandana",
    "Siddharth",
    "Kritika",
    "Rakesh",
    "Manisha",
    "Ganesh",
    "Sapna",
    "Ankit",
    "Rashmi",
    "Mahesh",
    "Smita",
    "Kunal",
    "Archana",
    "Pankaj",
    "Seema",
    "Alok",
    "Rupa",
    "Dinesh",
    "Poonam",
    "Venkat",
    "Padma",
    "Imran",
    "Farah",
    "Joseph",
    "Mary",
    "Gurpreet",
    "Harpreet",
    "Sahil",
    "Zoya",
    "Aarav",
    "Diya",
];
const LAST: &[&str] = &[
    "Sharma",
    "Kumar",
    "Singh",
    "Patel",
    "Reddy",
    "Rao",
    "Gupta",
    "Iyer",
    "Nair",
    "Verma",
    "Joshi",
    "Mehta",
    "Shah",
    "Das",
    "Pillai",
    "Menon",
    "Kulkarni",
    "Desai",
    "Chauhan",
    "Yadav",
    "Mishra",
    "Pandey",
    "Agarwal",
    "Bose",
    "Banerjee",
    "Chatterjee",
    "Mukherjee",
    "Ghosh",
    "Naidu",
    "Shetty",
    "Hegde",
    "Bhat",
    "Kapoor",
    "Malhotra",
    "Khanna",
    "Saxena",
    "Srivastava",
    "Tiwari",
    "Dubey",
    "Jain",
    "Khan",
    "Ansari",
    "Qureshi",
    "Fernandes",
    "D'Souza",
    "Pereira",
    "Gill",
    "Sandhu",
    "Grewal",
    "Thakur",
    "Rathore",
    "Chopra",
    "Bhatt",
    "Trivedi",
    "Goswami",
    "Sinha",
    "Prasad",
    "Murthy",
    "Krishnan",
    "Subramanian",
];

/// The imported list's first phone number; creates use numbers from `CREATED_PHONES`.
const IMPORTED_PHONES: u64 = 9_000_000_000;
const CREATED_PHONES: u64 = 7_000_000_000;

/// A number from `n` that looks random and is the same in every run (splitmix64).
fn scatter(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Picks one of `count` choices with Zipf weights (the first twice as common as the second).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(count: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=count)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn pick(&self, random: u64) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let point = (random >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.cumulative.partition_point(|c| *c < point).min(self.cumulative.len() - 1)
    }
}

/// The generated names (never real people): customer `i` of the business.
struct Names {
    first: Zipf,
    last: Zipf,
}

impl Names {
    fn new() -> Self {
        Names { first: Zipf::new(FIRST.len()), last: Zipf::new(LAST.len()) }
    }

    fn name(&self, i: u64) -> String {
        let first = FIRST[self.first.pick(scatter(i * 2))];
        let last = LAST[self.last.pick(scatter(i * 2 + 1))];
        format!("{first} {last}")
    }
}

fn write_csv(path: &std::path::Path, names: &Names, from: u64, to: u64) -> Result<(), String> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "Name,Mobile,Email").map_err(|e| e.to_string())?;
    for i in from..to {
        writeln!(out, "{},+91 {},grown{i}@bench.example", names.name(i), IMPORTED_PHONES + i)
            .map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

struct Options {
    postgres: Option<String>,
    autovacuum: Vec<bool>,
    steps: Vec<u64>,
    creates: usize,
    connections: Vec<usize>,
    runs: usize,
    seconds: u64,
    idle_seconds: u64,
    steward: String,
}

fn parse_list<T: std::str::FromStr>(flag: &str, value: &str) -> Result<Vec<T>, String> {
    value.split(',').map(|v| v.trim().parse().map_err(|_| format!("{flag}: '{v}' is not a whole number"))).collect()
}

fn parse(args: &[String], steward: &str) -> Result<Options, String> {
    let mut options = Options {
        postgres: None,
        autovacuum: vec![false, true],
        steps: vec![1_000, 10_000, 30_000, 100_000],
        creates: 1_000,
        connections: vec![8, 64],
        runs: 3,
        seconds: 3,
        idle_seconds: 45,
        steward: steward.to_string(),
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--postgres" => options.postgres = Some(value.clone()),
            "--autovacuum" => {
                options.autovacuum = value
                    .split(',')
                    .map(|v| match v.trim() {
                        "on" => Ok(true),
                        "off" => Ok(false),
                        other => Err(format!("--autovacuum: '{other}' is neither on nor off")),
                    })
                    .collect::<Result<_, _>>()?
            }
            "--steps" => options.steps = parse_list(flag, value)?,
            "--creates" => options.creates = value.parse().map_err(|_| "--creates: a whole number")?,
            "--connections" => options.connections = parse_list(flag, value)?,
            "--runs" => options.runs = value.parse().map_err(|_| "--runs: a whole number")?,
            "--seconds" => options.seconds = value.parse().map_err(|_| "--seconds: a whole number")?,
            "--idle-seconds" => options.idle_seconds = value.parse().map_err(|_| "--idle-seconds: a whole number")?,
            "--steward" => options.steward = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.steps.windows(2).any(|w| w[0] >= w[1]) || options.steps.is_empty() {
        return Err("--steps: sizes must grow, e.g. 1000,10000,100000".into());
    }
    Ok(options)
}

/// What one step measured.
struct Step {
    size: u64,
    /// Creates per second, per connection count.
    creates: Vec<f64>,
    read_rps: f64,
    read_p99_us: u64,
    search_rps: f64,
    search_p99_us: u64,
    /// The engine alone at this size (`growth_floor`).
    floor: EngineFloor,
    /// PostgreSQL with `pg_stat_statements` loaded: what the first create run sent.
    profile: Option<Profile>,
}

/// One backend's curve.
struct Curve {
    label: String,
    steps: Vec<Step>,
    idle_kib: u64,
    peak_kib: u64,
}

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let options = parse(args, steward)?;
    if !std::path::Path::new(&options.steward).exists() {
        return Err(format!("{} not found: build it first with cargo build --release", options.steward));
    }
    let mut curves = vec![grow(&options, None).await?];
    if let Some(admin) = options.postgres.clone() {
        let before = autovacuum_setting(&admin).await?;
        for on in options.autovacuum.clone() {
            set_autovacuum(&admin, on).await?;
            let curve = grow(&options, Some((&admin, on))).await;
            if let Err(e) = set_autovacuum(&admin, before).await {
                eprintln!("could not set autovacuum back: {e}");
            }
            curves.push(curve?);
        }
    }
    crate::record_results(results, &report(&options, &curves))
}

async fn admin_connection(admin: &str) -> Result<sqlx::PgConnection, String> {
    use sqlx::Connection;
    sqlx::PgConnection::connect(admin).await.map_err(|e| format!("connect {admin}: {e}"))
}

async fn autovacuum_setting(admin: &str) -> Result<bool, String> {
    let mut conn = admin_connection(admin).await?;
    let value: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(value == "on")
}

/// Autovacuum is server-wide: the benchmark sets it for its run and puts it back after.
async fn set_autovacuum(admin: &str, on: bool) -> Result<(), String> {
    let mut conn = admin_connection(admin).await?;
    let value = if on { "on" } else { "off" };
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER SYSTEM SET autovacuum = {value}")))
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("SELECT pg_reload_conf()").execute(&mut conn).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Grows one business on one backend and measures each step.
async fn grow(options: &Options, postgres: Option<(&str, bool)>) -> Result<Curve, String> {
    let label = match postgres {
        None => "SQLite".to_string(),
        Some((_, on)) => format!("PostgreSQL, autovacuum {}", if on { "on" } else { "off" }),
    };
    println!("\n{label}");
    let data_dir = std::env::temp_dir().join(format!("steward-bench-growth-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let seeded = seed::seed(&data_dir, postgres.map(|(admin, _)| admin), 1).await?;
    let url = seeded.runtime_url.clone();
    let token = seed::customers_token(&data_dir, &seeded, "growth bench").await?;

    let (server, address) = seed::start_server(&options.steward, &data_dir, url.as_deref()).await?;
    let names = Arc::new(Names::new());
    let created = Arc::new(AtomicUsize::new(0));
    let mut imported: u64 = 0;
    let mut steps = Vec::new();
    let mut peak_kib = 0;
    for &target in &options.steps {
        let size = imported + created.load(Ordering::Relaxed) as u64;
        if target > size {
            let file = data_dir.join("grow.csv");
            write_csv(&file, &names, imported, imported + (target - size))?;
            crate::customers::import(
                &options.steward,
                &data_dir,
                url.as_deref(),
                &file,
                &seeded.login_slug,
                (target - size) as usize,
            )?;
            imported += target - size;
        }
        let size = imported + created.load(Ordering::Relaxed) as u64;
        let engine = match postgres {
            None => Engine::Sqlite(data_dir.join("steward.db")),
            Some(_) => Engine::Postgres(seeded.admin_database_url().ok_or("no PostgreSQL database")?),
        };
        let round = steps.len() as u64;
        let step = measure_step(options, &address, &token, &names, &created, size, &engine, round).await?;
        peak_kib = peak_kib.max(rss_kib(server.0.id(), "VmHWM:"));
        steps.push(step);
    }
    // What the server keeps once the load is over.
    let after_load_kib = rss_kib(server.0.id(), "VmRSS:");
    tokio::time::sleep(Duration::from_secs(options.idle_seconds)).await;
    let idle_kib = rss_kib(server.0.id(), "VmRSS:");
    peak_kib = peak_kib.max(rss_kib(server.0.id(), "VmHWM:"));
    println!(
        "resident {:.1} MiB as the load ended, {:.1} MiB after {} s idle (peak {:.1} MiB)",
        after_load_kib as f64 / 1024.0,
        idle_kib as f64 / 1024.0,
        options.idle_seconds,
        peak_kib as f64 / 1024.0
    );
    drop(server);
    seeded.cleanup().await;
    crate::remove_data(&data_dir);
    Ok(Curve { label, steps, idle_kib, peak_kib })
}

/// Where the engine-alone floor is measured: the database the server is using.
enum Engine {
    Sqlite(std::path::PathBuf),
    /// The bench database, as its administrator.
    Postgres(String),
}

#[allow(clippy::too_many_arguments)]
async fn measure_step(
    options: &Options,
    address: &str,
    token: &str,
    names: &Arc<Names>,
    created: &Arc<AtomicUsize>,
    size: u64,
    engine: &Engine,
    round: u64,
) -> Result<Step, String> {
    let mut creates = Vec::new();
    let mut profile = None;
    for (which, &connections) in options.connections.iter().enumerate() {
        let mut rates = Vec::new();
        for run in 0..options.runs {
            let profiling = match engine {
                Engine::Postgres(url) if which == 0 && run == 0 => start_profile(url).await,
                _ => false,
            };
            let stop_at = created.load(Ordering::Relaxed) + options.creates;
            let (counter, names, token) = (created.clone(), names.clone(), token.to_string());
            let make: http::RequestMaker = Arc::new(move |_, _| {
                let n = counter.fetch_add(1, Ordering::Relaxed) as u64;
                let body = format!(
                    r#"{{"name":"{}","phone":"+91{}","email":"made{n}@bench.example"}}"#,
                    names.name(1_000_000_000 + n),
                    CREATED_PHONES + n
                );
                http::json_request("POST", "/api/v1/customers", &token, &body)
            });
            let counter = created.clone();
            let keep_going = Arc::new(move || counter.load(Ordering::Relaxed) < stop_at);
            let result = http::load_until(address, make, connections, keep_going).await?;
            if result.errors > 0 {
                return Err(format!("{} creates failed at {size} customers", result.errors));
            }
            if let (true, Engine::Postgres(url)) = (profiling, engine) {
                profile = Some(read_profile(url, options.creates).await?);
            }
            rates.push(result.per_second);
        }
        creates.push(median_f64(rates));
    }

    let ids = sample_ids(address, token, 2_000).await?;
    if ids.is_empty() {
        return Err("the business has no customers to read".into());
    }
    let name_of = |i: u64| names.name(i);
    let floor = match engine {
        Engine::Sqlite(path) => growth_floor::sqlite(path, &ids, &name_of, round)?,
        Engine::Postgres(url) => growth_floor::postgres(url, &ids, &name_of, round).await?,
    };
    let read_token = token.to_string();
    let read: http::RequestMaker = Arc::new(move |c, n| {
        let id = &ids[(scatter((c * 100_003 + n) as u64) % ids.len() as u64) as usize];
        http::get_request(&format!("/api/v1/customers/{id}"), &read_token)
    });
    let search_token = token.to_string();
    let search: http::RequestMaker = Arc::new(move |c, n| {
        let i = scatter((c * 7 + n) as u64) as usize;
        let prefix: String = if i.is_multiple_of(2) {
            FIRST[i % FIRST.len()].chars().take(3).collect()
        } else {
            format!("{} {}", FIRST[i % FIRST.len()], LAST[(i / 7) % LAST.len()].chars().take(2).collect::<String>())
        };
        http::get_request(
            &format!("/api/v1/customers?q={}&limit=20", prefix.replace(' ', "%20").replace('\'', "%27")),
            &search_token,
        )
    });
    let connections = options.connections.first().copied().unwrap_or(8);
    let mut measured = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for _ in 0..options.runs {
        for (which, make) in [read.clone(), search.clone()].into_iter().enumerate() {
            let result = http::load_varied(address, make, connections, Duration::from_secs(options.seconds)).await?;
            if result.errors > 0 {
                return Err(format!("{} {} failed at {size} customers", result.errors, ["reads", "searches"][which]));
            }
            measured[which].0.push(result.per_second);
            measured[which].1.push(result.p99_us);
        }
    }
    let [(read_rps, read_p99), (search_rps, search_p99)] = measured;
    let step = Step {
        size,
        creates,
        read_rps: median_f64(read_rps),
        read_p99_us: median_u64(read_p99),
        search_rps: median_f64(search_rps),
        search_p99_us: median_u64(search_p99),
        floor,
        profile,
    };
    let creates: Vec<String> =
        options.connections.iter().zip(&step.creates).map(|(c, rate)| format!("{rate:.0}/s at {c}")).collect();
    println!(
        "{size} customers: create {}; read by id {:.0} req/s (p99 {:.2} ms); search {:.0} req/s (p99 {:.2} ms)",
        creates.join(", "),
        step.read_rps,
        step.read_p99_us as f64 / 1000.0,
        step.search_rps,
        step.search_p99_us as f64 / 1000.0
    );
    println!(
        "  the engine alone: {:.0} point reads/s, {:.0} inserts/s (one connection)",
        step.floor.reads_per_second, step.floor.inserts_per_second
    );
    if let Some(profile) = &step.profile {
        println!("  {:.1} statements per create", profile.statements_per_request);
    }
    Ok(step)
}

/// Up to `wanted` customer ids spread over the whole business, read page by page through
/// the API in creation order and thinned evenly.
async fn sample_ids(address: &str, token: &str, wanted: usize) -> Result<Vec<String>, String> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/v1/customers?sort=created&limit=500".to_string(),
            Some(c) => format!("/api/v1/customers?sort=created&limit=500&cursor={}", percent_encode(c)),
        };
        let (status, body) = http::send_once(address, &http::get_request(&path, token)).await?;
        if status != 200 {
            return Err(format!("listing customers answered {status}: {body}"));
        }
        let page: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("a customer page: {e}"))?;
        let customers = page["customers"].as_array().cloned().unwrap_or_default();
        all.extend(customers.iter().filter_map(|c| c["id"].as_str().map(str::to_string)));
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() || customers.is_empty() {
            break;
        }
    }
    let every = (all.len() / wanted).max(1);
    Ok(all.into_iter().step_by(every).collect())
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn report(options: &Options, curves: &[Curve]) -> String {
    let mut out = format!(
        "\n## Growth, {date}\n\n`steward-bench growth{pg}` (release build; one business grown to each size by import, \
         then {creates} creates per run at each connection count, reads by id and name searches for {seconds} s at \
         {first} connections; median of {runs} runs; no ANALYZE by the benchmark)\n",
        date = jiff::Zoned::now().date(),
        pg = if options.postgres.is_some() { " --postgres ADMIN_URL" } else { "" },
        creates = options.creates,
        seconds = options.seconds,
        first = options.connections.first().copied().unwrap_or(8),
        runs = options.runs,
    );
    for curve in curves {
        out.push_str(&format!("\n### {}\n\n| customers |", curve.label));
        for c in &options.connections {
            out.push_str(&format!(" create, {c} conn. |"));
        }
        out.push_str(" read by id | search | engine alone: point read, insert |\n|---|");
        out.push_str(&"---|".repeat(options.connections.len() + 3));
        out.push('\n');
        for step in &curve.steps {
            out.push_str(&format!("| {} |", step.size));
            for rate in &step.creates {
                out.push_str(&format!(" {rate:.0}/s |"));
            }
            out.push_str(&format!(
                " {:.0} req/s, p99 {:.2} ms | {:.0} req/s, p99 {:.2} ms | {:.0}/s, {:.0}/s |\n",
                step.read_rps,
                step.read_p99_us as f64 / 1000.0,
                step.search_rps,
                step.search_p99_us as f64 / 1000.0,
                step.floor.reads_per_second,
                step.floor.inserts_per_second
            ));
        }
        for step in &curve.steps {
            if let Some(profile) = &step.profile {
                out.push_str(&profile.as_markdown(&format!("At {} customers, one create run", step.size), "create"));
            }
        }
        if let (Some(first), Some(last)) = (curve.steps.first(), curve.steps.last()) {
            let ratios: Vec<String> = first
                .creates
                .iter()
                .zip(&last.creates)
                .map(|(a, b)| format!("{:.0}%", b / a * 100.0))
                .chain([format!("{:.0}%", last.read_rps / first.read_rps * 100.0)])
                .collect();
            let engine = format!(
                "point read {:.0}%, insert {:.0}%",
                last.floor.reads_per_second / first.floor.reads_per_second * 100.0,
                last.floor.inserts_per_second / first.floor.inserts_per_second * 100.0
            );
            out.push_str(&format!(
                "\nlast step against the first (create per connection count, then read): {}; the engine alone: {}; server resident {:.1} MiB idle after the load, peak {:.1} MiB\n",
                ratios.join(", "),
                engine,
                curve.idle_kib as f64 / 1024.0,
                curve.peak_kib as f64 / 1024.0
            ));
        }
    }
    if let Some(sqlite) = curves.first() {
        for curve in &curves[1..] {
            if let (Some(s), Some(p)) = (sqlite.steps.last(), curve.steps.last()) {
                let ratios: Vec<String> = options
                    .connections
                    .iter()
                    .zip(s.creates.iter().zip(&p.creates))
                    .map(|(c, (s, p))| format!("{:.0}% at {c}", p / s * 100.0))
                    .collect();
                out.push_str(&format!(
                    "\n{} create against SQLite's at the last step: {}\n",
                    curve.label,
                    ratios.join(", ")
                ));
            }
        }
    }
    out
}
