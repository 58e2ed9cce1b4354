//! People's requests (DSR-1, DSR-2): asked on the business's privacy page and proved with
//! a one-time code sent to the email the business already has (never to an address the
//! asker types for the first time), or opened by the business itself at the counter. Each
//! lands in the business's inbox with a due date from its jurisdiction; every step is
//! audited. The public side answers the same whether or not anyone matched, so it cannot
//! be used to find out who is a customer.

use crate::access::principal::Principal;
use crate::clock::format_instant;
use crate::mail::{self, OutgoingMail};
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::json;
use steward_crypto::token::token_hash;
use steward_domain::contact::{Email, Phone};
use steward_domain::ids::{CustomerId, TenantId};
use steward_domain::permissions::Permission;
use steward_domain::privacy::{self, CODE_MINUTES, Jurisdiction, RequestKind, RequestStatus};
use steward_store::TenantTx;
use steward_store::access::members;
use steward_store::customers::records as customer_rows;
use steward_store::privacy::requests::{self as rows, RequestRow};
use steward_store::tenancy::tenants;
use uuid::Uuid;

/// A request as the inbox shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PrivacyRequest")]
pub struct RequestView {
    pub id: Uuid,
    #[schemars(extend("enum" = ["access", "correction", "erasure"]))]
    pub kind: String,
    #[schemars(extend("enum" = ["open", "done", "rejected"]))]
    pub status: String,
    #[schemars(extend("enum" = ["privacy_page", "counter", "platform"]))]
    pub source: String,
    pub customer_id: Option<Uuid>,
    /// The customer's name, while they exist.
    pub customer_name: Option<String>,
    pub message: Option<String>,
    pub jurisdiction: String,
    #[schemars(extend("format" = "date-time"))]
    pub due_at: Option<String>,
    pub overdue: bool,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub verified_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub closed_at: Option<String>,
    pub report: Option<serde_json::Value>,
}

async fn view(tx: &mut TenantTx, row: RequestRow, now: i64) -> Result<RequestView, AppError> {
    let customer_name = match row.customer_id {
        Some(id) => customer_rows::find(tx, CustomerId(id)).await?.map(|c| c.name),
        None => None,
    };
    Ok(RequestView {
        id: row.id,
        kind: row.kind.name().into(),
        overdue: row.status == RequestStatus::Open && row.due_at.is_some_and(|due| due < now),
        status: row.status.name().into(),
        source: row.source,
        customer_id: row.customer_id,
        customer_name,
        message: row.message,
        jurisdiction: row.jurisdiction,
        due_at: row.due_at.map(format_instant),
        created_at: format_instant(row.created_at),
        verified_at: row.verified_at.map(format_instant),
        closed_at: row.closed_at.map(format_instant),
        report: row.report.and_then(|r| serde_json::from_str(&r).ok()),
    })
}

const MAX_MESSAGE: usize = 2_000;

fn message_text(raw: &str) -> Result<Option<String>, AppError> {
    let text = raw.trim();
    if text.chars().count() > MAX_MESSAGE {
        return Err(AppError::invalid("message", "is longer than 2,000 characters"));
    }
    Ok(Some(text.to_string()).filter(|t| !t.is_empty()))
}

fn kind_of(raw: &str) -> Result<RequestKind, AppError> {
    RequestKind::parse(raw.trim()).ok_or_else(|| AppError::invalid("kind", "is access, correction or erasure"))
}

async fn jurisdiction_in(tx: &mut TenantTx) -> Result<Jurisdiction, AppError> {
    Ok(Jurisdiction::parse(&tenants::privacy_jurisdiction(tx).await?).unwrap_or(Jurisdiction::Dpdp))
}

