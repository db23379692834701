//! The flags of each service command (clap `Args`, each with its `NATTER_*`
//! environment variable), and what they mean for the libraries' settings: the NATS
//! layout, and the store a `--store`/`--from`/`--to` spec opens. Starting the
//! services from them is in `run` and `dev`.

use std::path::PathBuf;

use clap::Args;
use natter_nats::layout::LayoutConfig;
use natter_tikv::{StoreSpec, TikvConfig, TikvTls};

/// Flags every service shares.
#[derive(Args, Clone)]
pub struct NatsArgs {
    /// NATS server URL.
    #[arg(long, env = "NATTER_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub(super) nats_url: String,
    /// Partitions of the log (used only when this process creates it).
    #[arg(long, env = "NATTER_PARTITIONS", default_value_t = 8)]
    pub(super) partitions: u32,
    /// Replicas of streams and KV buckets (1 for one node, 3 for a cluster).
    #[arg(long, env = "NATTER_REPLICAS", default_value_t = 1)]
    pub(super) replicas: usize,
    /// Presence shards (KV buckets; used only when this process creates the layout).
    #[arg(long, env = "NATTER_PRESENCE_SHARDS", default_value_t = 4)]
    pub(super) presence_shards: u32,
    /// Most bytes the partition log may hold before appends are refused (used only
    /// when this process creates the log; entries leave it at their owner's checkpoints).
    #[arg(long, env = "NATTER_LOG_MAX_BYTES", default_value_t = natter_nats::layout::DEFAULT_LOG_MAX_BYTES)]
    pub(super) log_max_bytes: i64,
}

impl NatsArgs {
    pub(super) fn layout(&self) -> LayoutConfig {
        LayoutConfig {
            partitions: self.partitions,
            replicas: self.replicas,
            presence_shards: self.presence_shards,
            log_max_bytes: self.log_max_bytes,
        }
    }
}

