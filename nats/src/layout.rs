//! The JetStream layout: the partition log, its owners' consumers, the KV buckets.
//!
//! [`ensure`] creates whatever is missing and leaves what exists alone, so every
//! service calls it at start-up and whichever starts first creates the layout. The
//! partition count is fixed when the log is created and is read back from the
//! stream's metadata afterwards: a later process configured with another count uses
//! the stream's. A log created beside the work-queue stream of earlier versions
//! (`MSGS`) takes that stream's partition count, so channels keep their partitions.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, kv, stream};

use crate::subjects;

/// The partition log: every change to a channel (sends, group changes, read marks),
/// partitioned by channel, kept until a checkpoint of its partition's owner trims it.
pub const LOG_STREAM: &str = "LOG";
/// The work-queue stream of earlier versions; drained into [`LOG_STREAM`] by each
/// partition's owner when it claims the partition.
pub const LEGACY_MESSAGE_STREAM: &str = "MSGS";
/// Stream metadata key holding the partition count fixed at creation.
pub const PARTITIONS_METADATA_KEY: &str = "natter.partitions";
/// The push job queue: messages whose offline recipients may need a notification.
pub const PUSH_STREAM: &str = "PUSH";
/// Durable consumer the push workers share.
pub const PUSH_CONSUMER: &str = "push-worker";
/// The media worker's jobs (work queue).
pub const MEDIA_STREAM: &str = "MEDIA";
/// The media workers' shared durable consumer.
pub const MEDIA_CONSUMER: &str = "media-worker";
/// Bytes each user uploaded per day: `<user>.<day>` (days since the epoch, UTC).
pub const MEDIA_QUOTA_BUCKET: &str = "media_quota";
/// Users' data exports in progress or made: user → status (JSON), a day.
pub const EXPORTS_BUCKET: &str = "exports";
/// Ended sessions ([`crate::revocations`]): `s.<session>` and `u.<user>`, per-key TTL.
pub const REVOKED_BUCKET: &str = "revoked";

/// Stream metadata key holding the presence shard count fixed at creation.
pub const PRESENCE_SHARDS_METADATA_KEY: &str = "natter.presence_shards";
/// How long a TTL-expiry or delete marker stays in a presence or edges bucket.
pub const MARKER_TTL: Duration = Duration::from_secs(60);
/// KV bucket of partition leases: `p<N>` → the owning store worker (per-key TTL).
pub const PARTITION_LEASE_BUCKET: &str = "partition_leases";
/// KV bucket of live store workers (per-key TTL), for sharing the partitions.
pub const STORE_WORKERS_BUCKET: &str = "store_workers";

/// Key of partition `p`'s lease.
pub fn partition_lease_key(partition: u32) -> String {
    format!("p{partition}")
}

/// KV bucket of live edges (per-key TTL, renewed by each edge).
pub const EDGES_BUCKET: &str = "edges";
/// KV bucket of each user's last edge (for sticky discovery).
pub const EDGE_AFFINITY_BUCKET: &str = "edge_affinity";
/// How long an edge affinity lasts without a new connection.
pub const EDGE_AFFINITY_TTL: Duration = Duration::from_secs(3600);

/// Presence bucket of shard `k`: one key per online device (per-key TTL).
pub fn presence_bucket(shard: u32) -> String {
    format!("presence_{shard}")
}

/// Last-seen bucket of shard `k`: one key per user, the time they went offline.
pub fn last_seen_bucket(shard: u32) -> String {
    format!("last_seen_{shard}")
}

/// `KV_<bucket>`: the stream JetStream keeps a KV bucket in.
pub fn kv_stream_name(bucket: &str) -> String {
    format!("KV_{bucket}")
}

/// The presence shard of a user (same stable mix as partitions).
pub fn presence_shard_of(user_id: u64, shards: u32) -> u32 {
    partition_of(user_id, shards)
}

