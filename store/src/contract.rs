//! The behavioural contract every [`Store`] backend must pass.
//!
//! Each check writes under its own unique key namespace (a `0xE0` tag that no
//! table uses, then a fixed-width time+counter nonce), so all checks can run
//! against one long-lived store, repeatedly. Checks panic on violation, which
//! is what a test wants. Kept free of backend types so TiKV can reuse it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::kv::{CasOutcome, Durability, ScanRange, SharedStore, Store, StoreError, WriteBatch};

/// Tag byte of contract-test keys; outside the range used by [`crate::keys`].
pub const CONTRACT_TAG: u8 = 0xE0;

/// A fresh namespace; fixed width so no namespace is a prefix of another.
fn namespace() -> Vec<u8> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut ns = vec![CONTRACT_TAG];
    ns.extend_from_slice(&nanos.to_be_bytes());
    ns.extend_from_slice(&n.to_be_bytes());
    ns
}

fn key(ns: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut k = ns.to_vec();
    k.extend_from_slice(suffix);
    k
}

fn keys_of(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    pairs.iter().map(|(k, _)| k.clone()).collect()
}

/// Runs every check below against `store`.
pub async fn run_all(store: &dyn Store) {
    round_trip(store).await;
    batch_get_order(store).await;
    failed_condition_writes_nothing(store).await;
    holding_conditions_apply_everything(store).await;
    put_if_absent_race(store).await;
    compare_and_set_semantics(store).await;
    scan_order_and_limit(store).await;
    scan_prefix_boundaries(store).await;
    scan_pagination(store).await;
    large_values(store).await;
    many_keys(store).await;
    buffered_writes_are_visible_at_once(store).await;
}

/// get / put / overwrite / delete round trip.
pub async fn round_trip(store: &dyn Store) {
    let ns = namespace();
    let k = key(&ns, b"k");
    assert_eq!(store.get(&k).await.expect("get"), None);
    store
        .write(WriteBatch::new().put(k.clone(), b"v1"))
        .await
        .expect("put");
    assert_eq!(store.get(&k).await.expect("get"), Some(b"v1".to_vec()));
    store
        .write(WriteBatch::new().put(k.clone(), b"v2"))
        .await
        .expect("overwrite");
    assert_eq!(store.get(&k).await.expect("get"), Some(b"v2".to_vec()));
    store
        .write(WriteBatch::new().delete(k.clone()))
        .await
        .expect("delete");
    assert_eq!(store.get(&k).await.expect("get"), None);
    store
        .write(WriteBatch::new().delete(k.clone()))
        .await
        .expect("deleting an absent key is fine");
    store
        .write(WriteBatch::new())
        .await
        .expect("empty batch is fine");
    // Later ops on the same key win.
    store
        .write(WriteBatch::new().put(k.clone(), b"a").put(k.clone(), b"b"))
        .await
        .expect("put twice");
    assert_eq!(store.get(&k).await.expect("get"), Some(b"b".to_vec()));
}

/// batch_get returns values in key order, with `None` for missing keys.
pub async fn batch_get_order(store: &dyn Store) {
    let ns = namespace();
    let (a, b, c, missing) = (
        key(&ns, b"a"),
        key(&ns, b"b"),
        key(&ns, b"c"),
        key(&ns, b"zz"),
    );
    store
        .write(
            WriteBatch::new()
                .put(a.clone(), b"A")
                .put(b.clone(), b"B")
                .put(c.clone(), b"C"),
        )
        .await
        .expect("write");
    let got = store
        .batch_get(&[c.clone(), missing.clone(), a.clone(), b.clone(), a.clone()])
        .await
        .expect("batch_get");
    assert_eq!(
        got,
        vec![
            Some(b"C".to_vec()),
            None,
            Some(b"A".to_vec()),
            Some(b"B".to_vec()),
            Some(b"A".to_vec()),
        ]
    );
    assert_eq!(store.batch_get(&[]).await.expect("empty batch_get"), vec![]);
}

