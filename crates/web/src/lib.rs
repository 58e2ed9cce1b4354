//! Steward's web server: the JSON API under `/api/v1` (described by the OpenAPI document
//! generated from the route table) and the pages rendered on the server.
//!
//! One folder per capability (`customers/`, `booking/`, ...) holds that capability's
//! routes (its `mod.rs`), API handlers, page handlers and the templates they render. The
//! frame around them: [`routes`] (how a route is declared, and the list of all of them),
//! [`guard`] (sessions, tokens, CSRF, permissions), [`pages`] (the page layout and the
//! error page), [`error`] (service errors to HTTP, once), [`openapi`] and [`server`].
//!
//! Every route is declared once, with the access it needs; the router, the permission
//! checks, the OpenAPI document and the menu are all built from that one list, so a route
//! cannot exist without a declared permission.

pub mod access;
pub mod audit;
pub mod booking;
pub mod client_address;
pub mod customers;
pub mod error;
pub mod extract;
pub mod guard;
pub mod messaging;
pub mod openapi;
pub mod operations;
pub mod pages;
pub mod privacy;
pub mod reports;
pub mod retention;
pub mod routes;
pub mod security;
pub mod server;
pub mod settings;
pub mod tenancy;
pub mod usage;

pub use operations::metrics;

use std::sync::Arc;
use steward_app::App;

pub use server::{ServerSettings, serve};

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Proxies whose `X-Forwarded-For` or `Forwarded` header names the client.
    pub trusted_proxies: client_address::TrustedProxies,
    /// A bearer token that opens `/metrics` from anywhere.
    pub metrics_token: Option<metrics::MetricsToken>,
    /// `/metrics` has a listener of its own, so the main one does not answer it to the
    /// machine itself any more.
    pub metrics_elsewhere: bool,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            body_limit_bytes: 64 * 1024,
            trusted_proxies: client_address::TrustedProxies::default(),
            metrics_token: None,
            metrics_elsewhere: false,
        }
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
