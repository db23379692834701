//! Every NATS subject Natter uses: a documented pattern constant and its formatter.
//!
//! | subject | carries | who publishes | who listens |
//! | --- | --- | --- | --- |
//! | `log.<partition>.<channel_id>` | a batch of log entries (sends, channel commands) for one channel (JetStream stream `LOG`) | edge | the store worker owning the partition |
//! | `log.<partition>.multi` | a batch of log entries for several channels of one partition | edge | same |
//! | `msg.<partition>.…` | the work-queue stream `MSGS` of earlier versions, drained into the log on first start | (edges of earlier versions) | the owner, once |
//! | `user.<user_id>.e` | events for one user's devices (core NATS) | store worker | edges with that user's sockets (`user.<user_id>.>`) |
//! | `user.<user_id>.t` | typing notices for one user (only typing events are relayed from it) | edge | same |
//! | `rpc.<service>.<method>` | storage-backed request/reply | edge | store workers, queue group `store-worker` |
//! | `admin.<what>.<method>` | operator requests (bulk accounts) | admin tools (`natter bench`) | store workers, queue group `store-worker` |
//! | `cursor.<partition>` | devices' cursor moves in the partition's channels (request/reply) | edge | the store worker owning the partition, queue group `partition-owner` |
//! | `<inbox>` (an edge's `_INBOX_edge.…`) | the outcome of a channel command, once applied | store worker | the edge that appended it |
//! | `membership.<channel_id>` | "this channel's members changed" (core NATS) | store worker | every edge (membership caches) |
//! | `presence.<user_id>` | a user went online / offline (JSON `presence` event) | presence watcher | edges with sockets watching that user |
//! | `pushjobs.<partition>` | messages that may need push notifications (JetStream work queue `PUSH`) | store worker | push workers |
//! | `push.dead.<platform>` | notifications given up on (JSON) | push worker | operators |
//! | `presence-query.<shard>` | current presence of users of a shard (request/reply) | edge | presence watcher of the shard, queue group `presence` |
//!
//! KV keys: presence buckets hold `<user_id>.<device>` ([`presence_key`]); the edges
//! bucket holds edge ids; affinity and last-seen buckets hold user ids. A bucket's
//! keys are the subjects `$KV.<bucket>.<key>` ([`kv_put`], [`kv_subjects`], [`kv_key`])
//! of its stream (`KV_<bucket>`, [`crate::layout::kv_stream_name`]).

/// Subjects of the partition log: every partition, every channel.
pub const LOG_ALL: &str = "log.>";
/// Last token of a log subject whose batch spans several channels.
pub const MULTI_CHANNEL_TOKEN: &str = "multi";

/// `log.<partition>.<channel_id>`: a batch of log entries for one channel.
pub fn channel_log(partition: u32, channel_id: u64) -> String {
    format!("log.{partition}.{channel_id}")
}

/// `log.<partition>.multi`: a batch of log entries for several channels of one partition.
pub fn partition_log_multi(partition: u32) -> String {
    format!("log.{partition}.{MULTI_CHANNEL_TOKEN}")
}

/// `log.<partition>.>`: every entry of one partition (its owner's filter, and the
/// filter of a trim below a checkpoint).
pub fn partition_log(partition: u32) -> String {
    format!("log.{partition}.>")
}

/// Subjects of the work-queue stream of earlier versions (`MSGS`).
pub const LEGACY_MESSAGES_ALL: &str = "msg.>";

/// `msg.<partition>.>`: one partition of the earlier work-queue stream.
pub fn legacy_partition_filter(partition: u32) -> String {
    format!("msg.{partition}.>")
}

/// Pattern of per-user event subjects (for `nats sub 'user.>'`).
pub const USER_EVENTS_ALL: &str = "user.>";

/// `user.<user_id>.>`: what an edge subscribes to for a user's sockets: the
/// events store workers publish ([`user_events`]) and typing notices from edges
/// ([`user_typing`]), in one subscription.
pub fn user_all(user_id: u64) -> String {
    format!("user.{user_id}.>")
}

