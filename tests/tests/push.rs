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

/// The store worker queues push jobs only for recipients with no online device: a
/// conversation between two online users adds nothing to the push queue, and a
/// message to an offline user does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_jobs_are_queued_only_for_offline_recipients() {
    let sys = System::start(BIN, 1).await;
    let c0 = sys.client(0);
    let (alice, _) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    let (_carol, carol_id) = user(&c0, "carol").await;
    let (mut a, _) = Device::connect(&alice, "a").await;
    let (mut b, _) = Device::connect(&bob, "b").await;
    let a2 = alice.clone();
    eventually(WAIT, "bob online", move || {
        let a2 = a2.clone();
        async move { online(&a2, bob_id).await }
    })
    .await;
    let dm = alice.open_dm(bob_id).await.unwrap().id;
    for i in 0..5 {
        a.send(dm, &format!("m{i}"), "both online").await;
    }
    b.messages(5).await;
    let nats = natter_nats::connect(&sys.nats.url(), "test").await.unwrap();
    let js = async_nats::jetstream::new(nats);
    let queued = || {
        let js = js.clone();
        async move {
            let mut s = js
                .get_stream(natter_nats::layout::PUSH_STREAM)
                .await
                .expect("push stream");
            s.info().await.expect("info").state.last_sequence
        }
    };
    // The messages are applied (delivered) and the queuer's window has passed.
    let worker = sys.worker.as_ref().expect("worker");
    eventually(WAIT, "the online recipient skipped", || async {
        worker
            .metric("natter_store_push_skipped_online_total")
            .await
            >= 1.0
    })
    .await;
    assert_eq!(queued().await, 0, "no job for an online recipient");
    let dm2 = alice.open_dm(carol_id).await.unwrap().id;
    a.send(dm2, "c1", "carol is away").await;
    eventually(WAIT, "a job for the offline recipient", || async {
        queued().await == 1
    })
    .await;
}

/// A push job queued twice (a replayed log, a batch queued again) is delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_queued_twice_is_pushed_once() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    // Without collapsing, only the dedupe of jobs can keep a repeat from going out.
    sys.start_push_worker_with(
        Some(&json!({ "webhook": {}, "timeout_ms": 5000 })),
        &["--push-collapse-secs", "0"],
    );
    let c0 = sys.client(0);
    let (alice, alice_id) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    bob.register_push(
        "b",
        target(PushPlatform::Webhook, format!("{}/bob", hook.base)),
    )
    .await
    .unwrap();
    let dm = alice.open_dm(bob_id).await.unwrap().id;
    let nats = natter_nats::connect(&sys.nats.url(), "test").await.unwrap();
    let js = async_nats::jetstream::new(nats);
    let job = |channel: u64, seq: u64| natter_protocol::internal::PushBatch {
        jobs: vec![natter_protocol::internal::PushJob {
            channel_id: channel,
            seq,
            sender_id: alice_id,
            preview: format!("message {seq}"),
            recipients: vec![bob_id],
            mentions: Vec::new(),
        }],
    };
    for (n, channel, seq) in [(1, dm, 7), (2, dm, 7), (3, dm, 8)] {
        js.send_publish(
            natter_nats::subjects::push_jobs(0),
            async_nats::jetstream::message::PublishMessage::build()
                .payload(natter_protocol::internal::encode(&job(channel, seq)).into())
                .message_id(format!("test-{n}")),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }
    // Batches are handled side by side: the two pushes may come in either order.
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let got = hook.wait(WAIT).await.expect("a push");
        bodies.push(got.json()["body"].as_str().unwrap_or_default().to_string());
    }
    bodies.sort();
    assert_eq!(
        bodies,
        ["message 7", "message 8"],
        "seq 7 was not pushed twice"
    );
    // Once the repeat has been dropped, nothing more can come.
    let push = sys.push.as_ref().expect("push worker");
    eventually(WAIT, "the repeat dropped", || async {
        push.metric("natter_push_repeats_dropped_total").await >= 1.0
    })
    .await;
    hook.assert_idle();
}