/// Flags of the edge (also used by `dev`).
#[derive(Args, Clone)]
pub struct EdgeFlags {
    /// File of token keys, one `kid secret` per line (secret: 64+ hex digits); the
    /// first line signs, all verify. Secrets are never taken from flags.
    #[arg(long, env = "NATTER_TOKEN_KEYS_FILE")]
    pub(super) token_keys_file: Option<PathBuf>,
    /// Token lifetime in seconds.
    #[arg(long, env = "NATTER_TOKEN_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub(super) token_ttl_secs: u64,
    /// Sends per second per user (sustained, burst).
    #[arg(long, env = "NATTER_SEND_RATE", value_parser = parse_rate, default_value = "50,200")]
    pub(super) send_rate: (u32, u32),
    /// Frames per second per connection (sustained, burst).
    #[arg(long, env = "NATTER_FRAME_RATE", value_parser = parse_rate, default_value = "200,400")]
    pub(super) frame_rate: (u32, u32),
    /// Sign-up and login attempts per second per IP (sustained, burst).
    #[arg(long, env = "NATTER_AUTH_RATE", value_parser = parse_rate, default_value = "20,200")]
    pub(super) auth_rate: (u32, u32),
    /// Login attempts per minute for one username from one address (sustained,
    /// burst): password guessing; other addresses are not affected, so nobody can
    /// lock a user out.
    #[arg(long, env = "NATTER_LOGIN_RATE", value_parser = parse_rate, default_value = "6,10")]
    pub(super) login_rate: (u32, u32),
    /// Typing notices per second per user (sustained, burst).
    #[arg(long, env = "NATTER_TYPING_RATE", value_parser = parse_rate, default_value = "1,5")]
    pub(super) typing_rate: (u32, u32),
    /// Who may see a user's presence and last seen: `contacts` (users who share a
    /// channel with them) or `everyone` (every signed-in user).
    #[arg(
        long,
        env = "NATTER_PRESENCE_VISIBILITY",
        value_enum,
        default_value = "contacts"
    )]
    pub(super) presence_visibility: PresenceVisibility,
    /// Who may put a user in a group: `contacts` (users who share a channel with
    /// them, a 1:1 channel included: message someone before adding them) or
    /// `everyone` (any signed-in user).
    #[arg(
        long,
        env = "NATTER_GROUP_ADD_POLICY",
        value_enum,
        default_value = "contacts"
    )]
    pub(super) group_add_policy: GroupAddPolicy,
    /// Life of a device's presence key without a heartbeat, in seconds.
    #[arg(long, env = "NATTER_PRESENCE_TTL_SECS", default_value_t = 30)]
    pub(super) presence_ttl_secs: u64,
    /// This edge's id for discovery (default: edge-<idgen worker id>).
    #[arg(long, env = "NATTER_EDGE_ID")]
    pub(super) edge_id: Option<String>,
    /// Base URL clients reach this edge at (default: http://<listen address>).
    #[arg(long, env = "NATTER_PUBLIC_URL")]
    pub(super) public_url: Option<String>,
    /// Discovery registration renewal period, in milliseconds (TTL: three periods).
    #[arg(long, env = "NATTER_REGISTER_MS", default_value_t = 3000)]
    pub(super) register_ms: u64,
    /// On SIGTERM, how long to wait for clients to move before closing them, seconds.
    #[arg(long, env = "NATTER_DRAIN_SECS", default_value_t = 30)]
    pub(super) drain_secs: u64,
    /// Close a socket that sends nothing (not even a heartbeat) for this many seconds.
    #[arg(long, env = "NATTER_IDLE_SECS", default_value_t = 90)]
    pub(super) idle_secs: u64,
    /// VAPID public key (base64url) offered to browsers at `/v1/push/webpush-key`;
    /// the push workers must hold its private key. `natter dev` makes its own.
    #[arg(long, env = "NATTER_WEBPUSH_PUBLIC_KEY")]
    pub(super) webpush_public_key: Option<String>,
    /// Drop a connection whose request headers are not complete within this many
    /// seconds (slow-loris clients).
    #[arg(long, env = "NATTER_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub(super) header_timeout_secs: u64,
    /// Proxies (load balancers) whose `X-Forwarded-For` header names the client, for
    /// sign-in limits by address (comma-separated addresses or CIDR blocks, e.g.
    /// `10.0.0.0/8`). The header is ignored from anyone else.
    #[arg(long, env = "NATTER_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub(super) trusted_proxies: Vec<ipnet::IpNet>,
    /// Most connections (HTTP and WebSocket) open at once; more are closed as soon as
    /// they are accepted. Keep it below the process's descriptor limit.
    #[arg(long, env = "NATTER_MAX_CONNECTIONS", default_value_t = 100_000)]
    pub(super) max_connections: usize,
    /// Most sockets one user may have open on this edge at once (more are refused
    /// with `rate_limited` until one closes).
    #[arg(long, env = "NATTER_MAX_SOCKETS_PER_USER", default_value_t = 20)]
    pub(super) max_sockets_per_user: u32,
    /// Refuse a request whose body is not complete within this many seconds and
    /// close its connection (a body trickled a byte at a time).
    #[arg(long, env = "NATTER_BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub(super) body_timeout_secs: u64,
    /// Appends to the partition log in flight at once from this edge (each carries
    /// what its partition gathered while it waited): fewer means more entries per
    /// JetStream write and fewer fsyncs; more suits a cluster that spreads the log's
    /// writes over many disks. 2 halved the single node's latency against 8
    /// (docs/performance.md) without one slow append holding up every partition.
    #[arg(long, env = "NATTER_LOG_APPENDS_IN_FLIGHT", default_value_t = 2)]
    pub(super) log_appends_in_flight: usize,
    /// Bytes of events one socket may have waiting before it is closed as too slow
    /// (`slow_consumer`; it reconnects and catches up): what one slow client can cost
    /// this edge. A message is up to ~600 KB of JSON.
    #[arg(long, env = "NATTER_SOCKET_QUEUE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub(super) socket_queue_bytes: usize,
    /// Web origins whose pages may open WebSockets here (comma-separated, e.g.
    /// `https://chat.example`; `*` for any), besides this edge's own origin. A
    /// browser page from any other origin is refused (403), so a foreign site cannot
    /// ride a user's token; apps that send no `Origin` are not affected.
    #[arg(long, env = "NATTER_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub(super) allowed_origins: Vec<String>,
    /// Where attachments are kept.
    #[command(flatten)]
    pub(super) media: MediaFlags,
}

