//! Signed bearer tokens: issued at login, verified by any edge without a lookup.
//!
//! HS256 with a key id (`kid`) in the header. Several keys may verify (rotation):
//! the first signs, the others only verify until they are retired. Each token names
//! its session (`sid`) and carries its issue time in ms, so that the revocation list
//! ([`natter_nats::revocations`]) can end one session, or all of a user's from a time.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use natter_protocol::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// One signing key.
#[derive(Clone)]
pub struct TokenKey {
    /// Key id, written into each token's header.
    pub kid: String,
    /// The HMAC secret (at least 32 bytes).
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("TokenKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// User id (decimal).
    sub: String,
    /// Expiry, seconds since the Unix epoch.
    exp: u64,
    /// Issue time.
    iat: u64,
    /// Session id (decimal); absent in tokens from before sessions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    sid: String,
    /// Issue time in ms (a session ended "before now" must not spare a token of the
    /// same second).
    #[serde(default)]
    iat_ms: u64,
}

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The user.
    pub user: u64,
    /// The session (0: a token from before sessions).
    pub session: u64,
    /// When it was issued (ms since the epoch).
    pub issued_ms: u64,
    /// When it expires (ms since the epoch).
    pub expires_ms: u64,
}

/// Issues and verifies tokens.
#[derive(Clone, Debug)]
pub struct Tokens {
    keys: Vec<TokenKey>,
    ttl_secs: u64,
}

impl Tokens {
    /// Tokens signed with `keys[0]`, verified with any of `keys`, valid for `ttl_secs`.
    ///
    /// # Errors
    /// No key, or a key shorter than 32 bytes.
    pub fn new(keys: Vec<TokenKey>, ttl_secs: u64) -> Result<Self, String> {
        if keys.is_empty() {
            return Err("at least one token key is needed".into());
        }
        if let Some(k) = keys.iter().find(|k| k.secret.len() < 32) {
            return Err(format!("token key {} is shorter than 32 bytes", k.kid));
        }
        // A suspension revokes a user's tokens for a year: none may outlive that.
        if ttl_secs > 365 * 24 * 3600 {
            return Err("tokens may live a year at most".into());
        }
        Ok(Self { keys, ttl_secs })
    }

    /// How long a token lives.
    pub fn ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.ttl_secs)
    }

    /// A token for `user_id`'s session `session`; returns it and its expiry (ms since
    /// the epoch).
    ///
    /// # Errors
    /// Signing failed (a bug).
    pub fn issue(&self, user_id: u64, session: u64) -> Result<(String, u64), ApiError> {
        let now_ms = natter_protocol::now_ms();
        let now = now_ms / 1000;
        let claims = Claims {
            sub: user_id.to_string(),
            exp: now + self.ttl_secs,
            iat: now,
            sid: session.to_string(),
            iat_ms: now_ms,
        };
        let key = &self.keys[0];
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&key.secret))
            .map_err(|_| ApiError::new(ErrorCode::Internal, "token signing failed"))?;
        Ok((token, claims.exp * 1000))
    }

    /// What a valid token says (its revocation is checked apart).
    ///
    /// # Errors
    /// `token_expired`, or `token_invalid` for anything malformed, forged or signed
    /// with a key no longer accepted.
    pub fn verify(&self, token: &str) -> Result<Verified, ApiError> {
        let invalid = || ApiError::new(ErrorCode::TokenInvalid, "invalid token");
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        let key = self
            .keys
            .iter()
            .find(|k| Some(&k.kid) == header.kid.as_ref())
            .ok_or_else(invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(
            token,
            &DecodingKey::from_secret(&key.secret),
            &validation,
        )
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => {
                ApiError::new(ErrorCode::TokenExpired, "token expired: log in again")
            }
            _ => invalid(),
        })?;
        let c = data.claims;
        let session = if c.sid.is_empty() {
            0
        } else {
            c.sid.parse().map_err(|_| invalid())?
        };
        Ok(Verified {
            user: c.sub.parse().map_err(|_| invalid())?,
            session,
            issued_ms: if c.iat_ms > 0 { c.iat_ms } else { c.iat * 1000 },
            expires_ms: c.exp * 1000,
        })
    }

    /// The keys this edge signs its log appends with (derived from the token keys).
    pub fn log_keys(&self) -> natter_nats::log_auth::LogKeys {
        natter_nats::log_auth::LogKeys::derive(
            self.keys
                .iter()
                .map(|k| (k.kid.as_str(), k.secret.as_slice())),
        )
    }
}

/// A token that verifies and whose session has not ended.
///
/// # Errors
/// As [`Tokens::verify`]; `token_revoked`; `unavailable` while this edge has not yet
/// read the revocation list (just started).
pub(crate) fn authenticate(edge: &crate::Edge, token: &str) -> Result<Verified, ApiError> {
    let v = edge.config.tokens.verify(token)?;
    if !edge.revocations.loaded() {
        let mut e = ApiError::new(ErrorCode::Unavailable, "starting up: retry");
        e.retry_after_ms = Some(1000);
        return Err(e);
    }
    if !edge.revocations.allows(v.user, v.session, v.issued_ms) {
        return Err(ApiError::new(
            ErrorCode::TokenRevoked,
            "this session was ended: log in again",
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_secs() -> u64 {
        natter_protocol::now_ms() / 1000
    }

    fn key(kid: &str, b: u8) -> TokenKey {
        TokenKey {
            kid: kid.into(),
            secret: vec![b; 32],
        }
    }

    #[test]
    fn round_trip_rotation_and_forgery() {
        let old = Tokens::new(vec![key("k1", 1)], 60).unwrap();
        let (t1, _) = old.issue(42, 7).unwrap();
        let v = old.verify(&t1).unwrap();
        assert_eq!((v.user, v.session), (42, 7));
        assert!(v.expires_ms >= v.issued_ms + 59_000);
        // Rotated: k2 signs, k1 still verifies.
        let rotated = Tokens::new(vec![key("k2", 2), key("k1", 1)], 60).unwrap();
        assert_eq!(rotated.verify(&t1).unwrap().user, 42);
        // Retired: k1 gone.
        let retired = Tokens::new(vec![key("k2", 2)], 60).unwrap();
        assert_eq!(
            retired.verify(&t1).unwrap_err().code,
            ErrorCode::TokenInvalid
        );
        // Forged: right kid, wrong secret.
        let forger = Tokens::new(vec![key("k2", 9)], 60).unwrap();
        let (forged, _) = forger.issue(1, 1).unwrap();
        assert_eq!(
            rotated.verify(&forged).unwrap_err().code,
            ErrorCode::TokenInvalid
        );
        assert_eq!(
            rotated.verify("garbage").unwrap_err().code,
            ErrorCode::TokenInvalid
        );
    }

    #[test]
    fn expired_tokens_are_refused_with_their_own_code() {
        let t = Tokens::new(vec![key("k", 1)], 0).unwrap();
        let k = &t.keys[0];
        let claims = Claims {
            sub: "5".into(),
            exp: now_secs() - 3600,
            iat: now_secs() - 7200,
            sid: String::new(),
            iat_ms: 0,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(k.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&k.secret)).unwrap();
        assert_eq!(t.verify(&token).unwrap_err().code, ErrorCode::TokenExpired);
    }
}
