//! Natter's edge: the stateless WebSocket + HTTP front door.
//!
//! It verifies signed tokens, rate-limits, validates input, turns client operations
//! into NATS requests and stream publishes, and relays each connected user's NATS
//! subject to that user's sockets. It holds no durable state and never opens the
//! store: any number of edges can run side by side.
//!
//! # Layout
//! - [`run`]: the entry point shared by `natter edge`, `natter dev` and tests.
//! - [`auth`]: token issue and verification (with key rotation).
//! - [`publisher`]: group commit of log entries (sends, commands) onto the partition log.
//! - [`hub`]: sockets by subject and the relay of `user.<id>` and `presence.<id>` to them.
//! - [`presence`]: device keys in the presence buckets; presence queries.
//! - [`discovery`]: registration in the `edges` bucket, `GET /v1/discover`, draining.
//! - [`health`]: `/readyz`, whether this edge should get new clients.
//! - `commands`: channel commands through the partition log, and their outcomes.
//! - `http`: the HTTP JSON API, a file per resource (accounts, users, devices,
//!   channels, groups, service routes, the OpenAPI document); `socket`: the
//!   WebSocket protocol, one task per socket (its ops, its inbox, what it was sent,
//!   catch-up and gap fill); `cursors`: every socket's cursor acks, sent to the
//!   partitions' owners in edge-wide batches; `members`: the membership cache;
//!   `rate_limits`: rate limiters (input limits are `natter_protocol::limits`).
//!   Requests to other services go through `natter_nats::rpc`.
//! - `serve`: the HTTP accept loop (header-read timeout, graceful stop); `web`: the
//!   web app's static files; `request_log`: the request and connection ids in logs.
#![deny(missing_docs)]

pub mod auth;
mod client_ip;
mod commands;
pub mod discovery;
pub mod hub;
pub mod presence;
pub mod publisher;

mod cursors;
pub mod health;
mod http;
mod members;
mod rate_limits;
mod request_log;
mod serve;
mod socket;
mod web;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use natter_idgen::IdGenerator;
use natter_nats::layout::{self, LayoutConfig};

pub use rate_limits::RateLimits;

/// What an edge needs besides its listener and NATS connection.
#[derive(Clone)]
pub struct EdgeConfig {
    /// Token keys and lifetime.
    pub tokens: auth::Tokens,
    /// The NATS layout to create if missing (partitions, replicas, presence shards).
    pub layout: LayoutConfig,
    /// Rate limits.
    pub limits: RateLimits,
    /// Presence key TTL.
    pub presence: presence::PresenceSettings,
    /// This edge's id (default: `edge-<idgen worker id>`).
    pub edge_id: Option<String>,
    /// Base URL clients reach this edge at (default: `http://<listen address>`).
    pub public_url: Option<String>,
    /// How often the edge renews its registration for discovery.
    pub register_every: Duration,
    /// How long a draining edge waits for its clients to leave before closing them.
    pub drain_timeout: Duration,
    /// A socket that sends nothing (not even a heartbeat) for this long is closed.
    pub idle_timeout: Duration,
    /// VAPID public key handed to browsers for Web Push (None: not offered).
    pub webpush_public_key: Option<String>,
    /// A connection whose request headers are not complete this long after it
    /// opened (or after its previous response) is dropped (slow-loris).
    pub header_timeout: Duration,
    /// Appends to the log this edge keeps in flight at once (each carries what its
    /// partition gathered meanwhile): fewer means more entries per JetStream write.
    pub log_appends_in_flight: usize,
    /// Bytes of events one socket may have waiting before it is closed as too slow.
    pub socket_queue_bytes: usize,
    /// Who may put a user in a group.
    pub group_add: GroupAddPolicy,
    /// Checks of other services in this process that `/readyz` reports too
    /// (`natter dev`: its store worker's).
    pub also_ready: Vec<natter_nats::health::Health>,
    /// Proxies whose `X-Forwarded-For` names the client (for limits by address).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Most connections (HTTP and WebSocket) open at once on this edge.
    pub max_connections: usize,
    /// Most sockets one user may have open on this edge at once.
    pub max_sockets_per_user: u32,
    /// A request body not received in full within this long is refused and its
    /// connection closed (slow bodies; the header timeout covers headers only).
    pub body_timeout: Duration,
    /// Web origins (`https://chat.example`) whose pages may open sockets here, besides
    /// this edge's own (the web app it serves, and its public URL); `*` allows any.
    /// Requests without an `Origin` (apps, not browsers) are not affected.
    pub allowed_origins: Vec<String>,
    /// Where attachments are kept (None: this edge takes no files).
    pub media: Option<Arc<natter_media::Media>>,
}