/// Where attachments are kept and their limits (edges and media workers).
#[derive(Args, Clone)]
pub struct MediaFlags {
    /// Folder where attachments are kept (files are fsynced before an upload is
    /// acknowledged). Every edge and media worker must see the same folder; without
    /// it (or a bucket) an edge takes no files. `natter dev` uses `<data>/media`.
    #[arg(long, env = "NATTER_MEDIA_DIR")]
    pub(super) media_dir: Option<PathBuf>,
    /// Largest attachment, in MiB.
    #[arg(long, env = "NATTER_MEDIA_MAX_FILE_MB", default_value_t = 100)]
    pub(super) media_max_file_mb: u64,
    /// Size of each part of an upload in parts, in KiB (also the largest file sent
    /// in one request); at most 2048 (the request body limit).
    #[arg(long, env = "NATTER_MEDIA_PART_KB", default_value_t = 1024)]
    pub(super) media_part_kb: u64,
    /// How long a download link works, in seconds: also how long a file stays
    /// readable through a link given out before its message was deleted.
    #[arg(long, env = "NATTER_MEDIA_LINK_SECS", default_value_t = 300)]
    pub(super) media_link_secs: u64,
    /// Most MiB one user may upload per day (UTC), across every edge; 0: no limit.
    #[arg(long, env = "NATTER_MEDIA_DAILY_MB", default_value_t = 1024)]
    pub(super) media_daily_mb: u64,
    /// S3 bucket for attachments, shared by every edge (it must exist). Set, it is
    /// used instead of `--media-dir`. Keep a lifecycle rule on `u/` (see
    /// docs/operations.md).
    #[arg(long, env = "NATTER_MEDIA_S3_BUCKET")]
    pub(super) media_s3_bucket: Option<String>,
    /// Base URL of an S3-compatible server (`https://s3.example:9000`, bucket in
    /// the path); without it, AWS S3 in `--media-s3-region` (bucket in the host
    /// name). `http://` only on the loopback.
    #[arg(long, env = "NATTER_MEDIA_S3_ENDPOINT")]
    pub(super) media_s3_endpoint: Option<String>,
    /// Region of the bucket (part of every signature).
    #[arg(long, env = "NATTER_MEDIA_S3_REGION", default_value = "us-east-1")]
    pub(super) media_s3_region: String,
    /// File with `access_key_id = ...` and `secret_access_key = ...` lines (an AWS
    /// credentials file works too). Without it: NATTER_MEDIA_S3_ACCESS_KEY_ID and
    /// NATTER_MEDIA_S3_SECRET_ACCESS_KEY, else AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY.
    #[arg(long, env = "NATTER_MEDIA_S3_CREDENTIALS_FILE")]
    pub(super) media_s3_credentials_file: Option<PathBuf>,
}

/// An address block (`10.0.0.0/8`) or one address (`10.0.0.7`).
fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?}: an address or a CIDR block"))
}

fn parse_rate(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s.split_once(',').ok_or("expected PER_SECOND,BURST")?;
    Ok((
        a.trim().parse().map_err(|_| "bad rate")?,
        b.trim().parse().map_err(|_| "bad burst")?,
    ))
}

/// `natter edge`.
#[derive(Args)]
pub struct EdgeArgs {
    #[command(flatten)]
    pub(super) nats: NatsArgs,
    #[command(flatten)]
    pub(super) edge: EdgeFlags,
    /// Address to serve HTTP and WebSocket on.
    #[arg(long, env = "NATTER_LISTEN", default_value = "127.0.0.1:8080")]
    pub(super) listen: String,
    /// Serve /metrics (and /healthz, /readyz) on this address, apart from the
    /// public listener (metrics are for operators, not clients).
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    pub(super) metrics_listen: Option<String>,
}