/// Users choose webhook URLs: by default a push never reaches the service's own
/// network (loopback here; private and link-local ranges alike, unit-tested in
/// `push/src/targets.rs` with a resolver that maps names to them). The same target
/// is delivered once an operator allows its network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_to_internal_addresses_are_refused_unless_allowed() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    sys.start_push_worker_with(
        Some(&json!({ "webhook": {}, "timeout_ms": 5000, "allowed_networks": [] })),
        &["--push-collapse-secs", "0"],
    );
    let c0 = sys.client(0);
    let (alice, alice_id) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    bob.register_push(
        "b",
        target(PushPlatform::Webhook, format!("{}/bob", hook.base)),
    )
    .await
    .unwrap();
    let dm = alice.open_dm(bob_id).await.unwrap().id;
    let nats = natter_nats::connect(&sys.nats.url(), "test").await.unwrap();
    let js = async_nats::jetstream::new(nats);
    let push_job = |seq: u64| {
        let js = js.clone();
        async move {
            let batch = natter_protocol::internal::PushBatch {
                jobs: vec![natter_protocol::internal::PushJob {
                    channel_id: dm,
                    seq,
                    sender_id: alice_id,
                    preview: format!("message {seq}"),
                    recipients: vec![bob_id],
                    mentions: Vec::new(),
                }],
            };
            js.send_publish(
                natter_nats::subjects::push_jobs(0),
                async_nats::jetstream::message::PublishMessage::build()
                    .payload(natter_protocol::internal::encode(&batch).into())
                    .message_id(format!("ssrf-{seq}")),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        }
    };
    push_job(1).await;
    let push = sys.push.as_ref().expect("push worker");
    eventually(WAIT, "the loopback target refused", || async {
        push.metric("natter_push_targets_refused_total").await >= 1.0
    })
    .await;
    hook.assert_idle();
    // Allowed by the operator: delivered.
    sys.start_push_worker_with(
        Some(&json!({ "webhook": {}, "timeout_ms": 5000, "allowed_networks": ["127.0.0.0/8"] })),
        &["--push-collapse-secs", "0"],
    );
    push_job(2).await;
    let got = hook.wait(WAIT).await.expect("delivered once allowed");
    assert_eq!(got.json()["body"], "message 2");
}

/// A webhook that accepts and never answers holds only its own batch (each attempt
/// waits out the request timeout, about 40 s in all here): another user's push,
/// queued right after, arrives meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_webhook_does_not_delay_other_users_pushes() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    // Accepts connections and never answers them.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_url = format!("http://{}/bob", hang.local_addr().unwrap());
    let _hanging = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = hang.accept().await {
            held.push(conn);
        }
    });
    sys.start_push_worker_with(
        Some(&json!({ "webhook": {}, "timeout_ms": 10000 })),
        &["--push-collapse-secs", "0"],
    );
    let c0 = sys.client(0);
    let (alice, alice_id) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    let (carol, carol_id) = user(&c0, "carol").await;
    bob.register_push("b", target(PushPlatform::Webhook, hang_url))
        .await
        .unwrap();
    carol
        .register_push(
            "c",
            target(PushPlatform::Webhook, format!("{}/carol", hook.base)),
        )
        .await
        .unwrap();
    let to_bob = alice.open_dm(bob_id).await.unwrap().id;
    let to_carol = alice.open_dm(carol_id).await.unwrap().id;
    let nats = natter_nats::connect(&sys.nats.url(), "test").await.unwrap();
    let js = async_nats::jetstream::new(nats);
    for (n, channel, recipient) in [(1, to_bob, bob_id), (2, to_carol, carol_id)] {
        let batch = natter_protocol::internal::PushBatch {
            jobs: vec![natter_protocol::internal::PushJob {
                channel_id: channel,
                seq: 1,
                sender_id: alice_id,
                preview: format!("message {n}"),
                recipients: vec![recipient],
                mentions: Vec::new(),
            }],
        };
        js.send_publish(
            natter_nats::subjects::push_jobs(0),
            async_nats::jetstream::message::PublishMessage::build()
                .payload(natter_protocol::internal::encode(&batch).into())
                .message_id(format!("hang-{n}")),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }
    let got = hook
        .wait(WAIT)
        .await
        .expect("carol's push while bob's hangs");
    assert_eq!(got.json()["body"], "message 2");
}

