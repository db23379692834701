//! Provider configuration. Every endpoint is configurable so tests (and bridges)
//! can point a provider at a local server.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use crate::PushError;

/// Push configuration: one section per provider; a missing section turns that
/// provider off (its targets then fail with [`PushError::Misconfigured`]).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// The webhook provider, always on (it needs no credentials).
    pub webhook: WebhookConfig,
    /// Firebase Cloud Messaging (HTTP v1).
    pub fcm: Option<FcmConfig>,
    /// Apple Push Notification service.
    pub apns: Option<ApnsConfig>,
    /// Web Push with VAPID.
    pub webpush: Option<VapidConfig>,
    /// Whole-request timeout (connect, send, response) for every provider, so a
    /// stuck provider cannot hold a sender forever. Default 10 000 ms.
    pub timeout_ms: u64,
    /// Networks (CIDR blocks, `10.0.0.0/8`) that webhook and Web Push targets may
    /// reach although they are not public: for operators whose hooks are internal.
    /// Users choose those targets, so by default only public addresses are
    /// reachable (not loopback, private, link-local, …). Default: none.
    pub allowed_networks: Vec<String>,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            webhook: WebhookConfig::default(),
            fcm: None,
            apns: None,
            webpush: None,
            timeout_ms: 10_000,
            allowed_networks: Vec::new(),
        }
    }
}

impl fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushConfig")
            .field("webhook", &self.webhook)
            .field("fcm", &self.fcm)
            .field("apns", &self.apns)
            .field("webpush", &self.webpush)
            .field("timeout_ms", &self.timeout_ms)
            .field("allowed_networks", &self.allowed_networks)
            .finish()
    }
}

impl PushConfig {
    /// [`Self::allowed_networks`], parsed.
    ///
    /// # Errors
    /// One is not a CIDR block.
    pub(crate) fn networks(&self) -> Result<Vec<ipnet::IpNet>, PushError> {
        self.allowed_networks
            .iter()
            .map(|n| {
                n.parse().map_err(|_| {
                    PushError::Misconfigured(format!("allowed_networks: {n:?} is not a CIDR block"))
                })
            })
            .collect()
    }

    /// Checks what can be checked without reading files or the network.
    ///
    /// # Errors
    /// [`PushError::Misconfigured`] naming the first bad field.
    pub fn validate(&self) -> Result<(), PushError> {
        let bad = |what: &str| Err(PushError::Misconfigured(what.to_string()));
        if self.timeout_ms == 0 || self.webhook.timeout_ms == Some(0) {
            return bad("timeout_ms must be positive");
        }
        if let Some(fcm) = &self.fcm {
            let credentials = [
                fcm.service_account_file.is_some(),
                fcm.service_account_json.is_some(),
                fcm.access_token.is_some(),
            ];
            if credentials.iter().filter(|set| **set).count() != 1 {
                return bad(
                    "fcm needs exactly one of service_account_file, service_account_json, access_token",
                );
            }
            if fcm.access_token.is_some() && fcm.project_id.is_empty() {
                return bad("fcm.project_id is required with a static access_token");
            }
        }
        if let Some(apns) = &self.apns {
            if apns.team_id.is_empty() || apns.key_id.is_empty() || apns.topic.is_empty() {
                return bad("apns needs team_id, key_id and topic");
            }
            if apns.private_key.is_some() == apns.private_key_path.is_some() {
                return bad("apns needs exactly one of private_key, private_key_path");
            }
        }
        self.networks()?;
        if let Some(vapid) = &self.webpush {
            // RFC 8292 section 2.1: the push service may use the subject to contact us.
            if !(vapid.subject.starts_with("mailto:") || vapid.subject.starts_with("https://")) {
                return bad("webpush.subject must be a mailto: or https: URI");
            }
            if vapid.private_key.is_empty() {
                return bad("webpush.private_key is required");
            }
        }
        Ok(())
    }
}

/// The webhook provider: a JSON POST to the URL in the target's token.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Overrides [`PushConfig::timeout_ms`] for webhooks, whose receivers are often
    /// slower (or faster) than the big providers. Default: none.
    pub timeout_ms: Option<u64>,
    /// When set, each request carries `X-Natter-Signature: sha256=<hex>`, an
    /// HMAC-SHA256 of the body, so receivers can tell our requests from forgeries.
    /// Default: none.
    pub secret: Option<String>,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("timeout_ms", &self.timeout_ms)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Firebase Cloud Messaging, HTTP v1 API.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FcmConfig {
    /// API base URL. Default `https://fcm.googleapis.com`.
    pub endpoint: String,
    /// Firebase project id; empty takes the service account's `project_id`.
    /// Default empty.
    pub project_id: String,
    /// Path of a Google service-account JSON key file (OAuth2 JWT-bearer flow).
    /// Default: none.
    pub service_account_file: Option<PathBuf>,
    /// The same service-account JSON, inline (e.g. from a secret store). Default: none.
    pub service_account_json: Option<String>,
    /// Overrides the service account's `token_uri` (tests, proxies). Default: none.
    pub token_uri: Option<String>,
    /// A fixed OAuth2 access token instead of a service account (tests, bridges
    /// that mint tokens elsewhere). Default: none.
    pub access_token: Option<String>,
}

impl Default for FcmConfig {
    fn default() -> Self {
        FcmConfig {
            endpoint: "https://fcm.googleapis.com".into(),
            project_id: String::new(),
            service_account_file: None,
            service_account_json: None,
            token_uri: None,
            access_token: None,
        }
    }
}