/// The business's jurisdiction for due dates.
pub async fn jurisdiction(app: &App, who: &Principal) -> Result<Jurisdiction, AppError> {
    who.require(Permission::TenantRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = jurisdiction_in(&mut tx).await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn set_jurisdiction(app: &App, who: &Principal, raw: &str) -> Result<Jurisdiction, AppError> {
    who.require(Permission::PrivacyManage)?;
    let chosen =
        Jurisdiction::parse(raw.trim()).ok_or_else(|| AppError::invalid("jurisdiction", "is gdpr, dpdp or ccpa"))?;
    let (writer_app, writer) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer);
            let old = jurisdiction_in(&mut tx).await?;
            tenants::set_privacy_jurisdiction(&mut tx, chosen.name(), app.now()).await?;
            let details = json!({ "old": old.name(), "new": chosen.name() });
            audit::record(app, &mut tx, audit::by(who, "privacy.jurisdiction_changed", None, details)).await?;
            tx.commit().await?;
            Ok(chosen)
        })
        .await
}

/// The business opens a request itself, for a customer who asked at the counter.
pub async fn open_for_customer(
    app: &App,
    who: &Principal,
    customer: CustomerId,
    kind: &str,
    message: &str,
) -> Result<RequestView, AppError> {
    who.require(Permission::PrivacyManage)?;
    let kind = kind_of(kind)?;
    let message = message_text(message)?;
    let now = app.now();
    let (writer_app, writer) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer);
            if customer_rows::find(&mut tx, customer).await?.is_none() {
                return Err(AppError::invalid("customer_id", "no customer of this business has that id"));
            }
            let jurisdiction = jurisdiction_in(&mut tx).await?;
            let row = RequestRow {
                id: Uuid::now_v7(),
                kind,
                status: RequestStatus::Open,
                source: "counter".into(),
                customer_id: Some(customer.as_uuid()),
                message,
                code_hash: None,
                code_expires_at: None,
                attempts: 0,
                jurisdiction: jurisdiction.name().into(),
                due_at: Some(jurisdiction.due_at(now)),
                created_at: now,
                verified_at: Some(now),
                closed_at: None,
                closed_by: None,
                report: None,
            };
            rows::insert(&mut tx, &row).await?;
            let details = json!({ "kind": kind.name(), "source": "counter", "customer_id": customer });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "privacy_request.opened", Some(("privacy_request", row.id.to_string())), details),
            )
            .await?;
            let shown = view(&mut tx, row, now).await?;
            tx.commit().await?;
            Ok(shown)
        })
        .await
}

/// The inbox: open requests by due date, then the closed ones.
pub async fn inbox(app: &App, who: &Principal) -> Result<Vec<RequestView>, AppError> {
    who.require(Permission::PrivacyManage)?;
    let now = app.now();
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let mut out = Vec::new();
    for row in rows::inbox(&mut tx, 500).await? {
        out.push(view(&mut tx, row, now).await?);
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn get(app: &App, who: &Principal, id: Uuid) -> Result<RequestView, AppError> {
    who.require(Permission::PrivacyManage)?;
    let now = app.now();
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let row =
        rows::find(&mut tx, id).await?.filter(|r| r.status != RequestStatus::Unverified).ok_or(AppError::NotFound)?;
    let shown = view(&mut tx, row, now).await?;
    tx.commit().await?;
    Ok(shown)
}

/// An open request of the member's business, in the caller's transaction.
pub(crate) async fn open_request(tx: &mut TenantTx, id: Uuid) -> Result<RequestRow, AppError> {
    let row = rows::find(tx, id).await?.filter(|r| r.status != RequestStatus::Unverified).ok_or(AppError::NotFound)?;
    if row.status != RequestStatus::Open {
        return Err(AppError::NotAllowed(format!("this request is already {}", row.status.name())));
    }
    Ok(row)
}

/// Closes a correction (done through the customer's normal form) or any request the
/// business answers without an export or erasure, with its note.
pub async fn close(app: &App, who: &Principal, id: Uuid, outcome: &str, note: &str) -> Result<RequestView, AppError> {
    who.require(Permission::PrivacyManage)?;
    let status = match outcome {
        "done" => RequestStatus::Done,
        "rejected" => RequestStatus::Rejected,
        _ => return Err(AppError::invalid("outcome", "is done or rejected")),
    };
    let note = note.trim();
    if status == RequestStatus::Rejected && note.is_empty() {
        return Err(AppError::invalid("note", "say why the request is refused; the person is told"));
    }
    let now = app.now();
    let (writer_app, writer, note) = (app.clone(), who.clone(), note.to_string());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer);
            let row = open_request(&mut tx, id).await?;
            let report = json!({ "outcome": status.name(), "note": note }).to_string();
            rows::close(&mut tx, id, status, Some(who.member.as_uuid()), &report, now).await?;
            let details = json!({ "kind": row.kind, "outcome": status.name() });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "privacy_request.closed", Some(("privacy_request", id.to_string())), details),
            )
            .await?;
            let after = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let shown = view(&mut tx, after, now).await?;
            tx.commit().await?;
            Ok(shown)
        })
        .await
}

