//! Partition leases against a real nats-server and a real (embedded) store: workers
//! share the partitions, hand them over when one leaves, and each new owner raises
//! the store's fence to its epoch (the revision of its claim).
//!
//! The workers run in this process and share one embedded store, which a single
//! process owns; several worker *processes* need a shared store (TiKV).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use natter_nats::{NatsServer, layout};
use natter_store::{EmbeddedStore, SharedStore, keys, value};
use natter_store_worker::StoreWorkerConfig;

// Enough that rendezvous hashing gives each of two workers some (all to one: 2^-15).
const PARTITIONS: u32 = 16;

/// A worker running in a task; dropping the sender stops it gracefully.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start(url: &str, store: SharedStore) -> Running {
    let nats = natter_nats::connect(url, "test-worker").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = StoreWorkerConfig {
        layout: layout::LayoutConfig {
            partitions: PARTITIONS,
            ..Default::default()
        },
        lease_ttl: Duration::from_secs(2),
        ..Default::default()
    };
    let task = tokio::spawn(natter_store_worker::run(config, store, nats, async move {
        let _ = stopped.await;
    }));
    Running { stop, task }
}

/// Lease key → (owner, revision) of the partitions currently leased.
async fn owners(js: &async_nats::jetstream::Context) -> HashMap<String, (String, u64)> {
    let mut out = HashMap::new();
    // Not created yet while the first worker starts.
    let Ok(kv) = js.get_key_value(layout::PARTITION_LEASE_BUCKET).await else {
        return out;
    };
    let mut keys = kv.keys().await.unwrap();
    while let Some(Ok(k)) = keys.next().await {
        if let Ok(Some(e)) = kv.entry(&k).await
            && e.operation == async_nats::jetstream::kv::Operation::Put
        {
            out.insert(
                k,
                (String::from_utf8_lossy(&e.value).into_owned(), e.revision),
            );
        }
    }
    out
}

async fn until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_partitions_and_each_new_owner_raises_the_fence() {
    let server = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: SharedStore = Arc::new(EmbeddedStore::open(dir.path()).unwrap());
    let js = async_nats::jetstream::new(natter_nats::connect(server.url(), "t").await.unwrap());

    let a = start(server.url(), store.clone()).await;
    until("worker A owns every partition", || async {
        owners(&js).await.len() == PARTITIONS as usize
    })
    .await;
    let first = owners(&js).await;
    let a_name = first.values().next().unwrap().0.clone();

    // B joins: the partitions are split between the two.
    let b = start(server.url(), store.clone()).await;
    until("the partitions are split between A and B", || async {
        let o = owners(&js).await;
        let a_has = o.values().filter(|(w, _)| *w == a_name).count();
        o.len() == PARTITIONS as usize && a_has > 0 && a_has < PARTITIONS as usize
    })
    .await;

    // A leaves (graceful): B owns everything, and for every partition the store's
    // fence equals B's claim revision, higher than A's.
    let _ = a.stop.send(());
    a.task.await.unwrap().unwrap();
    until("B owns every partition", || async {
        let o = owners(&js).await;
        o.len() == PARTITIONS as usize && o.values().all(|(w, _)| *w != a_name)
    })
    .await;
    until("every fence is B's epoch", || async {
        let o = owners(&js).await;
        let mut all = true;
        for p in 0..PARTITIONS {
            let (_, rev) = &o[&layout::partition_lease_key(p)];
            let fence: u64 = match store.get(&keys::partition_fence(p)).await.unwrap() {
                Some(b) => value::decode(&b).unwrap(),
                None => 0,
            };
            // The lease's revision moves on each renewal; the fence is the claim's.
            all &= fence > first[&layout::partition_lease_key(p)].1 && fence <= *rev;
        }
        all
    })
    .await;

    // A stale owner's epoch can no longer write: the fence condition fails.
    let stale = natter_store::WriteBatch::new()
        .expect(
            keys::partition_fence(0),
            Some(value::encode(&first["p0"].1)),
        )
        .put(keys::partition_applied(0), value::encode(&u64::MAX));
    assert!(matches!(
        store.write(stale).await,
        Err(natter_store::StoreError::ConditionFailed { .. })
    ));

    let _ = b.stop.send(());
    b.task.await.unwrap().unwrap();
}