/// Where a member chose "mentions only", a message notifies them only if it
/// mentions them; the channel list counts their unread mentions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_only_channels_push_only_what_mentions_the_user() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    sys.start_push_worker(Some(&json!({"webhook": {}, "timeout_ms": 5000})));
    let c0 = sys.client(0);
    let (alice, _) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    let (carol, carol_id) = user(&c0, "carol").await;
    let (erin, erin_id) = user(&c0, "erin").await;
    for (who, name) in [(&bob, "bob"), (&erin, "erin")] {
        let t = target(PushPlatform::Webhook, format!("{}/{name}", hook.base));
        who.register_push(name, t).await.unwrap();
    }
    let g = alice
        .create_group("Mentions", &[bob_id, carol_id, erin_id])
        .await
        .unwrap();
    bob.set_notifications(g.id, natter_protocol::http::NotifyLevel::Mentions)
        .await
        .unwrap();
    let (mut sender, _) = Device::connect(&alice, "a").await;
    sender.send(g.id, "m1", "nothing for bob here").await;
    // Erin (all messages) is notified of it: its batch went through the push worker,
    // which would have notified bob beside her.
    let req = hook.wait(WAIT).await.expect("erin's webhook");
    assert_eq!(
        (req.path.as_str(), req.json()["body"].as_str()),
        ("/erin", Some("nothing for bob here"))
    );
    sender
        .send(g.id, "m2", "@Bob, @carol and @nobody: look")
        .await;
    // Erin may hear of it too (or not: pushes of one channel collapse); bob's first
    // push must be this one.
    let req = loop {
        let req = hook.wait(WAIT).await.expect("bob's webhook");
        if req.path == "/bob" {
            break req;
        }
    };
    assert_eq!(
        req.json()["body"].as_str(),
        Some("@Bob, @carol and @nobody: look"),
        "bob's first push is the one that mentions him"
    );

    let list = bob.channels(None, None).await.unwrap();
    let summary = list.channels.iter().find(|c| c.id == g.id).unwrap();
    assert_eq!(
        (summary.unread_mentions, summary.notifications),
        (1, natter_protocol::http::NotifyLevel::Mentions)
    );
    let page = carol.history(g.id, &Default::default()).await.unwrap();
    let m = page.messages.last().unwrap();
    let mut mentioned = m.mentions.clone();
    mentioned.sort_unstable();
    let mut want = vec![bob_id, carol_id];
    want.sort_unstable();
    assert_eq!(mentioned, want, "members only, each once");
}

/// Waits until every queued push job was handled (a work queue: handled jobs
/// leave it).
async fn push_queue_drained(sys: &System) {
    let nats = natter_nats::connect(&sys.nats.url(), "test").await.unwrap();
    let js = async_nats::jetstream::new(nats);
    eventually(WAIT, "the push queue drained", || {
        let js = js.clone();
        async move {
            let Ok(mut stream) = js.get_stream(natter_nats::layout::PUSH_STREAM).await else {
                return false;
            };
            stream.info().await.is_ok_and(|i| i.state.messages == 0)
        }
    })
    .await;
}