/// What the public form answers, whoever asked: where to type the code.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub ticket: Uuid,
}

/// Someone asks on the privacy page. If the email or phone matches a customer of this
/// business, a request is stored (unverified) and a code goes to the phone or email on
/// file; either way the answer is the same ticket-shaped reply.
/// Where a person asked: the business's own privacy page, or the operator's, naming the
/// business (DSR-1: the request is forwarded into that business's inbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskedOn {
    PrivacyPage,
    Platform,
}

pub async fn ask(
    app: &App,
    slug: &str,
    asked_on: AskedOn,
    kind: &str,
    contact: &str,
    message: &str,
    ip: Option<&str>,
) -> Result<Ticket, AppError> {
    let kind = kind_of(kind)?;
    let message = message_text(message)?;
    let now = app.now();
    let tenant =
        crate::tenancy::find_by_slug(app, slug).await?.filter(|t| t.status.is_open()).ok_or(AppError::NotFound)?;
    let contact = contact.trim();
    if contact.is_empty() {
        return Err(AppError::invalid("contact", "give the email or phone number this business has for you"));
    }
    let identifier = format!("{}:{}", tenant.id, contact.to_lowercase());
    for key in
        [format!("ip:{}", ip.unwrap_or("unknown")), format!("who:{}", steward_crypto::to_hex(&token_hash(&identifier)))]
    {
        if let Err(wait) = app.privacy_limiter.check(&key, now) {
            return Err(AppError::RateLimited(wait));
        }
    }
    let (writer_app, tenant_id, contact) = (app.clone(), tenant.id, contact.to_string());
    let asked = app
        .store
        .write(tenant.id, move |mut tx| async move {
            let app = &writer_app;
            let code = crate::customers::country_code(app, &mut tx).await?;
            let (phones, emails) = if contact.contains('@') {
                (Vec::new(), vec![Email::parse("contact", &contact)?.as_str().to_string()])
            } else {
                (vec![Phone::parse("contact", &contact, &code)?.as_str().to_string()], Vec::new())
            };
            let typed_phone = !phones.is_empty();
            let found = customer_rows::find_by_phones_or_emails(&mut tx, &phones, &emails).await?;
            // One match only: a phone shared by two records proves neither person. The code
            // goes to what the business has on file: by SMS to the phone if a phone was typed
            // and SMS is set up, otherwise to the email.
            let matched = match found.as_slice() {
                [(id, Some(phone), _)] if typed_phone && app.sms.is_some() => Some((*id, CodeTo::Phone(phone.clone()))),
                [(id, _, Some(email))] => Some((*id, CodeTo::Email(email.clone()))),
                _ => None,
            };
            let Some((customer, code_to)) = matched else {
                tx.commit().await?;
                return Ok(None);
            };
            let secret = steward_crypto::random_bytes::<4>()?;
            let code = format!("{:06}", u32::from_le_bytes(secret) % 1_000_000);
            let jurisdiction = jurisdiction_in(&mut tx).await?;
            let row = RequestRow {
                id: Uuid::now_v7(),
                kind,
                status: RequestStatus::Unverified,
                source: match asked_on {
                    AskedOn::PrivacyPage => "privacy_page".into(),
                    AskedOn::Platform => "platform".into(),
                },
                customer_id: Some(customer.as_uuid()),
                message,
                code_hash: Some(code_hash(tenant_id, &code)),
                code_expires_at: Some(now + CODE_MINUTES * 60_000_000),
                attempts: 0,
                jurisdiction: jurisdiction.name().into(),
                due_at: None,
                created_at: now,
                verified_at: None,
                closed_at: None,
                closed_by: None,
                report: None,
            };
            rows::insert(&mut tx, &row).await?;
            tx.commit().await?;
            Ok::<_, AppError>(Some((row, code_to, code)))
        })
        .await?;
    let Some((row, code_to, code)) = asked else {
        // The same reply as for a match, so the form reveals nothing.
        return Ok(Ticket { ticket: Uuid::now_v7() });
    };
    let email = match code_to {
        CodeTo::Email(email) => email,
        CodeTo::Phone(phone) => {
            send_code_by_sms(
                app,
                tenant.id,
                phone,
                format!(
                    "{code} is your code for your request to {}. It expires in {CODE_MINUTES} minutes.",
                    tenant.name
                ),
            );
            return Ok(Ticket { ticket: row.id });
        }
    };
    mail::send_carrying(
        app,
        tenant.id,
        OutgoingMail {
            kind: "privacy request code",
            to: email,
            subject: format!("Your code for {}: {code}", tenant.name),
            text: format!(
                "Someone asked {} for {} of the data it holds about you, using this email address.\n\n\
                 If it was you, type this code on the page where you asked, within {CODE_MINUTES} minutes:\n\n{code}\n\n\
                 If it was not you, ignore this message; nothing happens without the code.\n",
                tenant.name,
                match kind {
                    RequestKind::Access => "a copy",
                    RequestKind::Correction => "a correction",
                    RequestKind::Erasure => "the erasure",
                }
            ),
            link: app.link(&format!("/p/{}", tenant.slug)),
        },
        &["customer.email", "business.name", "one_time_code", "link"],
    );
    Ok(Ticket { ticket: row.id })
}

