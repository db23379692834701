//! `natter dev`: the whole system on one machine. A nats-server child process, and
//! an edge, a store worker, a presence watcher and a push worker in this process on
//! the embedded store, all under one data folder; Ctrl-C stops them together. With
//! no supervisor to restart it, the store worker reopens its store in process when
//! the store fails (a full disk): [`store_worker_reopening`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use natter_nats::layout::LayoutConfig;
use natter_store::{EmbeddedStore, SharedStore};
use natter_store_worker::StoreWorkerConfig;

use super::flags::{DevArgs, NatsArgs};
use super::run::{edge_config, push_config};
use super::{serve_metrics, shutdown_signal};

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
        log_max_bytes: LayoutConfig::default().log_max_bytes,
    };
    let mut edge_flags = args.edge.clone();
    if edge_flags.media.media_s3_bucket.is_none() {
        edge_flags
            .media
            .media_dir
            .get_or_insert_with(|| data.join("media"));
    }
    let mut config = edge_config(&edge_flags, &nats_args, &keys_file)?;
    // One local edge has nowhere to send its clients: Ctrl-C should not wait long.
    config.drain_timeout = config.drain_timeout.min(std::time::Duration::from_secs(2));
    let mut push = push_config(&args.push, &nats_args)?;
    // On a developer's machine a webhook receiver on localhost is the usual case.
    if push.providers.allowed_networks.is_empty() {
        push.providers.allowed_networks = vec!["127.0.0.0/8".into(), "::1/128".into()];
    }
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

    // Opened here, not retried: a store another process holds is an error to show.
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
        log_keys: super::run::load_log_keys(&keys_file)?,
        ..Default::default()
    };
    // Every in-process service's metrics, with the store worker's readiness.
    serve_metrics(
        args.metrics_listen.as_deref(),
        worker_nats.clone(),
        worker_cfg.health.clone(),
    )
    .await?;
    let worker_health = worker_cfg.health.clone();
    let mut worker = tokio::spawn(store_worker_reopening(
        data.join("store"),
        store,
        worker_cfg,
        worker_nats.clone(),
        stop_rx.clone(),
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
    let media_nats = natter_nats::connect(server.url(), "natter-media-worker").await?;
    let mut media_worker = tokio::spawn(natter_media::worker::run(
        config
            .media
            .clone()
            .context("the dev edge has a media folder")?,
        Default::default(),
        nats_args.layout(),
        media_nats,
        stopped(stop_rx.clone()),
    ));
    // Serve clients only once the store worker and the presence watcher answer: a
    // first sign-up must not meet `unavailable`.
    tokio::select! {
        r = answering(&worker_nats) => r?,
        r = &mut worker => return r?.context("store worker stopped"),
        r = &mut presence => return r?.context("presence watcher stopped"),
        r = &mut pusher => return r?.context("push worker stopped"),
        r = &mut media_worker => return r?.context("media worker stopped"),
    }
    // The edge's /readyz also reports the in-process store worker's checks.
    config.also_ready.push(worker_health);
    let edge_nats = natter_nats::connect(server.url(), "natter-edge").await?;
    let edge_events = natter_nats::subscriber::Subscriptions::connect(
        server.url(),
        "natter-edge-events",
        std::time::Duration::from_secs(30),
    )
    .await?;
    let mut edge = tokio::spawn(natter_edge::run(
        listener,
        config,
        edge_nats,
        edge_events,
        stopped(stop_rx),
    ));

    // And say so only once the edge itself is ready (registered for discovery).
    tokio::select! {
        r = edge_ready(addr) => r?,
        r = &mut worker => return r?.context("store worker stopped"),
        r = &mut edge => return r?.context("edge stopped"),
        r = &mut presence => return r?.context("presence watcher stopped"),
        r = &mut pusher => return r?.context("push worker stopped"),
        r = &mut media_worker => return r?.context("media worker stopped"),
    }
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
        r = &mut media_worker => return r?.context("media worker stopped"),
    }
    let _ = stop_tx.send(true);
    // The edge drains its sockets (bounded by --drain-secs); do not wait forever.
    match tokio::time::timeout(SHUTDOWN_GRACE, async {
        tokio::join!(worker, edge, presence, pusher, media_worker)
    })
    .await
    {
        Ok((w, e, p, u, m)) => {
            w??;
            e??;
            p??;
            u??;
            m??;
        }
        Err(_) => tracing::warn!("services did not stop within {SHUTDOWN_GRACE:?}; exiting"),
    }
    drop(server);
    Ok(())
}

