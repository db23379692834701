//! Apple Push Notification service over HTTP/2, with token-based authentication:
//! an ES256 provider JWT signed with the team's .p8 key.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, Header};
use natter_protocol::http::PushTarget;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::ApnsConfig;
use crate::credentials::{self, Es256Key};
use crate::fcm::{MAX_APNS_COLLAPSE_ID, truncate};
use crate::{Provider, PushError, PushMessage, http_client};

/// Apple rejects provider tokens older than an hour and throttles ones renewed
/// more often than every 20 minutes; 50 minutes sits between.
const TOKEN_REFRESH: Duration = Duration::from_secs(50 * 60);
/// Device tokens are 32 bytes of hex today; Apple says they may grow, so allow
/// room while still refusing anything that is not a plausible token.
const MAX_DEVICE_TOKEN: usize = 200;

pub(crate) struct Apns {
    client: reqwest::Client,
    endpoint: String,
    topic: String,
    team_id: String,
    key_id: String,
    key: Es256Key,
    expiration_secs: u64,
    /// The provider token and when it was made. A std mutex: signing takes
    /// microseconds and never awaits.
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: u64,
}

impl Apns {
    pub(crate) fn new(config: &ApnsConfig, client: reqwest::Client) -> Result<Self, PushError> {
        let bad = |what: String| PushError::Misconfigured(format!("apns: {what}"));
        let pem = match (&config.private_key, &config.private_key_path) {
            (Some(pem), _) => pem.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| bad(format!("reading {}: {e}", path.display())))?,
            (None, None) => return Err(bad("no private key".into())),
        };
        let key = Es256Key::parse(&pem, false).map_err(|e| bad(format!("private key: {e}")))?;
        let apns = Apns {
            client,
            endpoint: config.endpoint.trim_end_matches('/').to_string(),
            topic: config.topic.clone(),
            team_id: config.team_id.clone(),
            key_id: config.key_id.clone(),
            key,
            expiration_secs: config.expiration_secs,
            token: Mutex::new(None),
        };
        // Sign once now so a bad key fails at start-up, not at the first push.
        apns.provider_token()?;
        Ok(apns)
    }

    /// The cached provider token, re-signed every [`TOKEN_REFRESH`].
    fn provider_token(&self) -> Result<String, PushError> {
        let mut cached = self
            .token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((token, made)) = cached.as_ref()
            && made.elapsed() < TOKEN_REFRESH
        {
            return Ok(token.clone());
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = Claims {
            iss: &self.team_id,
            iat: credentials::unix_now(),
        };
        let token = jsonwebtoken::encode(&header, &claims, &self.key.jwt).map_err(|e| {
            PushError::Misconfigured(format!("apns: signing the provider token: {e}"))
        })?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    fn drop_token(&self) {
        *self
            .token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

/// The notification payload: an alert, threaded by channel, plus our own keys.
fn payload(msg: &PushMessage) -> Value {
    json!({
        "aps": {
            "alert": { "title": msg.title, "body": msg.body },
            "thread-id": msg.channel_id.to_string(),
        },
        "channel": msg.channel_id.to_string(),
        "seq": msg.seq,
    })
}

#[async_trait::async_trait]
impl Provider for Apns {
    async fn send(&self, target: &PushTarget, msg: &PushMessage) -> Result<(), PushError> {
        // The token becomes a path segment: only hex is a device token.
        let device = &target.token;
        if device.is_empty()
            || device.len() > MAX_DEVICE_TOKEN
            || !device.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(PushError::Misconfigured(
                "malformed APNs device token".into(),
            ));
        }
        let jwt = self.provider_token()?;
        let mut req = self
            .client
            .post(format!("{}/3/device/{device}", self.endpoint))
            .header(AUTHORIZATION, format!("bearer {jwt}"))
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", "10")
            .header(
                "apns-expiration",
                (credentials::unix_now() + self.expiration_secs).to_string(),
            )
            .header(CONTENT_TYPE, "application/json");
        if !msg.collapse_key.is_empty() {
            req = req.header(
                "apns-collapse-id",
                truncate(&msg.collapse_key, MAX_APNS_COLLAPSE_ID),
            );
        }
        let resp = req
            .json(&payload(msg))
            .send()
            .await
            .map_err(http_client::send_error)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        // Errors come as {"reason": "BadDeviceToken"} (and a timestamp for 410).
        let body = http_client::error_body(resp).await;
        let reason = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("reason").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        match (status, reason.as_str()) {
            (StatusCode::GONE, _) | (_, "Unregistered") => Err(PushError::Unregistered),
            (StatusCode::BAD_REQUEST, "BadDeviceToken" | "DeviceTokenNotForTopic") => {
                Err(PushError::Unregistered)
            }
            (StatusCode::FORBIDDEN, "ExpiredProviderToken") => {
                // Our clock or cache drifted: a fresh token should go through.
                self.drop_token();
                Err(PushError::Retryable(
                    "apns: provider token expired; re-signing".into(),
                ))
            }
            _ => Err(http_client::status_error(status, &reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_threads_by_channel() {
        let msg = PushMessage {
            title: "Ada".into(),
            body: "hi".into(),
            channel_id: 42,
            seq: 7,
            collapse_key: "ch-42".into(),
        };
        let v = payload(&msg);
        assert_eq!(v["aps"]["alert"]["title"], "Ada");
        assert_eq!(v["aps"]["thread-id"], "42");
        assert_eq!(v["channel"], "42");
        assert_eq!(v["seq"], 7);
    }
}