/// `natter presence`.
#[derive(Args)]
pub struct PresenceArgs {
    #[command(flatten)]
    pub(super) nats: NatsArgs,
    /// Presence shards this process follows, comma-separated (default: all).
    #[arg(long, env = "NATTER_PRESENCE_FOLLOW", value_delimiter = ',')]
    pub(super) shards: Option<Vec<u32>>,
    /// Serve /metrics and /healthz on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    pub(super) metrics_listen: Option<String>,
}

/// `natter push-worker`.
#[derive(Args)]
pub struct PushWorkerArgs {
    #[command(flatten)]
    pub(super) nats: NatsArgs,
    #[command(flatten)]
    pub(super) push: PushFlags,
    /// Serve /metrics and /healthz on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    pub(super) metrics_listen: Option<String>,
}

/// `natter media-worker`.
#[derive(Args)]
pub struct MediaWorkerArgs {
    #[command(flatten)]
    pub(super) nats: NatsArgs,
    /// The edges' media store (the same flags as `natter edge`'s).
    #[command(flatten)]
    pub(super) media: MediaFlags,
    /// How often to collect files no message carries (deleted, or never sent) and
    /// uploads never completed, in seconds.
    #[arg(long, env = "NATTER_MEDIA_SWEEP_SECS", default_value_t = 3600)]
    pub(super) media_sweep_secs: u64,
    /// How long after its upload a file no message carries is collected, in seconds
    /// (keep it above a day: an upload may be sent for a day).
    #[arg(long, env = "NATTER_MEDIA_ORPHAN_GRACE_SECS", default_value_t = 48 * 3600)]
    pub(super) media_orphan_grace_secs: u64,
    /// Serve /metrics and /healthz on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    pub(super) metrics_listen: Option<String>,
}

/// Push worker flags (also used by `dev`).
#[derive(Args, Clone)]
pub struct PushFlags {
    /// JSON file configuring the providers (see docs/operations.md); without it only
    /// webhooks are sent.
    #[arg(long, env = "NATTER_PUSH_CONFIG")]
    pub(super) push_config: Option<PathBuf>,
    /// At most one push per device and channel per this many seconds.
    #[arg(long, env = "NATTER_PUSH_COLLAPSE_SECS", default_value_t = 30)]
    pub(super) push_collapse_secs: u64,
    /// Attempts of one push (5xx, timeouts) before it is dead-lettered.
    #[arg(long, env = "NATTER_PUSH_ATTEMPTS", default_value_t = 4)]
    pub(super) push_attempts: u32,
}

/// Settings of the TiKV backend (used when a store is `tikv://...`).
#[derive(Args, Clone)]
pub struct TikvFlags {
    /// Prefix of every key this deployment writes (several deployments can share a cluster).
    #[arg(long, env = "NATTER_TIKV_PREFIX", default_value = "")]
    pub(super) tikv_prefix: String,
    /// CA certificate (PEM) for TLS to PD and TiKV; needs --tikv-cert and --tikv-key.
    #[arg(long, env = "NATTER_TIKV_CA", requires_all = ["tikv_cert", "tikv_key"])]
    pub(super) tikv_ca: Option<PathBuf>,
    /// Client certificate (PEM) for TLS to PD and TiKV.
    #[arg(long, env = "NATTER_TIKV_CERT", requires = "tikv_ca")]
    pub(super) tikv_cert: Option<PathBuf>,
    /// Client private key (PEM) for TLS to PD and TiKV.
    #[arg(long, env = "NATTER_TIKV_KEY", requires = "tikv_ca")]
    pub(super) tikv_key: Option<PathBuf>,
    /// Timeout of each request to PD or TiKV, in milliseconds.
    #[arg(long, env = "NATTER_TIKV_TIMEOUT_MS", default_value_t = 2000)]
    pub(super) tikv_timeout_ms: u64,
    /// How often to run TiKV's MVCC garbage collection (keeping 10 minutes of
    /// history), in seconds; 0 = never (another tool advances the GC safe point).
    #[arg(long, env = "NATTER_TIKV_GC_INTERVAL_SECS", default_value_t = 600)]
    pub(super) tikv_gc_interval_secs: u64,
}

