//! Applying log entries: a pure function of the working set and the entries.
//!
//! Everything a decision depends on is in the [`Working`] set (gathered from the
//! partition's state and the store before the call) or in the entry itself (times,
//! ids, users the edge checked), never the clock or another service. So applying
//! the same entries to the same state gives the same rows, seqs and events, which
//! is what makes replaying the log after a crash safe.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use natter_protocol::internal::{
    self, ChannelAction, CommandEntry, LogEntry, RpcReply, StreamSend,
};
use natter_protocol::{ApiError, ErrorCode};
use natter_store::WriteBatch;

use super::changes;
use super::rules::{self, ChannelState, GroupChange};
use super::state::Working;
use crate::records::{CommandRecord, DedupeRecord, MessageRecord, UserChannelRecord};
use crate::tables::{self, Table};

/// A stored message or event and who gets it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub(crate) channel: u64,
    pub(crate) seq: u64,
    pub(crate) record: MessageRecord,
    /// Users whose devices get it (members, and for a membership change those
    /// before and after it).
    pub(crate) audience: Arc<Vec<u64>>,
    /// For a reply: the replied-to message as it stands.
    pub(crate) quote: Option<natter_protocol::ws::Quote>,
}

/// What applying a batch of entries writes and tells.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Rows to write (the caller adds the applied position and the fence).
    pub(crate) rows: WriteBatch,
    /// New messages and system events, in order.
    pub(crate) stored: Vec<Stored>,
    /// Sends refused because their author is not (or no longer) a member.
    pub(crate) refused: Vec<(u64, String, ApiError)>,
    /// Command outcomes for their callers: (reply subject, encoded reply).
    pub(crate) replies: Vec<(String, Vec<u8>)>,
    /// Read seqs moved: (user, channel, seq), for the user's devices.
    pub(crate) reads: Vec<(u64, u64, u64)>,
    /// The same moves with where they started, for read receipts: (channel,
    /// reader, from, to).
    pub(crate) read_moves: Vec<(u64, u64, u64, u64)>,
    /// Channels whose member list changed.
    pub(crate) membership: Vec<u64>,
    /// Sends dropped as repeats of earlier ones.
    pub(crate) duplicates: u64,
    /// Entries that do not belong to this partition (dropped).
    pub(crate) misplaced: u64,
}

/// Applies `entries` in order to `w`; `owns` tells whether a channel belongs to
/// this partition.
pub(crate) fn apply(
    w: &mut Working,
    entries: Vec<LogEntry>,
    owns: impl Fn(u64) -> bool,
) -> Applied {
    let mut out = Applied::default();
    let mut heads: BTreeSet<u64> = BTreeSet::new();
    // Member lists shared by the messages of one channel in this batch.
    let mut audiences: HashMap<u64, Arc<Vec<u64>>> = HashMap::new();
    for entry in entries {
        if !owns(entry.channel_id()) {
            out.misplaced += 1;
            continue;
        }
        match entry {
            LogEntry::Send(s) => send(w, s, &mut out, &mut heads, &mut audiences),
            LogEntry::Command(c) => {
                audiences.remove(&c.channel_id);
                command(w, c, &mut out, &mut heads);
            }
        }
    }
    for cid in heads {
        if let Some(ch) = w.channels.get(&cid) {
            out.rows = tables::CHANNEL_HEAD.put(std::mem::take(&mut out.rows), &cid, &ch.head);
        }
    }
    out
}

/// Adds row `k` = `v` of `table` to the batch's writes.
fn put<K: ?Sized, V: serde::Serialize + serde::de::DeserializeOwned>(
    out: &mut Applied,
    table: &Table<K, V>,
    k: &K,
    v: &V,
) {
    out.rows = table.put(std::mem::take(&mut out.rows), k, v);
}

