//! Service discovery: every edge registers itself in the `edges` KV bucket (id, URLs,
//! open sockets, draining flag) with a per-key TTL and renews it every few seconds;
//! a dead edge's key expires. Each edge also follows the bucket, so `GET /v1/discover`
//! is answered from memory: the least loaded live, non-draining edge, or the user's
//! previous edge (from `edge_affinity`) while it is healthy and not much busier.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures::StreamExt;
use natter_nats::layout;
use natter_nats::ttl_kv::TtlKv;
use natter_protocol::http::DiscoverResponse;
use natter_protocol::internal::EdgeRecord;
use natter_protocol::{ApiError, ErrorCode};

/// How this edge presents itself to clients and renews its registration.
#[derive(Debug, Clone)]
pub struct DiscoverySettings {
    /// This edge's id (unique among live edges).
    pub edge_id: String,
    /// Base URL clients reach this edge's HTTP API at (`http(s)://host:port`).
    pub public_url: String,
    /// Renewal period of the registration; its TTL is three periods.
    pub renew_every: Duration,
}

/// The user's previous edge is kept while its load is at most this factor of the
/// least loaded edge's, plus [`STICKY_SLACK`] sockets.
const STICKY_FACTOR: f64 = 1.5;
/// See [`STICKY_FACTOR`].
const STICKY_SLACK: u64 = 50;

pub(crate) struct Discovery {
    settings: DiscoverySettings,
    js: jetstream::Context,
    /// The `edges` bucket.
    registry: TtlKv,
    affinity: kv::Store,
    /// Live edges as last seen in the bucket.
    edges: Mutex<HashMap<String, EdgeRecord>>,
    pub(crate) draining: AtomicBool,
    pub(crate) connections: AtomicU64,
    /// Woken to renew at once (draining began).
    renew_now: tokio::sync::Notify,
    /// Readiness: registered for discovery (`/readyz` adds `draining` from above).
    pub(crate) health: natter_nats::health::Health,
}

impl Discovery {
    pub(crate) async fn new(
        js: jetstream::Context,
        settings: DiscoverySettings,
    ) -> anyhow::Result<Arc<Self>> {
        let affinity = js.get_key_value(layout::EDGE_AFFINITY_BUCKET).await?;
        let registry = TtlKv::open(&js, layout::EDGES_BUCKET).await?;
        Ok(Arc::new(Self {
            settings,
            js,
            registry,
            affinity,
            edges: Mutex::default(),
            draining: AtomicBool::new(false),
            connections: AtomicU64::new(0),
            renew_now: tokio::sync::Notify::new(),
            health: {
                let health = natter_nats::health::Health::default();
                health.expect("discovery");
                health
            },
        }))
    }

    pub(crate) fn edge_id(&self) -> &str {
        &self.settings.edge_id
    }

    fn ttl(&self) -> Duration {
        Duration::from_secs((self.settings.renew_every * 3).as_secs().max(1))
    }

    fn record(&self) -> EdgeRecord {
        let http = self.settings.public_url.trim_end_matches('/').to_string();
        let ws = if let Some(rest) = http.strip_prefix("https://") {
            format!("wss://{rest}/v1/ws")
        } else {
            format!("ws://{}/v1/ws", http.trim_start_matches("http://"))
        };
        EdgeRecord {
            id: self.settings.edge_id.clone(),
            http_url: http,
            ws_url: ws,
            connections: self.connections.load(Ordering::Relaxed),
            draining: self.draining.load(Ordering::Relaxed),
            at: natter_protocol::now_ms(),
        }
    }

    async fn register(&self) {
        let rec = self.record();
        let value = Bytes::from(serde_json::to_vec(&rec).unwrap_or_default());
        match self.registry.put(&rec.id, value, self.ttl()).await {
            Ok(_) => self.health.set("discovery", Ok(())),
            Err(e) => {
                tracing::warn!(error = %e, "edge registration not renewed");
                self.health
                    .set("discovery", Err(format!("registration not renewed: {e}")));
            }
        }
    }

    /// Renews the registration until aborted.
    pub(crate) async fn renew(self: Arc<Self>) {
        loop {
            self.register().await;
            tokio::select! {
                _ = tokio::time::sleep(self.settings.renew_every) => {}
                _ = self.renew_now.notified() => {}
            }
        }
    }

    /// Marks this edge draining and tells the bucket at once.
    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
        self.renew_now.notify_one();
    }

    /// Removes the registration (clean shutdown).
    pub(crate) async fn deregister(&self) {
        if let Err(e) = self.registry.delete(&self.settings.edge_id).await {
            tracing::warn!(error = %e, "edge registration not removed");
        }
    }

    /// Follows the edges bucket until aborted, keeping the live edges in memory.
    pub(crate) async fn follow(self: Arc<Self>) {
        loop {
            if let Err(e) = self.follow_once().await {
                tracing::warn!(error = %e, "edges watch failed; restarting");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn follow_once(&self) -> anyhow::Result<()> {
        let store = self.js.get_key_value(layout::EDGES_BUCKET).await?;
        let mut watch = store.watch_with_history(">").await?;
        while let Some(entry) = watch.next().await {
            let entry = entry?;
            let mut edges = self.edges.lock().unwrap_or_else(|e| e.into_inner());
            match entry.operation {
                kv::Operation::Put => {
                    if let Ok(rec) = serde_json::from_slice::<EdgeRecord>(&entry.value) {
                        edges.insert(entry.key, rec);
                    }
                }
                kv::Operation::Delete | kv::Operation::Purge => {
                    edges.remove(&entry.key);
                }
            }
        }
        Ok(())
    }

    /// Remembers that `user` connected here (for sticky discovery).
    pub(crate) async fn remember(&self, user: u64) {
        if let Err(e) = self
            .affinity
            .put(user.to_string(), Bytes::from(self.settings.edge_id.clone()))
            .await
        {
            tracing::debug!(error = %e, "edge affinity not kept");
        }
    }

    /// The edge `user` should connect to.
    ///
    /// # Errors
    /// `unavailable` when no live edge takes new sockets.
    pub(crate) async fn discover(&self, user: u64) -> Result<DiscoverResponse, ApiError> {
        let previous = match self.affinity.get(user.to_string()).await {
            Ok(Some(v)) => String::from_utf8(v.to_vec()).ok(),
            _ => None,
        };
        let stale = (self.ttl() * 2).as_millis() as u64;
        let now = natter_protocol::now_ms();
        let edges = self.edges.lock().unwrap_or_else(|e| e.into_inner());
        let live: Vec<&EdgeRecord> = edges
            .values()
            .filter(|e| !e.draining && now.saturating_sub(e.at) < stale)
            .collect();
        let least = live
            .iter()
            .min_by_key(|e| (e.connections, spread(user, &e.id)))
            .ok_or_else(|| ApiError::new(ErrorCode::Unavailable, "no edge available, retry"))?;
        let limit = (least.connections as f64 * STICKY_FACTOR) as u64 + STICKY_SLACK;
        let chosen = previous
            .and_then(|p| live.iter().find(|e| e.id == p && e.connections <= limit))
            .unwrap_or(least);
        Ok(DiscoverResponse {
            edge_id: chosen.id.clone(),
            http_url: chosen.http_url.clone(),
            ws_url: chosen.ws_url.clone(),
        })
    }
}

/// Tie-break among equally loaded edges, different per user so ties spread out.
fn spread(user: u64, edge_id: &str) -> u64 {
    let mut h = user ^ 0x9E37_79B9_7F4A_7C15;
    for b in edge_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    h
}