/// First wait before reopening a failed store; doubled after each failed attempt.
const REOPEN_FIRST_WAIT: std::time::Duration = std::time::Duration::from_millis(200);
/// Longest wait between attempts to reopen the store.
const REOPEN_MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// A worker that ran this long before its store failed starts over with a short wait.
const REOPEN_RESET_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs the in-process store worker on `store` (the embedded store in `dir`) until
/// `stop`; when the store fails for good ([`natter_store_worker::StoreFailed`]: the
/// worker has stopped and released its leases) it drops the store, opens it again
/// (fjall recovers its journal), with growing waits while that or the new worker's
/// first writes fail (a disk still full), and runs a new worker, whose owners replay
/// the log from what the store recovered. The `store` check stays failing meanwhile.
///
/// # Errors
/// The worker failed otherwise (as `natter_store_worker::run`).
async fn store_worker_reopening(
    dir: PathBuf,
    mut store: SharedStore,
    config: StoreWorkerConfig,
    nats: async_nats::Client,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let health = config.health.clone();
    let mut wait = REOPEN_FIRST_WAIT;
    loop {
        let started = std::time::Instant::now();
        let run =
            natter_store_worker::run(config.clone(), store, nats.clone(), stopped(stop.clone()));
        let failed = match run.await {
            Ok(()) => return Ok(()),
            Err(e) => e.downcast::<natter_store_worker::StoreFailed>()?,
        };
        if started.elapsed() > REOPEN_RESET_AFTER {
            wait = REOPEN_FIRST_WAIT;
        }
        tracing::warn!(error = %failed.reason, "the store failed; reopening the store");
        health.set(
            "store",
            Err(format!("reopening the store after: {}", failed.reason)),
        );
        store = loop {
            // Also lets the last handles of the failed store go (fjall locks its folder).
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stopped(stop.clone()) => return Ok(()),
            }
            wait = (wait * 2).min(REOPEN_MAX_WAIT);
            let path = dir.clone();
            match tokio::task::spawn_blocking(move || EmbeddedStore::open(path)).await? {
                Ok(s) => break Arc::new(s),
                Err(e) => {
                    tracing::warn!(error = %e, ?wait, "the store did not reopen; retrying");
                    health.set("store", Err(format!("reopening the store: {e}")));
                }
            }
        };
        tracing::info!("store reopened; the partitions replay from the log");
    }
}

/// Waits until a store worker answers an RPC and the presence watcher a query
/// (an answer, whatever it says: `user_not_found` is one).
///
/// # Errors
/// Nothing answered within [`STARTUP_ANSWER`].
async fn answering(nats: &async_nats::Client) -> anyhow::Result<()> {
    use natter_nats::rpc;
    use natter_protocol::internal::{PresenceQuery, UserGetReq};
    let answered = |r: Result<(), natter_protocol::ApiError>| match r {
        Ok(()) => true,
        Err(e) => e.code != natter_protocol::ErrorCode::Unavailable,
    };
    let deadline = tokio::time::Instant::now() + STARTUP_ANSWER;
    loop {
        let store = rpc::USER_GET
            .probe(
                nats,
                0,
                &UserGetReq {
                    user_id: 0,
                    own: false,
                },
            )
            .await
            .map(|_| ());
        let presence = rpc::PRESENCE_QUERY
            .probe(nats, 0, &PresenceQuery { users: vec![] })
            .await
            .map(|_| ());
        if answered(store) && answered(presence) {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the store worker or presence watcher did not answer within {STARTUP_ANSWER:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits until the edge at `addr` answers `/readyz` with 200.
///
/// # Errors
/// Not ready within [`STARTUP_ANSWER`].
async fn edge_ready(addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = tokio::time::Instant::now() + STARTUP_ANSWER;
    loop {
        let ready = async {
            let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: natter\r\nConnection: close\r\n\r\n")
                .await
                .ok()?;
            let mut head = [0u8; 12];
            s.read_exact(&mut head).await.ok()?;
            Some(&head == b"HTTP/1.1 200")
        };
        if tokio::time::timeout(std::time::Duration::from_secs(2), ready)
            .await
            .ok()
            .flatten()
            == Some(true)
        {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the edge was not ready within {STARTUP_ANSWER:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// How long `natter dev` waits for its services to answer at start.
const STARTUP_ANSWER: std::time::Duration = std::time::Duration::from_secs(120);

/// How long services get to stop after Ctrl-C / SIGTERM.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

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