/// Who may put a user in a group (`--group-add-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAddPolicy {
    /// Only users who share a current channel with them (a 1:1 channel counts).
    Contacts,
    /// Any signed-in user.
    Everyone,
}

/// Lifecycle of an edge, watched by every socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Serving.
    Running,
    /// Shutting down: clients are told to reconnect elsewhere.
    Draining,
    /// The drain deadline passed: remaining sockets close now.
    Closing,
}

/// Shared state of one edge process.
pub(crate) struct Edge {
    pub(crate) nats: async_nats::Client,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) publisher: publisher::Publisher,
    pub(crate) hub: hub::Hub,
    pub(crate) members: Arc<members::MembershipCache>,
    pub(crate) limiters: rate_limits::Limiters,
    pub(crate) config: EdgeConfig,
    pub(crate) next_socket: std::sync::atomic::AtomicU64,
    pub(crate) presence: presence::PresenceWriter,
    /// Presence shard count (from the stream's metadata).
    pub(crate) presence_shards: u32,
    pub(crate) discovery: Arc<discovery::Discovery>,
    pub(crate) phase: tokio::sync::watch::Sender<Phase>,
    /// Every socket's cursor acks, written in batches.
    pub(crate) cursors: Arc<cursors::Cursors>,
    /// Channel commands through the log, and their callers waiting for outcomes.
    pub(crate) commands: Arc<commands::Commands>,
    /// Sockets open per user here.
    pub(crate) user_sockets: Arc<socket::UserSockets>,
    /// Slots for data exports written by this edge at once.
    pub(crate) exports: Arc<tokio::sync::Semaphore>,
    /// Ended sessions, followed from NATS: every token is checked against it.
    pub(crate) revocations: Arc<natter_nats::revocations::Revocations>,
    /// The bucket counting each user's uploaded bytes per day (opened on first use).
    pub(crate) media_quota: tokio::sync::OnceCell<async_nats::jetstream::kv::Store>,
}

