//! `steward import customers FILE --tenant SLUG`: streams the file through the same import
//! the app uses, with a progress bar on a terminal and every rejected row by line number.

use super::operator::operator_app;
use super::progress::{ProgressBar, Unit};
use crate::cli::ImportCommand;
use crate::config::Config;
use crate::runtime::StartError;
use std::collections::BTreeMap;
use steward_app::customers::import::{self, BadRows, DedupeBy, Format, ImportOptions, Importer, OnDuplicate};
use steward_app::tenancy;

pub async fn run(config: &Config, command: ImportCommand) -> Result<(), StartError> {
    let ImportCommand::Customers { file, tenant, format, dry_run, skip_bad_rows, on_duplicate, dedupe_by, mappings } =
        command;
    let usage = |message: String| StartError::Usage(message);
    let format = match format
        .as_deref()
        .map(str::to_ascii_lowercase)
        .or_else(|| file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase))
    {
        Some(f) if f == "vcf" || f == "vcard" => Format::Vcard,
        Some(f) if f == "csv" || f == "txt" => Format::Csv,
        None => Format::Csv,
        Some(other) => return Err(usage(format!("--format: '{other}' is not csv or vcard"))),
    };
    let on_duplicate = match on_duplicate.as_str() {
        "skip" => OnDuplicate::Skip,
        "update" => OnDuplicate::Update,
        other => return Err(usage(format!("--on-duplicate: '{other}' is not skip or update"))),
    };
    let dedupe_by = match dedupe_by.as_str() {
        "phone_or_email" => DedupeBy::PhoneOrEmail,
        "phone" => DedupeBy::Phone,
        "email" => DedupeBy::Email,
        "none" => DedupeBy::None,
        other => return Err(usage(format!("--dedupe-by: '{other}' is not phone_or_email, phone, email or none"))),
    };
    let mut mapping = BTreeMap::new();
    for entry in &mappings {
        let (header, target) =
            entry.split_once('=').ok_or_else(|| usage(format!("--map '{entry}': write it as HEADER=TARGET")))?;
        mapping.insert(header.to_string(), target.to_string());
    }
    let options = ImportOptions {
        mapping,
        dedupe_by,
        on_duplicate,
        bad_rows: if skip_bad_rows { BadRows::Skip } else { BadRows::RejectAll },
        dry_run,
    };
    let opened = std::fs::File::open(&file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
    let total = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let app = operator_app(config).await?;
    let found = tenancy::find_by_slug(&app, &tenant)
        .await?
        .ok_or_else(|| usage(format!("no tenant has the slug '{tenant}'")))?;
    let bar = std::sync::Arc::new(ProgressBar::new(total, Unit::Megabytes));
    let started = std::time::Instant::now();
    let writer_bar = bar.clone();
    let result = import::import(
        &app,
        Importer::Operator { tenant: found.id },
        std::io::BufReader::with_capacity(256 * 1024, opened),
        format,
        &options,
        move |done| writer_bar.show(done),
    )
    .await;
    bar.finish();
    crate::runtime::close_app(&app).await;
    let report = result.map_err(|e| usage(format!("{}: {e}", file.display())))?;
    let seconds = started.elapsed().as_secs_f64();
    for rejected in &report.rejected {
        eprintln!(
            "{}: line {}: {}{}",
            file.display(),
            rejected.line,
            rejected.field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default(),
            rejected.reason
        );
    }
    println!(
        "{} rows read in {seconds:.2}s ({:.0} rows/s): {} created, {} updated, {} duplicates skipped, {} rejected{}",
        report.rows_read,
        report.rows_read as f64 / seconds.max(0.001),
        report.created,
        report.updated,
        report.skipped_duplicates,
        report.rejected.len(),
        if report.dry_run {
            " (dry run: nothing written)"
        } else if report.applied {
            ""
        } else {
            " (nothing written: fix the rows above, or use --skip-bad-rows)"
        }
    );
    if !report.applied && !report.dry_run { Err(usage("the import was not applied".into())) } else { Ok(()) }
}
