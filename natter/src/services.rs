//! Starting services from command-line flags (and the environment).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use natter_edge::auth::{TokenKey, Tokens};
use natter_edge::{EdgeConfig, RateLimits};
use natter_nats::layout::LayoutConfig;
use natter_store::{EmbeddedStore, SharedStore};
use natter_store_worker::StoreWorkerConfig;
use natter_tikv::{StoreSpec, TikvConfig, TikvTls};

/// Flags every service shares.
#[derive(Args, Clone)]
pub struct NatsArgs {
    /// NATS server URL.
    #[arg(long, env = "NATTER_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// Partitions of the message stream (used only when this process creates it).
    #[arg(long, env = "NATTER_PARTITIONS", default_value_t = 8)]
    partitions: u32,
    /// Replicas of streams and KV buckets (1 for one node, 3 for a cluster).
    #[arg(long, env = "NATTER_REPLICAS", default_value_t = 1)]
    replicas: usize,
    /// Presence shards (KV buckets; used only when this process creates the layout).
    #[arg(long, env = "NATTER_PRESENCE_SHARDS", default_value_t = 4)]
    presence_shards: u32,
}

impl NatsArgs {
    fn layout(&self) -> LayoutConfig {
        LayoutConfig {
            partitions: self.partitions,
            replicas: self.replicas,
            presence_shards: self.presence_shards,
        }
    }
}

/// Flags of the edge (also used by `dev`).
#[derive(Args, Clone)]
pub struct EdgeFlags {
    /// File of token keys, one `kid secret` per line (secret: 64+ hex digits); the
    /// first line signs, all verify. Secrets are never taken from flags.
    #[arg(long, env = "NATTER_TOKEN_KEYS_FILE")]
    token_keys_file: Option<PathBuf>,
    /// Token lifetime in seconds.
    #[arg(long, env = "NATTER_TOKEN_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    token_ttl_secs: u64,
    /// Sends per second per user (sustained, burst).
    #[arg(long, env = "NATTER_SEND_RATE", value_parser = parse_rate, default_value = "50,200")]
    send_rate: (u32, u32),
    /// Frames per second per connection (sustained, burst).
    #[arg(long, env = "NATTER_FRAME_RATE", value_parser = parse_rate, default_value = "200,400")]
    frame_rate: (u32, u32),
    /// Sign-up and login attempts per second per IP (sustained, burst).
    #[arg(long, env = "NATTER_AUTH_RATE", value_parser = parse_rate, default_value = "20,200")]
    auth_rate: (u32, u32),
    /// Typing notices per second per user (sustained, burst).
    #[arg(long, env = "NATTER_TYPING_RATE", value_parser = parse_rate, default_value = "1,5")]
    typing_rate: (u32, u32),
    /// Life of a device's presence key without a heartbeat, in seconds.
    #[arg(long, env = "NATTER_PRESENCE_TTL_SECS", default_value_t = 30)]
    presence_ttl_secs: u64,
    /// This edge's id for discovery (default: edge-<idgen worker id>).
    #[arg(long, env = "NATTER_EDGE_ID")]
    edge_id: Option<String>,
    /// Base URL clients reach this edge at (default: http://<listen address>).
    #[arg(long, env = "NATTER_PUBLIC_URL")]
    public_url: Option<String>,
    /// Discovery registration renewal period, in milliseconds (TTL: three periods).
    #[arg(long, env = "NATTER_REGISTER_MS", default_value_t = 3000)]
    register_ms: u64,
    /// On SIGTERM, how long to wait for clients to move before closing them, seconds.
    #[arg(long, env = "NATTER_DRAIN_SECS", default_value_t = 30)]
    drain_secs: u64,
    /// Close a socket that sends nothing (not even a heartbeat) for this many seconds.
    #[arg(long, env = "NATTER_IDLE_SECS", default_value_t = 90)]
    idle_secs: u64,
    /// VAPID public key (base64url) offered to browsers at `/v1/push/webpush-key`;
    /// the push workers must hold its private key. `natter dev` makes its own.
    #[arg(long, env = "NATTER_WEBPUSH_PUBLIC_KEY")]
    webpush_public_key: Option<String>,
    /// Drop a connection whose request headers are not complete within this many
    /// seconds (slow-loris clients).
    #[arg(long, env = "NATTER_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
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
    nats: NatsArgs,
    #[command(flatten)]
    edge: EdgeFlags,
    /// Address to serve HTTP and WebSocket on.
    #[arg(long, env = "NATTER_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
}

