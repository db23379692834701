//! Presence end to end: device keys with TTL heartbeats, the watcher's user-level
//! changes, a killed edge's users going offline, subscriptions.

use std::time::{Duration, Instant};

use natter_protocol::http::Presence;
use natter_protocol::ws::ServerEvent;
use natter_tests::{Device, PRESENCE_TTL_SECS, System, eventually, seen_online as online, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const WAIT: Duration = Duration::from_secs(30);

/// The next presence event `watcher` gets.
async fn next_presence(watcher: &mut Device) -> Presence {
    match watcher
        .wait_for(|e| matches!(e, ServerEvent::Presence(_)).then_some(()))
        .await
        .0
    {
        ServerEvent::Presence(p) => p,
        _ => unreachable!("filtered above"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_is_online_while_any_device_is_and_watchers_see_only_transitions() {
    let mut sys = System::start(BIN, 2).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let bob_on_1 = sys.client(1).with_token(bob.token().unwrap());

    let (mut watcher, _) = Device::connect(&alice, "a").await;
    watcher
        .conn
        .op(&natter_protocol::ws::ClientOp::PresenceSubscribe {
            users: vec![bob_id],
        })
        .await
        .unwrap();
    let first = next_presence(&mut watcher).await;
    assert_eq!(
        (first.user, first.online, first.last_seen),
        (bob_id, false, None)
    );

    // A device on edge 1: online. A second device on edge 0: no change.
    let (b1, _) = Device::connect(&bob_on_1, "bob-phone").await;
    let up = next_presence(&mut watcher).await;
    assert!(up.online);
    let (b2, _) = Device::connect(&bob, "bob-laptop").await;

    // Edge 1 dies with the phone's socket on it: the phone's key expires, the laptop
    // keeps Bob online.
    let nats = async_nats::connect(sys.nats.url().as_str()).await.unwrap();
    let js = async_nats::jetstream::new(nats);
    let shard = natter_nats::layout::presence_shard_of(bob_id, 2);
    let bucket = js
        .get_key_value(natter_nats::layout::presence_bucket(shard))
        .await
        .unwrap();
    let phone_key = natter_nats::subjects::presence_key(bob_id, "bob-phone");
    assert!(bucket.get(&phone_key).await.unwrap().is_some());
    sys.edges[1].kill();
    drop(b1);
    eventually(WAIT, "the phone's key expires", || {
        let (bucket, key) = (bucket.clone(), phone_key.clone());
        async move { matches!(bucket.get(&key).await, Ok(None)) }
    })
    .await;
    assert_eq!(online(&alice, bob_id).await, Some(true));

    // The laptop closes cleanly: offline at once, last seen now.
    let closed_at = now_ms();
    b2.close().await;
    let down = next_presence(&mut watcher).await;
    assert!(!down.online);
    let seen = down.last_seen.expect("last seen");
    assert!(
        seen + 1_000 >= closed_at,
        "last seen {seen}, closed at {closed_at}"
    );
    // Exactly the transitions: no event came for the second device or the phone.
    assert!(up.changed_at <= down.changed_at);
    assert_eq!(online(&alice, bob_id).await, Some(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_edges_users_go_offline_within_the_ttl() {
    let mut sys = System::start(BIN, 2).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (carol, carol_id) = user(&sys.client(1), "carol").await;
    let (_carol_dev, _) = Device::connect(&carol, "carol-phone").await;
    let a = alice.clone();
    eventually(WAIT, "carol shows online", move || {
        let a = a.clone();
        async move { online(&a, carol_id).await == Some(true) }
    })
    .await;
    let (mut watcher, _) = Device::connect(&alice, "a").await;
    watcher
        .conn
        .op(&natter_protocol::ws::ClientOp::PresenceSubscribe {
            users: vec![carol_id],
        })
        .await
        .unwrap();
    assert!(next_presence(&mut watcher).await.online);

    let killed_at = now_ms();
    let t0 = Instant::now();
    sys.edges[1].kill();
    let down = next_presence(&mut watcher).await;
    let took = t0.elapsed();
    assert!(!down.online);
    // Offline within the TTL and a few seconds; last seen at the last heartbeat.
    assert!(
        took <= Duration::from_secs(PRESENCE_TTL_SECS + 4),
        "offline after {took:?}"
    );
    let seen = down.last_seen.expect("last seen");
    assert!(
        seen <= killed_at && seen + (PRESENCE_TTL_SECS + 1) * 1_000 >= killed_at,
        "last seen {seen}, killed at {killed_at}"
    );
    let profile = alice.user(carol_id).await.unwrap();
    assert_eq!(profile.presence.map(|p| p.online), Some(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_subscriptions_are_capped_per_connection() {
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (mut d, _) = Device::connect(&alice, "a").await;
    let too_many: Vec<u64> = (1..=501).collect();
    d.conn
        .op(&natter_protocol::ws::ClientOp::PresenceSubscribe { users: too_many })
        .await
        .unwrap();
    assert_eq!(
        d.next_error().await,
        natter_protocol::ErrorCode::PresenceLimit
    );
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_reconnected_elsewhere_stays_online_when_its_old_socket_closes() {
    let sys = System::start(BIN, 2).await;
    let (dan, dan_id) = user(&sys.client(0), "dan").await;
    let dan_on_1 = sys.client(1).with_token(dan.token().unwrap());
    let (old, _) = Device::connect(&dan, "dan-phone").await;
    // The same device comes back through the other edge before its old socket goes.
    let (_new, _) = Device::connect(&dan_on_1, "dan-phone").await;
    old.close().await;
    // The old socket's delete expected its own revision: the newer key survives.
    let nats = async_nats::connect(sys.nats.url().as_str()).await.unwrap();
    let js = async_nats::jetstream::new(nats);
    let shard = natter_nats::layout::presence_shard_of(dan_id, 2);
    let bucket = js
        .get_key_value(natter_nats::layout::presence_bucket(shard))
        .await
        .unwrap();
    let key = natter_nats::subjects::presence_key(dan_id, "dan-phone");
    assert!(
        bucket.get(&key).await.unwrap().is_some(),
        "the device's key was deleted"
    );
    assert_eq!(online(&dan, dan_id).await, Some(true));
}

/// By default a user's presence is visible only to users who share a channel with
/// them: a stranger gets their profile without presence and no presence events;
/// once they share a channel, both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_is_visible_to_contacts_only_by_default() {
    let mut sys = System::start(BIN, 1).await;
    let i = sys.start_edge_with(&["--presence-visibility", "contacts"]);
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let alice = sys.client(i).with_token(alice.token().unwrap());
    let (_b, _) = Device::connect(&bob, "bob-phone").await;
    // A stranger: no presence in the profile, no event for a subscription.
    let profile = alice.user(bob_id).await.unwrap();
    assert!(profile.presence.is_none(), "{profile:?}");
    let (mut watcher, _) = Device::connect(&alice, "a").await;
    watcher
        .conn
        .op(&natter_protocol::ws::ClientOp::PresenceSubscribe {
            users: vec![bob_id],
        })
        .await
        .unwrap();
    // A ping answered proves the subscription was handled, and nothing came first.
    watcher
        .conn
        .op(&natter_protocol::ws::ClientOp::Ping {})
        .await
        .unwrap();
    loop {
        match watcher
            .conn
            .next_event(Duration::from_secs(20))
            .await
            .unwrap()
        {
            natter_protocol::ws::ServerEvent::Pong {} => break,
            natter_protocol::ws::ServerEvent::Presence(p) => panic!("a stranger's presence: {p:?}"),
            _ => {}
        }
    }
    // Contacts (a 1:1 channel): both.
    alice.open_dm(bob_id).await.unwrap();
    let profile = alice.user(bob_id).await.unwrap();
    assert_eq!(profile.presence.map(|p| p.online), Some(true));
    watcher
        .conn
        .op(&natter_protocol::ws::ClientOp::PresenceSubscribe {
            users: vec![bob_id],
        })
        .await
        .unwrap();
    let seen = next_presence(&mut watcher).await;
    assert_eq!((seen.user, seen.online), (bob_id, true));
}

/// A user who blocks a watcher stops reaching the watch already open: the
/// watcher gets no more of their presence (another watcher still does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_ends_the_blocked_users_open_watch_of_the_blocker() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, alice_id) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, _) = user(&c, "carol").await;
    let watch = natter_protocol::ws::ClientOp::PresenceSubscribe {
        users: vec![alice_id],
    };
    let (mut b, _) = Device::connect(&bob, "b").await;
    let (mut w, _) = Device::connect(&carol, "c").await;
    for d in [&mut b, &mut w] {
        d.conn.op(&watch).await.unwrap();
        assert_eq!(next_presence(d).await.user, alice_id);
    }
    alice.block(bob_id).await.expect("block");

    // Alice comes online: Carol sees it; then Carol writes to Bob. Bob's socket is
    // fed by one NATS connection, so a presence change of Alice still relayed to
    // him would come before Carol's message.
    let (_a, _) = Device::connect(&alice, "a").await;
    assert!(next_presence(&mut w).await.online);
    let dm = carol.open_dm(bob_id).await.unwrap();
    w.send(dm.id, "after", "after the change").await;
    loop {
        match b.conn.next_event(WAIT).await.expect("event") {
            ServerEvent::Presence(p) => {
                assert_ne!(p.user, alice_id, "the blocker's presence reached Bob");
            }
            ServerEvent::Message(m) if m.client_msg_id == "after" => break,
            _ => {}
        }
    }
}