/// `user.<user_id>.e`: events for every device of one user, published by store
/// workers only (edges may not: nats/config/auth.conf).
pub fn user_events(user_id: u64) -> String {
    format!("user.{user_id}.e")
}

/// `user.<user_id>.t`: typing notices for one user, the only user subject an edge
/// may publish to; an edge relays only `typing` events from it.
pub fn user_typing(user_id: u64) -> String {
    format!("user.{user_id}.t")
}

/// Whether `subject` is a [`user_typing`] subject.
pub fn is_user_typing(subject: &str) -> bool {
    subject.starts_with("user.") && subject.ends_with(".t")
}

/// `cursor.<partition>`: cursor moves in the channels of a partition, applied by its owner.
pub fn partition_cursors(partition: u32) -> String {
    format!("cursor.{partition}")
}

/// Queue group of partition owners' subscriptions (only the owner subscribes; the
/// group guards against two during a hand-over).
pub const OWNER_QUEUE_GROUP: &str = "partition-owner";

/// Every membership-change notice (edges subscribe to all).
pub const MEMBERSHIP_ALL: &str = "membership.>";

/// `membership.<channel_id>`: the members of a channel changed.
pub fn membership_changed(channel_id: u64) -> String {
    format!("membership.{channel_id}")
}

/// The channel id of a `membership.<channel_id>` subject.
pub fn parse_membership_changed(subject: &str) -> Option<u64> {
    subject.strip_prefix("membership.")?.parse().ok()
}

/// Subjects of the push job stream.
pub const PUSH_JOBS_ALL: &str = "pushjobs.>";

/// `pushjobs.<partition>`: push jobs from the store worker of a partition.
pub fn push_jobs(partition: u32) -> String {
    format!("pushjobs.{partition}")
}

/// `push.dead.<platform>`: notifications given up on (JSON), for inspection.
pub fn push_dead_letter(platform: &str) -> String {
    format!("push.dead.{platform}")
}

/// Every presence change (for `nats sub 'presence.>'`).
pub const PRESENCE_ALL: &str = "presence.>";

/// `presence.<user_id>`: one user's presence changes.
pub fn presence_changes(user_id: u64) -> String {
    format!("presence.{user_id}")
}

/// `presence-query.<shard>`: current presence of users of one shard.
pub fn presence_query(shard: u32) -> String {
    format!("presence-query.{shard}")
}

/// Queue group of presence watchers answering queries.
pub const PRESENCE_QUEUE_GROUP: &str = "presence";

/// KV key of one device's presence: `<user_id>.<device>`, with the device id's `.`
/// and `:` (not allowed, or token separators, in KV keys) written as `=2E` / `=3A`.
pub fn presence_key(user_id: u64, device: &str) -> String {
    let mut k = format!("{user_id}.");
    for c in device.chars() {
        match c {
            '.' => k.push_str("=2E"),
            ':' => k.push_str("=3A"),
            c => k.push(c),
        }
    }
    k
}

/// `$KV.<bucket>.<key>`: the subject a KV put goes to (for puts with a per-key TTL,
/// which the KV API does not offer).
pub fn kv_put(bucket: &str, key: &str) -> String {
    format!("$KV.{bucket}.{key}")
}

/// `$KV.<bucket>.<prefix>.>`: the subjects of every key of `bucket` under `<prefix>.`
/// (a filter on the bucket's stream).
pub fn kv_subjects(bucket: &str, prefix: &str) -> String {
    format!("$KV.{bucket}.{prefix}.>")
}

/// The key a `$KV.<bucket>.<key>` subject of `bucket` is for.
pub fn kv_key<'a>(bucket: &str, subject: &'a str) -> Option<&'a str> {
    subject
        .strip_prefix("$KV.")?
        .strip_prefix(bucket)?
        .strip_prefix('.')
}

/// The user id of a presence key.
pub fn presence_key_user(key: &str) -> Option<u64> {
    key.split_once('.')?.0.parse().ok()
}

