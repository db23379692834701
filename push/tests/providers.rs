//! Each provider against a real local HTTP server that records what arrives and
//! checks it the way the real service (or browser) would: signatures and JWTs
//! verified, Web Push bodies decrypted, HTTP/2 asserted for APNs.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use hyper::{Method, Version};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use natter_protocol::http::{PushPlatform, PushTarget};
use natter_push::{
    ApnsConfig, FcmConfig, Provider, Providers, PushConfig, PushError, PushMessage, VapidConfig,
    WebhookConfig,
};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use p256::{PublicKey, SecretKey};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;

/// A test-only RSA key for the fake FCM service account. Never used elsewhere.
const TEST_RSA_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCJTQGODPy+Ncl2
qfoe2m2tj+RMxPGdaPIUGklekBpXLPd219bwuxfELpM57MekijH4wMjkQZndC9/5
PYEe8VWeh4C99+GMmQNch4R4ZhlfSjWgHYIF/kuTtpH5rnb1MC6QA6wPex73jGRP
Wdiwnil6qNLzOHLal2mksSr6M/E/1LZeqnl1dT3Pk4FBxELwFph2DIIYk0icV/Zo
JDWnDq6FXI4uBOiz45ji7iSudpBFnO36XxGvkLIxRZ/erCvFBHhYYsH5ICWAE4VU
zHbvgPY8lGDj7j8hpm9NKnn5dkbAneAdjICP/ngPEIACz8AMfwUCeGyVYXmLTREu
lioAN08DAgMBAAECggEALjBQqJfn4pk3mArgkMaMhQnWFJlgasLmRSr+qagypEcF
TN6ZeUyHV0EP2Dm2g7zVyMgaDOegukMHatJtAJrRYc5V2hJstx62iccxIku+l1bg
qWej2R5OEHgnrWYqsJsv3tTNajvSFBcPm74u7mOWsqPeq2G/CZhMOtI7EgatTvpi
5Pb7YC6N6lg5qImBCSgIxrFYGvI/kJiKc36ua09jpaOViMPxLJu9zUCgtedJ4D+a
sC0OdNyk0djwu11H6Za41M2/vwqwXSElju4OsMKrOASyvBe2tpak+pHWCgMzcDUu
O0tA7zFuDA0KgBPE+dxdb/6a9x4Lptfq9izoXcSRyQKBgQC9ziXKC9TeNMIUg3aY
6BmN4ElSnyi875mOTwsx9BxyuH8B+fZ7FTHmasXW3oT9wjJsKrxqs3eMoTi7Tws9
hKBC31/bKKybi/+hVOsjkSZ4x+c8+OZ+Nn89Xj3XBO0aDmDcgi45/Dob8N35PklC
up6xjevyjhBE77y7ux1hDGEwNwKBgQC5Lz/t4YFGzbutIdjtMkbkQihn3kUji00f
rSS+PSBALW+hcsy4FwyEmpGw3UMZgMlIBd1ClKBg7UhHefMgK87y9KICJnnuoLNm
9yQhoHQywyL3NFQu4GKR6XUcmYKS8V/yutR3kqLwYV6EJ1kiWPqEqS71KSc1jKvS
E6qXnmY5lQKBgQC4kmjpC4xa8M7yh8yicMG416w1rhQ9dnnKi08Fqq6nWIYZc+ue
UUQPHzF3+zc0VM4XpY9H63GLzZOPghQaJIh7vyBFzE3djMxvJFbsZVAWD77r6daq
UXB2Stiz6VRwDB9hDy7IsGAJn7cbkthHDZcYbjxNyJxFjSPpItI094bjDQKBgG5O
C7lpUnTXRQwqlikrgniiQ6kjB3HVnvnYS4OZq2Uu60hytiiNaiJuY4vDMB23za09
+P6YwzMZA623oS8viRTEzN+VBZozVMlnOrlg9vXpsCEppV9KvswFEIIZmmJmrm1K
Bha3XKDsjr0PJxPDhm2QzOyxN664/PukRUAM1P1FAoGAMQZO13lxeucgzdMsAh80
YU2yet7r47teZ70L2jHjWdUGhRILq07sHx5ZTGAnhhMby0ySXCvZFrvZcPPCu6Md
3/V4XmhQ6h5qNTko71KJlVlSoElAKmHwI+kT9Y9NmmeilWeOe11Vlr+qyQEC4tF+
dlxlwEIZv/R10XInclvTFOg=
-----END PRIVATE KEY-----
";