/// A failing condition writes nothing and names the first failed key.
pub async fn failed_condition_writes_nothing(store: &dyn Store) {
    let ns = namespace();
    let existing = key(&ns, b"existing");
    let guard_ok = key(&ns, b"guard-ok");
    let guard_bad = key(&ns, b"guard-bad");
    let guard_bad2 = key(&ns, b"guard-bad2");
    store
        .write(
            WriteBatch::new()
                .put(existing.clone(), b"keep")
                .put(guard_ok.clone(), b"1")
                .put(guard_bad.clone(), b"1"),
        )
        .await
        .expect("setup");

    let new_keys: Vec<Vec<u8>> = (0..5u8).map(|i| key(&ns, &[b'n', i])).collect();
    let mut batch = WriteBatch::new()
        .expect(guard_ok.clone(), Some(b"1".to_vec()))
        .expect(guard_bad.clone(), Some(b"2".to_vec()))
        .expect(guard_bad2.clone(), Some(b"x".to_vec()))
        .delete(existing.clone())
        .put(guard_ok.clone(), b"changed");
    for k in &new_keys {
        batch = batch.put(k.clone(), b"new");
    }
    let err = store.write(batch).await.expect_err("condition must fail");
    assert_eq!(
        err,
        StoreError::ConditionFailed {
            key: guard_bad.clone()
        }
    );
    assert!(!err.retryable());

    assert_eq!(
        store.get(&existing).await.expect("get"),
        Some(b"keep".to_vec())
    );
    assert_eq!(
        store.get(&guard_ok).await.expect("get"),
        Some(b"1".to_vec())
    );
    for v in store.batch_get(&new_keys).await.expect("batch_get") {
        assert_eq!(v, None, "no op of a failed batch may be applied");
    }

    // Put-if-absent on an existing key fails too.
    let err = store
        .write(
            WriteBatch::new()
                .expect(existing.clone(), None)
                .put(existing.clone(), b"clobber"),
        )
        .await
        .expect_err("key exists");
    assert_eq!(
        err,
        StoreError::ConditionFailed {
            key: existing.clone()
        }
    );
    assert_eq!(
        store.get(&existing).await.expect("get"),
        Some(b"keep".to_vec())
    );
}

/// Conditions that hold (present values and absences) apply every op.
pub async fn holding_conditions_apply_everything(store: &dyn Store) {
    let ns = namespace();
    let head = key(&ns, b"head");
    let gone = key(&ns, b"gone");
    let absent = key(&ns, b"absent");
    store
        .write(
            WriteBatch::new()
                .put(head.clone(), b"7")
                .put(gone.clone(), b"x"),
        )
        .await
        .expect("setup");
    store
        .write(
            WriteBatch::new()
                .expect(head.clone(), Some(b"7".to_vec()))
                .expect(absent.clone(), None)
                .put(head.clone(), b"8")
                .put(absent.clone(), b"now-present")
                .delete(gone.clone()),
        )
        .await
        .expect("conditions hold");
    assert_eq!(store.get(&head).await.expect("get"), Some(b"8".to_vec()));
    assert_eq!(
        store.get(&absent).await.expect("get"),
        Some(b"now-present".to_vec())
    );
    assert_eq!(store.get(&gone).await.expect("get"), None);

    // A conditions-only batch succeeds and writes nothing.
    store
        .write(WriteBatch::new().expect(head.clone(), Some(b"8".to_vec())))
        .await
        .expect("condition-only batch");
    // Buffered durability has the same atomicity.
    store
        .write(
            WriteBatch::new()
                .expect(head.clone(), Some(b"8".to_vec()))
                .put(head.clone(), b"9")
                .durability(Durability::Buffered),
        )
        .await
        .expect("buffered write");
    assert_eq!(store.get(&head).await.expect("get"), Some(b"9".to_vec()));
}

/// Number of concurrent writers in the put-if-absent races.
pub const RACERS: usize = 16;

fn check_single_winner(results: &[Result<(), StoreError>], k: &[u8], stored: Option<Vec<u8>>) {
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one racer wins: {results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(
            r.as_ref().err(),
            Some(&StoreError::ConditionFailed { key: k.to_vec() })
        );
    }
    assert_eq!(stored, Some(format!("racer-{}", winners[0]).into_bytes()));
}

/// `expect(None)` is put-if-absent: of 16 concurrent creators exactly one wins.
pub async fn put_if_absent_race(store: &dyn Store) {
    for _round in 0..3 {
        let ns = namespace();
        let k = key(&ns, b"contended");
        let attempts = (0..RACERS).map(|i| {
            store.write(
                WriteBatch::new()
                    .expect(k.clone(), None)
                    .put(k.clone(), format!("racer-{i}")),
            )
        });
        let results = futures::future::join_all(attempts).await;
        let stored = store.get(&k).await.expect("get");
        check_single_winner(&results, &k, stored);
    }
}

