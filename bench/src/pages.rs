//! Every page of the demo (issue 25): `steward demo` on SQLite, its owner signed in, each
//! page found by following links from the Today page and from the business's booking
//! page, as the browser suite finds them. For each page:
//! - **server time**: the median of `--requests` requests (default 21, after 3 to warm
//!   up) on one kept-alive connection, timed at the client over loopback: the server's
//!   own time plus a loopback round trip, so an upper bound of it;
//! - **transfer size**: the page's HTML with the stylesheet and scripts it loads, as a
//!   first visit fetches them from a browser that accepts gzip (Steward gzips its
//!   stylesheet and scripts, not its pages); the pictures it shows are counted apart;
//! - **other hosts**: any stylesheet, script, image or frame the page would load from
//!   anywhere but Steward itself.
//!
//! The whole walk runs `--runs` times (default 3); each page's time is the median of its
//! runs. Printed and appended to `bench/results.md`.
//!
//! Usage: steward-bench pages [--runs N] [--requests N] [--steward PATH]

use crate::http::read_response;
use crate::{Server, median_u64, record_results, remove_data};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, BufReader as StdBufReader};
use std::process::{Command, Stdio};
use std::time::Instant;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// More pages than the demo has; a link loop cannot run the walk forever.
const MOST_PAGES: usize = 80;
/// Pages of one shape (`/app/customers/{id}`) measured.
const PER_SHAPE: usize = 2;

struct Options {
    runs: usize,
    requests: usize,
    steward: String,
}

/// A page's numbers from one walk.
struct Measured {
    micros: u64,
    /// HTML, stylesheets and scripts.
    transfer: usize,
    /// Pictures.
    pictures: usize,
    foreign: Vec<String>,
}

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut options = Options { runs: 3, requests: 21, steward: steward.into() };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|_| format!("{flag}: a whole number"));
        match flag.as_str() {
            "--runs" => options.runs = number()?.max(1),
            "--requests" => options.requests = number()?.max(1),
            "--steward" => options.steward = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !std::path::Path::new(&options.steward).exists() {
        return Err(format!("{} not found: build it first with cargo build --release", options.steward));
    }
    let data_dir = std::env::temp_dir().join(format!("steward-bench-pages-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let mut child = Command::new(&options.steward)
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(data_dir.join("server.log")).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("start steward demo: {e}"))?;
    let stdout = child.stdout.take().ok_or("no output from steward demo")?;
    let server = Server(child);
    let login = demo_login(stdout)?;
    let address = format!("127.0.0.1:{port}");
    crate::http::wait_until_up(&address).await?;

    let mut client = Client::connect(&address).await?;
    client.log_in(&login).await?;
    let pages = client.walk(&login.business).await?;
    println!("{} pages of the demo, {} runs of {} requests each", pages.len(), options.runs, options.requests);

    let mut assets: BTreeMap<String, usize> = BTreeMap::new();
    let mut runs: BTreeMap<String, Vec<Measured>> = BTreeMap::new();
    for run in 1..=options.runs {
        for page in &pages {
            let measured = client.measure(page, options.requests, &mut assets).await?;
            runs.entry(page.clone()).or_default().push(measured);
        }
        println!("run {run} done");
    }
    drop(server);
    remove_data(&data_dir);

    let mut rows: Vec<(String, u64, usize, usize, Vec<String>)> = runs
        .into_iter()
        .map(|(page, measured)| {
            let micros = median_u64(measured.iter().map(|m| m.micros).collect());
            let transfer = measured.iter().map(|m| m.transfer).max().unwrap_or(0);
            let pictures = measured.iter().map(|m| m.pictures).max().unwrap_or(0);
            let foreign = measured.into_iter().flat_map(|m| m.foreign).collect::<BTreeSet<_>>().into_iter().collect();
            (page, micros, transfer, pictures, foreign)
        })
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    let slowest = rows.first().map(|r| (r.0.clone(), r.1)).unwrap_or_default();
    let heaviest = rows.iter().max_by_key(|r| r.2).map(|r| (r.0.clone(), r.2)).unwrap_or_default();
    let foreign: Vec<String> = rows.iter().flat_map(|r| r.4.iter().map(move |f| format!("{}: {f}", r.0))).collect();
    let mut report = format!(
        "\n## pages ({} pages of the demo, {} runs x {} requests, {})\n\n\
         slowest page {} at {:.2} ms (median); heaviest page {} at {:.1} KB with its stylesheet and scripts; \
         {} requests to other hosts\n\n| page | server time (ms, median) | HTML, CSS, JS (KB) | pictures (KB) |\n|---|---:|---:|---:|\n",
        rows.len(),
        options.runs,
        options.requests,
        jiff::Timestamp::now().strftime("%Y-%m-%d"),
        slowest.0,
        slowest.1 as f64 / 1000.0,
        heaviest.0,
        heaviest.1 as f64 / 1024.0,
        foreign.len(),
    );
    for (page, micros, transfer, pictures, _) in &rows {
        report.push_str(&format!(
            "| `{page}` | {:.2} | {:.1} | {:.1} |\n",
            *micros as f64 / 1000.0,
            *transfer as f64 / 1024.0,
            *pictures as f64 / 1024.0
        ));
    }
    for line in &foreign {
        report.push_str(&format!("- loads from another host: {line}\n"));
    }
    record_results(results, &report)
}

struct DemoLogin {
    business: String,
    email: String,
    password: String,
}

/// The login `steward demo` prints (`Business`, `Email`, `Password` lines).
fn demo_login(stdout: std::process::ChildStdout) -> Result<DemoLogin, String> {
    let mut found: BTreeMap<&str, String> = BTreeMap::new();
    for line in StdBufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        if let Some(name) = ["Business", "Email", "Password"].into_iter().find(|k| *k == key) {
            found.insert(name, words.next().unwrap_or_default().to_string());
        }
        if found.len() == 3 {
            break;
        }
    }
    let mut take = |key: &str| found.remove(key).ok_or(format!("steward demo printed no {key} line"));
    Ok(DemoLogin { business: take("Business")?, email: take("Email")?, password: take("Password")? })
}

