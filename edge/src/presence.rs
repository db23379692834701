//! The edge's side of presence: device keys in the presence buckets, and the current
//! state of users for sockets and `GET /v1/users/{id}`.
//!
//! A socket's device key (`<user>.<device>` in `presence_<shard>`) is written when the
//! socket opens and again on the client's heartbeats (at most once per third of the
//! TTL), each time with the TTL; it is deleted on close, but only if this socket wrote
//! it last (expected revision), so a device that reconnected elsewhere stays online.
//! If the edge dies, the key expires and the watcher reports the user offline.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv, message::PublishMessage};
use natter_nats::{layout, subjects};
use natter_protocol::ApiError;
use natter_protocol::http::Presence;
use natter_protocol::internal::{PresenceBeat, PresenceQuery};

/// Presence settings of an edge.
#[derive(Debug, Clone, Copy)]
pub struct PresenceSettings {
    /// Life of a device key without a heartbeat (whole seconds, at least 1).
    pub ttl: Duration,
}

impl Default for PresenceSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(30),
        }
    }
}

pub(crate) struct PresenceWriter {
    js: jetstream::Context,
    buckets: Vec<kv::Store>,
    ttl: Duration,
    edge_id: String,
}

/// One socket's device key: what it last wrote, and when.
pub(crate) struct DeviceKey {
    user: u64,
    key: String,
    revision: Option<u64>,
    written: Instant,
}

impl PresenceWriter {
    pub(crate) async fn new(
        js: jetstream::Context,
        shards: u32,
        settings: PresenceSettings,
        edge_id: String,
    ) -> anyhow::Result<Self> {
        let mut buckets = Vec::with_capacity(shards as usize);
        for k in 0..shards {
            buckets.push(js.get_key_value(layout::presence_bucket(k)).await?);
        }
        Ok(Self {
            js,
            buckets,
            ttl: Duration::from_secs(settings.ttl.as_secs().max(1)),
            edge_id,
        })
    }

    fn bucket(&self, user: u64) -> &kv::Store {
        let k = layout::presence_shard_of(user, self.buckets.len() as u32) as usize;
        &self.buckets[k]
    }

    /// Writes the device key (with its TTL); returns its new revision.
    async fn write(&self, user: u64, key: &str) -> Option<u64> {
        let shard = layout::presence_shard_of(user, self.buckets.len() as u32);
        let beat = PresenceBeat {
            edge: self.edge_id.clone(),
            at: now_ms(),
        };
        let msg = PublishMessage::build()
            .payload(serde_json::to_vec(&beat).unwrap_or_default().into())
            .ttl(self.ttl);
        let subject = subjects::kv_put(&layout::presence_bucket(shard), key);
        match self.js.send_publish(subject, msg).await {
            Ok(ack) => match ack.await {
                Ok(ack) => Some(ack.sequence),
                Err(e) => {
                    tracing::warn!(error = %e, "presence beat not acked");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "presence beat not sent");
                None
            }
        }
    }

    /// The device is online: its first write.
    pub(crate) async fn online(&self, user: u64, device: &str) -> DeviceKey {
        let key = subjects::presence_key(user, device);
        let revision = self.write(user, &key).await;
        DeviceKey {
            user,
            key,
            revision,
            written: Instant::now(),
        }
    }

    /// A heartbeat: rewrites the key if a third of the TTL has passed since the last.
    pub(crate) async fn beat(&self, dk: &mut DeviceKey) {
        if dk.written.elapsed() < self.ttl / 3 {
            return;
        }
        dk.written = Instant::now();
        if let Some(r) = self.write(dk.user, &dk.key).await {
            dk.revision = Some(r);
        }
    }

    /// The socket closed: deletes the key unless another socket of the device wrote
    /// it since.
    pub(crate) async fn offline(&self, dk: DeviceKey) {
        let Some(rev) = dk.revision else { return };
        if let Err(e) = self
            .bucket(dk.user)
            .delete_expect_revision(&dk.key, Some(rev))
            .await
        {
            tracing::debug!(error = %e, "presence key kept (rewritten since, or NATS down)");
        }
    }
}

/// The current presence of `users`, from the watchers of their shards.
///
/// # Errors
/// `unavailable` when a watcher does not answer.
pub(crate) async fn query(
    nats: &async_nats::Client,
    shards: u32,
    users: &[u64],
) -> Result<Vec<Presence>, ApiError> {
    let mut by_shard: HashMap<u32, Vec<u64>> = HashMap::new();
    for u in users {
        by_shard
            .entry(layout::presence_shard_of(*u, shards))
            .or_default()
            .push(*u);
    }
    let mut out = Vec::with_capacity(users.len());
    for (k, users) in by_shard {
        let got: Vec<Presence> =
            crate::rpc::call(nats, &subjects::presence_query(k), &PresenceQuery { users }).await?;
        out.extend(got);
    }
    Ok(out)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