impl fmt::Debug for FcmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FcmConfig")
            .field("endpoint", &self.endpoint)
            .field("project_id", &self.project_id)
            .field("service_account_file", &self.service_account_file)
            .field(
                "service_account_json",
                &self.service_account_json.as_ref().map(|_| "<redacted>"),
            )
            .field("token_uri", &self.token_uri)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Apple Push Notification service, token-based (.p8 key) authentication.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApnsConfig {
    /// API base URL. Default `https://api.push.apple.com` (the sandbox is
    /// `https://api.sandbox.push.apple.com`).
    pub endpoint: String,
    /// The Apple developer team id: the provider token's `iss`. Default empty (required).
    pub team_id: String,
    /// The .p8 key's id: the provider token's `kid`. Default empty (required).
    pub key_id: String,
    /// The .p8 ES256 private key, PEM, inline. Default: none.
    pub private_key: Option<String>,
    /// Path of the .p8 ES256 private key file (PEM). Default: none.
    pub private_key_path: Option<PathBuf>,
    /// The app's bundle id, sent as `apns-topic`. Default empty (required).
    pub topic: String,
    /// How long APNs keeps trying an offline device (`apns-expiration` = now +
    /// this); a chat notification older than that is noise. Default 86 400 s.
    pub expiration_secs: u64,
    /// Speak HTTP/2 without TLS negotiation (h2c), for tests against a local server.
    /// With TLS (production) ALPN negotiates HTTP/2 anyway. Default false.
    pub http2_prior_knowledge: bool,
}

impl Default for ApnsConfig {
    fn default() -> Self {
        ApnsConfig {
            endpoint: "https://api.push.apple.com".into(),
            team_id: String::new(),
            key_id: String::new(),
            private_key: None,
            private_key_path: None,
            topic: String::new(),
            expiration_secs: 86_400,
            http2_prior_knowledge: false,
        }
    }
}

impl fmt::Debug for ApnsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApnsConfig")
            .field("endpoint", &self.endpoint)
            .field("team_id", &self.team_id)
            .field("key_id", &self.key_id)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("private_key_path", &self.private_key_path)
            .field("topic", &self.topic)
            .field("expiration_secs", &self.expiration_secs)
            .field("http2_prior_knowledge", &self.http2_prior_knowledge)
            .finish()
    }
}

/// Web Push application server identity (VAPID, RFC 8292).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VapidConfig {
    /// The P-256 private key: base64url of the raw 32-byte scalar (what most VAPID
    /// key generators print), or PEM (PKCS#8 or SEC1). Default empty (required).
    pub private_key: String,
    /// Contact for the push service: `mailto:…` or an `https://` URL. Default empty
    /// (required).
    pub subject: String,
    /// How long the push service keeps an undelivered message (`TTL` header).
    /// Default 86 400 s.
    pub ttl_secs: u64,
}

impl VapidConfig {
    /// A fresh VAPID private key: base64url of a random P-256 scalar.
    pub fn generate_private_key() -> String {
        crate::credentials::b64url(&crate::webpush::random_secret().to_bytes())
    }

    /// The application server key browsers need (`applicationServerKey`):
    /// base64url of the uncompressed public point of `private_key`.
    ///
    /// # Errors
    /// `private_key` is not a P-256 private key (the message names no key material).
    pub fn public_key(&self) -> Result<String, String> {
        let key = crate::credentials::Es256Key::parse(&self.private_key, true)?;
        Ok(crate::credentials::b64url(&key.public_uncompressed()))
    }
}

impl Default for VapidConfig {
    fn default() -> Self {
        VapidConfig {
            private_key: String::new(),
            subject: String::new(),
            ttl_secs: 86_400,
        }
    }
}

impl fmt::Debug for VapidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidConfig")
            .field("private_key", &"<redacted>")
            .field("subject", &self.subject)
            .field("ttl_secs", &self.ttl_secs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_missing_fields() {
        let c: PushConfig = serde_json::from_str(
            r#"{"fcm":{"access_token":"t","project_id":"p"},"apns":{"team_id":"T","key_id":"K","private_key":"pem","topic":"app"}}"#,
        )
        .unwrap();
        assert_eq!(c.timeout_ms, 10_000);
        let fcm = c.fcm.as_ref().unwrap();
        assert_eq!(fcm.endpoint, "https://fcm.googleapis.com");
        let apns = c.apns.as_ref().unwrap();
        assert_eq!(apns.endpoint, "https://api.push.apple.com");
        assert_eq!(apns.expiration_secs, 86_400);
        assert!(!apns.http2_prior_knowledge);
        assert!(c.webpush.is_none());
        c.validate().unwrap();
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = PushConfig {
            webhook: WebhookConfig {
                timeout_ms: None,
                secret: Some("hunter2".into()),
            },
            fcm: Some(FcmConfig {
                access_token: Some("ya29.secret".into()),
                ..Default::default()
            }),
            apns: Some(ApnsConfig {
                private_key: Some("PEMSECRET".into()),
                ..Default::default()
            }),
            webpush: Some(VapidConfig {
                private_key: "VAPIDSECRET".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let printed = format!("{c:?}");
        for secret in ["hunter2", "ya29.secret", "PEMSECRET", "VAPIDSECRET"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn validate_rejects_ambiguous_fcm_credentials() {
        let c = PushConfig {
            fcm: Some(FcmConfig {
                project_id: "p".into(),
                access_token: Some("t".into()),
                service_account_json: Some("{}".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(matches!(c.validate(), Err(PushError::Misconfigured(_))));
    }
}