/// Queue group that store workers answer RPCs in, so each request reaches one worker.
pub const RPC_QUEUE_GROUP: &str = "store-worker";
/// Every storage-backed RPC.
pub const RPC_ALL: &str = "rpc.>";

/// Operator requests to store workers (queue group [`RPC_QUEUE_GROUP`]); only the
/// admin NATS user may publish them, edges may not.
pub mod admin {
    /// Every admin subject.
    pub const ALL: &str = "admin.>";
    /// Create many accounts in one request.
    pub const USERS_CREATE: &str = "admin.users.create";
    /// One channel as stored: head seq and members.
    pub const CHANNEL_INSPECT: &str = "admin.channel.inspect";
    /// One user's devices and their cursors.
    pub const USER_INSPECT: &str = "admin.user.inspect";
    /// How far each partition's log is applied to the store.
    pub const LOG_APPLIED: &str = "admin.log.applied";
    /// Suspend or unsuspend an account (audited).
    pub const USER_SUSPEND: &str = "admin.user.suspend";
    /// Delete an account on its user's request (audited).
    pub const USER_ERASE: &str = "admin.user.erase";
    /// The operators' audit log, newest first.
    pub const AUDIT_LIST: &str = "admin.audit.list";
    /// Users' reports, newest first.
    pub const REPORTS_LIST: &str = "admin.reports.list";
    /// Close a report.
    pub const REPORT_RESOLVE: &str = "admin.reports.resolve";
    /// Delete a message for everyone, as an operator.
    pub const MESSAGE_DELETE: &str = "admin.message.delete";
}

/// The media worker's jobs and results (outside `rpc.>`, which store workers answer).
pub mod media {
    /// Jobs on the MEDIA work-queue stream: one per uploaded image or audio file.
    pub const JOBS: &str = "media.jobs";
    /// A processed attachment, announced by an edge (queue group [`EDGES`]) as its
    /// channel's event.
    pub const PROCESSED: &str = "media.processed";
    /// Queue group the edges answer [`PROCESSED`] in.
    pub const EDGES: &str = "edges";
}

