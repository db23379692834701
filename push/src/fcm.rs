//! Firebase Cloud Messaging, HTTP v1 API, with the OAuth2 JWT-bearer flow for
//! service accounts (RFC 7523; Google's "server-to-server" OAuth).

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use natter_protocol::http::PushTarget;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::config::FcmConfig;
use crate::{Provider, PushError, PushMessage, credentials, http_client, webpush};

/// The OAuth2 scope that allows `messages:send`.
pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Where Google service accounts get tokens unless the key file says otherwise.
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// `urn:ietf:params:oauth:grant-type:jwt-bearer`, form-encoded. The assertion is
/// a JWT, whose characters need no encoding, so the body is built by hand rather
/// than pulling in a form encoder.
const GRANT_TYPE_FORM: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";
/// Google accepts assertions valid for at most an hour.
const ASSERTION_LIFETIME_SECS: u64 = 3600;
/// Refresh the access token this long before it expires, so no send carries a
/// token that expires in flight.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// APNs caps `apns-collapse-id` at 64 bytes.
pub(crate) const MAX_APNS_COLLAPSE_ID: usize = 64;

pub(crate) struct Fcm {
    client: reqwest::Client,
    send_url: String,
    auth: Auth,
}

enum Auth {
    /// A token minted elsewhere (tests, bridges).
    Static(String),
    /// A service account: tokens fetched and cached here.
    ServiceAccount(Box<ServiceAccount>),
}

/// The fields of a Google service-account key file that the flow needs.
#[derive(Deserialize)]
struct ServiceAccountFile {
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
    #[serde(default)]
    token_uri: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
}

struct ServiceAccount {
    client_email: String,
    key: EncodingKey,
    key_id: Option<String>,
    token_uri: String,
    /// One token for all sends; the lock is held across a refresh so concurrent
    /// sends wait for one token request instead of each making their own.
    cache: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: String,
    refresh_at: Instant,
}

/// The JWT-bearer assertion's claims.
#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default = "default_expires_in")]
    expires_in: u64,
}

fn default_expires_in() -> u64 {
    3600
}

impl Fcm {
    pub(crate) fn new(config: &FcmConfig, client: reqwest::Client) -> Result<Self, PushError> {
        let bad = |what: String| PushError::Misconfigured(format!("fcm: {what}"));
        let mut project_id = config.project_id.clone();
        let auth = if let Some(token) = &config.access_token {
            Auth::Static(token.clone())
        } else {
            let json = match (&config.service_account_file, &config.service_account_json) {
                (Some(path), _) => std::fs::read_to_string(path)
                    .map_err(|e| bad(format!("reading {}: {e}", path.display())))?,
                (None, Some(json)) => json.clone(),
                (None, None) => return Err(bad("no credentials".into())),
            };
            let file: ServiceAccountFile = serde_json::from_str(&json)
                .map_err(|e| bad(format!("service account JSON: {e}")))?;
            let key = rsa_key(&file.private_key)
                .ok_or_else(|| bad("service account private_key is not an RSA PEM key".into()))?;
            if project_id.is_empty() {
                project_id = file.project_id.clone().unwrap_or_default();
            }
            Auth::ServiceAccount(Box::new(ServiceAccount {
                client_email: file.client_email,
                key,
                key_id: file.private_key_id,
                token_uri: config
                    .token_uri
                    .clone()
                    .or(file.token_uri)
                    .unwrap_or_else(|| DEFAULT_TOKEN_URI.into()),
                cache: Mutex::new(None),
            }))
        };
        // The id becomes a path segment: refuse anything that would change the path.
        if project_id.is_empty()
            || !project_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(bad("project_id is missing or malformed".into()));
        }
        let send_url = format!(
            "{}/v1/projects/{project_id}/messages:send",
            config.endpoint.trim_end_matches('/')
        );
        Ok(Fcm {
            client,
            send_url,
            auth,
        })
    }

    async fn access_token(&self) -> Result<String, PushError> {
        match &self.auth {
            Auth::Static(token) => Ok(token.clone()),
            Auth::ServiceAccount(sa) => {
                let mut cache = sa.cache.lock().await;
                if let Some(cached) = cache.as_ref()
                    && Instant::now() < cached.refresh_at
                {
                    return Ok(cached.token.clone());
                }
                let fresh = sa.fetch(&self.client).await?;
                let token = fresh.token.clone();
                *cache = Some(fresh);
                Ok(token)
            }
        }
    }

    /// Forgets a token FCM refused, so the retry fetches a new one.
    async fn drop_token(&self) {
        if let Auth::ServiceAccount(sa) = &self.auth {
            *sa.cache.lock().await = None;
        }
    }
}

