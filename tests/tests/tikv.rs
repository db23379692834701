//! The whole message path with the store workers on TiKV (the in-process test
//! server, with region errors injected): sends, fan-out, sync, groups, history.

use natter_protocol::ws::SystemEvent;
use natter_tests::chaos::{pairs, settle};
use std::time::Duration;

use natter_tests::{Device, System, eventually, user};
use natter_tikv_testserver::Faults;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Rare enough that a request rarely exhausts tikv-client's region retries.
const FAULTS: Faults = Faults {
    not_leader: 0.02,
    server_busy: 0.01,
    epoch_not_match: 0.01,
    commit_reply_lost: 0.0,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_groups_and_history_on_tikv_through_region_errors() {
    let mut sys = System::start_on_tikv(BIN, 2, FAULTS).await;

    // Direct messages with full accounting: stored once, gapless, delivered once in order.
    let mut all = pairs(&sys, 6, "t").await;
    for (i, p) in all.iter_mut().enumerate() {
        for k in 0..15 {
            p.send(&format!("t{i}-{k}"), &format!("pair {i} message {k}"))
                .await;
        }
    }
    let sum = settle("DMs on TiKV with region errors", &mut all).await;
    sum.print();
    sum.assert_clean();

    // A group: events, offline catch-up and paged history.
    let (owner, _) = user(&sys.client(0), "gowner").await;
    let (bob, bob_id) = user(&sys.client(1), "gbob").await;
    let (_, cat_id) = user(&sys.client(0), "gcat").await;
    let g = owner
        .create_group("On TiKV", &[bob_id])
        .await
        .expect("group");
    owner.add_members(g.id, &[cat_id]).await.expect("add");
    let (mut o, _) = Device::connect(&owner, "o").await;
    for i in 0..250 {
        o.send(g.id, &format!("g{i}"), &format!("group message {i}"))
            .await;
    }
    // Acked means durable, not yet stored: what catch-up misses arrives live.
    let (mut bob_dev, mut got) = Device::connect(&bob, "b").await;
    let missing = 252 - got.len();
    got.extend(bob_dev.messages(missing).await);
    let seqs: Vec<u64> = got.iter().map(|m| m.seq).collect();
    assert!(got.iter().all(|m| m.channel == g.id));
    assert_eq!(
        seqs,
        (1..=252).collect::<Vec<_>>(),
        "catch-up then live, in order, once"
    );
    assert_eq!(
        got[1].system,
        Some(SystemEvent::MembersAdded {
            users: vec![cat_id]
        })
    );
    let history = bob.full_history(g.id).await.expect("history");
    assert_eq!(history.len(), 252);
    assert!(history.windows(2).all(|w| w[1].seq == w[0].seq + 1));

    // A restarted worker carries on from the store (history answers 503 until it is up).
    sys.kill_worker();
    sys.start_worker();
    o.send(g.id, "after-restart", "after restart").await;
    eventually(Duration::from_secs(60), "the restarted worker stores seq 253", || {
        let bob = bob.clone();
        async move {
            matches!(bob.full_history(g.id).await, Ok(h) if h.last().map(|m| m.seq) == Some(253))
        }
    })
    .await;

    let tikv = sys.tikv.as_ref().expect("tikv");
    let stats = tikv.stats();
    println!(
        "TiKV test server: {stats:?}, regions: {}",
        tikv.region_count()
    );
    assert!(stats.not_leader > 0 && stats.server_busy > 0 && stats.epoch_not_match > 0);
    assert!(tikv.region_count() > 3, "data crossed regions");
}
