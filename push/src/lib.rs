//! Push notification providers behind one trait.
//!
//! Natter notifies offline devices through four providers, each speaking its real
//! wire format: a JSON [webhook](PushPlatform::Webhook) (bridges, tests), Firebase
//! Cloud Messaging's HTTP v1 API with OAuth2 service-account tokens, Apple's APNs
//! over HTTP/2 with ES256 provider tokens, and Web Push (RFC 8030) with RFC 8291
//! message encryption and VAPID (RFC 8292).
//!
//! # Main types
//! - [`PushMessage`]: what a notification says (title, preview, channel, seq,
//!   collapse key).
//! - [`Provider`]: the trait every provider implements: `send(target, message)`.
//! - [`Providers`]: all configured providers, built from a [`PushConfig`];
//!   dispatches on [`PushTarget::platform`].
//! - [`PushError`]: what went wrong, and whether to retry ([`PushError::retryable`])
//!   or drop the registration ([`PushError::Unregistered`]).
//!
//! # Use
//! ```no_run
//! # async fn demo(target: natter_protocol::http::PushTarget) -> Result<(), natter_push::PushError> {
//! use natter_push::{Providers, PushConfig, PushError, PushMessage};
//! let providers = Providers::new(&PushConfig::default())?;
//! let msg = PushMessage {
//!     title: "Ada".into(),
//!     body: "see you at 6".into(),
//!     channel_id: 42,
//!     seq: 7,
//!     collapse_key: "ch-42".into(),
//! };
//! match providers.send(&target, &msg).await {
//!     Ok(()) => {}
//!     Err(PushError::Unregistered) => { /* delete the registration */ }
//!     Err(e) if e.retryable() => { /* retry with backoff */ }
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! Logs carry platform, status codes and error kinds only: never tokens, endpoint
//! URLs, keys or message text.

#![deny(missing_docs)]

mod apns;
mod config;
mod credentials;
mod ece;
mod fcm;
mod http_client;
mod targets;
mod webhook;
mod webpush;
pub mod worker;

#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;
use std::time::Duration;

use natter_protocol::http::{PushPlatform, PushTarget};
use serde::Serialize;

pub use config::{ApnsConfig, FcmConfig, PushConfig, VapidConfig, WebhookConfig};

/// What a push says.
#[derive(Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// Sender display name (or group name and sender).
    pub title: String,
    /// Text preview, already truncated by the caller.
    pub body: String,
    /// The channel the message is in.
    pub channel_id: u64,
    /// The message's seq in that channel.
    pub seq: u64,
    /// Replaces an earlier, still undelivered notification with the same key
    /// (e.g. `ch-<channel_id>`), where the provider supports collapsing.
    pub collapse_key: String,
}

/// Prints no message text: `Debug` output ends up in logs.
impl fmt::Debug for PushMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushMessage")
            .field("title_len", &self.title.len())
            .field("body_len", &self.body.len())
            .field("channel_id", &self.channel_id)
            .field("seq", &self.seq)
            .field("collapse_key", &self.collapse_key)
            .finish()
    }
}

/// The JSON that a webhook receives, and the plaintext of a Web Push message.
#[derive(Serialize)]
pub(crate) struct JsonPayload<'a> {
    title: &'a str,
    body: &'a str,
    /// A decimal string: JavaScript receivers lose precision on u64 numbers.
    channel: String,
    seq: u64,
    collapse_key: &'a str,
}

impl<'a> JsonPayload<'a> {
    pub(crate) fn new(msg: &'a PushMessage) -> Self {
        JsonPayload {
            title: &msg.title,
            body: &msg.body,
            channel: msg.channel_id.to_string(),
            seq: msg.seq,
            collapse_key: &msg.collapse_key,
        }
    }

    pub(crate) fn to_vec(&self) -> Vec<u8> {
        // Serializing strings and integers into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Why a push was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The provider says the token or subscription is gone: delete the registration.
    #[error("push token is no longer registered")]
    Unregistered,
    /// The provider refused the request (a 4xx other than "gone"): do not retry.
    #[error("push rejected with status {status}: {detail}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The provider's reason (error code or short body), never the token.
        detail: String,
    },
    /// A transient failure (5xx, 429, timeout, connection error): retry with backoff.
    #[error("push failed, retry later: {0}")]
    Retryable(String),
    /// The provider is not configured, or the target is malformed.
    #[error("push misconfigured: {0}")]
    Misconfigured(String),
}

impl PushError {
    /// Whether the same push may succeed if sent again later.
    pub fn retryable(&self) -> bool {
        matches!(self, PushError::Retryable(_))
    }
}

/// A push notification provider.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Sends `msg` to the device or subscription that `target` names.
    ///
    /// # Errors
    /// See [`PushError`]: `Unregistered` means the caller should delete the target.
    async fn send(&self, target: &PushTarget, msg: &PushMessage) -> Result<(), PushError>;
}