use natter_push::testing::{Recorded, serve};

// ---------------------------------------------------------------------------
// Helpers.

fn message() -> PushMessage {
    PushMessage {
        title: "Ada Lovelace".into(),
        body: "Meet at 6? 👋".into(),
        channel_id: 1_234_567_890_123,
        seq: 42,
        collapse_key: "ch-1234567890123".into(),
    }
}

fn target(platform: PushPlatform, token: impl Into<String>) -> PushTarget {
    PushTarget {
        platform,
        token: token.into(),
        p256dh: None,
        auth: None,
    }
}

fn config() -> PushConfig {
    PushConfig {
        timeout_ms: 5_000,
        // The receivers here are local servers: allow loopback targets.
        allowed_networks: vec!["127.0.0.0/8".into(), "::1/128".into()],
        ..Default::default()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

fn random_p256() -> SecretKey {
    loop {
        if let Ok(key) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            return key;
        }
    }
}

/// A jsonwebtoken verification key for a P-256 public key.
fn ec_decoding_key(public: &PublicKey) -> DecodingKey {
    let point = public.to_encoded_point(false);
    DecodingKey::from_ec_components(&b64(point.x().unwrap()), &b64(point.y().unwrap())).unwrap()
}

/// The fields every JSON-bodied provider must carry from [`message`].
fn assert_webhook_json(v: &Value) {
    assert_eq!(v["title"], "Ada Lovelace");
    assert_eq!(v["body"], "Meet at 6? 👋");
    assert_eq!(v["channel"], "1234567890123");
    assert_eq!(v["seq"], 42);
    assert_eq!(v["collapse_key"], "ch-1234567890123");
}

/// Sends [`message`] to an owned target (so closures can build targets inline).
async fn send_to(providers: &Providers, target: PushTarget) -> Result<(), PushError> {
    providers.send(&target, &message()).await
}

fn is_rejected(r: &Result<(), PushError>, want: u16) -> bool {
    matches!(r, Err(PushError::Rejected { status, .. }) if *status == want)
}

// ---------------------------------------------------------------------------
// Webhook.

#[tokio::test]
async fn webhook_posts_signed_json() {
    let mut server = serve(|_| (204, String::new())).await;
    let mut cfg = config();
    cfg.webhook = WebhookConfig {
        timeout_ms: Some(2_000),
        secret: Some("s3cret".into()),
    };
    let providers = Providers::new(&cfg).unwrap();

    let url = format!("{}/hooks/natter?user=7", server.base);
    providers
        .send(&target(PushPlatform::Webhook, url), &message())
        .await
        .unwrap();

    let req = server.take();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/hooks/natter?user=7");
    assert_eq!(req.header("content-type"), "application/json");
    assert_webhook_json(&req.json());
    let signature = req
        .header("x-natter-signature")
        .strip_prefix("sha256=")
        .expect("sha256= prefix");
    let signature: Vec<u8> = (0..signature.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&signature[i..i + 2], 16).unwrap())
        .collect();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"s3cret").unwrap();
    mac.update(&req.body);
    mac.verify_slice(&signature)
        .expect("signature verifies over the body");
}

#[tokio::test]
async fn webhook_maps_statuses() {
    let mut server = serve(|req| match req.path.as_str() {
        "/gone" => (410, String::new()),
        "/down" => (503, "maintenance".into()),
        "/bad" => (400, "bad payload".into()),
        "/busy" => (429, String::new()),
        _ => (200, String::new()),
    })
    .await;
    let providers = Providers::new(&config()).unwrap();
    let base = server.base.clone();
    let send = |path: &str| {
        send_to(
            &providers,
            target(PushPlatform::Webhook, format!("{base}{path}")),
        )
    };

    assert!(matches!(send("/gone").await, Err(PushError::Unregistered)));
    let down = send("/down").await;
    assert!(matches!(&down, Err(e) if e.retryable()), "{down:?}");
    assert!(matches!(send("/busy").await, Err(e) if e.retryable()));
    let bad = send("/bad").await;
    assert!(
        matches!(&bad, Err(PushError::Rejected { status: 400, detail }) if detail == "bad payload"),
        "{bad:?}"
    );
    send("/ok").await.unwrap();
    // No secret configured: no signature header.
    for _ in 0..4 {
        server.take();
    }
    assert!(server.take().headers.get("x-natter-signature").is_none());

    let not_url = providers
        .send(
            &target(PushPlatform::Webhook, "file:///etc/passwd"),
            &message(),
        )
        .await;
    assert!(matches!(not_url, Err(PushError::Misconfigured(_))));
}

