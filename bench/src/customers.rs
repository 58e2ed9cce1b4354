//! The customers numbers (issue 3), against the release binary:
//! - `steward import customers` of a generated CSV (default 100,000 rows): rows per second
//!   and the process's peak memory (VmHWM), the median of several runs, each into a fresh
//!   tenant while other tenants' customers are present;
//! - search through the API over those customers: name prefixes and phone digits, p50/p99;
//! - on SQLite, what SQLite alone takes to write the same rows (`sqlite_floor.rs`), in the
//!   same database in the same run: the import's floor on this machine;
//! - creating customers through the API (each with its audit event): requests per second;
//! - with `--unaudited PATH` (a build made with `RUSTFLAGS="--cfg steward_unaudited"`, which
//!   writes no audit events), what the audit event costs that request: both builds in turn
//!   on the same data, the median of each.
//!
//! Usage: steward-bench customers [--postgres ADMIN_URL] [--rows N] [--runs N] [--seconds N]
//!        [--connections N] [--steward PATH] [--unaudited PATH]

use crate::{http, median_f64, median_u64, rss_kib, seed};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FIRST: &[&str] = &[
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan", "Ananya", "Diya",
    "Aadhya", "Saanvi", "Pari", "Anika", "Navya", "Myra", "Sara", "Kiara", "Meera", "Kabir", "Zoë", "Rohan", "Neha",
];
const LAST: &[&str] = &[
    "Sharma",
    "Verma",
    "Iyer",
    "Nair",
    "Reddy",
    "Patel",
    "Shah",
    "Mehta",
    "Joshi",
    "Kulkarni",
    "Das",
    "Bose",
    "Rao",
    "Menon",
    "Pillai",
    "Gupta",
    "Singh",
    "Khan",
    "Fernandes",
    "D'Souza",
];

/// The first phone number of the imported list.
const PHONE_BASE: u64 = 9_000_000_000;

/// One generated (never real) customer: row `i` of every benchmark's customer list.
pub(crate) struct GeneratedCustomer {
    pub(crate) name: String,
    /// The national number (ten digits), written in the file as two groups of five.
    pub(crate) phone: u64,
    pub(crate) email: String,
    pub(crate) tag: &'static str,
    pub(crate) note: String,
}

pub(crate) fn generated_customer(i: usize, phone_base: u64) -> GeneratedCustomer {
    GeneratedCustomer {
        name: format!("{} {} {i}", FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]),
        phone: phone_base + i as u64,
        email: format!("customer{i}.{phone_base}@bench.example"),
        tag: if i.is_multiple_of(7) { "vip" } else { "regular" },
        note: format!("Generated row {i}"),
    }
}

/// A generated customer list: unique phones and emails, names from a small set.
pub(crate) fn write_csv(path: &std::path::Path, rows: usize, phone_base: u64) -> Result<u64, String> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "Name,Mobile,Email,Tags,Notes").map_err(|e| e.to_string())?;
    for i in 0..rows {
        let c = generated_customer(i, phone_base);
        writeln!(
            out,
            "{},{:05} {:05},{},{},\"{}\"",
            c.name,
            c.phone / 100_000,
            c.phone % 100_000,
            c.email,
            c.tag,
            c.note
        )
        .map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    std::fs::metadata(path).map(|m| m.len()).map_err(|e| e.to_string())
}

pub(crate) struct Imported {
    pub(crate) rows_per_second: f64,
    pub(crate) peak_kib: u64,
}