impl ServiceAccount {
    async fn fetch(&self, client: &reqwest::Client) -> Result<CachedToken, PushError> {
        let now = credentials::unix_now();
        let claims = Assertion {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            PushError::Misconfigured(format!("fcm: signing the token request: {e}"))
        })?;
        let started = Instant::now();
        let resp = client
            .post(&self.token_uri)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type={GRANT_TYPE_FORM}&assertion={assertion}"
            ))
            .send()
            .await
            .map_err(http_client::send_error)?;
        let status = resp.status();
        if !status.is_success() {
            let body = http_client::error_body(resp).await;
            // The OAuth2 error code ("invalid_grant", …) says why; the description
            // may be long, so only the code is kept.
            let code = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            return Err(match http_client::status_error(status, &code) {
                retry @ PushError::Retryable(_) => retry,
                _ => PushError::Misconfigured(format!(
                    "fcm: token endpoint refused the service account: {} {}",
                    status.as_u16(),
                    http_client::detail(&code)
                )),
            });
        }
        let token: TokenResponse = resp.json().await.map_err(|e| {
            PushError::Retryable(format!("fcm: token response: {}", e.without_url()))
        })?;
        let lifetime = Duration::from_secs(token.expires_in);
        // Short-lived tokens (never seen from Google) are still used, for half
        // their life, rather than refetched on every send.
        let usable = lifetime
            .checked_sub(REFRESH_MARGIN)
            .filter(|d| *d >= lifetime / 2)
            .unwrap_or(lifetime / 2);
        tracing::debug!(expires_in = token.expires_in, "fcm access token refreshed");
        Ok(CachedToken {
            token: token.access_token,
            refresh_at: started + usable,
        })
    }
}

/// Parses the service account's RSA key (PKCS#8 PEM in Google's files; PKCS#1
/// accepted too) into the PKCS#1 DER that jsonwebtoken signs with. Parsing here
/// also makes a bad key fail at start-up rather than at the first push.
fn rsa_key(pem: &str) -> Option<EncodingKey> {
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
    use rsa::pkcs8::DecodePrivateKey;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .ok()?;
    let der = key.to_pkcs1_der().ok()?;
    Some(EncodingKey::from_rsa_der(der.as_bytes()))
}

/// The HTTP v1 request body. `data` values must be strings.
fn message_body(token: &str, msg: &PushMessage) -> Value {
    let mut message = json!({
        "token": token,
        "notification": { "title": msg.title, "body": msg.body },
        "data": { "channel": msg.channel_id.to_string(), "seq": msg.seq.to_string() },
    });
    if !msg.collapse_key.is_empty() {
        message["android"] = json!({ "collapse_key": msg.collapse_key });
        message["apns"] = json!({ "headers": { "apns-collapse-id": truncate(&msg.collapse_key, MAX_APNS_COLLAPSE_ID) } });
        message["webpush"] = json!({ "headers": { "Topic": webpush::topic(&msg.collapse_key) } });
    }
    json!({ "message": message })
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// FCM's error body: `{"error":{"code","message","status","details":[{"errorCode"}]}}`.
fn error_parts(body: &str) -> (String, String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let err = &v["error"];
    let code = err["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|d| d["errorCode"].as_str())
        .unwrap_or_default()
        .to_string();
    let status = err["status"].as_str().unwrap_or_default().to_string();
    let message = err["message"].as_str().unwrap_or_default().to_string();
    (code, status, message)
}

#[async_trait::async_trait]
impl Provider for Fcm {
    async fn send(&self, target: &PushTarget, msg: &PushMessage) -> Result<(), PushError> {
        if target.token.is_empty() {
            return Err(PushError::Misconfigured(
                "empty FCM registration token".into(),
            ));
        }
        let access_token = self.access_token().await?;
        let resp = self
            .client
            .post(&self.send_url)
            .header(AUTHORIZATION, format!("Bearer {access_token}"))
            .json(&message_body(&target.token, msg))
            .send()
            .await
            .map_err(http_client::send_error)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let (code, api_status, message) = error_parts(&http_client::error_body(resp).await);
        if status == StatusCode::NOT_FOUND || code == "UNREGISTERED" {
            return Err(PushError::Unregistered);
        }
        if status == StatusCode::UNAUTHORIZED && matches!(self.auth, Auth::ServiceAccount(_)) {
            self.drop_token().await;
            return Err(PushError::Retryable(
                "fcm refused the access token; fetching a new one".into(),
            ));
        }
        let detail = [api_status, code, message]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        Err(http_client::status_error(status, &detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_string_data_and_collapse_keys() {
        let msg = PushMessage {
            title: "Ada".into(),
            body: "hi".into(),
            channel_id: 42,
            seq: 7,
            collapse_key: "ch-42".into(),
        };
        let v = message_body("tok", &msg);
        let m = &v["message"];
        assert_eq!(m["token"], "tok");
        assert_eq!(m["data"]["channel"], "42");
        assert_eq!(m["data"]["seq"], "7");
        assert_eq!(m["android"]["collapse_key"], "ch-42");
        assert_eq!(m["apns"]["headers"]["apns-collapse-id"], "ch-42");
        assert_eq!(m["webpush"]["headers"]["Topic"], "ch-42");
    }

    #[test]
    fn error_body_parts_are_found() {
        let body = r#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND",
            "details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#;
        let (code, status, message) = error_parts(body);
        assert_eq!(code, "UNREGISTERED");
        assert_eq!(status, "NOT_FOUND");
        assert_eq!(message, "Requested entity was not found.");
        assert_eq!(
            error_parts("<html>"),
            (String::new(), String::new(), String::new())
        );
    }

    #[test]
    fn truncate_keeps_char_boundaries() {
        assert_eq!(truncate("ééé", 3), "é");
        assert_eq!(truncate("abc", 64), "abc");
    }
}
