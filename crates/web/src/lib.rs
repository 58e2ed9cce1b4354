//! Steward's web server: the JSON API under `/api/v1` (described by the OpenAPI document
//! generated from the route table) and the pages rendered on the server.
//!
//! Every route is declared once in [`routes`], with the access it needs; the router, the
//! permission checks and the OpenAPI document are all built from that one table, so a
//! route cannot exist without a declared permission.

pub mod api;
pub mod assets;
pub mod error;
pub mod extract;
pub mod guard;
pub mod health;
pub mod hooks;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod security;
pub mod ui;

use std::sync::Arc;
use steward_app::App;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self { body_limit_bytes: 64 * 1024 }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebSettings>,
}

/// The whole application as one axum router.
pub fn router(app: App, web: WebSettings) -> axum::Router {
    let limit = web.body_limit_bytes;
    let state = AppState { app, web: Arc::new(web) };
    routes::build_router(state, limit)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
