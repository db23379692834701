//! Key loading and small encoding helpers shared by the providers.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use jsonwebtoken::EncodingKey;
use p256::SecretKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};

/// An ES256 signing key (APNs provider tokens, VAPID): the P-256 key, for its
/// public half, and the same key in the form jsonwebtoken signs with.
pub(crate) struct Es256Key {
    pub(crate) secret: SecretKey,
    pub(crate) jwt: EncodingKey,
}

impl Es256Key {
    /// Accepts PEM (PKCS#8, as in Apple's .p8 files, or SEC1 `EC PRIVATE KEY`) or,
    /// when `allow_raw`, base64url of the raw 32-byte scalar (the usual VAPID form).
    /// The error names no key material.
    pub(crate) fn parse(text: &str, allow_raw: bool) -> Result<Self, String> {
        let text = text.trim();
        let secret = if text.starts_with("-----BEGIN") {
            SecretKey::from_pkcs8_pem(text)
                .or_else(|_| SecretKey::from_sec1_pem(text))
                .map_err(|_| "not a P-256 private key in PKCS#8 or SEC1 PEM".to_string())?
        } else if allow_raw {
            let raw = decode_b64(text).ok_or("not base64url")?;
            SecretKey::from_slice(&raw)
                .map_err(|_| "not a 32-byte P-256 private key".to_string())?
        } else {
            return Err("not a PEM private key".into());
        };
        // jsonwebtoken's rust_crypto backend takes EC keys as PKCS#8 DER.
        let der = secret
            .to_pkcs8_der()
            .map_err(|_| "cannot re-encode the key".to_string())?;
        Ok(Es256Key {
            jwt: EncodingKey::from_ec_der(der.as_bytes()),
            secret,
        })
    }

    /// The uncompressed public point (65 bytes), as VAPID's `k=` wants it.
    pub(crate) fn public_uncompressed(&self) -> Vec<u8> {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        self.secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }
}

/// Decodes base64url or standard base64, padded or not: browsers hand out
/// base64url, but relays and older libraries sometimes re-encode.
pub(crate) fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}

/// Unpadded base64url, as JOSE and Web Push use.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Seconds since the Unix epoch (JWT `iat`/`exp`, `apns-expiration`).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::LineEnding;

    #[test]
    fn parses_raw_pkcs8_and_sec1_forms_of_one_key() {
        let raw = [7u8; 32];
        let key = SecretKey::from_slice(&raw).unwrap();
        let pkcs8 = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let sec1 = key.to_sec1_pem(LineEnding::LF).unwrap();
        for (text, allow_raw) in [
            (b64url(&raw), true),
            (pkcs8.to_string(), false),
            (sec1.to_string(), false),
        ] {
            let parsed = Es256Key::parse(&text, allow_raw).unwrap();
            assert_eq!(parsed.secret.to_bytes(), key.to_bytes());
            assert_eq!(parsed.public_uncompressed().len(), 65);
        }
        assert!(Es256Key::parse(&b64url(&raw), false).is_err());
        assert!(
            Es256Key::parse(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                false
            )
            .is_err()
        );
    }

    #[test]
    fn base64_variants_decode() {
        assert_eq!(decode_b64("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_b64("+/8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(hex(&[0, 0xab]), "00ab");
    }
}
