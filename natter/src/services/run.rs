//! `natter edge`, `natter store-worker`, `natter presence`, `natter push-worker` and
//! `natter migrate-store`: the libraries' configs built from the flags, and each
//! service started with them until a shutdown signal.

use std::path::Path;

use anyhow::Context;
use natter_edge::auth::{TokenKey, Tokens};
use natter_edge::{EdgeConfig, RateLimits};
use natter_store_worker::StoreWorkerConfig;
use natter_tikv::StoreSpec;

use super::flags::{
    EdgeArgs, EdgeFlags, MediaFlags, MediaWorkerArgs, MigrateStoreArgs, NatsArgs, PresenceArgs,
    PushFlags, PushWorkerArgs, StoreWorkerArgs, store_spec,
};
use super::{serve_metrics, shutdown_signal};

/// `natter edge`.
pub async fn edge(args: EdgeArgs) -> anyhow::Result<()> {
    let keys = args
        .edge
        .token_keys_file
        .clone()
        .context("--token-keys-file (or NATTER_TOKEN_KEYS_FILE) is required")?;
    let config = edge_config(&args.edge, &args.nats, &keys)?;
    let nats = natter_nats::connect(&args.nats.nats_url, "natter-edge").await?;
    // Metrics are for operators: on their own address, never on the public listener.
    serve_metrics(
        args.metrics_listen.as_deref(),
        nats.clone(),
        natter_nats::health::Health::default(),
    )
    .await?;
    let events = natter_nats::subscriber::Subscriptions::connect(
        &args.nats.nats_url,
        "natter-edge-events",
        std::time::Duration::from_secs(30),
    )
    .await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    println!("natter edge listening on http://{}", listener.local_addr()?);
    natter_edge::run(listener, config, nats, events, shutdown_signal()).await
}

pub(super) fn edge_config(
    flags: &EdgeFlags,
    nats: &NatsArgs,
    keys_file: &Path,
) -> anyhow::Result<EdgeConfig> {
    let keys = load_token_keys(keys_file)?;
    let tokens = Tokens::new(keys.clone(), flags.token_ttl_secs).map_err(anyhow::Error::msg)?;
    Ok(EdgeConfig {
        tokens,
        layout: nats.layout(),
        limits: RateLimits {
            sends_per_user: flags.send_rate,
            frames_per_connection: flags.frame_rate,
            auth_per_ip: flags.auth_rate,
            logins_per_user_and_ip: flags.login_rate,
            typing_per_user: flags.typing_rate,
        },
        presence: natter_edge::presence::PresenceSettings {
            ttl: std::time::Duration::from_secs(flags.presence_ttl_secs),
            visibility: match flags.presence_visibility {
                super::flags::PresenceVisibility::Contacts => {
                    natter_edge::presence::Visibility::Contacts
                }
                super::flags::PresenceVisibility::Everyone => {
                    natter_edge::presence::Visibility::Everyone
                }
            },
        },
        edge_id: flags.edge_id.clone(),
        public_url: flags.public_url.clone(),
        register_every: std::time::Duration::from_millis(flags.register_ms.max(100)),
        drain_timeout: std::time::Duration::from_secs(flags.drain_secs),
        idle_timeout: std::time::Duration::from_secs(flags.idle_secs.max(1)),
        webpush_public_key: flags.webpush_public_key.clone(),
        header_timeout: std::time::Duration::from_secs(flags.header_timeout_secs.max(1)),
        log_appends_in_flight: flags.log_appends_in_flight.max(1),
        socket_queue_bytes: flags.socket_queue_bytes.max(1024 * 1024),
        group_add: match flags.group_add_policy {
            super::flags::GroupAddPolicy::Contacts => natter_edge::GroupAddPolicy::Contacts,
            super::flags::GroupAddPolicy::Everyone => natter_edge::GroupAddPolicy::Everyone,
        },
        allowed_origins: flags.allowed_origins.clone(),
        body_timeout: std::time::Duration::from_secs(flags.body_timeout_secs.max(1)),
        max_sockets_per_user: flags.max_sockets_per_user.max(1),
        max_connections: flags.max_connections.max(1),
        trusted_proxies: flags.trusted_proxies.clone(),
        also_ready: Vec::new(),
        media: media_store(&flags.media, &keys)?,
    })
}

