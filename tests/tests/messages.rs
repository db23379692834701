//! Changes to sent messages end to end: edit, delete for everyone and reactions, as
//! seq'd events every device gets in order (live and in catch-up), history in the
//! current state, the text erased everywhere on deletion, and typed refusals that
//! change nothing.

use natter_client::{Client, ClientError};
use natter_protocol::ErrorCode;
use natter_protocol::http::{HistoryQuery, Role};
use natter_protocol::ws::{ClientOp, MessageEvent, MessageRef, ServerEvent, SystemEvent};
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
    // The same edit again (a retry after a lost answer) changes nothing and appends
    // nothing: the reaction below is the next seq.
    let retried = alice
        .edit_message(g.id, s, "hello, world")
        .await
        .expect("retried edit");
    assert_eq!((retried.text.as_str(), retried.edits), ("hello, world", 1));

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

fn reply(channel: u64, cmid: &str, text: &str, to: u64) -> ClientOp {
    ClientOp::Send {
        channel,
        client_msg_id: cmid.into(),
        text: text.into(),
        reply_to: Some(to),
        forward: None,
        attachments: Vec::new(),
    }
}

fn forward(channel: u64, cmid: &str, from: u64, seq: u64) -> ClientOp {
    ClientOp::Send {
        channel,
        client_msg_id: cmid.into(),
        text: String::new(),
        reply_to: None,
        forward: Some(MessageRef { channel: from, seq }),
        attachments: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_quote_the_current_state_and_forwards_copy_what_the_sender_may_read() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, alice_id) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (_carol, carol_id) = user(&c, "carol").await;
    let (dave, _) = user(&c, "dave").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let g = bob.create_group("g", &[carol_id]).await.expect("group");
    let dave_dm = dave.open_dm(carol_id).await.expect("dave's dm");
    let (mut a, _) = Device::connect(&alice, "a").await;
    let (mut b, _) = Device::connect(&bob, "b").await;
    let (mut d, _) = Device::connect(&dave, "d").await;

    a.send(dm.id, "o", "the original").await;
    let original = b.messages(1).await.remove(0).seq;
    b.send_op(reply(dm.id, "r1", "agreed", original))
        .await
        .expect("reply");
    let live = a.messages(2).await.pop().expect("the reply");
    let quote = live.reply_to.expect("a quote");
    assert_eq!(
        (
            quote.seq,
            quote.sender,
            quote.preview.as_str(),
            quote.deleted
        ),
        (original, alice_id, "the original", false)
    );
    // A reply to a seq that holds no message is stored as a plain message.
    b.send_op(reply(dm.id, "r2", "to nothing", 999))
        .await
        .expect("send");
    assert!(a.messages(1).await[0].reply_to.is_none());

    // The quote follows the original's edits...
    alice
        .edit_message(dm.id, original, "the edited original")
        .await
        .expect("edit");
    let page = bob.full_history(dm.id).await.expect("history");
    let r = page.iter().find(|m| m.text == "agreed").expect("reply");
    assert_eq!(
        r.reply_to.as_ref().map(|q| q.preview.as_str()),
        Some("the edited original")
    );

    // ...a forward copies the text for members of both channels only...
    b.send_op(forward(g.id, "f1", dm.id, original))
        .await
        .expect("forward");
    let copy = bob
        .full_history(g.id)
        .await
        .expect("group history")
        .pop()
        .expect("the copy");
    assert!(copy.forwarded && copy.text == "the edited original" && copy.sender == bob_id);
    assert_eq!(
        d.send_op(forward(dave_dm.id, "f2", dm.id, original)).await,
        Err(ErrorCode::NotAMember)
    );
    let with_text = ClientOp::Send {
        channel: g.id,
        client_msg_id: "f3".into(),
        text: "mine".into(),
        reply_to: None,
        forward: Some(MessageRef {
            channel: dm.id,
            seq: original,
        }),
        attachments: Vec::new(),
    };
    assert_eq!(b.send_op(with_text).await, Err(ErrorCode::BadRequest));

    // ...and once the original is deleted, no quote or forward shows its text.
    alice.delete_message(dm.id, original).await.expect("delete");
    assert_eq!(
        b.send_op(forward(g.id, "f4", dm.id, original)).await,
        Err(ErrorCode::MessageDeleted)
    );
    let page = bob.full_history(dm.id).await.expect("history");
    let r = page.iter().find(|m| m.text == "agreed").expect("reply");
    let q = r.reply_to.as_ref().expect("quote");
    assert!(q.deleted && q.preview.is_empty(), "{q:?}");
    let json = serde_json::to_string(&page).expect("json");
    assert!(!json.contains("original"), "{json}");
    let one = bob.message(dm.id, r.seq).await.expect("one message");
    assert!(one.reply_to.is_some_and(|q| q.deleted));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_follow_roles_and_hiding_a_message_is_for_oneself_only() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, carol_id) = user(&c, "carol").await;
    let (dave, _) = user(&c, "dave").await;
    let g = alice
        .create_group("g", &[bob_id, carol_id])
        .await
        .expect("group");
    alice
        .set_role(g.id, carol_id, Role::Admin)
        .await
        .expect("admin");
    let (mut a, _) = Device::connect(&alice, "a").await;
    let (mut b1, _) = Device::connect(&bob, "b1").await;
    let (mut b2, _) = Device::connect(&bob, "b2").await;
    a.send(g.id, "m1", "first").await;
    a.send(g.id, "m2", "second").await;
    let sent = a.messages(2).await;
    let (s1, s2) = (sent[0].seq, sent[1].seq);
    b1.messages(2).await;
    b2.messages(2).await;

    // Pins: owners and admins only, listed latest first, a repeat changes nothing.
    assert_eq!(code(bob.pin(g.id, s1, true).await), ErrorCode::Forbidden);
    let m = carol.pin(g.id, s1, true).await.expect("admin pins");
    assert_eq!(m.pinned.map(|p| p.by), Some(carol_id));
    assert_eq!(
        change(&mut a, s2 + 1).await,
        SystemEvent::MessagePinned { seq: s1 }
    );
    alice.pin(g.id, s2, true).await.expect("owner pins");
    alice.pin(g.id, s2, true).await.expect("repeat");
    assert_eq!(head(&alice, g.id).await, s2 + 2);
    let pins = |c: &Client| {
        let c = c.clone();
        async move {
            c.pins(g.id)
                .await
                .expect("pins")
                .pins
                .iter()
                .map(|m| m.seq)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(pins(&bob).await, vec![s2, s1]);
    assert_eq!(code(dave.pins(g.id).await), ErrorCode::NotAMember);
    alice.pin(g.id, s2, false).await.expect("unpin");
    assert_eq!(pins(&bob).await, vec![s1]);
    // A deleted message leaves the list.
    alice.delete_message(g.id, s1).await.expect("delete");
    assert!(pins(&bob).await.is_empty());

    // Hiding: every device of the hider hears of it; nobody else sees a change.
    bob.hide(g.id, s2).await.expect("hide");
    for d in [&mut b1, &mut b2] {
        let (_, at) = d
            .wait_for(|e| match e {
                ServerEvent::Hidden { channel, seq } if *channel == g.id => Some(*seq),
                _ => None,
            })
            .await;
        assert_eq!(at, s2);
    }
    alice
        .edit_message(g.id, s2, "second, edited")
        .await
        .expect("edit");
    let bobs = bob.full_history(g.id).await.expect("bob's history");
    let alices = alice.full_history(g.id).await.expect("alice's history");
    assert_eq!(
        bobs.iter().map(|m| m.seq).collect::<Vec<_>>(),
        alices.iter().map(|m| m.seq).collect::<Vec<_>>(),
        "hidden messages keep their place: no gap to chase"
    );
    let hidden: Vec<u64> = bobs.iter().filter(|m| m.hidden).map(|m| m.seq).collect();
    // The message and every change to it (pin, unpin, edit); nothing else.
    let about_s2: Vec<u64> = alices
        .iter()
        .filter(|m| m.seq == s2 || m.system.as_ref().and_then(SystemEvent::target) == Some(s2))
        .map(|m| m.seq)
        .collect();
    assert_eq!(about_s2.len(), 4);
    assert_eq!(hidden, about_s2);
    assert!(!serde_json::to_string(&bobs).unwrap().contains("second"));
    assert!(alices.iter().all(|m| !m.hidden));
    assert_eq!(code(dave.hide(g.id, s2).await), ErrorCode::NotAMember);
    assert_eq!(code(bob.hide(g.id, 999).await), ErrorCode::MessageNotFound);
}

/// The next `receipt` event on `d`: (channel, reader, read, delivered).
async fn receipt(d: &mut Device) -> (u64, u64, Option<u64>, Option<u64>) {
    d.wait_for(|e| match e {
        ServerEvent::Receipt {
            channel,
            user,
            read,
            delivered,
        } => Some((*channel, *user, *read, *delivered)),
        _ => None,
    })
    .await
    .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authors_hear_of_delivery_and_reads_unless_receipts_are_off() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, alice_id) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, carol_id) = user(&c, "carol").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let g = alice
        .create_group("g", &[bob_id, carol_id])
        .await
        .expect("group");
    let (mut a, _) = Device::connect(&alice, "a").await;
    let (mut b, _) = Device::connect(&bob, "b").await;
    let (mut cd, _) = Device::connect(&carol, "c").await;

    // 1:1: a device of bob's acks → delivered; bob reads → read. Only alice hears.
    a.send(dm.id, "d1", "are you there?").await;
    let got = b.messages(1).await;
    b.ack(&got).await;
    assert_eq!(
        receipt(&mut a).await,
        (dm.id, bob_id, None, Some(got[0].seq))
    );
    b.conn.read(dm.id, got[0].seq).await.expect("read");
    assert_eq!(
        receipt(&mut a).await,
        (dm.id, bob_id, Some(got[0].seq), None)
    );
    let r = alice.receipts(dm.id).await.expect("receipts").members;
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].user, r[0].read, r[0].delivered),
        (bob_id, got[0].seq, got[0].seq)
    );

    // A group: a read reaches the authors of the messages it covers, and only them.
    cd.send(g.id, "c1", "from carol").await;
    a.send(g.id, "a1", "from alice").await;
    let got = b.messages(2).await;
    let last = got[1].seq;
    b.conn.read(g.id, last).await.expect("read");
    assert_eq!(receipt(&mut a).await, (g.id, bob_id, Some(last), None));
    assert_eq!(receipt(&mut cd).await, (g.id, bob_id, Some(last), None));

    // Carol turns read receipts off: her reads tell nobody, and she sees nobody's.
    let off = natter_protocol::http::UpdateProfileRequest {
        display_name: None,
        status_text: None,
        read_receipts: Some(false),
        ..Default::default()
    };
    let me = carol.update_me(&off).await.expect("settings");
    assert_eq!(me.settings.map(|s| s.read_receipts), Some(false));
    assert!(
        carol
            .me()
            .await
            .expect("me")
            .settings
            .is_some_and(|s| !s.read_receipts)
    );
    assert!(
        alice
            .me()
            .await
            .expect("me")
            .settings
            .is_some_and(|s| s.read_receipts)
    );
    a.send(g.id, "a2", "again").await;
    let seq = cd.messages(3).await.last().expect("a2").seq;
    cd.conn.read(g.id, seq).await.expect("carol reads");
    // Applied (her devices hear of it) before bob reads: a receipt of hers would
    // reach alice first.
    cd.wait_for(|e| matches!(e, ServerEvent::Read { seq: s, .. } if *s == seq).then_some(()))
        .await;
    b.messages(1).await;
    b.conn.read(g.id, seq).await.expect("bob reads");
    // Alice hears of bob's read; carol's, applied first, sent her nothing.
    assert_eq!(receipt(&mut a).await, (g.id, bob_id, Some(seq), None));
    // Listed: every other member's delivery; reads only of those who share them,
    // to those who do.
    let reads = |r: natter_protocol::http::ChannelReceipts| {
        let mut v: Vec<(u64, u64)> = r.members.iter().map(|m| (m.user, m.read)).collect();
        v.sort_unstable();
        v
    };
    let mut want = vec![(bob_id, seq), (carol_id, 0)];
    want.sort_unstable();
    assert_eq!(
        reads(alice.receipts(g.id).await.expect("receipts")),
        want,
        "carol's read is left out"
    );
    let of_carol = carol.receipts(g.id).await.expect("receipts");
    assert_eq!(of_carol.members.len(), 2);
    assert!(of_carol.members.iter().all(|m| m.read == 0));
    assert!(
        of_carol
            .members
            .iter()
            .any(|m| m.user == bob_id && m.delivered >= seq),
        "deliveries stay: {of_carol:?}"
    );
    assert_ne!(alice_id, carol_id);
}