/// Where a one-time code goes.
enum CodeTo {
    Email(String),
    Phone(String),
}

/// Sends a code by SMS without making the asker wait (so timing says nothing either); a
/// failure is logged without the number.
fn send_code_by_sms(app: &App, tenant: TenantId, phone: String, body: String) {
    let Some(sms) = app.sms.clone() else { return };
    let app = app.clone();
    tokio::spawn(async move {
        let message = crate::messaging::Sms {
            tenant,
            to: &phone,
            body: &body,
            purpose: "privacy request code",
            fields: &["customer.phone", "business.name", "one_time_code"],
            idempotency_key: None,
            status_callback: None,
        };
        if let Err(error) = sms.send(&app, message).await {
            tracing::warn!(%error, "a privacy request code was not sent by SMS");
        }
    });
}

fn code_hash(tenant: TenantId, code: &str) -> Vec<u8> {
    token_hash(&format!("{tenant}:{code}"))
}

/// The person types the code. Right: the request is open in the inbox, with its due date.
pub async fn confirm(app: &App, slug: &str, ticket: Uuid, code: &str) -> Result<RequestKind, AppError> {
    let now = app.now();
    let tenant =
        crate::tenancy::find_by_slug(app, slug).await?.filter(|t| t.status.is_open()).ok_or(AppError::NotFound)?;
    let (writer_app, tenant_id, code) = (app.clone(), tenant.id, code.trim().to_string());
    let (row, due_at, managers) = app
        .store
        .write(tenant.id, move |mut tx| async move {
            // A refusal commits before it is returned: a wrong code counts against the tries.
            let Some(row) = rows::find(&mut tx, ticket).await?.filter(|r| r.status == RequestStatus::Unverified) else {
                tx.commit().await?;
                // An unknown ticket reads like a wrong code.
                let text = format!("that is not the code we sent ({} tries left)", privacy::CODE_ATTEMPTS - 1);
                return Err(AppError::invalid("code", &text));
            };
            let checked = privacy::check_code(
                row.code_hash.as_deref().unwrap_or_default(),
                row.code_expires_at.unwrap_or(0),
                row.attempts,
                now,
                &code_hash(tenant_id, &code),
            );
            if let Err(refusal) = checked {
                if matches!(refusal, privacy::CodeRefusal::Wrong { .. }) {
                    rows::record_wrong_code(&mut tx, ticket).await?;
                }
                tx.commit().await?;
                let text = refusal.to_string();
                return Err(AppError::invalid("code", text.strip_prefix("code: ").unwrap_or(&text)));
            }
            let jurisdiction = Jurisdiction::parse(&row.jurisdiction).unwrap_or(Jurisdiction::Dpdp);
            let due_at = jurisdiction.due_at(now);
            rows::mark_verified(&mut tx, ticket, now, due_at).await?;
            let details = json!({ "kind": row.kind, "source": row.source, "due_at": format_instant(due_at) });
            let event = audit::by_system(
                &Default::default(),
                row.customer_id,
                "privacy_request.verified",
                Some(("privacy_request", ticket.to_string())),
                details,
            );
            audit::record(&writer_app, &mut tx, event).await?;
            let managers = privacy_managers(&mut tx).await?;
            tx.commit().await?;
            Ok((row, due_at, managers))
        })
        .await?;
    for manager in managers {
        mail::send_in_background(
            app,
            tenant.id,
            OutgoingMail {
                kind: "privacy request received",
                to: manager.email.clone(),
                subject: format!("A privacy request for {} is due on {}", tenant.name, format_instant(due_at)),
                text: format!(
                    "Hello {},\n\nA customer proved who they are and asked for {}. Answer it by {}:\n\n{}\n",
                    manager.name,
                    row.kind.name(),
                    format_instant(due_at),
                    app.link(&format!("/app/privacy/requests/{ticket}"))
                ),
                link: app.link(&format!("/app/privacy/requests/{ticket}")),
            },
        );
    }
    Ok(row.kind)
}

