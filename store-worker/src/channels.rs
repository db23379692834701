//! Channels: opening 1:1 channels, membership, history, the user's channel list.

use std::collections::{HashMap, HashSet};

use natter_protocol::http::{
    Audience, Channel, ChannelKind, ChannelList, ChannelSummary, HistoryPage, Member, MemberList,
    MessageEdits, MessagePreview, MessageVersion, PinList, Role,
};
use natter_protocol::internal::{
    ChannelListReq, ChannelReq, ContactsReq, DmOpenReq, HistoryReq, Members, MembersReq,
    MessageReq, RpcReply, USERS_ADDABLE_MAX, UsersAddableReq,
};
use natter_protocol::ws::{MessageEvent, ServerEvent, SystemEvent};
use natter_protocol::{ApiError, ErrorCode, limits};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::accounts::load_user;
use crate::partition::rules::not_member;
use crate::records::{ChannelRecord, MemberRecord, MessageRecord, UserChannelRecord, now_ms};
use crate::tables::{self, store_err};

/// Member user ids of a channel, ascending (empty if it does not exist).
pub(crate) async fn member_ids(w: &Worker, channel_id: u64) -> Result<Vec<u64>, StoreError> {
    Ok(tables::members(w.store.as_ref(), channel_id)
        .await?
        .into_keys()
        .collect())
}

/// The last seq `user_id` may read in `channel_id`: the head for members, the seq of
/// their removal for former members.
///
/// # Errors
/// `not_a_member` when they never belonged to it (or it does not exist).
pub(crate) async fn visible_head(w: &Worker, channel_id: u64, user_id: u64) -> RpcReply<u64> {
    let uc = tables::USER_CHANNEL
        .get(w.store.as_ref(), &(user_id, channel_id))
        .await
        .map_err(store_err)?
        .ok_or_else(not_member)?;
    Ok(uc.visible_head(head_seq(w, channel_id).await.map_err(store_err)?))
}

async fn is_member(w: &Worker, channel_id: u64, user_id: u64) -> RpcReply<bool> {
    Ok(tables::MEMBER
        .get(w.store.as_ref(), &(channel_id, user_id))
        .await
        .map_err(store_err)?
        .is_some())
}

