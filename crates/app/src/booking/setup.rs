//! Setting up booking: locations with their time zones, services with their timing,
//! price and GST, staff with the services they perform, their weekly hours (breaks are
//! the gaps), date overrides and time off.

use super::parse_uuid;
use crate::access::principal::Principal;
use crate::audit;
use crate::clock::format_instant;
use crate::customers::records::optional;
use crate::{App, AppError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use steward_domain::booking::local_time::{format_in, parse_day, parse_start, zone};
use steward_domain::booking::{
    ServiceTiming, WEEKDAYS, check_ranges, format_minute_of_day, format_price, format_rate, parse_gst_rate,
    parse_minute_of_day, parse_price, parse_sac, parse_weekday,
};
use steward_domain::contact::parse_name;
use steward_domain::customers::parse_text;
use steward_domain::ids::{LocationId, MemberId, ServiceId, StaffId, TimeOffId};
use steward_domain::permissions::Permission;
use steward_domain::time::Timestamp;
use steward_domain::time_zone::parse_time_zone;
use steward_store::TenantTx;
use steward_store::booking::setup::{
    self as rows, HoursRow, LocationRow, OverrideRow, ServiceRow, StaffRow, TimeOffRow,
};

const MAX_NAME: usize = 120;

// ---- Locations ----

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LocationNew")]
pub struct LocationInput {
    pub name: Option<String>,
    pub address: Option<String>,
    /// IANA name; the business's by default.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Location")]
pub struct LocationView {
    pub id: LocationId,
    pub name: String,
    pub address: Option<String>,
    pub time_zone: String,
    pub created_at: String,
}

impl From<&LocationRow> for LocationView {
    fn from(l: &LocationRow) -> Self {
        Self {
            id: l.id,
            name: l.name.clone(),
            address: l.address.clone(),
            time_zone: l.time_zone.clone(),
            created_at: format_instant(l.created_at.as_micros()),
        }
    }
}

fn duplicate_name(error: steward_store::StoreError, what: &str) -> AppError {
    match error {
        steward_store::StoreError::Duplicate { .. } => {
            AppError::conflict("name", &format!("another {what} already has this name"))
        }
        other => other.into(),
    }
}

pub async fn locations(app: &App, who: &Principal) -> Result<Vec<LocationView>, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let all = rows::locations(&mut tx).await?;
    tx.commit().await?;
    Ok(all.iter().map(Into::into).collect())
}

pub async fn location(app: &App, who: &Principal, id: LocationId) -> Result<LocationView, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::find_location(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok((&found).into())
}

fn check_location(
    input: &LocationInput,
    current: Option<&LocationRow>,
    default_zone: &str,
) -> Result<LocationRow, AppError> {
    let name = match (&input.name, current) {
        (Some(n), _) => parse_name("name", n, MAX_NAME)?,
        (None, Some(c)) => c.name.clone(),
        (None, None) => return Err(AppError::invalid("name", "is required")),
    };
    let address =
        optional(&input.address, current.and_then(|c| c.address.as_ref()), |t| Ok(parse_text("address", t, 300)?))?;
    let time_zone = match (&input.time_zone, current) {
        (Some(z), _) => parse_time_zone("time_zone", z)?,
        (None, Some(c)) => c.time_zone.clone(),
        (None, None) => default_zone.to_string(),
    };
    Ok(LocationRow {
        id: current.map(|c| c.id).unwrap_or_else(LocationId::generate),
        name,
        address,
        time_zone,
        created_at: current.map(|c| c.created_at).unwrap_or_default(),
    })
}

pub async fn create_location(app: &App, who: &Principal, input: &LocationInput) -> Result<LocationView, AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who, input) = (&writer_app, &who, &input);
            let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
            let mut row = check_location(input, None, &tenant.time_zone)?;
            row.created_at = app.now_timestamp();
            rows::insert_location(&mut tx, &row).await.map_err(|e| duplicate_name(e, "location"))?;
            let details = json!({ "name": row.name, "time_zone": row.time_zone });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "location.created", Some(("location", row.id.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok((&row).into())
        })
        .await
}

