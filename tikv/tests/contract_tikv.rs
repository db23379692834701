//! Runs the shared store contract against the TiKV backend.
//!
//! By default the backend talks to the in-process test server
//! (`natter-tikv-testserver`): several stores, regions that split as they fill,
//! and injected `NotLeader`, `ServerIsBusy` and `EpochNotMatch` answers. With
//! `NATTER_TIKV_PD=host:port[,host:port]` the same checks run against a real
//! cluster instead, under a fresh key prefix.

use std::sync::Arc;
use std::time::Duration;

use natter_store::kv::{Store, WriteBatch};
use natter_store::{SharedStore, StoreError, contract};
use natter_tikv::{TikvConfig, TikvStore};
use natter_tikv_testserver::{Faults, Options, TestCluster};

/// Faults injected while the contract runs against the test server.
/// A scan asks every region of its range at once, and a 1,000-key batch spans
/// several, so the rates stay low enough, and regions large enough (2,000 keys: ~20
/// regions by the end), that every operation succeeds within the backend's retries.
/// (With 500-key regions the run reached 60 regions and, about one run in three,
/// retried for minutes while the test server's memory grew to gigabytes.)
const FAULTS: Faults = Faults {
    not_leader: 0.03,
    server_busy: 0.02,
    epoch_not_match: 0.02,
    commit_reply_lost: 0.0,
};

/// Either a real cluster (`NATTER_TIKV_PD`) or a test server, with a store on it.
struct Target {
    server: Option<TestCluster>,
    pd: Vec<String>,
    prefix: Vec<u8>,
}

impl Target {
    async fn start(faults: Faults) -> Self {
        let prefix = format!("contract-{:x}/", rand_u64()).into_bytes();
        if let Ok(pd) = std::env::var("NATTER_TIKV_PD") {
            let pd = pd.split(',').map(str::to_string).collect();
            return Self {
                server: None,
                pd,
                prefix,
            };
        }
        let server = TestCluster::start(Options {
            faults,
            split_after_keys: Some(2000),
            ..Options::default()
        })
        .await
        .expect("start test TiKV");
        let pd = vec![server.pd_endpoint()];
        Self {
            server: Some(server),
            pd,
            prefix,
        }
    }

