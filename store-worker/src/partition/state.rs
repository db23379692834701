//! What a partition's owner holds in memory, and how it is filled.
//!
//! The owner is the only writer of its channels' heads, membership, read seqs and
//! cursors, so what it caches is exact. The caches are bounded and filled lazily:
//! before a batch is applied, everything it will decide with is gathered into a
//! [`Working`] set, from the caches or (on a miss) from the store, in a few batched
//! reads; the batch is applied to the working set without I/O; after its write the
//! working set goes back into the caches. Entries a batch changes are out of the
//! caches while it runs, so an eviction can never drop a change not yet written.
//! The state is created afresh on every claim of the partition (a partition that
//! moved away and back must not decide with what it knew before).
//!
//! Negative answers are not cached: a channel that does not exist is read again
//! next time (1:1 channels are created outside the log, synced before they are
//! used).

use std::collections::{HashMap, HashSet, VecDeque};

use natter_protocol::internal::{ChannelAction, LogEntry};
use natter_store::{Store, StoreError, keys};

use super::rules::ChannelState;
use crate::records::{CommandRecord, DedupeRecord, MessageRecord, UserChannelRecord};
use crate::tables;

/// Channels whose state is kept per partition.
const CHANNELS_CACHED: usize = 20_000;
/// Read seqs kept per partition.
const READS_CACHED: usize = 50_000;
/// Device cursors kept per partition.
const CURSORS_CACHED: usize = 100_000;
/// Users' highest cursors (delivered up to) kept per partition.
const DELIVERED_CACHED: usize = 50_000;
/// Channels whose recent authors are kept per partition (for read receipts).
const SENDERS_CACHED: usize = 5_000;
/// Recent messages per channel whose authors are kept: a read moving over older
/// ones sends no live receipt for them (`GET …/receipts` still tells).
const SENDERS_PER_CHANNEL: usize = 64;
/// How far back, in log time, the dedupe window reaches; older sends are looked up
/// in the store (the dedupe records there are kept for ever).
const DEDUPE_WINDOW_MS: u64 = 120_000;
/// Most sends in the dedupe window of one partition.
const DEDUPE_WINDOW_MAX: usize = 50_000;

/// A send's dedupe key: (sender, client_msg_id).
pub(crate) type SendKey = (u64, String);
/// A device cursor's key: (user, device, channel).
pub(crate) type CursorKey = (u64, String, u64);

/// The recent sends of a partition, by log time.
#[derive(Default)]
struct DedupeWindow {
    map: HashMap<SendKey, DedupeRecord>,
    order: VecDeque<(u64, SendKey)>,
}

impl DedupeWindow {
    fn insert(&mut self, key: SendKey, rec: DedupeRecord, at_ms: u64) {
        self.order.push_back((at_ms, key.clone()));
        self.map.insert(key, rec);
        // Evicted by log time (not the clock) and by count, so a replay keeps the
        // same window; what leaves it is still found in the store.
        while let Some((at, _)) = self.order.front() {
            let old = at.saturating_add(DEDUPE_WINDOW_MS) < at_ms;
            if !old && self.order.len() <= DEDUPE_WINDOW_MAX {
                break;
            }
            if let Some((_, k)) = self.order.pop_front() {
                self.map.remove(&k);
            }
        }
    }
}

/// The in-memory state of one partition's owner.
pub(crate) struct State {
    channels: quick_cache::unsync::Cache<u64, ChannelState>,
    dedupe: DedupeWindow,
    reads: quick_cache::unsync::Cache<(u64, u64), u64>,
    cursors: quick_cache::unsync::Cache<CursorKey, u64>,
    delivered: quick_cache::unsync::Cache<(u64, u64), u64>,
    /// Per channel: (seq, author) of its latest messages, oldest first.
    senders: quick_cache::unsync::Cache<u64, VecDeque<(u64, u64)>>,
}

