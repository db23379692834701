//! The web app: static files from `edge/web/`, compiled into the binary (in debug
//! builds read from the folder, so edits show without a rebuild).

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::http::HttpError;
use natter_protocol::error::{ApiError, ErrorCode};

/// Only the app's own files run; WebSockets may go to any edge discovery names
/// (HTTP calls stay on this origin); no inline script or style, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self' ws: wss:; worker-src 'self'; \
    manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Every file of the web app.
#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// Serves `GET /` and the app's files; anything else is the API's JSON 404.
pub(crate) async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if (method != Method::GET && method != Method::HEAD) || path.starts_with("v1/") {
        return not_found();
    }
    let path = if path.is_empty() { "index.html" } else { path };
    let Some(file) = Assets::get(path) else {
        return not_found();
    };
    let mut response = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    // The page and the service worker must be revalidated so a deploy reaches
    // clients; the rest is small and versioned with them.
    let cache = if path == "index.html" || path == "sw.js" {
        "no-cache"
    } else {
        "public, max-age=300"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

fn not_found() -> Response {
    HttpError(ApiError::new(ErrorCode::NotFound, "no such route")).into_response()
}