/// Storage-backed request/reply subjects (edge → store worker).
pub mod rpc {
    /// Create an account.
    pub const SIGNUP: &str = "rpc.account.signup";
    /// Check a username and password.
    pub const LOGIN: &str = "rpc.account.login";
    /// Read a user's profile.
    pub const USER_GET: &str = "rpc.user.get";
    /// Account ids by username (mentions).
    pub const USER_IDS: &str = "rpc.user.ids";
    /// Whether some users may be put in a group (accounts, channel cap, group-add
    /// policy; checked before a group change is appended to the log).
    pub const USERS_ADDABLE: &str = "rpc.user.addable";
    /// Which users share a channel with a user (presence visibility).
    pub const USER_CONTACTS: &str = "rpc.user.contacts";
    /// Update one's own profile.
    pub const USER_UPDATE: &str = "rpc.user.update";
    /// Find users by username prefix.
    pub const USER_SEARCH: &str = "rpc.user.search";
    /// Get or create the 1:1 channel of two users.
    pub const DM_OPEN: &str = "rpc.channel.dm";
    /// List a channel's members (for the edge's membership cache).
    pub const CHANNEL_MEMBERS: &str = "rpc.channel.members";
    /// Read a page of a channel's history.
    pub const HISTORY: &str = "rpc.channel.history";
    /// One message of a channel, as it now stands.
    pub const MESSAGE_GET: &str = "rpc.channel.message";
    /// Where a channel's other members stand (receipts).
    pub const RECEIPTS: &str = "rpc.channel.receipts";
    /// Delete a message for oneself.
    pub const HIDE: &str = "rpc.channel.hide";
    /// Which attachments messages still carry (the media worker's collection).
    pub const ATTACHMENT_REFS: &str = "rpc.media.refs";
    /// A channel's pinned messages.
    pub const PINS: &str = "rpc.channel.pins";
    /// One message's versions (its edits).
    pub const MESSAGE_EDITS: &str = "rpc.channel.edits";
    /// One channel as a member sees it.
    pub const CHANNEL_GET: &str = "rpc.channel.get";
    /// A channel's members with roles.
    pub const MEMBER_LIST: &str = "rpc.channel.member_list";
    /// The user's channels by last activity.
    pub const CHANNEL_LIST: &str = "rpc.channel.list";
    /// Register a device and get its cursors and the heads.
    pub const SYNC_START: &str = "rpc.sync.start";
    /// Push targets of (user, channel) pairs, with the names a notification shows.
    pub const PUSH_TARGETS: &str = "rpc.push.targets";
    /// Set or clear a device's push target.
    pub const DEVICE_PUSH: &str = "rpc.device.push";
    /// A user's devices with their push targets.
    pub const DEVICE_LIST: &str = "rpc.device.list";
    /// Mute or unmute a channel for a user.
    pub const CHANNEL_MUTE: &str = "rpc.channel.mute";
    /// Record a session (a login).
    pub const SESSION_OPEN: &str = "rpc.session.open";
    /// Record that a session was used.
    pub const SESSION_TOUCH: &str = "rpc.session.touch";
    /// A user's sessions.
    pub const SESSION_LIST: &str = "rpc.session.list";
    /// Forget one session of a user, or all.
    pub const SESSION_END: &str = "rpc.session.end";
    /// Change a user's password (the current one checked).
    pub const PASSWORD_CHANGE: &str = "rpc.user.password";
    /// Delete a user's account (the password checked).
    pub const ACCOUNT_ERASE: &str = "rpc.user.erase";
    /// Block or unblock a user.
    pub const BLOCK_SET: &str = "rpc.user.block";
    /// The users a user blocks.
    pub const BLOCK_LIST: &str = "rpc.user.blocks";
    /// A group's open invites.
    pub const INVITE_LIST: &str = "rpc.channel.invites";
    /// Make a chat request.
    pub const REQUEST_CREATE: &str = "rpc.request.create";
    /// A user's waiting chat requests.
    pub const REQUEST_LIST: &str = "rpc.request.list";
    /// One waiting chat request (removed, to decline or once accepted).
    pub const REQUEST_TAKE: &str = "rpc.request.take";
    /// Keep a user's report.
    pub const REPORT_CREATE: &str = "rpc.report.create";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_readable_and_partitioned() {
        assert_eq!(channel_log(3, 42), "log.3.42");
        assert_eq!(partition_log_multi(3), "log.3.multi");
        assert_eq!(partition_log(3), "log.3.>");
        assert_eq!(legacy_partition_filter(3), "msg.3.>");
        assert_eq!(partition_cursors(3), "cursor.3");
        assert_eq!(user_events(7), "user.7.e");
        assert_eq!(user_typing(7), "user.7.t");
        assert_eq!(user_all(7), "user.7.>");
        assert!(is_user_typing(&user_typing(7)) && !is_user_typing(&user_events(7)));
        assert_eq!(membership_changed(9), "membership.9");
        assert_eq!(parse_membership_changed("membership.9"), Some(9));
        assert_eq!(parse_membership_changed("membership.x"), None);
        assert_eq!(presence_key(7, "a.b:c-d_e"), "7.a=2Eb=3Ac-d_e");
        assert_eq!(presence_key_user("7.a=2Eb"), Some(7));
        assert_eq!(presence_changes(7), "presence.7");
        assert_eq!(presence_query(2), "presence-query.2");
        assert_eq!(kv_put("presence_1", "7.d"), "$KV.presence_1.7.d");
        assert_eq!(kv_subjects("presence_1", "7"), "$KV.presence_1.7.>");
        assert_eq!(kv_key("presence_1", "$KV.presence_1.7.d"), Some("7.d"));
        assert_eq!(kv_key("presence_1", "$KV.presence_10.7.d"), None);
        assert_eq!(kv_key("presence_1", "msg.1.2"), None);
    }
}