pub async fn update_location(
    app: &App,
    who: &Principal,
    id: LocationId,
    input: &LocationInput,
) -> Result<LocationView, AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store.write(who.tenant, move |mut tx| async move {
        let (app, who, input) = (&writer_app, &who, &input);
        let current = rows::find_location(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        let row = check_location(input, Some(&current), &current.time_zone)?;
        rows::update_location(&mut tx, &row).await.map_err(|e| duplicate_name(e, "location"))?;
        let details = json!({ "name": { "old": current.name, "new": row.name }, "time_zone": { "old": current.time_zone, "new": row.time_zone } });
        audit::record(app, &mut tx, audit::by(who, "location.changed", Some(("location", id.to_string())), details))
            .await?;
        tx.commit().await?;
        Ok((&row).into())
    })
    .await
}

pub async fn delete_location(app: &App, who: &Principal, id: LocationId) -> Result<(), AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            let current = rows::find_location(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            if rows::location_in_use(&mut tx, id).await? {
                return Err(AppError::NotAllowed(
                    "appointments were booked at this location; it stays so their history stays whole".into(),
                ));
            }
            rows::delete_location(&mut tx, id).await?;
            let details = json!({ "name": current.name });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "location.deleted", Some(("location", id.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

// ---- Services ----

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ServiceNew")]
pub struct ServiceInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i64>,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub slot_interval_minutes: Option<i64>,
    pub min_notice_minutes: Option<i64>,
    pub horizon_days: Option<i64>,
    /// Rupees: `499` or `"499.50"`.
    pub price: Option<super::Amount>,
    /// Percent: `18`, `"5"`.
    pub gst_rate: Option<super::Amount>,
    /// Six digits starting with 99.
    pub sac_code: Option<String>,
    pub active: Option<bool>,
    /// Where it is offered; every location when none are given on creation.
    #[schemars(with = "Option<Vec<steward_domain::ids::LocationId>>")]
    pub location_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Service")]
pub struct ServiceView {
    pub id: ServiceId,
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub slot_interval_minutes: i64,
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
    /// Rupees: `499.00`.
    pub price: String,
    /// The price in paise, for pages to show as `₹1,800`; the API has `price`.
    #[serde(skip)]
    #[schemars(skip)]
    pub price_paise: i64,
    /// Percent.
    pub gst_rate: String,
    pub sac_code: Option<String>,
    pub active: bool,
    pub location_ids: Vec<LocationId>,
    pub staff_ids: Vec<StaffId>,
}

pub(crate) fn timing_of(s: &ServiceRow) -> ServiceTiming {
    ServiceTiming {
        duration_minutes: s.duration_minutes,
        buffer_before_minutes: s.buffer_before_minutes,
        buffer_after_minutes: s.buffer_after_minutes,
        slot_interval_minutes: s.slot_interval_minutes,
        min_notice_minutes: s.min_notice_minutes,
        horizon_days: s.horizon_days,
    }
}

fn service_view(s: &ServiceRow, links: &Links) -> ServiceView {
    ServiceView {
        id: s.id,
        name: s.name.clone(),
        description: s.description.clone(),
        duration_minutes: s.duration_minutes,
        buffer_before_minutes: s.buffer_before_minutes,
        buffer_after_minutes: s.buffer_after_minutes,
        slot_interval_minutes: s.slot_interval_minutes,
        min_notice_minutes: s.min_notice_minutes,
        horizon_days: s.horizon_days,
        price: format_price(s.price_paise),
        price_paise: s.price_paise,
        gst_rate: format_rate(s.gst_rate_bp),
        sac_code: s.sac_code.clone(),
        active: s.active,
        location_ids: links.locations_of(s.id),
        staff_ids: links.staff_of(s.id),
    }
}

/// Which service is offered where and by whom.
pub(crate) struct Links {
    pub service_locations: Vec<(ServiceId, LocationId)>,
    pub staff_services: Vec<(StaffId, ServiceId)>,
}

impl Links {
    pub(crate) async fn load(tx: &mut TenantTx) -> Result<Links, AppError> {
        Ok(Links {
            service_locations: rows::service_locations(tx).await?,
            staff_services: rows::staff_services(tx).await?,
        })
    }

    pub fn locations_of(&self, service: ServiceId) -> Vec<LocationId> {
        self.service_locations.iter().filter(|(s, _)| *s == service).map(|(_, l)| *l).collect()
    }

    pub fn staff_of(&self, service: ServiceId) -> Vec<StaffId> {
        self.staff_services.iter().filter(|(_, s)| *s == service).map(|(p, _)| *p).collect()
    }

    pub fn services_of(&self, staff: StaffId) -> Vec<ServiceId> {
        self.staff_services.iter().filter(|(p, _)| *p == staff).map(|(_, s)| *s).collect()
    }
}

fn check_service(input: &ServiceInput, current: Option<&ServiceRow>, now: Timestamp) -> Result<ServiceRow, AppError> {
    let name = match (&input.name, current) {
        (Some(n), _) => parse_name("name", n, MAX_NAME)?,
        (None, Some(c)) => c.name.clone(),
        (None, None) => return Err(AppError::invalid("name", "is required")),
    };
    let description = optional(&input.description, current.and_then(|c| c.description.as_ref()), |t| {
        Ok(parse_text("description", t, 1000)?)
    })?;
    let pick = |given: Option<i64>, stored: Option<i64>, default: Option<i64>, field: &str| {
        given.or(stored).or(default).ok_or_else(|| AppError::invalid(field, "is required"))
    };
    let duration = pick(input.duration_minutes, current.map(|c| c.duration_minutes), None, "duration_minutes")?;
    let timing = ServiceTiming {
        duration_minutes: duration,
        buffer_before_minutes: pick(
            input.buffer_before_minutes,
            current.map(|c| c.buffer_before_minutes),
            Some(0),
            "",
        )?,
        buffer_after_minutes: pick(input.buffer_after_minutes, current.map(|c| c.buffer_after_minutes), Some(0), "")?,
        slot_interval_minutes: pick(
            input.slot_interval_minutes,
            current.map(|c| c.slot_interval_minutes),
            Some(duration.clamp(5, 30)),
            "",
        )?,
        min_notice_minutes: pick(input.min_notice_minutes, current.map(|c| c.min_notice_minutes), Some(60), "")?,
        horizon_days: pick(input.horizon_days, current.map(|c| c.horizon_days), Some(60), "")?,
    }
    .check()?;
    let price_paise = match (&input.price, current) {
        (Some(p), _) => parse_price("price", &p.text())?,
        (None, Some(c)) => c.price_paise,
        (None, None) => return Err(AppError::invalid("price", "is required (0 for free)")),
    };
    let gst_rate_bp = match (&input.gst_rate, current) {
        (Some(r), _) => parse_gst_rate("gst_rate", &r.text())?,
        (None, Some(c)) => c.gst_rate_bp,
        (None, None) => 1800,
    };
    let sac_code = match (&input.sac_code, current) {
        (Some(s), _) => parse_sac("sac_code", s)?,
        (None, Some(c)) => c.sac_code.clone(),
        (None, None) => None,
    };
    Ok(ServiceRow {
        id: current.map(|c| c.id).unwrap_or_else(ServiceId::generate),
        name,
        description,
        duration_minutes: timing.duration_minutes,
        buffer_before_minutes: timing.buffer_before_minutes,
        buffer_after_minutes: timing.buffer_after_minutes,
        slot_interval_minutes: timing.slot_interval_minutes,
        min_notice_minutes: timing.min_notice_minutes,
        horizon_days: timing.horizon_days,
        price_paise,
        gst_rate_bp,
        sac_code,
        active: input.active.or(current.map(|c| c.active)).unwrap_or(true),
        created_at: current.map(|c| c.created_at).unwrap_or(now),
        updated_at: now,
    })
}

/// Checks a list of location ids against the tenant's locations.
async fn check_locations(tx: &mut TenantTx, field: &str, raw: &[String]) -> Result<Vec<LocationId>, AppError> {
    let known = rows::locations(tx).await?;
    let mut out = Vec::new();
    for text in raw {
        let id: LocationId = parse_uuid(field, text)?;
        if !known.iter().any(|l| l.id == id) {
            return Err(AppError::invalid(field, "names a location this business does not have"));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

pub async fn services(app: &App, who: &Principal) -> Result<Vec<ServiceView>, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let all = rows::services(&mut tx).await?;
    let links = Links::load(&mut tx).await?;
    tx.commit().await?;
    Ok(all.iter().map(|s| service_view(s, &links)).collect())
}

pub async fn service(app: &App, who: &Principal, id: ServiceId) -> Result<ServiceView, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::find_service(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let links = Links::load(&mut tx).await?;
    tx.commit().await?;
    Ok(service_view(&found, &links))
}

pub async fn create_service(app: &App, who: &Principal, input: &ServiceInput) -> Result<ServiceView, AppError> {
    who.require(Permission::TenantManage)?;
    let row = check_service(input, None, app.now_timestamp())?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store.write(who.tenant, move |mut tx| async move {
        let (app, who, input) = (&writer_app, &who, &input);
        let locations = match &input.location_ids {
            Some(ids) => check_locations(&mut tx, "location_ids", ids).await?,
            None => rows::locations(&mut tx).await?.iter().map(|l| l.id).collect(),
        };
        rows::insert_service(&mut tx, &row).await.map_err(|e| duplicate_name(e, "service"))?;
        rows::set_service_locations(&mut tx, row.id, &locations).await?;
        let details = json!({ "name": row.name, "duration_minutes": row.duration_minutes, "price_paise": row.price_paise, "gst_rate_bp": row.gst_rate_bp });
        audit::record(app, &mut tx, audit::by(who, "service.created", Some(("service", row.id.to_string())), details))
            .await?;
        let links = Links::load(&mut tx).await?;
        tx.commit().await?;
        Ok(service_view(&row, &links))
    })
    .await
}

pub async fn update_service(
    app: &App,
    who: &Principal,
    id: ServiceId,
    input: &ServiceInput,
) -> Result<ServiceView, AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who, input) = (&writer_app, &who, &input);
            let current = rows::find_service(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let row = check_service(input, Some(&current), app.now_timestamp())?;
            if let Some(ids) = &input.location_ids {
                let locations = check_locations(&mut tx, "location_ids", ids).await?;
                rows::set_service_locations(&mut tx, id, &locations).await?;
            }
            rows::update_service(&mut tx, &row).await.map_err(|e| duplicate_name(e, "service"))?;
            let details = json!({
                "name": { "old": current.name, "new": row.name },
                "duration_minutes": { "old": current.duration_minutes, "new": row.duration_minutes },
                "price_paise": { "old": current.price_paise, "new": row.price_paise },
                "gst_rate_bp": { "old": current.gst_rate_bp, "new": row.gst_rate_bp },
                "active": { "old": current.active, "new": row.active },
            });
            audit::record(app, &mut tx, audit::by(who, "service.changed", Some(("service", id.to_string())), details))
                .await?;
            let links = Links::load(&mut tx).await?;
            tx.commit().await?;
            Ok(service_view(&row, &links))
        })
        .await
}

// ---- Staff ----

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "StaffNew")]
pub struct StaffInput {
    pub name: Option<String>,
    /// The member who logs in as this person; empty to unlink.
    pub member_id: Option<String>,
    pub active: Option<bool>,
    #[schemars(with = "Option<Vec<steward_domain::ids::ServiceId>>")]
    pub service_ids: Option<Vec<String>>,
}