fn send(
    w: &mut Working,
    s: StreamSend,
    out: &mut Applied,
    heads: &mut BTreeSet<u64>,
    audiences: &mut HashMap<u64, Arc<Vec<u64>>>,
) {
    let key = (s.sender_id, s.client_msg_id);
    let known = w.dedupe.get(&key).cloned().flatten();
    if known.as_ref().is_some_and(|r| r.channel_id == s.channel_id) {
        out.duplicates += 1;
        return;
    }
    let Some(ch) = w
        .channels
        .get_mut(&s.channel_id)
        .filter(|ch| ch.members.contains_key(&s.sender_id))
    else {
        out.refused
            .push((s.sender_id, key.1, rules::not_member_anymore()));
        return;
    };
    if ch.rec.muted_at(s.sender_id, s.sent_at_ms) {
        out.refused.push((
            s.sender_id,
            key.1,
            ApiError::new(ErrorCode::Forbidden, "you are muted in this group"),
        ));
        return;
    }
    if !ch.rec.blocked_by.is_empty() {
        // A 1:1 channel where one blocks the other (the edge refuses these first;
        // this one raced the block).
        out.refused.push((
            s.sender_id,
            key.1,
            ApiError::new(ErrorCode::Forbidden, "you cannot send in this chat"),
        ));
        return;
    }
    ch.head += 1;
    let (channel, seq) = (s.channel_id, ch.head);
    heads.insert(channel);
    let audience = audiences
        .entry(channel)
        .or_insert_with(|| Arc::new(ch.member_ids()))
        .clone();
    // A client_msg_id first used in another channel keeps that channel's record;
    // this send is stored without one (clients use a fresh id per message).
    if known.is_none() {
        let rec = DedupeRecord {
            channel_id: channel,
            seq,
            message_id: s.message_id,
        };
        put(out, &tables::DEDUPE, &key, &rec);
        w.recorded.push((key.clone(), s.sent_at_ms));
        w.dedupe.insert(key.clone(), Some(rec));
    }
    // A reply keeps its reference only to a message of this channel before it.
    let replied = s
        .reply_to
        .and_then(|r| match w.messages.get(&(channel, r)) {
            Some(Some(target)) if r < seq && target.system.is_none() => Some((r, target.quote(r))),
            _ => None,
        });
    let record = MessageRecord {
        message_id: s.message_id,
        sender_id: s.sender_id,
        client_msg_id: key.1,
        text: s.text,
        sent_at_ms: s.sent_at_ms,
        reply_to: replied.as_ref().map(|(r, _)| *r),
        forwarded: s.forwarded,
        mentions: s.mentions,
        // Files the media worker finished before this send was applied.
        attachments: s
            .attachments
            .into_iter()
            .map(|a| match w.attachments.get(&a.id) {
                Some(Some(done)) => done.clone(),
                _ => a,
            })
            .collect(),
        ..MessageRecord::default()
    };
    for u in &record.mentions {
        put(
            out,
            &tables::MENTION,
            &(*u, channel, seq),
            &record.sent_at_ms,
        );
    }
    for a in &record.attachments {
        put(
            out,
            &tables::ATTACHMENT_REF,
            &(a.id, channel, seq),
            &record.sent_at_ms,
        );
    }
    put(out, &tables::MESSAGE, &(channel, seq), &record);
    if let Some(slot) = w.messages.get_mut(&(channel, seq)) {
        // A change later in this batch targets this message.
        *slot = Some(record.clone());
    }
    // Sending reads the channel up to one's own message.
    put(out, &tables::READ_SEQ, &(s.sender_id, channel), &seq);
    w.reads.insert((s.sender_id, channel), seq);
    out.stored.push(Stored {
        channel,
        seq,
        record,
        audience,
        quote: replied.map(|(_, q)| q),
    });
}

