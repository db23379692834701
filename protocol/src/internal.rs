//! Payloads services exchange over NATS (MessagePack, `Content-Type:
//! application/msgpack`): batches on the message stream and storage-backed RPCs.
//! Clients never see these.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::http::{
    ChannelListQuery, HistoryQuery, LoginRequest, Role, SignupRequest, UpdateProfileRequest,
};
use crate::{ApiError, ErrorCode};

/// One accepted send, as the edge puts it on the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSend {
    /// Id from idgen, assigned by the edge.
    pub message_id: u64,
    /// Destination channel.
    pub channel_id: u64,
    /// Author (authenticated by the edge).
    pub sender_id: u64,
    /// The author's id for this send: the key of dedupe.
    pub client_msg_id: String,
    /// The validated text.
    pub text: String,
    /// When the edge accepted it (ms since the Unix epoch).
    pub sent_at_ms: u64,
    /// The seq of the message of the same channel it replies to (kept only if that is
    /// a message of the channel when applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
    /// A copy of another message the sender could read, made by the edge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    /// Members the text mentions (`@username`), resolved by the edge when it accepted
    /// the send, so a replay decides the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<u64>,
    /// Files it carries, as the edge found them when it accepted the send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::ws::Attachment>,
}

/// One JetStream message of the work-queue stream of earlier versions
/// (`msg.<partition>.…`): read only to move what is left of it into the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendBatch {
    /// The sends in the order the edge accepted them.
    pub sends: Vec<StreamSend>,
}

/// One entry of a partition's log (stream `LOG`, subject `log.<partition>.…`): every
/// change to a channel goes through its partition's log in order, and the store is
/// the projection of the log. An entry carries everything its application decides
/// on that is not the partition's own state (the edge resolves it before appending),
/// so replaying the log from a checkpoint decides exactly as the first run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogEntry {
    /// A message sent by a member.
    Send(StreamSend),
    /// A change to a channel: group changes and read marks.
    Command(CommandEntry),
}

impl LogEntry {
    /// The channel the entry changes.
    pub fn channel_id(&self) -> u64 {
        match self {
            LogEntry::Send(s) => s.channel_id,
            LogEntry::Command(c) => c.channel_id,
        }
    }
}

/// A channel command in the log. Its outcome goes to `reply_to` once applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandEntry {
    /// Idempotency key (from idgen, by the edge): a command whose id was applied
    /// before is answered with the first outcome and not applied again.
    pub id: u64,
    /// When the edge accepted it (ms since the epoch): the time of every row and
    /// event it writes, so that a replay writes the same.
    pub at_ms: u64,
    /// The authenticated user acting.
    pub user_id: u64,
    /// The channel (for `CreateGroup`, the id the edge drew for it).
    pub channel_id: u64,
    /// What to do. Users it names were checked to exist by the edge.
    pub action: ChannelAction,
    /// Message ids for the system events the change appends (at most
    /// [`COMMAND_EVENT_IDS`]), drawn by the edge so a replay appends the same ones.
    pub event_ids: Vec<u64>,
    /// Core NATS subject for the outcome (an [`RpcReply`]), if someone waits.
    #[serde(default)]
    pub reply_to: Option<String>,
}

/// System events one command can append (a removal of the owner appends the
/// removal and the heir's new role).
pub const COMMAND_EVENT_IDS: usize = 2;

/// One JetStream message on the log: the entries an edge coalesced for one
/// partition while its previous write was in flight, in the order it accepted them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogBatch {
    /// The entries.
    pub entries: Vec<LogEntry>,
}

/// `cursor.<partition>`: devices' cursor moves in the partition's channels, applied
/// by the partition's owner (the only writer of its channels' cursors).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CursorMovesReq {
    /// (user, device, channel, seq): the device has everything up to seq.
    pub moves: Vec<(u64, String, u64, u64)>,
    /// The edge's signature of `moves` on this subject (`natter_nats::log_auth`,
    /// over the MessagePack encoding of `moves`): an owner moves no cursor that no
    /// edge vouched for.
    #[serde(default)]
    pub mac: Option<String>,
}

