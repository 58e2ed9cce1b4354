//! The operator's commands: migrate, tenant create|list|show, member add|list.

use super::progress::{ProgressBar, Unit};
use crate::cli::{AuditCommand, MemberCommand, TenantCommand};
use crate::config::Config;
use crate::runtime::{StartError, build_app, load_master_key};
use steward_app::App;
use steward_app::access::members;
use steward_app::retention::{Actor, lifecycle};
use steward_app::tenancy::TenantView;
use steward_app::tenancy::{self, NewTenant};
use steward_store::{Store, StoreKind};

/// The tenant with this slug, or a usage error naming it.
pub(crate) async fn find_tenant(app: &App, slug: &str) -> Result<TenantView, StartError> {
    tenancy::find_by_slug(app, slug).await?.ok_or_else(|| StartError::Usage(format!("no tenant has the slug '{slug}'")))
}

pub async fn migrate(config: &Config, grant_to: Option<&str>) -> Result<(), StartError> {
    let store = Store::open(&config.database_url, 2).await?;
    let bar = super::progress::LateBar::default();
    let report = store.migrate_with_progress(&|done, total, _| bar.show(done, total, "tables distributed")).await;
    bar.finish();
    let report = report?;
    store.publish_policy_versions().await?;
    for (version, name) in &report.applied {
        println!("applied migration {version} ({name})");
    }
    println!("{} migration(s) applied, {} already in place", report.applied.len(), report.already_applied);
    match &report.distribution {
        Some(placed) if placed.distributed.is_empty() && placed.reference.is_empty() => {
            println!("Citus: every table already distributed")
        }
        Some(placed) => println!(
            "Citus: {} tables distributed by tenant_id, {} reference tables, {} rows moved into shards",
            placed.distributed.len(),
            placed.reference.len(),
            placed.rows_moved
        ),
        None => {}
    }
    if let Some(role) = grant_to {
        if store.kind() != StoreKind::Postgres {
            return Err(StartError::Usage("--grant-to applies to PostgreSQL only".into()));
        }
        store.grant_runtime_role(role).await?;
        println!("granted row access to role {role}");
    }
    store.close().await;
    Ok(())
}

pub(crate) async fn operator_app(config: &Config) -> Result<App, StartError> {
    let store = crate::runtime::open_store(config).await?;
    build_app(config, store, load_master_key(config)?, None)
}

fn password_from_env_or_generated(variable: &str) -> Result<(String, bool), StartError> {
    match std::env::var(variable) {
        Ok(password) if !password.is_empty() => Ok((password, false)),
        _ => Ok((steward_crypto::token::new_secret()?[..20].to_string(), true)),
    }
}

pub async fn tenant(config: &Config, command: TenantCommand) -> Result<(), StartError> {
    let app = operator_app(config).await?;
    match command {
        TenantCommand::Create { name, slug, owner_email, owner_name, country, time_zone } => {
            let (password, generated) = password_from_env_or_generated("STEWARD_OWNER_PASSWORD")?;
            let (tenant, owner) = tenancy::create_tenant(
                &app,
                NewTenant {
                    business_name: name,
                    slug,
                    country,
                    time_zone,
                    owner_name,
                    owner_email,
                    owner_password: password.clone(),
                    accepted_policy: true,
                    owner_email_verified: true,
                    ip: None,
                },
            )
            .await?;
            println!("created tenant {} ({}) with owner {owner}", tenant.slug, tenant.id);
            if generated {
                println!("owner password (shown once): {password}");
            }
        }
        TenantCommand::List => {
            let all = tenancy::list_tenants(&app).await?;
            println!("{:<24} {:<10} {:<20} NAME", "SLUG", "STATUS", "CREATED");
            for t in all {
                println!("{:<24} {:<10} {:<20} {}", t.slug, t.status, t.created_at, t.name);
            }
        }
        TenantCommand::Show { slug } => {
            let tenant = tenancy::find_by_slug(&app, &slug)
                .await?
                .ok_or_else(|| StartError::Usage(format!("no tenant has the slug '{slug}'")))?;
            println!(
                "id         {}\nslug       {}\nname       {}\ncountry    {}\ntime zone  {}\ngstin      {}\nstatus     {}\ncreated    {}",
                tenant.id,
                tenant.slug,
                tenant.name,
                tenant.country,
                tenant.time_zone,
                tenant.gstin.as_deref().unwrap_or("-"),
                tenant.status,
                tenant.created_at
            );
            let all = members::list_for_operator(&app, tenant.id).await?;
            println!("members    {}", all.len());
            let life = lifecycle::view(&app, tenant.id).await?;
            for (label, date) in [
                ("cancelled", &life.cancelled_at),
                ("terminates", &life.terminates_at),
                ("terminated", &life.terminated_at),
                ("purge on", &life.purge_at),
                ("purged", &life.purged_at),
                ("purge done", &life.purge_finished_at),
            ] {
                if let Some(date) = date {
                    println!("{label:<10} {date}");
                }
            }
            if let Some(reason) = &life.reason {
                println!("reason     {reason}");
            }
        }
        TenantCommand::Terminate { slug, reason } => {
            let tenant = find_tenant(&app, &slug).await?;
            let life = lifecycle::terminate(&app, tenant.id, Actor::Operator, Some(&reason)).await?;
            println!(
                "terminated {}: nobody can sign in; every record is deleted on {}",
                tenant.slug,
                life.purge_at.unwrap_or_default()
            );
        }
        TenantCommand::Purge { slug } => {
            let tenant = find_tenant(&app, &slug).await?;
            let bar = ProgressBar::new(super::progress::TABLE_COUNT, Unit::Count("tables"));
            let tables_done = std::sync::Mutex::new(Vec::<&str>::new());
            let report = lifecycle::purge(&app, tenant.id, &|table, _| {
                if let Ok(mut done) = tables_done.lock() {
                    if !done.contains(&table) {
                        done.push(table);
                    }
                    bar.show(done.len() as u64);
                }
            })
            .await;
            bar.finish();
            let report = report?;
            println!(
                "purged {}: {} subject keys and the tenant key destroyed after {:.3}s; {} rows removed",
                tenant.slug,
                report.keys_destroyed,
                report.keys_destroyed_after_micros as f64 / 1e6,
                report.rows_removed.iter().map(|(_, n)| n).sum::<u64>()
            );
        }
    }
    crate::runtime::close_app(&app).await;
    Ok(())
}

