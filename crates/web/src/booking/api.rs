//! Booking: locations, services, staff with hours, overrides and time off, availability,
//! appointments and calendar feeds.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth, JsonBody, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use steward_app::booking::appointments::{
    self, AppointmentChange, AppointmentView, BookingInput, BookingResult, ListRequest, StatusChange,
};
use steward_app::booking::availability::{self, AvailabilityRequest, AvailabilityView};
use steward_app::booking::feed::{self, FeedLink};
use steward_app::booking::setup::{
    self, LocationInput, LocationView, OverrideInput, ServiceInput, ServiceView, StaffInput, StaffView, TimeOffInput,
    TimeOffView, WeekInput,
};

type Created<T> = ApiResult<(StatusCode, Json<T>)>;

pub async fn locations(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<LocationView>>> {
    Ok(Json(setup::locations(&state.app, &who).await?))
}

pub async fn create_location(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<LocationInput>,
) -> Created<LocationView> {
    Ok((StatusCode::CREATED, Json(setup::create_location(&state.app, &who, &input).await?)))
}

pub async fn location(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<LocationView>> {
    Ok(Json(setup::location(&state.app, &who, parse_id("location_id", &id)?).await?))
}

pub async fn update_location(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<LocationInput>,
) -> ApiResult<Json<LocationView>> {
    Ok(Json(setup::update_location(&state.app, &who, parse_id("location_id", &id)?, &input).await?))
}

pub async fn delete_location(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    setup::delete_location(&state.app, &who, parse_id("location_id", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn services(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<ServiceView>>> {
    Ok(Json(setup::services(&state.app, &who).await?))
}

pub async fn create_service(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<ServiceInput>,
) -> Created<ServiceView> {
    Ok((StatusCode::CREATED, Json(setup::create_service(&state.app, &who, &input).await?)))
}

pub async fn service(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceView>> {
    Ok(Json(setup::service(&state.app, &who, parse_id("service_id", &id)?).await?))
}

pub async fn update_service(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ServiceInput>,
) -> ApiResult<Json<ServiceView>> {
    Ok(Json(setup::update_service(&state.app, &who, parse_id("service_id", &id)?, &input).await?))
}

pub async fn staff_list(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<StaffView>>> {
    Ok(Json(setup::staff_list(&state.app, &who).await?))
}

pub async fn create_staff(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<StaffInput>,
) -> Created<StaffView> {
    Ok((StatusCode::CREATED, Json(setup::create_staff(&state.app, &who, &input).await?)))
}

pub async fn staff(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<StaffView>> {
    Ok(Json(setup::staff(&state.app, &who, parse_id("staff_id", &id)?).await?))
}

pub async fn update_staff(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<StaffInput>,
) -> ApiResult<Json<StaffView>> {
    Ok(Json(setup::update_staff(&state.app, &who, parse_id("staff_id", &id)?, &input).await?))
}

pub async fn set_hours(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<WeekInput>,
) -> ApiResult<Json<StaffView>> {
    Ok(Json(setup::set_hours(&state.app, &who, parse_id("staff_id", &id)?, &input).await?))
}

pub async fn set_override(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<OverrideInput>,
) -> ApiResult<Json<StaffView>> {
    Ok(Json(setup::set_override(&state.app, &who, parse_id("staff_id", &id)?, &input).await?))
}

pub async fn time_off(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TimeOffView>>> {
    Ok(Json(setup::time_off(&state.app, &who, parse_id("staff_id", &id)?).await?))
}

pub async fn add_time_off(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<TimeOffInput>,
) -> Created<TimeOffView> {
    Ok((StatusCode::CREATED, Json(setup::add_time_off(&state.app, &who, parse_id("staff_id", &id)?, &input).await?)))
}

pub async fn remove_time_off(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path((id, time_off)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    setup::remove_time_off(&state.app, &who, parse_id("staff_id", &id)?, parse_id("time_off_id", &time_off)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_feed(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> Created<FeedLink> {
    Ok((StatusCode::CREATED, Json(feed::rotate(&state.app, &who, parse_id("staff_id", &id)?).await?)))
}

pub async fn revoke_feed(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    feed::revoke(&state.app, &who, parse_id("staff_id", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn availability(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<AvailabilityRequest>,
) -> ApiResult<Json<AvailabilityView>> {
    Ok(Json(availability::find(&state.app, &who, &query).await?))
}

pub async fn appointments(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<ListRequest>,
) -> ApiResult<Json<Vec<AppointmentView>>> {
    Ok(Json(appointments::list(&state.app, &who, &query).await?))
}

pub async fn book(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<BookingInput>,
) -> Created<BookingResult> {
    Ok((StatusCode::CREATED, Json(appointments::book(&state.app, &who, &input).await?)))
}

pub async fn appointment(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AppointmentView>> {
    Ok(Json(appointments::get(&state.app, &who, parse_id("appointment_id", &id)?).await?))
}

pub async fn change_appointment(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<AppointmentChange>,
) -> ApiResult<Json<AppointmentView>> {
    Ok(Json(appointments::change(&state.app, &who, parse_id("appointment_id", &id)?, &input).await?))
}

pub async fn set_status(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<StatusChange>,
) -> ApiResult<Json<AppointmentView>> {
    Ok(Json(appointments::set_status(&state.app, &who, parse_id("appointment_id", &id)?, &input).await?))
}

pub async fn customer_appointments(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AppointmentView>>> {
    Ok(Json(appointments::of_customer(&state.app, &who, parse_id("customer_id", &id)?).await?.0))
}
