//! Retention: with a maximum age set, a store worker's sweep removes older messages
//! in the background; history says where the kept ones start (its floor), unread
//! counts leave the expired ones out, a device that was away and a live message
//! after the floor never wait for what expired, and pins and single-message reads
//! find nothing below it. Groups' owners and admins set a retention of their own.

use std::time::Duration;

use natter_protocol::ErrorCode;
use natter_protocol::http::Role;
use natter_protocol::ws::SystemEvent;
use natter_tests::{Device, System, api_code as code, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_older_than_the_maximum_age_go_and_nothing_waits_for_them() {
    let mut sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    let (mut b, _) = Device::connect(&bob, "bob-1").await;
    a.send(dm.id, "m1", "old one").await;
    a.send(dm.id, "m2", "old two").await;
    alice.pin(dm.id, 1, true).await.expect("pin");
    let head = bob
        .history(dm.id, &Default::default())
        .await
        .expect("history")
        .head_seq;
    assert_eq!(b.messages(head as usize).await.len(), head as usize);
    assert_eq!(
        bob.channels(None, None).await.expect("list").channels[0].unread,
        head
    );

    // The server keeps messages eight seconds from now on, sweeping every second
    // (the new message below is checked well within its eight).
    sys.kill_worker();
    sys.start_worker_with(&["--max-message-age-secs", "8", "--retention-sweep-secs", "1"]);
    sys.wait_ready().await;
    eventually(Duration::from_secs(60), "the old messages expire", || {
        let bob = bob.clone();
        async move {
            bob.history(dm.id, &Default::default())
                .await
                .is_ok_and(|p| p.floor_seq == head + 1)
        }
    })
    .await;
    let page = bob
        .history(dm.id, &Default::default())
        .await
        .expect("history");
    assert!(page.messages.is_empty() && !page.has_more, "{page:?}");
    assert_eq!(
        code(bob.message(dm.id, 1).await),
        Some(ErrorCode::MessageNotFound)
    );
    assert!(bob.pins(dm.id).await.expect("pins").pins.is_empty());
    let listed = bob.channels(None, None).await.expect("list").channels;
    assert_eq!(
        (listed[0].unread, listed[0].head_seq),
        (0, head),
        "expired is not unread"
    );

    // A new message after the floor: live to the device that was there, and the
    // whole catch-up of a new device (which starts from nothing) without waiting
    // for the expired seqs.
    a.send(dm.id, "m3", "new").await;
    let got = b.messages(1).await;
    assert_eq!((got[0].seq, got[0].text.as_str()), (head + 1, "new"));
    let (_, caught_up) = Device::connect(&bob, "bob-2").await;
    assert_eq!(
        caught_up.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![head + 1]
    );
    let listed = bob.channels(None, None).await.expect("list").channels;
    assert_eq!(listed[0].unread, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_admins_set_a_groups_retention() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, carol_id) = user(&c, "carol").await;
    let g = alice
        .create_group("club", &[bob_id, carol_id])
        .await
        .expect("group");
    alice
        .set_role(g.id, bob_id, Role::Admin)
        .await
        .expect("bob admin");
    let (mut cd, _) = Device::connect(&carol, "carol-1").await;
    assert_eq!(
        code(carol.set_retention(g.id, 86_400).await),
        Some(ErrorCode::Forbidden),
        "a member may not"
    );
    for bad in [1, 3_599, 400 * 24 * 3_600 * 365] {
        assert_eq!(
            code(bob.set_retention(g.id, bad).await),
            Some(ErrorCode::BadRequest),
            "{bad}"
        );
    }
    let set = bob.set_retention(g.id, 86_400).await.expect("a day");
    assert_eq!(set.max_age_secs, Some(86_400));
    let again = bob.set_retention(g.id, 86_400).await.expect("again");
    assert_eq!(again.max_age_secs, Some(86_400));
    let cleared = alice.set_retention(g.id, 0).await.expect("cleared");
    assert_eq!(cleared.max_age_secs, None);
    // Members saw each change once, in order.
    let seen: Vec<_> = cd
        .messages(2)
        .await
        .into_iter()
        .map(|m| (m.sender, m.system))
        .collect();
    let alice_id = alice.me().await.expect("me").id;
    assert_eq!(
        seen,
        vec![
            (
                bob_id,
                Some(SystemEvent::RetentionChanged {
                    max_age_secs: 86_400
                })
            ),
            (
                alice_id,
                Some(SystemEvent::RetentionChanged { max_age_secs: 0 })
            ),
        ]
    );
    // A 1:1 channel has no retention of its own.
    let dm = alice.open_dm(bob_id).await.expect("dm");
    assert_eq!(
        code(alice.set_retention(dm.id, 86_400).await),
        Some(ErrorCode::NotAGroup)
    );
}
