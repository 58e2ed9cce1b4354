//! `steward dsar export|erase`: the operator answers a person's request on a business's
//! instruction, through the same export and erasure a privacy manager uses.

use super::operator::{find_tenant, operator_app};
use crate::cli::{DsarCommand, PersonFlags};
use crate::config::Config;
use crate::runtime::StartError;
use std::path::Path;
use steward_app::App;
use steward_app::privacy::operator::{self, PersonRef};
use steward_domain::ids::{CustomerId, TenantId};

fn person_ref(flags: PersonFlags) -> Result<PersonRef, StartError> {
    match (flags.customer, flags.email, flags.phone) {
        (Some(id), None, None) => Ok(PersonRef::Id(id)),
        (None, Some(email), None) => Ok(PersonRef::Email(email)),
        (None, None, Some(phone)) => Ok(PersonRef::Phone(phone)),
        // clap's group already refuses these; the message is for a caller that bypasses it.
        _ => Err(StartError::Usage("name the customer with exactly one of --customer, --email or --phone".into())),
    }
}

async fn find(app: &App, slug: &str, flags: PersonFlags) -> Result<(TenantId, CustomerId), StartError> {
    let tenant = find_tenant(app, slug).await?;
    let by = person_ref(flags)?;
    let customer = operator::find_person(app, tenant.id, &by)
        .await
        .map_err(|e| StartError::Usage(format!("{}: {e}", tenant.slug)))?;
    Ok((tenant.id, customer))
}

pub async fn run(config: &Config, command: DsarCommand) -> Result<(), StartError> {
    let app = operator_app(config).await?;
    let outcome = match command {
        DsarCommand::Export { tenant, person, out } => export(&app, &tenant, person, out.as_deref()).await,
        DsarCommand::Erase { tenant, person, reason, keep_appointments, dry_run } => {
            erase(&app, &tenant, person, &reason, keep_appointments, dry_run).await
        }
    };
    crate::runtime::close_app(&app).await;
    outcome
}

async fn export(app: &App, slug: &str, person: PersonFlags, out: Option<&Path>) -> Result<(), StartError> {
    // Open the file before anything is read, so a bad path costs no export and no audit event.
    let file = out.map(create_private).transpose()?;
    let (tenant, customer) = find(app, slug, person).await?;
    let document = operator::export(app, tenant, customer).await?;
    let text = serde_json::to_string_pretty(&document).map_err(|e| StartError::Usage(e.to_string()))?;
    match (file, out) {
        (Some(mut file), Some(path)) => {
            use std::io::Write;
            file.write_all(text.as_bytes())
                .and_then(|_| file.write_all(b"\n"))
                .and_then(|_| file.sync_all())
                .map_err(|e| StartError::Usage(format!("--out {}: cannot be written: {e}", path.display())))?;
            // The operator's console learns where the export went, never what is in it.
            eprintln!("exported customer {customer} of {slug} to {}", path.display());
        }
        _ => println!("{text}"),
    }
    Ok(())
}

/// A new file only the operator can read: the export is a person's data, sensitive values
/// included, and an existing file is never overwritten.
fn create_private(path: &Path) -> Result<std::fs::File, StartError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            StartError::Usage(format!("--out {} already exists; choose a new file", path.display()))
        }
        _ => StartError::Usage(format!("--out {}: cannot be created: {e}", path.display())),
    })
}

async fn erase(
    app: &App,
    slug: &str,
    person: PersonFlags,
    reason: &str,
    keep_appointments: bool,
    dry_run: bool,
) -> Result<(), StartError> {
    let (tenant, customer) = find(app, slug, person).await?;
    let report = operator::erase(app, tenant, customer, reason, keep_appointments, dry_run).await?;
    println!("customer {customer} of {slug}{}", if dry_run { " (dry run: nothing changed)" } else { "" });
    for ((table, found), (_, treatment, changed)) in report.found.iter().zip(&report.done) {
        let outcome = if dry_run { "would be" } else { "" };
        println!(
            "  {table:<24} {found:>5} found, {changed:>5} {outcome}{}{}",
            if dry_run { " " } else { "" },
            treatment.name()
        );
    }
    for (what, why) in &report.kept {
        println!("  kept {what}: {why}");
    }
    let key = match (dry_run, report.key_destroyed) {
        (true, true) => {
            "their key would be destroyed: their sensitive values could not be opened anywhere, backups included"
        }
        (false, true) => "their key is destroyed: their sensitive values cannot be opened anywhere, backups included",
        (_, false) => "they had no key (nothing sensitive was ever sealed for them)",
    };
    println!("  {key}");
    if !dry_run {
        println!("erased; the business's audit log records it (privacy.person_erased, by support)");
    }
    Ok(())
}
