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
    demo_customers(app).await?;
    Ok(true)
}

/// The demo's own fields (three sensitive, one personal) and a few generated customers.
async fn demo_customers(app: &App) -> Result<(), StartError> {
    use steward_app::access::auth;
    use steward_app::customers::{fields, notes, records};
    let issued = auth::log_in(app, DEMO_SLUG, DEMO_OWNER, DEMO_PASSWORD, &Default::default(), None).await?;
    let owner = auth::authenticate_session(app, &issued.cookie_value).await?;
    for (label, kind, class, options) in [
        ("Hair colour history", "text", "sensitive", vec![]),
        ("Allergies", "text", "sensitive", vec![]),
        ("Fitness goal", "select", "sensitive", vec!["Lose weight", "Build strength", "Flexibility", "Endurance"]),
        ("Referred by", "text", "personal", vec![]),
    ] {
        let input = fields::FieldInput {
            label: label.into(),
            kind: kind.into(),
            data_class: class.into(),
            options: options.into_iter().map(str::to_string).collect(),
        };
        fields::create(app, &owner, &input).await?;
    }
    let people = [
        ("Demo Customer Anaya", "98450 00101", "Global 6N, 2019", "Walk-in friend"),
        ("Demo Customer Ishaan", "98450 00102", "", "Instagram"),
        ("Demo Customer Zoë", "98450 00103", "Copper 7.4, 2021", ""),
        ("Demo Customer Rohan", "98450 00104", "", "Demo Customer Anaya"),
        ("Demo Customer Saanvi", "98450 00105", "Balayage, 2023", ""),
        ("Demo Customer Vihaan", "98450 00106", "", ""),
    ];
    for (index, (name, phone, colour, referred)) in people.into_iter().enumerate() {
        let mut values = serde_json::Map::new();
        if !colour.is_empty() {
            values.insert("Hair colour history".into(), colour.into());
        }
        if !referred.is_empty() {
            values.insert("Referred by".into(), referred.into());
        }
        if index % 3 == 0 {
            values.insert("Allergies".into(), "Generated example: PPD in dark dyes".into());
        }
        let input: records::CustomerInput = serde_json::from_value(serde_json::json!({
            "name": name, "phone": phone, "email": format!("customer{}@demo.example", index + 1),
            "tags": if index % 2 == 0 { vec!["regular"] } else { vec!["new"] }, "fields": values,
            "consents": [{ "channel": "whatsapp", "purpose": "reminders", "granted": true, "source": "verbal" }],
        }))
        .map_err(|e| StartError::Usage(format!("demo data: {e}")))?;
        let customer = records::create(app, &owner, &input).await?;
        let note =
            notes::NoteInput { body: "Generated example note: prefers weekend mornings.".into(), private: false };
        notes::add(app, &owner, customer.id, &note).await?;
    }
    auth::log_out(app, &owner).await?;
    Ok(())
}