impl TikvFlags {
    /// Applies these flags to a `tikv://` spec; an embedded spec is unchanged.
    fn apply(&self, spec: StoreSpec) -> StoreSpec {
        match spec {
            StoreSpec::Tikv(config) => StoreSpec::Tikv(TikvConfig {
                prefix: self.tikv_prefix.clone().into_bytes(),
                tls: match (&self.tikv_ca, &self.tikv_cert, &self.tikv_key) {
                    (Some(ca), Some(cert), Some(key)) => Some(TikvTls {
                        ca: ca.clone(),
                        cert: cert.clone(),
                        key: key.clone(),
                    }),
                    _ => None,
                },
                timeout: std::time::Duration::from_millis(self.tikv_timeout_ms.max(1)),
                gc_interval: (self.tikv_gc_interval_secs > 0)
                    .then(|| std::time::Duration::from_secs(self.tikv_gc_interval_secs)),
                ..config
            }),
            embedded => embedded,
        }
    }
}

/// Parses a store spec (`embedded:<dir>` or `tikv://pd,...`) given with these flags.
pub(super) fn store_spec(spec: &str, tikv: &TikvFlags) -> anyhow::Result<StoreSpec> {
    Ok(tikv.apply(StoreSpec::parse(spec)?))
}

/// `natter store-worker`.
#[derive(Args)]
pub struct StoreWorkerArgs {
    #[command(flatten)]
    pub(super) nats: NatsArgs,
    /// Which store: `embedded` (the folder of --store-dir; one store worker
    /// only) or `tikv://pd1:2379,pd2:2379` (a TiKV cluster; any number of workers).
    #[arg(long, env = "NATTER_STORE", default_value = "embedded")]
    pub(super) store: String,
    /// Folder of the embedded store.
    #[arg(long, env = "NATTER_STORE_DIR", default_value = "./data/store")]
    pub(super) store_dir: PathBuf,
    #[command(flatten)]
    pub(super) tikv: TikvFlags,
    /// The edges' token key file (as for `natter edge`): appends to the log are
    /// verified with keys derived from it, so one not signed by an edge is dropped.
    #[arg(long, env = "NATTER_TOKEN_KEYS_FILE")]
    pub(super) token_keys_file: Option<PathBuf>,
    /// Apply log appends that carry no signature (counted and logged): only while
    /// upgrading from a version whose edges did not sign them, until every edge runs
    /// this version and the log is applied; a stolen NATS credential can forge
    /// senders meanwhile.
    #[arg(long, env = "NATTER_ACCEPT_UNSIGNED_LOG_APPENDS")]
    pub(super) accept_unsigned_log_appends: bool,
    /// Send no delivery receipts ("delivered" ticks of 1:1 messages): each costs a
    /// NATS message and a frame to the author per cursor round that moves
    /// (docs/performance.md). Read receipts stay.
    #[arg(long, env = "NATTER_NO_DELIVERY_RECEIPTS")]
    pub(super) no_delivery_receipts: bool,
    /// How long a deleted account's username stays held before a new account may
    /// take it, in seconds (default 30 days).
    #[arg(long, env = "NATTER_USERNAME_HOLD_SECS", default_value_t = 30 * 24 * 3600)]
    pub(super) username_hold_secs: u64,
    /// Remove messages older than this many seconds, in every channel (0: keep
    /// them forever, unless a group keeps them for less).
    #[arg(long, env = "NATTER_MAX_MESSAGE_AGE_SECS", default_value_t = 0)]
    pub(super) max_message_age_secs: u64,
    /// How often to sweep for expired messages, in seconds.
    #[arg(long, env = "NATTER_RETENTION_SWEEP_SECS", default_value_t = 3600)]
    pub(super) retention_sweep_secs: u64,
    /// Serve /metrics and /healthz on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    pub(super) metrics_listen: Option<String>,
    /// Life of a partition lease without renewal, in seconds (a dead worker's
    /// partitions move after this long).
    #[arg(long, env = "NATTER_LEASE_TTL_SECS", default_value_t = 10)]
    pub(super) lease_ttl_secs: u64,
    /// How often each partition's owner checkpoints, in milliseconds: syncs the
    /// store and trims the log below what it holds (a crash replays at most this
    /// much of the log).
    #[arg(long, env = "NATTER_CHECKPOINT_MS", default_value_t = 1000)]
    pub(super) checkpoint_ms: u64,
    /// Most password hashes (sign-ups, logins) computed at once, each holding ~19 MiB
    /// while it runs; more wait (see --password-hash-wait-ms), then get
    /// `unavailable`. Default: one per core, at least 2.
    #[arg(long, env = "NATTER_PASSWORD_HASHES")]
    pub(super) password_hashes: Option<usize>,
    /// How long a sign-up or login waits for a hashing slot, in milliseconds.
    #[arg(long, env = "NATTER_PASSWORD_HASH_WAIT_MS", default_value_t = 2000)]
    pub(super) password_hash_wait_ms: u64,
    /// A fault to inject, for crash tests only: `lose-unsynced-tail` keeps every
    /// unsynced store write in memory until the next checkpoint, so that killing
    /// the process really loses them (as a power loss could); `owner-fails-after-read`
    /// makes each partition owner's first run fail after reading its first entries.
    #[arg(long, env = "NATTER_UNSAFE_FAILPOINT", value_enum)]
    pub(super) unsafe_failpoint: Option<Failpoint>,
}