/// A message deleted for everyone while its push job waited in the queue is not
/// announced; the job of one that still stands is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_push_of_a_deleted_message_is_not_sent() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    let config = json!({ "webhook": {}, "timeout_ms": 5000 });
    let c0 = sys.client(0);
    let (alice, _) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    bob.register_push(
        "b",
        target(PushPlatform::Webhook, format!("{}/bob", hook.base)),
    )
    .await
    .unwrap();
    let dm = alice.open_dm(bob_id).await.unwrap().id;
    // No push worker runs while the jobs are queued and the first message deleted.
    sys.push = None;
    let (mut a, _) = Device::connect(&alice, "a").await;
    a.send(dm, "gone", "regrettable").await;
    a.send(dm, "kept", "fine").await;
    let seqs: Vec<u64> = a.messages(2).await.iter().map(|m| m.seq).collect();
    alice.delete_message(dm, seqs[0]).await.unwrap();
    sys.start_push_worker_with(Some(&config), &["--push-collapse-secs", "0"]);
    let got = hook.wait(WAIT).await.expect("the kept message's push");
    assert_eq!(got.json()["body"], "fine");
    // Once every queued job is handled (a work queue: handled jobs leave it),
    // nothing else went out: a push of the deleted one is made before its job's ack.
    push_queue_drained(&sys).await;
    while let Some(extra) = hook.wait(Duration::from_millis(1)).await {
        assert_ne!(
            extra.json()["body"],
            "regrettable",
            "the deleted message was announced"
        );
    }
}

/// A deleted account's messages whose pushes waited in the queue are not
/// announced (their text and their author's name are gone); others' are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_pushes_of_a_deleted_accounts_messages_are_not_sent() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    let config = json!({ "webhook": {}, "timeout_ms": 5000 });
    let c0 = sys.client(0);
    let (alice, _) = user(&c0, "alice").await;
    let (carol, _) = user(&c0, "carol").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    bob.register_push(
        "b",
        target(PushPlatform::Webhook, format!("{}/bob", hook.base)),
    )
    .await
    .unwrap();
    let from_alice = alice.open_dm(bob_id).await.unwrap().id;
    let from_carol = carol.open_dm(bob_id).await.unwrap().id;
    sys.push = None;
    let (mut a, _) = Device::connect(&alice, "a").await;
    a.send(from_alice, "secret", "zebra crossing at noon").await;
    let (mut c, _) = Device::connect(&carol, "c").await;
    c.send(from_carol, "kept", "fine").await;
    alice.delete_account("password-alice").await.unwrap();
    eventually(WAIT, "alice's message erased", || {
        let bob = bob.clone();
        async move {
            bob.full_history(from_alice)
                .await
                .is_ok_and(|h| h.iter().all(|m| !m.text.contains("zebra")))
        }
    })
    .await;
    sys.start_push_worker_with(Some(&config), &["--push-collapse-secs", "0"]);
    let got = hook.wait(WAIT).await.expect("carol's message's push");
    assert_eq!(got.json()["body"], "fine");
    push_queue_drained(&sys).await;
    while let Some(extra) = hook.wait(Duration::from_millis(1)).await {
        let body = extra.json().to_string().to_lowercase();
        assert!(
            !body.contains("zebra") && !body.contains("alice"),
            "the deleted account's message was announced: {body}"
        );
    }
}

/// A message of files without a caption is named by what it carries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_without_a_caption_is_named_in_its_push() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    sys.start_push_worker(Some(&json!({"webhook": {}, "timeout_ms": 5000})));
    let c0 = sys.client(0);
    let (alice, _) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    let t = target(PushPlatform::Webhook, format!("{}/bob", hook.base));
    bob.register_push("bob", t).await.unwrap();
    let dm = alice.open_dm(bob_id).await.unwrap();
    let pdf = alice
        .upload(dm.id, "plan.pdf", "", b"%PDF-1.7 the plan".to_vec())
        .await
        .unwrap();
    let (mut sender, _) = Device::connect(&alice, "a").await;
    sender
        .send_op(natter_protocol::ws::ClientOp::Send {
            channel: dm.id,
            client_msg_id: "f1".into(),
            text: String::new(),
            reply_to: None,
            forward: None,
            attachments: vec![pdf.id],
        })
        .await
        .unwrap();
    let req = hook.wait(WAIT).await.expect("bob's webhook");
    assert_eq!(req.json()["body"].as_str(), Some("File: plan.pdf"));
}