/// One working range of a week, as written in forms and the API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WeeklyHours")]
pub struct HoursInput {
    #[schemars(extend("enum" = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]))]
    pub weekday: String,
    pub start: String,
    pub end: String,
    #[schemars(with = "steward_domain::ids::LocationId")]
    pub location_id: String,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WeekHours")]
pub struct WeekInput {
    pub hours: Vec<HoursInput>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Staff")]
pub struct StaffView {
    pub id: StaffId,
    pub name: String,
    pub member_id: Option<MemberId>,
    pub active: bool,
    pub service_ids: Vec<ServiceId>,
    pub hours: Vec<HoursInput>,
    pub overrides: Vec<OverrideView>,
    pub has_calendar_feed: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "StaffOverride")]
pub struct OverrideView {
    pub date: String,
    /// Empty: a day off.
    pub ranges: Vec<RangeView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HoursRange")]
pub struct RangeView {
    /// `09:30`.
    pub start: String,
    /// `13:00` (`24:00` for midnight).
    pub end: String,
    #[schemars(with = "steward_domain::ids::LocationId")]
    pub location_id: String,
}

fn hours_views(hours: &[HoursRow], staff: StaffId) -> Vec<HoursInput> {
    hours
        .iter()
        .filter(|h| h.staff_id == staff)
        .map(|h| HoursInput {
            weekday: WEEKDAYS[(h.weekday.clamp(1, 7) - 1) as usize].to_string(),
            start: format_minute_of_day(h.start_minute),
            end: format_minute_of_day(h.end_minute),
            location_id: h.location_id.to_string(),
        })
        .collect()
}

fn override_views(overrides: &[OverrideRow], staff: StaffId) -> Vec<OverrideView> {
    let mut out: Vec<OverrideView> = Vec::new();
    for o in overrides.iter().filter(|o| o.staff_id == staff) {
        if out.last().is_none_or(|last| last.date != o.on_date) {
            out.push(OverrideView { date: o.on_date.clone(), ranges: Vec::new() });
        }
        if let (Some(last), Some((location, start, end))) = (out.last_mut(), o.range) {
            last.ranges.push(RangeView {
                start: format_minute_of_day(start),
                end: format_minute_of_day(end),
                location_id: location.to_string(),
            });
        }
    }
    out
}

fn staff_view(s: &StaffRow, links: &Links, hours: &[HoursRow], overrides: &[OverrideRow]) -> StaffView {
    StaffView {
        id: s.id,
        name: s.name.clone(),
        member_id: s.member_id,
        active: s.active,
        service_ids: links.services_of(s.id),
        hours: hours_views(hours, s.id),
        overrides: override_views(overrides, s.id),
        has_calendar_feed: s.has_feed,
    }
}

pub(crate) fn today_text(app: &App) -> String {
    crate::customers::records::today(app).to_string()
}

pub async fn staff_list(app: &App, who: &Principal) -> Result<Vec<StaffView>, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let all = rows::staff_list(&mut tx).await?;
    let links = Links::load(&mut tx).await?;
    let hours = rows::hours(&mut tx, None).await?;
    let overrides = rows::overrides(&mut tx, None, &today_text(app)).await?;
    tx.commit().await?;
    Ok(all.iter().map(|s| staff_view(s, &links, &hours, &overrides)).collect())
}

pub async fn staff(app: &App, who: &Principal, id: StaffId) -> Result<StaffView, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let view = load_staff(app, &mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

async fn load_staff(app: &App, tx: &mut TenantTx, id: StaffId) -> Result<StaffView, AppError> {
    let found = rows::find_staff(tx, id).await?.ok_or(AppError::NotFound)?;
    let links = Links::load(tx).await?;
    let hours = rows::hours(tx, Some(id)).await?;
    let overrides = rows::overrides(tx, Some(id), &today_text(app)).await?;
    Ok(staff_view(&found, &links, &hours, &overrides))
}

async fn check_services(tx: &mut TenantTx, raw: &[String]) -> Result<Vec<ServiceId>, AppError> {
    let known = rows::services(tx).await?;
    let mut out = Vec::new();
    for text in raw {
        let id: ServiceId = parse_uuid("service_ids", text)?;
        if !known.iter().any(|s| s.id == id) {
            return Err(AppError::invalid("service_ids", "names a service this business does not have"));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

async fn check_member(tx: &mut TenantTx, raw: &str) -> Result<Option<MemberId>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let id: MemberId = parse_uuid("member_id", raw)?;
    match steward_store::access::members::find(tx, id).await? {
        Some(_) => Ok(Some(id)),
        None => Err(AppError::invalid("member_id", "is not a member of this business")),
    }
}

pub async fn create_staff(app: &App, who: &Principal, input: &StaffInput) -> Result<StaffView, AppError> {
    who.require(Permission::TenantManage)?;
    let name = parse_name("name", input.name.as_deref().unwrap_or_default(), MAX_NAME)?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who, input) = (&writer_app, &who, &input);
            let member_id = match &input.member_id {
                Some(raw) => check_member(&mut tx, raw).await?,
                None => None,
            };
            let services = check_services(&mut tx, input.service_ids.as_deref().unwrap_or_default()).await?;
            let now = app.now_timestamp();
            let row = StaffRow {
                id: StaffId::generate(),
                name,
                member_id,
                active: input.active.unwrap_or(true),
                has_feed: false,
                busy_version: 0,
                created_at: now,
                updated_at: now,
            };
            rows::insert_staff(&mut tx, &row).await?;
            rows::set_staff_services(&mut tx, row.id, &services).await?;
            let details = json!({ "services": services.len(), "linked_to_member": member_id.is_some() });
            audit::record(app, &mut tx, audit::by(who, "staff.created", Some(("staff", row.id.to_string())), details))
                .await?;
            let view = load_staff(app, &mut tx, row.id).await?;
            tx.commit().await?;
            Ok(view)
        })
        .await
}

pub async fn update_staff(app: &App, who: &Principal, id: StaffId, input: &StaffInput) -> Result<StaffView, AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who, input) = (&writer_app, &who, &input);
            let current = rows::find_staff(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let name = match &input.name {
                Some(n) => parse_name("name", n, MAX_NAME)?,
                None => current.name.clone(),
            };
            let member_id = match &input.member_id {
                Some(raw) => check_member(&mut tx, raw).await?,
                None => current.member_id,
            };
            if let Some(ids) = &input.service_ids {
                let services = check_services(&mut tx, ids).await?;
                rows::set_staff_services(&mut tx, id, &services).await?;
            }
            let row = StaffRow {
                name,
                member_id,
                active: input.active.unwrap_or(current.active),
                updated_at: app.now_timestamp(),
                ..current
            };
            rows::update_staff(&mut tx, &row).await?;
            let mut changed: Vec<&str> = Vec::new();
            for (field, set) in [
                ("name", input.name.is_some()),
                ("member_id", input.member_id.is_some()),
                ("active", input.active.is_some()),
                ("service_ids", input.service_ids.is_some()),
            ] {
                if set {
                    changed.push(field);
                }
            }
            audit::record(
                app,
                &mut tx,
                audit::by(who, "staff.changed", Some(("staff", id.to_string())), json!({ "fields": changed })),
            )
            .await?;
            let view = load_staff(app, &mut tx, id).await?;
            tx.commit().await?;
            Ok(view)
        })
        .await
}

