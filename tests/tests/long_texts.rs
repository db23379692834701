//! Messages at the length limit travel like any other: a burst of them reaches
//! every member live (the fan-out is split below NATS's payload limit), and a
//! history page of them is cut in bytes (with `has_more`) instead of failing.

use std::time::Duration;

use natter_protocol::http::HistoryQuery;
use natter_protocol::limits::MAX_TEXT_CHARS;
use natter_protocol::ws::{ClientOp, ServerEvent};
use natter_tests::{Device, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Sends `n` copies of `text` from `from` while reading what comes back (its acks
/// and its own copies), as an app does; returns once every send is acked.
async fn send_all(from: &mut Device, channel: u64, prefix: &str, n: usize, text: &str) {
    let sender = from.conn.sender();
    let (prefix, text) = (prefix.to_string(), text.to_string());
    let writing = tokio::spawn(async move {
        for i in 0..n {
            let op = ClientOp::Send {
                channel,
                client_msg_id: format!("{prefix}{i}"),
                text: text.clone(),
                reply_to: None,
                forward: None,
                attachments: Vec::new(),
            };
            sender.op(&op).await.expect("send");
        }
    });
    let mut acked = 0;
    while acked < n {
        match from
            .conn
            .next_event(Duration::from_secs(30))
            .await
            .expect("event")
        {
            ServerEvent::Ack { .. } => acked += 1,
            ServerEvent::Error { code, message, .. } => panic!("send failed: {code}: {message}"),
            _ => {}
        }
    }
    writing.await.expect("writer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_the_longest_messages_reaches_members_live_and_pages_in_bytes() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let dm = alice.open_dm(bob_id).await.expect("dm").id;
    let (mut a, _) = Device::connect(&alice, "a").await;
    let (mut b, _) = Device::connect(&bob, "b").await;
    // \u{1} is six bytes of JSON: each event is ~600 KB, 20 of them ~12 MB, past
    // NATS's 8 MiB payload limit if one fan-out message carried them (the edge lets
    // a socket have 16 MiB waiting).
    let control = "\u{1}".repeat(MAX_TEXT_CHARS);
    const N: usize = 20;
    // Bob reads while Alice sends, as a connected app does.
    let reading = tokio::spawn(async move {
        let got = b.messages(N).await;
        (b, got)
    });
    send_all(&mut a, dm, "c", N, &control).await;
    let (mut b, got) = reading.await.expect("reader");
    assert_eq!(
        got.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=N as u64).collect::<Vec<_>>(),
        "every one arrived live, in order, without a later message to reveal a gap"
    );
    assert!(got.iter().all(|m| m.text.chars().count() == MAX_TEXT_CHARS));

    // 4-byte characters: 25 of them are ~10 MB stored, past NATS's limit for one
    // reply; the default page stops early and says there is more.
    let emoji = "😀".repeat(MAX_TEXT_CHARS);
    let reading = tokio::spawn(async move { b.messages(25).await.len() });
    send_all(&mut a, dm, "e", 25, &emoji).await;
    assert_eq!(reading.await.expect("reader"), 25);
    let page = bob
        .history(dm, &HistoryQuery::default())
        .await
        .expect("a history page of the longest messages");
    assert!(page.has_more);
    assert!(
        !page.messages.is_empty() && page.messages.len() < 25,
        "{}",
        page.messages.len()
    );
    // Paging backward still reaches the beginning.
    let all = bob.full_history(dm).await.expect("full history");
    assert_eq!(all.len(), N + 25);
    let b2 = bob.clone();
    eventually(
        Duration::from_secs(10),
        "the device can still send",
        move || {
            let b2 = b2.clone();
            async move { b2.user(bob_id).await.is_ok() }
        },
    )
    .await;
}
