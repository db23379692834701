//! Services on a NATS server with the shipped per-service users and permissions:
//! the system works end to end, and an edge's credentials cannot do a store worker's
//! job (answer RPCs, publish membership notices or push jobs).

use std::time::Duration;

use natter_protocol::http::Profile;
use natter_protocol::internal::{BulkUser, BulkUsersReq};
use natter_tests::{Device, System, user};
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Connects as `url`'s user and forwards the server's error reports.
async fn connect_watching(url: &str) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let addr: async_nats::ServerAddr = url.parse().expect("url");
    let client = async_nats::ConnectOptions::with_user_and_password(
        addr.username().unwrap_or_default().into(),
        addr.password().unwrap_or_default().into(),
    )
    .event_callback(move |ev| {
        let tx = tx.clone();
        async move {
            if let async_nats::Event::ServerError(e) = ev {
                let _ = tx.send(e.to_string());
            }
        }
    })
    .connect(addr)
    .await
    .expect("connect");
    (client, rx)
}

async fn violation(errors: &mut mpsc::UnboundedReceiver<String>, subject: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let e = tokio::time::timeout_at(deadline, errors.recv())
            .await
            .unwrap_or_else(|_| panic!("no permissions violation for {subject}"))
            .expect("connection open");
        if e.to_lowercase().contains("permissions violation") && e.contains(subject) {
            return;
        }
    }
}