/// Serves HTTP and WebSocket clients on `listener` until `shutdown` completes.
///
/// `events` is a second NATS connection that carries only the fan-out to this
/// edge's sockets (a receive-only one, where a subscription costs a map entry, and
/// the channel its messages arrive on): under a fan-out burst its inbound queue is
/// deep, and on the main connection that would delay the replies the edge waits on
/// (publish acks, idgen lease renewals, presence writes) until they time out.
///
/// # Errors
/// Fails if the NATS layout cannot be set up, no idgen worker id can be leased, or
/// the listener fails.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: EdgeConfig,
    nats: async_nats::Client,
    events: (
        natter_nats::subscriber::Subscriptions,
        tokio::sync::mpsc::Receiver<natter_nats::subscriber::Delivery>,
    ),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(nats.clone());
    let layout = layout::ensure_patiently(&js, &config.layout, layout::STARTUP_PATIENCE).await?;
    let ids = IdGenerator::start_patiently(js.clone(), layout::STARTUP_PATIENCE).await?;
    let members = Arc::new(members::MembershipCache::new(nats.clone()));
    let watcher = members
        .watch()
        .await
        .map_err(|e| anyhow::anyhow!("membership notices: {e}"))?;
    let edge_id = config
        .edge_id
        .clone()
        .unwrap_or_else(|| format!("edge-{}", ids.worker_id()));
    let public_url = match &config.public_url {
        Some(u) => u.clone(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let discovery = discovery::Discovery::new(
        js.clone(),
        discovery::DiscoverySettings {
            edge_id: edge_id.clone(),
            public_url,
            renew_every: config.register_every,
        },
    )
    .await?;
    let presence =
        presence::PresenceWriter::new(js.clone(), layout.presence_shards, config.presence, edge_id)
            .await?;
    let revocations = natter_nats::revocations::Revocations::open(&js)
        .await
        .map_err(|e| anyhow::anyhow!("revocation list: {e}"))?;
    let cursors = cursors::Cursors::new();
    let (commands, outcomes) = commands::Commands::start(&nats)
        .await
        .map_err(|e| anyhow::anyhow!("command outcomes: {e}"))?;
    let background = [
        outcomes,
        tokio::spawn(discovery.clone().renew()),
        tokio::spawn(discovery.clone().follow()),
        watcher,
        tokio::spawn(cursors.clone().run(
            nats.clone(),
            layout.partitions,
            config.tokens.log_keys(),
        )),
    ];
    let edge = Arc::new(Edge {
        publisher: publisher::Publisher::start(
            js.clone(),
            layout.partitions,
            config.log_appends_in_flight,
            config.tokens.log_keys(),
        ),
        presence,
        presence_shards: layout.presence_shards,
        discovery: discovery.clone(),
        phase: tokio::sync::watch::Sender::new(Phase::Running),
        cursors,
        commands,
        user_sockets: Arc::default(),
        revocations: revocations.clone(),
        exports: Arc::new(tokio::sync::Semaphore::new(http::EXPORTS_AT_ONCE)),
        media_quota: tokio::sync::OnceCell::new(),
        hub: hub::Hub::new(events.0, events.1),
        members,
        limiters: rate_limits::Limiters::new(&config.limits),
        nats,
        ids: ids.clone(),
        config,
        next_socket: std::sync::atomic::AtomicU64::new(1),
    });
    // Keyed rate limits forget idle keys, so many addresses or usernames passing
    // through hold no memory for long.
    let forgetting = {
        let edge = Arc::downgrade(&edge);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                let Some(edge) = edge.upgrade() else { return };
                edge.limiters.forget_idle();
            }
        })
    };
    let media_results = tokio::spawn(announce_processed_media(edge.clone()));
    // Sockets of a user one of whose sessions ended look again at their tokens.
    let following = {
        let sockets = edge.user_sockets.clone();
        tokio::spawn(revocations.follow(move |user| sockets.session_ended(user)))
    };
    tracing::info!(addr = %listener.local_addr()?, edge = discovery.edge_id(), "edge listening");
    let app =
        http::router(edge.clone()).layer(axum::middleware::from_fn(request_log::with_request_id));
    let stop_http = Arc::new(tokio::sync::Notify::new());
    let stop = stop_http.clone();
    let header_timeout = edge.config.header_timeout;
    let max_connections = edge.config.max_connections;
    let mut server = tokio::spawn(serve::serve(
        listener,
        app,
        header_timeout,
        max_connections,
        async move { stop.notified().await },
    ));
    tokio::select! {
        r = &mut server => {
            r?;
            anyhow::bail!("http server ended");
        }
        _ = shutdown => {}
    }
    drain(&edge).await;
    stop_http.notify_one();
    let _ = server.await;
    for task in background {
        task.abort();
    }
    forgetting.abort();
    media_results.abort();
    following.abort();
    discovery.deregister().await;
    if let Err(e) = ids.release().await {
        tracing::warn!(error = %e, "idgen lease release failed");
    }
    Ok(())
}

/// Answers the media worker: each processed attachment becomes an event of its
/// channel, appended through the log as the uploader's command (the worker has no
/// log credentials of its own; any edge serves it).
async fn announce_processed_media(edge: Arc<Edge>) {
    use futures::StreamExt;
    use natter_nats::subjects::media;
    let mut sub = loop {
        match edge
            .nats
            .queue_subscribe(media::PROCESSED, media::EDGES.into())
            .await
        {
            Ok(s) => break s,
            Err(e) => {
                tracing::warn!(error = %e, "media results: subscribe failed, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    while let Some(msg) = sub.next().await {
        let Some(reply) = msg.reply else { continue };
        let edge = edge.clone();
        tokio::spawn(async move {
            let answer = natter_nats::rpc::MEDIA_PROCESSED
                .answer(&msg.payload, |req| {
                    let edge = edge.clone();
                    async move {
                        let (uploader, channel) = (req.uploader, req.channel_id);
                        let action =
                            natter_protocol::internal::ChannelAction::AttachmentProcessed {
                                attachment: req.attachment,
                            };
                        edge.commands.run(&edge, uploader, channel, action).await
                    }
                })
                .await;
            natter_nats::rpc::respond(&edge.nats, reply, answer).await;
        });
    }
}

/// Drains: no new sockets, clients told to reconnect elsewhere, then those left after
/// the deadline are closed.
async fn drain(edge: &Edge) {
    let open = || edge.discovery.connections.load(Ordering::Relaxed);
    tracing::info!(sockets = open(), "draining");
    edge.discovery.start_draining();
    edge.phase.send_replace(Phase::Draining);
    let deadline = tokio::time::Instant::now() + edge.config.drain_timeout;
    while open() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    edge.phase.send_replace(Phase::Closing);
    // Writers close their sockets now; give them a moment to send the close frames.
    let closing = tokio::time::Instant::now() + Duration::from_secs(2);
    while open() > 0 && tokio::time::Instant::now() < closing {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::info!(left = open(), "drained");
}
