//! The web app: static files from `edge/web/` at `/`, and the TypeScript SDK's built
//! package (`sdk/ts/dist/`, which the app imports) at `/sdk/`. Both are compiled into
//! the binary (in debug builds read from the folders, so edits show without a rebuild).

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::{EmbeddedFile, RustEmbed};

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

/// The SDK's built package. Only its ES modules are served: the `.d.ts` files beside
/// them are for compilers (embedded all the same: rust-embed's filters need `globset`).
#[derive(RustEmbed)]
#[folder = "../sdk/ts/dist/"]
struct Sdk;

/// Where the SDK's modules are served: the web app imports `/sdk/index.js`.
const SDK_PREFIX: &str = "sdk/";

/// Serves `GET /`, the app's files and the SDK's; anything else is the API's JSON 404.
pub(crate) async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if (method != Method::GET && method != Method::HEAD) || path.starts_with("v1/") {
        return not_found();
    }
    let path = if path.is_empty() { "index.html" } else { path };
    let file = match path.strip_prefix(SDK_PREFIX) {
        Some(rest) if rest.ends_with(".js") => Sdk::get(rest),
        Some(_) => None,
        None => Assets::get(path),
    };
    match file {
        Some(file) => serve(path, file),
        None => not_found(),
    }
}

fn serve(path: &str, file: EmbeddedFile) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(path: &str) -> Response {
        fallback(Method::GET, path.parse().expect("uri")).await
    }

    #[tokio::test]
    async fn the_sdk_is_served_as_es_modules_next_to_the_app() {
        for path in [
            "/sdk/index.js",
            "/sdk/client.js",
            "/sdk/generated/openapi.js",
        ] {
            let r = get(path).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let ty = r.headers()[header::CONTENT_TYPE].to_str().expect("ascii");
            // Browsers refuse a module script of any other type under nosniff.
            assert!(ty.contains("javascript"), "{path}: {ty}");
            assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        }
        let outside = "/sdk/../../../edge/web/js/main.js"; // a real file, outside the folder
        for path in ["/sdk/index.d.ts", "/sdk/", "/sdk/nope.js", outside] {
            assert_eq!(get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(get("/").await.status(), StatusCode::OK);
    }
}
