//! Typed access to the store: each table's key declared with the type of its value,
//! so a read decodes into the record its key holds; the one scan of a channel's
//! members; and what a client is told when the store fails.
//!
//! The key layouts are `natter_store::keys`; the records are [`crate::records`].

use std::collections::BTreeMap;
use std::marker::PhantomData;

use natter_protocol::{ApiError, ErrorCode};
use natter_store::{ScanRange, Store, StoreError, WriteBatch, keys, value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::records::{
    ChannelRecord, ChatRequestRecord, CommandRecord, DedupeRecord, DeviceRecord, ErasureRecord,
    LogApplied, MemberRecord, MessageRecord, SessionRecord, UserChannelRecord, UserRecord,
};

/// Most members read for one channel: groups hold at most 100, so this leaves room
/// without paging.
const MEMBERS_SCAN_LIMIT: usize = 1_000;

/// One table: how its key is made from a `K`, and the type `V` of its values.
pub(crate) struct Table<K: ?Sized, V> {
    key: fn(&K) -> Vec<u8>,
    value: PhantomData<fn() -> V>,
}

impl<K: ?Sized, V: Serialize + DeserializeOwned> Table<K, V> {
    const fn new(key: fn(&K) -> Vec<u8>) -> Self {
        Self {
            key,
            value: PhantomData,
        }
    }

    /// The key of row `k`.
    pub(crate) fn key(&self, k: &K) -> Vec<u8> {
        (self.key)(k)
    }

    /// Row `k`'s value, decoded (`None`: no such row).
    pub(crate) async fn get(&self, store: &dyn Store, k: &K) -> Result<Option<V>, StoreError> {
        store
            .get(&self.key(k))
            .await?
            .map(|b| self.decode(&b))
            .transpose()
    }

    /// Rows `ks`' values, in order, in one batch read.
    pub(crate) async fn get_many<'k>(
        &self,
        store: &dyn Store,
        ks: impl IntoIterator<Item = &'k K>,
    ) -> Result<Vec<Option<V>>, StoreError>
    where
        K: 'k,
    {
        let keys: Vec<Vec<u8>> = ks.into_iter().map(|k| self.key(k)).collect();
        store
            .batch_get(&keys)
            .await?
            .into_iter()
            .map(|v| v.map(|b| self.decode(&b)).transpose())
            .collect()
    }

    /// `batch` with row `k` set to `v`.
    pub(crate) fn put(&self, batch: WriteBatch, k: &K, v: &V) -> WriteBatch {
        batch.put(self.key(k), self.encode(v))
    }

    /// A value of this table, encoded for a write.
    pub(crate) fn encode(&self, v: &V) -> Vec<u8> {
        value::encode(v)
    }

    /// A value of this table as read (by a batch read or a scan).
    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<V, StoreError> {
        value::decode(bytes)
    }
}

/// Accounts by user id.
pub(crate) const USER: Table<u64, UserRecord> = Table::new(|u| keys::user(*u));
/// User ids by lowercased username.
pub(crate) const USERNAME: Table<str, u64> = Table::new(keys::username);
/// The 1:1 channel of a pair of users (either order).
pub(crate) const DM_PAIR: Table<(u64, u64), u64> = Table::new(|&(a, b)| keys::dm_pair(a, b));
/// Channels by id.
pub(crate) const CHANNEL: Table<u64, ChannelRecord> = Table::new(|c| keys::channel(*c));
/// A channel's last seq (absent: no message yet).
pub(crate) const CHANNEL_HEAD: Table<u64, u64> = Table::new(|c| keys::channel_head(*c));
/// Membership rows: (channel, user).
pub(crate) const MEMBER: Table<(u64, u64), MemberRecord> = Table::new(|&(c, u)| keys::member(c, u));
/// A user's channels, current and left: (user, channel).
pub(crate) const USER_CHANNEL: Table<(u64, u64), UserChannelRecord> =
    Table::new(|&(u, c)| keys::user_channel(u, c));
/// Messages: (channel, seq).
pub(crate) const MESSAGE: Table<(u64, u64), MessageRecord> =
    Table::new(|&(c, s)| keys::message(c, s));
/// What a send was stored as: (sender, client_msg_id).
pub(crate) const DEDUPE: Table<(u64, String), DedupeRecord> =
    Table::new(|(u, id)| keys::dedupe(*u, id));
/// Channel commands applied: (channel, command id).
pub(crate) const COMMAND: Table<(u64, u64), CommandRecord> =
    Table::new(|&(c, id)| keys::command(c, id));