/// Most moves in one [`CursorMovesReq`] (keeps a request well under NATS's
/// payload limit).
pub const CURSOR_MOVES_MAX: usize = 2_000;

/// Encodes a NATS payload (MessagePack with field names, so fields can be added).
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Plain derived structs always serialize.
    rmp_serde::to_vec_named(value).unwrap_or_default()
}

/// Decodes a NATS payload.
///
/// # Errors
/// The payload is not MessagePack of the expected shape.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, rmp_serde::decode::Error> {
    rmp_serde::from_slice(bytes)
}

/// Reply to every RPC: the result or a client-facing error.
pub type RpcReply<T> = Result<T, ApiError>;

/// Decodes an RPC reply, mapping an undecodable one to `internal`.
pub fn decode_reply<T: DeserializeOwned>(bytes: &[u8]) -> RpcReply<T> {
    decode::<RpcReply<T>>(bytes).unwrap_or_else(|e| {
        Err(ApiError::new(
            ErrorCode::Internal,
            format!("bad rpc reply: {e}"),
        ))
    })
}

/// `rpc.account.signup`.
pub type SignupReq = SignupRequest;
/// `rpc.account.login`: replies with the profile when the password matches.
pub type LoginReq = LoginRequest;

/// `admin.users.create`: many accounts at once (benchmarks, imports).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkUsersReq {
    /// The accounts to make (at most [`BULK_USERS_MAX`]); existing usernames are
    /// left as they are and returned.
    pub users: Vec<BulkUser>,
    /// One password for all of them (hashed once).
    pub password: String,
}

/// Most accounts one [`BulkUsersReq`] may make.
pub const BULK_USERS_MAX: usize = 1000;

/// One account of a [`BulkUsersReq`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkUser {
    /// Username (as for sign-up).
    pub username: String,
    /// Display name (as for sign-up).
    pub display_name: String,
}

/// `rpc.user.get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserGetReq {
    /// Whose profile.
    pub user_id: u64,
    /// The user asks for their own: include their settings.
    #[serde(default)]
    pub own: bool,
}

/// `rpc.user.addable`: whether `adder` may put these users in a group (each has an
/// account, is below the channel cap, and, under the contacts-only policy, shares a
/// channel with the adder). Replies `()` or the first refusal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsersAddableReq {
    /// Who adds them (or creates the group).
    pub adder: u64,
    /// At most [`USERS_ADDABLE_MAX`] ids.
    pub user_ids: Vec<u64>,
    /// The adder joins too (a new group): the adder's own channel count is checked.
    pub adder_joins: bool,
    /// Only users who share a current channel with the adder may be added (the
    /// server's group-add policy).
    pub contacts_only: bool,
    /// The named users asked to be added (an accepted request): their privacy
    /// settings do not apply (blocks and limits do).
    #[serde(default)]
    pub requested: bool,
}

/// `rpc.user.contacts`: which of `others` share a current channel with `user_id`
/// (for presence visibility). Replies with those ids (and `user_id` itself, if
/// asked about).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactsReq {
    /// The viewer.
    pub user_id: u64,
    /// At most [`crate::limits::MAX_PRESENCE_WATCH`] ids.
    pub others: Vec<u64>,
    /// Only those who share a channel (the contacts-only presence policy); users who
    /// block the viewer are left out either way.
    #[serde(default = "yes")]
    pub contacts_only: bool,
}

fn yes() -> bool {
    true
}

/// Most ids one [`UsersAddableReq`] may ask about (a group's worth).
pub const USERS_ADDABLE_MAX: usize = 128;

/// `rpc.user.update`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserUpdateReq {
    /// The authenticated user (only one's own profile can be changed).
    pub user_id: u64,
    /// The change.
    pub update: UpdateProfileRequest,
}

/// `rpc.user.search`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSearchReq {
    /// Normalized (lowercase) username prefix.
    pub prefix: String,
    /// At most this many.
    pub limit: u32,
}

/// `rpc.channel.dm`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DmOpenReq {
    /// The authenticated user.
    pub user_id: u64,
    /// The other user.
    pub peer_id: u64,
    /// The other asked for it (an accepted request): their privacy setting does not
    /// apply.
    #[serde(default)]
    pub requested: bool,
}

