//! Natter's presence watcher: online / offline / last seen, from JetStream KV.
//!
//! Edges keep one key per connected device in a presence bucket
//! (`<user_id>.<device>`), written on connect and refreshed on the client's
//! heartbeats with a per-key TTL, and deleted on a clean close. A key whose edge died
//! simply expires: the server writes a TTL-expiry marker. This watcher follows the
//! bucket and turns device-level puts, deletes and expiries into user-level changes
//! (online while any device is; offline with last seen), published as a JSON
//! `presence` event on `presence.<user_id>` only when the user-level state changes.
//! It also answers `presence-query.<shard>` with the current state of users.
//!
//! Presence is sharded: users map to `S` buckets (`presence_<k>`, fixed at layout
//! creation), and each watcher task follows one bucket, holding only the online users
//! of its shard; several `natter presence --shards` processes split the shards.
//! Last-seen times of offline users are kept in `last_seen_<k>`.
//!
//! # Layout
//! - [`run`]: the entry point shared by `natter presence`, `natter dev` and tests.
//! - [`PresenceConfig`]: which shards, and the layout to create if missing.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures::StreamExt;
use natter_nats::layout::{self, LayoutConfig};
use natter_nats::subjects;
use natter_protocol::http::Presence;
use natter_protocol::internal::PresenceBeat;
use natter_protocol::now_ms;
use natter_protocol::ws::ServerEvent;

/// What a presence watcher process needs besides its NATS connection.
#[derive(Debug, Clone, Default)]
pub struct PresenceConfig {
    /// The layout to create if missing.
    pub layout: LayoutConfig,
    /// Shards this process follows (`None`: all of them).
    pub shards: Option<Vec<u32>>,
}

/// Runs presence watchers until `shutdown` completes.
///
/// # Errors
/// Fails if the NATS layout cannot be set up or a query subscription fails.
pub async fn run(
    config: PresenceConfig,
    nats: async_nats::Client,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let js = jetstream::new(nats.clone());
    let layout = layout::ensure_patiently(&js, &config.layout, layout::STARTUP_PATIENCE).await?;
    let shards = config
        .shards
        .unwrap_or_else(|| (0..layout.presence_shards).collect());
    let mut tasks = tokio::task::JoinSet::new();
    for k in shards {
        if k >= layout.presence_shards {
            anyhow::bail!(
                "shard {k} does not exist (there are {})",
                layout.presence_shards
            );
        }
        let shard = Arc::new(Shard {
            k,
            nats: nats.clone(),
            devices: js.get_key_value(layout::presence_bucket(k)).await?,
            last_seen: js.get_key_value(layout::last_seen_bucket(k)).await?,
            online: Mutex::default(),
        });
        let queries = nats
            .queue_subscribe(
                subjects::presence_query(k),
                subjects::PRESENCE_QUEUE_GROUP.into(),
            )
            .await?;
        tasks.spawn(serve_queries(shard.clone(), queries));
        tasks.spawn(follow(shard));
    }
    tracing::info!(shards = layout.presence_shards, "presence watcher running");
    shutdown.await;
    tasks.shutdown().await;
    Ok(())
}

/// The online users of one shard.
struct Shard {
    k: u32,
    nats: async_nats::Client,
    devices: kv::Store,
    last_seen: kv::Store,
    /// Online users: when they came online, and each device's last beat (ms).
    online: Mutex<HashMap<u64, Online>>,
}

struct Online {
    since: u64,
    devices: HashMap<String, u64>,
}

