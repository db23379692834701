//! Ids that tie log lines to one HTTP request or one WebSocket connection.
//!
//! Every request runs in a `request` span carrying its id (the caller's
//! `X-Request-Id` when it is a sane token, else a fresh one) and its method and path
//! (never the query: WebSocket tokens may ride in it); the id is echoed in the
//! response's `X-Request-Id`. A socket's task runs in a `conn` span inside its
//! upgrade request's, with the user and device. Bodies, message text and tokens are
//! never logged.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Header carrying a request's id, both ways.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Runs the request in its `request` span and echoes its id.
pub(crate) async fn with_request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map(str::to_string)
        .unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path()
    );
    let mut resp = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// A caller's id is kept only if it cannot forge log structure: 1–64 of
/// `A-Z a-z 0-9 - _ .`.
fn is_sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_caller_ids_are_kept() {
        assert!(is_sane("req-42_a.b"));
        assert!(!is_sane(""));
        assert!(!is_sane("a b"));
        assert!(!is_sane("x\n{\"level\":\"ERROR\"}"));
        assert!(!is_sane(&"a".repeat(65)));
    }
}