pub(crate) async fn load_channel(w: &Worker, channel_id: u64) -> RpcReply<Option<Channel>> {
    let Some(rec) = tables::CHANNEL
        .get(w.store.as_ref(), &channel_id)
        .await
        .map_err(store_err)?
    else {
        return Ok(None);
    };
    let members = member_ids(w, channel_id).await.map_err(store_err)?;
    Ok(Some(Channel {
        id: rec.id,
        kind: rec.kind,
        name: rec.name,
        members,
        created_at: rec.created_at,
        max_age_secs: rec.max_age_secs,
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
    let users = (req.user_id, req.peer_id);
    let pair = tables::DM_PAIR.key(&users);
    for _ in 0..4 {
        let existing = tables::DM_PAIR
            .get(w.store.as_ref(), &users)
            .await
            .map_err(store_err)?;
        if let Some(cid) = existing
            && let Some(ch) = load_channel(w, cid).await?
        {
            return Ok(ch);
        }
        let Some(peer) = load_user(w, req.peer_id)
            .await?
            .filter(|u| u.erased_at.is_none())
        else {
            return Err(ApiError::new(ErrorCode::UserNotFound, "no such user"));
        };
        if crate::blocks::between(w, req.user_id, req.peer_id)
            .await
            .map_err(store_err)?
        {
            return Err(crate::blocks::refused(req.peer_id));
        }
        // The peer's privacy setting: who may start a chat with them (unless they
        // asked for this one).
        let allowed = req.requested
            || match peer.who_can_message.unwrap_or(Audience::Everyone) {
                Audience::Everyone => true,
                Audience::Nobody => false,
                Audience::Contacts => share_a_chat(w, req.user_id, req.peer_id)
                    .await
                    .map_err(store_err)?,
            };
        if !allowed {
            return Err(crate::blocks::refused(req.peer_id));
        }
        // A new channel for both: each must have room for it.
        for (uid, whose) in [(req.user_id, "you are"), (req.peer_id, "they are")] {
            if current_channels(w, uid).await.map_err(store_err)?.len()
                >= limits::MAX_CHANNELS_PER_USER
            {
                return Err(limits::too_many_channels(whose));
            }
        }
        let cid = w
            .ids
            .next_id()
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
        let now = now_ms();
        let member = tables::MEMBER.encode(&MemberRecord {
            joined_at: now,
            role: Role::Member,
        });
        let mut batch = WriteBatch::new()
            .expect(pair.clone(), None)
            .put(pair.clone(), tables::DM_PAIR.encode(&cid))
            .put(
                tables::CHANNEL.key(&cid),
                tables::CHANNEL.encode(&ChannelRecord {
                    id: cid,
                    kind: ChannelKind::Dm,
                    created_at: now,
                    name: None,
                    pair: Some((req.user_id, req.peer_id)),
                    blocked_by: Vec::new(),
                    banned: Vec::new(),
                    muted: Vec::new(),
                    invites: Vec::new(),
                    erased: Vec::new(),
                    max_age_secs: None,
                    floor_seq: 0,
                }),
            );
        let listed = tables::USER_CHANNEL.encode(&UserChannelRecord {
            joined_at: now,
            left_seq: None,
        });
        for uid in [req.user_id, req.peer_id] {
            batch = batch
                .put(tables::MEMBER.key(&(cid, uid)), member.clone())
                .put(tables::USER_CHANNEL.key(&(uid, cid)), listed.clone());
        }
        match w.store.write(batch).await {
            Ok(()) => {
                let mut members = vec![req.user_id, req.peer_id];
                members.sort_unstable();
                return Ok(Channel {
                    id: cid,
                    kind: ChannelKind::Dm,
                    name: None,
                    members,
                    created_at: now,
                    max_age_secs: None,
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
    let user_ids = member_ids(w, req.channel_id).await.map_err(store_err)?;
    if user_ids.is_empty() {
        return Ok(Members {
            user_ids,
            blocked: false,
            muted: Vec::new(),
        });
    }
    // A 1:1 channel may be blocked, a group's members muted: the record says.
    let rec = tables::CHANNEL
        .get(w.store.as_ref(), &req.channel_id)
        .await
        .map_err(store_err)?;
    let (blocked, muted) = rec.map_or((false, Vec::new()), |r| (!r.blocked_by.is_empty(), r.muted));
    Ok(Members {
        user_ids,
        blocked,
        muted,
    })
}

pub(crate) async fn head_seq(w: &Worker, channel_id: u64) -> Result<u64, StoreError> {
    Ok(tables::CHANNEL_HEAD
        .get(w.store.as_ref(), &channel_id)
        .await?
        .unwrap_or(0))
}

/// A page of history: `after` pages forward, `before` backward, neither gives the latest.
/// A former member reads up to their removal; a page of long texts is cut at
/// `max_bytes` (at most [`limits::HISTORY_PAGE_BYTES`]), with `has_more`.
pub(crate) async fn history(w: &Worker, req: HistoryReq) -> RpcReply<HistoryPage> {
    let head = visible_head(w, req.channel_id, req.user_id).await?;
    let q = req.query;
    let limit = q.limit.unwrap_or(50).clamp(1, limits::MAX_HISTORY_PAGE) as usize;
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
    // One extra row tells whether more exist in the paging direction. The floor
    // (below it, messages expired: their rows are gone) is read alongside, not
    // after: this serves every catch-up and gap-fill page too.
    let (rows, rec) = tokio::join!(
        w.store.scan(range, limit + 1),
        tables::CHANNEL.get(w.store.as_ref(), &req.channel_id)
    );
    let mut rows = rows.map_err(store_err)?;
    let floor_seq = rec.map_err(store_err)?.map_or(0, |r| r.floor_seq);
    let mut has_more = rows.len() > limit;
    rows.truncate(limit);
    let max = req.max_bytes.map_or(limits::HISTORY_PAGE_BYTES, |m| {
        (m as usize).min(limits::HISTORY_PAGE_BYTES)
    });
    let mut bytes = 0usize;
    if let Some(cut) = rows.iter().position(|(_, v)| {
        bytes += v.len();
        bytes > max
    }) {
        let keep = cut.max(1);
        has_more |= keep < rows.len();
        rows.truncate(keep);
    }
    if !forward {
        rows.reverse();
    }
    let mut messages = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        let seq = keys::trailing_u64(&k).unwrap_or(0);
        let rec = tables::MESSAGE.decode(&v).map_err(store_err)?;
        messages.push(rec.into_event(req.channel_id, seq));
    }
    crate::quotes::resolve(w.store.as_ref(), req.channel_id, &mut messages)
        .await
        .map_err(store_err)?;
    crate::attachments::resolve(w.store.as_ref(), &mut messages)
        .await
        .map_err(store_err)?;
    hide_for(w, req.user_id, req.channel_id, &mut messages)
        .await
        .map_err(store_err)?;
    Ok(HistoryPage {
        channel: req.channel_id,
        messages,
        has_more,
        head_seq: head,
        floor_seq,
    })
}

/// The record of message `seq` of a channel the user may see it in (a former
/// member up to their removal).
async fn visible_message(w: &Worker, req: &MessageReq) -> RpcReply<MessageRecord> {
    let head = visible_head(w, req.channel_id, req.user_id).await?;
    let missing = || {
        ApiError::new(
            ErrorCode::MessageNotFound,
            format!("no message at seq {}", req.seq),
        )
    };
    if req.seq == 0 || req.seq > head {
        return Err(missing());
    }
    tables::MESSAGE
        .get(w.store.as_ref(), &(req.channel_id, req.seq))
        .await
        .map_err(store_err)?
        .ok_or_else(missing)
}

/// One message as it now stands.
pub(crate) async fn message(w: &Worker, req: MessageReq) -> RpcReply<MessageEvent> {
    let rec = visible_message(w, &req).await?;
    let mut one = [rec.into_event(req.channel_id, req.seq)];
    crate::quotes::resolve(w.store.as_ref(), req.channel_id, &mut one)
        .await
        .map_err(store_err)?;
    crate::attachments::resolve(w.store.as_ref(), &mut one)
        .await
        .map_err(store_err)?;
    let [m] = one;
    Ok(m)
}

/// One message's versions: the original, then each edit's text (none once deleted).
pub(crate) async fn edits(w: &Worker, req: MessageReq) -> RpcReply<MessageEdits> {
    let rec = visible_message(w, &req).await?;
    let mut versions = Vec::new();
    if rec.deleted.is_none() && rec.system.is_none() {
        versions.push(MessageVersion {
            text: rec.original.clone().unwrap_or_else(|| rec.text.clone()),
            at: rec.sent_at_ms,
            edit_seq: None,
        });
        let keys: Vec<(u64, u64)> = rec.edit_seqs.iter().map(|s| (req.channel_id, *s)).collect();
        let events = tables::MESSAGE
            .get_many(w.store.as_ref(), &keys)
            .await
            .map_err(store_err)?;
        for (s, ev) in rec.edit_seqs.iter().zip(events) {
            if let Some(MessageRecord {
                system: Some(SystemEvent::MessageEdited { text, .. }),
                sent_at_ms,
                ..
            }) = ev
            {
                versions.push(MessageVersion {
                    text,
                    at: sent_at_ms,
                    edit_seq: Some(*s),
                });
            }
        }
    }
    Ok(MessageEdits {
        message: rec.into_event(req.channel_id, req.seq),
        versions,
    })
}

/// Deletes a message for one user: a row of their own, and a `hidden` event to all
/// their devices. Not a channel event: nobody else sees a change.
pub(crate) async fn hide(w: &Worker, req: MessageReq) -> RpcReply<()> {
    visible_message(w, &req).await?;
    let batch = tables::HIDDEN.put(
        WriteBatch::new(),
        &(req.user_id, req.channel_id, req.seq),
        &now_ms(),
    );
    w.store.write(batch).await.map_err(store_err)?;
    let event = ServerEvent::Hidden {
        channel: req.channel_id,
        seq: req.seq,
    };
    w.fanout.to_user(req.user_id, &event, "hidden").await;
    Ok(())
}

/// Blanks what `user` deleted for themselves among `messages` (of `channel`), and
/// the changes to those messages, keeping their seqs in place.
async fn hide_for(
    w: &Worker,
    user: u64,
    channel: u64,
    messages: &mut [MessageEvent],
) -> Result<(), StoreError> {
    let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
        return Ok(());
    };
    // Changes may target messages older than the page.
    let low = messages
        .iter()
        .filter_map(|m| m.system.as_ref().and_then(SystemEvent::target))
        .fold(first.seq, u64::min);
    let range = ScanRange::between(
        keys::hidden(user, channel, low),
        keys::hidden(user, channel, last.seq.saturating_add(1)),
    );
    let rows = w.store.scan(range, HIDDEN_SCAN_LIMIT).await?;
    if rows.is_empty() {
        return Ok(());
    }
    let hidden: HashSet<u64> = rows
        .iter()
        .filter_map(|(k, _)| keys::trailing_u64(k))
        .collect();
    for m in messages.iter_mut() {
        let target = m.system.as_ref().and_then(SystemEvent::target);
        if hidden.contains(&m.seq) || target.is_some_and(|t| hidden.contains(&t)) {
            *m = MessageEvent {
                channel: m.channel,
                seq: m.seq,
                message_id: m.message_id,
                sender: m.sender,
                sent_at: m.sent_at,
                hidden: true,
                ..MessageEvent::default()
            };
        }
    }
    Ok(())
}

/// Most hidden rows read for one page (a page holds at most 200 messages, and the
/// changes on it may reach back further).
const HIDDEN_SCAN_LIMIT: usize = 10_000;

/// Messages of `cid` in `(read, head]` that mention `uid` (a scan of that range of
/// the user's mention rows; nothing to read when nothing is unread).
async fn unread_mentions(
    w: &Worker,
    uid: u64,
    cid: u64,
    read: u64,
    head: u64,
) -> Result<u64, StoreError> {
    if read >= head {
        return Ok(0);
    }
    let range = ScanRange::between(
        keys::mention(uid, cid, read.saturating_add(1)),
        keys::mention(uid, cid, head.saturating_add(1)),
    );
    Ok(w.store.scan(range, MENTIONS_COUNTED).await?.len() as u64)
}

/// Most unread mentions counted per channel (a list shows "99+" long before).
const MENTIONS_COUNTED: usize = 1_000;

/// A channel's pinned messages as they now stand, the latest pin first (members).
pub(crate) async fn pins(w: &Worker, req: ChannelReq) -> RpcReply<PinList> {
    if !is_member(w, req.channel_id, req.user_id).await? {
        return Err(not_member());
    }
    let store = w.store.as_ref();
    let pinned = tables::PINS
        .get(store, &req.channel_id)
        .await
        .map_err(store_err)?
        .unwrap_or_default();
    let keys: Vec<(u64, u64)> = pinned
        .iter()
        .rev()
        .map(|(s, _, _)| (req.channel_id, *s))
        .collect();
    let found = tables::MESSAGE
        .get_many(store, &keys)
        .await
        .map_err(store_err)?;
    let mut pins: Vec<MessageEvent> = keys
        .iter()
        .zip(found)
        .filter_map(|((c, s), rec)| rec.map(|r| r.into_event(*c, *s)))
        .collect();
    crate::quotes::resolve(store, req.channel_id, &mut pins)
        .await
        .map_err(store_err)?;
    crate::attachments::resolve(store, &mut pins)
        .await
        .map_err(store_err)?;
    Ok(PinList { pins })
}

/// One channel, for a current member.
pub(crate) async fn get(w: &Worker, req: ChannelReq) -> RpcReply<Channel> {
    if !is_member(w, req.channel_id, req.user_id).await? {
        return Err(not_member());
    }
    load_channel(w, req.channel_id)
        .await?
        .ok_or_else(not_member)
}

/// A channel's members with roles, for a current member.
pub(crate) async fn member_list(w: &Worker, req: ChannelReq) -> RpcReply<MemberList> {
    if !is_member(w, req.channel_id, req.user_id).await? {
        return Err(not_member());
    }
    let mut members = member_roles(w, req.channel_id).await?;
    let rec = tables::CHANNEL
        .get(w.store.as_ref(), &req.channel_id)
        .await
        .map_err(store_err)?;
    let (banned, muted) = rec.map_or((Vec::new(), Vec::new()), |r| (r.banned, r.muted));
    let now = now_ms();
    for m in &mut members {
        m.muted_until = muted
            .iter()
            .find(|(u, until)| *u == m.user && now < *until)
            .map(|(_, until)| *until);
    }
    Ok(MemberList { members, banned })
}

/// A channel's members with roles.
pub(crate) async fn member_roles(w: &Worker, channel_id: u64) -> RpcReply<Vec<Member>> {
    let rows = tables::members(w.store.as_ref(), channel_id)
        .await
        .map_err(store_err)?;
    Ok(rows
        .into_iter()
        .map(|(user, m)| Member {
            user,
            role: m.role,
            joined_at: m.joined_at,
            muted_until: None,
        })
        .collect())
}

/// The current channels of `user` (left ones excluded) by id, up to
/// [`MAX_USER_CHANNEL_ROWS`] (the oldest ids first).
async fn current_channels(w: &Worker, user: u64) -> Result<Vec<u64>, StoreError> {
    let rows = w
        .store
        .scan(
            ScanRange::prefix(keys::channels_of(user)),
            MAX_USER_CHANNEL_ROWS,
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        if tables::USER_CHANNEL.decode(&v)?.left_seq.is_none()
            && let Some(cid) = keys::trailing_u64(&k)
        {
            out.push(cid);
        }
    }
    Ok(out)
}

/// Whether `req.adder` may put `req.user_ids` in a group: each has an account and
/// room for one more channel (the adder too, when creating), and under the
/// contacts-only policy shares a current channel with the adder. Checked by the edge
/// before the change is appended, so a replay of the log decides the same.
pub(crate) async fn addable(w: &Worker, req: UsersAddableReq) -> RpcReply<()> {
    if req.user_ids.len() > USERS_ADDABLE_MAX {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "too many users in one request",
        ));
    }
    let found = tables::USER
        .get_many(w.store.as_ref(), &req.user_ids)
        .await
        .map_err(store_err)?;
    let gone =
        |f: &Option<crate::records::UserRecord>| f.as_ref().is_none_or(|u| u.erased_at.is_some());
    if let Some((u, _)) = req.user_ids.iter().zip(&found).find(|(_, f)| gone(f)) {
        return Err(ApiError::new(
            ErrorCode::UserNotFound,
            format!("no such user: {u}"),
        ));
    }
    let mine: HashSet<u64> = current_channels(w, req.adder)
        .await
        .map_err(store_err)?
        .into_iter()
        .collect();
    if req.adder_joins && mine.len() >= limits::MAX_CHANNELS_PER_USER {
        return Err(limits::too_many_channels("you are"));
    }
    let blocking = crate::blocks::blocked_by(w, req.adder, &req.user_ids)
        .await
        .map_err(store_err)?;
    if let Some((u, _)) = req.user_ids.iter().zip(&blocking).find(|(_, b)| **b) {
        return Err(crate::blocks::refused(*u));
    }
    let server_default = if req.contacts_only {
        Audience::Contacts
    } else {
        Audience::Everyone
    };
    for (&u, rec) in req.user_ids.iter().zip(&found) {
        if u == req.adder {
            continue;
        }
        let theirs = current_channels(w, u).await.map_err(store_err)?;
        // A user who asked to join (an accepted request) is not held to their setting.
        let policy = match rec.as_ref().and_then(|r| r.who_can_add) {
            _ if req.requested => Audience::Everyone,
            Some(chosen) => chosen,
            None => server_default,
        };
        if policy == Audience::Nobody {
            return Err(crate::blocks::refused(u));
        }
        if policy == Audience::Contacts && !theirs.iter().any(|c| mine.contains(c)) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "user {u} can be added to groups only by people they share a chat with: message them first"
                ),
            ));
        }
        if theirs.len() >= limits::MAX_CHANNELS_PER_USER {
            return Err(limits::too_many_channels(&format!("user {u} is")));
        }
    }
    Ok(())
}

