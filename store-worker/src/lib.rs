//! Natter's store worker: the only service that opens the store.
//!
//! Each partition of the log has one owner among the live store workers. The owner
//! reads its partition's log in order, applies each batch of entries (sends, group
//! changes, read marks) to the state it holds in memory, drops duplicate sends by
//! (sender, client_msg_id), assigns each channel's next seq, writes the batch's
//! rows to the store without waiting for an fsync, then fans out on `user.<id>`
//! and answers the commands' callers; at checkpoints it syncs the store and trims
//! the log. It also moves device cursors of its channels (`cursor.<partition>`).
//! Any worker answers the storage-backed requests of the edges (accounts,
//! profiles, channels, history, device sync) over NATS request-reply in the
//! `store-worker` queue group.
//!
//! # Layout
//! - [`run`]: the entry point shared by `natter store-worker`, `natter dev` and tests.
//! - `partition`: a partition's owner: its in-memory state, applying log entries,
//!   group and role rules, checkpoints, cursor moves, the earlier work queue's drain.
//! - `leases`: partition ownership (leases shared by the live workers) and the
//!   fence each new owner raises.
//! - `fanout`: publishing events to members' user subjects.
//! - `quotes`: what a reply shows of the message it replies to, made when read.
//! - `receipts`: read and delivery receipts for authors, and a channel's receipts.
//! - `accounts`, `channels`, `sync`: the storage-backed requests; `rpc` dispatches
//!   to them.
//! - `push`: the storage side of push notifications (jobs after messages are
//!   stored, device push targets, muted channels); `online`: who is online, so
//!   that jobs go only to recipients with no online device.
//! - `admin`: operator requests (`admin.*`) for `natter admin`.
//! - `chat_requests`: requests to chat or to join a group, accepted or declined.
//! - `erasure`: account deletion, and the erasure of its messages channel by channel.
//! - `retention`: the sweep that expires messages older than the maximum age.
//! - `records`: the values kept in the store.
//! - `store_health`: the `store` readiness check, kept from every store call's
//!   outcome; a store that failed for good ends [`run`] with [`StoreFailed`].
#![deny(missing_docs)]

mod accounts;
mod admin;
mod attachments;
mod blocks;
mod channels;
mod chat_requests;
mod erasure;
mod fanout;
mod leases;
mod online;
mod partition;
mod push_targets;
mod quotes;
mod receipts;
mod records;
mod reports;
mod retention;
mod rpc;
mod sessions;
mod store_health;
mod sync;
mod tables;

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
    /// Most log messages (each a batch of entries) applied and written as one store batch.
    pub max_batch: usize,
    /// Life of a partition lease without renewal (renewed every third of it).
    pub lease_ttl: std::time::Duration,
    /// How often each partition's owner syncs the store and trims its log.
    pub checkpoint_every: std::time::Duration,
    /// Crash tests only: each owner's first run fails right after reading its first
    /// batch of entries, before applying it (the next run must read them again).
    pub fail_first_read: bool,
    /// Readiness checks this worker keeps current (`leases`, `store`) for `/readyz`.
    pub health: natter_nats::health::Health,
    /// Most password hashes (sign-up, login) computed at once: each holds ~19 MiB
    /// (argon2id's memory cost) for its time, so this bounds their memory.
    pub password_hashes: usize,
    /// How long a sign-up or login waits for a hashing slot before it is told
    /// `unavailable` (a flood of logins costs its senders, not everyone's memory).
    pub password_hash_wait: std::time::Duration,
    /// Keys that verify appends to the log (derived from the edges' token keys): an
    /// append not signed with one of them is dropped, so a stolen NATS credential
    /// cannot append as another user. The first also signs what this worker appends.
    pub log_keys: natter_nats::log_auth::LogKeys,
    /// Applies unsigned appends too (logged and counted): only while upgrading from a
    /// version whose edges did not sign them (docs/operations.md).
    pub accept_unsigned_log: bool,
    /// Tells authors of 1:1 messages when a device of the other side has them.
    pub delivery_receipts: bool,
    /// How long a deleted account's username stays held before anyone may take it.
    pub username_hold: std::time::Duration,
    /// Messages older than this are removed (`None`: kept forever, unless a group
    /// keeps them for less).
    pub max_message_age: Option<std::time::Duration>,
    /// How often each worker sweeps its partitions' channels for expired messages.
    pub retention_sweep_every: std::time::Duration,
}

/// Default most password hashes at once: one per core, at least 2.
fn default_password_hashes() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

impl Default for StoreWorkerConfig {
    fn default() -> Self {
        Self {
            layout: LayoutConfig::default(),
            max_batch: 256,
            lease_ttl: std::time::Duration::from_secs(10),
            checkpoint_every: std::time::Duration::from_secs(1),
            fail_first_read: false,
            health: natter_nats::health::Health::default(),
            password_hashes: default_password_hashes(),
            password_hash_wait: std::time::Duration::from_secs(2),
            log_keys: natter_nats::log_auth::LogKeys::derive([]),
            accept_unsigned_log: false,
            delivery_receipts: true,
            username_hold: std::time::Duration::from_secs(30 * 24 * 3600),
            max_message_age: None,
            retention_sweep_every: std::time::Duration::from_secs(3600),
        }
    }
}

/// Why [`run`] ended by itself: the store failed for good
/// ([`natter_store::StoreError::Fatal`], e.g. a journal write on a full disk) and can
/// write again only once reopened. The worker stopped cleanly (leases released);
/// reopen the store and run again, or exit for the supervisor to restart the process.
#[derive(Debug, thiserror::Error)]
#[error("the store failed: {reason}")]
pub struct StoreFailed {
    /// The store's error.
    pub reason: String,
}

