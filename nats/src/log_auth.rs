//! Authenticating appends to the partition log.
//!
//! The log decides who sent what: a partition owner stores an entry's sender as
//! written. NATS permissions let every edge credential append to any partition's
//! log, so a stolen edge credential alone could append a message "from" anyone.
//! Edges therefore sign each append (an HMAC-SHA256 over its subject and payload,
//! in the [`LOG_MAC`] header) with a key derived from their token keys, and owners
//! drop an append whose signature does not verify. Whoever holds the token keys
//! can already mint any user's token, so this adds no new secret and no new trust:
//! a compromised edge *host* is trusted by design, a stolen NATS password is not.
//!
//! Keys rotate with the token keys: the first key signs, every key verifies, and
//! the header names the key (`<kid>:<hex mac>`). A key may be retired once the
//! appends it signed are applied (`natter admin log applied`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header of a log append carrying its signature: `<kid>:<64 hex digits>`.
pub const LOG_MAC: &str = "Natter-Log-Mac";

/// Label mixed into each token key to derive its log key, so a log signature can
/// never be mistaken for (or used as) a token signature.
const DERIVATION_LABEL: &[u8] = b"natter log append v1";

type HmacSha256 = Hmac<Sha256>;

/// The keys that sign and verify log appends (derived from the token keys).
#[derive(Clone)]
pub struct LogKeys {
    /// (kid, derived key); the first signs.
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for LogKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a key.
        let kids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("LogKeys").field("kids", &kids).finish()
    }
}

/// Why an append was not accepted as signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No signature header.
    Unsigned,
    /// The header names a key this service does not have.
    UnknownKey,
    /// The signature is malformed or does not match.
    BadSignature,
}

impl LogKeys {
    /// Log keys derived from token keys given as (kid, secret), first one signing.
    pub fn derive<'a>(token_keys: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        let keys = token_keys
            .into_iter()
            .map(|(kid, secret)| {
                let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key size");
                mac.update(DERIVATION_LABEL);
                (kid.to_string(), mac.finalize().into_bytes().into())
            })
            .collect();
        Self { keys }
    }

    /// The value of [`LOG_MAC`] for an append of `payload` on `subject`; `None`
    /// without keys.
    pub fn sign(&self, subject: &str, payload: &[u8]) -> Option<String> {
        use std::fmt::Write;
        let (kid, key) = self.keys.first()?;
        let tag = mac(key, subject, payload).finalize().into_bytes();
        let mut out = String::with_capacity(kid.len() + 1 + 64);
        out.push_str(kid);
        out.push(':');
        for b in tag {
            let _ = write!(out, "{b:02x}");
        }
        Some(out)
    }

    /// The headers of an append of `payload` on `subject`: MessagePack, signed.
    pub fn append_headers(&self, subject: &str, payload: &[u8]) -> async_nats::HeaderMap {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(crate::headers::CONTENT_TYPE, crate::headers::MSGPACK);
        if let Some(mac) = self.sign(subject, payload) {
            headers.insert(LOG_MAC, mac.as_str());
        }
        headers
    }

    /// Checks the signature `header` of an append of `payload` on `subject`.
    ///
    /// # Errors
    /// Why the append does not count as signed by an edge.
    pub fn verify(
        &self,
        subject: &str,
        payload: &[u8],
        header: Option<&str>,
    ) -> Result<(), Refused> {
        let header = header.ok_or(Refused::Unsigned)?;
        let (kid, hex) = header.rsplit_once(':').ok_or(Refused::BadSignature)?;
        let (_, key) = self
            .keys
            .iter()
            .find(|(k, _)| k == kid)
            .ok_or(Refused::UnknownKey)?;
        let tag = decode_hex_32(hex).ok_or(Refused::BadSignature)?;
        // Constant-time comparison.
        mac(key, subject, payload)
            .verify_slice(&tag)
            .map_err(|_| Refused::BadSignature)
    }
}

fn mac(key: &[u8; 32], subject: &str, payload: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key size");
    // The subject's length first, so no (subject, payload) pair reads as another.
    mac.update(&(subject.len() as u64).to_be_bytes());
    mac.update(subject.as_bytes());
    mac.update(payload);
    mac
}

fn decode_hex_32(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[(&str, &[u8])]) -> LogKeys {
        LogKeys::derive(list.iter().copied())
    }

    #[test]
    fn a_signed_append_verifies_and_any_change_does_not() {
        let k = keys(&[("k1", b"0123456789abcdef0123456789abcdef")]);
        let sig = k.sign("log.3.42", b"payload").unwrap();
        assert!(sig.starts_with("k1:"));
        assert_eq!(k.verify("log.3.42", b"payload", Some(&sig)), Ok(()));
        assert_eq!(
            k.verify("log.3.42", b"payload!", Some(&sig)),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            k.verify("log.4.42", b"payload", Some(&sig)),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            k.verify("log.3.42", b"payload", None),
            Err(Refused::Unsigned)
        );
        assert_eq!(
            k.verify("log.3.42", b"payload", Some("k1:zz")),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            k.verify("log.3.42", b"payload", Some("k9:00")),
            Err(Refused::UnknownKey)
        );
    }

    #[test]
    fn another_key_does_not_verify_and_rotation_keeps_old_appends_valid() {
        let old = keys(&[("k1", b"0123456789abcdef0123456789abcdef")]);
        let other = keys(&[("k1", b"fedcba9876543210fedcba9876543210")]);
        let sig = old.sign("log.0.multi", b"x").unwrap();
        assert_eq!(
            other.verify("log.0.multi", b"x", Some(&sig)),
            Err(Refused::BadSignature)
        );
        // After rotation k2 signs and k1 still verifies what it signed.
        let rotated = keys(&[
            ("k2", b"fedcba9876543210fedcba9876543210"),
            ("k1", b"0123456789abcdef0123456789abcdef"),
        ]);
        assert_eq!(rotated.verify("log.0.multi", b"x", Some(&sig)), Ok(()));
        assert!(
            rotated
                .sign("log.0.multi", b"x")
                .unwrap()
                .starts_with("k2:")
        );
    }

    #[test]
    fn the_log_key_is_not_the_token_key() {
        // A token signature (HMAC with the raw secret) never passes as a log one.
        let secret = b"0123456789abcdef0123456789abcdef";
        let k = keys(&[("k1", secret)]);
        let mut raw = HmacSha256::new_from_slice(secret).unwrap();
        raw.update(&8u64.to_be_bytes());
        raw.update(b"log.0.12");
        raw.update(b"x");
        let hex: String = raw
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            k.verify("log.0.12", b"x", Some(&format!("k1:{hex}"))),
            Err(Refused::BadSignature)
        );
    }
}
