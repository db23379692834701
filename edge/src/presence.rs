//! The edge's side of presence: device keys in the presence buckets, and the current
//! state of users for sockets and `GET /v1/users/{id}`.
//!
//! A socket's device key (`<user>.<device>` in `presence_<shard>`) is written when the
//! socket opens and again on the client's heartbeats (at most once per third of the
//! TTL), each time with the TTL; it is deleted on close, but only if this socket wrote
//! it last (expected revision), so a device that reconnected elsewhere stays online.
//! If the edge dies, the key expires and the watcher reports the user offline.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use bytes::Bytes;
use natter_nats::ttl_kv::TtlKv;
use natter_nats::{layout, subjects};
use natter_protocol::ApiError;
use natter_protocol::http::Presence;
use natter_protocol::internal::{PresenceBeat, PresenceQuery};

/// Presence settings of an edge.
#[derive(Debug, Clone, Copy)]
pub struct PresenceSettings {
    /// Life of a device key without a heartbeat (whole seconds, at least 1).
    pub ttl: Duration,
    /// Who may see a user's presence and last seen.
    pub visibility: Visibility,
}

/// Who may see a user's presence (online, last seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Users who share a channel with them (and they themselves): the default, so a
    /// stranger cannot follow when someone is online.
    #[default]
    Contacts,
    /// Every signed-in user.
    Everyone,
}

impl Default for PresenceSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(30),
            visibility: Visibility::default(),
        }
    }
}

/// Which of `users` `viewer` may see the presence of.
///
/// # Errors
/// `unavailable` when no store worker answers.
pub(crate) async fn visible(
    nats: &async_nats::Client,
    visibility: Visibility,
    viewer: u64,
    users: Vec<u64>,
) -> Result<Vec<u64>, ApiError> {
    if users.is_empty() {
        return Ok(users);
    }
    // Asked even when everyone's presence is visible: not to those they block.
    natter_nats::rpc::USER_CONTACTS
        .call(
            nats,
            &natter_protocol::internal::ContactsReq {
                user_id: viewer,
                others: users,
                contacts_only: visibility == Visibility::Contacts,
            },
        )
        .await
}

pub(crate) struct PresenceWriter {
    /// One per shard.
    buckets: Vec<TtlKv>,
    ttl: Duration,
    edge_id: String,
}

/// One socket's device key: what it last wrote, and when.
pub(crate) struct DeviceKey {
    user: u64,
    key: String,
    /// Revision of the socket's latest write (0: none acked yet); a heartbeat's write
    /// completes in the background and stores its revision here.
    revision: Arc<AtomicU64>,
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
            buckets.push(TtlKv::open(&js, &layout::presence_bucket(k)).await?);
        }
        Ok(Self {
            buckets,
            ttl: Duration::from_secs(settings.ttl.as_secs().max(1)),
            edge_id,
        })
    }

    fn bucket(&self, user: u64) -> &TtlKv {
        let k = layout::presence_shard_of(user, self.buckets.len() as u32) as usize;
        &self.buckets[k]
    }

    fn beat_value(&self) -> Bytes {
        let beat = PresenceBeat {
            edge: self.edge_id.clone(),
            at: natter_protocol::now_ms(),
        };
        Bytes::from(serde_json::to_vec(&beat).unwrap_or_default())
    }

    /// The device is online: its first write (awaited, so the key exists before
    /// `hello`).
    pub(crate) async fn online(&self, user: u64, device: &str) -> DeviceKey {
        let key = subjects::presence_key(user, device);
        let revision = match self
            .bucket(user)
            .put(&key, self.beat_value(), self.ttl)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "presence key not written");
                0
            }
        };
        DeviceKey {
            user,
            key,
            revision: Arc::new(AtomicU64::new(revision)),
            written: Instant::now(),
        }
    }

    /// A heartbeat: rewrites the key if a third of the TTL has passed since the last,
    /// in the background, so reading the client's frames never waits on it.
    pub(crate) fn beat(&self, dk: &mut DeviceKey) {
        if dk.written.elapsed() < self.ttl / 3 {
            return;
        }
        dk.written = Instant::now();
        let (kv, key, value, ttl) = (
            self.bucket(dk.user).clone(),
            dk.key.clone(),
            self.beat_value(),
            self.ttl,
        );
        let revision = dk.revision.clone();
        tokio::spawn(async move {
            match kv.put(&key, value, ttl).await {
                Ok(r) => {
                    revision.fetch_max(r, Ordering::SeqCst);
                }
                Err(e) => tracing::warn!(error = %e, "presence beat not written"),
            }
        });
    }

    /// The socket closed: deletes the key unless another socket of the device wrote
    /// it since.
    pub(crate) async fn offline(&self, dk: DeviceKey) {
        let rev = dk.revision.load(Ordering::SeqCst);
        if rev == 0 {
            return;
        }
        if let Err(e) = self.bucket(dk.user).release(&dk.key, rev).await {
            tracing::debug!(error = %e, "presence key kept (NATS unreachable)");
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
        let got: Vec<Presence> = natter_nats::rpc::PRESENCE_QUERY
            .call_shard(nats, k, &PresenceQuery { users })
            .await?;
        out.extend(got);
    }
    Ok(out)
}
