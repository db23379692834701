//! The key schema.
//!
//! A key is a one-byte table tag followed by big-endian fixed-width integers
//! (and, for string-keyed tables, raw UTF-8), so lexicographic byte order equals
//! logical order and a prefix scan over `tag ++ id` returns exactly that id's rows.
//! IDs and seqs are `u64`, partitions `u32`.
//!
//! | tag    | table               | layout                                   |
//! |--------|---------------------|------------------------------------------|
//! | `0x01` | user                | `uid`                                    |
//! | `0x02` | username            | lowercased username (UTF-8)              |
//! | `0x03` | dm pair             | `min(a, b)` `max(a, b)`                  |
//! | `0x04` | channel             | `cid`                                    |
//! | `0x05` | channel member      | `cid` `uid`                              |
//! | `0x06` | user's channel      | `uid` `cid`                              |
//! | `0x07` | channel head        | `cid`                                    |
//! | `0x08` | message             | `cid` `seq`                              |
//! | `0x09` | send dedupe         | `sender_uid` client message id (UTF-8)   |
//! | `0x0A` | partition applied   | `partition` (u32)                        |
//! | `0x0B` | partition fence     | `partition` (u32)                        |
//! | `0x0C` | read seq            | `uid` `cid`                              |
//! | `0x0D` | device cursor       | `uid` device id (UTF-8) `0x00` `cid`     |
//! | `0x0E` | device              | `uid` device id (UTF-8)                  |
//! | `0x0F` | muted channel       | `uid` `cid`                              |
//! | `0x10` | log applied         | `partition` (u32)                        |
//! | `0x11` | command applied     | `cid` `command id`                       |
//!
//! Device ids never contain `0x00` (they are 1–64 of `A-Z a-z 0-9 - _ . :`), so the
//! `0x00` after one ends it: one device's cursors never share a prefix with another's.

use crate::kv::ScanRange;

/// Tag of user records: `user(uid)`.
pub const TAG_USER: u8 = 0x01;
/// Tag of the lowercased-username index: `username(name)`.
pub const TAG_USERNAME: u8 = 0x02;
/// Tag of the direct-message pair index: `dm_pair(a, b)`.
pub const TAG_DM_PAIR: u8 = 0x03;
/// Tag of channel records: `channel(cid)`.
pub const TAG_CHANNEL: u8 = 0x04;
/// Tag of channel membership rows: `member(cid, uid)`.
pub const TAG_MEMBER: u8 = 0x05;
/// Tag of the per-user channel list: `user_channel(uid, cid)`.
pub const TAG_USER_CHANNEL: u8 = 0x06;
/// Tag of per-channel head (last seq) records: `channel_head(cid)`.
pub const TAG_CHANNEL_HEAD: u8 = 0x07;
/// Tag of messages: `message(cid, seq)`.
pub const TAG_MESSAGE: u8 = 0x08;
/// Tag of send-dedupe records: `dedupe(sender, client_msg_id)`.
pub const TAG_DEDUPE: u8 = 0x09;
/// Tag of per-partition applied-offset records: `partition_applied(p)`.
pub const TAG_PARTITION_APPLIED: u8 = 0x0A;
/// Tag of per-partition writer fences: `partition_fence(p)`.
pub const TAG_PARTITION_FENCE: u8 = 0x0B;

/// Tag of per-user read seqs: `read_seq(uid, cid)`.
pub const TAG_READ_SEQ: u8 = 0x0C;
/// Tag of per-device sync cursors: `device_cursor(uid, device, cid)`.
pub const TAG_DEVICE_CURSOR: u8 = 0x0D;
/// Tag of device registrations: `device(uid, device)`.
pub const TAG_DEVICE: u8 = 0x0E;

/// Tag of muted channels: `mute(uid, cid)`.
pub const TAG_MUTE: u8 = 0x0F;