fn command(w: &mut Working, c: CommandEntry, out: &mut Applied, heads: &mut BTreeSet<u64>) {
    let key = (c.channel_id, c.id);
    if let Some(Some(done)) = w.commands.get(&key) {
        // A retry of a command applied before: the first outcome, nothing applied.
        if let Some(to) = c.reply_to {
            out.replies.push((to, done.reply.clone()));
        }
        return;
    }
    let erased = !matches!(c.action, ChannelAction::EraseAccount { .. })
        && w.channels
            .get(&c.channel_id)
            .is_some_and(|ch| ch.rec.erased.contains(&c.user_id));
    // What a command decided: its reply and the seqs of the events it appended; kept
    // (except for reads) so that a retry gets the same answer.
    let (reply, seqs) = match &c.action {
        // Appended before the account's deletion reached this channel, applied after.
        _ if erased => (
            internal::encode(&RpcReply::<()>::Err(rules::not_member())),
            Some((0, 0)),
        ),
        ChannelAction::EraseAccount { from_seq: 0 } => match group(w, &c, out, heads) {
            // With the first window: a channel shorter than a window is erased by
            // this one command.
            Ok((_, first, last)) => (
                internal::encode(&erase_window(w, &c, 1, out)),
                Some((first, last)),
            ),
            Err(e) => (internal::encode(&RpcReply::<()>::Err(e)), Some((0, 0))),
        },
        ChannelAction::EraseAccount { from_seq } => (
            internal::encode(&erase_window(w, &c, *from_seq, out)),
            Some((0, 0)),
        ),
        ChannelAction::Expire { before_seq } => (
            internal::encode(&expire(w, &c, *before_seq, out)),
            Some((0, 0)),
        ),
        ChannelAction::Read { seq } => {
            let r = read(w, c.user_id, c.channel_id, *seq, out);
            (internal::encode(&r), None)
        }
        ChannelAction::AttachmentProcessed { attachment } => {
            let (reply, event_seq) = match attachment_processed(w, &c, attachment, out) {
                Ok(event_seq) => (internal::encode(&RpcReply::Ok(event_seq)), event_seq),
                Err(e) => (internal::encode(&RpcReply::<()>::Err(e)), 0),
            };
            if event_seq > 0 {
                heads.insert(c.channel_id);
            }
            (reply, Some((event_seq, event_seq)))
        }
        ChannelAction::CreateInvite { .. } | ChannelAction::RevokeInvite { .. } => {
            (internal::encode(&invites(w, &c, out)), Some((0, 0)))
        }
        ChannelAction::Block { block } => (
            internal::encode(&block_dm(w, &c, *block, out)),
            Some((0, 0)),
        ),
        action if action.changes_message().is_some() => {
            let (reply, event_seq) = match changes::apply(w, &c, out) {
                Ok((message, event_seq)) => (internal::encode(&RpcReply::Ok(message)), event_seq),
                Err(e) => (internal::encode(&RpcReply::<()>::Err(e)), 0),
            };
            if event_seq > 0 {
                heads.insert(c.channel_id);
            }
            (reply, Some((event_seq, event_seq)))
        }
        _ => match group(w, &c, out, heads) {
            Ok((view, first, last)) => (internal::encode(&RpcReply::Ok(view)), Some((first, last))),
            Err(e) => (internal::encode(&RpcReply::<()>::Err(e)), Some((0, 0))),
        },
    };
    if let Some((first_seq, last_seq)) = seqs {
        let rec = CommandRecord {
            reply: reply.clone(),
            first_seq,
            last_seq,
        };
        put(out, &tables::COMMAND, &(c.channel_id, c.id), &rec);
        w.commands.insert(key, Some(rec));
    }
    if let Some(to) = c.reply_to {
        out.replies.push((to, reply));
    }
}

/// Makes or revokes an invite of a group (no event: the invite is the owners' and
/// admins' business); replies the invite made.
fn invites(
    w: &mut Working,
    c: &CommandEntry,
    out: &mut Applied,
) -> RpcReply<Option<natter_protocol::http::Invite>> {
    let Some(ch) = w.channels.get_mut(&c.channel_id) else {
        return Err(rules::not_member());
    };
    let (rec, made) = rules::invite(ch, c.user_id, &c.action, c.at_ms)?;
    if rec != ch.rec {
        put(out, &tables::CHANNEL, &c.channel_id, &rec);
        ch.rec = rec;
    }
    Ok(made)
}

/// Records that the user blocks (or no longer blocks) the other of a 1:1 channel:
/// while either does, sends in it are refused. The edges' membership caches are told
/// (a notice), so they refuse before appending too.
fn block_dm(w: &mut Working, c: &CommandEntry, block: bool, out: &mut Applied) -> RpcReply<()> {
    let cid = c.channel_id;
    let Some(ch) = w
        .channels
        .get_mut(&cid)
        .filter(|ch| ch.members.contains_key(&c.user_id))
    else {
        return Err(rules::not_member());
    };
    if ch.rec.kind != natter_protocol::http::ChannelKind::Dm {
        return Err(ApiError::new(
            ErrorCode::NotAGroup,
            "blocking is between two users: their 1:1 channel",
        ));
    }
    let held = ch.rec.blocked_by.contains(&c.user_id);
    if held == block {
        return Ok(());
    }
    if block {
        ch.rec.blocked_by.push(c.user_id);
        ch.rec.blocked_by.sort_unstable();
    } else {
        ch.rec.blocked_by.retain(|u| *u != c.user_id);
    }
    let rec = ch.rec.clone();
    put(out, &tables::CHANNEL, &cid, &rec);
    out.membership.push(cid);
    Ok(())
}