/// KV bucket of idgen worker-id leases (keys expire unless renewed).
pub const IDGEN_LEASE_BUCKET: &str = "idgen_leases";
/// How long an idgen worker-id lease lives without renewal.
pub const IDGEN_LEASE_TTL: Duration = Duration::from_secs(10);
/// KV bucket of per-worker-id high-water marks (milliseconds), kept forever.
pub const IDGEN_HWM_BUCKET: &str = "idgen_hwm";
/// How long JetStream remembers `Nats-Msg-Id`s of the message stream for dedupe.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Largest JetStream message the stream accepts (a batch of entries).
pub const MAX_STREAM_MESSAGE_BYTES: i32 = 8 * 1024 * 1024;
/// Default cap on the log's size: past it appends are refused (back-pressure while
/// owners are down), never old entries dropped.
pub const DEFAULT_LOG_MAX_BYTES: i64 = 16 * 1024 * 1024 * 1024;

/// What [`ensure`] needs to create the layout.
#[derive(Debug, Clone)]
pub struct LayoutConfig {
    /// Partitions of the message stream, used only if the stream does not exist yet.
    pub partitions: u32,
    /// Replicas of every stream and bucket (1 on one node, 3 in a cluster).
    pub replicas: usize,
    /// Presence shards (buckets), used only if the message stream does not exist yet.
    pub presence_shards: u32,
    /// Most bytes the log may hold (entries not yet trimmed by a checkpoint).
    pub log_max_bytes: i64,
}

impl Default for LayoutConfig {
    fn default() -> Self {
        Self {
            partitions: 8,
            replicas: 1,
            presence_shards: 4,
            log_max_bytes: DEFAULT_LOG_MAX_BYTES,
        }
    }
}

/// The layout as it exists on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Partition count of the message stream (fixed at its creation).
    pub partitions: u32,
    /// Presence shard count (fixed with the message stream).
    pub presence_shards: u32,
    /// When the log stream was created (ns since the epoch): its identity, kept
    /// with each partition's applied position so that a recreated log is noticed.
    pub log_created_ns: u64,
}

/// Failures while creating or reading the layout.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A JetStream API call failed.
    #[error("jetstream: {0}")]
    JetStream(String),
    /// The stream exists but its partition metadata is missing or malformed.
    #[error("stream {LOG_STREAM} has no valid {PARTITIONS_METADATA_KEY} metadata: {0:?}")]
    BadMetadata(Option<String>),
    /// Partition count must be at least 1.
    #[error("partition count must be at least 1")]
    NoPartitions,
}

fn js_err(e: impl std::fmt::Display) -> LayoutError {
    LayoutError::JetStream(e.to_string())
}

/// Creates the stream and KV buckets if missing; returns the layout in force.
///
/// # Errors
/// Fails if JetStream is unreachable or the existing stream's metadata is invalid.
pub async fn ensure(js: &jetstream::Context, cfg: &LayoutConfig) -> Result<Layout, LayoutError> {
    if cfg.partitions == 0 {
        return Err(LayoutError::NoPartitions);
    }
    let info = ensure_log_stream(js, cfg).await?;
    let layout = Layout::of_stream(&info)?;
    ensure_push_stream(js, cfg).await?;
    ensure_media_stream(js, cfg).await?;
    for (bucket, description, expiry) in buckets(layout.presence_shards) {
        let mut config = kv::Config {
            bucket,
            description: description.into(),
            history: 1,
            num_replicas: cfg.replicas,
            ..Default::default()
        };
        match expiry {
            Expiry::PerKey => config.limit_markers = Some(MARKER_TTL),
            Expiry::MaxAge(d) => config.max_age = d,
            Expiry::Never => {}
        }
        ensure_bucket(js, config).await?;
    }
    Ok(layout)
}

/// The layout in force, read from the log stream without creating anything
/// (for tools that only look, such as `natter admin`).
///
/// # Errors
/// Fails if JetStream is unreachable, the stream does not exist, or its metadata is
/// invalid.
pub async fn read(js: &jetstream::Context) -> Result<Layout, LayoutError> {
    let mut stream = js.get_stream(LOG_STREAM).await.map_err(js_err)?;
    let info = stream.info().await.map_err(js_err)?;
    Layout::of_stream(info)
}