/// Shared state of one store worker process.
pub(crate) struct Worker {
    /// The store, every call watched by `store_health`.
    pub(crate) store: SharedStore,
    /// The store as the partition owners use it: on their own thread, calls run
    /// there instead of hopping to a blocking pool ([`natter_store::Store::inline`]).
    pub(crate) owner_store: SharedStore,
    /// The runtime of the partition owners: a thread of their own.
    pub(crate) owners: tokio::runtime::Handle,
    pub(crate) nats: async_nats::Client,
    pub(crate) js: async_nats::jetstream::Context,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) config: StoreWorkerConfig,
    /// P of the log (from its metadata, not the configured value).
    pub(crate) partitions: u32,
    pub(crate) fanout: fanout::Fanout,
    /// Held (shared) by every partition owner while it runs: stopping waits for
    /// them to checkpoint by taking it exclusively.
    pub(crate) running: Arc<tokio::sync::RwLock<()>>,
    /// Set when the worker stops: owners checkpoint and end.
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
    /// Push jobs for the queuer (`push_targets::queue_jobs`).
    pub(crate) push_jobs: tokio::sync::mpsc::Sender<Vec<natter_protocol::internal::PushJob>>,
    /// Slots for password hashes ([`StoreWorkerConfig::password_hashes`]).
    pub(crate) hashing: tokio::sync::Semaphore,
    /// The `store` readiness check, fed by every store call.
    pub(crate) store_health: Arc<store_health::StoreHealth>,
    /// Woken when an account deletion here leaves channels to erase.
    pub(crate) erasing: tokio::sync::Notify,
    /// The partitions this worker owns now (kept by the lease manager).
    pub(crate) owned_partitions: tokio::sync::watch::Sender<std::collections::BTreeSet<u32>>,
}

/// The thread the partition owners run on, with a runtime of its own: their store
/// calls may block it briefly (a memtable write, a cached read) without holding up
/// anything else, and without a hop to a blocking pool per call.
struct OwnerThread {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl OwnerThread {
    fn start() -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = rt.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("partition-owners".into())
            .spawn(move || {
                rt.block_on(async {
                    let _ = stopped.await;
                });
                rt.shutdown_background();
            })?;
        Ok(Self {
            handle,
            stop: Some(stop),
        })
    }
}

impl Drop for OwnerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// How long a stopping worker waits for its partition owners to checkpoint.
const STOP_CHECKPOINT_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs a store worker until `shutdown` completes or a fatal error occurs.
///
/// # Errors
/// Fails if the NATS layout cannot be set up, no idgen worker id can be leased, or
/// the RPC subscription fails; [`StoreFailed`] (the worker stopped) once the store
/// has failed for good.
pub async fn run(
    config: StoreWorkerConfig,
    store: SharedStore,
    nats: async_nats::Client,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(nats.clone());
    let layout = layout::ensure_patiently(&js, &config.layout, layout::STARTUP_PATIENCE).await?;
    let ids = IdGenerator::start_patiently(js.clone(), layout::STARTUP_PATIENCE).await?;
    let (online, following) = online::Online::start(nats.clone(), layout.presence_shards)
        .await
        .map_err(|e| anyhow::anyhow!("presence changes: {e}"))?;
    let (push_jobs, jobs) = tokio::sync::mpsc::channel(push_targets::PUSH_BACKLOG);
    let queuer = tokio::spawn(push_targets::queue_jobs(
        js.clone(),
        store.clone(),
        online,
        layout.partitions,
        jobs,
    ));
    let owners = OwnerThread::start()?;
    // Every call is watched: a failed write turns the worker unready at once, and a
    // store that failed for good stops it (below).
    let store_health = Arc::new(store_health::StoreHealth::new(config.health.clone()));
    let store: SharedStore = Arc::new(natter_store::observed::Observed::new(
        store,
        store_health.clone(),
    ));
    let worker = Arc::new(Worker {
        store_health,
        erasing: tokio::sync::Notify::new(),
        owned_partitions: tokio::sync::watch::Sender::new(Default::default()),
        owner_store: store.clone().inline(),
        owners: owners.handle.clone(),
        push_jobs,
        hashing: tokio::sync::Semaphore::new(config.password_hashes.max(1)),
        fanout: fanout::Fanout::new(nats.clone()),
        running: Arc::default(),
        stopping: tokio::sync::watch::Sender::new(false),
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
    tasks.spawn(reports::keep_sweeping(worker.clone()));
    tasks.spawn(erasure::keep_erasing(worker.clone(), me.clone()));
    tasks.spawn(retention::keep_expiring(worker.clone()));

    let failed = tokio::select! {
        () = shutdown => None,
        why = worker.store_health.failed() => Some(why),
    };
    tracing::info!("store worker stopping");
    worker.stopping.send_replace(true);
    if failed.is_none() {
        // Owners finish their batch, checkpoint (so only a crash ever replays) and end.
        if tokio::time::timeout(STOP_CHECKPOINT_GRACE, worker.running.write())
            .await
            .is_err()
        {
            tracing::warn!("partition owners did not checkpoint in time; the next owner replays");
        }
    }
    // A failed store can make nothing durable: the owners are stopped where they are
    // (below) and the next owner replays from what the store recovers.
    tasks.shutdown().await;
    following.abort();
    queuer.abort();
    drop(owners);
    // Free the partitions at once rather than after the lease TTL; anything persisted
    // but not acked is redelivered to the next owner and recognized as applied.
    leases::release_all(&worker, &me).await;
    if let Err(e) = ids.release().await {
        tracing::warn!(error = %e, "idgen lease release failed");
    }
    // Anything persisted but not yet acked is redelivered and recognized as applied.
    let _ = worker.nats.flush().await;
    match failed {
        None => Ok(()),
        Some(reason) => Err(StoreFailed { reason }.into()),
    }
}
