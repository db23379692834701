//! 1:1 chat end to end: two edges, a store worker and nats-server as real processes.

use std::collections::HashMap;
use std::time::Duration;

use natter_client::Incoming;
use natter_protocol::ws::ServerEvent;
use natter_tests::raw::RawSocket;
use natter_tests::{Device, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_on_two_edges_chat_both_ways_and_own_devices_see_sends() {
    let sys = System::start(BIN, 2).await;
    let (alice, alice_id) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(1), "bob").await;
    let bob_on_edge2 = sys.client(1).with_token(bob.token().unwrap());
    let channel = alice.open_dm(bob_id).await.unwrap();
    // Whoever asks, the same channel.
    assert_eq!(bob_on_edge2.open_dm(alice_id).await.unwrap().id, channel.id);

    let mut a1 = Device::new(alice.connect(Some("alice-laptop")).await.unwrap());
    let alice_on_edge2 = sys.client(1).with_token(alice.token().unwrap());
    let mut a2 = Device::new(alice_on_edge2.connect(Some("alice-phone")).await.unwrap());
    let mut b1 = Device::new(bob_on_edge2.connect(Some("bob-phone")).await.unwrap());

    let id1 = a1.send(channel.id, "a-1", "hello bob").await;
    b1.send(channel.id, "b-1", "hi alice 👋").await;

    for dev in [&mut a1, &mut a2, &mut b1] {
        let got = dev.messages(2).await;
        assert_eq!(got.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(got[0].message_id, id1);
        assert_eq!(
            (got[0].sender, got[0].text.as_str()),
            (alice_id, "hello bob")
        );
        assert_eq!(
            (got[1].sender, got[1].text.as_str()),
            (bob_id, "hi alice 👋")
        );
    }
    let history = bob.full_history(channel.id).await.unwrap();
    assert_eq!(history.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_send_through_another_edge_creates_one_message() {
    let sys = System::start(BIN, 2).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(1), "bob").await;
    let channel = alice.open_dm(bob_id).await.unwrap();
    let mut via1 = Device::new(alice.connect(Some("phone")).await.unwrap());
    let alice_on_edge2 = sys.client(1).with_token(alice.token().unwrap());
    let mut via2 = Device::new(alice_on_edge2.connect(Some("phone")).await.unwrap());
    let mut b = Device::new(bob.connect(None).await.unwrap());

    via1.send(channel.id, "same-id", "once").await;
    via2.send(channel.id, "same-id", "once").await;
    // A later message proves the retry was processed before it (same partition, in order).
    via2.send(channel.id, "next-id", "after").await;

    let got = b.messages(2).await;
    assert_eq!(
        got.iter()
            .map(|m| (m.seq, m.client_msg_id.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "same-id"), (2, "next-id")]
    );
    let history = bob.full_history(channel.id).await.unwrap();
    assert_eq!(
        history.len(),
        2,
        "retry created a second message: {history:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_store_worker_mid_stream_loses_and_duplicates_nothing() {
    let mut sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let channel = alice.open_dm(bob_id).await.unwrap();
    let mut a = Device::new(alice.connect(None).await.unwrap());
    let mut b = Device::new(bob.connect(None).await.unwrap());

    const N: usize = 300;
    let mut acked = Vec::new();
    for i in 0..N {
        if i == N / 3 {
            sys.kill_worker();
        }
        if i == 2 * N / 3 {
            sys.start_worker();
        }
        let cmid = format!("m-{i}");
        a.send(channel.id, &cmid, &format!("message {i}")).await;
        acked.push(cmid);
    }

    // Every acked message is stored once, in send order, with seqs 1..=N.
    let ch = channel.id;
    let bob2 = bob.clone();
    eventually(
        Duration::from_secs(60),
        "all acked messages stored",
        move || {
            let bob = bob2.clone();
            async move {
                bob.history(ch, &Default::default())
                    .await
                    .map(|p| p.head_seq as usize >= N)
                    .unwrap_or(false)
            }
        },
    )
    .await;
    let history = bob.full_history(channel.id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|m| m.client_msg_id.clone())
            .collect::<Vec<_>>(),
        acked
    );
    assert_eq!(
        history.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=N as u64).collect::<Vec<_>>()
    );

    // Bob's device got each exactly once, in seq order.
    let got = b.messages(N).await;
    assert_eq!(
        got.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=N as u64).collect::<Vec<_>>()
    );
    // Nothing more arrives: a duplicate would come before this sentinel.
    a.send(channel.id, "sentinel", "end").await;
    let last = b.messages(1).await;
    assert_eq!(
        (last[0].seq, last[0].client_msg_id.as_str()),
        (N as u64 + 1, "sentinel")
    );

    // History pages backward and forward by seq.
    let seqs = |p: &natter_protocol::http::HistoryPage| {
        p.messages.iter().map(|m| m.seq).collect::<Vec<_>>()
    };
    let q = |before, after, limit| natter_protocol::http::HistoryQuery {
        before,
        after,
        limit,
    };
    let latest = bob
        .history(channel.id, &q(None, None, Some(10)))
        .await
        .unwrap();
    assert_eq!(
        (seqs(&latest), latest.has_more, latest.head_seq),
        ((292..=301).collect(), true, 301)
    );
    let older = bob
        .history(channel.id, &q(Some(101), None, Some(50)))
        .await
        .unwrap();
    assert_eq!((seqs(&older), older.has_more), ((51..=100).collect(), true));
    let oldest = bob
        .history(channel.id, &q(Some(3), None, Some(50)))
        .await
        .unwrap();
    assert_eq!((seqs(&oldest), oldest.has_more), (vec![1, 2], false));
    let newer = bob
        .history(channel.id, &q(None, Some(295), Some(200)))
        .await
        .unwrap();
    assert_eq!(
        (seqs(&newer), newer.has_more),
        ((296..=301).collect(), false)
    );
    let too_big = bob
        .history(channel.id, &q(None, None, Some(201)))
        .await
        .unwrap_err();
    assert_eq!(too_big.code(), Some(natter_protocol::ErrorCode::BadRequest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_everything_on_the_same_data_keeps_history() {
    let mut sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (_, bob_id) = user(&sys.client(0), "bob").await;
    let channel = alice.open_dm(bob_id).await.unwrap();
    let mut a = Device::new(alice.connect(None).await.unwrap());
    for i in 0..20 {
        a.send(
            channel.id,
            &format!("m-{i}"),
            &format!("before restart {i}"),
        )
        .await;
    }
    drop(a);
    sys.restart_all().await;

    // Same account (login works on the new processes), same channel, same history.
    let alice = sys
        .client(0)
        .login("alice", "password-alice")
        .await
        .map(|r| sys.client(0).with_token(&r.token))
        .unwrap();
    assert_eq!(alice.open_dm(bob_id).await.unwrap().id, channel.id);
    let ch = channel.id;
    let al = alice.clone();
    eventually(WAIT, "history back", move || {
        let al = al.clone();
        async move {
            al.full_history(ch)
                .await
                .map(|h| h.len() == 20)
                .unwrap_or(false)
        }
    })
    .await;
    // A new device first catches up on everything, then gets live messages.
    let (mut a, caught_up) = Device::connect(&alice, "alice-new-phone").await;
    assert_eq!(
        caught_up.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
    a.send(channel.id, "after", "after restart").await;
    let m = a.messages(1).await;
    assert_eq!(m[0].seq, 21);
    let history = alice.full_history(channel.id).await.unwrap();
    let texts: HashMap<u64, String> = history.iter().map(|m| (m.seq, m.text.clone())).collect();
    assert_eq!(texts[&1], "before restart 0");
    assert_eq!(texts[&21], "after restart");
}

/// A message sent in fragments is one op; fragments adding up past the frame
/// limit are refused like one oversized frame (each fragment alone is under it, so
/// an edge that bounded frames only would hold them all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragmented_messages_are_joined_and_bounded_in_total() {
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (_, bob_id) = user(&sys.client(0), "bob").await;
    let dm = alice.open_dm(bob_id).await.unwrap();
    let mut a = alice.connect(None).await.unwrap();
    assert!(matches!(
        a.next_event(WAIT).await.unwrap(),
        ServerEvent::Synced { .. }
    ));
    let op = format!(
        r#"{{"op":"send","channel":"{}","client_msg_id":"frag-1","text":"in three parts"}}"#,
        dm.id
    )
    .into_bytes();
    let (one, rest) = op.split_at(10);
    let (two, three) = rest.split_at(20);
    a.raw_fragment(true, false, one.to_vec()).await.unwrap();
    a.raw_fragment(false, false, two.to_vec()).await.unwrap();
    a.raw_fragment(false, true, three.to_vec()).await.unwrap();
    loop {
        match a.next_event(WAIT).await.unwrap() {
            ServerEvent::Ack { client_msg_id, .. } => {
                assert_eq!(client_msg_id, "frag-1");
                break;
            }
            ServerEvent::Error { code, .. } => panic!("fragmented send refused: {code}"),
            _ => {}
        }
    }
    // 1.5 MiB in fragments of half a MiB each: refused at the third.
    let half = natter_protocol::limits::MAX_FRAME_BYTES / 2;
    a.raw_fragment(true, false, vec![b' '; half]).await.unwrap();
    a.raw_fragment(false, false, vec![b' '; half])
        .await
        .unwrap();
    a.raw_fragment(false, false, vec![b' '; half])
        .await
        .unwrap();
    loop {
        match a.next(WAIT).await.unwrap() {
            Incoming::Event(ServerEvent::Error { code, .. }) => {
                assert_eq!(code, natter_protocol::ErrorCode::FrameTooLarge);
                break;
            }
            Incoming::Event(_) => {}
            other => panic!("expected frame_too_large, got {other:?}"),
        }
    }
    match a.next(WAIT).await.unwrap() {
        Incoming::Closed { code, reason } => {
            assert_eq!((code, reason.as_str()), (1009, "frame_too_large"))
        }
        other => panic!("expected close, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_sockets_report_why() {
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let mut a = alice.connect(None).await.unwrap();
    // A new device with nothing to catch up on.
    assert_eq!(
        a.next_event(WAIT).await.unwrap(),
        ServerEvent::Synced {
            channels: 0,
            messages: 0
        }
    );
    // Over the frame limit: an error frame, then a close with the code as reason.
    a.raw_text("x".repeat(natter_protocol::limits::MAX_FRAME_BYTES + 1))
        .await
        .unwrap();
    match a.next(WAIT).await.unwrap() {
        Incoming::Event(ServerEvent::Error { code, .. }) => {
            assert_eq!(code, natter_protocol::ErrorCode::FrameTooLarge)
        }
        other => panic!("expected frame_too_large, got {other:?}"),
    }
    match a.next(WAIT).await.unwrap() {
        Incoming::Closed { code, reason } => {
            assert_eq!((code, reason.as_str()), (1009, "frame_too_large"))
        }
        other => panic!("expected close, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_sends_from_one_socket_are_stored_in_send_order() {
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let channel = alice.open_dm(bob_id).await.unwrap().id;
    let mut a = alice.connect(None).await.unwrap();
    // No waiting for acks in between: the edge batches these while publishes are in flight.
    const N: usize = 200;
    for i in 0..N {
        a.send(channel, &format!("p-{i}"), &format!("pipelined {i}"))
            .await
            .unwrap();
    }
    let mut acks = 0;
    while acks < N {
        match a.next_event(WAIT).await.unwrap() {
            ServerEvent::Ack { .. } => acks += 1,
            ServerEvent::Error { code, .. } => panic!("send failed: {code}"),
            _ => {}
        }
    }
    let b2 = bob.clone();
    eventually(WAIT, "all stored", move || {
        let b = b2.clone();
        async move {
            b.history(channel, &Default::default())
                .await
                .map(|p| p.head_seq as usize >= N)
                .unwrap_or(false)
        }
    })
    .await;
    let history = bob.full_history(channel).await.unwrap();
    let expected: Vec<String> = (0..N).map(|i| format!("p-{i}")).collect();
    assert_eq!(
        history
            .iter()
            .map(|m| m.client_msg_id.clone())
            .collect::<Vec<_>>(),
        expected
    );
}

/// A long frame that arrives in pieces while the socket has other work (here a
/// message delivered to it in between) is read whole. The edge's read consumes a
/// frame's header before its payload is in, so a read dropped half-way once lost
/// the header and parsed the payload as one ("reserved bits are not zero"): the
/// socket of a user sending long texts was cut now and then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_frame_arriving_in_pieces_survives_other_work_on_its_socket() {
    let sys = System::start(BIN, 1).await;
    let (alice, alice_id) = user(&sys.client(0), "alice").await;
    let (bob, _) = user(&sys.client(0), "bob").await;
    let dm = bob.open_dm(alice_id).await.unwrap().id;
    let addr = sys.edges[0].url.trim_start_matches("http://").to_string();
    let mut raw = RawSocket::open(&addr, alice.token().expect("token"), None)
        .await
        .expect("socket");
    raw.until("\"synced\"").await;
    let op = format!(
        r#"{{"op":"send","channel":"{dm}","client_msg_id":"split","text":"{}"}}"#,
        "é".repeat(50_000)
    );
    let frame = RawSocket::text_frame(op.as_bytes());
    let (first, rest) = frame.split_at(frame.len() / 3);
    raw.write(first).await;
    // While the rest is on its way, the socket delivers a message to Alice: its
    // task wakes for that, with the frame half read.
    let (mut b, _) = Device::connect(&bob, "b").await;
    b.send(dm, "meanwhile", "in between").await;
    raw.until("in between").await;
    raw.write(rest).await;
    let ack = raw.until("\"ack\"").await;
    assert!(ack.contains("\"split\""), "{ack}");
}
