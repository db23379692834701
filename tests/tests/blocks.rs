//! Blocking, tried the way a blocked user would try to get through: a 1:1 message
//! (either way), typing and reactions in it, a new 1:1 channel, a group created with
//! or extended by the blocker, the blocker's presence, and notifications of messages
//! in a group both are in. Each is refused or withheld; the group's messages stay
//! visible; unblocking restores everything.

use std::time::Duration;

use natter_protocol::ErrorCode;
use natter_protocol::http::{PushPlatform, PushTarget};
use natter_protocol::ws::ClientOp;
use natter_push::testing::serve;
use natter_tests::{
    Device, System, api_code as code, eventually, seen_online as sees_online, user,
};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_user_cannot_reach_the_blocker_by_any_path() {
    let mut sys = System::start(BIN, 1).await;
    let mut hook = serve(|_| (200, "{}".into())).await;
    sys.start_push_worker(Some(&json!({"webhook": {}})));
    let c = sys.client(0);
    let (alice, alice_id) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, carol_id) = user(&c, "carol").await;
    let (dave, dave_id) = user(&c, "dave").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let group = carol
        .create_group("climbing", &[alice_id, bob_id])
        .await
        .expect("group");
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    a.send(dm.id, "before", "hi bob").await;
    // Bob is offline, with a push target; his presence was visible to Alice.
    bob.register_push(
        "bob-phone",
        PushTarget {
            platform: PushPlatform::Webhook,
            token: format!("{}/bob", hook.base),
            p256dh: None,
            auth: None,
        },
    )
    .await
    .expect("push target");
    assert_eq!(sees_online(&alice, bob_id).await, Some(false));

    // Bob blocks Alice and Dave (with whom he never spoke).
    bob.block(alice_id).await.expect("block");
    bob.block(alice_id)
        .await
        .expect("blocking again changes nothing");
    bob.block(dave_id).await.expect("block");
    let blocked: Vec<u64> = bob
        .blocks()
        .await
        .expect("list")
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(blocked.len(), 2);
    assert!(blocked.contains(&alice_id) && blocked.contains(&dave_id));
    assert_eq!(code(bob.block(bob_id).await), Some(ErrorCode::BadRequest));

    // 1:1: nothing goes through, either way, nor typing, nor a reaction.
    let err = a
        .send_op(ClientOp::Send {
            channel: dm.id,
            client_msg_id: "after".into(),
            text: "why?".into(),
            reply_to: None,
            forward: None,
            attachments: Vec::new(),
        })
        .await;
    assert_eq!(err, Err(ErrorCode::Forbidden));
    a.conn.typing(dm.id).await.expect("frame sent");
    assert_eq!(a.next_error().await, ErrorCode::Forbidden);
    let (mut b, _) = Device::connect(&bob, "bob-1").await;
    let err = b
        .send_op(ClientOp::Send {
            channel: dm.id,
            client_msg_id: "b1".into(),
            text: "unblock first".into(),
            reply_to: None,
            forward: None,
            attachments: Vec::new(),
        })
        .await;
    assert_eq!(err, Err(ErrorCode::Forbidden), "the blocker neither");
    b.close().await;
    assert_eq!(
        code(alice.react(dm.id, 1, "👍", true).await),
        Some(ErrorCode::Forbidden)
    );
    // A new 1:1 channel: refused to the blocked one, and to the blocker.
    assert_eq!(code(dave.open_dm(bob_id).await), Some(ErrorCode::Forbidden));
    assert_eq!(code(bob.open_dm(dave_id).await), Some(ErrorCode::Forbidden));
    // Groups: Alice cannot put Bob in one, in any way; Carol still can.
    assert_eq!(
        code(alice.create_group("trap", &[bob_id]).await),
        Some(ErrorCode::Forbidden)
    );
    let mine = alice
        .create_group("mine", &[carol_id])
        .await
        .expect("a group without bob");
    assert_eq!(
        code(alice.add_members(mine.id, &[bob_id]).await),
        Some(ErrorCode::Forbidden)
    );
    carol
        .create_group("both", &[alice_id, bob_id])
        .await
        .expect("someone else may put them in one group");
    // Presence: Bob's is hidden from Alice, not from Carol.
    assert_eq!(sees_online(&alice, bob_id).await, None);
    assert_eq!(sees_online(&carol, bob_id).await, Some(false));

    // The shared group: Alice's message is there for Bob, but notifies him not;
    // Carol's, sent after it, does.
    a.send(group.id, "g1", "alice in the group").await;
    let (mut cd, _) = Device::connect(&carol, "carol-1").await;
    cd.send(group.id, "g2", "carol in the group").await;
    // (Anything before: the pushes of the 1:1 messages from before the block.)
    loop {
        let pushed = hook.wait(WAIT).await.expect("carol's message notifies bob");
        let body = pushed.json()["body"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_ne!(body, "alice in the group", "a blocked sender notified");
        if body == "carol in the group" {
            break;
        }
    }
    let history = bob.full_history(group.id).await.expect("history");
    assert!(history.iter().any(|m| m.text == "alice in the group"));
    // (Alice's push, had it been queued, went out with or before Carol's.)
    hook.assert_idle();

    // Unblocked: everything again.
    bob.unblock(alice_id).await.expect("unblock");
    assert_eq!(
        bob.blocks().await.expect("list").len(),
        1,
        "dave stays blocked"
    );
    eventually(WAIT, "alice can write to bob again", || {
        let alice = alice.clone();
        async move { alice.react(dm.id, 1, "👍", true).await.is_ok() }
    })
    .await;
    a.send(dm.id, "after-unblock", "friends again").await;
    assert_eq!(sees_online(&alice, bob_id).await, Some(false));
    alice
        .create_group("friends", &[bob_id])
        .await
        .expect("a group with bob again");
}
