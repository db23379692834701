//! Fan-out: events on `user.<id>` after a change is persisted.
//!
//! The payload is the client's JSON event, so edges forward it to JSON sockets
//! without re-encoding, and `nats sub 'user.>'` shows readable JSON. A message
//! event's channel and seq ride in headers so an edge can order and
//! deduplicate per socket without parsing the payload.
//!
//! The messages of one store batch go out as one NATS message per member, not one
//! per member and message: a user with several new messages in the batch gets them
//! as a JSON array (`Natter-Event: messages`, positions and sizes in
//! `Natter-Positions`). Members with the same list of messages (every member of a
//! group, when the batch holds only that group's messages) share one payload.

use std::collections::HashMap;

use bytes::Bytes;
use natter_nats::subjects;
use natter_protocol::ws::ServerEvent;

use crate::partition::apply::Stored;

pub(crate) struct Fanout {
    nats: async_nats::Client,
}

impl Fanout {
    pub(crate) fn new(nats: async_nats::Client) -> Self {
        Self { nats }
    }

    /// Tells every edge to drop its cached member list of a channel.
    pub(crate) async fn membership_changed(&self, channel_id: u64) {
        if let Err(e) = self
            .nats
            .publish(subjects::membership_changed(channel_id), Bytes::new())
            .await
        {
            tracing::warn!(error = %e, channel = channel_id, "membership notice failed");
        }
    }

    /// Publishes the messages and events of one batch, each to its audience, as one
    /// NATS message per user.
    pub(crate) async fn messages(&self, batch: Vec<Stored>) {
        let now = crate::records::now_ms();
        let mut events: Vec<(u64, u64, Bytes)> = Vec::with_capacity(batch.len());
        // User → indexes into `events`, in order.
        let mut per_user: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut deliveries = 0u64;
        for (i, stored) in batch.into_iter().enumerate() {
            let users = stored.audience;
            let mut event = stored.record.into_event(stored.channel, stored.seq);
            if stored.quote.is_some() {
                event.reply_to = stored.quote;
            }
            // Accepted by the edge → persisted and about to be fanned out.
            let age_ms = now.saturating_sub(event.sent_at);
            metrics::histogram!("natter_store_accept_to_fanout_seconds")
                .record(age_ms as f64 / 1000.0);
            for u in users.iter() {
                per_user.entry(*u).or_default().push(i as u32);
            }
            deliveries += users.len() as u64;
            let (channel, seq) = (event.channel, event.seq);
            events.push((
                channel,
                seq,
                Bytes::from(ServerEvent::Message(event).to_json()),
            ));
        }
        let mut built: HashMap<Vec<u32>, (async_nats::HeaderMap, Bytes)> = HashMap::new();
        let mut publishes = 0u64;
        for (uid, list) in per_user {
            for part in split(&events, &list) {
                // Looked up by slice: a key is allocated only for a new list.
                let (headers, payload) = match built.get(part) {
                    Some(done) => done.clone(),
                    None => {
                        let done = encode_list(&events, part);
                        built.insert(part.to_vec(), done.clone());
                        done
                    }
                };
                publishes += 1;
                // Core NATS: an edge that misses an event fills the gap from the store.
                if let Err(e) = self
                    .nats
                    .publish_with_headers(subjects::user_events(uid), headers, payload)
                    .await
                {
                    tracing::warn!(error = %e, user = uid, "fan-out publish failed");
                }
            }
        }
        metrics::counter!("natter_fanout_events_total").increment(deliveries);
        metrics::counter!("natter_fanout_publishes_total").increment(publishes);
    }

    /// Publishes an event that is not a message (read seq moved, a send refused) to
    /// every device of one user.
    pub(crate) async fn to_user(&self, user_id: u64, event: &ServerEvent, kind: &'static str) {
        let headers = natter_nats::headers::json_event(kind);
        if let Err(e) = self
            .nats
            .publish_with_headers(
                subjects::user_events(user_id),
                headers,
                Bytes::from(event.to_json()),
            )
            .await
        {
            tracing::warn!(error = %e, user = user_id, "user event publish failed");
        }
    }
}

/// Most bytes of events in one fan-out message (NATS refuses payloads past its
/// limit, 8 MiB here; one event is at most about 600 KB of JSON).
const FANOUT_MAX_BYTES: usize = 1024 * 1024;
/// Most events in one fan-out message (its positions header grows with them).
const FANOUT_MAX_EVENTS: usize = 512;

/// `list` cut into runs that each fit one fan-out message, in order (no allocation:
/// this runs for every member of every batch, and nearly always yields `list` whole).
fn split<'a>(
    events: &'a [(u64, u64, Bytes)],
    list: &'a [u32],
) -> impl Iterator<Item = &'a [u32]> + 'a {
    let mut start = 0usize;
    std::iter::from_fn(move || {
        if start >= list.len() {
            return None;
        }
        let mut bytes = 0usize;
        let mut end = start;
        while end < list.len() {
            let n = events[list[end] as usize].2.len() + 1;
            if end > start && (bytes + n > FANOUT_MAX_BYTES || end - start >= FANOUT_MAX_EVENTS) {
                break;
            }
            bytes += n;
            end += 1;
        }
        let part = &list[start..end];
        start = end;
        Some(part)
    })
}

/// Headers and payload of the events `list` of `events` for one user.
fn encode_list(events: &[(u64, u64, Bytes)], list: &[u32]) -> (async_nats::HeaderMap, Bytes) {
    natter_nats::user_events::encode(list.iter().map(|i| &events[*i as usize]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(sizes: &[usize]) -> Vec<(u64, u64, Bytes)> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, n)| (1, i as u64 + 1, Bytes::from(vec![b'x'; *n])))
            .collect()
    }

    #[test]
    fn a_users_events_are_split_below_the_payload_limit_in_order() {
        let big = 600_000;
        let ev = events(&[big, big, 10, big, 10]);
        let list: Vec<u32> = (0..5).collect();
        let parts: Vec<&[u32]> = split(&ev, &list).collect();
        assert_eq!(parts, vec![&[0u32][..], &[1, 2][..], &[3, 4][..]]);
        for p in &parts {
            let bytes: usize = p.iter().map(|i| ev[*i as usize].2.len() + 1).sum();
            assert!(bytes <= FANOUT_MAX_BYTES || p.len() == 1);
        }
        let many = events(&vec![10; FANOUT_MAX_EVENTS + 3]);
        let all: Vec<u32> = (0..many.len() as u32).collect();
        let parts: Vec<&[u32]> = split(&many, &all).collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), FANOUT_MAX_EVENTS);
        assert!(split(&ev, &[]).next().is_none());
    }
}