/// Whether two users share a current channel.
async fn share_a_chat(w: &Worker, a: u64, b: u64) -> Result<bool, StoreError> {
    let mine: HashSet<u64> = current_channels(w, a).await?.into_iter().collect();
    Ok(current_channels(w, b)
        .await?
        .iter()
        .any(|c| mine.contains(c)))
}

/// Which of `req.others` share a current channel with `req.user_id` (the viewer
/// counts as sharing with itself).
pub(crate) async fn contacts(w: &Worker, req: ContactsReq) -> RpcReply<Vec<u64>> {
    if req.others.len() > limits::MAX_PRESENCE_WATCH {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "too many users in one request",
        ));
    }
    let mine: HashSet<u64> = current_channels(w, req.user_id)
        .await
        .map_err(store_err)?
        .into_iter()
        .collect();
    // Whoever blocks the viewer is hidden from them, contact or not; then each
    // user's own setting, or the server's default.
    let blocking = crate::blocks::blocked_by(w, req.user_id, &req.others)
        .await
        .map_err(store_err)?;
    let records = tables::USER
        .get_many(w.store.as_ref(), &req.others)
        .await
        .map_err(store_err)?;
    let server_default = if req.contacts_only {
        Audience::Contacts
    } else {
        Audience::Everyone
    };
    let mut out = Vec::new();
    for ((other, blocks), rec) in req.others.into_iter().zip(blocking).zip(records) {
        if other == req.user_id {
            out.push(other);
            continue;
        }
        let policy = rec
            .and_then(|r| r.who_sees_presence)
            .unwrap_or(server_default);
        if blocks || policy == Audience::Nobody {
            continue;
        }
        if policy == Audience::Everyone {
            out.push(other);
            continue;
        }
        let theirs = current_channels(w, other).await.map_err(store_err)?;
        if theirs.iter().any(|c| mine.contains(c)) {
            out.push(other);
        }
    }
    Ok(out)
}

