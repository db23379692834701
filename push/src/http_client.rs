//! The HTTP plumbing the providers share: client construction, error mapping and
//! bounded reads of error bodies.

use std::time::Duration;

use reqwest::{Client, Response, StatusCode, Url, redirect};

use crate::PushError;

/// Most of an error body we read: provider errors are small JSON documents, and a
/// hostile webhook receiver must not make us buffer megabytes.
const MAX_ERROR_BODY: usize = 4096;
/// Most of an error body we keep in [`PushError`] details.
const MAX_DETAIL: usize = 200;

/// Builds a client with a whole-request timeout. `h2_only` makes it speak HTTP/2
/// from the first byte (h2c on plain `http://`, ALPN `h2` only over TLS).
pub(crate) fn client(timeout: Duration, h2_only: bool) -> Result<Client, PushError> {
    build(Client::builder(), timeout, h2_only)
}

/// A client for targets users choose (webhooks, Web Push endpoints): it connects
/// only to public addresses, or to `allowed` networks ([`crate::targets`]).
pub(crate) fn user_target_client(
    timeout: Duration,
    allowed: &[ipnet::IpNet],
) -> Result<Client, PushError> {
    let resolver = crate::targets::FilteringResolver::new(
        std::sync::Arc::new(crate::targets::SystemResolver),
        allowed,
    );
    build(
        Client::builder().dns_resolver(std::sync::Arc::new(resolver)),
        timeout,
        false,
    )
}

fn build(
    builder: reqwest::ClientBuilder,
    timeout: Duration,
    h2_only: bool,
) -> Result<Client, PushError> {
    let mut builder = builder
        .timeout(timeout)
        .connect_timeout(timeout)
        // A redirected push is a misconfigured endpoint, and following it would
        // re-send credentials and payload to wherever it points.
        .redirect(redirect::Policy::none())
        .user_agent(concat!("natter-push/", env!("CARGO_PKG_VERSION")));
    if h2_only {
        builder = builder.http2_prior_knowledge();
    }
    builder
        .build()
        .map_err(|e| PushError::Misconfigured(format!("HTTP client: {}", e.without_url())))
}

/// Maps a failure to get a response (connect, timeout, reset) to `Retryable`. The
/// URL is dropped: it may hold a device token or subscription id.
pub(crate) fn send_error(e: reqwest::Error) -> PushError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    PushError::Retryable(format!("{kind}: {}", e.without_url()))
}

/// Parses a target URL (webhook, Web Push endpoint); only http(s) is accepted.
pub(crate) fn target_url(raw: &str, what: &str) -> Result<Url, PushError> {
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(url),
        _ => Err(PushError::Misconfigured(format!(
            "{what} is not an http(s) URL"
        ))),
    }
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of a response body; a broken body reads
/// as empty, since the status already says what happened.
pub(crate) async fn error_body(mut resp: Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < MAX_ERROR_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            _ => break,
        }
    }
    buf.truncate(MAX_ERROR_BODY);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Shortens a provider's reason to something fit for an error message.
pub(crate) fn detail(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_DETAIL) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The mapping every provider starts from: 429 and 5xx (and 408) are transient,
/// other non-2xx statuses are refusals. Callers check their "gone" statuses first.
pub(crate) fn status_error(status: StatusCode, detail_text: &str) -> PushError {
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
    {
        PushError::Retryable(format!(
            "status {}: {}",
            status.as_u16(),
            detail(detail_text)
        ))
    } else {
        PushError::Rejected {
            status: status.as_u16(),
            detail: detail(detail_text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_is_bounded() {
        let long = "é".repeat(1000);
        assert_eq!(detail(&long).chars().count(), MAX_DETAIL + 1);
        assert_eq!(detail(" short "), "short");
    }

    #[test]
    fn statuses_map_to_retry_or_reject() {
        assert!(status_error(StatusCode::SERVICE_UNAVAILABLE, "").retryable());
        assert!(status_error(StatusCode::TOO_MANY_REQUESTS, "").retryable());
        assert!(matches!(
            status_error(StatusCode::BAD_REQUEST, "nope"),
            PushError::Rejected { status: 400, .. }
        ));
        assert!(matches!(
            status_error(StatusCode::MOVED_PERMANENTLY, ""),
            PushError::Rejected { status: 301, .. }
        ));
    }

    #[test]
    fn only_http_urls_are_targets() {
        assert!(target_url("https://example.com/hook", "webhook").is_ok());
        assert!(target_url("ftp://example.com/", "webhook").is_err());
        assert!(target_url("not a url", "webhook").is_err());
    }
}
