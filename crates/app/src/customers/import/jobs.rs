//! Imports started from the app run in the background so the page can show their progress.
//! A job keeps its file in memory for an hour, so the member can look at a dry run, change
//! the column mapping and run it again (or for real) without uploading it a second time.

use super::{Format, ImportOptions, ImportReport, Importer, import};
use crate::access::principal::Principal;
use crate::{App, AppError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How long a finished job (and its file) is kept.
const KEEP_FOR: std::time::Duration = std::time::Duration::from_secs(60 * 60);
/// Jobs one tenant may hold at once.
const MAX_PER_TENANT: usize = 5;

struct Job {
    who: Principal,
    file: Arc<[u8]>,
    csv: bool,
    /// A CSV file's header, read once when the job starts.
    headers: Vec<String>,
    done: AtomicU64,
    outcome: Mutex<Option<Result<ImportReport, String>>>,
    started: std::time::Instant,
}

/// The imports running or recently finished, by id.
#[derive(Default)]
pub struct ImportJobs {
    jobs: Mutex<HashMap<Uuid, Arc<Job>>>,
}

impl std::fmt::Debug for ImportJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImportJobs")
    }
}

/// What the import page shows.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: Uuid,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub percent: u64,
    pub finished: bool,
    pub csv: bool,
    pub report: Option<ImportReport>,
    pub error: Option<String>,
    /// For a CSV file: its header, to choose the mapping again.
    pub headers: Vec<String>,
}

/// Starts importing `file` for the member; returns the job's id at once.
pub fn start(
    app: &App,
    who: &Principal,
    file: Arc<[u8]>,
    format: Format,
    options: ImportOptions,
) -> Result<Uuid, AppError> {
    who.require(steward_domain::permissions::Permission::CustomersWrite)?;
    let id = Uuid::now_v7();
    let csv = matches!(format, Format::Csv);
    let headers = if csv {
        super::csv_source::CsvSource::open(&file[..]).map(|s| s.headers).unwrap_or_default()
    } else {
        Vec::new()
    };
    let job = Arc::new(Job {
        who: who.clone(),
        file,
        csv,
        headers,
        done: AtomicU64::new(0),
        outcome: Mutex::new(None),
        started: std::time::Instant::now(),
    });
    {
        let mut jobs = app.import_jobs.jobs.lock().map_err(|_| AppError::Internal("import jobs lock".into()))?;
        jobs.retain(|_, j| j.started.elapsed() < KEEP_FOR);
        let running = jobs.values().filter(|j| j.who.tenant == who.tenant).count();
        if running >= MAX_PER_TENANT {
            return Err(AppError::NotAllowed(format!(
                "{MAX_PER_TENANT} imports are already kept for this business; wait for one to expire (an hour) and try again"
            )));
        }
        jobs.insert(id, job.clone());
    }
    let app = app.clone();
    tokio::spawn(async move {
        let writing = job.clone();
        let progress = move |done: u64| writing.done.store(done, Ordering::Relaxed);
        let file = std::io::Cursor::new(job.file.clone());
        let result = import(&app, Importer::Member(&job.who), file, format, &options, progress).await;
        let outcome = result.map_err(|e| match e {
            AppError::Invalid(v) => format!("{}: {}", v.field, v.message),
            other => other.to_string(),
        });
        if let Ok(mut slot) = job.outcome.lock() {
            *slot = Some(outcome);
        }
    });
    Ok(id)
}

fn find(app: &App, who: &Principal, id: Uuid) -> Result<Arc<Job>, AppError> {
    let jobs = app.import_jobs.jobs.lock().map_err(|_| AppError::Internal("import jobs lock".into()))?;
    // Only the member who started a job sees it; anyone else gets "not found".
    jobs.get(&id)
        .filter(|j| j.who.tenant == who.tenant && j.who.member == who.member)
        .cloned()
        .ok_or(AppError::NotFound)
}

/// Where a job stands.
pub fn status(app: &App, who: &Principal, id: Uuid) -> Result<JobView, AppError> {
    let job = find(app, who, id)?;
    let total = job.file.len() as u64;
    let outcome = job.outcome.lock().ok().and_then(|o| o.clone());
    let finished = outcome.is_some();
    let done = if finished { total } else { job.done.load(Ordering::Relaxed).min(total) };
    let headers = job.headers.clone();
    let (report, error) = match outcome {
        Some(Ok(report)) => (Some(report), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    Ok(JobView {
        id,
        bytes_done: done,
        bytes_total: total,
        percent: (done * 100).checked_div(total).unwrap_or(100),
        finished,
        csv: job.csv,
        report,
        error,
        headers,
    })
}

/// Runs a finished job's file again with other options (a new mapping, or for real).
pub fn run_again(app: &App, who: &Principal, id: Uuid, options: ImportOptions) -> Result<Uuid, AppError> {
    let job = find(app, who, id)?;
    let format = if job.csv { Format::Csv } else { Format::Vcard };
    start(app, who, job.file.clone(), format, options)
}
