//! Changes to sent messages end to end: edit, delete for everyone and reactions, as
//! seq'd events every device gets in order (live and in catch-up), history in the
//! current state, the text erased everywhere on deletion, and typed refusals that
//! change nothing.

use natter_client::{Client, ClientError};
use natter_protocol::ErrorCode;
use natter_protocol::http::{HistoryQuery, Role};
use natter_protocol::ws::{ClientOp, MessageEvent, ServerEvent, SystemEvent};
use natter_tests::{Device, System, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn code<T: std::fmt::Debug>(r: Result<T, ClientError>) -> ErrorCode {
    match r {
        Err(ClientError::Api(e)) => e.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The next message event on `d`, which must be the change `want` describes.
async fn change(d: &mut Device, seq: u64) -> SystemEvent {
    let m = d.messages(1).await.remove(0);
    assert_eq!(m.seq, seq, "{m:?}");
    m.system.expect("a system event")
}

async fn head(c: &Client, channel: u64) -> u64 {
    c.history(channel, &HistoryQuery::default())
        .await
        .expect("history")
        .head_seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_deletions_and_reactions_reach_every_device_and_erase_the_text() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, carol_id) = user(&c, "carol").await;
    let (dave, _) = user(&c, "dave").await;
    let g = alice
        .create_group("friends", &[bob_id, carol_id])
        .await
        .expect("group");
    alice
        .set_role(g.id, carol_id, Role::Admin)
        .await
        .expect("admin");
    // Bob's second device registers, then stays away while everything happens.
    let (away, _) = Device::connect(&bob, "bob-away").await;
    away.close().await;
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    let (mut b, _) = Device::connect(&bob, "bob-1").await;

    a.send(g.id, "m1", "hello").await;
    let msg = a.messages(1).await.remove(0);
    assert_eq!(b.messages(1).await[0].seq, msg.seq);
    let s = msg.seq;

    // Edit over the socket: every member's device gets the event.
    a.conn
        .op(&ClientOp::Edit {
            channel: g.id,
            seq: s,
            text: "hello, world".into(),
            op_id: Some("e1".into()),
        })
        .await
        .expect("edit op");
    for d in [&mut a, &mut b] {
        let ev = change(d, s + 1).await;
        assert_eq!(
            ev,
            SystemEvent::MessageEdited {
                seq: s,
                text: "hello, world".into(),
                edit: 1
            }
        );
    }

    // A reaction over HTTP answers with the message as it now stands.
    let m = bob.react(g.id, s, "👍", true).await.expect("react");
    assert_eq!(
        (m.text.as_str(), m.edits, m.reactions.len()),
        ("hello, world", 1, 1)
    );
    assert_eq!(m.reactions[0].users, vec![bob_id]);
    assert!(
        matches!(change(&mut a, s + 2).await, SystemEvent::ReactionAdded { seq, ref emoji } if seq == s && emoji == "👍")
    );
    change(&mut b, s + 2).await;
    // The same reaction again changes nothing and appends nothing.
    bob.react(g.id, s, "👍", true).await.expect("repeat");
    assert_eq!(head(&alice, g.id).await, s + 2);

    // Refusals, each typed and changing nothing.
    let long = "x".repeat(100_000);
    assert_eq!(
        code(bob.edit_message(g.id, s, "mine now").await),
        ErrorCode::NotAuthor
    );
    assert_eq!(
        code(alice.edit_message(g.id, s, "").await),
        ErrorCode::MessageEmpty
    );
    assert_eq!(
        code(alice.edit_message(g.id, s, &long).await),
        ErrorCode::MessageTooLong
    );
    assert_eq!(
        code(alice.edit_message(g.id, 999, "x").await),
        ErrorCode::MessageNotFound
    );
    assert_eq!(
        code(alice.edit_message(g.id, 1, "x").await),
        ErrorCode::MessageNotFound,
        "a system event"
    );
    assert_eq!(
        code(bob.react(g.id, s, "xx", true).await),
        ErrorCode::ReactionInvalid
    );
    assert_eq!(
        code(dave.react(g.id, s, "👍", true).await),
        ErrorCode::NotAMember
    );
    assert_eq!(code(dave.message(g.id, s).await), ErrorCode::NotAMember);
    assert_eq!(
        code(bob.delete_message(g.id, s).await),
        ErrorCode::Forbidden
    );
    // Over the socket, the refusal comes back with the op's id.
    b.conn
        .op(&ClientOp::Edit {
            channel: g.id,
            seq: s,
            text: "nope".into(),
            op_id: Some("bob-1".into()),
        })
        .await
        .expect("op");
    let (_, op_id) = b
        .wait_for(|e| match e {
            ServerEvent::Error { code, op_id, .. } => Some((*code, op_id.clone())),
            _ => None,
        })
        .await;
    assert_eq!(op_id, (ErrorCode::NotAuthor, Some("bob-1".to_string())));
    assert_eq!(head(&alice, g.id).await, s + 2, "refusals appended nothing");

    // History shows the current state; the versions are kept.
    let page = carol
        .history(g.id, &HistoryQuery::default())
        .await
        .expect("history");
    let shown = page.messages.iter().find(|m| m.seq == s).expect("message");
    assert_eq!((shown.text.as_str(), shown.edits), ("hello, world", 1));
    let versions = carol.message_edits(g.id, s).await.expect("edits").versions;
    let texts: Vec<&str> = versions.iter().map(|v| v.text.as_str()).collect();
    assert_eq!(texts, ["hello", "hello, world"]);
    assert_eq!(versions[1].edit_seq, Some(s + 1));

    // An admin deletes it for everyone: a tombstone, every copy of the text erased.
    let t = carol.delete_message(g.id, s).await.expect("delete");
    assert_eq!(t.deleted.as_ref().map(|d| d.by), Some(carol_id));
    assert!(t.text.is_empty() && t.reactions.is_empty() && t.edits == 0);
    for d in [&mut a, &mut b] {
        assert_eq!(
            change(d, s + 3).await,
            SystemEvent::MessageDeleted { seq: s }
        );
    }
    // A repeat answers the same and appends nothing; nothing else applies to it.
    let again = alice.delete_message(g.id, s).await.expect("retry");
    assert_eq!(again.deleted, t.deleted);
    assert_eq!(
        code(alice.edit_message(g.id, s, "back").await),
        ErrorCode::MessageDeleted
    );
    assert_eq!(
        code(bob.react(g.id, s, "❤️", true).await),
        ErrorCode::MessageDeleted
    );
    assert_eq!(head(&alice, g.id).await, s + 3);
    assert!(
        carol
            .message_edits(g.id, s)
            .await
            .expect("edits")
            .versions
            .is_empty()
    );

    let all: Vec<MessageEvent> = alice.full_history(g.id).await.expect("full history");
    assert_eq!(
        all.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=s + 3).collect::<Vec<_>>()
    );
    let json = serde_json::to_string(&all).expect("json");
    assert!(!json.contains("hello"), "the text lives on: {json}");

    // The device that was away catches up on every event, in order, exactly once,
    // with the message already in its current state.
    let (_, caught_up) = Device::connect(&bob, "bob-away").await;
    assert_eq!(
        caught_up.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=s + 3).collect::<Vec<_>>()
    );
    let m = &caught_up[(s - 1) as usize];
    assert!(m.deleted.is_some() && m.text.is_empty());
    assert!(matches!(
        &caught_up[s as usize].system,
        Some(SystemEvent::MessageEdited { text, .. }) if text.is_empty()
    ));
}