/// `--presence-visibility`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PresenceVisibility {
    /// Users who share a channel.
    Contacts,
    /// Every signed-in user.
    Everyone,
}

/// `--group-add-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupAddPolicy {
    /// Users who share a channel.
    Contacts,
    /// Every signed-in user.
    Everyone,
}

/// Faults `--unsafe-failpoint` can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Failpoint {
    /// Unsynced store writes die with the process.
    LoseUnsyncedTail,
    /// Each partition owner's first run fails after reading, before applying.
    OwnerFailsAfterRead,
}

/// `natter migrate-store`.
#[derive(Args)]
pub struct MigrateStoreArgs {
    /// Source store: `embedded:<dir>` or `tikv://pd1:2379,...`.
    #[arg(long)]
    pub(super) from: String,
    /// Destination store: `embedded:<dir>` or `tikv://pd1:2379,...`; must be empty.
    #[arg(long)]
    pub(super) to: String,
    /// Settings for whichever side is TiKV (the prefix applies to both TiKV sides).
    #[command(flatten)]
    pub(super) tikv: TikvFlags,
    /// Copy into a destination that already holds keys (they are overwritten or kept).
    #[arg(long)]
    pub(super) allow_nonempty: bool,
}

/// `natter dev`.
#[derive(Args)]
pub struct DevArgs {
    /// Folder for all data (NATS, store, token keys); kept across restarts.
    #[arg(long, default_value = "./data")]
    pub(super) data: PathBuf,
    /// Address to serve HTTP and WebSocket on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(super) listen: String,
    /// Port of the local nats-server (0: any free port).
    #[arg(long, default_value_t = 4222)]
    pub(super) nats_port: u16,
    /// Partitions of the log when it is first created.
    #[arg(long, default_value_t = 8)]
    pub(super) partitions: u32,
    /// Serve every service's /metrics (and /healthz, /readyz) on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    pub(super) metrics_listen: Option<String>,
    #[command(flatten)]
    pub(super) edge: EdgeFlags,
    #[command(flatten)]
    pub(super) push: PushFlags,
}