/// Tag of each partition's applied log position: `log_applied(p)`.
pub const TAG_LOG_APPLIED: u8 = 0x10;
/// Tag of applied channel commands and their outcomes: `command(cid, id)`.
pub const TAG_COMMAND: u8 = 0x11;
/// Tag of a channel's pinned messages: `pins(cid)`.
pub const TAG_PINS: u8 = 0x12;
/// Tag of messages a user deleted for themselves: `hidden(uid, cid, seq)`.
pub const TAG_HIDDEN: u8 = 0x13;
/// Tag of the highest seq any device of a user acked in a channel: `delivered(uid, cid)`.
pub const TAG_DELIVERED: u8 = 0x14;
/// Tag of the messages that mention a user: `mention(uid, cid, seq)`.
pub const TAG_MENTION: u8 = 0x15;
/// Tag of channels a user gets notified of for mentions only: `mentions_only(uid, cid)`.
pub const TAG_MENTIONS_ONLY: u8 = 0x16;
/// Tag of attachments as the media worker left them: `attachment(id)`.
pub const TAG_ATTACHMENT: u8 = 0x17;
/// Tag of the messages that carry an attachment: `attachment_ref(id, cid, seq)`.
pub const TAG_ATTACHMENT_REF: u8 = 0x18;
/// Tag of a user's sessions: `session(uid, sid)`.
pub const TAG_SESSION: u8 = 0x19;
/// Tag of the operators' audit log: `audit(id)` (time-ordered ids).
pub const TAG_AUDIT: u8 = 0x1A;
/// Tag of blocks: `block(blocker, blocked)`.
pub const TAG_BLOCK: u8 = 0x1B;
/// Tag of users' reports: `report(id)` (time-ordered ids).
pub const TAG_REPORT: u8 = 0x1C;
/// Tag of account erasures in progress: `erasure(uid)`.
pub const TAG_ERASURE: u8 = 0x1D;
/// Tag of chat requests waiting for their recipient: `chat_request(to, id)`.
pub const TAG_CHAT_REQUEST: u8 = 0x1E;

fn tagged(tag: u8, capacity: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + capacity);
    k.push(tag);
    k
}

fn tag_u64(tag: u8, a: u64) -> Vec<u8> {
    let mut k = tagged(tag, 8);
    k.extend_from_slice(&a.to_be_bytes());
    k
}

fn tag_u64_u64(tag: u8, a: u64, b: u64) -> Vec<u8> {
    let mut k = tagged(tag, 16);
    k.extend_from_slice(&a.to_be_bytes());
    k.extend_from_slice(&b.to_be_bytes());
    k
}

fn tag_u32(tag: u8, a: u32) -> Vec<u8> {
    let mut k = tagged(tag, 4);
    k.extend_from_slice(&a.to_be_bytes());
    k
}

/// Key of the user record for `uid`.
pub fn user(uid: u64) -> Vec<u8> {
    tag_u64(TAG_USER, uid)
}

/// Key of the username index entry; pass the already-lowercased name.
pub fn username(lowercased: &str) -> Vec<u8> {
    let mut k = tagged(TAG_USERNAME, lowercased.len());
    k.extend_from_slice(lowercased.as_bytes());
    k
}

/// Prefix for searching usernames starting with `p` (same bytes as [`username`]).
pub fn username_prefix(p: &str) -> Vec<u8> {
    username(p)
}

/// Key of the DM channel between `a` and `b`; order-insensitive.
pub fn dm_pair(a: u64, b: u64) -> Vec<u8> {
    tag_u64_u64(TAG_DM_PAIR, a.min(b), a.max(b))
}

/// Key of the channel record for `cid`.
pub fn channel(cid: u64) -> Vec<u8> {
    tag_u64(TAG_CHANNEL, cid)
}

/// Key of `uid`'s membership row in channel `cid`.
pub fn member(cid: u64, uid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_MEMBER, cid, uid)
}

/// Prefix of all membership rows of channel `cid`.
pub fn members_of(cid: u64) -> Vec<u8> {
    tag_u64(TAG_MEMBER, cid)
}