/// Like [`put_if_absent_race`], but each racer is its own spawned tokio task.
pub async fn put_if_absent_race_spawned(store: SharedStore) {
    for _round in 0..3 {
        let ns = namespace();
        let k = key(&ns, b"contended");
        let start = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let (store, k, start) = (Arc::clone(&store), k.clone(), Arc::clone(&start));
                tokio::spawn(async move {
                    start.wait().await;
                    store
                        .write(
                            WriteBatch::new()
                                .expect(k.clone(), None)
                                .put(k, format!("racer-{i}")),
                        )
                        .await
                })
            })
            .collect();
        let mut results = Vec::with_capacity(RACERS);
        for t in tasks {
            results.push(t.await.expect("racer task panicked"));
        }
        let stored = store.get(&k).await.expect("get");
        check_single_winner(&results, &k, stored);
    }
}

/// compare_and_set: swap, mismatch, delete and absent semantics.
pub async fn compare_and_set_semantics(store: &dyn Store) {
    let ns = namespace();
    let k = key(&ns, b"cas");
    let cas = |expected: Option<&'static [u8]>, new: Option<&'static [u8]>| {
        let k = k.clone();
        async move {
            store
                .compare_and_set(&k, expected, new.map(<[u8]>::to_vec))
                .await
                .expect("cas")
        }
    };

    // Absent -> absent is a trivially successful no-op.
    assert_eq!(cas(None, None).await, CasOutcome::Swapped);
    assert_eq!(store.get(&k).await.expect("get"), None);
    // Expecting a value on an absent key reports absence.
    assert_eq!(
        cas(Some(b"x"), Some(b"y")).await,
        CasOutcome::Mismatch { current: None }
    );
    assert_eq!(store.get(&k).await.expect("get"), None);
    // Create if absent.
    assert_eq!(cas(None, Some(b"a")).await, CasOutcome::Swapped);
    assert_eq!(store.get(&k).await.expect("get"), Some(b"a".to_vec()));
    // Create-if-absent on a present key reports the current value.
    assert_eq!(
        cas(None, Some(b"b")).await,
        CasOutcome::Mismatch {
            current: Some(b"a".to_vec())
        }
    );
    // Wrong expectation leaves the value alone.
    assert_eq!(
        cas(Some(b"zzz"), Some(b"b")).await,
        CasOutcome::Mismatch {
            current: Some(b"a".to_vec())
        }
    );
    assert_eq!(store.get(&k).await.expect("get"), Some(b"a".to_vec()));
    // Swap.
    assert_eq!(cas(Some(b"a"), Some(b"b")).await, CasOutcome::Swapped);
    assert_eq!(store.get(&k).await.expect("get"), Some(b"b".to_vec()));
    // Delete with a stale expectation fails, then with the right one succeeds.
    assert_eq!(
        cas(Some(b"a"), None).await,
        CasOutcome::Mismatch {
            current: Some(b"b".to_vec())
        }
    );
    assert_eq!(cas(Some(b"b"), None).await, CasOutcome::Swapped);
    assert_eq!(store.get(&k).await.expect("get"), None);
}

fn numbered(ns: &[u8], n: u8) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..n).map(|i| (key(ns, &[i]), vec![b'v', i])).collect()
}

async fn put_all(store: &dyn Store, pairs: &[(Vec<u8>, Vec<u8>)]) {
    let mut batch = WriteBatch::new();
    for (k, v) in pairs {
        batch = batch.put(k.clone(), v.clone());
    }
    store.write(batch).await.expect("put_all");
}

/// Scans are ordered both ways, honour `[start, end)` and `limit`.
pub async fn scan_order_and_limit(store: &dyn Store) {
    let ns = namespace();
    let pairs = numbered(&ns, 10);
    put_all(store, &pairs).await;
    let mut desc = pairs.clone();
    desc.reverse();

    let all = ScanRange::prefix(ns.clone());
    assert_eq!(store.scan(all.clone(), 100).await.expect("scan"), pairs);
    assert_eq!(
        store.scan(all.clone().reversed(), 100).await.expect("scan"),
        desc
    );
    assert_eq!(
        store.scan(all.clone(), 3).await.expect("scan"),
        pairs[..3].to_vec()
    );
    assert_eq!(
        store.scan(all.clone().reversed(), 3).await.expect("scan"),
        desc[..3].to_vec()
    );
    assert_eq!(store.scan(all.clone(), 0).await.expect("scan"), vec![]);

    let mid = ScanRange::between(key(&ns, &[2]), key(&ns, &[5]));
    assert_eq!(
        keys_of(&store.scan(mid.clone(), 100).await.expect("scan")),
        vec![key(&ns, &[2]), key(&ns, &[3]), key(&ns, &[4])]
    );
    assert_eq!(
        keys_of(&store.scan(mid.clone().reversed(), 2).await.expect("scan")),
        vec![key(&ns, &[4]), key(&ns, &[3])]
    );
    // Inverted and empty ranges yield nothing.
    let inverted = ScanRange::between(key(&ns, &[5]), key(&ns, &[2]));
    assert_eq!(
        store.scan(inverted.clone(), 100).await.expect("scan"),
        vec![]
    );
    assert_eq!(
        store.scan(inverted.reversed(), 100).await.expect("scan"),
        vec![]
    );
    let empty = ScanRange::between(key(&ns, &[5]), key(&ns, &[5]));
    assert_eq!(store.scan(empty, 100).await.expect("scan"), vec![]);
    // An unbounded end still starts at `start`.
    let open = ScanRange {
        start: key(&ns, &[8]),
        end: None,
        reverse: false,
    };
    let got = store.scan(open, 2).await.expect("scan");
    assert_eq!(keys_of(&got), vec![key(&ns, &[8]), key(&ns, &[9])]);
}

