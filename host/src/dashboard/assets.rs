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

const ASSETS: [Asset; 4] = [
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("static/htmx.min.js"),
    },
    Asset {
        name: "htmx.LICENSE",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("static/htmx.LICENSE"),
    },
    Asset {
        name: "dashboard.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("static/dashboard.js"),
    },
    Asset {
        name: "dashboard.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("static/dashboard.css"),
    },
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
