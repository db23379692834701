//! Who is online, so that push jobs are queued only for recipients with no online
//! device: most messages reach online users, and a job for them would be a
//! JetStream write (with its fsync) for nothing.
//!
//! Known states come from the presence watchers' change events (`presence.>`), and a
//! user not known yet is asked for once (`presence-query.<shard>`), in batches. Of two
//! states of one user the later (`changed_at`) holds. When the watchers do not answer,
//! users count as offline: a job too many costs the push worker a presence check,
//! never a lost notification.

use std::sync::Arc;

use futures::StreamExt;
use natter_nats::{layout, subjects};
use natter_protocol::http::Presence;
use natter_protocol::internal::PresenceQuery;
use natter_protocol::ws::ServerEvent;

/// Users whose state is kept.
const KNOWN: usize = 500_000;

/// The presence of recently seen users.
pub(crate) struct Online {
    nats: async_nats::Client,
    shards: u32,
    /// User → (online, changed_at).
    known: quick_cache::sync::Cache<u64, (bool, u64)>,
}

impl Online {
    /// Starts following presence changes.
    ///
    /// # Errors
    /// The subscription failed.
    pub(crate) async fn start(
        nats: async_nats::Client,
        shards: u32,
    ) -> Result<(Arc<Self>, tokio::task::JoinHandle<()>), async_nats::Error> {
        let mut sub = nats.subscribe(subjects::PRESENCE_ALL).await?;
        let online = Arc::new(Self {
            nats,
            shards,
            known: quick_cache::sync::Cache::new(KNOWN),
        });
        let follow = online.clone();
        let task = tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                if let Ok(ServerEvent::Presence(p)) = serde_json::from_slice(&msg.payload) {
                    follow.record(&p);
                }
            }
        });
        Ok((online, task))
    }

    fn record(&self, p: &Presence) {
        let newer = self
            .known
            .get(&p.user)
            .is_none_or(|(_, at)| at <= p.changed_at);
        if newer {
            self.known.insert(p.user, (p.online, p.changed_at));
        }
    }

    /// Those of `users` with no online device (or whose state cannot be learnt).
    pub(crate) async fn offline(&self, users: &[u64]) -> Vec<u64> {
        let mut unknown: std::collections::HashMap<u32, Vec<u64>> = Default::default();
        for u in users {
            if self.known.get(u).is_none() {
                unknown
                    .entry(layout::presence_shard_of(*u, self.shards))
                    .or_default()
                    .push(*u);
            }
        }
        for (k, users) in unknown {
            for chunk in users.chunks(natter_protocol::limits::MAX_PRESENCE_WATCH) {
                let asked = natter_nats::rpc::PRESENCE_QUERY
                    .call_shard(
                        &self.nats,
                        k,
                        &PresenceQuery {
                            users: chunk.to_vec(),
                        },
                    )
                    .await;
                match asked {
                    Ok(states) => {
                        for p in &states {
                            self.record(p);
                        }
                    }
                    _ => metrics::counter!("natter_store_presence_unknown_total").increment(1),
                }
            }
        }
        users
            .iter()
            .copied()
            .filter(|u| !self.known.get(u).is_some_and(|(online, _)| online))
            .collect()
    }
}