/// `rpc.request.create`: `from` asks `to` to chat or to join `group`. Replies the
/// request (the one waiting, if `from` asked the same before).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatRequestReq {
    /// Who asks.
    pub from: u64,
    /// Whom.
    pub to: u64,
    /// The group; `None`: a 1:1 chat.
    pub group: Option<u64>,
}

/// `rpc.request.take`: the recipient's request `id`, removed when `remove` (after
/// accepting it, or to decline it). Replies the request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatRequestTakeReq {
    /// The recipient.
    pub user_id: u64,
    /// Which.
    pub id: u64,
    /// Remove it.
    pub remove: bool,
}

/// `rpc.channel.members`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MembersReq {
    /// Which channel.
    pub channel_id: u64,
}

/// Reply to `rpc.channel.members`; empty when the channel does not exist.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Members {
    /// Member user ids.
    pub user_ids: Vec<u64>,
    /// A 1:1 channel one of whose two blocks the other: nobody sends in it.
    #[serde(default)]
    pub blocked: bool,
    /// Group members muted, with until when (ms since the epoch).
    #[serde(default)]
    pub muted: Vec<(u64, u64)>,
}

/// `rpc.channel.history`, also used for sync pages and gap fill.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryReq {
    /// The authenticated user (a member; a former member sees up to their removal).
    pub user_id: u64,
    /// Which channel.
    pub channel_id: u64,
    /// Paging.
    pub query: HistoryQuery,
    /// Cut the page once its texts reach this many bytes (at least one message).
    #[serde(default)]
    pub max_bytes: Option<u32>,
}

/// The changes a [`CommandEntry`] can make. Group actions reply with the
/// [`crate::http::Channel`]; `Read` replies with the user's read seq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelAction {
    /// Create a group owned by the user (a retry with the same id returns it).
    CreateGroup {
        /// Name.
        name: String,
        /// Initial members besides the creator.
        members: Vec<u64>,
    },
    /// Rename a group.
    Rename {
        /// New name.
        name: String,
    },
    /// Add members to a group.
    AddMembers {
        /// Users to add.
        users: Vec<u64>,
    },
    /// Remove a member (oneself: leave).
    RemoveMember {
        /// Who.
        user: u64,
    },
    /// Change a member's role.
    SetRole {
        /// Whose.
        user: u64,
        /// To what.
        role: Role,
    },
    /// Move the user's read seq.
    Read {
        /// Read up to here.
        seq: u64,
    },
    /// Replace the text of the user's own message at `seq` (validated by the edge).
    /// Replies with the message as it now stands.
    Edit {
        /// The message.
        seq: u64,
        /// The new text.
        text: String,
    },
    /// Delete the message at `seq` for everyone. Replies with the tombstone.
    Delete {
        /// The message.
        seq: u64,
    },
    /// Pin (`pin: true`) or unpin the message at `seq`. Replies with the message as
    /// it now stands.
    Pin {
        /// The message.
        seq: u64,
        /// Pin (true) or unpin (false).
        pin: bool,
    },
    /// Add or remove the user's reaction to the message at `seq`. Replies with the
    /// message as it now stands.
    React {
        /// The message.
        seq: u64,
        /// The emoji, in canonical form (checked by the edge).
        emoji: String,
        /// Add (true) or remove (false).
        add: bool,
    },
    /// The media worker processed an attachment the user uploaded to the channel:
    /// kept, and announced as a channel event (the user is the uploader).
    AttachmentProcessed {
        /// The attachment as it now stands.
        attachment: crate::ws::Attachment,
    },
    /// An owner or admin bans (`ban: true`) or unbans a user of a group: a banned
    /// member is removed, and a banned user cannot be added again.
    Ban {
        /// Whom.
        user: u64,
        /// Ban (true) or lift (false).
        ban: bool,
    },
    /// An owner or admin mutes a member until `until_ms` (the edge's clock when the
    /// command was made, plus the mute's length; 0 lifts it): their sends appended
    /// before then are refused.
    MuteMember {
        /// Whom.
        user: u64,
        /// Until when (ms since the epoch); 0: unmuted.
        until_ms: u64,
    },
    /// An owner or admin makes an invite link (the edge drew the code and fixed the
    /// expiry). Replies the invite.
    CreateInvite {
        /// The code.
        code: String,
        /// When it stops working (ms since the epoch).
        expires_at_ms: u64,
        /// How many may join with it (0: no limit).
        max_uses: u32,
    },
    /// An owner or admin revokes an invite link.
    RevokeInvite {
        /// The code.
        code: String,
    },
    /// The user (not a member) joins the group with an invite's code.
    JoinByInvite {
        /// The code.
        code: String,
    },
    /// In a 1:1 channel, the user blocks (or unblocks) the other: while either
    /// blocks, nobody sends in it. No event: the other is not told.
    Block {
        /// Block (true) or unblock (false).
        block: bool,
    },
    /// The user's account is being erased (appended by a store worker, never an
    /// edge). `from_seq` 0 starts it in this channel: the user's later sends are
    /// refused, a group loses them as a member, a 1:1 channel takes no more sends,
    /// an `account_deleted` event is appended, and the first window is erased. A
    /// window erases the user's messages (text, edits, files, reactions) among seqs
    /// `from_seq ..` [`ERASE_WINDOW`] further (from 1 for the start). Replies where
    /// the next window starts (0: done), so a channel of fewer seqs than a window
    /// takes this one command.
    EraseAccount {
        /// 0 to start; else the first seq of the window to erase.
        from_seq: u64,
    },
    /// An owner or admin sets how long the group keeps messages (0: as long as the
    /// server does). Replies the group.
    SetRetention {
        /// Seconds.
        max_age_secs: u64,
    },
    /// Removes the channel's messages before `before_seq` (at most
    /// [`ERASE_WINDOW`] seqs from the current floor), appended by a store worker's
    /// retention sweep, which chose `before_seq` from the messages' times and the
    /// rules in force when it appended this: the owner only removes, so a replay
    /// removes the same. No event; replies the new floor.
    Expire {
        /// The first seq to keep.
        before_seq: u64,
    },
}