/// Prefix scans include exactly the keys with that prefix, including 0xFF edges.
pub async fn scan_prefix_boundaries(store: &dyn Store) {
    let ns = namespace();
    let inside_1ff: Vec<Vec<u8>> = vec![
        key(&ns, &[0x01, 0xFF]),
        key(&ns, &[0x01, 0xFF, 0x00]),
        key(&ns, &[0x01, 0xFF, 0xFF, 0xFF]),
    ];
    let mut inside_1 = vec![key(&ns, &[0x01]), key(&ns, &[0x01, 0x00])];
    inside_1.extend(inside_1ff.iter().cloned());
    let outside = [
        key(&ns, &[0x00, 0xFF]),
        key(&ns, &[0x02]),
        key(&ns, &[0x02, 0x00]),
    ];
    let top = [key(&ns, &[0xFF]), key(&ns, &[0xFF, 0xFF])];
    let mut batch = WriteBatch::new();
    for k in inside_1.iter().chain(&outside).chain(&top) {
        batch = batch.put(k.clone(), b"x");
    }
    store.write(batch).await.expect("setup");

    let got = store
        .scan(ScanRange::prefix(key(&ns, &[0x01, 0xFF])), 100)
        .await
        .expect("scan");
    assert_eq!(keys_of(&got), inside_1ff, "0x01 0xFF must not include 0x02");

    let got = store
        .scan(ScanRange::prefix(key(&ns, &[0x01])), 100)
        .await
        .expect("scan");
    assert_eq!(keys_of(&got), inside_1);
    let got = store
        .scan(ScanRange::prefix(key(&ns, &[0x01])).reversed(), 100)
        .await
        .expect("scan");
    let mut rev = inside_1.clone();
    rev.reverse();
    assert_eq!(keys_of(&got), rev);

    // A prefix ending in 0xFF: the end bound carries into the namespace.
    let got = store
        .scan(ScanRange::prefix(key(&ns, &[0xFF])), 100)
        .await
        .expect("scan");
    assert_eq!(keys_of(&got), top.to_vec());
}

/// Paging by resuming after the last key visits every key once, both ways.
pub async fn scan_pagination(store: &dyn Store) {
    let ns = namespace();
    let pairs = numbered(&ns, 25);
    put_all(store, &pairs).await;
    for reverse in [false, true] {
        let mut range = ScanRange::prefix(ns.clone());
        if reverse {
            range = range.reversed();
        }
        let mut seen = Vec::new();
        loop {
            let page = store.scan(range.clone(), 7).await.expect("scan page");
            let Some((last, _)) = page.last() else { break };
            range = range.resume_after(last);
            let short = page.len() < 7;
            seen.extend(page);
            if short {
                break;
            }
        }
        let mut expected = pairs.clone();
        if reverse {
            expected.reverse();
        }
        assert_eq!(seen, expected, "reverse = {reverse}");
    }
}

