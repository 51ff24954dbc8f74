//! The dashboard's static files, compiled into the binary: htmx 2.0.4
//! (0BSD, its licence beside it in `static/`), the dashboard's own script
//! and stylesheet. Served under `/ui/static/` with their content types and
//! an hour of caching; an unknown name is 404.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A file: its name, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// The file `static/<name>`, compiled in, served as `content_type`.
macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset { name: $name, content_type: $content_type, bytes: include_bytes!(concat!("static/", $name)) }
    };
}

const ASSETS: [Asset; 4] = [
    asset!("htmx.min.js", "text/javascript; charset=utf-8"),
    asset!("htmx.LICENSE", "text/plain; charset=utf-8"),
    asset!("dashboard.js", "text/javascript; charset=utf-8"),
    asset!("dashboard.css", "text/css; charset=utf-8"),
];

/// `GET /ui/static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(asset) => {
            ([(header::CONTENT_TYPE, asset.content_type), (header::CACHE_CONTROL, "public, max-age=3600")], asset.bytes)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
