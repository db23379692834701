//! The web app: static files from `edge/web/` at `/`, the TypeScript SDK's built
//! package (`sdk/ts/dist/`, which the app imports) at `/sdk/`, and the SDK's
//! single-file examples (`sdk/ts/examples/`) at `/sdk/examples/`. All are compiled
//! into the binary (in debug builds read from the folders, so edits show without a
//! rebuild).

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rust_embed::{EmbeddedFile, RustEmbed};
use sha2::{Digest, Sha256};

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

/// The SDK's examples: each one HTML file with its script and style inline.
#[derive(RustEmbed)]
#[folder = "../sdk/ts/examples/"]
struct Examples;

/// Where the SDK's modules are served: the web app imports `/sdk/index.js`.
const SDK_PREFIX: &str = "sdk/";
/// Where the examples are served (beside the package they import).
const EXAMPLES_PREFIX: &str = "sdk/examples/";

/// Serves `GET /`, the app's files and the SDK's; anything else is the API's JSON 404.
pub(crate) async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if (method != Method::GET && method != Method::HEAD) || path.starts_with("v1/") {
        return not_found();
    }
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some(rest) = path.strip_prefix(EXAMPLES_PREFIX) {
        return match Examples::get(rest) {
            Some(file) => {
                let csp = if rest.ends_with(".html") {
                    inline_csp(&String::from_utf8_lossy(&file.data))
                } else {
                    CSP.to_string()
                };
                serve(path, file, &csp)
            }
            None => not_found(),
        };
    }
    let file = match path.strip_prefix(SDK_PREFIX) {
        Some(rest) if rest.ends_with(".js") => Sdk::get(rest),
        Some(_) => None,
        None => Assets::get(path),
    };
    match file {
        Some(file) => serve(path, file, CSP),
        None => not_found(),
    }
}

/// [`CSP`] for a single-file page: its own inline `<script>` and `<style>` elements
/// run, named by their SHA-256 (computed from the file served, so an edit cannot
/// leave a stale hash), and nothing else inline does.
fn inline_csp(html: &str) -> String {
    let scripts = inline_hashes(html, "script");
    let styles = inline_hashes(html, "style");
    CSP.replacen(
        "script-src 'self'",
        &format!("script-src 'self'{scripts}"),
        1,
    )
    .replacen("style-src 'self'", &format!("style-src 'self'{styles}"), 1)
}

/// ` 'sha256-…'` for the text of every `<tag …>…</tag>` element without a `src`.
fn inline_hashes(html: &str, tag: &str) -> String {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let element = &rest[start + open.len()..];
        let Some(attrs_end) = element.find('>') else {
            break;
        };
        let body = &element[attrs_end + 1..];
        let Some(body_end) = body.find(&close) else {
            break;
        };
        if !element[..attrs_end].contains("src=") {
            let digest = Sha256::digest(&body.as_bytes()[..body_end]);
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            out.push_str(&format!(" 'sha256-{b64}'"));
        }
        rest = &body[body_end + close.len()..];
    }
    out
}

fn serve(path: &str, file: EmbeddedFile, csp: &str) -> Response {
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
    if let Ok(csp) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
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

    #[test]
    fn a_single_file_page_may_run_exactly_its_own_inline_script_and_style() {
        let html = "<style>b{}</style><script type=\"module\">go()</script>\
                    <script src=\"/x.js\"></script><p>no <scriptless text</p>";
        let csp = inline_csp(html);
        let hash = |s: &str| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s));
            format!("'sha256-{b64}'")
        };
        assert!(
            csp.contains(&format!("script-src 'self' {};", hash("go()"))),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("style-src 'self' {};", hash("b{}"))),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        // Everything else is the app's policy.
        assert_eq!(
            csp.replace(&format!(" {}", hash("go()")), "")
                .replace(&format!(" {}", hash("b{}")), ""),
            CSP
        );
    }

    #[tokio::test]
    async fn the_chat_example_is_served_with_the_hashes_of_its_inline_script_and_style() {
        let r = get("/sdk/examples/chat.html").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()[header::CONTENT_TYPE]
                .to_str()
                .expect("ascii")
                .starts_with("text/html")
        );
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii")
            .to_string();
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        assert_eq!(
            get("/sdk/examples/nope.html").await.status(),
            StatusCode::NOT_FOUND
        );
    }
}
