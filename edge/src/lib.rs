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
//! - [`publisher`]: group commit of sends onto the partitioned stream.
//! - [`hub`]: sockets by user and the relay of `user.<id>` to them.
//! - `http`: the HTTP JSON API; `ws`: the WebSocket protocol; `delivery`: what each
//!   socket was sent, catch-up on connect and gap fill; `rpc`: requests to store
//!   workers; `members`: the membership cache; `limits`: rate limiters.
#![deny(missing_docs)]

pub mod auth;
pub mod hub;
pub mod publisher;

mod delivery;
mod http;
mod limits;
mod members;
mod rpc;
mod ws;

use std::future::Future;
use std::sync::Arc;

use natter_idgen::IdGenerator;
use natter_nats::layout::{self, LayoutConfig};

pub use limits::RateLimits;

/// Renders the process's metrics in Prometheus text format.
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// What an edge needs besides its listener and NATS connection.
#[derive(Clone)]
pub struct EdgeConfig {
    /// Token keys and lifetime.
    pub tokens: auth::Tokens,
    /// Partition count used if this edge creates the message stream.
    pub partitions: u32,
    /// Replicas of streams and buckets this edge creates.
    pub replicas: usize,
    /// Rate limits.
    pub limits: RateLimits,
    /// `/metrics` renderer (None: the route answers 404).
    pub metrics: Option<MetricsRender>,
}

/// Shared state of one edge process.
pub(crate) struct Edge {
    pub(crate) nats: async_nats::Client,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) publisher: publisher::Publisher,
    pub(crate) hub: hub::Hub,
    pub(crate) members: Arc<members::MembershipCache>,
    /// P of the message stream (from its metadata).
    pub(crate) partitions: u32,
    pub(crate) limiters: limits::Limiters,
    pub(crate) config: EdgeConfig,
    pub(crate) next_socket: std::sync::atomic::AtomicU64,
}

/// Serves HTTP and WebSocket clients on `listener` until `shutdown` completes.
///
/// # Errors
/// Fails if the NATS layout cannot be set up, no idgen worker id can be leased, or
/// the listener fails.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: EdgeConfig,
    nats: async_nats::Client,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(nats.clone());
    let layout = layout::ensure(
        &js,
        &LayoutConfig {
            partitions: config.partitions,
            replicas: config.replicas,
        },
    )
    .await?;
    let ids = IdGenerator::start(js.clone()).await?;
    let members = Arc::new(members::MembershipCache::new(nats.clone()));
    let watcher = members
        .watch()
        .await
        .map_err(|e| anyhow::anyhow!("membership notices: {e}"))?;
    let edge = Arc::new(Edge {
        publisher: publisher::Publisher::start(js.clone(), layout.partitions),
        hub: hub::Hub::new(nats.clone()),
        members,
        partitions: layout.partitions,
        limiters: limits::Limiters::new(&config.limits),
        nats,
        ids: ids.clone(),
        config,
        next_socket: std::sync::atomic::AtomicU64::new(1),
    });
    tracing::info!(addr = %listener.local_addr()?, worker_id = ids.worker_id(), "edge listening");
    let app = http::router(edge.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    watcher.abort();
    if let Err(e) = ids.release().await {
        tracing::warn!(error = %e, "idgen lease release failed");
    }
    Ok(())
}