impl Layout {
    /// The layout the message stream's metadata fixes.
    fn of_stream(info: &stream::Info) -> Result<Self, LayoutError> {
        let number = |key| {
            info.config
                .metadata
                .get(key)
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|n| *n > 0)
        };
        let partitions = number(PARTITIONS_METADATA_KEY).ok_or_else(|| {
            LayoutError::BadMetadata(info.config.metadata.get(PARTITIONS_METADATA_KEY).cloned())
        })?;
        Ok(Self {
            partitions,
            // Streams created before presence existed have one shard.
            presence_shards: number(PRESENCE_SHARDS_METADATA_KEY).unwrap_or(1),
            log_created_ns: u64::try_from(info.created.unix_timestamp_nanos()).unwrap_or(0),
        })
    }
}

/// How a bucket's keys go away.
enum Expiry {
    /// Each write sets its own TTL; expiries leave markers watchers see.
    PerKey,
    /// Every key lives this long after its last write.
    MaxAge(Duration),
    /// Kept until deleted.
    Never,
}

/// Every KV bucket: name, description, expiry.
fn buckets(presence_shards: u32) -> Vec<(String, &'static str, Expiry)> {
    let mut out = Vec::new();
    for k in 0..presence_shards {
        out.push((
            presence_bucket(k),
            "online devices: <user>.<device>, per-key TTL",
            Expiry::PerKey,
        ));
        out.push((
            last_seen_bucket(k),
            "when each user was last online (ms)",
            Expiry::Never,
        ));
    }
    out.extend([
        (
            PARTITION_LEASE_BUCKET.to_string(),
            "partition leases: p<N> -> owning store worker",
            Expiry::PerKey,
        ),
        (
            STORE_WORKERS_BUCKET.to_string(),
            "live store workers",
            Expiry::PerKey,
        ),
        (
            EDGES_BUCKET.to_string(),
            "live edges: id -> address, load, draining; per-key TTL",
            Expiry::PerKey,
        ),
        (
            EDGE_AFFINITY_BUCKET.to_string(),
            "each user's last edge, for sticky discovery",
            Expiry::MaxAge(EDGE_AFFINITY_TTL),
        ),
        (
            IDGEN_LEASE_BUCKET.to_string(),
            "idgen worker-id leases",
            Expiry::MaxAge(IDGEN_LEASE_TTL),
        ),
        (
            IDGEN_HWM_BUCKET.to_string(),
            "idgen per-worker-id high-water marks (ms)",
            Expiry::Never,
        ),
        (
            EXPORTS_BUCKET.to_string(),
            "users' data exports: <user> -> status (JSON)",
            Expiry::MaxAge(Duration::from_secs(24 * 3600)),
        ),
        (
            REVOKED_BUCKET.to_string(),
            "ended sessions: s.<session> -> user, u.<user> -> tokens before (ms); per-key TTL",
            Expiry::PerKey,
        ),
        (
            MEDIA_QUOTA_BUCKET.to_string(),
            "bytes each user uploaded per day: <user>.<day>",
            Expiry::MaxAge(Duration::from_secs(2 * 24 * 3600)),
        ),
    ]);
    out
}