/// Key of channel `cid` in `uid`'s channel list.
pub fn user_channel(uid: u64, cid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_USER_CHANNEL, uid, cid)
}

/// Prefix of all channels of user `uid`.
pub fn channels_of(uid: u64) -> Vec<u8> {
    tag_u64(TAG_USER_CHANNEL, uid)
}

/// Key of the head (latest seq) record of channel `cid`.
pub fn channel_head(cid: u64) -> Vec<u8> {
    tag_u64(TAG_CHANNEL_HEAD, cid)
}

/// Key of message `seq` in channel `cid`.
pub fn message(cid: u64, seq: u64) -> Vec<u8> {
    tag_u64_u64(TAG_MESSAGE, cid, seq)
}

/// Prefix of all messages of channel `cid`.
pub fn messages_of(cid: u64) -> Vec<u8> {
    tag_u64(TAG_MESSAGE, cid)
}

/// Messages of `cid` with `from_seq_inclusive <= seq < to_seq_exclusive`, ascending.
pub fn message_range(cid: u64, from_seq_inclusive: u64, to_seq_exclusive: u64) -> ScanRange {
    ScanRange::between(
        message(cid, from_seq_inclusive),
        message(cid, to_seq_exclusive),
    )
}

/// Key of the dedupe record for a client-chosen message id from `sender_uid`.
pub fn dedupe(sender_uid: u64, client_msg_id: &str) -> Vec<u8> {
    let mut k = tag_u64(TAG_DEDUPE, sender_uid);
    k.extend_from_slice(client_msg_id.as_bytes());
    k
}

/// Key of the last applied offset of partition `p`.
pub fn partition_applied(p: u32) -> Vec<u8> {
    tag_u32(TAG_PARTITION_APPLIED, p)
}

/// Key of the position in the partition log (stream `LOG`) up to which partition
/// `p` is applied to the store. (`partition_applied` is the same for the work-queue
/// stream of earlier versions, read only while migrating from it.)
pub fn log_applied(p: u32) -> Vec<u8> {
    tag_u32(TAG_LOG_APPLIED, p)
}

/// Key of the record of command `id` applied to channel `cid` (its outcome).
pub fn command(cid: u64, id: u64) -> Vec<u8> {
    tag_u64_u64(TAG_COMMAND, cid, id)
}

/// Key of the writer fence (owner epoch) of partition `p`.
pub fn partition_fence(p: u32) -> Vec<u8> {
    tag_u32(TAG_PARTITION_FENCE, p)
}

/// Key of `uid`'s read seq in channel `cid`.
pub fn read_seq(uid: u64, cid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_READ_SEQ, uid, cid)
}

/// Prefix of all sync cursors of one device of `uid`.
pub fn device_cursors_of(uid: u64, device: &str) -> Vec<u8> {
    let mut k = tag_u64(TAG_DEVICE_CURSOR, uid);
    k.extend_from_slice(device.as_bytes());
    k.push(0);
    k
}

/// Key of one device's sync cursor in channel `cid`.
pub fn device_cursor(uid: u64, device: &str, cid: u64) -> Vec<u8> {
    let mut k = device_cursors_of(uid, device);
    k.extend_from_slice(&cid.to_be_bytes());
    k
}

/// Key of the registration of device `device` of `uid`.
pub fn device(uid: u64, device: &str) -> Vec<u8> {
    let mut k = tag_u64(TAG_DEVICE, uid);
    k.extend_from_slice(device.as_bytes());
    k
}

/// Prefix of all devices of `uid`.
pub fn devices_of(uid: u64) -> Vec<u8> {
    tag_u64(TAG_DEVICE, uid)
}

/// Key marking channel `cid` muted by `uid`.
pub fn mute(uid: u64, cid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_MUTE, uid, cid)
}

/// Key of the highest seq any device of `uid` acked in `cid`.
pub fn delivered(uid: u64, cid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_DELIVERED, uid, cid)
}