/// Erases what the deleted account `c.user_id` left among seqs `from ..` one
/// window further: its messages become tombstones (text, versions, files,
/// reactions and pins gone), its edit events lose their text, its processed files'
/// announcements their details, and its reactions to others' messages go. No event
/// (the start's `account_deleted` told the channel). Replies the next window's
/// first seq, 0 when this one reached the head. Erasing again changes nothing.
fn erase_window(w: &mut Working, c: &CommandEntry, from: u64, out: &mut Applied) -> RpcReply<u64> {
    let (cid, user) = (c.channel_id, c.user_id);
    let Some(ch) = w.channels.get(&cid) else {
        return Err(rules::not_member());
    };
    if !ch.rec.erased.contains(&user) {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "the account's erasure has not started in this channel",
        ));
    }
    let head = ch.head;
    let end = from.saturating_add(internal::ERASE_WINDOW).min(head + 1);
    let mut pins = w.pins.get(&cid).cloned().unwrap_or_default();
    let pinned = pins.len();
    for seq in from..end {
        let Some(Some(m)) = w.messages.get(&(cid, seq)) else {
            continue;
        };
        let mut m = m.clone();
        let before = m.clone();
        if m.sender_id == user {
            match &mut m.system {
                // Its edit events are the account's too: this scan reaches them.
                None => {
                    let gone = m.tombstone(user, c.at_ms);
                    for a in gone.attachments {
                        let key = tables::ATTACHMENT_REF.key(&(a.id, cid, seq));
                        out.rows = std::mem::take(&mut out.rows).delete(key);
                    }
                    if gone.pinned {
                        pins.retain(|(s, _, _)| *s != seq);
                    }
                }
                Some(natter_protocol::ws::SystemEvent::MessageEdited { text, .. }) => text.clear(),
                Some(natter_protocol::ws::SystemEvent::AttachmentProcessed { attachment }) => {
                    *attachment = natter_protocol::ws::Attachment {
                        id: attachment.id,
                        ..Default::default()
                    };
                }
                Some(_) => {}
            }
        }
        for (_, who) in &mut m.reactions {
            who.retain(|u| *u != user);
        }
        m.reactions.retain(|(_, who)| !who.is_empty());
        if m != before {
            put(out, &tables::MESSAGE, &(cid, seq), &m);
            w.messages.insert((cid, seq), Some(m));
        }
    }
    if pins.len() != pinned {
        put(out, &tables::PINS, &cid, &pins);
        w.pins.insert(cid, pins);
    }
    Ok(if end > head { 0 } else { end })
}

/// Removes the channel's messages and events before `before` (retention), at most
/// one window from its floor: their rows, the references that hold their files
/// (the media worker collects those no other message holds), the mentions of
/// them and their pins; the floor moves up. No event: history pages carry the
/// floor, and nothing below it is ever asked for or sent. Replies the floor. Only
/// a store worker appends this (its sweep chose `before` from the messages' times).
fn expire(w: &mut Working, c: &CommandEntry, before: u64, out: &mut Applied) -> RpcReply<u64> {
    let cid = c.channel_id;
    if c.user_id != internal::OPERATOR {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only the server expires messages",
        ));
    }
    let Some(ch) = w.channels.get_mut(&cid) else {
        return Err(rules::not_member());
    };
    let floor = ch.rec.floor_seq.max(1);
    let end = before
        .min(ch.head + 1)
        .min(floor.saturating_add(internal::ERASE_WINDOW));
    if end <= floor {
        return Ok(ch.rec.floor_seq);
    }
    let mut pins = w.pins.get(&cid).cloned().unwrap_or_default();
    let pinned = pins.len();
    for seq in floor..end {
        if let Some(Some(m)) = w.messages.get(&(cid, seq)) {
            for a in &m.attachments {
                let key = tables::ATTACHMENT_REF.key(&(a.id, cid, seq));
                out.rows = std::mem::take(&mut out.rows).delete(key);
            }
            for u in &m.mentions {
                let key = tables::MENTION.key(&(*u, cid, seq));
                out.rows = std::mem::take(&mut out.rows).delete(key);
            }
        }
        pins.retain(|(s, _, _)| *s != seq);
        out.rows = std::mem::take(&mut out.rows).delete(tables::MESSAGE.key(&(cid, seq)));
        w.messages.insert((cid, seq), None);
    }
    if pins.len() != pinned {
        put(out, &tables::PINS, &cid, &pins);
        w.pins.insert(cid, pins);
    }
    ch.rec.floor_seq = end;
    let rec = ch.rec.clone();
    put(out, &tables::CHANNEL, &cid, &rec);
    Ok(end)
}

