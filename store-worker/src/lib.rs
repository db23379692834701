//! Natter's store worker: the only service that opens the store.
//!
//! It consumes the message stream partition by partition, drops duplicate sends by
//! (sender, client_msg_id), assigns each channel's next seq, writes each consumed
//! batch to the store in one atomic synced write, acks the batch to JetStream, then
//! fans the new messages out on `user.<id>`. It also answers the storage-backed
//! requests of the edges (accounts, profiles, channels, history, device sync) over
//! NATS request-reply in the `store-worker` queue group, and the channel commands of
//! the partitions it owns (groups, read seqs) on `cmd.<partition>`.
//!
//! # Layout
//! - [`run`]: the entry point shared by `natter store-worker`, `natter dev` and tests.
//! - `ingest`: one task per partition: consume, dedupe, sequence, persist, ack; it
//!   also applies the partition's channel commands.
//! - `leases`: partition ownership (leases shared by the live workers) and the
//!   fence each new owner raises.
//! - `groups`: channel commands (groups, membership, roles, read seqs).
//! - `fanout`: publishing events to members' user subjects.
//! - `accounts`, `channels`, `sync`: the storage-backed requests; `rpc` dispatches
//!   to them.
//! - `push`: the storage side of push notifications (jobs after messages are
//!   stored, device push targets, muted channels).
//! - `admin`: operator requests (`admin.*`) for `natter admin`.
//! - `records`: the values kept in the store.
#![deny(missing_docs)]

mod accounts;
mod admin;
mod channels;
mod fanout;
mod groups;
mod ingest;
mod leases;
mod push;
mod records;
mod rpc;
mod sync;

use std::future::Future;
use std::sync::Arc;

use natter_idgen::IdGenerator;
use natter_nats::layout::{self, LayoutConfig};
use natter_store::SharedStore;

/// What a store worker needs besides its store and NATS connection.
#[derive(Debug, Clone)]
pub struct StoreWorkerConfig {
    /// The NATS layout to create if missing (partitions, replicas, presence shards).
    pub layout: LayoutConfig,
    /// Most JetStream messages consumed and written as one store batch.
    pub max_batch: usize,
    /// Life of a partition lease without renewal (renewed every third of it).
    pub lease_ttl: std::time::Duration,
    /// Durability of partition batches and cursor writes: `Sync` (fsync before
    /// the batch's messages are acked, the default) or `Buffered` (only to measure
    /// what fsync costs: a machine crash can lose acked messages).
    pub durability: natter_store::Durability,
    /// Readiness checks this worker keeps current (`leases`, `store`) for `/readyz`.
    pub health: natter_nats::health::Health,
}

impl Default for StoreWorkerConfig {
    fn default() -> Self {
        Self {
            layout: LayoutConfig::default(),
            max_batch: 256,
            lease_ttl: std::time::Duration::from_secs(10),
            durability: natter_store::Durability::Sync,
            health: natter_nats::health::Health::default(),
        }
    }
}

/// Shared state of one store worker process.
pub(crate) struct Worker {
    pub(crate) store: SharedStore,
    pub(crate) nats: async_nats::Client,
    pub(crate) js: async_nats::jetstream::Context,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) config: StoreWorkerConfig,
    /// P of the message stream (from its metadata, not the configured value).
    pub(crate) partitions: u32,
    pub(crate) fanout: fanout::Fanout,
}

/// Runs a store worker until `shutdown` completes or a fatal error occurs.
///
/// # Errors
/// Fails if the NATS layout cannot be set up, no idgen worker id can be leased, or
/// the RPC subscription fails.
pub async fn run(
    config: StoreWorkerConfig,
    store: SharedStore,
    nats: async_nats::Client,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(nats.clone());
    let layout = layout::ensure_patiently(&js, &config.layout, layout::STARTUP_PATIENCE).await?;
    let ids = IdGenerator::start_patiently(js.clone(), layout::STARTUP_PATIENCE).await?;
    let worker = Arc::new(Worker {
        fanout: fanout::Fanout::new(store.clone(), nats.clone()),
        store,
        nats,
        js,
        ids: ids.clone(),
        config,
        partitions: layout.partitions,
    });
    tracing::info!(
        partitions = layout.partitions,
        worker_id = ids.worker_id(),
        "store worker starting"
    );

    let me = format!("sw-{}", ids.worker_id());
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(leases::run(worker.clone(), me.clone()));
    tasks.spawn(leases::probe_store(
        worker.clone(),
        worker.config.lease_ttl / 3,
    ));
    let rpc_sub = worker
        .nats
        .queue_subscribe(
            natter_nats::subjects::RPC_ALL,
            natter_nats::subjects::RPC_QUEUE_GROUP.into(),
        )
        .await?;
    tasks.spawn(rpc::serve(worker.clone(), rpc_sub));
    let admin_sub = worker
        .nats
        .queue_subscribe(
            natter_nats::subjects::admin::ALL,
            natter_nats::subjects::RPC_QUEUE_GROUP.into(),
        )
        .await?;
    tasks.spawn(rpc::serve(worker.clone(), admin_sub));

    shutdown.await;
    tracing::info!("store worker stopping");
    tasks.shutdown().await;
    // Free the partitions at once rather than after the lease TTL; anything persisted
    // but not acked is redelivered to the next owner and recognized as applied.
    leases::release_all(&worker, &me).await;
    if let Err(e) = ids.release().await {
        tracing::warn!(error = %e, "idgen lease release failed");
    }
    // Anything persisted but not yet acked is redelivered and recognized as applied.
    let _ = worker.nats.flush().await;
    Ok(())
}