/// All providers; dispatches on the target's platform.
pub struct Providers {
    webhook: webhook::Webhook,
    fcm: Option<fcm::Fcm>,
    apns: Option<apns::Apns>,
    webpush: Option<webpush::WebPush>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers")
            .field("fcm", &self.fcm.is_some())
            .field("apns", &self.apns.is_some())
            .field("webpush", &self.webpush.is_some())
            .finish_non_exhaustive()
    }
}

impl Providers {
    /// Builds every configured provider: loads keys, reads credential files, and
    /// creates the HTTP clients.
    ///
    /// # Errors
    /// [`PushError::Misconfigured`] when a key, credential file or endpoint is
    /// unusable.
    pub fn new(config: &PushConfig) -> Result<Self, PushError> {
        config.validate()?;
        // reqwest is built without a bundled crypto provider (no aws-lc-rs, no
        // OpenSSL); rustls needs one installed before the first client is built.
        // An error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let timeout = Duration::from_millis(config.timeout_ms);
        let client = http_client::client(timeout, false)?;
        // Webhook URLs and Web Push endpoints are chosen by users: their clients
        // reach public addresses only (or the operator's allowed networks).
        let allowed = config.networks()?;
        let user_targets = http_client::user_target_client(timeout, &allowed)?;
        let webhook_client = match config.webhook.timeout_ms {
            Some(ms) if ms != config.timeout_ms => {
                http_client::user_target_client(Duration::from_millis(ms), &allowed)?
            }
            _ => user_targets.clone(),
        };
        Ok(Providers {
            webhook: webhook::Webhook::new(&config.webhook, webhook_client, allowed.clone()),
            fcm: config
                .fcm
                .as_ref()
                .map(|c| fcm::Fcm::new(c, client.clone()))
                .transpose()?,
            apns: config
                .apns
                .as_ref()
                .map(|c| {
                    let client = http_client::client(timeout, c.http2_prior_knowledge)?;
                    apns::Apns::new(c, client)
                })
                .transpose()?,
            webpush: config
                .webpush
                .as_ref()
                .map(|c| webpush::WebPush::new(c, user_targets.clone(), allowed.clone()))
                .transpose()?,
        })
    }

    /// Sends `msg` through the provider for `target.platform`.
    ///
    /// # Errors
    /// [`PushError::Misconfigured`] when that provider is not configured; otherwise
    /// the provider's error.
    pub async fn send(&self, target: &PushTarget, msg: &PushMessage) -> Result<(), PushError> {
        let result = match target.platform {
            PushPlatform::Webhook => self.webhook.send(target, msg).await,
            PushPlatform::Fcm => match &self.fcm {
                Some(p) => p.send(target, msg).await,
                None => Err(not_configured("fcm")),
            },
            PushPlatform::Apns => match &self.apns {
                Some(p) => p.send(target, msg).await,
                None => Err(not_configured("apns")),
            },
            PushPlatform::Webpush => match &self.webpush {
                Some(p) => p.send(target, msg).await,
                None => Err(not_configured("webpush")),
            },
        };
        if let Err(e) = &result {
            tracing::debug!(platform = ?target.platform, channel = msg.channel_id, seq = msg.seq, error = %e, "push not delivered");
        }
        result
    }
}

#[async_trait::async_trait]
impl Provider for Providers {
    async fn send(&self, target: &PushTarget, msg: &PushMessage) -> Result<(), PushError> {
        Providers::send(self, target, msg).await
    }
}

fn not_configured(platform: &str) -> PushError {
    PushError::Misconfigured(format!("{platform} push is not configured"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_message_text() {
        let msg = PushMessage {
            title: "Secret Sender".into(),
            body: "secret words".into(),
            channel_id: 1,
            seq: 2,
            collapse_key: "ch-1".into(),
        };
        let printed = format!("{msg:?}");
        assert!(
            !printed.contains("Secret") && !printed.contains("secret"),
            "{printed}"
        );
    }

    #[test]
    fn payload_channel_is_a_decimal_string() {
        let msg = PushMessage {
            title: "t".into(),
            body: "b".into(),
            channel_id: u64::MAX,
            seq: 9,
            collapse_key: "k".into(),
        };
        let v: serde_json::Value =
            serde_json::from_slice(&JsonPayload::new(&msg).to_vec()).unwrap();
        assert_eq!(v["channel"], u64::MAX.to_string());
        assert_eq!(v["seq"], 9);
    }

    #[test]
    fn only_retryable_is_retryable() {
        assert!(PushError::Retryable("x".into()).retryable());
        assert!(!PushError::Unregistered.retryable());
        assert!(
            !PushError::Rejected {
                status: 400,
                detail: String::new()
            }
            .retryable()
        );
        assert!(!PushError::Misconfigured("x".into()).retryable());
    }
}