/// How far a partition's log is applied.
pub(crate) const LOG_APPLIED: Table<u32, LogApplied> = Table::new(|p| keys::log_applied(*p));
/// The epoch of a partition's current owner (its writes are fenced on it).
pub(crate) const PARTITION_FENCE: Table<u32, u64> = Table::new(|p| keys::partition_fence(*p));
/// The seq a user has read up to: (user, channel).
pub(crate) const READ_SEQ: Table<(u64, u64), u64> = Table::new(|&(u, c)| keys::read_seq(u, c));
/// A device's sync cursor: (user, device, channel).
pub(crate) const DEVICE_CURSOR: Table<(u64, String, u64), u64> =
    Table::new(|(u, d, c)| keys::device_cursor(*u, d, *c));
/// When a user muted a channel: (user, channel).
pub(crate) const MUTE: Table<(u64, u64), u64> = Table::new(|&(u, c)| keys::mute(u, c));
/// How far an earlier version's work-queue partition was applied (read once, to
/// migrate it).
pub(crate) const LEGACY_PARTITION_APPLIED: Table<u32, u64> =
    Table::new(|p| keys::partition_applied(*p));
/// The highest seq any device of a user acked in a channel: (user, channel).
pub(crate) const DELIVERED: Table<(u64, u64), u64> = Table::new(|&(u, c)| keys::delivered(u, c));
/// Messages that mention a user: (user, channel, seq) → when sent.
pub(crate) const MENTION: Table<(u64, u64, u64), u64> =
    Table::new(|&(u, c, s)| keys::mention(u, c, s));
/// Channels a user is notified of for mentions only: (user, channel) → since when.
pub(crate) const MENTIONS_ONLY: Table<(u64, u64), u64> =
    Table::new(|&(u, c)| keys::mentions_only(u, c));
/// A channel's pinned messages, in pin order: (seq, by, at).
pub(crate) const PINS: Table<u64, Vec<(u64, u64, u64)>> = Table::new(|c| keys::pins(*c));
/// Messages a user deleted for themselves: (user, channel, seq) → when.
pub(crate) const HIDDEN: Table<(u64, u64, u64), u64> =
    Table::new(|&(u, c, s)| keys::hidden(u, c, s));
/// Attachments as the media worker processed them: id → attachment. Messages
/// sent before that show it through this row (filled in when read).
pub(crate) const ATTACHMENT: Table<u64, natter_protocol::ws::Attachment> =
    Table::new(|id| keys::attachment(*id));
/// Messages that carry an attachment (forwards too): (attachment, channel, seq) →
/// when sent. Gone when the message is deleted; an attachment without any is the
/// media worker's to collect.
pub(crate) const ATTACHMENT_REF: Table<(u64, u64, u64), u64> =
    Table::new(|&(a, c, s)| keys::attachment_ref(a, c, s));
/// A user's sessions: (user, session).
pub(crate) const SESSION: Table<(u64, u64), SessionRecord> =
    Table::new(|&(u, s)| keys::session(u, s));
/// Blocks: (blocker, blocked) → since (ms).
pub(crate) const BLOCK: Table<(u64, u64), u64> = Table::new(|&(a, b)| keys::block(a, b));
/// Users' reports, by id (time-ordered), with the content as it was.
pub(crate) const REPORT: Table<u64, natter_protocol::internal::Report> =
    Table::new(|id| keys::report(*id));
/// The operators' audit log, by entry id (append-only).
pub(crate) const AUDIT: Table<u64, natter_protocol::internal::AuditEntry> =
    Table::new(|id| keys::audit(*id));
/// Chat requests waiting for their recipient: (recipient, id).
pub(crate) const CHAT_REQUEST: Table<(u64, u64), ChatRequestRecord> =
    Table::new(|&(to, id)| keys::chat_request(to, id));
/// Account erasures in progress, by user.
pub(crate) const ERASURE: Table<u64, ErasureRecord> = Table::new(|u| keys::erasure(*u));
/// A user's devices: (user, device).
pub(crate) const DEVICE: Table<(u64, String), DeviceRecord> =
    Table::new(|(u, d)| keys::device(*u, d));

/// A channel's members with their rows, by user id (empty if it does not exist).
pub(crate) async fn members(
    store: &dyn Store,
    channel_id: u64,
) -> Result<BTreeMap<u64, MemberRecord>, StoreError> {
    let rows = store
        .scan(
            ScanRange::prefix(keys::members_of(channel_id)),
            MEMBERS_SCAN_LIMIT,
        )
        .await?;
    let mut members = BTreeMap::new();
    for (k, v) in rows {
        if let Some(uid) = keys::trailing_u64(&k) {
            members.insert(uid, value::decode(&v)?);
        }
    }
    Ok(members)
}

/// Maps a store failure to what a client is told.
pub(crate) fn store_err(e: StoreError) -> ApiError {
    tracing::warn!(error = %e, "store error");
    if e.retryable() {
        ApiError::new(ErrorCode::Unavailable, "store unavailable, retry")
    } else {
        ApiError::new(ErrorCode::Internal, "store error")
    }
}
