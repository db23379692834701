//! Multi-device sync end to end: catch-up from server-side cursors, acks, read state
//! shared by a user's devices, typing, the channel list.

use std::collections::BTreeMap;

use natter_client::Client;
use natter_protocol::ErrorCode;
use natter_protocol::ws::{MessageEvent, ServerEvent};
use natter_tests::{Device, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends `n` messages from `dev` to `channel` without waiting in between, then waits
/// for all acks.
async fn burst(dev: &mut Device, channel: u64, tag: &str, n: usize) {
    for i in 0..n {
        dev.conn
            .send(
                channel,
                &format!("{tag}-{i}"),
                &format!("{tag} message {i}"),
            )
            .await
            .unwrap();
    }
    let mut acked = 0;
    while acked < n {
        let (_, ok) = dev
            .wait_for(|e| match e {
                ServerEvent::Ack { .. } => Some(true),
                ServerEvent::Error { .. } => Some(false),
                _ => None,
            })
            .await;
        assert!(ok, "a send failed");
        acked += 1;
    }
}

/// Per channel, the seqs in arrival order.
fn by_channel(ms: &[MessageEvent]) -> BTreeMap<u64, Vec<u64>> {
    let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for m in ms {
        out.entry(m.channel).or_default().push(m.seq);
    }
    out
}

/// Waits until `client`'s view of `channel` reaches `head`.
async fn wait_head(client: &Client, channel: u64, head: u64) {
    let c = client.clone();
    eventually(WAIT, "messages stored", move || {
        let c = c.clone();
        async move {
            c.history(channel, &Default::default())
                .await
                .map(|p| p.head_seq >= head)
                .unwrap_or(false)
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_device_gets_a_thousand_messages_across_ten_channels_exactly_once() {
    let sys = System::start(BIN, 2).await;
    let (me, me_id) = user(&sys.client(0), "myself").await;
    let mut peers = Vec::new();
    for i in 0..10 {
        peers.push(user(&sys.client(i % 2), &format!("peer{i}")).await);
    }
    // Five 1:1 channels and five groups (me and two peers each).
    let mut channels = Vec::new();
    for (i, (peer, _)) in peers.iter().enumerate() {
        let ch = if i < 5 {
            peer.open_dm(me_id).await.unwrap()
        } else {
            let other = peers[(i + 1) % 10].1;
            peer.create_group(&format!("group {i}"), &[me_id, other])
                .await
                .unwrap()
        };
        channels.push(ch.id);
    }

    // D2 registers, catches up on the groups' creation events, acks, goes offline.
    let (d2, first) = Device::connect(&me, "d2").await;
    assert_eq!(first.len(), 5);
    d2.ack(&first).await;
    d2.close().await;
    let (mut d1, _) = Device::connect(&me, "d1").await;

    // 1,000 messages arrive: 100 per channel, from the peers (and a few from D1).
    let mut heads = BTreeMap::new();
    for (i, (peer, _)) in peers.iter().enumerate() {
        let (mut dev, _) = Device::connect(peer, "peer-dev").await;
        burst(&mut dev, channels[i], &format!("p{i}"), 95).await;
        dev.close().await;
        burst(&mut d1, channels[i], &format!("me{i}"), 5).await;
        let head = if i < 5 { 100 } else { 101 };
        heads.insert(channels[i], head);
    }
    for (c, h) in &heads {
        wait_head(&me, *c, *h).await;
    }

    // D2 comes back: everything after its cursors, once, in order per channel...
    let (mut d2, caught_up) = Device::connect(&me, "d2").await;
    assert_eq!(caught_up.len(), 1000);
    for (c, seqs) in by_channel(&caught_up) {
        let head = heads[&c];
        let from = if head == 100 { 1 } else { 2 };
        assert_eq!(seqs, (from..=head).collect::<Vec<_>>(), "channel {c}");
    }
    // ... then live messages.
    let (mut p0, _) = Device::connect(&peers[0].0, "peer-dev").await;
    p0.send(channels[0], "live", "live one").await;
    let live = d2.messages(1).await;
    assert_eq!((live[0].seq, live[0].client_msg_id.as_str()), (101, "live"));

    // Acks move its cursors to the heads: the next connect has nothing to catch up.
    d2.ack(&caught_up).await;
    d2.ack(&live).await;
    d2.close().await;
    let (_, again) = Device::connect(&me, "d2").await;
    assert!(again.is_empty(), "{} messages sent again", again.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_in_the_middle_of_catch_up_resumes_from_the_acked_cursor() {
    let sys = System::start(BIN, 1).await;
    let (me, me_id) = user(&sys.client(0), "myself").await;
    let (peer, _) = user(&sys.client(0), "peer").await;
    let ch = peer.open_dm(me_id).await.unwrap().id;
    let (d, _) = Device::connect(&me, "tablet").await;
    d.close().await;

    // More than several sync pages while the tablet is away, some of them long.
    const N: u64 = 1_200;
    let (mut p, _) = Device::connect(&peer, "p").await;
    burst(&mut p, ch, "a", 600).await;
    for i in 0..4 {
        p.send(ch, &format!("long-{i}"), &"é".repeat(99_999)).await;
    }
    burst(&mut p, ch, "b", (N - 604) as usize).await;
    wait_head(&me, ch, N).await;

    // The tablet takes part of the catch-up, acks what it took, and drops off.
    let mut d = Device::new(me.connect(Some("tablet")).await.unwrap());
    let first = d.messages(450).await;
    assert_eq!(
        first.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=450).collect::<Vec<_>>()
    );
    d.ack(&first[..400]).await;
    d.close().await;

    // It resumes right after the acked cursor, with nothing lost or repeated, while
    // new messages arrive during its catch-up: each comes once, through catch-up or
    // live, in order.
    let mut d = Device::new(me.connect(Some("tablet")).await.unwrap());
    for i in 0..3 {
        p.send(ch, &format!("during-{i}"), "while catching up")
            .await;
    }
    let mut rest = d.synced().await;
    let live = (N + 3 - 400) as usize - rest.len();
    rest.extend(d.messages(live).await);
    assert_eq!(
        rest.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (401..=N + 3).collect::<Vec<_>>()
    );
    assert_eq!(rest[200].text.chars().count(), 99_999);
    // Nothing more: the next message is the next seq.
    p.send(ch, "after", "after").await;
    assert_eq!(d.messages(1).await[0].seq, N + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_on_one_device_clears_the_unread_count_on_the_other() {
    let sys = System::start(BIN, 2).await;
    let (me, me_id) = user(&sys.client(0), "myself").await;
    let (peer, _) = user(&sys.client(1), "peer").await;
    let ch = peer.open_dm(me_id).await.unwrap().id;
    let (mut phone, _) = Device::connect(&me, "phone").await;
    let me_on_2 = sys.client(1).with_token(me.token().unwrap());
    let (mut laptop, _) = Device::connect(&me_on_2, "laptop").await;
    let (mut p, _) = Device::connect(&peer, "p").await;

    for i in 0..5 {
        p.send(ch, &format!("m{i}"), "unread?").await;
    }
    phone.messages(5).await;
    laptop.messages(5).await;
    let unread = |c: Client| async move {
        let list = c.channels(None, None).await.unwrap();
        let s = list.channels.iter().find(|s| s.id == ch).unwrap().clone();
        (s.unread, s.read_seq, s.head_seq)
    };
    assert_eq!(unread(me.clone()).await, (5, 0, 5));

    phone.conn.read(ch, 3).await.unwrap();
    let (_, seq) = laptop
        .wait_for(|e| match e {
            ServerEvent::Read { channel, seq } if *channel == ch => Some(*seq),
            _ => None,
        })
        .await;
    assert_eq!(seq, 3);
    assert_eq!(unread(me.clone()).await, (2, 3, 5));
    // Reading never goes back, nor past the head.
    phone.conn.read(ch, 1).await.unwrap();
    phone.conn.read(ch, 99).await.unwrap();
    let (_, seq) = laptop
        .wait_for(|e| match e {
            ServerEvent::Read { channel, seq } if *channel == ch => Some(*seq),
            _ => None,
        })
        .await;
    assert_eq!(seq, 5);
    assert_eq!(unread(me.clone()).await, (0, 5, 5));

    // Only others' messages count: sending reads the channel up to one's own message.
    p.send(ch, "m5", "one more").await;
    laptop.send(ch, "mine", "my reply").await;
    // An ack means durable, not yet stored: wait for the store before reading counts.
    wait_head(&me, ch, 7).await;
    assert_eq!(unread(me.clone()).await, (0, 7, 7));
    p.send(ch, "m6", "and another").await;
    wait_head(&me, ch, 8).await;
    assert_eq!(unread(me.clone()).await, (1, 7, 8));
    // The peer's count is theirs alone: their own last message read it to the head.
    assert_eq!(unread(peer.clone()).await, (0, 8, 8));

    // A stranger cannot move a read seq.
    let (stranger, _) = user(&sys.client(0), "stranger").await;
    let (mut s, _) = Device::connect(&stranger, "s").await;
    s.conn.read(ch, 1).await.unwrap();
    let code = s.next_error().await;
    assert_eq!(code, ErrorCode::NotAMember);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_reaches_online_members_only_and_is_rate_limited() {
    let sys = System::start(BIN, 1).await;
    let (a, a_id) = user(&sys.client(0), "ann").await;
    let (b, b_id) = user(&sys.client(0), "ben").await;
    let (c, c_id) = user(&sys.client(0), "cat").await;
    let (stranger, _) = user(&sys.client(0), "stranger").await;
    let g = a.create_group("Typing", &[b_id, c_id]).await.unwrap();
    let (mut da, _) = Device::connect(&a, "a").await;
    let (mut db, _) = Device::connect(&b, "b").await;
    let (mut dc, _) = Device::connect(&c, "c").await;

    da.conn.typing(g.id).await.unwrap();
    for d in [&mut db, &mut dc] {
        let (ev, _) = d
            .wait_for(|e| matches!(e, ServerEvent::Typing { .. }).then_some(()))
            .await;
        assert_eq!(
            ev,
            ServerEvent::Typing {
                channel: g.id,
                user: a_id
            }
        );
    }
    // Not stored: history holds only the creation event.
    assert_eq!(a.full_history(g.id).await.unwrap().len(), 1);

    // Beyond the burst, typing notices are refused with a wait.
    for _ in 0..10 {
        da.conn.typing(g.id).await.unwrap();
    }
    let (_, retry) = da
        .wait_for(|e| match e {
            ServerEvent::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms,
                ..
            } => Some(*retry_after_ms),
            _ => None,
        })
        .await;
    assert!(retry.is_some_and(|ms| ms > 0));

    // The typist never hears their own notices; a message sent afterwards is the next
    // thing Ann gets besides errors.
    db.send(g.id, "b-1", "done typing?").await;
    let (ev, _) = da
        .wait_for(|e| match e {
            ServerEvent::Typing { .. } => Some(()),
            ServerEvent::Message(_) => Some(()),
            _ => None,
        })
        .await;
    assert!(matches!(ev, ServerEvent::Message(_)), "got {ev:?}");

    // Strangers cannot type into a channel.
    let (mut ds, _) = Device::connect(&stranger, "s").await;
    ds.conn.typing(g.id).await.unwrap();
    let code = ds.next_error().await;
    assert_eq!(code, ErrorCode::NotAMember);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channel_list_is_ordered_by_last_activity_and_paged() {
    let sys = System::start(BIN, 1).await;
    let (me, me_id) = user(&sys.client(0), "myself").await;
    let (ann, ann_id) = user(&sys.client(0), "ann").await;
    let (ben, ben_id) = user(&sys.client(0), "ben").await;
    let dm_ann = ann.open_dm(me_id).await.unwrap().id;
    let dm_ben = ben.open_dm(me_id).await.unwrap().id;
    let group = me.create_group("Trio", &[ann_id, ben_id]).await.unwrap().id;
    let (mut da, _) = Device::connect(&ann, "a").await;
    let (mut db, _) = Device::connect(&ben, "b").await;
    da.send(dm_ann, "a1", "from ann").await;
    db.send(dm_ben, "b1", &"x".repeat(500)).await;
    da.send(group, "a2", "in the group").await;
    db.send(dm_ben, "b2", "ben again").await;
    wait_head(&me, dm_ben, 2).await;

    let list = me.channels(None, None).await.unwrap();
    let ids: Vec<u64> = list.channels.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![dm_ben, group, dm_ann]);
    let ben_dm = &list.channels[0];
    assert_eq!(
        (ben_dm.name.as_str(), ben_dm.peer, ben_dm.unread),
        ("BEN", Some(ben_id), 2)
    );
    let preview = ben_dm.last_message.as_ref().unwrap();
    assert_eq!((preview.seq, preview.text.as_str()), (2, "ben again"));
    let g = &list.channels[1];
    assert_eq!((g.name.as_str(), g.head_seq, g.unread), ("Trio", 2, 1));
    assert!(list.next.is_none());

    // Paged: two, then the rest.
    let first = me.channels(Some(2), None).await.unwrap();
    assert_eq!(first.channels.len(), 2);
    let next = first.next.expect("a next cursor");
    let second = me.channels(Some(2), Some(&next)).await.unwrap();
    assert_eq!(
        second.channels.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![dm_ann]
    );
    assert!(second.next.is_none());
    // Bad paging input is a typed error.
    assert_eq!(
        me.channels(Some(0), None).await.unwrap_err().code(),
        Some(ErrorCode::BadRequest)
    );
    assert_eq!(
        me.channels(None, Some("nonsense"))
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::BadRequest)
    );
}