/// Most rows of a user's channels read (current and former): far above
/// [`limits::MAX_CHANNELS_PER_USER`], so every current channel is read unless a user
/// has left tens of thousands.
pub(crate) const MAX_USER_CHANNEL_ROWS: usize = 50_000;

/// The user's current channels, most recently active first, paged by a cursor
/// `<last_activity_at>.<id>`.
///
/// Computed on read from the user's channel rows, heads, read seqs and latest
/// messages: a message costs no extra write per member, and a user's list is read far
/// less often than channels are written.
pub(crate) async fn list(w: &Worker, req: ChannelListReq) -> RpcReply<ChannelList> {
    let limit = req.query.limit.unwrap_or(50);
    if limit == 0 || limit > limits::MAX_CHANNEL_PAGE {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("limit: 1 to {}", limits::MAX_CHANNEL_PAGE),
        ));
    }
    let before = match req.query.before.as_deref() {
        None => None,
        Some(c) => Some(parse_list_cursor(c).ok_or_else(|| {
            ApiError::new(
                ErrorCode::BadRequest,
                "before: a `next` cursor from a previous page",
            )
        })?),
    };
    let uid = req.user_id;
    let cids = current_channels(w, uid).await.map_err(store_err)?;
    let store = w.store.as_ref();
    let recs = tables::CHANNEL
        .get_many(store, &cids)
        .await
        .map_err(store_err)?;
    let head_of: Vec<u64> = tables::CHANNEL_HEAD
        .get_many(store, &cids)
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|h| h.unwrap_or(0))
        .collect();
    let read_keys: Vec<(u64, u64)> = cids.iter().map(|c| (uid, *c)).collect();
    let reads = tables::READ_SEQ
        .get_many(store, &read_keys)
        .await
        .map_err(store_err)?;
    let last_keys: Vec<(u64, u64)> = cids.iter().copied().zip(head_of.iter().copied()).collect();
    let lasts = tables::MESSAGE
        .get_many(store, &last_keys)
        .await
        .map_err(store_err)?;

    let levels = crate::push_targets::levels(w, &read_keys)
        .await
        .map_err(store_err)?;
    let mut entries = Vec::with_capacity(cids.len());
    let mut peers = Vec::new();
    for (i, ((cid, rec), last)) in cids.iter().zip(recs).zip(lasts).enumerate() {
        let Some(rec) = rec else { continue };
        let head = head_of[i];
        // Expired messages are not unread.
        let read = reads[i]
            .unwrap_or(0)
            .max(rec.floor_seq.saturating_sub(1))
            .min(head);
        let peer = rec.pair.map(|(a, b)| if a == uid { b } else { a });
        if let Some(p) = peer {
            peers.push(p);
        }
        entries.push(ChannelSummary {
            id: *cid,
            kind: rec.kind,
            name: rec.name.clone().unwrap_or_default(),
            peer,
            head_seq: head,
            read_seq: read,
            unread: head - read,
            unread_mentions: unread_mentions(w, uid, *cid, read, head)
                .await
                .map_err(store_err)?,
            notifications: levels[i],
            last_activity_at: last.as_ref().map_or(rec.created_at, |m| m.sent_at_ms),
            last_message: last.map(|m| MessagePreview {
                seq: head,
                sender: m.sender_id,
                text: m.text.chars().take(limits::PREVIEW_CHARS).collect(),
                sent_at: m.sent_at_ms,
                system: m.system,
            }),
        });
    }
    // 1:1 channels are named after the peer.
    peers.sort_unstable();
    peers.dedup();
    let users = tables::USER
        .get_many(store, &peers)
        .await
        .map_err(store_err)?;
    let names: HashMap<u64, String> = peers
        .iter()
        .zip(users)
        .filter_map(|(p, u)| Some((*p, u?.display_name)))
        .collect();
    for e in &mut entries {
        if let Some(n) = e.peer.and_then(|p| names.get(&p)) {
            e.name = n.clone();
        }
    }

    let key = |e: &ChannelSummary| (e.last_activity_at, e.id);
    entries.sort_unstable_by_key(|e| std::cmp::Reverse(key(e)));
    if let Some(b) = before {
        entries.retain(|e| key(e) < b);
    }
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next = if more {
        entries
            .last()
            .map(|e| format!("{}.{}", e.last_activity_at, e.id))
    } else {
        None
    };
    Ok(ChannelList {
        channels: entries,
        next,
    })
}

fn parse_list_cursor(c: &str) -> Option<(u64, u64)> {
    let (at, id) = c.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// `rpc.channel.invites`: a group's open invites, for its owner and admins.
pub(crate) async fn invites(
    w: &Worker,
    req: ChannelReq,
) -> RpcReply<Vec<natter_protocol::http::Invite>> {
    let role = tables::MEMBER
        .get(w.store.as_ref(), &(req.channel_id, req.user_id))
        .await
        .map_err(store_err)?
        .ok_or_else(not_member)?
        .role;
    if role == Role::Member {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "your role does not allow managing invites",
        ));
    }
    let now = now_ms();
    Ok(tables::CHANNEL
        .get(w.store.as_ref(), &req.channel_id)
        .await
        .map_err(store_err)?
        .map(|r| {
            r.invites
                .iter()
                .filter(|i| i.open_at(now))
                .map(|i| i.view(r.id))
                .collect()
        })
        .unwrap_or_default())
}