/// Keeps what the media worker made of an attachment the user uploaded, and
/// announces it to the channel (once: a repeat changes nothing); returns the
/// event's seq (0 when nothing changed).
fn attachment_processed(
    w: &mut Working,
    c: &CommandEntry,
    attachment: &natter_protocol::ws::Attachment,
    out: &mut Applied,
) -> Result<u64, ApiError> {
    let cid = c.channel_id;
    let Some(ch) = w.channels.get_mut(&cid) else {
        return Err(rules::not_member());
    };
    if !ch.members.contains_key(&c.user_id) {
        return Err(rules::not_member());
    }
    if w.attachments.get(&attachment.id) == Some(&Some(attachment.clone())) {
        return Ok(0);
    }
    let Some(event_id) = c.event_ids.first() else {
        return Err(ApiError::new(
            ErrorCode::Internal,
            "command carries too few event ids",
        ));
    };
    put(out, &tables::ATTACHMENT, &attachment.id, attachment);
    w.attachments
        .insert(attachment.id, Some(attachment.clone()));
    ch.head += 1;
    let seq = ch.head;
    let audience = Arc::new(ch.member_ids());
    let record = MessageRecord {
        message_id: *event_id,
        sender_id: c.user_id,
        sent_at_ms: c.at_ms,
        system: Some(natter_protocol::ws::SystemEvent::AttachmentProcessed {
            attachment: attachment.clone(),
        }),
        ..MessageRecord::default()
    };
    put(out, &tables::MESSAGE, &(cid, seq), &record);
    out.stored.push(Stored {
        channel: cid,
        seq,
        record,
        audience,
        quote: None,
    });
    Ok(seq)
}

/// Moves `user`'s read seq of `cid` to `seq`, clamped to what they may see and never
/// backwards; returns the read seq.
fn read(w: &mut Working, user: u64, cid: u64, seq: u64, out: &mut Applied) -> RpcReply<u64> {
    let ch = w.channels.get(&cid);
    let visible = match ch {
        Some(ch) if ch.members.contains_key(&user) => ch.head,
        _ => match w.listed.get(&(user, cid)) {
            Some(Some(uc)) => uc.visible_head(ch.map_or(0, |ch| ch.head)),
            _ => return Err(rules::not_member()),
        },
    };
    let target = seq.min(visible);
    let old = w.reads.get(&(user, cid)).copied().unwrap_or(0);
    if target <= old {
        return Ok(old);
    }
    w.reads.insert((user, cid), target);
    put(out, &tables::READ_SEQ, &(user, cid), &target);
    out.reads.push((user, cid, target));
    out.read_moves.push((cid, user, old, target));
    Ok(target)
}

/// Applies a group command; returns the channel as it now stands and the seqs of
/// the events it appended.
fn group(
    w: &mut Working,
    c: &CommandEntry,
    out: &mut Applied,
    heads: &mut BTreeSet<u64>,
) -> Result<(natter_protocol::http::Channel, u64, u64), ApiError> {
    let cid = c.channel_id;
    // Decided on a copy: a refused command leaves the channel as it was.
    let (next, change): (ChannelState, GroupChange) = match &c.action {
        ChannelAction::CreateGroup { name, members } => {
            rules::create(w.channels.get(&cid), cid, c.user_id, name, members, c.at_ms)?
        }
        ChannelAction::EraseAccount { .. } => {
            let Some(ch) = w.channels.get(&cid) else {
                return Err(rules::not_member());
            };
            let mut next = ch.clone();
            let change = rules::erase_account(&mut next, c.user_id, c.at_ms)?;
            (next, change)
        }
        action => {
            let Some(ch) = w.channels.get(&cid) else {
                return Err(rules::not_member());
            };
            let mut next = ch.clone();
            let change = rules::change(&mut next, c.user_id, action, c.at_ms)?;
            (next, change)
        }
    };
    if change.events.len() > c.event_ids.len() {
        return Err(ApiError::new(
            ErrorCode::Internal,
            "command carries too few event ids",
        ));
    }
    let ch = w.channels.entry(cid).insert_entry(next).into_mut();
    let first = ch.head + 1;
    if let Some(rec) = &change.record {
        put(out, &tables::CHANNEL, &cid, rec);
    }
    for (u, m) in &change.put_members {
        put(out, &tables::MEMBER, &(cid, *u), m);
    }
    for u in &change.joined {
        let joined_at = ch.members.get(u).map_or(c.at_ms, |m| m.joined_at);
        put(
            out,
            &tables::USER_CHANNEL,
            &(*u, cid),
            &UserChannelRecord {
                joined_at,
                left_seq: None,
            },
        );
    }
    for (u, m) in &change.removed {
        // The removal is the change's first event: the user sees up to it.
        out.rows = std::mem::take(&mut out.rows).delete(tables::MEMBER.key(&(cid, *u)));
        put(
            out,
            &tables::USER_CHANNEL,
            &(*u, cid),
            &UserChannelRecord {
                joined_at: m.joined_at,
                left_seq: Some(first),
            },
        );
    }
    let audience = Arc::new(change.audience.clone());
    for (event, id) in change.events.iter().zip(&c.event_ids) {
        ch.head += 1;
        let record = MessageRecord {
            message_id: *id,
            sender_id: c.user_id,
            client_msg_id: String::new(),
            text: String::new(),
            sent_at_ms: c.at_ms,
            system: Some(event.clone()),
            ..MessageRecord::default()
        };
        put(out, &tables::MESSAGE, &(cid, ch.head), &record);
        out.stored.push(Stored {
            channel: cid,
            seq: ch.head,
            record,
            audience: audience.clone(),
            quote: None,
        });
    }
    if change.events.is_empty() {
        return Ok((ch.view(), 0, 0));
    }
    let last = ch.head;
    heads.insert(cid);
    put(out, &tables::READ_SEQ, &(c.user_id, cid), &last);
    w.reads.insert((c.user_id, cid), last);
    // Edges cache members, and with them who is muted.
    if !change.joined.is_empty() || !change.removed.is_empty() || change.record.is_some() {
        out.membership.push(cid);
    }
    Ok((w.channels[&cid].view(), first, last))
}

