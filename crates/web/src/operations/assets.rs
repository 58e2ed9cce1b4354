//! Static files compiled into the binary: Steward's stylesheet and scripts, and htmx
//! (2.0.11, Zero-Clause BSD, see assets/htmx-LICENSE.txt). Nothing is loaded from
//! another site (EGR-2).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    ("steward.css", "text/css; charset=utf-8", include_bytes!("../../assets/steward.css")),
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/htmx-2.0.11.min.js")),
    ("api-docs.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/api-docs.js")),
    ("calendar.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/calendar.js")),
];

pub async fn asset(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")], *body)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