pub async fn member(config: &Config, command: MemberCommand) -> Result<(), StartError> {
    let app = operator_app(config).await?;
    let find = |slug: String| {
        let app = app.clone();
        async move {
            tenancy::find_by_slug(&app, &slug)
                .await?
                .ok_or_else(|| StartError::Usage(format!("no tenant has the slug '{slug}'")))
        }
    };
    match command {
        MemberCommand::Add { tenant, email, name, role } => {
            let tenant = find(tenant).await?;
            let (password, generated) = password_from_env_or_generated("STEWARD_MEMBER_PASSWORD")?;
            let member = members::add_member(&app, tenant.id, &email, &name, &role, &password).await?;
            println!("added {} as {} to {}", member.id, member.role, tenant.slug);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        MemberCommand::List { tenant } => {
            let tenant = find(tenant).await?;
            println!("{:<36} {:<10} {:<32} NAME", "ID", "ROLE", "EMAIL");
            for m in members::list_for_operator(&app, tenant.id).await? {
                println!("{:<36} {:<10} {:<32} {}", m.id, m.role, m.email, m.name);
            }
        }
    }
    crate::runtime::close_app(&app).await;
    Ok(())
}

pub async fn audit(config: &Config, command: AuditCommand) -> Result<(), StartError> {
    let tenant = match command {
        AuditCommand::Verify { tenant } => tenant,
        AuditCommand::VerifyFile { file } => return verify_file(&file),
    };
    let app = operator_app(config).await?;
    let found = tenancy::find_by_slug(&app, &tenant)
        .await?
        .ok_or_else(|| StartError::Usage(format!("no tenant has the slug '{tenant}'")))?;
    let started = std::time::Instant::now();
    let outcome = steward_app::audit::verify_tenant(&app, found.id).await?;
    crate::runtime::close_app(&app).await;
    if outcome.intact {
        println!(
            "audit log of {} is intact: {} events checked in {:.2}s",
            found.slug,
            outcome.checked,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    } else {
        Err(StartError::Usage(format!(
            "audit log of {} is BROKEN: {} ({} events checked before it)",
            found.slug,
            outcome.first_break.unwrap_or_default(),
            outcome.checked
        )))
    }
}

fn verify_file(file: &std::path::Path) -> Result<(), StartError> {
    use std::io::BufRead;
    let opened = std::fs::File::open(file).map_err(|e| StartError::Usage(format!("{}: {e}", file.display())))?;
    let outcome = steward_app::audit::verify_export(std::io::BufReader::new(opened).lines())
        .map_err(|e| StartError::Usage(format!("{}: {e}", file.display())))?;
    if outcome.intact {
        println!("{} is intact: {} events checked", file.display(), outcome.checked);
        Ok(())
    } else {
        Err(StartError::Usage(format!("{} is BROKEN: {}", file.display(), outcome.first_break.unwrap_or_default())))
    }
}
