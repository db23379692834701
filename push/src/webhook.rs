//! Webhook provider: a JSON POST to the URL in the target's token, optionally
//! signed with HMAC-SHA256 so the receiver can authenticate it.

use hmac::{Hmac, Mac};
use natter_protocol::http::PushTarget;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use sha2::Sha256;

use crate::config::WebhookConfig;
use crate::{JsonPayload, Provider, PushError, PushMessage, credentials, http_client};

/// The header carrying `sha256=<hex HMAC of the body>`.
pub(crate) const SIGNATURE_HEADER: &str = "X-Natter-Signature";

pub(crate) struct Webhook {
    client: reqwest::Client,
    secret: Option<Vec<u8>>,
    /// Non-public networks targets may reach ([`crate::targets`]).
    allowed: Vec<ipnet::IpNet>,
}

impl Webhook {
    pub(crate) fn new(
        config: &WebhookConfig,
        client: reqwest::Client,
        allowed: Vec<ipnet::IpNet>,
    ) -> Self {
        Webhook {
            client,
            secret: config.secret.as_ref().map(|s| s.as_bytes().to_vec()),
            allowed,
        }
    }
}

/// `sha256=<hex>` of HMAC-SHA256(secret, body).
pub(crate) fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", credentials::hex(&mac.finalize().into_bytes()))
}

#[async_trait::async_trait]
impl Provider for Webhook {
    async fn send(&self, target: &PushTarget, msg: &PushMessage) -> Result<(), PushError> {
        let url = http_client::target_url(&target.token, "webhook URL")?;
        crate::targets::check_literal(&url, &self.allowed)?;
        let body = JsonPayload::new(msg).to_vec();
        let mut req = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json");
        if let Some(secret) = &self.secret {
            req = req.header(SIGNATURE_HEADER, signature(secret, &body));
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(http_client::send_error)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        if status == StatusCode::GONE {
            return Err(PushError::Unregistered);
        }
        Err(http_client::status_error(
            status,
            &http_client::error_body(resp).await,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