/// [`ensure`], retried with backoff for up to `patience` while JetStream is not
/// ready (a cluster electing its leader, a server still starting): services may
/// start before NATS.
///
/// # Errors
/// The last error once `patience` has passed, or a bad-metadata error at once.
pub async fn ensure_patiently(
    js: &jetstream::Context,
    cfg: &LayoutConfig,
    patience: Duration,
) -> Result<Layout, LayoutError> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut backoff = Duration::from_millis(100);
    loop {
        match ensure(js, cfg).await {
            Ok(l) => return Ok(l),
            Err(e @ (LayoutError::BadMetadata(_) | LayoutError::NoPartitions)) => return Err(e),
            Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
            Err(e) => {
                tracing::info!(error = %e, "JetStream not ready; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// How long services wait for JetStream at start-up.
pub const STARTUP_PATIENCE: Duration = Duration::from_secs(120);

/// The log's definition for a new deployment.
pub fn log_stream_config(cfg: &LayoutConfig) -> stream::Config {
    stream::Config {
        name: LOG_STREAM.into(),
        description: Some(
            "Natter partition log: every change to a channel, by partition; trimmed below each owner's checkpoint"
                .into(),
        ),
        subjects: vec![subjects::LOG_ALL.into()],
        // The log is the source of truth until a checkpoint: nothing may leave it by
        // age or count. A full log refuses appends (discard new): back-pressure.
        retention: stream::RetentionPolicy::Limits,
        discard: stream::DiscardPolicy::New,
        max_bytes: cfg.log_max_bytes,
        storage: stream::StorageType::File,
        num_replicas: cfg.replicas,
        duplicate_window: DUPLICATE_WINDOW,
        max_message_size: MAX_STREAM_MESSAGE_BYTES,
        allow_direct: true,
        metadata: [
            (
                PARTITIONS_METADATA_KEY.to_string(),
                cfg.partitions.to_string(),
            ),
            (
                PRESENCE_SHARDS_METADATA_KEY.to_string(),
                cfg.presence_shards.max(1).to_string(),
            ),
        ]
        .into(),
        ..Default::default()
    }
}

async fn ensure_log_stream(
    js: &jetstream::Context,
    cfg: &LayoutConfig,
) -> Result<stream::Info, LayoutError> {
    if let Ok(mut s) = js.get_stream(LOG_STREAM).await {
        return s.info().await.cloned().map_err(js_err);
    }
    // Beside an earlier version's work-queue stream, the log keeps its partition
    // and shard counts: a channel's partition must never change.
    let mut cfg = cfg.clone();
    if let Ok(mut legacy) = js.get_stream(LEGACY_MESSAGE_STREAM).await {
        let info = legacy.info().await.map_err(js_err)?;
        let legacy = Layout::of_stream(info)?;
        cfg.partitions = legacy.partitions;
        cfg.presence_shards = legacy.presence_shards;
    }
    match js.create_stream(log_stream_config(&cfg)).await {
        Ok(mut s) => s.info().await.cloned().map_err(js_err),
        // Another process created it between our get and create: use theirs.
        Err(create_err) => match js.get_stream(LOG_STREAM).await {
            Ok(mut s) => s.info().await.cloned().map_err(js_err),
            Err(_) => Err(js_err(create_err)),
        },
    }
}

async fn ensure_push_stream(
    js: &jetstream::Context,
    cfg: &LayoutConfig,
) -> Result<(), LayoutError> {
    if js.get_stream(PUSH_STREAM).await.is_ok() {
        return Ok(());
    }
    let config = stream::Config {
        name: PUSH_STREAM.into(),
        description: Some("push notification jobs (work queue)".into()),
        subjects: vec![subjects::PUSH_JOBS_ALL.into()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        num_replicas: cfg.replicas,
        duplicate_window: DUPLICATE_WINDOW,
        // A notification days late is worse than none.
        max_age: Duration::from_secs(24 * 3600),
        max_message_size: MAX_STREAM_MESSAGE_BYTES,
        ..Default::default()
    };
    match js.create_stream(config).await {
        Ok(_) => Ok(()),
        Err(e) => js
            .get_stream(PUSH_STREAM)
            .await
            .map(|_| ())
            .map_err(|_| js_err(e)),
    }
}

async fn ensure_media_stream(
    js: &jetstream::Context,
    cfg: &LayoutConfig,
) -> Result<(), LayoutError> {
    if js.get_stream(MEDIA_STREAM).await.is_ok() {
        return Ok(());
    }
    let config = stream::Config {
        name: MEDIA_STREAM.into(),
        description: Some("media worker jobs: uploaded images and audio (work queue)".into()),
        subjects: vec![subjects::media::JOBS.into()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        num_replicas: cfg.replicas,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: Duration::from_secs(7 * 24 * 3600),
        max_message_size: 64 * 1024,
        ..Default::default()
    };
    match js.create_stream(config).await {
        Ok(_) => Ok(()),
        Err(e) => js
            .get_stream(MEDIA_STREAM)
            .await
            .map(|_| ())
            .map_err(|_| js_err(e)),
    }
}

/// How long a media job may go without a word from its worker (who says "still
/// working" every quarter of it) before it goes to another.
pub const MEDIA_ACK_WAIT: Duration = Duration::from_secs(20);

/// The media workers' shared pull consumer: a job not acked within
/// [`MEDIA_ACK_WAIT`] (a worker killed mid-job) goes to another; a file that fails
/// ten times is dropped.
pub fn media_consumer_config() -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(MEDIA_CONSUMER.into()),
        description: Some("media workers".into()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: MEDIA_ACK_WAIT,
        max_deliver: 10,
        ..Default::default()
    }
}

/// The push workers' shared pull consumer: explicit acks, redelivery after a minute.
pub fn push_consumer_config() -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(PUSH_CONSUMER.into()),
        description: Some("push workers".into()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(60),
        max_deliver: 5,
        ..Default::default()
    }
}

async fn ensure_bucket(
    js: &jetstream::Context,
    config: kv::Config,
) -> Result<kv::Store, LayoutError> {
    if let Ok(store) = js.get_key_value(&config.bucket).await {
        return Ok(store);
    }
    let bucket = config.bucket.clone();
    match js.create_key_value(config).await {
        Ok(store) => Ok(store),
        Err(create_err) => js
            .get_key_value(&bucket)
            .await
            .map_err(|_| js_err(create_err)),
    }
}

/// Name of the consumer of run `run` of partition `partition`'s owner of `epoch`.
pub fn owner_consumer_name(partition: u32, epoch: u64, run: u64) -> String {
    format!("owner-p{partition}-e{epoch}-r{run}")
}

/// The consumer through which a partition's owner reads its log from `start_sequence`:
/// ephemeral, in memory, without acks (the owner's applied position in the store is
/// its progress), so reading costs the server no writes. Every run of an owner has
/// a consumer of its own (named after the partition, epoch and run): a run that
/// restarts after a failure must read again from the store's position, never from
/// where an earlier run's consumer had got to.
pub fn owner_consumer_config(
    partition: u32,
    epoch: u64,
    run: u64,
    start_sequence: u64,
) -> consumer::pull::Config {
    consumer::pull::Config {
        name: Some(owner_consumer_name(partition, epoch, run)),
        description: Some(format!("owner of partition {partition}")),
        filter_subject: subjects::partition_log(partition),
        deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence },
        ack_policy: consumer::AckPolicy::None,
        memory_storage: true,
        num_replicas: 1,
        inactive_threshold: Duration::from_secs(30),
        ..Default::default()
    }
}

/// Durable name of an earlier version's consumer of one partition of `MSGS`.
pub fn legacy_partition_consumer_name(partition: u32) -> String {
    format!("store-p{partition}")
}

/// The consumer that drains one partition of the earlier work-queue stream: explicit
/// acks (a work queue needs them), every message in order from the oldest.
pub fn legacy_drain_consumer_config(partition: u32) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(legacy_partition_consumer_name(partition)),
        description: Some(format!("drains partition {partition} into the log")),
        filter_subject: subjects::legacy_partition_filter(partition),
        deliver_policy: consumer::DeliverPolicy::All,
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(30),
        max_deliver: -1,
        ..Default::default()
    }
}

/// Stable partition of a channel: `mix(channel_id) mod partitions`.
///
/// The mix (SplitMix64's finalizer) spreads time-ordered ids evenly; it must never
/// change, since a channel's partition decides which worker orders its messages.
pub fn partition_of(channel_id: u64, partitions: u32) -> u32 {
    let mut z = channel_id.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % u64::from(partitions.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_of_is_stable_and_spread() {
        // Pinned values: changing the function would move channels between partitions.
        assert_eq!(partition_of(0, 8), 7);
        assert_eq!(partition_of(1, 8), 1);
        assert_eq!(partition_of(384_826_071_073_689_600, 8), 2);
        assert_eq!(partition_of(384_826_071_073_689_600, 16), 2);
        let mut counts = [0u32; 8];
        for id in 0..80_000u64 {
            counts[partition_of(id << 22, 8) as usize] += 1;
        }
        for c in counts {
            assert!((8_000..12_000).contains(&c), "uneven spread: {counts:?}");
        }
    }

    #[test]
    fn a_kv_bucket_lives_in_its_kv_stream() {
        assert_eq!(kv_stream_name(&presence_bucket(2)), "KV_presence_2");
        assert_eq!(
            kv_stream_name(PARTITION_LEASE_BUCKET),
            "KV_partition_leases"
        );
    }
}
