//! Fan-out: one event per member on `user.<id>` after a message is persisted.
//!
//! The payload is the client's JSON `message` event, so edges forward it to JSON
//! sockets without re-encoding, and `nats sub 'user.>'` shows readable JSON. The
//! channel and seq ride in headers so an edge can suppress duplicates per socket
//! without parsing the payload.

use std::sync::Arc;

use bytes::Bytes;
use natter_nats::{headers as h, subjects};
use natter_protocol::ws::{MessageEvent, ServerEvent};
use natter_store::{SharedStore, StoreError};

pub(crate) struct Fanout {
    store: SharedStore,
    nats: async_nats::Client,
    /// Members per channel; the partition owner is the only writer of membership
    /// changes of its channels, so entries are exact while it owns them.
    members: quick_cache::sync::Cache<u64, Arc<Vec<u64>>>,
}

impl Fanout {
    pub(crate) fn new(store: SharedStore, nats: async_nats::Client) -> Self {
        Self {
            store,
            nats,
            members: quick_cache::sync::Cache::new(100_000),
        }
    }

    async fn members(&self, channel_id: u64) -> Result<Arc<Vec<u64>>, StoreError> {
        if let Some(m) = self.members.get(&channel_id) {
            return Ok(m);
        }
        let rows = self
            .store
            .scan(
                natter_store::ScanRange::prefix(natter_store::keys::members_of(channel_id)),
                1_000,
            )
            .await?;
        let ids: Arc<Vec<u64>> = Arc::new(
            rows.iter()
                .filter_map(|(k, _)| natter_store::keys::trailing_u64(k))
                .collect(),
        );
        self.members.insert(channel_id, ids.clone());
        Ok(ids)
    }

    /// Publishes a message event to every member (including the sender's devices).
    pub(crate) async fn message(&self, event: MessageEvent) -> Result<(), StoreError> {
        let members = self.members(event.channel).await?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(h::CONTENT_TYPE, h::JSON);
        headers.insert(h::EVENT, "message");
        headers.insert(h::CHANNEL, event.channel.to_string().as_str());
        headers.insert(h::SEQ, event.seq.to_string().as_str());
        let payload = Bytes::from(ServerEvent::Message(event).to_json());
        for uid in members.iter() {
            // Core NATS: an edge that misses an event recovers it through sync.
            if let Err(e) = self
                .nats
                .publish_with_headers(
                    subjects::user_events(*uid),
                    headers.clone(),
                    payload.clone(),
                )
                .await
            {
                tracing::warn!(error = %e, user = uid, "fan-out publish failed");
            }
        }
        metrics::counter!("natter_fanout_events_total").increment(members.len() as u64);
        Ok(())
    }
}