/// Seqs of a channel one [`ChannelAction::EraseAccount`] window covers: a bounded
/// read and write per command, however long the channel.
pub const ERASE_WINDOW: u64 = 1_000;

impl ChannelAction {
    /// The seq of the earlier message the action changes (edit, delete, reaction, pin).
    pub fn changes_message(&self) -> Option<u64> {
        match self {
            ChannelAction::Edit { seq, .. }
            | ChannelAction::Delete { seq }
            | ChannelAction::React { seq, .. }
            | ChannelAction::Pin { seq, .. } => Some(*seq),
            _ => None,
        }
    }
}

/// `media.jobs`: an uploaded image or audio file for the media worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaJob {
    /// The attachment.
    pub attachment_id: u64,
}

/// `rpc.media.refs`: which of these attachments a message (a forward included)
/// still carries; the media worker collects the others. At most
/// [`MAX_ATTACHMENT_REFS`] ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRefsReq {
    /// The attachments.
    pub ids: Vec<u64>,
}

/// Most ids in one [`AttachmentRefsReq`].
pub const MAX_ATTACHMENT_REFS: usize = 1000;

/// `media.processed`: the media worker's result, for an edge to announce in the
/// upload's channel (as the uploader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaProcessedReq {
    /// Who uploaded it.
    pub uploader: u64,
    /// The channel it was uploaded to.
    pub channel_id: u64,
    /// The attachment as it now stands.
    pub attachment: crate::ws::Attachment,
}

/// `rpc.channel.message` and `rpc.channel.edits`: one message of a channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageReq {
    /// The authenticated user (a member; a former member sees up to their removal).
    pub user_id: u64,
    /// Which channel.
    pub channel_id: u64,
    /// Which message.
    pub seq: u64,
}

/// `rpc.channel.get` and `rpc.channel.member_list`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelReq {
    /// The authenticated user (must be a member).
    pub user_id: u64,
    /// Which channel.
    pub channel_id: u64,
}

