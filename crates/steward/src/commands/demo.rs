//! `steward demo`: a demo business with an owner, an admin and two staff, then serve.
//! Each capability adds its own demo data here, so the demo always shows the product.
//! The people are invented; the password is the same for all and printed.

use super::serve::{prepare, run};
use crate::config::Config;
use crate::runtime::{StartError, init_logging};
use steward_app::App;
use steward_app::access::members;
use steward_app::tenancy::{self, NewTenant};

pub const DEMO_SLUG: &str = "asha-salon";
pub const DEMO_PASSWORD: &str = "steward-demo-2026";
const DEMO_OWNER: &str = "owner@asha-salon.example";

pub async fn demo(config: &Config) -> Result<(), StartError> {
    init_logging(config);
    let (listener, app) = prepare(config).await?;
    let created = ensure_demo_data(&app).await?;
    let address = listener.local_addr()?;
    let url = format!("http://localhost:{}", address.port());
    println!();
    println!("  Steward demo {}", if created { "created" } else { "is ready" });
    println!("  Open      {url}/login");
    println!("  Business  {DEMO_SLUG}");
    println!("  Email     {DEMO_OWNER}   (also admin@, meera@, kabir@ at the same domain)");
    println!("  Password  {DEMO_PASSWORD}");
    println!("  API docs  {url}/api/docs");
    println!("  Data in   {}   (Ctrl-C stops; run again to continue)", config.data_dir.display());
    println!();
    run(listener, app, config).await
}

/// Creates the demo business if it is not there yet; true when it was created.
pub async fn ensure_demo_data(app: &App) -> Result<bool, StartError> {
    if tenancy::find_by_slug(app, DEMO_SLUG).await?.is_some() {
        return Ok(false);
    }
    let (tenant, _owner) = tenancy::create_tenant(
        app,
        NewTenant {
            business_name: "Asha's Salon & Spa".into(),
            slug: DEMO_SLUG.into(),
            country: "IN".into(),
            time_zone: "Asia/Kolkata".into(),
            owner_name: "Asha Demo".into(),
            owner_email: DEMO_OWNER.into(),
            owner_password: DEMO_PASSWORD.into(),
            accepted_policy: true,
            owner_email_verified: true,
            ip: None,
        },
    )
    .await?;
    for (email, name, role) in [
        ("admin@asha-salon.example", "Ravi Demo", "admin"),
        ("meera@asha-salon.example", "Meera Demo", "staff"),
        ("kabir@asha-salon.example", "Kabir Demo", "staff"),
    ] {
        members::add_member(app, tenant.id, email, name, role, DEMO_PASSWORD).await?;
    }
    Ok(true)
}