    async fn store(&self) -> TikvStore {
        let mut config = TikvConfig::new(self.pd.clone());
        config.prefix = self.prefix.clone();
        TikvStore::connect(config).await.expect("connect")
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tikv_passes_contract_through_region_errors() {
    let target = Target::start(FAULTS).await;
    let store = target.store().await;
    contract::run_all(&store).await;
    contract::run_all(&store).await;
    if let Some(server) = &target.server {
        let stats = server.stats();
        println!("test server: {stats:?}, regions: {}", server.region_count());
        // The run went through every retry path, and data crossed regions.
        assert!(stats.not_leader > 0, "{stats:?}");
        assert!(stats.server_busy > 0, "{stats:?}");
        assert!(stats.epoch_not_match > 0, "{stats:?}");
        assert!(server.region_count() > 10, "regions split as they filled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tikv_put_if_absent_race_between_clients() {
    let target = Target::start(Faults::default()).await;
    // One winner among racers spread over two clients (two processes' worth).
    let a: SharedStore = Arc::new(target.store().await);
    let b: SharedStore = Arc::new(target.store().await);
    contract::put_if_absent_race_spawned(Arc::clone(&a)).await;
    for round in 0..5u8 {
        let key = format!("race-{round}").into_bytes();
        let racers = (0..16u8).map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            let key = key.clone();
            tokio::spawn(async move {
                store
                    .write(
                        WriteBatch::new()
                            .expect(key.clone(), None)
                            .put(key, vec![i]),
                    )
                    .await
            })
        });
        let results = futures::future::join_all(racers).await;
        let won: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Ok(Ok(()))))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(won.len(), 1, "one winner: {results:?}");
        for r in results.iter().filter(|r| !matches!(r, Ok(Ok(())))) {
            assert!(
                matches!(r, Ok(Err(StoreError::ConditionFailed { .. }))),
                "losers see the condition fail: {r:?}"
            );
        }
        assert_eq!(a.get(&key).await.expect("get"), Some(vec![won[0] as u8]));
        assert_eq!(b.get(&key).await.expect("get"), Some(vec![won[0] as u8]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_orphaned_by_a_dead_writer_is_rolled_back() {
    let server = TestCluster::start(Options::default())
        .await
        .expect("server");
    let mut config = TikvConfig::new(vec![server.pd_endpoint()]);
    config.prefix = b"orphan/".to_vec();
    let store = TikvStore::connect(config).await.expect("connect");
    store
        .write(WriteBatch::new().put(b"k".to_vec(), b"before".to_vec()))
        .await
        .expect("seed");
    // tikv-client alone never resolves this lock: every read of the key would fail.
    server.plant_orphan_lock(b"orphan/k", b"orphan/primary-never-written");
    assert_eq!(server.lock_count(), 1);
    assert_eq!(
        store.get(b"k").await.expect("read after the lock expires"),
        Some(b"before".to_vec())
    );
    store
        .write(
            WriteBatch::new()
                .expect(b"k".to_vec(), Some(b"before".to_vec()))
                .put(b"k".to_vec(), b"after".to_vec()),
        )
        .await
        .expect("write");
    assert_eq!(store.get(b"k").await.expect("get"), Some(b"after".to_vec()));
    assert_eq!(server.lock_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_collection_advances_the_safe_point_and_clears_old_locks() {
    let server = TestCluster::start(Options::default())
        .await
        .expect("server");
    let mut config = TikvConfig::new(vec![server.pd_endpoint()]);
    config.prefix = b"gc/".to_vec();
    config.gc_interval = Some(Duration::from_millis(100));
    config.gc_keep = Duration::from_millis(500);
    let store = TikvStore::connect(config).await.expect("connect");
    store
        .write(WriteBatch::new().put(b"k".to_vec(), b"v".to_vec()))
        .await
        .expect("write");
    // A lock left by a dead writer, never touched by a reader: only GC clears it.
    server.plant_orphan_lock(b"gc/k", b"gc/primary-never-written");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while server.lock_count() > 0 || server.gc_safe_point() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "GC never ran: safe point {}, locks {}",
            server.gc_safe_point(),
            server.lock_count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.get(b"k").await.expect("get"), Some(b"v".to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_outcome_is_unknown_is_reported_not_retried() {
    let server = TestCluster::start(Options {
        split_keys: vec![b"undetermined/m".to_vec()],
        ..Options::default()
    })
    .await
    .expect("server");
    let mut config = TikvConfig::new(vec![server.pd_endpoint()]);
    config.prefix = b"undetermined/".to_vec();
    let store = TikvStore::connect(config).await.expect("connect");
    store
        .write(WriteBatch::new().put(b"a".to_vec(), b"0".to_vec()))
        .await
        .expect("seed");
    // Two Regions: a two-phase commit whose commit reply never arrives.
    server.set_faults(Faults {
        commit_reply_lost: 1.0,
        ..Faults::default()
    });
    let err = store
        .write(
            WriteBatch::new()
                .expect(b"a".to_vec(), Some(b"0".to_vec()))
                .put(b"a".to_vec(), b"1".to_vec())
                .put(b"z".to_vec(), b"1".to_vec()),
        )
        .await
        .expect_err("outcome unknown");
    // Retrying would report "condition failed" for a write that did happen.
    assert!(
        matches!(
            err,
            StoreError::Backend {
                retryable: false,
                ..
            }
        ),
        "{err:?}"
    );
    server.set_faults(Faults::default());
    assert_eq!(store.get(b"a").await.expect("get"), Some(b"1".to_vec()));
    assert_eq!(store.get(b"z").await.expect("get"), Some(b"1".to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prewrite_that_fails_on_one_region_leaves_no_locks_for_its_retry() {
    let server = TestCluster::start(Options {
        split_keys: vec![b"refused/m".to_vec()],
        ..Options::default()
    })
    .await
    .expect("server");
    let mut config = TikvConfig::new(vec![server.pd_endpoint()]);
    config.prefix = b"refused/".to_vec();
    let store = TikvStore::connect(config).await.expect("connect");
    // Two Regions; the one holding "z" refuses the first prewrite, after the one
    // holding "a" has taken its lock. The retry must not find that lock.
    server.refuse_prewrite(b"z");
    store
        .write(
            WriteBatch::new()
                .put(b"a".to_vec(), b"1".to_vec())
                .put(b"z".to_vec(), b"1".to_vec()),
        )
        .await
        .expect("write");
    // A lock left behind names a primary that was never written: the retry's
    // resolver would have asked for it and been told `TxnNotFound`.
    assert_eq!(server.stats().txn_not_found, 0, "{:?}", server.stats());
    assert_eq!(store.get(b"a").await.expect("get"), Some(b"1".to_vec()));
    assert_eq!(store.get(b"z").await.expect("get"), Some(b"1".to_vec()));
}