pub(crate) fn import(
    steward: &str,
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    file: &std::path::Path,
    slug: &str,
    rows: usize,
) -> Result<Imported, String> {
    let mut command = Command::new(steward);
    command.arg("--data-dir").arg(data_dir).env("RUST_LOG", "warn").stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    command.args(["import", "customers"]).arg(file).args(["--tenant", slug]);
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("start steward import: {e}"))?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        peak = peak.max(rss_kib(pid, "VmHWM:"));
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let seconds = started.elapsed().as_secs_f64();
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("import failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let said = String::from_utf8_lossy(&output.stdout);
    if !said.contains(&format!("{rows} created")) {
        return Err(format!("import did not create every row: {said}"));
    }
    Ok(Imported { rows_per_second: rows as f64 / seconds, peak_kib: peak })
}

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut postgres: Option<String> = None;
    let mut rows: usize = 100_000;
    let mut runs: usize = 3;
    let mut seconds: u64 = 5;
    let mut connections: usize = 16;
    let mut steward = steward.to_string();
    let mut unaudited: Option<String> = None;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--postgres" => postgres = Some(value.clone()),
            "--rows" => rows = value.parse().map_err(|_| "--rows: a whole number")?,
            "--runs" => runs = value.parse().map_err(|_| "--runs: a whole number")?,
            "--seconds" => seconds = value.parse().map_err(|_| "--seconds: a whole number")?,
            "--connections" => connections = value.parse().map_err(|_| "--connections: a whole number")?,
            "--steward" => steward = value.clone(),
            "--unaudited" => unaudited = Some(value.clone()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !std::path::Path::new(&steward).exists() {
        return Err(format!("{steward} not found: build it first with cargo build --release"));
    }
    let data_dir = std::env::temp_dir().join(format!("steward-bench-crm-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    // One tenant per import run, plus two whose customers are "other tenants' data".
    let seeded = seed::seed(&data_dir, postgres.as_deref(), runs + 2).await?;
    let url = seeded.runtime_url.clone();
    let file = data_dir.join("customers.csv");
    let bytes = write_csv(&file, rows, PHONE_BASE)?;
    println!("{} customers, {:.1} MB of CSV, on {}", rows, bytes as f64 / 1e6, seeded.backend);

    // Other tenants' customers first, so every later number runs beside them.
    for other in [runs, runs + 1] {
        import(&steward, &data_dir, url.as_deref(), &file, &format!("bench-{other:04}"), rows)?;
    }
    let mut rates = Vec::new();
    let mut peaks = Vec::new();
    for run in 0..runs {
        let imported = import(&steward, &data_dir, url.as_deref(), &file, &format!("bench-{run:04}"), rows)?;
        println!(
            "import run {}: {:.0} rows/s, peak {:.0} MiB",
            run + 1,
            imported.rows_per_second,
            imported.peak_kib as f64 / 1024.0
        );
        rates.push(imported.rows_per_second);
        peaks.push(imported.peak_kib);
    }

    // SQLite alone writing the same rows, in the same database, in the same run: how much
    // of the import's time is SQLite's own (see sqlite_floor.rs).
    let mut floor = None;
    if postgres.is_none() {
        let measured = crate::sqlite_floor::measure(&data_dir.join("steward.db"), rows, runs, PHONE_BASE)?;
        for (run, (all, without)) in measured.all_rows.iter().zip(&measured.without_terms).enumerate() {
            println!(
                "SQLite alone, the same rows, run {}: {all:.0} rows/s ({without:.0} without the search terms)",
                run + 1
            );
        }
        floor = Some(measured);
    }

    // A token that may read and write customers, for the API numbers on tenant bench-0000.
    let token = seed::customers_token(&data_dir, &seeded, "crm bench").await?;

    let (server, address) = seed::start_server(&steward, &data_dir, url.as_deref()).await?;

    // Search: name prefixes and phone digits, as someone types them.
    let queries: Vec<String> = FIRST
        .iter()
        .map(|f| f.chars().take(3).collect::<String>())
        .chain(LAST.iter().map(|l| l.chars().take(4).collect::<String>()))
        .chain((0..40).map(|i| format!("{}", PHONE_BASE + (i * 2_477) as u64).chars().skip(4).take(5).collect()))
        .chain((0..40).map(|i| format!("{:04}", (i * 2_477) % 10_000)))
        .collect();
    // Each query once, alone: the slowest shapes are named, so a slow p99 can be traced.
    let mut alone = Vec::new();
    for q in &queries {
        let request =
            http::get_request(&format!("/api/v1/customers?q={}&limit=20", form_urlencoded_minimal(q)), &token);
        let started = Instant::now();
        http::send_once(&address, &request).await?;
        alone.push((started.elapsed().as_micros() as u64, q.clone()));
    }
    alone.sort_unstable_by_key(|a| std::cmp::Reverse(a.0));
    let slowest: Vec<String> =
        alone.iter().take(5).map(|(us, q)| format!("'{q}' {:.1} ms", *us as f64 / 1000.0)).collect();
    println!("slowest searches alone: {}", slowest.join(", "));
    let search_token = token.clone();
    let make: http::RequestMaker = std::sync::Arc::new(move |c, n| {
        let q = &queries[(c * 7 + n) % queries.len()];
        let q: String = form_urlencoded_minimal(q);
        http::get_request(&format!("/api/v1/customers?q={q}&limit=20"), &search_token)
    });
    http::load_varied(&address, make.clone(), connections, Duration::from_secs(2)).await?; // warm-up
    let mut search_rps = Vec::new();
    let mut search_p50 = Vec::new();
    let mut search_p99 = Vec::new();
    for run in 1..=runs {
        let result = http::load_varied(&address, make.clone(), connections, Duration::from_secs(seconds)).await?;
        println!(
            "search run {run}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            result.per_second,
            result.p50_us as f64 / 1000.0,
            result.p99_us as f64 / 1000.0,
            result.errors
        );
        if result.errors > 0 {
            return Err(format!("{} searches failed", result.errors));
        }
        search_rps.push(result.per_second);
        search_p50.push(result.p50_us);
        search_p99.push(result.p99_us);
    }

    // Creating customers through the API, each with its audit record.
    let create_token = token.clone();
    let create: http::RequestMaker = std::sync::Arc::new(move |c, n| {
        let body = format!(
            r#"{{"name":"Created {c} {n}","phone":"+91{}","email":"created{c}x{n}@bench.example","tags":["api"]}}"#,
            7_000_000_000 + (c as u64 * 1_000_000 + n as u64) % 1_000_000_000
        );
        http::json_request("POST", "/api/v1/customers", &create_token, &body)
    });
    let (status, body) = http::send_once(&address, &create(9_999, 0)).await?;
    if status != 201 {
        return Err(format!("creating a customer answered {status}: {body}"));
    }
    let mut create_rps = Vec::new();
    for run in 1..=runs {
        let offset = run * 100;
        let make = create.clone();
        let varied: http::RequestMaker = std::sync::Arc::new(move |c, n| make(c + offset, n));
        let result = http::load_varied(&address, varied, connections, Duration::from_secs(seconds)).await?;
        println!(
            "create run {run}: {:.0} customers/s, p99 {:.2} ms, {} errors",
            result.per_second,
            result.p99_us as f64 / 1000.0,
            result.errors
        );
        if result.errors > 0 {
            return Err(format!("{} creates failed", result.errors));
        }
        create_rps.push(result.per_second);
    }
    drop(server);

    // The audit event's cost to the same request: the same creates against a build that
    // writes no audit events, alternating with the real one, on the same data.
    let mut with_audit = Vec::new();
    let mut without_audit = Vec::new();
    if let Some(unaudited) = &unaudited {
        for run in 1..=runs {
            for (binary, audited) in [(steward.as_str(), true), (unaudited.as_str(), false)] {
                let (server, address) = seed::start_server(binary, &data_dir, url.as_deref()).await?;
                let offset = 1_000 + run * 100 + usize::from(audited) * 50;
                let make = create.clone();
                let varied: http::RequestMaker = std::sync::Arc::new(move |c, n| make(c + offset, n));
                http::load_varied(&address, varied.clone(), connections, Duration::from_secs(1)).await?; // warm-up
                let result = http::load_varied(&address, varied, connections, Duration::from_secs(seconds)).await?;
                drop(server);
                if result.errors > 0 {
                    return Err(format!("{} creates failed", result.errors));
                }
                println!(
                    "create {} audit, run {run}: {:.0} customers/s",
                    if audited { "with" } else { "without" },
                    result.per_second
                );
                if audited { with_audit.push(result.per_second) } else { without_audit.push(result.per_second) }
            }
        }
    }
    seeded.cleanup().await;
    crate::remove_data(&data_dir);

    let summary = format!(
        "\n## Customers, {backend}, {date}\n\n`steward-bench customers{pg}` (release build; {rows} customers per tenant, {others} other tenants' \
         {rows} each present; median of {runs} runs)\n\n\
         | measure | result |\n|---|---|\n\
         | import through the CLI | {rate:.0} rows/s |\n\
         | import peak memory (VmHWM) | {peak:.0} MiB |\n{floor}\
         | search (name prefix / phone digits), {connections} connections | {srps:.0} req/s, p50 {sp50:.2} ms, p99 {sp99:.2} ms |\n\
         | create through the API with audit, {connections} connections | {crps:.0} customers/s |\n{audit_cost}",
        backend = seeded.backend,
        date = jiff::Zoned::now().date(),
        pg = if postgres.is_some() { " --postgres ADMIN_URL" } else { "" },
        others = 2,
        rate = median_f64(rates),
        floor = match floor {
            None => String::new(),
            Some(floor) => format!(
                "| SQLite alone writing the same rows (no reading, checks, foreign keys or commit) | {:.0} rows/s |\n\
                 | the same without the search terms | {:.0} rows/s |\n",
                median_f64(floor.all_rows),
                median_f64(floor.without_terms)
            ),
        },
        peak = median_u64(peaks) as f64 / 1024.0,
        srps = median_f64(search_rps),
        sp50 = median_u64(search_p50) as f64 / 1000.0,
        sp99 = median_u64(search_p99) as f64 / 1000.0,
        crps = median_f64(create_rps),
        audit_cost = if with_audit.is_empty() {
            String::new()
        } else {
            let (with, without) = (median_f64(with_audit), median_f64(without_audit));
            format!(
                "| create through the API, a build without / with the audit event, alternating | {without:.0} / {with:.0} customers/s ({:.1}% less) |\n",
                (1.0 - with / without) * 100.0
            )
        },
    );
    crate::record_results(results, &summary)
}

/// Enough URL encoding for the generated queries (letters, digits, apostrophes, ë).
fn form_urlencoded_minimal(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