/// `rpc.channel.list`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelListReq {
    /// Whose channels.
    pub user_id: u64,
    /// Paging.
    pub query: ChannelListQuery,
}

/// `rpc.sync.start`: registers the device and returns where it stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncStartReq {
    /// The user.
    pub user_id: u64,
    /// The device.
    pub device_id: String,
}

/// Where one device stands in one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPosition {
    /// The channel.
    pub channel_id: u64,
    /// The device's cursor (last seq acked; 0 when never).
    pub cursor: u64,
    /// The last seq the user may see: the head, or the seq of their removal.
    pub head: u64,
}

/// Reply to `rpc.sync.start`: every channel the user belongs to, and those they left
/// whose removal event the device has not acked yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncPlan {
    /// One entry per channel.
    pub channels: Vec<SyncPosition>,
}

/// `presence-query.<shard>`: the presence of users of one shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PresenceQuery {
    /// Users (all in the shard the request is sent to).
    pub users: Vec<u64>,
}

/// The value of a device's key in a presence bucket (JSON, so `nats kv watch` reads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceBeat {
    /// The edge holding the device's socket.
    pub edge: String,
    /// When the edge wrote it (ms since the epoch).
    pub at: u64,
}

/// The value of an edge's key in the `edges` bucket (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeRecord {
    /// The edge's id.
    pub id: String,
    /// Base URL clients use for HTTP (`http(s)://host:port`).
    pub http_url: String,
    /// WebSocket URL (`ws(s)://host:port/v1/ws`).
    pub ws_url: String,
    /// Open sockets.
    pub connections: u64,
    /// Shutting down: give it no new clients.
    pub draining: bool,
    /// When written (ms since the epoch).
    pub at: u64,
}

/// One message that may call for push notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushJob {
    /// The channel.
    pub channel_id: u64,
    /// The message's seq.
    pub seq: u64,
    /// Its author (never notified).
    pub sender_id: u64,
    /// The start of its text.
    pub preview: String,
    /// Members to notify if they have no online device.
    pub recipients: Vec<u64>,
    /// Members it mentions (notified even where only mentions notify).
    #[serde(default)]
    pub mentions: Vec<u64>,
}

/// One JetStream message on `pushjobs.<partition>`: the jobs of one consumed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushBatch {
    /// The jobs.
    pub jobs: Vec<PushJob>,
}

/// `rpc.push.targets`: where to notify these (user, channel) pairs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushTargetsReq {
    /// (user, channel) pairs; muted ones are left out of the answer.
    pub pairs: Vec<(u64, u64)>,
    /// Users whose display names the notifications need.
    pub names_of: Vec<u64>,
    /// Channels whose names the notifications need (groups).
    pub channels: Vec<u64>,
    /// Pairs among `pairs` whose message mentions the user.
    #[serde(default)]
    pub mentioned: Vec<(u64, u64)>,
    /// The jobs' messages (channel, seq): those deleted since are named in the answer.
    #[serde(default)]
    pub messages: Vec<(u64, u64)>,
}

/// `rpc.user.ids`: the ids of accounts by username.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserIdsReq {
    /// Lowercased usernames (at most [`crate::limits::MAX_MENTIONS`]).
    pub usernames: Vec<String>,
}

/// One device to notify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushDevice {
    /// Its user.
    pub user_id: u64,
    /// For which channel.
    pub channel_id: u64,
    /// The device.
    pub device_id: String,
    /// Where to.
    pub target: crate::http::PushTarget,
}

/// Reply to `rpc.push.targets`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PushTargets {
    /// Devices to notify.
    pub devices: Vec<PushDevice>,
    /// Display names asked for.
    pub names: Vec<(u64, String)>,
    /// Group names asked for (1:1 channels are left out).
    pub channel_names: Vec<(u64, String)>,
    /// Pairs whose user wants only mentions notified: a device in `devices` for one
    /// of them gets only the messages that mention its user.
    #[serde(default)]
    pub mentions_only: Vec<(u64, u64)>,
    /// Messages of `messages` deleted for everyone while their push was queued: not
    /// to be sent.
    #[serde(default)]
    pub deleted: Vec<(u64, u64)>,
}