/// Everything one batch decides with, and changes.
#[derive(Default)]
pub(crate) struct Working {
    /// Channels that exist.
    pub(crate) channels: HashMap<u64, ChannelState>,
    /// Dedupe records of the batch's sends (`None`: never sent before).
    pub(crate) dedupe: HashMap<SendKey, Option<DedupeRecord>>,
    /// Records of the batch's commands (`None`: not applied before).
    pub(crate) commands: HashMap<(u64, u64), Option<CommandRecord>>,
    /// Read seqs of (user, channel) pairs the batch reads or moves.
    pub(crate) reads: HashMap<(u64, u64), u64>,
    /// List rows of users who act on a channel they are not a member of (a former
    /// member reading up to their removal).
    pub(crate) listed: HashMap<(u64, u64), Option<UserChannelRecord>>,
    /// Device cursors a cursor request moves.
    pub(crate) cursors: HashMap<CursorKey, u64>,
    /// Users' highest cursors in the channels a cursor request moves: (user, channel).
    pub(crate) delivered: HashMap<(u64, u64), u64>,
    /// Whether those are tracked (delivery receipts on).
    pub(crate) track_delivered: bool,
    /// Sends first recorded by this batch, for the dedupe window: (key, at_ms).
    pub(crate) recorded: Vec<(SendKey, u64)>,
    /// Messages the batch's edits, deletions and reactions change or its replies
    /// quote, and the edit events a deletion erases: (channel, seq) → record
    /// (`None`: no such row yet).
    /// Not cached between batches: changes are rare next to sends.
    pub(crate) messages: HashMap<(u64, u64), Option<MessageRecord>>,
    /// Pinned messages of channels the batch pins in or deletes from: (seq, by, at).
    pub(crate) pins: HashMap<u64, Vec<(u64, u64, u64)>>,
    /// Processed attachments the batch's sends carry or its commands announce
    /// (`None`: not processed yet).
    pub(crate) attachments: HashMap<u64, Option<natter_protocol::ws::Attachment>>,
}

impl State {
    /// An empty state (a fresh claim).
    pub(crate) fn new() -> Self {
        Self {
            channels: quick_cache::unsync::Cache::new(CHANNELS_CACHED),
            dedupe: DedupeWindow::default(),
            reads: quick_cache::unsync::Cache::new(READS_CACHED),
            cursors: quick_cache::unsync::Cache::new(CURSORS_CACHED),
            delivered: quick_cache::unsync::Cache::new(DELIVERED_CACHED),
            senders: quick_cache::unsync::Cache::new(SENDERS_CACHED),
        }
    }

    /// Remembers the authors of a batch's new messages: (channel, seq, author).
    pub(crate) fn note_senders(&mut self, stored: impl Iterator<Item = (u64, u64, u64)>) {
        for (cid, seq, sender) in stored {
            let fresh = || Ok::<_, std::convert::Infallible>(VecDeque::new());
            if let Ok(Some(mut recent)) = self.senders.get_mut_or_insert_with(&cid, fresh) {
                recent.push_back((seq, sender));
                if recent.len() > SENDERS_PER_CHANNEL {
                    recent.pop_front();
                }
            }
        }
    }

    /// Whether `cid` is a 1:1 channel the owner holds.
    pub(crate) fn is_dm(&self, cid: u64) -> bool {
        self.channels
            .peek(&cid)
            .is_some_and(|ch| ch.rec.kind == natter_protocol::http::ChannelKind::Dm)
    }

