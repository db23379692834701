//! Partition ownership: store workers share the stream's partitions through leases.
//!
//! Every worker registers in `store_workers` (per-key TTL, renewed). Each partition
//! `p` has a lease key `p<N>` in `partition_leases`; its desired owner is the live
//! worker that ranks highest for it by rendezvous hashing, so partitions spread
//! evenly and move only when workers join or leave. A worker claims the partitions it
//! should own when their lease is free, renews its leases every third of the TTL, and
//! hands a partition over (stops its task, frees the lease) when another live worker
//! should own it. A lease it fails to renew stops its task at once.
//!
//! The revision of a successful claim is the partition's **epoch**, larger than any
//! before it. The partition task first raises the store's fence for the partition to
//! its epoch, and every store write it makes is conditional on the fence still being
//! its epoch: a worker paused past its lease (SIGSTOP) and resumed can never write.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use natter_nats::layout;
use natter_nats::ttl_kv::TtlKv;

use crate::Worker;

struct Owned {
    rev: u64,
    task: tokio::task::JoinHandle<()>,
}

/// The partitions this worker runs; dropping it (the manager aborted) stops them.
#[derive(Default)]
struct OwnedSet(HashMap<u32, Owned>);

impl Drop for OwnedSet {
    fn drop(&mut self) {
        for (_, o) in self.0.drain() {
            o.task.abort();
        }
    }
}

/// Rendezvous weight of a worker for a partition.
fn weight(worker: &str, p: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(p).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in worker.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    // Finalize so similar names spread.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// The live worker that should own partition `p`.
fn desired(live: &[String], p: u32) -> Option<&str> {
    live.iter()
        .max_by_key(|w| (weight(w, p), w.as_str()))
        .map(String::as_str)
}

/// Runs the lease manager until aborted (aborting it stops every partition task).
pub(crate) async fn run(w: Arc<Worker>, me: String) {
    let mut owned = OwnedSet::default();
    w.config.health.expect("leases");
    if let Err(e) = manage(&w, &me, &mut owned.0).await {
        tracing::error!(error = %e, "lease manager failed");
        w.config
            .health
            .set("leases", Err(format!("lease manager failed: {e}")));
    }
}

/// Keeps the `store` readiness check current: a read every `every`, bounded by
/// `every`, so a stuck disk or an unreachable TiKV turns the worker unready. Its own
/// task: a slow store must never delay lease renewals. While a failed write is not
/// yet followed by one that succeeded, it also syncs, to find out whether writes
/// work again (`store_health`).
pub(crate) async fn probe_store(w: Arc<Worker>, every: std::time::Duration) {
    let key = natter_store::keys::partition_fence(0);
    loop {
        let probe = async {
            w.store.get(&key).await?;
            if w.store_health.write_failing() {
                w.store.sync().await?;
            }
            Ok::<_, natter_store::StoreError>(())
        };
        let state = match tokio::time::timeout(every, probe).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("store unreachable: {e}")),
            Err(_) => Err(format!("store probe took over {every:?}")),
        };
        w.store_health.probed(state);
        tokio::time::sleep(every).await;
    }
}

/// Stops all partition tasks and frees their leases (graceful shutdown).
pub(crate) async fn release_all(w: &Worker, me: &str) {
    if let Ok(leases) = TtlKv::open(&w.js, layout::PARTITION_LEASE_BUCKET).await
        && let Ok(entries) = leases.entries().await
    {
        for (key, value) in entries {
            if value.as_ref() == me.as_bytes() {
                let _ = leases.delete(&key).await;
            }
        }
    }
    if let Ok(workers) = TtlKv::open(&w.js, layout::STORE_WORKERS_BUCKET).await {
        let _ = workers.delete(me).await;
    }
}

async fn manage(w: &Arc<Worker>, me: &str, owned: &mut HashMap<u32, Owned>) -> anyhow::Result<()> {
    let ttl = w.config.lease_ttl;
    let tick = ttl / 3;
    let leases = TtlKv::open(&w.js, layout::PARTITION_LEASE_BUCKET).await?;
    let workers = TtlKv::open(&w.js, layout::STORE_WORKERS_BUCKET).await?;
    let value = Bytes::from(me.to_string());
    loop {
        if let Err(e) = workers.put(me, value.clone(), ttl).await {
            tracing::warn!(error = %e, "store worker registration not renewed");
        }
        let mut live: Vec<String> = match workers.entries().await {
            Ok(e) => e.into_iter().map(|(k, _)| k).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "live store workers unknown");
                vec![me.to_string()]
            }
        };
        if !live.iter().any(|l| l == me) {
            live.push(me.to_string());
        }

        // Renew what we hold; drop what we lost or what ended.
        let mut lost = Vec::new();
        let mut renewal_failed = None;
        for (p, o) in owned.iter_mut() {
            let key = layout::partition_lease_key(*p);
            if o.task.is_finished() {
                lost.push(*p);
                let _ = leases.release(&key, o.rev).await;
                continue;
            }
            match leases.renew(&key, value.clone(), ttl, o.rev).await {
                Ok(Some(rev)) => o.rev = rev,
                Ok(None) => {
                    tracing::warn!(partition = p, "lease lost");
                    lost.push(*p);
                }
                // Unknown outcome: keep going; the fence protects the store.
                Err(e) => {
                    tracing::warn!(partition = p, error = %e, "lease renewal failed");
                    renewal_failed = Some(format!("partition {p}: lease renewal failed: {e}"));
                }
            }
        }
        for p in lost {
            if let Some(o) = owned.remove(&p) {
                o.task.abort();
            }
        }

        for p in 0..w.partitions {
            let mine = desired(&live, p) == Some(me);
            let key = layout::partition_lease_key(p);
            match (mine, owned.contains_key(&p)) {
                (true, false) => match leases.claim(&key, value.clone(), ttl).await {
                    Ok(Some(epoch)) => {
                        tracing::info!(partition = p, epoch, "partition claimed");
                        let task = w.owners.spawn(crate::partition::run(w.clone(), p, epoch));
                        owned.insert(p, Owned { rev: epoch, task });
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(partition = p, error = %e, "claim failed"),
                },
                (false, true) => {
                    // Another live worker should own it: hand it over.
                    if let Some(o) = owned.remove(&p) {
                        o.task.abort();
                        let _ = o.task.await;
                        let _ = leases.release(&key, o.rev).await;
                        tracing::info!(partition = p, "partition handed over");
                    }
                }
                _ => {}
            }
        }
        metrics::gauge!("natter_store_partitions_owned").set(owned.len() as f64);
        w.owned_partitions
            .send_replace(owned.keys().copied().collect());
        w.config
            .health
            .set("leases", renewal_failed.map_or(Ok(()), Err));
        tokio::time::sleep(tick).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_spread_and_move_little_when_a_worker_joins() {
        let two: Vec<String> = vec!["sw-1".into(), "sw-2".into()];
        let three: Vec<String> = vec!["sw-1".into(), "sw-2".into(), "sw-3".into()];
        let count =
            |live: &[String], w: &str| (0..64).filter(|p| desired(live, *p) == Some(w)).count();
        assert!(count(&two, "sw-1") > 16 && count(&two, "sw-2") > 16);
        // Only partitions that go to the newcomer move.
        for p in 0..64 {
            let before = desired(&two, p).unwrap();
            let after = desired(&three, p).unwrap();
            assert!(after == before || after == "sw-3");
        }
    }
}