/// `rpc.device.push`: set or clear a device's push target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevicePushReq {
    /// The user.
    pub user_id: u64,
    /// The device.
    pub device_id: String,
    /// The target; `None` clears it.
    pub push: Option<crate::http::PushTarget>,
}

/// `rpc.channel.mute`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MuteReq {
    /// The user (must be a member).
    pub user_id: u64,
    /// The channel.
    pub channel_id: u64,
    /// Muted or not.
    pub muted: bool,
    /// The notification level (`muted` is read only when this is absent: edges
    /// before it sent `muted` alone).
    #[serde(default)]
    pub level: Option<crate::http::NotifyLevel>,
}

/// `admin.channel.inspect`: one channel as the store holds it (operators only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminChannelReq {
    /// Which channel.
    pub channel_id: u64,
}

/// Reply to `admin.channel.inspect`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminChannel {
    /// The channel (kind, name, members, creation time).
    pub channel: crate::http::Channel,
    /// Seq of its latest stored message (0: none yet).
    pub head_seq: u64,
    /// Its members with roles.
    pub members: Vec<crate::http::Member>,
}

/// `admin.log.applied`: how far each partition's log is applied (operators only).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdminLogAppliedReq {}

/// Reply to `admin.log.applied`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminLogApplied {
    /// Per partition: the stream sequence of the last log entry applied to the store.
    pub applied: Vec<(u32, u64)>,
}

/// `admin.user.inspect`: a user's devices and their cursors (operators only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminUserReq {
    /// Which user.
    pub user_id: u64,
}

/// One device of [`AdminUser`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminDevice {
    /// The device's id.
    pub device_id: String,
    /// When it first connected or registered (ms since the epoch).
    pub registered_at: u64,
    /// Its push platform, if it registered a target (the token is not shown).
    pub push_platform: Option<crate::http::PushPlatform>,
    /// Per channel: the device's cursor and the last seq it may get.
    pub positions: Vec<SyncPosition>,
}

/// Reply to `admin.user.inspect`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminUser {
    /// The profile.
    pub profile: crate::http::Profile,
    /// Every registered device.
    pub devices: Vec<AdminDevice>,
}

/// `rpc.session.open`: records a session (a login) of a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionOpenReq {
    /// Whose.
    pub user_id: u64,
    /// The session id (in the token).
    pub session_id: u64,
    /// What logged in (`User-Agent`, cut to 120 characters).
    pub agent: String,
    /// When (ms since the epoch).
    pub at_ms: u64,
}

/// `rpc.session.touch`: a session was used (a socket opened); recorded at most once a
/// minute. Replies `()`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionTouchReq {
    /// Whose.
    pub user_id: u64,
    /// Which session.
    pub session_id: u64,
    /// When (ms since the epoch).
    pub at_ms: u64,
}

/// `rpc.session.list`: a user's sessions opened after `since_ms` (older ones have
/// expired with their tokens).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionListReq {
    /// Whose.
    pub user_id: u64,
    /// Sessions opened before this are gone (ms since the epoch).
    pub since_ms: u64,
    /// The asking token's session (marked `current`).
    pub current: u64,
}

/// `rpc.session.end`: forgets one session of a user, or all of them. Replies `()`;
/// the edge has already put the revocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionEndReq {
    /// Whose.
    pub user_id: u64,
    /// Which (None: every one).
    pub session_id: Option<u64>,
}

/// `rpc.user.password`: changes a user's password after checking the current one.
/// Replies the profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordChangeReq {
    /// Whose.
    pub user_id: u64,
    /// The password now.
    pub current_password: String,
    /// The new one.
    pub new_password: String,
}

/// `rpc.user.erase`: deletes a user's account after checking their password.
/// Replies [`crate::http::AccountDeletion`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountEraseReq {
    /// Whose.
    pub user_id: u64,
    /// The password now.
    pub password: String,
}