/// Replaces a staff member's weekly hours.
pub async fn set_hours(app: &App, who: &Principal, id: StaffId, week: &WeekInput) -> Result<StaffView, AppError> {
    who.require(Permission::TenantManage)?;
    if week.hours.len() > 7 * 12 {
        return Err(AppError::invalid("hours", "at most 12 ranges a day"));
    }
    let (writer_app, who, week) = (app.clone(), who.clone(), week.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who, week) = (&writer_app, &who, &week);
            rows::find_staff(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let known = rows::locations(&mut tx).await?;
            let mut by_day: BTreeMap<i8, Vec<(i64, i64)>> = BTreeMap::new();
            let mut out = Vec::new();
            for (i, h) in week.hours.iter().enumerate() {
                let field = |name: &str| format!("hours[{i}].{name}");
                let weekday = parse_weekday(&field("weekday"), &h.weekday)?;
                let start = parse_minute_of_day(&field("start"), &h.start)?;
                let end = parse_minute_of_day(&field("end"), &h.end)?;
                let location: LocationId = parse_uuid(&field("location_id"), &h.location_id)?;
                if !known.iter().any(|l| l.id == location) {
                    return Err(AppError::invalid(
                        &field("location_id"),
                        "names a location this business does not have",
                    ));
                }
                if end <= start {
                    return Err(AppError::invalid(&field("end"), "must be after the start"));
                }
                by_day.entry(weekday).or_default().push((start, end));
                out.push(HoursRow {
                    staff_id: id,
                    weekday: weekday as i64,
                    start_minute: start,
                    end_minute: end,
                    location_id: location,
                });
            }
            for (weekday, ranges) in by_day.iter_mut() {
                check_ranges(&format!("hours.{}", WEEKDAYS[(*weekday - 1) as usize]), ranges)?;
            }
            rows::set_hours(&mut tx, id, &out).await?;
            let details = json!({ "ranges": out.len() });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "staff.hours_changed", Some(("staff", id.to_string())), details),
            )
            .await?;
            let view = load_staff(app, &mut tx, id).await?;
            tx.commit().await?;
            Ok(view)
        })
        .await
}