/// Follows the shard's bucket for ever, starting again after any failure.
async fn follow(shard: Arc<Shard>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if let Err(e) = follow_once(&shard).await {
            tracing::warn!(shard = shard.k, error = %e, "presence watch failed; restarting");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn follow_once(shard: &Shard) -> anyhow::Result<()> {
    // The latest entry of every key first (rebuilding state silently), then changes.
    let mut watch = shard.devices.watch_with_history(">").await?;
    let mut live = false;
    while let Some(entry) = watch.next().await {
        let entry = entry?;
        // Replayed entries rebuild the state; only changes after the replay are news.
        let publish = live || entry.delta == 0;
        if entry.delta == 0 {
            live = true;
        }
        let Some(user) = subjects::presence_key_user(&entry.key) else {
            continue;
        };
        let change = match entry.operation {
            kv::Operation::Put => {
                let at = serde_json::from_slice::<PresenceBeat>(&entry.value)
                    .map(|b| b.at)
                    .unwrap_or_else(|_| now_ms());
                device_up(shard, user, entry.key, at)
            }
            // A clean close deletes the key: last seen is now. An expiry (Purge marker)
            // means the edge stopped beating: last seen is the last beat.
            kv::Operation::Delete => device_down(shard, user, &entry.key, false),
            kv::Operation::Purge => device_down(shard, user, &entry.key, true),
        };
        if let Some(p) = change {
            // Announced first: the store workers decide from these announcements
            // whether a new message needs a push, and this watcher already answers
            // queries with the new state; keeping last seen (a JetStream write)
            // before announcing left a window in which a message to a user just gone
            // offline was taken as delivered live and never notified.
            let seen = (!p.online).then_some(p.last_seen).flatten();
            if publish {
                announce(shard, p).await;
            }
            if let Some(seen) = seen
                && let Err(e) = shard
                    .last_seen
                    .put(user.to_string(), Bytes::from(seen.to_string()))
                    .await
            {
                tracing::warn!(error = %e, "last seen not kept");
            }
        }
    }
    Ok(())
}

/// Records a device beat; the user's new state if they just came online.
fn device_up(shard: &Shard, user: u64, key: String, at: u64) -> Option<Presence> {
    let mut online = shard.online.lock().unwrap_or_else(|e| e.into_inner());
    match online.get_mut(&user) {
        Some(o) => {
            o.devices.insert(key, at);
            None
        }
        None => {
            let since = now_ms();
            online.insert(
                user,
                Online {
                    since,
                    devices: HashMap::from([(key, at)]),
                },
            );
            Some(Presence {
                user,
                online: true,
                last_seen: None,
                changed_at: since,
            })
        }
    }
}

/// Records a device gone; the user's new state if it was their last device.
fn device_down(shard: &Shard, user: u64, key: &str, expired: bool) -> Option<Presence> {
    let mut online = shard.online.lock().unwrap_or_else(|e| e.into_inner());
    let o = online.get_mut(&user)?;
    let last_beat = o.devices.remove(key)?;
    if !o.devices.is_empty() {
        return None;
    }
    online.remove(&user);
    let now = now_ms();
    let seen = if expired { last_beat } else { now };
    Some(Presence {
        user,
        online: false,
        last_seen: Some(seen),
        changed_at: now,
    })
}

async fn announce(shard: &Shard, p: Presence) {
    let headers = natter_nats::headers::json_event("presence");
    let subject = subjects::presence_changes(p.user);
    let payload = Bytes::from(ServerEvent::Presence(p).to_json());
    if let Err(e) = shard
        .nats
        .publish_with_headers(subject, headers, payload)
        .await
    {
        tracing::warn!(error = %e, "presence change not published");
    }
    metrics::counter!("natter_presence_changes_total").increment(1);
}

/// The current presence of `user`.
async fn current(shard: &Shard, user: u64) -> Presence {
    let since = shard
        .online
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&user)
        .map(|o| o.since);
    if let Some(since) = since {
        return Presence {
            user,
            online: true,
            last_seen: None,
            changed_at: since,
        };
    }
    let last_seen = match shard.last_seen.get(user.to_string()).await {
        Ok(Some(v)) => std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()),
        _ => None,
    };
    Presence {
        user,
        online: false,
        last_seen,
        changed_at: last_seen.unwrap_or(0),
    }
}

async fn serve_queries(shard: Arc<Shard>, mut sub: async_nats::Subscriber) {
    while let Some(msg) = sub.next().await {
        let Some(reply) = msg.reply.clone() else {
            continue;
        };
        let answer = natter_nats::rpc::PRESENCE_QUERY
            .answer(&msg.payload, |q| async {
                let mut out = Vec::with_capacity(q.users.len());
                for u in q
                    .users
                    .into_iter()
                    .take(natter_protocol::limits::MAX_PRESENCE_WATCH)
                {
                    out.push(current(&shard, u).await);
                }
                Ok(out)
            })
            .await;
        natter_nats::rpc::respond(&shard.nats, reply, answer).await;
    }
}
