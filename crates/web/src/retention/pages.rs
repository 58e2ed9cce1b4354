//! Data & retention: the rules the business keeps data by, legal holds, what the last
//! sweeps removed, where the business is in its lifecycle (cancel, come back, the dates
//! that apply) and the download of everything before a purge.

use crate::AppState;
use crate::customers::picker::CustomerPicker;
use crate::extract::Auth;
use crate::pages::{Chrome, FormData, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::retention::holds::{self, HoldView, NewHold};
use steward_app::retention::lifecycle::{self, LifecycleView};
use steward_app::retention::rules::{self, RuleView};
use steward_app::retention::sweep::{self, RunView};
use steward_domain::classification::DataClass;
use steward_domain::permissions::Permission;

#[derive(Template)]
#[template(path = "retention/retention.html")]
pub struct DataPage {
    pub chrome: Chrome,
    pub rules: Vec<RuleView>,
    pub holds: Vec<HoldView>,
    pub runs: Vec<RunView>,
    pub life: LifecycleView,
    pub can_manage_privacy: bool,
    pub is_owner: bool,
    pub processors: Vec<(&'static str, &'static str, String)>,
    /// The latest outbound calls, for members who may read the audit log.
    pub egress: Option<Vec<steward_app::egress::EgressView>>,
    /// The customer a new legal hold covers, when it covers one.
    pub picker: CustomerPicker,
    /// What the hold form was sent with, shown again when it was refused.
    pub hold_form: HoldForm,
    /// The kinds of data a hold can cover: (name, words).
    pub held_classes: Vec<(&'static str, &'static str)>,
}

/// The legal-hold form's values.
#[derive(Deserialize, Default)]
pub struct HoldForm {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub data_class: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub customer_id: String,
    /// What was typed to find the customer.
    #[serde(default)]
    pub find: String,
}

impl HoldForm {
    fn read(form: &FormData) -> Self {
        Self {
            scope: form.get("scope").into(),
            data_class: form.get("data_class").into(),
            reason: form.get("reason").into(),
            customer_id: form.get("customer_id").into(),
            find: form.get("find").into(),
        }
    }
}

async fn page(state: &AppState, who: &Principal, notice: Option<&str>, error: Option<&AppError>) -> PageResult {
    page_with(state, who, notice, error, HoldForm::default()).await
}

async fn page_with(
    state: &AppState,
    who: &Principal,
    notice: Option<&str>,
    error: Option<&AppError>,
    hold_form: HoldForm,
) -> PageResult {
    let chrome = Chrome::member(state, who, "Data & retention", "/app/settings/data")
        .await?
        .with_notice(notice)
        .with_error_opt(error);
    let can_manage_privacy = who.has(Permission::PrivacyManage);
    let (holds, runs) = if can_manage_privacy {
        (holds::list_for(&state.app, who).await?, sweep::recent_runs(&state.app, who).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let processors = steward_domain::processors::ALL.iter().map(|p| (p.name, p.purpose, p.fields.join(", "))).collect();
    let template = DataPage {
        chrome,
        rules: rules::list(&state.app, who).await?,
        holds,
        runs,
        life: lifecycle::of_member(&state.app, who).await?,
        can_manage_privacy,
        is_owner: who.role == "owner",
        processors,
        egress: if who.has(Permission::AuditRead) {
            Some(steward_app::egress::recent(&state.app, who).await?.into_iter().take(50).collect())
        } else {
            None
        },
        picker: CustomerPicker::search(state, who, &hold_form.find, &hold_form.customer_id, "/app/settings/data#holds")
            .await?,
        hold_form,
        held_classes: DataClass::ABOUT_PEOPLE.iter().map(|class| (class.name(), class.label())).collect(),
    };
    Ok(render(crate::pages::status_for(error), &template))
}

async fn answer(state: &AppState, who: &Principal, outcome: Result<&'static str, AppError>) -> PageResult {
    match outcome {
        Ok(notice) => Ok(see_other(&format!("/app/settings/data?notice={notice}"))),
        Err(error) => page(state, who, None, Some(&error)).await,
    }
}

#[derive(Deserialize, Default)]
pub struct DataQuery {
    notice: Option<String>,
    #[serde(flatten)]
    hold_form: HoldForm,
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<DataQuery>) -> PageResult {
    page_with(&state, &who, query.notice.as_deref(), None, query.hold_form).await
}

pub async fn set_rule(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let class = form.get("data_class").to_string();
    let raw = form.get("keep_days").trim().to_string();
    let outcome = async {
        let (keep_days, default) = match raw.as_str() {
            "default" => (None, true),
            "" | "forever" => (None, false),
            days => (
                Some(days.parse::<i64>().map_err(|_| AppError::invalid("keep_days", "write a number of days"))?),
                false,
            ),
        };
        rules::set(&state.app, &who, &class, keep_days, default).await.map(|_| "saved")
    }
    .await;
    answer(&state, &who, outcome).await
}

pub async fn set_hold(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let values = HoldForm::read(&form);
    let non_empty = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
    // The customer and the kind of data are sent whatever the scope; each counts only for
    // its own.
    let hold = NewHold {
        scope: values.scope.clone(),
        customer_id: non_empty(&values.customer_id).filter(|_| values.scope == "customer"),
        data_class: non_empty(&values.data_class).filter(|_| values.scope == "class"),
        reason: values.reason.clone(),
    };
    match holds::set_by(&state.app, &who, hold).await {
        Ok(_) => Ok(see_other("/app/settings/data?notice=hold_set")),
        Err(error) => page_with(&state, &who, None, Some(&error), values).await,
    }
}

pub async fn lift_hold(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let outcome = match uuid::Uuid::parse_str(&id) {
        Ok(id) => holds::lift_by(&state.app, &who, id, form.get("reason")).await.map(|_| "hold_lifted"),
        Err(_) => Err(AppError::NotFound),
    };
    answer(&state, &who, outcome).await
}

pub async fn cancel(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let outcome = if form.get("confirm") != "yes" {
        Err(AppError::invalid("confirm", "tick the box to confirm you want to cancel"))
    } else {
        lifecycle::cancel(&state.app, &who, Some(form.get("reason"))).await.map(|_| "cancelled")
    };
    answer(&state, &who, outcome).await
}

pub async fn reactivate(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    let outcome = lifecycle::reactivate(&state.app, &who).await.map(|_| "reactivated");
    answer(&state, &who, outcome).await
}
