//! Slow clients (issue 23): `/readyz` latency while N connections (default 1,000) are
//! held open by clients that misbehave, against the release binary on SQLite. A third
//! send half a request head and stop; a third make one request and then sit idle on the
//! kept-alive connection; a third send a form's head and part of its body and stop.
//! `/readyz` is probed as a load balancer does, each probe on a new connection, first
//! with no slow connections and then with all of them held; several runs, the median
//! of each run's p50 and p99 reported. Every run ends before the default header timeout
//! (10 s) would close the half-sent heads.
//!
//! `--open-files N` starts the server with that soft open-file limit (the hard one left
//! as it is), as many systems start a service with 1024; `--hard-open-files N` lowers
//! the hard limit too, so the server cannot raise it and must turn slow connections away
//! at its connection limit instead.
//!
//! Usage: steward-bench slow-clients [--connections N] [--runs N] [--probes N]
//!        [--open-files N | --hard-open-files N] [--steward PATH]

use crate::{median_u64, percentile, seed};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const READYZ: &[u8] = b"GET /readyz HTTP/1.1\r\nHost: bench\r\n\r\n";
const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
const HALF_HEAD: &[u8] = b"GET /readyz HTTP/1.1\r\nHost: bench\r\nUser-Ag";
const STALLED_FORM: &[u8] = b"POST /login HTTP/1.1\r\nHost: bench\r\nCookie: steward_csrf=0123456789abcdef\r\n\
Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncsrf=0123";

struct Options {
    connections: usize,
    runs: usize,
    probes: usize,
    open_files: Option<u64>,
    /// The hard limit is lowered to the soft one as well.
    hard: bool,
    steward: String,
}

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut options =
        Options { connections: 1000, runs: 5, probes: 200, open_files: None, hard: false, steward: steward.into() };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|_| format!("{flag}: a whole number"));
        match flag.as_str() {
            "--connections" => options.connections = number()?,
            "--runs" => options.runs = number()?.max(1),
            "--probes" => options.probes = number()?.max(1),
            "--open-files" => options.open_files = Some(number()? as u64),
            "--hard-open-files" => {
                options.open_files = Some(number()? as u64);
                options.hard = true;
            }
            "--steward" => options.steward = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !std::path::Path::new(&options.steward).exists() {
        return Err(format!("{} not found: build it first with cargo build --release", options.steward));
    }
    let (data_dir, store, _app) = seed::fresh_sqlite("slow-clients").await?;
    store.close().await;
    let (server, address) = start(&options, &data_dir).await?;

    probe(&address, 50).await; // warm-up
    let mut alone = (Vec::new(), Vec::new(), 0);
    let mut held = (Vec::new(), Vec::new(), 0);
    let mut opened_total = Vec::new();
    for run in 1..=options.runs {
        let quiet = probe(&address, options.probes).await;
        let started = Instant::now();
        let (slow, refused) = open_slow_connections(&address, options.connections).await;
        let opening = started.elapsed();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let busy = probe(&address, options.probes).await;
        let still_held = started.elapsed();
        println!(
            "run {run}: alone p50 {:.2} ms p99 {:.2} ms; {} slow connections held ({refused} refused, opened in {:.1}s), \
             p50 {:.2} ms p99 {:.2} ms, {} of {} probes failed ({:.1}s after the first was opened)",
            quiet.p50_us as f64 / 1000.0,
            quiet.p99_us as f64 / 1000.0,
            slow.len(),
            opening.as_secs_f64(),
            busy.p50_us as f64 / 1000.0,
            busy.p99_us as f64 / 1000.0,
            busy.failed,
            options.probes,
            still_held.as_secs_f64(),
        );
        alone.0.push(quiet.p50_us);
        alone.1.push(quiet.p99_us);
        alone.2 += quiet.failed;
        held.0.push(busy.p50_us);
        held.1.push(busy.p99_us);
        held.2 += busy.failed;
        opened_total.push(slow.len() as u64);
        drop(slow);
        // Let the server see the closed sockets before the next quiet measure.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    drop(server);

    let date = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let ms = |values: Vec<u64>| median_u64(values) as f64 / 1000.0;
    let report = format!(
        "\n### {date}, slow clients, SQLite\n\n\
         Command: `cargo run --release -p steward-bench -- slow-clients {args}` (binary: {binary})\n\n\
         | measure | value |\n|---|---|\n\
         | `/readyz` on a new connection, nothing else open: p50 / p99 (median of {runs} runs of {probes}) | {a50:.2} ms / {a99:.2} ms ({afail} failed) |\n\
         | the same with {n} slow connections held (⅓ half-sent heads, ⅓ idle keep-alives, ⅓ stalled bodies) | {h50:.2} ms / {h99:.2} ms ({hfail} failed) |\n\
         | slow connections the server accepted, median of runs | {opened} of {n} |\n",
        args = args.join(" "),
        binary = options.steward,
        runs = options.runs,
        probes = options.probes,
        n = options.connections,
        a50 = ms(alone.0),
        a99 = ms(alone.1),
        afail = alone.2,
        h50 = ms(held.0),
        h99 = ms(held.1),
        hfail = held.2,
        opened = median_u64(opened_total),
    );
    crate::record_results(results, &report)?;
    crate::remove_data(&data_dir);
    Ok(())
}

/// Starts `steward serve`, under a lower soft open-file limit when asked.
async fn start(options: &Options, data_dir: &std::path::Path) -> Result<(crate::Server, String), String> {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let mut command = match options.open_files {
        // The shell lowers its own soft limit and hands it on to the server it becomes.
        Some(limit) => {
            let mut shell = Command::new("sh");
            let script = if options.hard {
                "ulimit -S -n \"$0\" && ulimit -H -n \"$0\" && exec \"$@\""
            } else {
                "ulimit -S -n \"$0\" && exec \"$@\""
            };
            shell.args(["-c", script, &limit.to_string(), &options.steward]);
            shell
        }
        None => Command::new(&options.steward),
    };
    command
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(data_dir.join("server.log")).map_err(|e| e.to_string())?);
    let server = crate::Server(command.spawn().map_err(|e| format!("start steward: {e}"))?);
    let address = format!("127.0.0.1:{port}");
    crate::http::wait_until_up(&address).await?;
    Ok((server, address))
}