// ---------------------------------------------------------------------------
// FCM.

fn assert_fcm_message(req: &Recorded, token: &str) {
    let m = &req.json()["message"];
    assert_eq!(m["token"], token);
    assert_eq!(
        m["notification"],
        json!({ "title": "Ada Lovelace", "body": "Meet at 6? 👋" })
    );
    assert_eq!(
        m["data"],
        json!({ "channel": "1234567890123", "seq": "42" })
    );
    assert_eq!(m["android"]["collapse_key"], "ch-1234567890123");
    assert_eq!(m["apns"]["headers"]["apns-collapse-id"], "ch-1234567890123");
    assert_eq!(m["webpush"]["headers"]["Topic"], "ch-1234567890123");
}

#[tokio::test]
async fn fcm_sends_v1_message_with_static_token() {
    let mut server = serve(|_| {
        (
            200,
            r#"{"name":"projects/natter-test/messages/0:1"}"#.into(),
        )
    })
    .await;
    let mut cfg = config();
    cfg.fcm = Some(FcmConfig {
        endpoint: server.base.clone(),
        project_id: "natter-test".into(),
        access_token: Some("static-token".into()),
        ..Default::default()
    });
    let providers = Providers::new(&cfg).unwrap();
    providers
        .send(&target(PushPlatform::Fcm, "fcm-device-token"), &message())
        .await
        .unwrap();

    let req = server.take();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/v1/projects/natter-test/messages:send");
    assert_eq!(req.header("authorization"), "Bearer static-token");
    assert!(req.header("content-type").starts_with("application/json"));
    assert_fcm_message(&req, "fcm-device-token");
}

