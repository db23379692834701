//! Receipts the author sees: how far other members got with the channel (read up
//! to, delivered up to), sent only to the authors of the messages a move covers,
//! coalesced per batch, as `receipt` events on their user subjects. Never a channel
//! event: in a group of 100 that would be a message to 100 members per read.
//!
//! Read receipts honour the privacy setting: nothing is sent when the reader or the
//! author has `read_receipts` off. Delivery receipts (1:1 channels only) always go.

use std::collections::{BTreeMap, HashMap};

use natter_protocol::http::{ChannelReceipts, MemberReceipt};
use natter_protocol::internal::{ChannelReq, RpcReply};
use natter_protocol::ws::ServerEvent;
use natter_store::StoreError;

use crate::Worker;
use crate::tables::{self, store_err};

/// One member's progress for one author to hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    pub(crate) channel: u64,
    pub(crate) reader: u64,
    pub(crate) author: u64,
    pub(crate) read: Option<u64>,
    pub(crate) delivered: Option<u64>,
}

/// Whether each of `users` shares read receipts (a missing account: no).
async fn sharing(w: &Worker, users: &[u64]) -> Result<HashMap<u64, bool>, StoreError> {
    let found = tables::USER.get_many(w.store.as_ref(), users).await?;
    Ok(users
        .iter()
        .zip(found)
        .map(|(u, rec)| (*u, rec.is_some_and(|r| r.read_receipts)))
        .collect())
}

/// Sends what `progress` tells, one event per (author, channel, reader) with the
/// furthest positions.
pub(crate) async fn send(w: &Worker, progress: Vec<Progress>) {
    if progress.is_empty() {
        return;
    }
    // (author, channel, reader) → (read, delivered).
    type Positions = (Option<u64>, Option<u64>);
    let mut merged: BTreeMap<(u64, u64, u64), Positions> = BTreeMap::new();
    for p in progress {
        let e = merged.entry((p.author, p.channel, p.reader)).or_default();
        e.0 = e.0.max(p.read);
        e.1 = e.1.max(p.delivered);
    }
    let mut users: Vec<u64> = merged
        .iter()
        .filter(|(_, (read, _))| read.is_some())
        .flat_map(|((a, _, r), _)| [*a, *r])
        .collect();
    users.sort_unstable();
    users.dedup();
    let shares = match sharing(w, &users).await {
        Ok(s) => s,
        Err(e) => {
            // Receipts are a courtesy: a store hiccup drops them, never a message.
            tracing::warn!(error = %e, "receipt settings not read; receipts dropped");
            return;
        }
    };
    let both = |a: &u64, r: &u64| shares.get(a) == Some(&true) && shares.get(r) == Some(&true);
    for ((author, channel, reader), (read, delivered)) in merged {
        let read = read.filter(|_| both(&author, &reader));
        if read.is_none() && delivered.is_none() {
            continue;
        }
        let event = ServerEvent::Receipt {
            channel,
            user: reader,
            read,
            delivered,
        };
        w.fanout.to_user(author, &event, "receipt").await;
        metrics::counter!("natter_store_receipts_sent_total").increment(1);
    }
}

/// `GET /v1/channels/{id}/receipts`: where the other members stand, for a member who
/// shares read receipts (others get an empty list, as they share nothing either).
pub(crate) async fn of_channel(w: &Worker, req: ChannelReq) -> RpcReply<ChannelReceipts> {
    let members = crate::channels::member_ids(w, req.channel_id)
        .await
        .map_err(store_err)?;
    if !members.contains(&req.user_id) {
        return Err(crate::partition::rules::not_member());
    }
    let shares = sharing(w, &members).await.map_err(store_err)?;
    // Delivery is always told; a read only between two who share read receipts.
    let caller_shares = shares.get(&req.user_id) == Some(&true);
    let others: Vec<(u64, u64)> = members
        .iter()
        .filter(|u| **u != req.user_id)
        .map(|u| (*u, req.channel_id))
        .collect();
    let store = w.store.as_ref();
    let reads = tables::READ_SEQ
        .get_many(store, &others)
        .await
        .map_err(store_err)?;
    let delivered = tables::DELIVERED
        .get_many(store, &others)
        .await
        .map_err(store_err)?;
    Ok(ChannelReceipts {
        members: others
            .iter()
            .zip(reads.into_iter().zip(delivered))
            .map(|((user, _), (read, delivered))| {
                let read = read.unwrap_or(0);
                let shown = caller_shares && shares.get(user) == Some(&true);
                MemberReceipt {
                    user: *user,
                    read: if shown { read } else { 0 },
                    // Reading on one device means a device has it.
                    delivered: delivered.unwrap_or(0).max(read),
                }
            })
            .collect(),
    })
}