/// Opens `count` misbehaving connections; the ones opened and how many were refused.
async fn open_slow_connections(address: &str, count: usize) -> (Vec<BufReader<TcpStream>>, usize) {
    let mut held = Vec::with_capacity(count);
    let mut refused = 0;
    for n in 0..count {
        let opened = tokio::time::timeout(Duration::from_secs(2), async {
            let mut stream = BufReader::new(TcpStream::connect(address).await.ok()?);
            match n % 3 {
                0 => stream.get_mut().write_all(HALF_HEAD).await.ok()?,
                1 => {
                    stream.get_mut().write_all(HEALTHZ).await.ok()?;
                    crate::http::read_response(&mut stream).await.ok()?;
                }
                _ => stream.get_mut().write_all(STALLED_FORM).await.ok()?,
            }
            Some(stream)
        })
        .await;
        match opened {
            Ok(Some(stream)) => held.push(stream),
            _ => refused += 1,
        }
    }
    (held, refused)
}

struct Probes {
    p50_us: u64,
    p99_us: u64,
    failed: usize,
}

/// `count` probes of `/readyz`, one after the other, each on a new connection; a probe
/// that fails or takes over 5 s counts as failed, and after ten the rest count as failed.
async fn probe(address: &str, count: usize) -> Probes {
    let mut times = Vec::with_capacity(count);
    let mut failed = 0;
    for n in 0..count {
        if failed >= 10 {
            // A server that stopped answering would take 5 s a probe to say so again.
            failed += count - n;
            break;
        }
        let started = Instant::now();
        let answered = tokio::time::timeout(Duration::from_secs(5), async {
            let mut stream = BufReader::new(TcpStream::connect(address).await.ok()?);
            stream.get_mut().write_all(READYZ).await.ok()?;
            let (status, _, _) = crate::http::read_response(&mut stream).await.ok()?;
            (status == 200).then_some(())
        })
        .await;
        match answered {
            Ok(Some(())) => times.push(started.elapsed().as_micros() as u64),
            _ => failed += 1,
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    times.sort_unstable();
    Probes { p50_us: percentile(&times, 0.5), p99_us: percentile(&times, 0.99), failed }
}
