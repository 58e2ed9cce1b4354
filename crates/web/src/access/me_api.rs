//! `GET /api/v1/me`: who the token belongs to.

use crate::extract::Auth;
use axum::Json;
use steward_app::access::principal::MeView;

pub async fn me(Auth(who): Auth) -> Json<MeView> {
    Json(MeView::from(&who))
}