/// Key of message `seq` of `cid` mentioning `uid` (a channel's mentions of a user
/// are ordered by seq).
pub fn mention(uid: u64, cid: u64, seq: u64) -> Vec<u8> {
    let mut k = tag_u64_u64(TAG_MENTION, uid, cid);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Key of `uid`'s "mentions only" setting for `cid`.
pub fn mentions_only(uid: u64, cid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_MENTIONS_ONLY, uid, cid)
}

/// Key of an attachment as processed (written by its upload channel's owner).
pub fn attachment(id: u64) -> Vec<u8> {
    tag_u64(TAG_ATTACHMENT, id)
}

/// Key of the row saying message `seq` of `cid` carries attachment `id`.
pub fn attachment_ref(id: u64, cid: u64, seq: u64) -> Vec<u8> {
    let mut k = tag_u64_u64(TAG_ATTACHMENT_REF, id, cid);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Prefix of the messages that carry attachment `id`.
pub fn attachment_refs(id: u64) -> Vec<u8> {
    tag_u64(TAG_ATTACHMENT_REF, id)
}

/// Key of session `sid` of `uid`.
pub fn session(uid: u64, sid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_SESSION, uid, sid)
}

/// Prefix of all sessions of `uid`.
pub fn sessions_of(uid: u64) -> Vec<u8> {
    tag_u64(TAG_SESSION, uid)
}

/// Key of `blocker`'s block of `blocked`.
pub fn block(blocker: u64, blocked: u64) -> Vec<u8> {
    tag_u64_u64(TAG_BLOCK, blocker, blocked)
}

/// Prefix of every block `blocker` holds.
pub fn blocks_of(blocker: u64) -> Vec<u8> {
    tag_u64(TAG_BLOCK, blocker)
}

/// Key of report `id`.
pub fn report(id: u64) -> Vec<u8> {
    tag_u64(TAG_REPORT, id)
}

/// Prefix of every report.
pub fn reports_all() -> Vec<u8> {
    vec![TAG_REPORT]
}

/// Key of the erasure of account `uid` (while its channels are being erased).
pub fn erasure(uid: u64) -> Vec<u8> {
    tag_u64(TAG_ERASURE, uid)
}

/// Prefix of every erasure in progress.
pub fn erasures_all() -> Vec<u8> {
    vec![TAG_ERASURE]
}

/// Key of chat request `id` to user `to`.
pub fn chat_request(to: u64, id: u64) -> Vec<u8> {
    tag_u64_u64(TAG_CHAT_REQUEST, to, id)
}

/// Prefix of every chat request waiting for user `to`.
pub fn chat_requests_to(to: u64) -> Vec<u8> {
    tag_u64(TAG_CHAT_REQUEST, to)
}

/// Key of audit entry `id` (a snowflake: in time order).
pub fn audit(id: u64) -> Vec<u8> {
    tag_u64(TAG_AUDIT, id)
}

/// Prefix of the whole audit log.
pub fn audit_all() -> Vec<u8> {
    vec![TAG_AUDIT]
}

/// Key of a channel's pinned messages (one row: the list).
pub fn pins(cid: u64) -> Vec<u8> {
    tag_u64(TAG_PINS, cid)
}