#[tokio::test]
async fn fcm_service_account_gets_and_caches_oauth_token() {
    let mut server = serve(|req| {
        if req.path == "/token" {
            (
                200,
                r#"{"access_token":"ya29.fresh","expires_in":3599,"token_type":"Bearer"}"#.into(),
            )
        } else {
            (200, r#"{"name":"projects/sa-project/messages/1"}"#.into())
        }
    })
    .await;
    let token_uri = format!("{}/token", server.base);
    let key_file = tempfile::NamedTempFile::new().unwrap();
    let service_account = json!({
        "type": "service_account",
        "project_id": "sa-project",
        "private_key_id": "kid-123",
        "private_key": TEST_RSA_KEY,
        "client_email": "push@sa-project.iam.gserviceaccount.com",
        "token_uri": token_uri,
    });
    std::fs::write(key_file.path(), service_account.to_string()).unwrap();
    let mut cfg = config();
    cfg.fcm = Some(FcmConfig {
        endpoint: server.base.clone(),
        service_account_file: Some(key_file.path().to_path_buf()),
        ..Default::default()
    });
    let providers = Providers::new(&cfg).unwrap();

    providers
        .send(&target(PushPlatform::Fcm, "device-a"), &message())
        .await
        .unwrap();
    providers
        .send(&target(PushPlatform::Fcm, "device-b"), &message())
        .await
        .unwrap();

    // The token request: a JWT-bearer grant whose assertion verifies.
    let grant = server.take();
    assert_eq!(grant.method, Method::POST);
    assert_eq!(grant.path, "/token");
    assert_eq!(
        grant.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    let form = std::str::from_utf8(&grant.body).unwrap();
    let field = |name: &str| {
        form.split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {form}"))
            .replace("%3A", ":")
    };
    assert_eq!(
        field("grant_type"),
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let assertion = field("assertion");
    let public = {
        use rsa::pkcs1::EncodeRsaPublicKey;
        use rsa::pkcs8::DecodePrivateKey;
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(TEST_RSA_KEY).unwrap();
        private.to_public_key().to_pkcs1_der().unwrap()
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&token_uri]);
    validation.set_issuer(&["push@sa-project.iam.gserviceaccount.com"]);
    let jwt = jsonwebtoken::decode::<Value>(
        &assertion,
        &DecodingKey::from_rsa_der(public.as_bytes()),
        &validation,
    )
    .expect("assertion verifies with the service account's public key");
    assert_eq!(jwt.header.kid.as_deref(), Some("kid-123"));
    assert_eq!(
        jwt.claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    let (iat, exp) = (
        jwt.claims["iat"].as_u64().unwrap(),
        jwt.claims["exp"].as_u64().unwrap(),
    );
    assert!(iat.abs_diff(now()) < 60 && exp > iat && exp - iat <= 3600);

    // Both sends use the fetched token; the second did not fetch again.
    for device in ["device-a", "device-b"] {
        let send = server.take();
        assert_eq!(send.path, "/v1/projects/sa-project/messages:send");
        assert_eq!(send.header("authorization"), "Bearer ya29.fresh");
        assert_fcm_message(&send, device);
    }
    server.assert_idle();
}

#[tokio::test]
async fn fcm_maps_errors() {
    let server = serve(|req| {
        let token = req.json()["message"]["token"].as_str().unwrap_or_default().to_string();
        match token.as_str() {
            "gone" => (
                404,
                json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                    "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}})
                .to_string(),
            ),
            "unregistered" => (
                400,
                json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
                    "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}})
                .to_string(),
            ),
            "invalid" => (
                400,
                json!({"error": {"code": 400, "message": "Invalid value at 'message.data'", "status": "INVALID_ARGUMENT",
                    "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "INVALID_ARGUMENT"}]}})
                .to_string(),
            ),
            "quota" => (429, json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}).to_string()),
            _ => (503, json!({"error": {"code": 503, "status": "UNAVAILABLE"}}).to_string()),
        }
    })
    .await;
    let mut cfg = config();
    cfg.fcm = Some(FcmConfig {
        endpoint: server.base.clone(),
        project_id: "p".into(),
        access_token: Some("t".into()),
        ..Default::default()
    });
    let providers = Providers::new(&cfg).unwrap();
    let send = |token: &str| send_to(&providers, target(PushPlatform::Fcm, token));

    assert!(matches!(send("gone").await, Err(PushError::Unregistered)));
    assert!(matches!(
        send("unregistered").await,
        Err(PushError::Unregistered)
    ));
    let invalid = send("invalid").await;
    assert!(is_rejected(&invalid, 400), "{invalid:?}");
    assert!(matches!(send("quota").await, Err(e) if e.retryable()));
    assert!(matches!(send("down").await, Err(e) if e.retryable()));
}

// ---------------------------------------------------------------------------
// APNs.

const DEVICE: &str = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn apns_config(base: &str, key: &SecretKey) -> ApnsConfig {
    ApnsConfig {
        endpoint: base.to_string(),
        team_id: "TEAM123456".into(),
        key_id: "KEY7654321".into(),
        private_key: Some(key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()),
        topic: "chat.natter.app".into(),
        http2_prior_knowledge: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn apns_sends_over_http2_with_provider_token() {
    let mut server = serve(|_| (200, String::new())).await;
    let key = random_p256();
    let mut cfg = config();
    cfg.apns = Some(apns_config(&server.base, &key));
    let providers = Providers::new(&cfg).unwrap();

    providers
        .send(&target(PushPlatform::Apns, DEVICE), &message())
        .await
        .unwrap();
    providers
        .send(&target(PushPlatform::Apns, DEVICE), &message())
        .await
        .unwrap();

    let req = server.take();
    assert_eq!(req.version, Version::HTTP_2);
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, format!("/3/device/{DEVICE}"));
    let jwt = req
        .header("authorization")
        .strip_prefix("bearer ")
        .expect("bearer scheme");
    let mut validation = Validation::new(Algorithm::ES256);
    // APNs provider tokens carry iss and iat only.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.set_issuer(&["TEAM123456"]);
    let token =
        jsonwebtoken::decode::<Value>(jwt, &ec_decoding_key(&key.public_key()), &validation)
            .expect("provider token verifies with the team key");
    assert_eq!(token.header.kid.as_deref(), Some("KEY7654321"));
    assert!(token.claims["iat"].as_u64().unwrap().abs_diff(now()) < 60);
    assert_eq!(req.header("apns-topic"), "chat.natter.app");
    assert_eq!(req.header("apns-push-type"), "alert");
    assert_eq!(req.header("apns-priority"), "10");
    assert_eq!(req.header("apns-collapse-id"), "ch-1234567890123");
    let expiration: u64 = req.header("apns-expiration").parse().unwrap();
    assert!(expiration > now() + 3600, "expiration in the future");
    let body = req.json();
    assert_eq!(
        body["aps"]["alert"],
        json!({ "title": "Ada Lovelace", "body": "Meet at 6? 👋" })
    );
    assert_eq!(body["aps"]["thread-id"], "1234567890123");
    assert_eq!(body["channel"], "1234567890123");
    assert_eq!(body["seq"], 42);

    // The provider token is cached, not re-signed per push.
    let second = server.take();
    assert_eq!(second.version, Version::HTTP_2);
    assert_eq!(second.header("authorization"), format!("bearer {jwt}"));
}

#[tokio::test]
async fn apns_maps_errors() {
    let server = serve(|req| {
        let device = req.path.rsplit('/').next().unwrap_or_default();
        match device {
            "dead" => (
                410,
                r#"{"reason":"Unregistered","timestamp":1700000000000}"#.into(),
            ),
            "baad" => (400, r#"{"reason":"BadDeviceToken"}"#.into()),
            "0ff7" => (400, r#"{"reason":"DeviceTokenNotForTopic"}"#.into()),
            "c011" => (400, r#"{"reason":"BadCollapseId"}"#.into()),
            "b5b5" => (429, r#"{"reason":"TooManyRequests"}"#.into()),
            _ => (503, r#"{"reason":"ServiceUnavailable"}"#.into()),
        }
    })
    .await;
    let mut cfg = config();
    cfg.apns = Some(apns_config(&server.base, &random_p256()));
    let providers = Providers::new(&cfg).unwrap();
    let send = |device: &str| send_to(&providers, target(PushPlatform::Apns, device));

    assert!(matches!(send("dead").await, Err(PushError::Unregistered)));
    assert!(matches!(send("baad").await, Err(PushError::Unregistered)));
    assert!(matches!(send("0ff7").await, Err(PushError::Unregistered)));
    let other = send("c011").await;
    assert!(
        matches!(&other, Err(PushError::Rejected { status: 400, detail }) if detail == "BadCollapseId"),
        "{other:?}"
    );
    assert!(matches!(send("b5b5").await, Err(e) if e.retryable()));
    assert!(matches!(send("5e5e").await, Err(e) if e.retryable()));
    assert!(matches!(
        send("../../etc").await,
        Err(PushError::Misconfigured(_))
    ));
}

// ---------------------------------------------------------------------------
// Web Push.

/// The browser's side of RFC 8291: read the aes128gcm header, derive the same
/// key and nonce with the subscription's private key, open the record.
fn browser_decrypt(body: &[u8], ua: &SecretKey, auth: &[u8]) -> Vec<u8> {
    let salt = &body[..16];
    let rs = u32::from_be_bytes(body[16..20].try_into().unwrap());
    assert_eq!(rs, 4096, "record size");
    let idlen = body[20] as usize;
    assert_eq!(idlen, 65, "keyid is the uncompressed ephemeral key");
    let as_public = PublicKey::from_sec1_bytes(&body[21..21 + idlen]).unwrap();
    let record = &body[21 + idlen..];
    assert!(record.len() <= rs as usize, "one record");

    let shared = p256::ecdh::diffie_hellman(ua.to_nonzero_scalar(), as_public.as_affine());
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua.public_key().to_encoded_point(false).as_bytes());
    key_info.extend_from_slice(&body[21..21 + idlen]);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .unwrap();
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .unwrap();
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .unwrap();
    let mut plain = Aes128Gcm::new_from_slice(&cek)
        .unwrap()
        .decrypt(&Nonce::from(nonce), record)
        .expect("record authenticates");
    while plain.last() == Some(&0) {
        plain.pop();
    }
    assert_eq!(plain.pop(), Some(0x02), "last-record delimiter");
    plain
}

#[tokio::test]
async fn webpush_encrypts_payload_and_signs_vapid() {
    let mut server = serve(|_| (201, String::new())).await;
    let vapid = random_p256();
    let mut cfg = config();
    cfg.webpush = Some(VapidConfig {
        private_key: b64(&vapid.to_bytes()),
        subject: "mailto:ops@natter.test".into(),
        ttl_secs: 3600,
    });
    let providers = Providers::new(&cfg).unwrap();

    // The browser's subscription.
    let ua = random_p256();
    let auth: [u8; 16] = rand::random();
    let mut sub = target(
        PushPlatform::Webpush,
        format!("{}/push/v2/sub-abc", server.base),
    );
    sub.p256dh = Some(b64(ua.public_key().to_encoded_point(false).as_bytes()));
    sub.auth = Some(b64(&auth));
    providers.send(&sub, &message()).await.unwrap();

    let req = server.take();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/push/v2/sub-abc");
    assert_eq!(req.header("content-encoding"), "aes128gcm");
    assert_eq!(req.header("ttl"), "3600");
    assert_eq!(req.header("urgency"), "high");
    assert_eq!(req.header("topic"), "ch-1234567890123");

    // VAPID: `vapid t=<jwt>, k=<key>`, the JWT verifying with the key in k=.
    let auth_header = req.header("authorization");
    let rest = auth_header.strip_prefix("vapid ").expect("vapid scheme");
    let (mut t, mut k) = (None, None);
    for part in rest.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("t=") {
            t = Some(v);
        } else if let Some(v) = part.strip_prefix("k=") {
            k = Some(v);
        }
    }
    let (t, k) = (t.expect("t="), k.expect("k="));
    assert_eq!(
        unb64(k),
        vapid.public_key().to_encoded_point(false).as_bytes()
    );
    let k_key = PublicKey::from_sec1_bytes(&unb64(k)).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[&server.base]);
    let jwt = jsonwebtoken::decode::<Value>(t, &ec_decoding_key(&k_key), &validation)
        .expect("VAPID JWT verifies with k=, audience is the endpoint origin");
    assert_eq!(jwt.claims["sub"], "mailto:ops@natter.test");
    assert!(jwt.claims["exp"].as_u64().unwrap() <= now() + 24 * 3600);

    let plaintext = browser_decrypt(&req.body, &ua, &auth);
    assert_webhook_json(&serde_json::from_slice(&plaintext).unwrap());
}

#[tokio::test]
async fn webpush_maps_statuses_and_needs_keys() {
    let server = serve(|req| match req.path.as_str() {
        "/gone404" => (404, String::new()),
        "/gone410" => (410, String::new()),
        "/big" => (413, String::new()),
        "/busy" => (429, String::new()),
        "/bad" => (400, String::new()),
        _ => (502, String::new()),
    })
    .await;
    let mut cfg = config();
    cfg.webpush = Some(VapidConfig {
        private_key: random_p256()
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap()
            .to_string(),
        subject: "https://natter.test/contact".into(),
        ttl_secs: 60,
    });
    let providers = Providers::new(&cfg).unwrap();
    let ua = random_p256();
    let sub = |path: &str| {
        let mut t = target(PushPlatform::Webpush, format!("{}{path}", server.base));
        t.p256dh = Some(b64(ua.public_key().to_encoded_point(false).as_bytes()));
        t.auth = Some(b64(&[9u8; 16]));
        t
    };

    assert!(matches!(
        providers.send(&sub("/gone404"), &message()).await,
        Err(PushError::Unregistered)
    ));
    assert!(matches!(
        providers.send(&sub("/gone410"), &message()).await,
        Err(PushError::Unregistered)
    ));
    assert!(is_rejected(
        &providers.send(&sub("/big"), &message()).await,
        413
    ));
    assert!(is_rejected(
        &providers.send(&sub("/bad"), &message()).await,
        400
    ));
    assert!(matches!(providers.send(&sub("/busy"), &message()).await, Err(e) if e.retryable()));
    assert!(matches!(providers.send(&sub("/down"), &message()).await, Err(e) if e.retryable()));

    let mut no_keys = sub("/x");
    no_keys.p256dh = None;
    assert!(matches!(
        providers.send(&no_keys, &message()).await,
        Err(PushError::Misconfigured(_))
    ));
    let mut short_auth = sub("/x");
    short_auth.auth = Some(b64(&[1u8; 8]));
    assert!(matches!(
        providers.send(&short_auth, &message()).await,
        Err(PushError::Misconfigured(_))
    ));
}

// ---------------------------------------------------------------------------
// Cross-cutting.

#[tokio::test]
async fn unconfigured_platforms_are_misconfigured() {
    let providers = Providers::new(&config()).unwrap();
    for platform in [PushPlatform::Fcm, PushPlatform::Apns, PushPlatform::Webpush] {
        let result = providers.send(&target(platform, "x"), &message()).await;
        assert!(
            matches!(result, Err(PushError::Misconfigured(_))),
            "{platform:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn bad_keys_fail_at_start_up() {
    let mut cfg = config();
    cfg.apns = Some(ApnsConfig {
        team_id: "T".into(),
        key_id: "K".into(),
        topic: "app".into(),
        private_key: Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into()),
        ..Default::default()
    });
    assert!(matches!(
        Providers::new(&cfg),
        Err(PushError::Misconfigured(_))
    ));

    let mut cfg = config();
    cfg.webpush = Some(VapidConfig {
        private_key: "not-a-key".into(),
        subject: "mailto:a@b".into(),
        ttl_secs: 60,
    });
    assert!(matches!(
        Providers::new(&cfg),
        Err(PushError::Misconfigured(_))
    ));

    let mut cfg = config();
    cfg.fcm = Some(FcmConfig {
        service_account_json: Some(
            json!({"client_email": "a@b", "private_key": "nope", "project_id": "p"}).to_string(),
        ),
        ..Default::default()
    });
    assert!(matches!(
        Providers::new(&cfg),
        Err(PushError::Misconfigured(_))
    ));
}

#[tokio::test]
async fn silent_server_times_out_as_retryable() {
    // Connections land in the listen backlog and are never answered.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", silent.local_addr().unwrap());
    let mut cfg = PushConfig {
        timeout_ms: 300,
        allowed_networks: vec!["127.0.0.0/8".into()],
        ..Default::default()
    };
    cfg.fcm = Some(FcmConfig {
        endpoint: base.clone(),
        project_id: "p".into(),
        access_token: Some("t".into()),
        ..Default::default()
    });
    cfg.apns = Some(apns_config(&base, &random_p256()));
    cfg.webpush = Some(VapidConfig {
        private_key: b64(&random_p256().to_bytes()),
        subject: "mailto:a@b".into(),
        ttl_secs: 60,
    });
    let providers = Providers::new(&cfg).unwrap();

    let ua = random_p256();
    let mut webpush = target(PushPlatform::Webpush, format!("{base}/sub"));
    webpush.p256dh = Some(b64(ua.public_key().to_encoded_point(false).as_bytes()));
    webpush.auth = Some(b64(&[3u8; 16]));
    let targets = [
        target(PushPlatform::Webhook, format!("{base}/hook")),
        target(PushPlatform::Fcm, "device"),
        target(PushPlatform::Apns, DEVICE),
        webpush,
    ];
    for t in &targets {
        let started = Instant::now();
        let result = providers.send(t, &message()).await;
        let took = started.elapsed();
        assert!(
            matches!(&result, Err(e) if e.retryable()),
            "{:?}: {result:?}",
            t.platform
        );
        assert!(
            took < Duration::from_secs(3),
            "{:?} took {took:?}",
            t.platform
        );
    }
}

#[tokio::test]
async fn providers_is_a_provider() {
    let mut server = serve(|_| (200, String::new())).await;
    let providers: Box<dyn Provider> = Box::new(Providers::new(&config()).unwrap());
    providers
        .send(
            &target(PushPlatform::Webhook, format!("{}/h", server.base)),
            &message(),
        )
        .await
        .unwrap();
    assert_webhook_json(&server.take().json());
}
