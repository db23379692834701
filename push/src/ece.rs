//! Web Push message encryption (RFC 8291) in the `aes128gcm` content coding
//! (RFC 8188), as one record.
//!
//! The ephemeral key and salt are parameters so the RFC's worked example can be
//! checked byte for byte; the provider passes fresh random ones per message.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size we declare. One record holds the whole message, so this only
/// has to be at least the record's length; 4096 is what RFC 8291 suggests.
const RECORD_SIZE: u32 = 4096;
/// salt (16) | rs (4) | idlen (1) | keyid: the 65-byte uncompressed ephemeral key.
const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// AES-GCM tag.
const TAG_LEN: usize = 16;
/// Push services must accept 4096-byte bodies (RFC 8030 section 7.2); beyond
/// that a message may be refused, so larger plaintexts are refused here.
pub(crate) const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - TAG_LEN - 1;

/// Encrypts `plaintext` for the user agent whose subscription key is `ua_public`
/// (SEC1 point) and auth secret is `auth`, with the sender's ephemeral key
/// `as_secret` and `salt`. Returns the full message body: header then record.
pub(crate) fn encrypt(
    plaintext: &[u8],
    ua_public: &[u8],
    auth: &[u8],
    as_secret: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, &'static str> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err("payload too large for one Web Push record");
    }
    let ua =
        PublicKey::from_sec1_bytes(ua_public).map_err(|_| "p256dh is not a P-256 public key")?;
    // key_info uses the uncompressed forms, whatever form the browser sent.
    let ua_point = ua.to_encoded_point(false);
    let as_point = as_secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua.as_affine());

    // RFC 8291 section 3.4: IKM = HKDF(auth, ecdh, "WebPush: info" 0 ua as, 32).
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_point.as_bytes());
    key_info.extend_from_slice(as_point.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| "HKDF output length")?;

    // RFC 8188 section 2.2: the content-encryption key and nonce from the salt.
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .map_err(|_| "HKDF output length")?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| "HKDF output length")?;

    // A single record, so it is the last one: delimiter 0x02, no padding. The
    // record's sequence number is 0, so the nonce is used as derived.
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(0x02);
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| "AES key length")?;
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), record.as_slice())
        .map_err(|_| "AES-GCM encryption failed")?;

    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_point.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{b64url, decode_b64};

    // RFC 8291 Appendix A.
    const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str =
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    fn b(s: &str) -> Vec<u8> {
        decode_b64(s).unwrap()
    }

    #[test]
    fn rfc8291_appendix_a() {
        let as_secret = SecretKey::from_slice(&b(AS_PRIVATE)).unwrap();
        assert_eq!(
            b64url(as_secret.public_key().to_encoded_point(false).as_bytes()),
            AS_PUBLIC
        );
        let salt: [u8; 16] = b(SALT).try_into().unwrap();
        let body = encrypt(
            PLAINTEXT.as_bytes(),
            &b(UA_PUBLIC),
            &b(AUTH),
            &as_secret,
            &salt,
        )
        .unwrap();
        assert_eq!(b64url(&body), BODY);
    }

    #[test]
    fn compressed_subscription_keys_are_accepted() {
        // The same key in compressed form must give the same message: key_info
        // always carries the uncompressed point.
        let as_secret = SecretKey::from_slice(&b(AS_PRIVATE)).unwrap();
        let salt: [u8; 16] = b(SALT).try_into().unwrap();
        let ua = PublicKey::from_sec1_bytes(&b(UA_PUBLIC)).unwrap();
        let compressed = ua.to_encoded_point(true);
        let body = encrypt(
            PLAINTEXT.as_bytes(),
            compressed.as_bytes(),
            &b(AUTH),
            &as_secret,
            &salt,
        )
        .unwrap();
        assert_eq!(b64url(&body), BODY);
    }

    #[test]
    fn oversized_and_bad_keys_are_refused() {
        let as_secret = SecretKey::from_slice(&b(AS_PRIVATE)).unwrap();
        let salt = [0u8; 16];
        let big = vec![b'x'; MAX_PLAINTEXT + 1];
        assert!(encrypt(&big, &b(UA_PUBLIC), &b(AUTH), &as_secret, &salt).is_err());
        let fits = vec![b'x'; MAX_PLAINTEXT];
        assert_eq!(
            encrypt(&fits, &b(UA_PUBLIC), &b(AUTH), &as_secret, &salt)
                .unwrap()
                .len(),
            4096
        );
        assert!(encrypt(b"x", &[4u8; 65], &b(AUTH), &as_secret, &salt).is_err());
    }
}