    /// Who should hear that `reader` moved through `(from, to]` of `cid`: the other
    /// side of a 1:1 channel; in a group, the authors of the messages in that range
    /// the owner remembers.
    pub(crate) fn authors(&self, cid: u64, reader: u64, from: u64, to: u64) -> Vec<u64> {
        if let Some(ch) = self.channels.peek(&cid)
            && ch.rec.kind == natter_protocol::http::ChannelKind::Dm
        {
            return ch
                .member_ids()
                .into_iter()
                .filter(|u| *u != reader)
                .collect();
        }
        let mut out: Vec<u64> = self
            .senders
            .peek(&cid)
            .map(|r| {
                r.iter()
                    .filter(|(s, a)| *s > from && *s <= to && *a != reader)
                    .map(|(_, a)| *a)
                    .collect()
            })
            .unwrap_or_default();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Gathers what `entries` decide with.
    ///
    /// # Errors
    /// A store read failed; the caches are as they were, less what was taken out.
    pub(crate) async fn prefetch(
        &mut self,
        store: &dyn Store,
        entries: &[LogEntry],
    ) -> Result<Working, StoreError> {
        let mut w = Working::default();
        let cids: HashSet<u64> = entries.iter().map(LogEntry::channel_id).collect();
        self.take_channels(store, &mut w, cids).await?;

        let mut missing = Vec::new();
        for e in entries {
            if let LogEntry::Send(s) = e {
                let key = (s.sender_id, s.client_msg_id.clone());
                if w.dedupe.contains_key(&key) {
                    continue;
                }
                match self.dedupe.map.get(&key) {
                    Some(rec) => {
                        w.dedupe.insert(key, Some(rec.clone()));
                    }
                    None => {
                        w.dedupe.insert(key.clone(), None);
                        missing.push(key);
                    }
                }
            }
        }
        if !missing.is_empty() {
            let found = tables::DEDUPE.get_many(store, &missing).await?;
            for (key, rec) in missing.into_iter().zip(found) {
                if rec.is_some() {
                    w.dedupe.insert(key, rec);
                }
            }
        }

        let commands: Vec<(u64, u64)> = entries
            .iter()
            .filter_map(|e| match e {
                LogEntry::Command(c) if !matches!(c.action, ChannelAction::Read { .. }) => {
                    Some((c.channel_id, c.id))
                }
                _ => None,
            })
            .collect();
        if !commands.is_empty() {
            let found = tables::COMMAND.get_many(store, &commands).await?;
            w.commands.extend(commands.into_iter().zip(found));
        }

        let readers: Vec<(u64, u64)> = entries
            .iter()
            .filter_map(|e| match e {
                LogEntry::Command(c)
                    if matches!(c.action, ChannelAction::Read { .. })
                        || c.action.changes_message().is_some() =>
                {
                    Some((c.user_id, c.channel_id))
                }
                _ => None,
            })
            .collect();
        self.take_reads(store, &mut w, readers).await?;
        take_messages(store, &mut w, entries).await?;
        take_attachments(store, &mut w, entries).await?;
        Ok(w)
    }

    /// Gathers what moving these cursors decides with: channels, current cursors,
    /// and list rows of users who are not members.
    ///
    /// # Errors
    /// A store read failed.
    pub(crate) async fn prefetch_cursors(
        &mut self,
        store: &dyn Store,
        moves: &[(u64, String, u64, u64)],
        track_delivered: bool,
    ) -> Result<Working, StoreError> {
        let mut w = Working {
            track_delivered,
            ..Working::default()
        };
        let cids: HashSet<u64> = moves.iter().map(|(_, _, c, _)| *c).collect();
        self.take_channels(store, &mut w, cids).await?;
        let mut missing = Vec::new();
        for (u, d, c, _) in moves {
            let key = (*u, d.clone(), *c);
            if w.cursors.contains_key(&key) {
                continue;
            }
            match self.cursors.remove(&key) {
                Some((_, v)) => {
                    w.cursors.insert(key, v);
                }
                None => missing.push(key),
            }
        }
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            let found = tables::DEVICE_CURSOR.get_many(store, &missing).await?;
            for (key, seq) in missing.into_iter().zip(found) {
                w.cursors.insert(key, seq.unwrap_or(0));
            }
        }
        let mut pairs: Vec<(u64, u64)> = Vec::new();
        for (u, _, c, _) in moves.iter().filter(|_| track_delivered) {
            let key = (*u, *c);
            if w.delivered.contains_key(&key) {
                continue;
            }
            match self.delivered.remove(&key) {
                Some((_, v)) => {
                    w.delivered.insert(key, v);
                }
                None => pairs.push(key),
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        if !pairs.is_empty() {
            let found = tables::DELIVERED.get_many(store, &pairs).await?;
            for (key, seq) in pairs.into_iter().zip(found) {
                w.delivered.insert(key, seq.unwrap_or(0));
            }
        }
        self.take_listed(
            store,
            &mut w,
            moves.iter().map(|(u, _, c, _)| (*u, *c)).collect(),
        )
        .await?;
        Ok(w)
    }

    /// Puts a batch's working set back after its write.
    pub(crate) fn restore(&mut self, w: Working) {
        for (cid, ch) in w.channels {
            self.channels.insert(cid, ch);
        }
        for (key, at_ms) in w.recorded {
            if let Some(Some(rec)) = w.dedupe.get(&key) {
                self.dedupe.insert(key, rec.clone(), at_ms);
            }
        }
        for (k, v) in w.reads {
            self.reads.insert(k, v);
        }
        for (k, v) in w.cursors {
            self.cursors.insert(k, v);
        }
        for (k, v) in w.delivered {
            self.delivered.insert(k, v);
        }
    }

    async fn take_channels(
        &mut self,
        store: &dyn Store,
        w: &mut Working,
        cids: HashSet<u64>,
    ) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        for cid in cids {
            match self.channels.remove(&cid) {
                Some((_, ch)) => {
                    w.channels.insert(cid, ch);
                }
                None => missing.push(cid),
            }
        }
        for (cid, ch) in load_channels(store, &missing).await? {
            w.channels.insert(cid, ch);
        }
        Ok(())
    }

    async fn take_reads(
        &mut self,
        store: &dyn Store,
        w: &mut Working,
        pairs: Vec<(u64, u64)>,
    ) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        for pair in &pairs {
            if w.reads.contains_key(pair) {
                continue;
            }
            match self.reads.remove(pair) {
                Some((_, v)) => {
                    w.reads.insert(*pair, v);
                }
                None => missing.push(*pair),
            }
        }
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            let found = tables::READ_SEQ.get_many(store, &missing).await?;
            for (pair, seq) in missing.into_iter().zip(found) {
                w.reads.insert(pair, seq.unwrap_or(0));
            }
        }
        self.take_listed(store, w, pairs).await
    }

    /// List rows of (user, channel) pairs where the user is not a current member.
    async fn take_listed(
        &mut self,
        store: &dyn Store,
        w: &mut Working,
        pairs: Vec<(u64, u64)>,
    ) -> Result<(), StoreError> {
        let mut strangers: Vec<(u64, u64)> = pairs
            .into_iter()
            .filter(|(u, c)| {
                !w.channels
                    .get(c)
                    .is_some_and(|ch| ch.members.contains_key(u))
            })
            .collect();
        strangers.sort_unstable();
        strangers.dedup();
        if strangers.is_empty() {
            return Ok(());
        }
        let found = tables::USER_CHANNEL.get_many(store, &strangers).await?;
        w.listed.extend(strangers.into_iter().zip(found));
        Ok(())
    }
}