/// `admin.users.create` over NATS, as `natter bench` does.
async fn bulk(admin: &async_nats::Client, req: &BulkUsersReq) -> Vec<Profile> {
    natter_nats::rpc::ADMIN_USERS_CREATE
        .call(admin, req)
        .await
        .expect("bulk accounts made")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_work_under_their_own_nats_users_and_an_edge_cannot_act_as_a_store() {
    let sys = System::start_secured(BIN, 1).await;
    // End to end under the permissions: sign-up, a group, a message both ways.
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let g = alice.create_group("Secured", &[bob_id]).await.unwrap();
    let (mut a, _) = Device::connect(&alice, "a").await;
    let (mut b, caught_up) = Device::connect(&bob, "b").await;
    assert_eq!(caught_up.len(), 1);
    a.send(g.id, "m1", "hello under permissions").await;
    assert_eq!(b.messages(1).await[0].text, "hello under permissions");
    assert!(bob.user(bob_id).await.unwrap().presence.is_some());
    // Push works under the push worker's permissions: Bob goes offline, gets one.
    let mut hook = natter_push::testing::serve(|_| (200, "{}".into())).await;
    bob.register_push(
        "b-hook",
        natter_protocol::http::PushTarget {
            platform: natter_protocol::http::PushPlatform::Webhook,
            token: format!("{}/bob", hook.base),
            p256dh: None,
            auth: None,
        },
    )
    .await
    .unwrap();
    b.close().await;
    let a2 = alice.clone();
    natter_tests::eventually(Duration::from_secs(30), "bob offline", move || {
        let a2 = a2.clone();
        async move {
            a2.user(bob_id)
                .await
                .ok()
                .and_then(|p| p.presence)
                .is_some_and(|p| !p.online)
        }
    })
    .await;
    a.send(g.id, "m2", "are you there?").await;
    // The push for m2; or, when Bob's coming online was seen late, a push for m1
    // (presence is asked when a job is handled), into which m2's then collapses (one
    // notification per device and channel within the collapse interval).
    let req = hook.wait(Duration::from_secs(30)).await.expect("a push");
    let body = req.json()["body"].as_str().unwrap_or_default().to_string();
    assert!(
        ["are you there?", "hello under permissions"].contains(&body.as_str()),
        "push body {body:?}"
    );

    // The edge's user may not listen where store workers answer ...
    let (edge, mut errors) = connect_watching(&sys.nats_url_as("edge")).await;
    let _sub = edge.subscribe("rpc.>").await.unwrap();
    violation(&mut errors, "rpc.>").await;
    // ... nor publish what only store workers publish.
    edge.publish("membership.1", "".into()).await.unwrap();
    violation(&mut errors, "membership.1").await;
    edge.publish("pushjobs.0", "".into()).await.unwrap();
    violation(&mut errors, "pushjobs.0").await;
    // ... nor make accounts in bulk, which the admin user can.
    edge.publish("admin.users.create", "".into()).await.unwrap();
    violation(&mut errors, "admin.users.create").await;
    // ... nor read the log through the JetStream API, nor change or delete a stream.
    for subject in [
        "$JS.API.DIRECT.GET.LOG",
        "$JS.API.CONSUMER.CREATE.LOG",
        "$JS.API.STREAM.UPDATE.LOG",
        "$JS.API.STREAM.PURGE.LOG",
        "$JS.API.STREAM.DELETE.PUSH",
    ] {
        edge.publish(subject, "{}".into()).await.unwrap();
        violation(&mut errors, subject).await;
    }
    // ... nor hold a partition's lease ...
    edge.publish("$KV.partition_leases.p0", "".into())
        .await
        .unwrap();
    violation(&mut errors, "$KV.partition_leases.p0").await;
    // ... nor read another service's replies (store workers' RPC answers to the push
    // worker, presence answers to the store worker, …).
    for inbox in ["_INBOX.>", "_INBOX_store.>", "_INBOX_push.>"] {
        let _sub = edge.subscribe(inbox).await.unwrap();
        violation(&mut errors, inbox).await;
    }
    // The presence user may not write a lease (which once stalled a partition for
    // good) nor an idgen lease, nor touch the revocation list (deleting an entry
    // would bring an ended session back).
    let (presence, mut presence_errors) = connect_watching(&sys.nats_url_as("presence")).await;
    for subject in [
        "$KV.partition_leases.p0",
        "$KV.idgen_leases.w1",
        "$KV.revoked.s.1",
    ] {
        presence.publish(subject, "".into()).await.unwrap();
        violation(&mut presence_errors, subject).await;
    }
    // The push user may not delete a stream's messages (which once made every send
    // `unavailable`), purge the log or read it.
    let (push, mut push_errors) = connect_watching(&sys.nats_url_as("push")).await;
    for subject in [
        "$JS.API.STREAM.MSG.DELETE.LOG",
        "$JS.API.STREAM.DELETE.LOG",
        "$JS.API.STREAM.PURGE.LOG",
        "$JS.API.DIRECT.GET.LOG",
        "$KV.partition_leases.p0",
        "$KV.revoked.s.1",
    ] {
        push.publish(subject, "{}".into()).await.unwrap();
        violation(&mut push_errors, subject).await;
    }
    let _sub = push.subscribe("_INBOX_edge.>").await.unwrap();
    violation(&mut push_errors, "_INBOX_edge.>").await;
    // And after all that, the system still works, and no service of it met a
    // permission it lacked.
    a.send(g.id, "m3", "still here").await;
    let (mut b, caught_up) = Device::connect(&bob, "b").await;
    assert!(
        caught_up.iter().any(|m| m.text == "still here"),
        "bob's catch-up: {caught_up:?}"
    );
    // An edge credential may not publish a user's events (only typing notices) ...
    let events = format!("user.{bob_id}.e");
    edge.publish(events.clone(), "{}".into()).await.unwrap();
    violation(&mut errors, &events).await;
    // ... and a forged message on a typing subject, with a seq far ahead, is dropped
    // by Bob's edge: his next real message is neither hidden nor preceded by it.
    let mut forged_headers = natter_nats::headers::json_event("message");
    forged_headers.insert(natter_nats::headers::CHANNEL, g.id.to_string().as_str());
    forged_headers.insert(natter_nats::headers::SEQ, "1000");
    let forged = serde_json::json!({
        "type": "message", "channel": g.id.to_string(), "seq": 1000,
        "message_id": "1", "sender": "1", "client_msg_id": "x", "text": "forged",
        "sent_at": 0
    });
    edge.publish_with_headers(
        natter_nats::subjects::user_typing(bob_id),
        forged_headers,
        forged.to_string().into(),
    )
    .await
    .unwrap();
    a.send(g.id, "m4", "after the forgery").await;
    let got = b.messages(1).await;
    assert_eq!(got[0].text, "after the forgery");
    // An edge credential may append to the log (that is its job), but an append it
    // did not sign with the edges' key is dropped by the owner: a sender forged
    // without a signature, one signed with another key, and a signed append moved
    // to another partition's subject (the signature covers the subject).
    let forged_log = |text: &str| {
        let send = natter_protocol::internal::StreamSend {
            message_id: rand::random::<u64>() >> 1,
            channel_id: g.id,
            sender_id: bob_id,
            client_msg_id: format!("forged-{text}"),
            text: text.into(),
            sent_at_ms: 1,
            reply_to: None,
            forwarded: false,
            mentions: Vec::new(),
            attachments: Vec::new(),
        };
        natter_protocol::internal::encode(&natter_protocol::internal::LogBatch {
            entries: vec![natter_protocol::internal::LogEntry::Send(send)],
        })
    };
    let partitions = natter_tests::PARTITIONS;
    let p = natter_nats::layout::partition_of(g.id, partitions);
    let subject = natter_nats::subjects::channel_log(p, g.id);
    let other_subject = natter_nats::subjects::partition_log_multi((p + 1) % partitions);
    let wrong_key = natter_nats::log_auth::LogKeys::derive([(
        natter_tests::TEST_KEY_ID,
        &b"not the edges' key, 32 bytes long"[..],
    )]);
    let mut appends = vec![(subject.clone(), forged_log("unsigned"), None)];
    let payload = forged_log("wrong key");
    let mac = wrong_key.sign(&subject, &payload);
    appends.push((subject.clone(), payload, mac));
    let edge_keys = natter_nats::log_auth::LogKeys::derive([(
        natter_tests::TEST_KEY_ID,
        &natter_tests::test_key_secret()[..],
    )]);
    let payload = forged_log("moved");
    let mac = edge_keys.sign(&subject, &payload);
    appends.push((other_subject, payload, mac));
    for (subject, payload, mac) in appends {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            natter_nats::headers::CONTENT_TYPE,
            natter_nats::headers::MSGPACK,
        );
        if let Some(mac) = mac {
            headers.insert(natter_nats::log_auth::LOG_MAC, mac.as_str());
        }
        edge.publish_with_headers(subject, headers, payload.into())
            .await
            .unwrap();
    }
    edge.flush().await.unwrap();
    a.send(g.id, "m5", "after the forged appends").await;
    let got = b.messages(1).await;
    assert_eq!(got[0].text, "after the forged appends");
    let history = bob.history(g.id, &Default::default()).await.unwrap();
    assert!(
        history
            .messages
            .iter()
            .all(|m| !["unsigned", "wrong key", "moved"].contains(&m.text.as_str())),
        "a forged append was stored: {:?}",
        history.messages
    );
    // Nor may it move a device's cursor past messages it has not got (which would
    // hide them from the device's catch-up) without the edges' signature.
    b.close().await;
    a.send(g.id, "m6", "while bob was away").await;
    let bob2 = bob.clone();
    natter_tests::eventually(Duration::from_secs(10), "m6 stored", move || {
        let bob2 = bob2.clone();
        async move {
            bob2.history(g.id, &Default::default())
                .await
                .is_ok_and(|h| h.messages.iter().any(|m| m.text == "while bob was away"))
        }
    })
    .await;
    let as_edge = natter_nats::connect(&sys.nats_url_as("edge"), "attacker")
        .await
        .unwrap();
    // Connected (the client connects in the background).
    as_edge.flush().await.unwrap();
    for mac in [None, wrong_key.sign("cursor.0", b"")] {
        let forged = natter_protocol::internal::CursorMovesReq {
            moves: vec![(bob_id, "b".into(), g.id, 1000)],
            mac,
        };
        // Answered once handled (the owner does not tell a forger what it dropped).
        natter_nats::rpc::CURSOR_MOVES
            .call_shard(&as_edge, p, &forged)
            .await
            .unwrap();
    }
    let (_b, caught_up) = Device::connect(&bob, "b").await;
    assert!(
        caught_up.iter().any(|m| m.text == "while bob was away"),
        "bob's catch-up after a forged cursor move: {caught_up:?}"
    );
    let logs = sys.logs().to_lowercase();
    assert!(
        !logs.contains("permissions violation"),
        "a service lacked a permission:\n{logs}"
    );
    let (admin, _) = connect_watching(&sys.nats_url_as("admin")).await;
    let req = BulkUsersReq {
        users: (0..300)
            .map(|i| BulkUser {
                username: format!("bulk{i}"),
                display_name: format!("Bulk {i}"),
            })
            .collect(),
        password: "bulk-password".into(),
    };
    let made: Vec<Profile> = bulk(&admin, &req).await;
    assert_eq!(made.len(), 300);
    assert_eq!(made[7].username, "bulk7");
    // Asking again returns the same accounts; they log in with the password.
    let again: Vec<Profile> = bulk(&admin, &req).await;
    assert_eq!(
        again.iter().map(|p| p.id).collect::<Vec<_>>(),
        made.iter().map(|p| p.id).collect::<Vec<_>>()
    );
    let login = sys
        .client(0)
        .login("bulk299", "bulk-password")
        .await
        .expect("login");
    assert_eq!(login.user.id, made[299].id);
    // Wrong password: refused.
    let wrong = sys
        .nats_url_as("edge")
        .replace("nats://edge:", "nats://edge:x");
    assert!(
        async_nats::ConnectOptions::new()
            .connect(wrong.as_str())
            .await
            .is_err()
    );
}
