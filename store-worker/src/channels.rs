//! Channels: opening 1:1 channels, membership, history.

use natter_protocol::http::{Channel, ChannelKind, HistoryPage};
use natter_protocol::internal::{DmOpenReq, HistoryReq, Members, MembersReq, RpcReply};
use natter_protocol::{ApiError, ErrorCode, limits};
use natter_store::{ScanRange, StoreError, WriteBatch, keys, value};

use crate::Worker;
use crate::accounts::{load_user, store_err};
use crate::records::{ChannelRecord, MemberRecord, MessageRecord, now_ms};

/// Member user ids of a channel, ascending (empty if it does not exist).
pub(crate) async fn member_ids(w: &Worker, channel_id: u64) -> Result<Vec<u64>, StoreError> {
    // Groups are capped at 100 members; 1,000 leaves room without paging.
    let rows = w
        .store
        .scan(ScanRange::prefix(keys::members_of(channel_id)), 1_000)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|(k, _)| keys::trailing_u64(k))
        .collect())
}

async fn is_member(w: &Worker, channel_id: u64, user_id: u64) -> RpcReply<bool> {
    Ok(w.store
        .get(&keys::member(channel_id, user_id))
        .await
        .map_err(store_err)?
        .is_some())
}

fn not_member() -> ApiError {
    ApiError::new(
        ErrorCode::NotAMember,
        "no such channel, or you are not a member",
    )
}

async fn load_channel(w: &Worker, channel_id: u64) -> RpcReply<Option<Channel>> {
    let Some(bytes) = w
        .store
        .get(&keys::channel(channel_id))
        .await
        .map_err(store_err)?
    else {
        return Ok(None);
    };
    let rec: ChannelRecord = value::decode(&bytes).map_err(store_err)?;
    let members = member_ids(w, channel_id).await.map_err(store_err)?;
    Ok(Some(Channel {
        id: rec.id,
        kind: rec.kind,
        members,
        created_at: rec.created_at,
    }))
}

/// The one 1:1 channel of two users: the same id whoever asks, created once even
/// when both ask at the same moment (the pair key is written only if absent).
pub(crate) async fn open_dm(w: &Worker, req: DmOpenReq) -> RpcReply<Channel> {
    if req.user_id == req.peer_id {
        return Err(ApiError::new(
            ErrorCode::CannotDmSelf,
            "cannot open a 1:1 channel with yourself",
        ));
    }
    let pair = keys::dm_pair(req.user_id, req.peer_id);
    for _ in 0..4 {
        if let Some(bytes) = w.store.get(&pair).await.map_err(store_err)? {
            let cid: u64 = value::decode(&bytes).map_err(store_err)?;
            if let Some(ch) = load_channel(w, cid).await? {
                return Ok(ch);
            }
        }
        if load_user(w, req.peer_id).await?.is_none() {
            return Err(ApiError::new(ErrorCode::UserNotFound, "no such user"));
        }
        let cid = w
            .ids
            .next_id()
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
        let now = now_ms();
        let member = value::encode(&MemberRecord { joined_at: now });
        let mut batch = WriteBatch::new()
            .expect(pair.clone(), None)
            .put(pair.clone(), value::encode(&cid))
            .put(
                keys::channel(cid),
                value::encode(&ChannelRecord {
                    id: cid,
                    kind: ChannelKind::Dm,
                    created_at: now,
                }),
            );
        for uid in [req.user_id, req.peer_id] {
            batch = batch
                .put(keys::member(cid, uid), member.clone())
                .put(keys::user_channel(uid, cid), value::encode(&now));
        }
        match w.store.write(batch).await {
            Ok(()) => {
                let mut members = vec![req.user_id, req.peer_id];
                members.sort_unstable();
                return Ok(Channel {
                    id: cid,
                    kind: ChannelKind::Dm,
                    members,
                    created_at: now,
                });
            }
            // Lost the race: the winner's channel is read on the next round.
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(store_err(e)),
        }
    }
    Err(ApiError::new(ErrorCode::Unavailable, "channel busy, retry"))
}

pub(crate) async fn members(w: &Worker, req: MembersReq) -> RpcReply<Members> {
    Ok(Members {
        user_ids: member_ids(w, req.channel_id).await.map_err(store_err)?,
    })
}

pub(crate) async fn head_seq(w: &Worker, channel_id: u64) -> Result<u64, StoreError> {
    match w.store.get(&keys::channel_head(channel_id)).await? {
        Some(b) => value::decode(&b),
        None => Ok(0),
    }
}

/// A page of history: `after` pages forward, `before` backward, neither gives the latest.
pub(crate) async fn history(w: &Worker, req: HistoryReq) -> RpcReply<HistoryPage> {
    if !is_member(w, req.channel_id, req.user_id).await? {
        return Err(not_member());
    }
    let q = req.query;
    let limit = q.limit.unwrap_or(50).clamp(1, limits::MAX_HISTORY_PAGE) as usize;
    let head = head_seq(w, req.channel_id).await.map_err(store_err)?;
    let (range, forward) = match (q.after, q.before) {
        (Some(after), before) => {
            let end = before.unwrap_or(u64::MAX).min(head.saturating_add(1));
            (
                keys::message_range(req.channel_id, after.saturating_add(1), end),
                true,
            )
        }
        (None, before) => {
            let end = before.unwrap_or(u64::MAX).min(head.saturating_add(1));
            (
                keys::message_range(req.channel_id, 1, end).reversed(),
                false,
            )
        }
    };
    // One extra row tells whether more exist in the paging direction.
    let mut rows = w.store.scan(range, limit + 1).await.map_err(store_err)?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    if !forward {
        rows.reverse();
    }
    let mut messages = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        let seq = keys::trailing_u64(&k).unwrap_or(0);
        let rec: MessageRecord = value::decode(&v).map_err(store_err)?;
        messages.push(rec.into_event(req.channel_id, seq));
    }
    Ok(HistoryPage {
        channel: req.channel_id,
        messages,
        has_more,
        head_seq: head,
    })
}
