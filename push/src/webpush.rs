//! Web Push: an RFC 8030 POST to the browser's subscription endpoint, the body
//! encrypted per RFC 8291 and the request signed with VAPID (RFC 8292).

use jsonwebtoken::{Algorithm, Header};
use natter_protocol::http::PushTarget;
use p256::SecretKey;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::VapidConfig;
use crate::credentials::{self, Es256Key};
use crate::{JsonPayload, Provider, PushError, PushMessage, ece, http_client};

/// VAPID tokens may live up to 24 hours (RFC 8292 section 2); 12 leaves room for
/// clock skew between us and the push service.
const VAPID_LIFETIME_SECS: u64 = 12 * 3600;
/// RFC 8030 section 5.4: a Topic is at most 32 characters of base64url.
const MAX_TOPIC: usize = 32;

pub(crate) struct WebPush {
    client: reqwest::Client,
    key: Es256Key,
    /// The VAPID public key as `k=` carries it, computed once.
    public_b64: String,
    subject: String,
    ttl_secs: u64,
    /// Non-public networks endpoints may reach ([`crate::targets`]).
    allowed: Vec<ipnet::IpNet>,
}

#[derive(Serialize)]
struct VapidClaims<'a> {
    aud: &'a str,
    exp: u64,
    sub: &'a str,
}

/// The `Topic` header for a collapse key: the key itself when it is already a
/// valid topic, else a stable digest of it, so collapsing still works.
pub(crate) fn topic(collapse_key: &str) -> String {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if !collapse_key.is_empty()
        && collapse_key.len() <= MAX_TOPIC
        && collapse_key.chars().all(valid)
    {
        return collapse_key.to_string();
    }
    let mut digest = credentials::b64url(&Sha256::digest(collapse_key.as_bytes()));
    digest.truncate(MAX_TOPIC);
    digest
}

/// A fresh P-256 key. `rand`'s thread RNG is a CSPRNG seeded from the OS; a
/// random 32-byte string is out of the curve's range with odds of about 2^-32.
pub(crate) fn random_secret() -> SecretKey {
    loop {
        if let Ok(key) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            return key;
        }
    }
}

impl WebPush {
    pub(crate) fn new(
        config: &VapidConfig,
        client: reqwest::Client,
        allowed: Vec<ipnet::IpNet>,
    ) -> Result<Self, PushError> {
        let key = Es256Key::parse(&config.private_key, true)
            .map_err(|e| PushError::Misconfigured(format!("webpush: VAPID private key: {e}")))?;
        Ok(WebPush {
            client,
            public_b64: credentials::b64url(&key.public_uncompressed()),
            key,
            subject: config.subject.clone(),
            ttl_secs: config.ttl_secs,
            allowed,
        })
    }

    /// `vapid t=<JWT>, k=<public key>` for the push service at `audience`.
    fn authorization(&self, audience: &str) -> Result<String, PushError> {
        let claims = VapidClaims {
            aud: audience,
            exp: credentials::unix_now() + VAPID_LIFETIME_SECS,
            sub: &self.subject,
        };
        let jwt = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.key.jwt)
            .map_err(|e| PushError::Misconfigured(format!("webpush: signing VAPID token: {e}")))?;
        Ok(format!("vapid t={jwt}, k={}", self.public_b64))
    }
}

#[async_trait::async_trait]
impl Provider for WebPush {
    async fn send(&self, target: &PushTarget, msg: &PushMessage) -> Result<(), PushError> {
        let url = http_client::target_url(&target.token, "Web Push endpoint")?;
        crate::targets::check_literal(&url, &self.allowed)?;
        let p256dh = target
            .p256dh
            .as_deref()
            .and_then(credentials::decode_b64)
            .ok_or_else(|| {
                PushError::Misconfigured("Web Push target without a valid p256dh".into())
            })?;
        let auth = target
            .auth
            .as_deref()
            .and_then(credentials::decode_b64)
            .filter(|a| a.len() == 16)
            .ok_or_else(|| {
                PushError::Misconfigured("Web Push target without a 16-byte auth secret".into())
            })?;
        let plaintext = JsonPayload::new(msg).to_vec();
        if plaintext.len() > ece::MAX_PLAINTEXT {
            // What the push service would answer; the caller truncates previews,
            // so only an absurd title gets here.
            return Err(PushError::Rejected {
                status: 413,
                detail: "payload too large for Web Push".into(),
            });
        }
        let body = ece::encrypt(
            &plaintext,
            &p256dh,
            &auth,
            &random_secret(),
            &rand::random(),
        )
        .map_err(|e| PushError::Misconfigured(format!("Web Push target: {e}")))?;
        // RFC 8292 section 2: the audience is the push resource's origin.
        let authorization = self.authorization(&url.origin().ascii_serialization())?;
        let mut req = self
            .client
            .post(url)
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_ENCODING, "aes128gcm")
            .header(CONTENT_TYPE, "application/octet-stream")
            .header("TTL", self.ttl_secs.to_string())
            .header("Urgency", "high");
        if !msg.collapse_key.is_empty() {
            req = req.header("Topic", topic(&msg.collapse_key));
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
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
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
    fn topics_are_short_base64url() {
        assert_eq!(topic("ch-42"), "ch-42");
        for key in ["ch 42", &"x".repeat(33), "grüße"] {
            let t = topic(key);
            assert_eq!(t.len(), 32, "{key:?}");
            assert!(
                t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
            assert_eq!(t, topic(key), "stable");
        }
    }
}