/// Key of a message `uid` deleted for themselves.
pub fn hidden(uid: u64, cid: u64, seq: u64) -> Vec<u8> {
    let mut k = tag_u64_u64(TAG_HIDDEN, uid, cid);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Prefix of the messages `uid` hid in `cid`, ordered by seq.
pub fn hidden_in(uid: u64, cid: u64) -> Vec<u8> {
    tag_u64_u64(TAG_HIDDEN, uid, cid)
}

/// The last 8 bytes of `key` as a big-endian u64 (cid of a user_channel key,
/// uid of a member key, seq of a message key); `None` if the key is shorter.
pub fn trailing_u64(key: &[u8]) -> Option<u64> {
    let tail = key.len().checked_sub(8).map(|at| &key[at..])?;
    tail.try_into().ok().map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_keys_order_by_seq() {
        let seqs = [0u64, 1, 255, 256, 65_535, 65_536, u64::MAX];
        for w in seqs.windows(2) {
            assert!(message(7, w[0]) < message(7, w[1]), "{} < {}", w[0], w[1]);
        }
        // Channel dominates seq.
        assert!(message(1, u64::MAX) < message(2, 0));
    }

    #[test]
    fn dm_pair_is_symmetric() {
        assert_eq!(dm_pair(3, 900), dm_pair(900, 3));
        assert_ne!(dm_pair(3, 900), dm_pair(3, 901));
        assert_eq!(dm_pair(5, 5).len(), 17);
    }

    #[test]
    fn prefixes_do_not_bleed_into_neighbours() {
        let r1 = ScanRange::prefix(channels_of(1));
        assert!(r1.contains(&user_channel(1, 0)));
        assert!(r1.contains(&user_channel(1, u64::MAX)));
        assert!(!r1.contains(&user_channel(256, 1)));
        assert!(!r1.contains(&user_channel(0, u64::MAX)));
        assert!(!r1.contains(&user_channel(2, 0)));
        let m = ScanRange::prefix(members_of(1));
        assert!(!m.contains(&member(256, 1)));
        assert!(!m.contains(&user_channel(1, 1)));
        let msgs = ScanRange::prefix(messages_of(u64::MAX));
        assert!(msgs.contains(&message(u64::MAX, 3)));
        assert!(!msgs.contains(&dedupe(0, "")));
    }

    #[test]
    fn device_cursors_do_not_bleed_between_devices() {
        let a = ScanRange::prefix(device_cursors_of(1, "phone"));
        assert!(a.contains(&device_cursor(1, "phone", 0)));
        assert!(a.contains(&device_cursor(1, "phone", u64::MAX)));
        // "phone" is a prefix of "phone2", but the 0x00 terminator keeps them apart.
        assert!(!a.contains(&device_cursor(1, "phone2", 5)));
        assert!(!a.contains(&device_cursor(2, "phone", 5)));
        assert_eq!(trailing_u64(&device_cursor(1, "phone", 42)), Some(42));
        assert_eq!(trailing_u64(&read_seq(1, 42)), Some(42));
    }

    #[test]
    fn message_range_bounds() {
        let r = message_range(9, 10, 20);
        assert!(r.contains(&message(9, 10)));
        assert!(r.contains(&message(9, 19)));
        assert!(!r.contains(&message(9, 20)));
        assert!(!r.contains(&message(9, 9)));
    }

    #[test]
    fn trailing_ids_decode() {
        assert_eq!(trailing_u64(&user_channel(1, 42)), Some(42));
        assert_eq!(trailing_u64(&member(42, 7)), Some(7));
        assert_eq!(trailing_u64(&message(42, 65_536)), Some(65_536));
        assert_eq!(trailing_u64(&[1, 2, 3]), None);
    }

    #[test]
    fn tags_and_layouts() {
        assert_eq!(user(1)[0], TAG_USER);
        assert_eq!(username("ann"), b"\x02ann".to_vec());
        assert_eq!(username_prefix("an"), b"\x02an".to_vec());
        assert!(username("ann").starts_with(&username_prefix("an")));
        assert_eq!(channel(1)[0], TAG_CHANNEL);
        assert_eq!(channel_head(1)[0], TAG_CHANNEL_HEAD);
        assert_eq!(dedupe(1, "x").len(), 10);
        assert_eq!(
            partition_applied(3),
            vec![TAG_PARTITION_APPLIED, 0, 0, 0, 3]
        );
        assert_eq!(partition_fence(3), vec![TAG_PARTITION_FENCE, 0, 0, 0, 3]);
        assert_eq!(log_applied(3), vec![TAG_LOG_APPLIED, 0, 0, 0, 3]);
        assert_eq!(command(1, 2)[0], TAG_COMMAND);
        assert_eq!(command(1, 2).len(), 17);
    }
}