/// A date whose hours replace the weekly ones.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OverrideNew")]
pub struct OverrideInput {
    /// `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub date: String,
    /// The day's ranges; empty for a day off.
    #[serde(default)]
    pub ranges: Vec<RangeView>,
    /// True to remove the override (the weekly hours apply again).
    #[serde(default)]
    pub remove: bool,
}

pub async fn set_override(
    app: &App,
    who: &Principal,
    id: StaffId,
    input: &OverrideInput,
) -> Result<StaffView, AppError> {
    who.require(Permission::BookingsManage)?;
    let date = parse_day("date", &input.date)?;
    if date.to_string() < today_text(app) {
        return Err(AppError::invalid("date", "is in the past"));
    }
    if input.ranges.len() > 12 {
        return Err(AppError::invalid("ranges", "at most 12 ranges a day"));
    }
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who, input) = (&writer_app, &who, &input);
            rows::find_staff(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let known = rows::locations(&mut tx).await?;
            let mut ranges = Vec::new();
            for (i, r) in input.ranges.iter().enumerate() {
                let field = |name: &str| format!("ranges[{i}].{name}");
                let start = parse_minute_of_day(&field("start"), &r.start)?;
                let end = parse_minute_of_day(&field("end"), &r.end)?;
                let location: LocationId = parse_uuid(&field("location_id"), &r.location_id)?;
                if !known.iter().any(|l| l.id == location) {
                    return Err(AppError::invalid(
                        &field("location_id"),
                        "names a location this business does not have",
                    ));
                }
                ranges.push((location, start, end));
            }
            let mut plain: Vec<(i64, i64)> = ranges.iter().map(|(_, s, e)| (*s, *e)).collect();
            check_ranges("ranges", &mut plain)?;
            ranges.sort_by_key(|(_, s, _)| *s);
            let text = date.to_string();
            rows::set_override(&mut tx, id, &text, if input.remove { None } else { Some(&ranges) }).await?;
            let details = json!({ "date": text, "ranges": ranges.len(), "removed": input.remove });
            audit::record(app, &mut tx, audit::by(who, "staff.override_set", Some(("staff", id.to_string())), details))
                .await?;
            let view = load_staff(app, &mut tx, id).await?;
            tx.commit().await?;
            Ok(view)
        })
        .await
}