/// One kept-alive connection with the owner's cookies.
struct Client {
    address: String,
    stream: BufReader<TcpStream>,
    cookies: String,
}

impl Client {
    async fn connect(address: &str) -> Result<Self, String> {
        let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
        Ok(Self { address: address.into(), stream: BufReader::new(stream), cookies: String::new() })
    }

    async fn send(&mut self, request: &[u8]) -> Result<(u16, Vec<(String, String)>, Vec<u8>), String> {
        if self.stream.get_mut().write_all(request).await.is_err() {
            // The server closed the kept-alive connection: a new one.
            self.stream = BufReader::new(TcpStream::connect(&self.address).await.map_err(|e| e.to_string())?);
            self.stream.get_mut().write_all(request).await.map_err(|e| e.to_string())?;
        }
        read_response(&mut self.stream).await.map_err(|e| e.to_string())
    }

    async fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: gzip, deflate, br\r\nCookie: {}\r\n\r\n",
            self.cookies
        );
        let (status, _, body) = self.send(request.as_bytes()).await?;
        Ok((status, body))
    }

    async fn log_in(&mut self, login: &DemoLogin) -> Result<(), String> {
        let (_, headers, _) = self.send(b"GET /login HTTP/1.1\r\nHost: bench\r\n\r\n").await?;
        let csrf = cookie_value(&headers, "steward_csrf").ok_or("no CSRF cookie on the login page")?;
        let encode = |s: &str| s.replace('@', "%40").replace(' ', "+");
        let body = format!(
            "csrf={csrf}&workspace={}&email={}&password={}&next=%2Fapp",
            login.business,
            encode(&login.email),
            encode(&login.password)
        );
        let request = format!(
            "POST /login HTTP/1.1\r\nHost: bench\r\nCookie: steward_csrf={csrf}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (status, headers, _) = self.send(request.as_bytes()).await?;
        let session = cookie_value(&headers, "steward_session").ok_or(format!("log-in answered {status}"))?;
        self.cookies = format!("steward_csrf={csrf}; steward_session={session}");
        Ok(())
    }

    /// The pages, found by their links as a person finds them.
    async fn walk(&mut self, business: &str) -> Result<Vec<String>, String> {
        let booking = format!("/b/{business}");
        let mut pages = Vec::new();
        let mut seen = BTreeSet::from(["/app".to_string(), booking.clone()]);
        let mut per_shape: BTreeMap<String, usize> = BTreeMap::new();
        let mut queue = VecDeque::from(["/app".to_string(), booking]);
        while let Some(path) = queue.pop_front() {
            if pages.len() >= MOST_PAGES {
                break;
            }
            let (status, body) = self.get(&path).await?;
            if status != 200 {
                return Err(format!("{path} answered {status}"));
            }
            pages.push(path);
            for href in tag_attribute_values(&String::from_utf8_lossy(&body), "a", "href") {
                if !is_page(&href) || seen.contains(&href) {
                    continue;
                }
                let count = per_shape.entry(shape(&href)).or_default();
                if *count < PER_SHAPE {
                    *count += 1;
                    seen.insert(href.clone());
                    queue.push_back(href);
                }
            }
        }
        Ok(pages)
    }

    async fn measure(
        &mut self,
        page: &str,
        requests: usize,
        assets: &mut BTreeMap<String, usize>,
    ) -> Result<Measured, String> {
        let mut body = Vec::new();
        for _ in 0..3 {
            body = self.get(page).await?.1;
        }
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let started = Instant::now();
            let (status, _) = self.get(page).await?;
            times.push(started.elapsed().as_micros() as u64);
            if status != 200 {
                return Err(format!("{page} answered {status}"));
            }
        }
        let html = String::from_utf8_lossy(&body).to_string();
        let (mut transfer, mut pictures) = (body.len(), 0);
        let mut foreign = Vec::new();
        for (tag, attribute) in [("link", "href"), ("script", "src"), ("img", "src"), ("iframe", "src")] {
            for value in tag_attribute_values(&html, tag, attribute) {
                if value.starts_with("http:") || value.starts_with("https:") || value.starts_with("//") {
                    foreign.push(format!("<{tag} {attribute}=\"{value}\">"));
                } else if value.starts_with('/') {
                    if !assets.contains_key(&value) {
                        let (_, asset) = self.get(&value).await?;
                        assets.insert(value.clone(), asset.len());
                    }
                    let size = assets.get(&value).copied().unwrap_or(0);
                    if tag == "img" {
                        pictures += size;
                    } else {
                        transfer += size;
                    }
                }
            }
        }
        Ok(Measured { micros: median_u64(times), transfer, pictures, foreign })
    }
}

fn cookie_value(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .filter_map(|(_, v)| v.split(';').next())
        .filter_map(|c| c.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// Every `attribute="..."` value in the page, entities for `&` decoded.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let marker = format!(" {attribute}=\"");
    html.split(&marker).skip(1).filter_map(|rest| rest.split('"').next()).map(decode).collect()
}

/// `attribute` values of the page's `<tag ...>` elements.
fn tag_attribute_values(html: &str, tag: &str, attribute: &str) -> Vec<String> {
    let open = format!("<{tag} ");
    html.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .flat_map(|inside| attribute_values(&format!(" {inside}"), attribute))
        .collect()
}

fn decode(value: &str) -> String {
    value.replace("&#38;", "&").replace("&amp;", "&")
}

/// Links to another page of the app or of the business's public pages: not downloads,
/// feeds or log-out (as the browser suite's sweep decides).
fn is_page(href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    ["/app", "/b/", "/p/"].iter().any(|start| href.starts_with(start))
        && ![".csv", ".ics", ".vcf", ".json", "/export", "/feed", "/download"].iter().any(|end| path.contains(end))
}

/// A path with its ids replaced, so pages of one kind group.
fn shape(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.split('/')
        .map(|part| {
            if part.len() >= 16 || (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())) {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