/// Reads what is known of the attachments the entries carry or announce.
async fn take_attachments(
    store: &dyn Store,
    w: &mut Working,
    entries: &[LogEntry],
) -> Result<(), StoreError> {
    let mut ids: Vec<u64> = Vec::new();
    for e in entries {
        match e {
            LogEntry::Send(s) => ids.extend(s.attachments.iter().map(|a| a.id)),
            LogEntry::Command(c) => {
                if let ChannelAction::AttachmentProcessed { attachment } = &c.action {
                    ids.push(attachment.id);
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let found = tables::ATTACHMENT.get_many(store, &ids).await?;
    w.attachments.extend(ids.into_iter().zip(found));
    Ok(())
}

/// Most rows one erasure window reads (its seqs).
const ERASE_WINDOW_ROWS: usize = natter_protocol::internal::ERASE_WINDOW as usize;

/// Reads the messages the entries change or reply to, the edit events of those
/// they delete, and the windows of accounts' erasures.
async fn take_messages(
    store: &dyn Store,
    w: &mut Working,
    entries: &[LogEntry],
) -> Result<(), StoreError> {
    let mut targets: Vec<(u64, u64)> = entries
        .iter()
        .filter_map(|e| match e {
            LogEntry::Command(c) => c.action.changes_message().map(|s| (c.channel_id, s)),
            LogEntry::Send(s) => s.reply_to.map(|r| (s.channel_id, r)),
        })
        .collect();
    // An account's erasure, and an expiry, read their window of the channel whole.
    for e in entries {
        let LogEntry::Command(c) = e else { continue };
        let from_seq = match c.action {
            // The start erases the first window too.
            ChannelAction::EraseAccount { from_seq } => from_seq.max(1),
            ChannelAction::Expire { .. } => w
                .channels
                .get(&c.channel_id)
                .map_or(1, |ch| ch.rec.floor_seq.max(1)),
            _ => continue,
        };
        let to = from_seq.saturating_add(natter_protocol::internal::ERASE_WINDOW);
        let window = keys::message_range(c.channel_id, from_seq, to);
        for (k, v) in store.scan(window, ERASE_WINDOW_ROWS).await? {
            let seq = keys::trailing_u64(&k).unwrap_or(0);
            w.messages
                .insert((c.channel_id, seq), Some(tables::MESSAGE.decode(&v)?));
        }
        // Seqs without a row yet: a send earlier in the batch fills its slot, so
        // the window sees it too.
        for seq in from_seq..to {
            w.messages.entry((c.channel_id, seq)).or_insert(None);
        }
    }
    if targets.is_empty() {
        return take_pins(store, w, entries).await;
    }
    targets.sort_unstable();
    targets.dedup();
    let found = tables::MESSAGE.get_many(store, &targets).await?;
    let mut edits = Vec::new();
    for (key, rec) in targets.into_iter().zip(found) {
        let deleting = entries.iter().any(|e| {
            matches!(e, LogEntry::Command(c) if c.channel_id == key.0
                && matches!(c.action, ChannelAction::Delete { seq } if seq == key.1))
        });
        if deleting && let Some(rec) = &rec {
            edits.extend(rec.edit_seqs.iter().map(|s| (key.0, *s)));
        }
        w.messages.insert(key, rec);
    }
    if !edits.is_empty() {
        let found = tables::MESSAGE.get_many(store, &edits).await?;
        w.messages.extend(edits.into_iter().zip(found));
    }
    take_pins(store, w, entries).await
}

/// Reads the pinned lists of the channels the entries pin in or delete from.
async fn take_pins(
    store: &dyn Store,
    w: &mut Working,
    entries: &[LogEntry],
) -> Result<(), StoreError> {
    let mut pinning: Vec<u64> = entries
        .iter()
        .filter_map(|e| match e {
            LogEntry::Command(c)
                if matches!(
                    c.action,
                    ChannelAction::Pin { .. }
                        | ChannelAction::Delete { .. }
                        | ChannelAction::EraseAccount { .. }
                        | ChannelAction::Expire { .. }
                ) =>
            {
                Some(c.channel_id)
            }
            _ => None,
        })
        .collect();
    pinning.sort_unstable();
    pinning.dedup();
    if !pinning.is_empty() {
        let found = tables::PINS.get_many(store, &pinning).await?;
        w.pins.extend(
            pinning
                .into_iter()
                .zip(found.into_iter().map(Option::unwrap_or_default)),
        );
    }
    Ok(())
}

/// Reads channels as stored: record, members, head. Absent channels are left out.
pub(crate) async fn load_channels(
    store: &dyn Store,
    cids: &[u64],
) -> Result<Vec<(u64, ChannelState)>, StoreError> {
    if cids.is_empty() {
        return Ok(Vec::new());
    }
    let mut wanted = Vec::with_capacity(cids.len() * 2);
    // Record and head of every channel in one read (a round trip on TiKV).
    for cid in cids {
        wanted.push(tables::CHANNEL.key(cid));
        wanted.push(tables::CHANNEL_HEAD.key(cid));
    }
    let found = store.batch_get(&wanted).await?;
    let mut out = Vec::with_capacity(cids.len());
    for (cid, pair) in cids.iter().zip(found.chunks(2)) {
        let [rec, head] = pair else { continue };
        let Some(rec) = rec else { continue };
        let rec = tables::CHANNEL.decode(rec)?;
        let head = head
            .as_deref()
            .map(|h| tables::CHANNEL_HEAD.decode(h))
            .transpose()?
            .unwrap_or(0);
        let members = tables::members(store, *cid).await?;
        out.push((*cid, ChannelState { rec, members, head }));
    }
    Ok(out)
}