/// `natter presence`.
#[derive(Args)]
pub struct PresenceArgs {
    #[command(flatten)]
    nats: NatsArgs,
    /// Presence shards this process follows, comma-separated (default: all).
    #[arg(long, env = "NATTER_PRESENCE_FOLLOW", value_delimiter = ',')]
    shards: Option<Vec<u32>>,
    /// Serve /metrics and /healthz on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    metrics_listen: Option<String>,
}

/// Serves `/metrics`, `/healthz` (the process is up) and `/readyz` (NATS connected
/// and `health`'s checks passing: 200, else 503; JSON either way) on `addr`, for
/// services without an HTTP API.
async fn serve_metrics(
    addr: Option<&str>,
    nats: async_nats::Client,
    health: natter_nats::health::Health,
) -> anyhow::Result<()> {
    let (Some(addr), Some(render)) = (addr, install_metrics()) else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let r = render.clone();
                async move { r() }
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route(
            "/readyz",
            axum::routing::get(move || {
                let r = natter_edge::health::response(health.readiness(&nats));
                async move { r }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(())
}

/// `natter presence`.
pub async fn presence(args: PresenceArgs) -> anyhow::Result<()> {
    let nats = natter_nats::connect(&args.nats.nats_url, "natter-presence").await?;
    serve_metrics(
        args.metrics_listen.as_deref(),
        nats.clone(),
        Default::default(),
    )
    .await?;
    let config = natter_presence::PresenceConfig {
        layout: args.nats.layout(),
        shards: args.shards,
    };
    println!("natter presence running");
    natter_presence::run(config, nats, shutdown_signal()).await
}

/// `natter push-worker`.
#[derive(Args)]
pub struct PushWorkerArgs {
    #[command(flatten)]
    nats: NatsArgs,
    #[command(flatten)]
    push: PushFlags,
    /// Serve /metrics and /healthz on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    metrics_listen: Option<String>,
}

/// Push worker flags (also used by `dev`).
#[derive(Args, Clone)]
pub struct PushFlags {
    /// JSON file configuring the providers (see docs/operations.md); without it only
    /// webhooks are sent.
    #[arg(long, env = "NATTER_PUSH_CONFIG")]
    push_config: Option<PathBuf>,
    /// At most one push per device and channel per this many seconds.
    #[arg(long, env = "NATTER_PUSH_COLLAPSE_SECS", default_value_t = 30)]
    push_collapse_secs: u64,
    /// Attempts of one push (5xx, timeouts) before it is dead-lettered.
    #[arg(long, env = "NATTER_PUSH_ATTEMPTS", default_value_t = 4)]
    push_attempts: u32,
}

fn push_config(
    flags: &PushFlags,
    nats: &NatsArgs,
) -> anyhow::Result<natter_push::worker::PushWorkerConfig> {
    let providers = match &flags.push_config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => natter_push::PushConfig::default(),
    };
    Ok(natter_push::worker::PushWorkerConfig {
        providers,
        layout: nats.layout(),
        collapse: std::time::Duration::from_secs(flags.push_collapse_secs),
        max_attempts: flags.push_attempts.max(1),
        ..Default::default()
    })
}

/// `natter push-worker`.
pub async fn push_worker(args: PushWorkerArgs) -> anyhow::Result<()> {
    let config = push_config(&args.push, &args.nats)?;
    let nats = natter_nats::connect(&args.nats.nats_url, "natter-push-worker").await?;
    serve_metrics(
        args.metrics_listen.as_deref(),
        nats.clone(),
        Default::default(),
    )
    .await?;
    println!("natter push-worker running");
    natter_push::worker::run(config, nats, shutdown_signal()).await
}

/// Settings of the TiKV backend (used when a store is `tikv://...`).
#[derive(Args, Clone)]
pub struct TikvFlags {
    /// Prefix of every key this deployment writes (several deployments can share a cluster).
    #[arg(long, env = "NATTER_TIKV_PREFIX", default_value = "")]
    tikv_prefix: String,
    /// CA certificate (PEM) for TLS to PD and TiKV; needs --tikv-cert and --tikv-key.
    #[arg(long, env = "NATTER_TIKV_CA", requires_all = ["tikv_cert", "tikv_key"])]
    tikv_ca: Option<PathBuf>,
    /// Client certificate (PEM) for TLS to PD and TiKV.
    #[arg(long, env = "NATTER_TIKV_CERT", requires = "tikv_ca")]
    tikv_cert: Option<PathBuf>,
    /// Client private key (PEM) for TLS to PD and TiKV.
    #[arg(long, env = "NATTER_TIKV_KEY", requires = "tikv_ca")]
    tikv_key: Option<PathBuf>,
    /// Timeout of each request to PD or TiKV, in milliseconds.
    #[arg(long, env = "NATTER_TIKV_TIMEOUT_MS", default_value_t = 2000)]
    tikv_timeout_ms: u64,
    /// How often to run TiKV's MVCC garbage collection (keeping 10 minutes of
    /// history), in seconds; 0 = never (another tool advances the GC safe point).
    #[arg(long, env = "NATTER_TIKV_GC_INTERVAL_SECS", default_value_t = 600)]
    tikv_gc_interval_secs: u64,
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
fn store_spec(spec: &str, tikv: &TikvFlags) -> anyhow::Result<StoreSpec> {
    Ok(tikv.apply(StoreSpec::parse(spec)?))
}

/// `natter store-worker`.
#[derive(Args)]
pub struct StoreWorkerArgs {
    #[command(flatten)]
    nats: NatsArgs,
    /// Which store: `embedded` (the folder of --store-dir; one store worker
    /// only) or `tikv://pd1:2379,pd2:2379` (a TiKV cluster; any number of workers).
    #[arg(long, env = "NATTER_STORE", default_value = "embedded")]
    store: String,
    /// Folder of the embedded store.
    #[arg(long, env = "NATTER_STORE_DIR", default_value = "./data/store")]
    store_dir: PathBuf,
    #[command(flatten)]
    tikv: TikvFlags,
    /// Serve /metrics and /healthz on this address.
    #[arg(long, env = "NATTER_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Life of a partition lease without renewal, in seconds (a dead worker's
    /// partitions move after this long).
    #[arg(long, env = "NATTER_LEASE_TTL_SECS", default_value_t = 10)]
    lease_ttl_secs: u64,
    /// Write store batches without fsync. Only for measuring what fsync costs: a
    /// machine crash can then lose acked messages.
    #[arg(long, env = "NATTER_UNSAFE_NO_FSYNC")]
    unsafe_no_fsync: bool,
}

/// `natter migrate-store`.
#[derive(Args)]
pub struct MigrateStoreArgs {
    /// Source store: `embedded:<dir>` or `tikv://pd1:2379,...`.
    #[arg(long)]
    from: String,
    /// Destination store: `embedded:<dir>` or `tikv://pd1:2379,...`; must be empty.
    #[arg(long)]
    to: String,
    /// Settings for whichever side is TiKV (the prefix applies to both TiKV sides).
    #[command(flatten)]
    tikv: TikvFlags,
    /// Copy into a destination that already holds keys (they are overwritten or kept).
    #[arg(long)]
    allow_nonempty: bool,
}

/// `natter migrate-store`: copies every key, then compares both stores key by key.
pub async fn migrate_store(args: MigrateStoreArgs) -> anyhow::Result<()> {
    let from_spec = store_spec(&args.from, &args.tikv)?;
    let to_spec = store_spec(&args.to, &args.tikv)?;
    anyhow::ensure!(from_spec != to_spec, "--from and --to are the same store");
    let from = from_spec
        .open()
        .await
        .with_context(|| format!("opening {from_spec}"))?;
    let to = to_spec
        .open()
        .await
        .with_context(|| format!("opening {to_spec}"))?;
    if !args.allow_nonempty && !natter_store::migrate::is_empty(to.as_ref()).await? {
        anyhow::bail!("{to_spec} is not empty (pass --allow-nonempty to copy anyway)");
    }
    println!("copying {from_spec} -> {to_spec} (stop every store worker first)");
    let mut last_print = std::time::Instant::now();
    let copied = natter_store::migrate::copy_all(from.as_ref(), to.as_ref(), |r| {
        if last_print.elapsed() >= std::time::Duration::from_secs(2) {
            println!("  {} keys, {} bytes", r.keys, r.bytes);
            last_print = std::time::Instant::now();
        }
    })
    .await?;
    println!(
        "copied {} keys ({} bytes); verifying",
        copied.keys, copied.bytes
    );
    let verified = natter_store::migrate::verify(from.as_ref(), to.as_ref())
        .await
        .map_err(anyhow::Error::msg)?;
    println!("verified {} keys: the stores are identical", verified.keys);
    Ok(())
}

/// `natter dev`.
#[derive(Args)]
pub struct DevArgs {
    /// Folder for all data (NATS, store, token keys); kept across restarts.
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// Address to serve HTTP and WebSocket on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Port of the local nats-server (0: any free port).
    #[arg(long, default_value_t = 4222)]
    nats_port: u16,
    /// Partitions of the message stream when it is first created.
    #[arg(long, default_value_t = 8)]
    partitions: u32,
    #[command(flatten)]
    edge: EdgeFlags,
    #[command(flatten)]
    push: PushFlags,
}

/// How long services get to stop after Ctrl-C / SIGTERM.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

fn install_metrics() -> Option<natter_edge::MetricsRender> {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok()?;
    Some(Arc::new(move || handle.render()))
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

pub(crate) fn load_token_keys(path: &Path) -> anyhow::Result<Vec<TokenKey>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading token keys {}", path.display()))?;
    let mut keys = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (kid, hex) = line
            .split_once(char::is_whitespace)
            .context("token key line: `kid secret-hex`")?;
        let secret = decode_hex(hex.trim()).context("token key secret must be hex")?;
        keys.push(TokenKey {
            kid: kid.to_string(),
            secret,
        });
    }
    Ok(keys)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Creates a token key file with one random key if none exists (for `dev`).
fn ensure_dev_token_keys(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let secret: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    std::fs::write(
        path,
        format!("# kid secret-hex; the first line signs\ndev-1 {secret}\n"),
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn edge_config(
    flags: &EdgeFlags,
    nats: &NatsArgs,
    keys_file: &Path,
    metrics: Option<natter_edge::MetricsRender>,
) -> anyhow::Result<EdgeConfig> {
    let tokens = Tokens::new(load_token_keys(keys_file)?, flags.token_ttl_secs)
        .map_err(anyhow::Error::msg)?;
    Ok(EdgeConfig {
        tokens,
        layout: nats.layout(),
        limits: RateLimits {
            sends_per_user: flags.send_rate,
            frames_per_connection: flags.frame_rate,
            auth_per_ip: flags.auth_rate,
            typing_per_user: flags.typing_rate,
        },
        metrics,
        presence: natter_edge::presence::PresenceSettings {
            ttl: std::time::Duration::from_secs(flags.presence_ttl_secs),
        },
        edge_id: flags.edge_id.clone(),
        public_url: flags.public_url.clone(),
        register_every: std::time::Duration::from_millis(flags.register_ms.max(100)),
        drain_timeout: std::time::Duration::from_secs(flags.drain_secs),
        idle_timeout: std::time::Duration::from_secs(flags.idle_secs.max(1)),
        webpush_public_key: flags.webpush_public_key.clone(),
        header_timeout: std::time::Duration::from_secs(flags.header_timeout_secs.max(1)),
    })
}

/// The dev VAPID key (`<data>/vapid-key`, made on first start): Web Push works
/// locally without configuration. Returns the provider config using it.
fn dev_vapid(data: &Path) -> anyhow::Result<natter_push::VapidConfig> {
    let path = data.join("vapid-key");
    if !path.exists() {
        std::fs::write(&path, natter_push::VapidConfig::generate_private_key())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(natter_push::VapidConfig {
        private_key: std::fs::read_to_string(&path)?.trim().to_string(),
        subject: "mailto:dev@localhost".into(),
        ..Default::default()
    })
}

/// `natter edge`.
pub async fn edge(args: EdgeArgs) -> anyhow::Result<()> {
    let keys = args
        .edge
        .token_keys_file
        .clone()
        .context("--token-keys-file (or NATTER_TOKEN_KEYS_FILE) is required")?;
    let config = edge_config(&args.edge, &args.nats, &keys, install_metrics())?;
    let nats = natter_nats::connect(&args.nats.nats_url, "natter-edge").await?;
    let events = natter_nats::connect(&args.nats.nats_url, "natter-edge-events").await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    println!("natter edge listening on http://{}", listener.local_addr()?);
    natter_edge::run(listener, config, nats, events, shutdown_signal()).await
}

/// `natter store-worker`.
pub async fn store_worker(args: StoreWorkerArgs) -> anyhow::Result<()> {
    let spec = if args.store == "embedded" {
        StoreSpec::Embedded(args.store_dir.clone())
    } else {
        store_spec(&args.store, &args.tikv)?
    };
    let store = spec
        .open()
        .await
        .with_context(|| format!("opening store {spec}"))?;
    let nats = natter_nats::connect(&args.nats.nats_url, "natter-store-worker").await?;
    let config = StoreWorkerConfig {
        layout: args.nats.layout(),
        lease_ttl: std::time::Duration::from_secs(args.lease_ttl_secs.max(1)),
        durability: if args.unsafe_no_fsync {
            tracing::warn!("--unsafe-no-fsync: acked messages can be lost in a machine crash");
            natter_store::Durability::Buffered
        } else {
            natter_store::Durability::Sync
        },
        ..Default::default()
    };
    serve_metrics(
        args.metrics_listen.as_deref(),
        nats.clone(),
        config.health.clone(),
    )
    .await?;
    println!("natter store-worker running (store {spec})");
    natter_store_worker::run(config, store, nats, shutdown_signal()).await
}

/// `natter dev`.
pub async fn dev(args: DevArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data)?;
    let data = args.data.canonicalize()?;
    let port = (args.nats_port != 0).then_some(args.nats_port);
    let nats_dir = data.join("nats");
    // Not spawn_blocking: nats-server dies with the thread that started it
    // (PR_SET_PDEATHSIG), and tokio retires idle blocking threads after 10 s. A
    // runtime worker thread lives as long as the runtime.
    let server =
        tokio::task::block_in_place(|| natter_nats::NatsServer::start_in(&nats_dir, port))?;
    let keys_file = args
        .edge
        .token_keys_file
        .clone()
        .unwrap_or_else(|| data.join("token-keys"));
    ensure_dev_token_keys(&keys_file)?;
    let nats_args = NatsArgs {
        nats_url: server.url().to_string(),
        partitions: args.partitions,
        replicas: 1,
        presence_shards: LayoutConfig::default().presence_shards,
    };
    let mut config = edge_config(&args.edge, &nats_args, &keys_file, install_metrics())?;
    // One local edge has nowhere to send its clients: Ctrl-C should not wait long.
    config.drain_timeout = config.drain_timeout.min(std::time::Duration::from_secs(2));
    let mut push = push_config(&args.push, &nats_args)?;
    if push.providers.webpush.is_none() {
        push.providers.webpush = Some(dev_vapid(&data)?);
    }
    if config.webpush_public_key.is_none() {
        config.webpush_public_key = push
            .providers
            .webpush
            .as_ref()
            .map(natter_push::VapidConfig::public_key)
            .transpose()
            .map_err(|e| anyhow::anyhow!("VAPID key: {e}"))?;
    }

    let store: SharedStore = Arc::new(EmbeddedStore::open(data.join("store"))?);
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let worker_nats = natter_nats::connect(server.url(), "natter-store-worker").await?;
    let worker_cfg = StoreWorkerConfig {
        layout: nats_args.layout(),
        ..Default::default()
    };
    let mut worker = tokio::spawn(natter_store_worker::run(
        worker_cfg,
        store,
        worker_nats,
        stopped(stop_rx.clone()),
    ));
    let presence_nats = natter_nats::connect(server.url(), "natter-presence").await?;
    let mut presence = tokio::spawn(natter_presence::run(
        natter_presence::PresenceConfig {
            layout: nats_args.layout(),
            shards: None,
        },
        presence_nats,
        stopped(stop_rx.clone()),
    ));
    let push_nats = natter_nats::connect(server.url(), "natter-push-worker").await?;
    let mut pusher = tokio::spawn(natter_push::worker::run(
        push,
        push_nats,
        stopped(stop_rx.clone()),
    ));
    let edge_nats = natter_nats::connect(server.url(), "natter-edge").await?;
    let edge_events = natter_nats::connect(server.url(), "natter-edge-events").await?;
    let mut edge = tokio::spawn(natter_edge::run(
        listener,
        config,
        edge_nats,
        edge_events,
        stopped(stop_rx),
    ));

    println!("Natter is running.");
    println!("  HTTP:      http://{addr}  (API under /v1, see docs/protocol.md)");
    println!("  WebSocket: ws://{addr}/v1/ws");
    println!(
        "  NATS:      {}  (JetStream data in {})",
        server.url(),
        server.store_dir().display()
    );
    println!("  Store:     {}", data.join("store").display());
    println!(
        "  Try:       natter chat --url http://{addr} --user alice --password secret-pass --signup --to bob"
    );
    println!("Press Ctrl-C to stop.");

    // Run until asked to stop, or until a service fails on its own.
    tokio::select! {
        _ = shutdown_signal() => {}
        r = &mut worker => return r?.context("store worker stopped"),
        r = &mut edge => return r?.context("edge stopped"),
        r = &mut presence => return r?.context("presence watcher stopped"),
        r = &mut pusher => return r?.context("push worker stopped"),
    }
    let _ = stop_tx.send(true);
    // The edge drains its sockets (bounded by --drain-secs); do not wait forever.
    match tokio::time::timeout(SHUTDOWN_GRACE, async {
        tokio::join!(worker, edge, presence)
    })
    .await
    {
        Ok((w, e, p)) => {
            w??;
            e??;
            p??;
        }
        Err(_) => tracing::warn!("services did not stop within {SHUTDOWN_GRACE:?}; exiting"),
    }
    drop(server);
    Ok(())
}
