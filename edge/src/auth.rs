//! Signed bearer tokens: issued at login, verified by any edge without a lookup.
//!
//! HS256 with a key id (`kid`) in the header. Several keys may verify (rotation):
//! the first signs, the others only verify until they are retired.

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
        Ok(Self { keys, ttl_secs })
    }

    /// A token for `user_id`; returns it and its expiry (ms since the epoch).
    ///
    /// # Errors
    /// Signing failed (a bug).
    pub fn issue(&self, user_id: u64) -> Result<(String, u64), ApiError> {
        let now = now_secs();
        let claims = Claims {
            sub: user_id.to_string(),
            exp: now + self.ttl_secs,
            iat: now,
        };
        let key = &self.keys[0];
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&key.secret))
            .map_err(|_| ApiError::new(ErrorCode::Internal, "token signing failed"))?;
        Ok((token, claims.exp * 1000))
    }

    /// The user id in a valid token.
    ///
    /// # Errors
    /// `token_expired`, or `token_invalid` for anything malformed, forged or signed
    /// with a key no longer accepted.
    pub fn verify(&self, token: &str) -> Result<u64, ApiError> {
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
        data.claims.sub.parse().map_err(|_| invalid())
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

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, b: u8) -> TokenKey {
        TokenKey {
            kid: kid.into(),
            secret: vec![b; 32],
        }
    }

    #[test]
    fn round_trip_rotation_and_forgery() {
        let old = Tokens::new(vec![key("k1", 1)], 60).unwrap();
        let (t1, _) = old.issue(42).unwrap();
        assert_eq!(old.verify(&t1).unwrap(), 42);
        // Rotated: k2 signs, k1 still verifies.
        let rotated = Tokens::new(vec![key("k2", 2), key("k1", 1)], 60).unwrap();
        assert_eq!(rotated.verify(&t1).unwrap(), 42);
        // Retired: k1 gone.
        let retired = Tokens::new(vec![key("k2", 2)], 60).unwrap();
        assert_eq!(
            retired.verify(&t1).unwrap_err().code,
            ErrorCode::TokenInvalid
        );
        // Forged: right kid, wrong secret.
        let forger = Tokens::new(vec![key("k2", 9)], 60).unwrap();
        let (forged, _) = forger.issue(1).unwrap();
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
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(k.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&k.secret)).unwrap();
        assert_eq!(t.verify(&token).unwrap_err().code, ErrorCode::TokenExpired);
    }
}
