//! Push notifications end to end: an offline member's devices get one notification
//! per provider, in each provider's wire format, at local endpoints; online and muted
//! members get none; a gone token is removed; a 5xx is retried; bursts collapse.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use natter_client::Client;
use natter_protocol::http::{PushPlatform, PushTarget};
use natter_push::testing::{Recorded, serve};
use natter_tests::{Device, System, eventually, user};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const WAIT: Duration = Duration::from_secs(30);
const APNS_TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn random_p256() -> p256::SecretKey {
    loop {
        if let Ok(key) = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            return key;
        }
    }
}

fn target(platform: PushPlatform, token: String) -> PushTarget {
    PushTarget {
        platform,
        token,
        p256dh: None,
        auth: None,
    }
}

async fn online(client: &Client, user: u64) -> bool {
    client
        .user(user)
        .await
        .ok()
        .and_then(|p| p.presence)
        .is_some_and(|p| p.online)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_members_get_one_push_per_provider_and_online_or_muted_ones_none() {
    let mut sys = System::start(BIN, 1).await;

    // The providers' endpoints, recording what arrives.
    let mut hook = serve(|_| (200, "{}".into())).await;
    let mut fcm = serve(|_| (200, r#"{"name":"projects/natter-test/messages/1"}"#.into())).await;
    let mut apns = serve(|_| (200, String::new())).await;
    let mut webpush = serve(|_| (201, String::new())).await;
    let mut gone = serve(|_| (410, String::new())).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut flaky = serve(move |_| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            (503, String::new())
        } else {
            (200, String::new())
        }
    })
    .await;

    let apns_key = random_p256();
    let vapid_key = random_p256();
    sys.start_push_worker(Some(&json!({
        "webhook": {},
        "fcm": {"endpoint": fcm.base, "project_id": "natter-test", "access_token": "test-token"},
        "apns": {
            "endpoint": apns.base, "team_id": "TEAM123456", "key_id": "KEY1234567",
            "topic": "app.natter.ios",
            "private_key": apns_key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            "http2_prior_knowledge": true
        },
        "webpush": {
            "private_key": URL_SAFE_NO_PAD.encode(vapid_key.to_bytes()),
            "subject": "mailto:ops@natter.test"
        },
        "timeout_ms": 5000
    })));

    let c0 = sys.client(0);
    let (alice, _) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    let (carol, carol_id) = user(&c0, "carol").await;
    let (dave, dave_id) = user(&c0, "dave").await;
    let (erin, erin_id) = user(&c0, "erin").await;
    let (frank, frank_id) = user(&c0, "frank").await;

    // Bob (offline) has one device per provider.
    let browser = random_p256();
    let mut wp_target = target(
        PushPlatform::Webpush,
        format!("{}/push/sub-bob", webpush.base),
    );
    wp_target.p256dh =
        Some(URL_SAFE_NO_PAD.encode(browser.public_key().to_encoded_point(false).as_bytes()));
    wp_target.auth = Some(URL_SAFE_NO_PAD.encode([7u8; 16]));
    for (device, t) in [
        (
            "bob-hook",
            target(PushPlatform::Webhook, format!("{}/bob", hook.base)),
        ),
        (
            "bob-android",
            target(PushPlatform::Fcm, "fcm-token-bob".into()),
        ),
        ("bob-iphone", target(PushPlatform::Apns, APNS_TOKEN.into())),
        ("bob-browser", wp_target),
    ] {
        bob.register_push(device, t).await.unwrap();
    }
    // Carol is online; Dave's endpoint is gone; Erin's fails once; Frank mutes.
    carol
        .register_push(
            "c",
            target(PushPlatform::Webhook, format!("{}/carol", hook.base)),
        )
        .await
        .unwrap();
    dave.register_push(
        "d",
        target(PushPlatform::Webhook, format!("{}/dave", gone.base)),
    )
    .await
    .unwrap();
    erin.register_push(
        "e",
        target(PushPlatform::Webhook, format!("{}/erin", flaky.base)),
    )
    .await
    .unwrap();
    frank
        .register_push(
            "f",
            target(PushPlatform::Webhook, format!("{}/frank", hook.base)),
        )
        .await
        .unwrap();
    // Bad registrations are refused.
    let bad = bob
        .register_push(
            "x",
            target(PushPlatform::Webpush, "https://push.example/x".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some(natter_protocol::ErrorCode::BadRequest));

    let g = alice
        .create_group("Climbing", &[bob_id, carol_id, dave_id, erin_id, frank_id])
        .await
        .unwrap();
    frank.mute(g.id, true).await.unwrap();
    let (_carol_dev, _) = Device::connect(&carol, "c").await;
    let a = alice.clone();
    eventually(WAIT, "carol online", move || {
        let a = a.clone();
        async move { online(&a, carol_id).await }
    })
    .await;

    let (mut sender, _) = Device::connect(&alice, "a").await;
    sender.send(g.id, "m1", "see you at the wall at 6").await;

    // Bob: one push per provider, in its format.
    let req = hook.wait(WAIT).await.expect("bob's webhook");
    assert_eq!(req.path, "/bob");
    let body = req.json();
    assert_eq!(body["body"], "see you at the wall at 6");
    assert_eq!(body["title"], "ALICE · Climbing");
    assert_eq!(body["channel"], g.id.to_string());

    let req = fcm.wait(WAIT).await.expect("fcm");
    assert_eq!(req.path, "/v1/projects/natter-test/messages:send");
    assert_eq!(req.header("authorization"), "Bearer test-token");
    let m = &req.json()["message"];
    assert_eq!(m["token"], "fcm-token-bob");
    assert_eq!(m["notification"]["body"], "see you at the wall at 6");

    let req: Recorded = apns.wait(WAIT).await.expect("apns");
    assert_eq!(format!("{:?}", req.version), "HTTP/2.0");
    assert_eq!(req.path, format!("/3/device/{APNS_TOKEN}"));
    assert_eq!(req.header("apns-topic"), "app.natter.ios");
    assert_eq!(req.header("apns-push-type"), "alert");
    assert!(req.header("authorization").starts_with("bearer "));
    assert_eq!(
        req.json()["aps"]["alert"]["body"],
        "see you at the wall at 6"
    );

    let req = webpush.wait(WAIT).await.expect("web push");
    assert_eq!(req.path, "/push/sub-bob");
    assert_eq!(req.header("content-encoding"), "aes128gcm");
    assert!(req.header("authorization").starts_with("vapid t="));
    assert!(req.header("ttl").parse::<u64>().is_ok());
    // Encrypted: the text does not appear in the body.
    assert!(!String::from_utf8_lossy(&req.body).contains("wall"));

    // Dave's endpoint said 410: his registration is removed.
    assert_eq!(
        gone.wait(WAIT).await.expect("dave's endpoint").path,
        "/dave"
    );
    let d = dave.clone();
    eventually(WAIT, "dave's push target removed", move || {
        let d = d.clone();
        async move {
            d.devices()
                .await
                .is_ok_and(|l| l.devices.iter().all(|x| x.push.is_none()))
        }
    })
    .await;
    // Erin's endpoint failed once with 503 and got the retry.
    assert_eq!(
        flaky.wait(WAIT).await.expect("erin, first try").path,
        "/erin"
    );
    assert_eq!(flaky.wait(WAIT).await.expect("erin, retry").path, "/erin");

    // A burst in the same channel collapses (one push per device and channel per
    // interval); a message in another channel still gets through, after the burst.
    for i in 0..3 {
        sender.send(g.id, &format!("burst-{i}"), "more").await;
    }
    // Stored (and so queued for push) before the 1:1 message is sent.
    let (a, gid) = (alice.clone(), g.id);
    eventually(WAIT, "the burst stored", move || {
        let a = a.clone();
        async move {
            a.history(gid, &Default::default())
                .await
                .is_ok_and(|p| p.head_seq >= 5)
        }
    })
    .await;
    let dm = alice.open_dm(bob_id).await.unwrap();
    sender.send(dm.id, "dm-1", "just you").await;
    let req = hook.wait(WAIT).await.expect("bob's webhook, 1:1");
    assert_eq!(req.path, "/bob");
    assert_eq!(req.json()["body"], "just you");
    // Nothing went to Carol (online) or Frank (muted), nor more to Bob's webhook.
    hook.assert_idle();
}