/// The members who answer privacy requests.
async fn privacy_managers(tx: &mut TenantTx) -> Result<Vec<members::MemberRow>, AppError> {
    Ok(members::list(tx)
        .await?
        .into_iter()
        .filter(|m| m.removed_at.is_none() && m.role_permissions.iter().any(|p| p == Permission::PrivacyManage.name()))
        .collect())
}

/// Mails each business's privacy managers about requests falling due (a week before, and
/// the day before); returns how many requests were reminded about.
pub async fn send_reminders(app: &App) -> Result<usize, AppError> {
    let now = app.now();
    let mut platform = app.store.begin_platform().await?;
    let all = tenants::list(&mut platform).await?;
    platform.commit().await?;
    let mut reminded = 0;
    for tenant in all.into_iter().filter(|t| t.status.is_open()) {
        let (due, managers) = app
            .store
            .write(tenant.id, move |mut tx| async move {
                let due = rows::needing_reminder(&mut tx, now, crate::clock::MICROS_PER_DAY).await?;
                if due.is_empty() {
                    tx.commit().await?;
                    return Ok::<_, AppError>((due, Vec::new()));
                }
                for request in &due {
                    rows::mark_reminded(&mut tx, request.id, now).await?;
                }
                let managers = privacy_managers(&mut tx).await?;
                tx.commit().await?;
                Ok((due, managers))
            })
            .await?;
        if due.is_empty() {
            continue;
        }
        reminded += due.len();
        for manager in &managers {
            let lines: Vec<String> = due
                .iter()
                .map(|r| {
                    format!(
                        "- {} request, due {}: {}",
                        r.kind.name(),
                        r.due_at.map(format_instant).unwrap_or_default(),
                        app.link(&format!("/app/privacy/requests/{}", r.id))
                    )
                })
                .collect();
            mail::send_in_background(
                app,
                tenant.id,
                OutgoingMail {
                    kind: "privacy requests due",
                    to: manager.email.clone(),
                    subject: format!("{} privacy request(s) for {} fall due soon", due.len(), tenant.name),
                    text: format!(
                        "Hello {},\n\nThese requests must be answered soon:\n\n{}\n",
                        manager.name,
                        lines.join("\n")
                    ),
                    link: app.link("/app/privacy/requests"),
                },
            );
        }
    }
    Ok(reminded)
}
