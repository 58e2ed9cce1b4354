//! `steward backup` and `steward restore` (SQLite). Data and keys go to separate folders,
//! each with its own retention: key store backups expire sooner, so once a person's or a
//! tenant's key is destroyed, no backup that could open their sealed values outlives the
//! short key window (RET-5). Expired backups are overwritten, then removed.

use super::retention::parse_now;
use crate::config::Config;
use crate::runtime::StartError;
use std::io::Write;
use std::path::{Path, PathBuf};
use steward_store::Store;
use steward_store::backup::{BackupError, check_copy};

const DATA_PREFIX: &str = "steward-data-";
const KEYS_PREFIX: &str = "steward-keys-";
const STAMP: &str = "%Y%m%d-%H%M%S";

fn failed(error: impl std::fmt::Display) -> StartError {
    StartError::Usage(error.to_string())
}

fn stamp(micros: i64) -> Result<String, StartError> {
    let at = jiff::Timestamp::from_microsecond(micros).map_err(failed)?;
    Ok(at.to_zoned(jiff::tz::TimeZone::UTC).datetime().strftime(STAMP).to_string())
}

/// When a backup file was taken, from its name.
fn taken_at(name: &str, prefix: &str) -> Option<i64> {
    let stamp = name.strip_prefix(prefix)?.strip_suffix(".db")?;
    let civil = jiff::civil::DateTime::strptime(STAMP, stamp).ok()?;
    civil.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp().as_microsecond())
}

pub async fn backup(
    config: &Config,
    to: Option<PathBuf>,
    keys_to: Option<PathBuf>,
    now: Option<&str>,
) -> Result<(), StartError> {
    let now = match now {
        Some(raw) => parse_now(raw)?,
        None => jiff::Timestamp::now().as_microsecond(),
    };
    let data_dir = to.unwrap_or_else(|| config.backup_dir.join("data"));
    let keys_dir = keys_to.unwrap_or_else(|| config.backup_dir.join("keys"));
    for dir in [&data_dir, &keys_dir] {
        steward_store::private_files::create_private_folder(dir)
            .map_err(|e| failed(format!("{}: {e}", dir.display())))?;
    }
    let store = crate::runtime::open_store(config).await?;
    let name = stamp(now)?;
    let data_file = data_dir.join(format!("{DATA_PREFIX}{name}.db"));
    let keys_file = keys_dir.join(format!("{KEYS_PREFIX}{name}.db"));
    let started = std::time::Instant::now();
    let made = store.backup_sqlite(&data_file, &keys_file).await;
    store.close().await;
    made.map_err(|e| match e {
        BackupError::NotSqlite => failed(e),
        other => failed(format!("the backup failed: {other}")),
    })?;
    check_copy(&data_file, false).await.map_err(failed)?;
    check_copy(&keys_file, true).await.map_err(failed)?;
    println!("data backup  {} ({:.2}s)", data_file.display(), started.elapsed().as_secs_f64());
    println!("key backup   {} (keep it apart from the data)", keys_file.display());
    let day = 86_400_000_000;
    let removed_data = expire(&data_dir, DATA_PREFIX, now - config.backup_keep_days * day)?;
    let removed_keys = expire(&keys_dir, KEYS_PREFIX, now - config.key_backup_keep_days * day)?;
    println!(
        "expired and overwritten: {removed_data} data backup(s) older than {} days, {removed_keys} key backup(s) older than {} days",
        config.backup_keep_days, config.key_backup_keep_days
    );
    Ok(())
}

/// Overwrites, then removes, every backup in `dir` taken before `before`.
fn expire(dir: &Path, prefix: &str, before: i64) -> Result<usize, StartError> {
    let mut removed = 0;
    let entries = std::fs::read_dir(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if taken_at(&name, prefix).is_some_and(|at| at < before) {
            overwrite_and_remove(&entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn overwrite_and_remove(path: &Path) -> Result<(), StartError> {
    let io = |e: std::io::Error| failed(format!("{}: {e}", path.display()));
    let length = std::fs::metadata(path).map_err(io)?.len();
    let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(io)?;
    let zeros = vec![0u8; 1 << 16];
    let mut left = length;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n]).map_err(io)?;
        left -= n as u64;
    }
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::remove_file(path).map_err(io)
}

pub async fn restore(config: &Config, from: &Path, keys: Option<&Path>) -> Result<(), StartError> {
    if !config.database_url.starts_with("sqlite:") {
        return Err(failed(BackupError::NotSqlite));
    }
    let (data_target, keys_target) = Store::sqlite_files(&config.database_url).map_err(failed)?;
    let version = check_copy(from, false).await.map_err(failed)?;
    if let Some(keys) = keys {
        check_copy(keys, true).await.map_err(failed)?;
    }
    replace_file(from, &data_target)?;
    println!("restored {} (schema version {version}) to {}", from.display(), data_target.display());
    match keys {
        Some(keys) => {
            replace_file(keys, &keys_target)?;
            println!("restored the key store from {}", keys.display());
        }
        None => println!(
            "the key store was left as it is: keys destroyed since the backup stay destroyed, so what they sealed stays unreadable"
        ),
    }
    println!("run `steward migrate` if this Steward is newer than the backup, then start `steward serve`");
    Ok(())
}

/// Puts `source` in place of `target` whole: copied beside it, then renamed over it, with
/// the old write-ahead log removed so none of it is replayed onto the restored copy.
fn replace_file(source: &Path, target: &Path) -> Result<(), StartError> {
    let io = |e: std::io::Error| failed(format!("{}: {e}", target.display()));
    if let Some(parent) = target.parent() {
        steward_store::private_files::create_private_folder(parent).map_err(io)?;
    }
    let staging = target.with_extension("restoring");
    std::fs::copy(source, &staging).map_err(io)?;
    steward_store::private_files::make_private_file(&staging).map_err(io)?;
    std::fs::File::open(&staging).and_then(|f| f.sync_all()).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(io)?;
        }
    }
    std::fs::rename(&staging, target).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_carry_the_instant_they_were_taken() {
        let at = 1_795_000_000_000_000;
        let name = format!("{DATA_PREFIX}{}.db", stamp(at).unwrap());
        assert_eq!(taken_at(&name, DATA_PREFIX), Some(at));
        assert_eq!(taken_at(&name, KEYS_PREFIX), None);
        assert_eq!(taken_at("steward-data-notadate.db", DATA_PREFIX), None);
    }
}