/// `admin.user.erase`: deletes an account on the user's request to an operator
/// (audited). Replies [`crate::http::AccountDeletion`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminEraseReq {
    /// Which user (by username).
    pub username: String,
    /// Why (kept in the audit log).
    pub reason: String,
    /// Who does it (kept in the audit log).
    pub operator: String,
}

/// `admin.user.suspend`: suspends (or lifts the suspension of) an account. Replies
/// the user id; the operator's tool then ends the account's sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminSuspendReq {
    /// Which user (by username).
    pub username: String,
    /// Suspend (true) or lift (false).
    pub suspend: bool,
    /// Why (kept in the audit log).
    pub reason: String,
    /// Who does it (the operator's name, kept in the audit log).
    pub operator: String,
}

/// One operator action, as kept in the audit log (append-only: no API changes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When (ms since the epoch).
    pub at_ms: u64,
    /// Who (the operator's name as given to `natter admin --operator`).
    pub operator: String,
    /// What (`suspend`, `unsuspend`, …).
    pub action: String,
    /// On what (`user:<id>`, `channel:<id>/<seq>`, …).
    pub target: String,
    /// Why, as the operator said.
    pub detail: String,
}

/// `admin.audit.list`: the newest audit entries first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminAuditReq {
    /// At most this many (≤ 1000).
    pub limit: u32,
}

/// `rpc.user.block`: `user_id` blocks (or unblocks) `other`. Replies their 1:1
/// channel's id, if they have one (the edge then appends the block to it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockReq {
    /// Who blocks.
    pub user_id: u64,
    /// Whom.
    pub other: u64,
    /// Block (true) or unblock (false).
    pub block: bool,
}

/// Most users one user may block.
pub const MAX_BLOCKS: usize = 1000;

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportTarget {
    /// A message, as the reporter saw it when reporting.
    Message(Box<crate::ws::MessageEvent>),
    /// A user, as their profile stood when reported.
    User(crate::http::Profile),
}

/// `rpc.report.create`: keeps a report (the edge read the content as the reporter
/// may see it). Replies the report's id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportCreateReq {
    /// Who reports.
    pub reporter: u64,
    /// What, with its content as it was.
    pub target: ReportTarget,
    /// Why.
    pub reason: crate::http::ReportReason,
    /// The reporter's words.
    pub note: String,
}

/// How an operator closed a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// When (ms since the epoch).
    pub at_ms: u64,
    /// Who.
    pub operator: String,
    /// What was done (`dismissed`, `message_deleted`, `suspended`, …).
    pub action: String,
    /// Why.
    pub note: String,
}

/// A report as operators see it (`natter admin reports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Id (time-ordered).
    pub id: u64,
    /// When (ms since the epoch).
    pub at_ms: u64,
    /// Who reported.
    pub reporter: u64,
    /// What, with its content as it was.
    pub target: ReportTarget,
    /// Why.
    pub reason: crate::http::ReportReason,
    /// The reporter's words.
    pub note: String,
    /// Set once an operator closed it.
    pub resolved: Option<Resolution>,
}

/// `admin.reports.list`: reports, newest first (an audited read).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminReportsReq {
    /// Only those not resolved.
    pub open_only: bool,
    /// At most this many (≤ 1000).
    pub limit: u32,
    /// Who reads them (kept in the audit log).
    pub operator: String,
}

/// `admin.reports.resolve`: closes a report (audited). Replies the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminResolveReq {
    /// Which report.
    pub id: u64,
    /// Who.
    pub operator: String,
    /// What was done.
    pub action: String,
    /// Why.
    pub note: String,
}

/// How long a report is kept (from when it was made), resolved or not: the one
/// exception to an account's erasure, documented in docs/operations.md.
pub const REPORT_RETENTION_DAYS: u64 = 365;

/// The user id in an operator's command (no account has it: ids are snowflakes).
pub const OPERATOR: u64 = 0;

/// `admin.message.delete`: an operator deletes a message for everyone (audited).
/// Replies the tombstone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminMessageDeleteReq {
    /// The channel.
    pub channel_id: u64,
    /// The message.
    pub seq: u64,
    /// Who (kept in the audit log).
    pub operator: String,
    /// Why (kept in the audit log).
    pub reason: String,
}