/// 400 KB values round-trip through put, batch_get and scan.
pub async fn large_values(store: &dyn Store) {
    let ns = namespace();
    let big: Vec<u8> = (0..400 * 1024).map(|i| (i % 251) as u8).collect();
    let mut big2 = big.clone();
    big2.reverse();
    let (a, b) = (key(&ns, b"a"), key(&ns, b"b"));
    store
        .write(
            WriteBatch::new()
                .put(a.clone(), big.clone())
                .put(b.clone(), big2.clone()),
        )
        .await
        .expect("write large");
    assert_eq!(store.get(&a).await.expect("get").as_ref(), Some(&big));
    assert_eq!(
        store
            .batch_get(std::slice::from_ref(&b))
            .await
            .expect("batch_get"),
        vec![Some(big2.clone())]
    );
    let got = store
        .scan(ScanRange::prefix(ns.clone()), 10)
        .await
        .expect("scan");
    assert_eq!(got, vec![(a.clone(), big.clone()), (b, big2)]);
    assert_eq!(
        store
            .compare_and_set(&a, Some(&big), Some(b"small".to_vec()))
            .await
            .expect("cas"),
        CasOutcome::Swapped
    );
}

/// 10,000 keys written in batches scan back complete and in order.
pub async fn many_keys(store: &dyn Store) {
    const N: u32 = 10_000;
    const BATCH: u32 = 1_000;
    let ns = namespace();
    let k = |i: u32| key(&ns, &i.to_be_bytes());
    for chunk in 0..N / BATCH {
        let mut batch = WriteBatch::new().durability(Durability::Buffered);
        for i in chunk * BATCH..(chunk + 1) * BATCH {
            batch = batch.put(k(i), i.to_le_bytes());
        }
        assert_eq!(batch.len(), BATCH as usize);
        store.write(batch).await.expect("write chunk");
    }

    let all = store
        .scan(ScanRange::prefix(ns.clone()), N as usize + 10)
        .await
        .expect("scan all");
    assert_eq!(all.len(), N as usize);
    for (i, (key, value)) in (0..N).zip(&all) {
        assert_eq!(key, &k(i));
        assert_eq!(value, &i.to_le_bytes().to_vec());
    }

    let sample: Vec<Vec<u8>> = [0, 4_999, N - 1, N].into_iter().map(k).collect();
    let got = store.batch_get(&sample).await.expect("batch_get");
    assert_eq!(
        got,
        vec![
            Some(0u32.to_le_bytes().to_vec()),
            Some(4_999u32.to_le_bytes().to_vec()),
            Some((N - 1).to_le_bytes().to_vec()),
            None,
        ]
    );

    let last = store
        .scan(ScanRange::prefix(ns.clone()).reversed(), 1)
        .await
        .expect("scan last");
    assert_eq!(keys_of(&last), vec![k(N - 1)]);
}

/// Buffered writes are seen by every read at once (a log's projection is read
/// before its checkpoint), keep their conditions, and `sync` keeps them.
pub async fn buffered_writes_are_visible_at_once(store: &dyn Store) {
    let ns = namespace();
    let (a, b, c) = (key(&ns, b"a"), key(&ns, b"b"), key(&ns, b"c"));
    store
        .write(
            WriteBatch::new()
                .put(a.clone(), b"1")
                .put(b.clone(), b"2")
                .put(c.clone(), b"3"),
        )
        .await
        .expect("synced setup");
    store
        .write(
            WriteBatch::new()
                .expect(a.clone(), Some(b"1".to_vec()))
                .put(a.clone(), b"10")
                .delete(b.clone())
                .durability(Durability::Buffered),
        )
        .await
        .expect("buffered write");
    assert_eq!(store.get(&a).await.expect("get"), Some(b"10".to_vec()));
    assert_eq!(
        store
            .batch_get(&[a.clone(), b.clone(), c.clone()])
            .await
            .expect("batch_get"),
        vec![Some(b"10".to_vec()), None, Some(b"3".to_vec())]
    );
    let all = store
        .scan(ScanRange::prefix(ns.clone()), 10)
        .await
        .expect("scan");
    assert_eq!(
        all,
        vec![(a.clone(), b"10".to_vec()), (c.clone(), b"3".to_vec())]
    );
    let last = store
        .scan(ScanRange::prefix(ns.clone()).reversed(), 1)
        .await
        .expect("reverse scan");
    assert_eq!(last, vec![(c.clone(), b"3".to_vec())]);
    let stale = store
        .write(
            WriteBatch::new()
                .expect(a.clone(), Some(b"1".to_vec()))
                .put(c.clone(), b"x")
                .durability(Durability::Buffered),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::ConditionFailed { .. })),
        "a condition sees buffered writes: {stale:?}"
    );
    store.sync().await.expect("sync");
    assert_eq!(store.get(&a).await.expect("get"), Some(b"10".to_vec()));
    assert_eq!(store.get(&b).await.expect("get"), None);
    assert_eq!(store.get(&c).await.expect("get"), Some(b"3".to_vec()));
}