// ---- Time off ----

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TimeOffNew")]
pub struct TimeOffInput {
    /// `2026-12-24T13:00` in `time_zone` (the business's by default), or with an offset.
    pub starts_at: String,
    /// Like `starts_at`.
    pub ends_at: String,
    pub time_zone: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "TimeOff")]
pub struct TimeOffView {
    pub id: TimeOffId,
    pub staff_id: StaffId,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: Option<String>,
}

fn time_off_view(t: &TimeOffRow, tz: &jiff::tz::TimeZone) -> TimeOffView {
    TimeOffView {
        id: t.id,
        staff_id: t.staff_id,
        starts_at: format_in(t.starts_at.as_micros(), tz),
        ends_at: format_in(t.ends_at.as_micros(), tz),
        reason: t.reason.clone(),
    }
}

pub async fn time_off(app: &App, who: &Principal, id: StaffId) -> Result<Vec<TimeOffView>, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    rows::find_staff(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
    let tz = zone("time_zone", &tenant.time_zone)?;
    let all = rows::time_off(&mut tx, id, app.now_timestamp(), Timestamp::from_micros(i64::MAX / 2)).await?;
    tx.commit().await?;
    Ok(all.iter().map(|t| time_off_view(t, &tz)).collect())
}

pub async fn add_time_off(
    app: &App,
    who: &Principal,
    id: StaffId,
    input: &TimeOffInput,
) -> Result<TimeOffView, AppError> {
    who.require(Permission::BookingsManage)?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store.write(who.tenant, move |mut tx| async move {
        let (app, who, input) = (&writer_app, &who, &input);
        rows::find_staff(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
        let tz = zone("time_zone", input.time_zone.as_deref().unwrap_or(&tenant.time_zone))?;
        let starts_at = Timestamp::from_micros(parse_start("starts_at", &input.starts_at, &tz)?);
        let ends_at = Timestamp::from_micros(parse_start("ends_at", &input.ends_at, &tz)?);
        if ends_at <= starts_at {
            return Err(AppError::invalid("ends_at", "must be after starts_at"));
        }
        if ends_at - starts_at > 366 * 24 * 3_600_000_000 {
            return Err(AppError::invalid("ends_at", "time off can be at most a year at a time"));
        }
        let reason = match &input.reason {
            Some(r) => parse_text("reason", r, 200)?,
            None => None,
        };
        let row = TimeOffRow { id: TimeOffId::generate(), staff_id: id, starts_at, ends_at, reason };
        rows::insert_time_off(&mut tx, &row, app.now_timestamp()).await?;
        let details =
            json!({ "starts_at": format_instant(starts_at.as_micros()), "ends_at": format_instant(ends_at.as_micros()) });
        audit::record(app, &mut tx, audit::by(who, "staff.time_off_added", Some(("staff", id.to_string())), details))
            .await?;
        tx.commit().await?;
        Ok(time_off_view(&row, &tz))
    })
    .await
}

pub async fn remove_time_off(app: &App, who: &Principal, staff: StaffId, id: TimeOffId) -> Result<(), AppError> {
    who.require(Permission::BookingsManage)?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            if !rows::delete_time_off(&mut tx, staff, id).await? {
                return Err(AppError::NotFound);
            }
            audit::record(
                app,
                &mut tx,
                audit::by(who, "staff.time_off_removed", Some(("staff", staff.to_string())), json!({})),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}
