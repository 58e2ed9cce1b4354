//! A deliberately small HTTP/1.1 client over keep-alive connections, so the load
//! generator costs little of the two cores it shares with the server.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub fn get_request(path: &str, token: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n").into_bytes()
}

/// Reads one response; returns status, headers (lowercased names) and body.
pub async fn read_response(
    stream: &mut BufReader<TcpStream>,
) -> std::io::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            let name = name.to_ascii_lowercase();
            let value = value.trim().to_string();
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok((status, headers, body))
}

pub async fn wait_until_up(address: &str) -> Result<(), String> {
    for _ in 0..200 {
        if let Ok(stream) = TcpStream::connect(address).await {
            let mut stream = BufReader::new(stream);
            if stream.get_mut().write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n").await.is_ok()
                && let Ok((200, _, _)) = read_response(&mut stream).await
            {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("steward did not come up".into())
}

pub struct LoadResult {
    pub per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub errors: u64,
}

/// Sends `request` over `connections` keep-alive connections for `duration`.
pub async fn load(address: &str, request: &[u8], connections: usize, duration: Duration) -> Result<LoadResult, String> {
    let request = request.to_vec();
    load_varied(address, Arc::new(move |_, _| request.clone()), connections, duration).await
}

/// Builds the request for connection `c`, iteration `n`.
pub type RequestMaker = Arc<dyn Fn(usize, usize) -> Vec<u8> + Send + Sync>;

/// A JSON request with a bearer token.
pub fn json_request(method: &str, path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Like [`load`], with a request made afresh for each connection and iteration.
pub async fn load_varied(
    address: &str,
    make: RequestMaker,
    connections: usize,
    duration: Duration,
) -> Result<LoadResult, String> {
    let deadline = Instant::now() + duration;
    load_until(address, make, connections, Arc::new(move || Instant::now() < deadline)).await
}

/// Sends requests over `connections` keep-alive connections for as long as `keep_going`
/// says so (e.g. while a sweep runs beside them).
pub async fn load_until(
    address: &str,
    make: RequestMaker,
    connections: usize,
    keep_going: Arc<dyn Fn() -> bool + Send + Sync>,
) -> Result<LoadResult, String> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for connection in 0..connections {
        let make = make.clone();
        let keep_going = keep_going.clone();
        let address = address.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let Ok(stream) = TcpStream::connect(&address).await else { return (latencies, 1) };
            let _ = stream.set_nodelay(true);
            let mut stream = BufReader::new(stream);
            let mut iteration = 0;
            while keep_going() {
                let request = make(connection, iteration);
                iteration += 1;
                let sent = Instant::now();
                if stream.get_mut().write_all(&request).await.is_err() {
                    errors += 1;
                    break;
                }
                match read_response(&mut stream).await {
                    Ok((status, _, _)) if (200..300).contains(&status) => {
                        latencies.push(sent.elapsed().as_micros() as u64)
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, e) = task.await.map_err(|e| e.to_string())?;
        all.extend(latencies);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    Ok(LoadResult {
        per_second: all.len() as f64 / elapsed,
        p50_us: crate::percentile(&all, 0.5),
        p99_us: crate::percentile(&all, 0.99),
        errors,
    })
}

/// A log-in form submission with its CSRF cookie, ready to send again and again.
#[derive(Clone)]
pub struct LoginForm {
    request: Arc<Vec<u8>>,
}

impl LoginForm {
    pub async fn prepare(address: &str, slug: &str, email: &str, password: &str) -> Result<Self, String> {
        let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
        let mut stream = BufReader::new(stream);
        stream.get_mut().write_all(b"GET /login HTTP/1.1\r\nHost: bench\r\n\r\n").await.map_err(|e| e.to_string())?;
        let (_, headers, _) = read_response(&mut stream).await.map_err(|e| e.to_string())?;
        let csrf = headers
            .iter()
            .find(|(n, v)| n == "set-cookie" && v.starts_with("steward_csrf="))
            .and_then(|(_, v)| v.split(';').next())
            .and_then(|c| c.split_once('='))
            .map(|(_, v)| v.to_string())
            .ok_or("no CSRF cookie on the login page")?;
        let encode = |s: &str| s.replace('@', "%40").replace(' ', "+");
        let body =
            format!("csrf={csrf}&workspace={slug}&email={}&password={}&next=%2Fapp", encode(email), encode(password));
        let request = format!(
            "POST /login HTTP/1.1\r\nHost: bench\r\nCookie: steward_csrf={csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Ok(Self { request: Arc::new(request.into_bytes()) })
    }

    /// Logs in once on a fresh connection; returns the latency in microseconds.
    pub async fn log_in(&self, address: &str) -> Result<u64, String> {
        let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
        let mut stream = BufReader::new(stream);
        let sent = Instant::now();
        stream.get_mut().write_all(&self.request).await.map_err(|e| e.to_string())?;
        let (status, _, _) = read_response(&mut stream).await.map_err(|e| e.to_string())?;
        if status != 303 {
            return Err(format!("log-in answered {status}"));
        }
        Ok(sent.elapsed().as_micros() as u64)
    }
}

/// Runs wrk (one thread, `connections` connections) and reads its summary.
pub fn load_with_wrk(
    address: &str,
    path: &str,
    token: &str,
    connections: usize,
    seconds: u64,
) -> Result<LoadResult, String> {
    let output = std::process::Command::new("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(format!("http://{address}{path}"))
        .output()
        .map_err(|e| format!("wrk: {e} (apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let number_after = |label: &str| -> Option<String> {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_string)
    };
    let micros = |value: String| -> u64 {
        let (number, factor) = if let Some(v) = value.strip_suffix("us") {
            (v, 1.0)
        } else if let Some(v) = value.strip_suffix("ms") {
            (v, 1000.0)
        } else if let Some(v) = value.strip_suffix('s') {
            (v, 1_000_000.0)
        } else {
            (value.as_str(), 1.0)
        };
        (number.parse::<f64>().unwrap_or(0.0) * factor) as u64
    };
    let per_second =
        number_after("Requests/sec:").and_then(|v| v.parse().ok()).ok_or_else(|| format!("wrk said: {text}"))?;
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(LoadResult {
        per_second,
        p50_us: number_after("50%").map(micros).unwrap_or(0),
        p99_us: number_after("99%").map(micros).unwrap_or(0),
        errors,
    })
}

/// Sends one request on a fresh connection: its status and body.
pub async fn send_once(address: &str, request: &[u8]) -> Result<(u16, String), String> {
    let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
    let mut stream = BufReader::new(stream);
    stream.get_mut().write_all(request).await.map_err(|e| e.to_string())?;
    let (status, _, body) = read_response(&mut stream).await.map_err(|e| e.to_string())?;
    Ok((status, String::from_utf8_lossy(&body).to_string()))
}
