//! `steward keys rotate`: moves every tenant key to a new master key (see
//! `steward_app::key_rotation` for what changes and what does not), with a progress bar,
//! and tells the operator what to do with the old key afterwards.

use super::progress::LateBar;
use crate::cli::KeysCommand;
use crate::config::Config;
use crate::runtime::{StartError, build_app, open_store};
use steward_app::key_rotation;
use steward_crypto::master_key::MasterKey;

pub async fn run(config: &Config, command: KeysCommand) -> Result<(), StartError> {
    let KeysCommand::Rotate { new_master_key, limit } = command;
    let from_env = std::env::var("STEWARD_MASTER_KEY").is_ok_and(|v| !v.is_empty());
    // Every other command creates a missing key file; a rotation must not, or it would
    // "rotate" from a fresh key that wraps nothing.
    if !from_env && !config.master_key_file.exists() {
        return Err(StartError::Usage(format!(
            "the current master key file {} does not exist: point master_key_file (or STEWARD_MASTER_KEY) at the key in use",
            config.master_key_file.display()
        )));
    }
    let old_key = crate::runtime::load_master_key(config)?;
    let created = !new_master_key.exists();
    let new_key = MasterKey::load_or_create(&new_master_key)?;
    if created {
        println!("created a new master key in {} (mode 0600)", new_master_key.display());
    }
    let store = open_store(config).await?;
    let app = build_app(config, store, old_key, None)?;
    let bar = LateBar::default();
    let report = key_rotation::rotate(&app, std::sync::Arc::new(new_key), limit, &|done, total| {
        bar.show(done, total, "tenants")
    })
    .await;
    bar.finish();
    crate::runtime::close_app(&app).await;
    let report = report?;
    println!(
        "{} tenants: {} tenant keys re-wrapped now, {} already under the new key, {} without a key; \
         {} audit checkpoints signed again",
        report.tenants, report.rewrapped, report.already_rotated, report.without_key, report.checkpoints_signed_again
    );
    if report.checkpoints_not_signed_by_either > 0 {
        println!(
            "warning: {} audit checkpoint(s) were signed by neither key and were left as they are; \
             `steward audit verify` names them",
            report.checkpoints_not_signed_by_either
        );
    }
    if report.remaining > 0 {
        println!(
            "stopped after {} tenant keys as asked: {} still under the old master key {}. \
             Run the same command again to finish.",
            report.rewrapped, report.remaining, report.old_key
        );
        return Ok(());
    }
    let make_current = if from_env {
        format!("set STEWARD_MASTER_KEY to the contents of {}", new_master_key.display())
    } else {
        format!(
            "move {} over {} (or set master_key_file to it)",
            new_master_key.display(),
            config.master_key_file.display()
        )
    };
    println!(
        "every tenant key is now wrapped by master key {new} (was {old}).\n\
         Next:\n  \
         1. Make the new key the master key wherever Steward runs: {make_current}; then start `serve` again. \
         Until then Steward refuses to open tenant keys, naming both keys.\n  \
         2. Take a backup now (`steward backup`): data backups made before the rotation still open with the current \
         key store and the new key, but key-store backups made before it open only with the old key.\n  \
         3. Destroy the old key ({old}) once no key-store backup from before the rotation is needed (they expire after \
         key_backup_keep_days): `shred -u` its file and remove it from the environment and any secret manager. It opens \
         nothing in the current key store. Links mailed before the rotation (a booking's manage link, an archive's \
         download link) no longer work.",
        new = report.new_key,
        old = report.old_key,
    );
    Ok(())
}
