//! What the people running Steward need: liveness and readiness, Prometheus metrics, and
//! the stylesheet and scripts the pages load.

pub mod assets;
pub mod health;
pub mod metrics;

use crate::routes::{Route, get};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/healthz", health::healthz).public().about("The process is up"),
        get("/readyz", health::readyz).public().about("The process and its database are up"),
        get("/metrics", metrics::endpoint)
            .public()
            .about("Prometheus metrics, to the token holder or the machine itself"),
        get("/assets/{name}", assets::asset).public().about("Stylesheet and scripts"),
    ]
}