/// The attachments' store the flags name: the S3 bucket, else the folder, else none
/// (this edge takes no files). `keys` derive the key that signs download links (a
/// media worker signs none and passes no keys).
pub(super) fn media_store(
    flags: &MediaFlags,
    keys: &[TokenKey],
) -> anyhow::Result<Option<std::sync::Arc<natter_media::Media>>> {
    match (&flags.media_s3_bucket, flags.media_dir.as_deref()) {
        (Some(_), _) => media_s3(flags, keys).map(Some),
        (None, Some(dir)) => media_local(flags, dir, keys).map(Some),
        (None, None) => Ok(None),
    }
}

/// The attachments' store in `dir`.
fn media_local(
    flags: &MediaFlags,
    dir: &Path,
    keys: &[TokenKey],
) -> anyhow::Result<std::sync::Arc<natter_media::Media>> {
    let (key, limits) = media_key_and_limits(flags, keys)?;
    let media = natter_media::Media::local(dir, &key, limits)
        .with_context(|| format!("media folder {}", dir.display()))?;
    Ok(std::sync::Arc::new(media))
}

/// The attachments' store in the S3 bucket of `--media-s3-bucket`.
fn media_s3(
    flags: &MediaFlags,
    keys: &[TokenKey],
) -> anyhow::Result<std::sync::Arc<natter_media::Media>> {
    let (key, limits) = media_key_and_limits(flags, keys)?;
    let bucket = flags.media_s3_bucket.clone().context("no S3 bucket")?;
    let credentials = match &flags.media_s3_credentials_file {
        Some(path) => natter_media::S3Credentials::from_file(path)?,
        None => natter_media::S3Credentials::from_env(|k| std::env::var(k).ok())?,
    };
    let endpoint = flags.media_s3_endpoint.clone();
    // Plain HTTP only to a server on this machine (a test's); TLS anywhere else.
    let allow_http = endpoint.as_deref().is_some_and(|e| {
        let host = e
            .strip_prefix("http://")
            .and_then(|rest| rest.split(['/', '?']).next())
            .map(|h| h.rsplit_once(':').map_or(h, |(h, _)| h))
            .unwrap_or_default();
        host == "localhost"
            || host == "[::1]"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    let config = natter_media::S3Config {
        path_style: endpoint.is_some(),
        endpoint,
        bucket,
        region: flags.media_s3_region.clone(),
        credentials,
        allow_http,
    };
    let media = natter_media::Media::s3(&config, &key, limits)
        .with_context(|| format!("S3 bucket {}", config.bucket))?;
    Ok(std::sync::Arc::new(media))
}

/// The key that signs download links, derived from the token keys so that every
/// edge verifies every other's links, and the limits from the flags.
fn media_key_and_limits(
    flags: &MediaFlags,
    keys: &[TokenKey],
) -> anyhow::Result<(Vec<u8>, natter_media::MediaLimits)> {
    use sha2::Digest;
    let key = match keys.first() {
        Some(first) => sha2::Sha256::new()
            .chain_update(b"natter media links\0")
            .chain_update(&first.secret)
            .finalize()
            .to_vec(),
        None => Vec::new(),
    };
    let limits = natter_media::MediaLimits {
        max_file_bytes: flags.media_max_file_mb.max(1) * 1024 * 1024,
        part_bytes: flags.media_part_kb.clamp(64, 2048) * 1024,
        link_ttl: std::time::Duration::from_secs(flags.media_link_secs.max(10)),
        daily_bytes_per_user: flags.media_daily_mb.saturating_mul(1024 * 1024),
        ..Default::default()
    };
    Ok((key, limits))
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

/// The keys that sign and verify log appends, derived from the token key file.
pub(crate) fn load_log_keys(path: &Path) -> anyhow::Result<natter_nats::log_auth::LogKeys> {
    let keys = load_token_keys(path)?;
    anyhow::ensure!(!keys.is_empty(), "no key in {}", path.display());
    Ok(natter_nats::log_auth::LogKeys::derive(
        keys.iter().map(|k| (k.kid.as_str(), k.secret.as_slice())),
    ))
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

/// `natter store-worker`.
pub async fn store_worker(args: StoreWorkerArgs) -> anyhow::Result<()> {
    let spec = if args.store == "embedded" {
        StoreSpec::Embedded(args.store_dir.clone())
    } else {
        store_spec(&args.store, &args.tikv)?
    };
    let mut store = spec
        .open()
        .await
        .with_context(|| format!("opening store {spec}"))?;
    if args.unsafe_failpoint == Some(super::flags::Failpoint::LoseUnsyncedTail) {
        tracing::warn!(
            "--unsafe-failpoint lose-unsynced-tail: unsynced writes die with the process"
        );
        store = std::sync::Arc::new(natter_store::failpoint::LoseUnsyncedTail::new(store));
    }
    let keys = args.token_keys_file.as_deref().context(
        "--token-keys-file (or NATTER_TOKEN_KEYS_FILE) is required: it verifies the log's appends",
    )?;
    let log_keys = load_log_keys(keys)?;
    let nats = natter_nats::connect(&args.nats.nats_url, "natter-store-worker").await?;
    let config = StoreWorkerConfig {
        log_keys,
        accept_unsigned_log: args.accept_unsigned_log_appends,
        delivery_receipts: !args.no_delivery_receipts,
        username_hold: std::time::Duration::from_secs(args.username_hold_secs),
        max_message_age: (args.max_message_age_secs > 0)
            .then(|| std::time::Duration::from_secs(args.max_message_age_secs)),
        retention_sweep_every: std::time::Duration::from_secs(args.retention_sweep_secs.max(1)),
        layout: args.nats.layout(),
        lease_ttl: std::time::Duration::from_secs(args.lease_ttl_secs.max(1)),
        checkpoint_every: std::time::Duration::from_millis(args.checkpoint_ms.max(1)),
        fail_first_read: args.unsafe_failpoint
            == Some(super::flags::Failpoint::OwnerFailsAfterRead),
        password_hashes: args
            .password_hashes
            .unwrap_or_else(|| StoreWorkerConfig::default().password_hashes),
        password_hash_wait: std::time::Duration::from_millis(args.password_hash_wait_ms),
        ..Default::default()
    };
    serve_metrics(
        args.metrics_listen.as_deref(),
        nats.clone(),
        config.health.clone(),
    )
    .await?;
    println!("natter store-worker running (store {spec})");
    let ran = natter_store_worker::run(config, store, nats, shutdown_signal()).await;
    if let Err(e) = &ran
        && e.is::<natter_store_worker::StoreFailed>()
    {
        // The worker stopped cleanly (leases released). Exit non-zero: the supervisor
        // (systemd `Restart=on-failure`, compose `restart: on-failure`) starts a new
        // process, which reopens the store and replays the log.
        tracing::error!("exiting for the supervisor to restart the store worker");
    }
    ran
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

/// `natter media-worker`.
pub async fn media_worker(args: MediaWorkerArgs) -> anyhow::Result<()> {
    // The worker signs no links: its store needs no key.
    let media =
        media_store(&args.media, &[])?.context("--media-dir or --media-s3-bucket is required")?;
    let nats = natter_nats::connect(&args.nats.nats_url, "natter-media-worker").await?;
    serve_metrics(
        args.metrics_listen.as_deref(),
        nats.clone(),
        Default::default(),
    )
    .await?;
    println!("natter media-worker running");
    let config = natter_media::worker::MediaWorkerConfig {
        sweep_every: std::time::Duration::from_secs(args.media_sweep_secs.max(1)),
        orphan_grace: std::time::Duration::from_secs(args.media_orphan_grace_secs),
    };
    natter_media::worker::run(media, config, args.nats.layout(), nats, shutdown_signal()).await
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

pub(super) fn push_config(
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
