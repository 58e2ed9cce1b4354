//! Static files compiled into the binary: Steward's stylesheet and scripts, and htmx
//! (2.0.11, Zero-Clause BSD, see assets/htmx-LICENSE.txt). Nothing is loaded from
//! another site (EGR-2).
//!
//! Each is also kept gzipped (compressed once, at first use) and sent so to a browser
//! that accepts it: htmx is a third of its size that way. Pages are not compressed: they
//! carry a form's secret token beside what a visitor typed, which compression would let
//! an observer of sizes guess (BREACH).

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::sync::LazyLock;

const FILES: &[(&str, &str, &[u8])] = &[
    ("steward.css", "text/css; charset=utf-8", include_bytes!("../../assets/steward.css")),
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/htmx-2.0.11.min.js")),
    ("api-docs.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/api-docs.js")),
    ("calendar.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/calendar.js")),
];

/// Each file gzipped, in the order of [`FILES`]; `None` if it could not be compressed
/// (then it is sent as it is).
static GZIPPED: LazyLock<Vec<Option<Vec<u8>>>> =
    LazyLock::new(|| FILES.iter().map(|(_, _, body)| gzip(body)).collect());

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// Whether the request's `Accept-Encoding` takes gzip (and does not refuse it with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().unwrap_or(1.0) == 0.0));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        },
    )
}

pub async fn asset(headers: HeaderMap, Path(name): Path<String>) -> Response {
    let Some(index) = FILES.iter().position(|(file, _, _)| *file == name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let (_, content_type, body) = FILES[index];
    let cache = (header::CACHE_CONTROL, "public, max-age=3600");
    let vary = (header::VARY, "accept-encoding");
    match GZIPPED.get(index).and_then(Option::as_ref).filter(|_| accepts_gzip(&headers)) {
        Some(gzipped) => {
            ([(header::CONTENT_TYPE, content_type), cache, vary, (header::CONTENT_ENCODING, "gzip")], gzipped.clone())
                .into_response()
        }
        None => ([(header::CONTENT_TYPE, content_type), cache, vary], body).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn files_are_sent_gzipped_only_to_browsers_that_take_it_and_unzip_to_themselves() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
            accepts_gzip(&headers)
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(with("*"));
        assert!(!with("gzip;q=0, br"));
        assert!(!with("br, zstd"));
        assert!(!accepts_gzip(&HeaderMap::new()));
        for ((name, _, body), gzipped) in FILES.iter().zip(GZIPPED.iter()) {
            let gzipped = gzipped.as_ref().unwrap_or_else(|| panic!("{name} compresses"));
            let mut unzipped = Vec::new();
            flate2::read::GzDecoder::new(gzipped.as_slice()).read_to_end(&mut unzipped).unwrap();
            assert_eq!(&unzipped, body, "{name}");
            assert!(gzipped.len() < body.len() / 2, "{name}: {} of {} bytes", gzipped.len(), body.len());
        }
    }
}