/// Moves device cursors (never back, never past what the user may see; users who
/// never belonged to a channel are ignored). Returns the rows to write, and where a
/// user's highest cursor in a channel moved: (channel, user, seq), for delivery
/// receipts.
pub(crate) fn move_cursors(
    w: &mut Working,
    moves: Vec<(u64, String, u64, u64)>,
) -> (WriteBatch, Vec<(u64, u64, u64)>) {
    let mut rows = WriteBatch::new();
    let mut delivered = Vec::new();
    for (user, device, cid, seq) in moves {
        let ch = w.channels.get(&cid);
        let visible = match ch {
            Some(ch) if ch.members.contains_key(&user) => ch.head,
            _ => match w.listed.get(&(user, cid)) {
                Some(Some(uc)) => uc.visible_head(ch.map_or(0, |ch| ch.head)),
                _ => continue,
            },
        };
        let target = seq.min(visible);
        let key = (user, device, cid);
        let old = w.cursors.get(&key).copied().unwrap_or(0);
        if target > old {
            rows = tables::DEVICE_CURSOR.put(rows, &key, &target);
            w.cursors.insert(key, target);
        }
        if !w.track_delivered {
            continue;
        }
        let best = w.delivered.entry((user, cid)).or_insert(0);
        if target > *best {
            *best = target;
            rows = tables::DELIVERED.put(rows, &(user, cid), &target);
            delivered.push((cid, user, target));
        }
    }
    (rows, delivered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use natter_protocol::internal::StreamSend;

    const G: u64 = 7;

    fn send_at(user: u64, id: u64, at_ms: u64) -> LogEntry {
        LogEntry::Send(StreamSend {
            message_id: id,
            channel_id: G,
            sender_id: user,
            client_msg_id: format!("c{id}"),
            text: "hi".into(),
            sent_at_ms: at_ms,
            reply_to: None,
            forwarded: false,
            mentions: Vec::new(),
            attachments: Vec::new(),
        })
    }

    fn command_at(user: u64, id: u64, at_ms: u64, action: ChannelAction) -> LogEntry {
        LogEntry::Command(CommandEntry {
            id,
            at_ms,
            user_id: user,
            channel_id: G,
            action,
            event_ids: vec![1000 + id, 2000 + id],
            reply_to: None,
        })
    }

    fn refused(a: &Applied) -> Vec<(u64, ErrorCode)> {
        a.refused.iter().map(|(u, _, e)| (*u, e.code)).collect()
    }

    /// A mute is decided by each send's own time, as carried in the log: a send
    /// made before the end is refused, one made at the end is stored, whatever the
    /// time the owner applies them.
    #[test]
    fn a_mute_refuses_the_sends_made_before_its_end_and_no_others() {
        let mut w = Working::default();
        let (g, _) = rules::create(None, G, 1, "g", &[3], 1).expect("create");
        w.channels.insert(G, g);
        let mute = ChannelAction::MuteMember {
            user: 3,
            until_ms: 500,
        };
        let a = apply(
            &mut w,
            vec![
                command_at(1, 10, 100, mute),
                send_at(3, 11, 499),
                send_at(3, 12, 500),
                send_at(1, 13, 200),
            ],
            |_| true,
        );
        assert_eq!(refused(&a), vec![(3, ErrorCode::Forbidden)]);
        let stored: Vec<u64> = a
            .stored
            .iter()
            .filter(|s| s.record.system.is_none())
            .map(|s| s.record.message_id)
            .collect();
        assert_eq!(stored, vec![12, 13]);
    }

    /// An erasure's start (one command, for a channel shorter than a window) leaves
    /// the group, refuses the account's later sends and commands, turns every
    /// message of the account into a tombstone, empties its edit events and takes
    /// its reactions off others' messages; others' messages keep their text.
    /// Starting again changes nothing.
    #[test]
    fn an_erased_account_leaves_tombstones_and_can_do_nothing_more() {
        let mut w = Working::default();
        let (g, _) = rules::create(None, G, 1, "g", &[3], 1).expect("create");
        w.channels.insert(G, g);
        let remember = |w: &mut Working, a: &Applied| {
            for s in &a.stored {
                w.messages
                    .insert((s.channel, s.seq), Some(s.record.clone()));
            }
        };
        // Seqs 1 and 2: Carol's and Alice's messages (the creation is not applied).
        let a = apply(&mut w, vec![send_at(3, 11, 10), send_at(1, 12, 11)], |_| {
            true
        });
        remember(&mut w, &a);
        let edit = ChannelAction::Edit {
            seq: 1,
            text: "secret, edited".into(),
        };
        let react = ChannelAction::React {
            seq: 2,
            emoji: "👍".into(),
            add: true,
        };
        let a = apply(
            &mut w,
            vec![command_at(3, 20, 20, edit), command_at(3, 21, 21, react)],
            |_| true,
        );
        remember(&mut w, &a);
        let start = ChannelAction::EraseAccount { from_seq: 0 };
        let a = apply(
            &mut w,
            vec![
                command_at(3, 30, 30, start.clone()),
                send_at(3, 31, 31),
                command_at(3, 32, 32, ChannelAction::Read { seq: 1 }),
                command_at(3, 34, 34, start),
            ],
            |_| true,
        );
        assert_eq!(refused(&a), vec![(3, ErrorCode::NotAMember)]);
        let events: Vec<_> = a
            .stored
            .iter()
            .filter_map(|s| s.record.system.clone())
            .collect();
        assert_eq!(
            events,
            vec![
                natter_protocol::ws::SystemEvent::MemberLeft { user: 3 },
                natter_protocol::ws::SystemEvent::AccountDeleted { user: 3 },
            ],
            "told once"
        );
        let msg = |seq| w.messages[&(G, seq)].clone().expect("row");
        let carols = msg(1);
        assert!(carols.text.is_empty() && carols.original.is_none() && carols.deleted.is_some());
        assert!(matches!(
            msg(3).system,
            Some(natter_protocol::ws::SystemEvent::MessageEdited { ref text, .. }) if text.is_empty()
        ));
        let alices = msg(2);
        assert_eq!((alices.text.as_str(), alices.reactions.len()), ("hi", 0));
        assert!(!w.channels[&G].members.contains_key(&3));
    }

    /// A channel longer than a window is erased window by window: the start
    /// replies where the next begins, the last window replies 0.
    #[test]
    fn a_long_channel_is_erased_a_window_at_a_time() {
        let mut w = Working::default();
        let (g, _) = rules::create(None, G, 1, "g", &[3], 1).expect("create");
        w.channels.insert(G, g);
        let n = internal::ERASE_WINDOW + 5;
        let a = apply(
            &mut w,
            (0..n).map(|i| send_at(3, 10 + i, 10)).collect(),
            |_| true,
        );
        for s in &a.stored {
            w.messages
                .insert((s.channel, s.seq), Some(s.record.clone()));
        }
        let erase = |id, from_seq| {
            LogEntry::Command(CommandEntry {
                reply_to: Some("r".into()),
                ..match command_at(3, id, 50, ChannelAction::EraseAccount { from_seq }) {
                    LogEntry::Command(c) => c,
                    LogEntry::Send(_) => unreachable!(),
                }
            })
        };
        let reply =
            |a: &Applied| -> u64 { internal::decode_reply(&a.replies[0].1).expect("a reply") };
        let a = apply(&mut w, vec![erase(5_000, 0)], |_| true);
        assert_eq!(reply(&a), internal::ERASE_WINDOW + 1);
        let left: Vec<u64> = (1..=n)
            .filter(|s| {
                w.messages[&(G, *s)]
                    .as_ref()
                    .is_some_and(|m| !m.text.is_empty())
            })
            .collect();
        assert_eq!(left, (internal::ERASE_WINDOW + 1..=n).collect::<Vec<_>>());
        let a = apply(
            &mut w,
            vec![erase(5_001, internal::ERASE_WINDOW + 1)],
            |_| true,
        );
        assert_eq!(reply(&a), 0, "done");
        assert!((1..=n).all(|s| {
            w.messages[&(G, s)]
                .as_ref()
                .is_some_and(|m| m.text.is_empty())
        }));
    }

    /// Only the server expires; an expiry removes the rows below its seq (never
    /// past the head), moves the floor, and repeating it changes nothing.
    #[test]
    fn an_expiry_removes_the_oldest_rows_and_moves_the_floor() {
        let mut w = Working::default();
        let (g, _) = rules::create(None, G, 1, "g", &[3], 1).expect("create");
        w.channels.insert(G, g);
        let a = apply(
            &mut w,
            (0..4).map(|i| send_at(1, 10 + i, 10 + i)).collect(),
            |_| true,
        );
        for s in &a.stored {
            w.messages
                .insert((s.channel, s.seq), Some(s.record.clone()));
        }
        let expire =
            |user, id, before_seq| command_at(user, id, 50, ChannelAction::Expire { before_seq });
        let a = apply(
            &mut w,
            vec![
                expire(1, 20, 3),
                expire(internal::OPERATOR, 21, 3),
                expire(internal::OPERATOR, 22, 3),
                expire(internal::OPERATOR, 23, 99),
            ],
            |_| true,
        );
        let deleted: Vec<Vec<u8>> = a
            .rows
            .ops()
            .iter()
            .filter_map(|op| match op {
                natter_store::BatchOp::Delete { key } => Some(key.clone()),
                _ => None,
            })
            .collect();
        let keys: Vec<Vec<u8>> = (1..=4).map(|s| tables::MESSAGE.key(&(G, s))).collect();
        assert_eq!(
            deleted, keys,
            "seqs 1 and 2, then 3 and 4 (the head), once each"
        );
        assert_eq!(w.channels[&G].rec.floor_seq, 5);
        assert!(a.stored.is_empty(), "no event");
    }

    /// An expired message takes with it the rows that point at it: the reference
    /// that holds its file (so the media worker collects the file) and the mention
    /// of each user it mentions.
    #[test]
    fn an_expiry_drops_the_file_references_and_mentions_of_what_it_removes() {
        let mut w = Working::default();
        let (g, _) = rules::create(None, G, 1, "g", &[3], 1).expect("create");
        w.channels.insert(G, g);
        let mut with_file = send_at(1, 10, 10);
        if let LogEntry::Send(s) = &mut with_file {
            s.mentions = vec![3];
            s.attachments = vec![natter_protocol::ws::Attachment {
                id: 77,
                ..Default::default()
            }];
        }
        let a = apply(&mut w, vec![with_file], |_| true);
        for s in &a.stored {
            w.messages
                .insert((s.channel, s.seq), Some(s.record.clone()));
        }
        let expire = ChannelAction::Expire { before_seq: 2 };
        let a = apply(
            &mut w,
            vec![command_at(internal::OPERATOR, 20, 50, expire)],
            |_| true,
        );
        let deleted: Vec<Vec<u8>> = a
            .rows
            .ops()
            .iter()
            .filter_map(|op| match op {
                natter_store::BatchOp::Delete { key } => Some(key.clone()),
                _ => None,
            })
            .collect();
        for key in [
            tables::ATTACHMENT_REF.key(&(77, G, 1)),
            tables::MENTION.key(&(3, G, 1)),
            tables::MESSAGE.key(&(G, 1)),
        ] {
            assert!(deleted.contains(&key), "{key:?} not deleted");
        }
    }

    /// A send appended after a block (the edge's cache had not heard of it) is
    /// refused by the owner, either way; after the unblock both go through.
    #[test]
    fn the_owner_refuses_sends_in_a_blocked_one_to_one_channel() {
        let mut w = Working::default();
        let (mut dm, _) = rules::create(None, G, 1, "x", &[2], 1).expect("create");
        dm.rec.kind = natter_protocol::http::ChannelKind::Dm;
        dm.rec.name = None;
        w.channels.insert(G, dm);
        let block = |b| ChannelAction::Block { block: b };
        let a = apply(
            &mut w,
            vec![
                command_at(1, 10, 100, block(true)),
                send_at(2, 11, 101),
                send_at(1, 12, 102),
                command_at(1, 13, 103, block(false)),
                send_at(2, 14, 104),
            ],
            |_| true,
        );
        assert_eq!(
            refused(&a),
            vec![(2, ErrorCode::Forbidden), (1, ErrorCode::Forbidden)]
        );
        let stored: Vec<u64> = a.stored.iter().map(|s| s.record.message_id).collect();
        assert_eq!(stored, vec![14]);
    }
}
