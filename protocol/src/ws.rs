//! The WebSocket protocol: client operations and server events.
//!
//! Web clients use JSON text frames; mobile clients may use MessagePack binary frames
//! with the same shapes (`?format=msgpack` at connect picks the format of server
//! frames; a client frame's own type says how to decode it). Every op is an object
//! with an `op` field, every event an object with a `type` field.

use serde::{Deserialize, Serialize};

use crate::{ApiError, ErrorCode, ids};

/// An operation sent by a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ClientOp {
    /// Send a text message to a channel.
    Send {
        /// Channel to send to (the caller must be a member).
        #[serde(with = "ids")]
        channel: u64,
        /// Client-chosen id; resending the same id never creates a second message.
        client_msg_id: String,
        /// The text: 1 to 99,999 Unicode scalar values (`""` for a forward).
        text: String,
        /// Reply to the message at this seq of the same channel.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
        /// Forward this message (of a channel the sender is a member of) instead of
        /// sending a text: its text is copied, marked forwarded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forward: Option<MessageRef>,
        /// Ids of files the sender uploaded to this channel (at most 10); the text is
        /// then an optional caption (`""` for none).
        #[serde(default, with = "ids::vec", skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<u64>,
    },
    /// Application-level heartbeat; answered with `pong`.
    Ping {},
    /// This device has shown everything of `channel` up to `seq`: moves the device's
    /// sync cursor (never backwards). Not answered.
    Ack {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// Highest seq the device has.
        seq: u64,
    },
    /// The user has read `channel` up to `seq` (on any device): moves the user's read
    /// seq (never backwards); every device of the user gets a `read` event.
    Read {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// Highest seq read.
        seq: u64,
    },
    /// Watch the presence of these users (at most 500 per connection in all): the
    /// current state of each comes at once as a `presence` event, then every change.
    PresenceSubscribe {
        /// Users to watch.
        #[serde(with = "ids::vec")]
        users: Vec<u64>,
    },
    /// Stop watching these users.
    PresenceUnsubscribe {
        /// Users to stop watching.
        #[serde(with = "ids::vec")]
        users: Vec<u64>,
    },
    /// The user is typing in `channel`: the channel's other online members get a
    /// `typing` event. Never stored. Send at most every few seconds while typing.
    Typing {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
    },
    /// Replace the text of one's own message (same rules as a send's text). Every
    /// member gets a `message_edited` event; failures come back as an `error` with
    /// this op's `op_id`.
    Edit {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The message's seq.
        seq: u64,
        /// The new text.
        text: String,
        /// Client-chosen id echoed in the `error` frame if the op fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op_id: Option<String>,
    },
    /// Delete a message for everyone (its author, or a group's owner or admin): its
    /// text is erased and a `message_deleted` event goes to every member.
    Delete {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The message's seq.
        seq: u64,
        /// Client-chosen id echoed in the `error` frame if the op fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op_id: Option<String>,
    },
    /// Pin (`pin: true`) or unpin a message of the channel (a group's owner or admin;
    /// either side of a 1:1 channel). Every member gets `message_pinned` /
    /// `message_unpinned`.
    Pin {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The message's seq.
        seq: u64,
        /// Pin (true) or unpin (false).
        pin: bool,
        /// Client-chosen id echoed in the `error` frame if the op fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op_id: Option<String>,
    },
    /// Delete a message for oneself only: hidden on all of the user's devices (a
    /// `hidden` event to each), shown to nobody else differently.
    Hide {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The message's seq.
        seq: u64,
        /// Client-chosen id echoed in the `error` frame if the op fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op_id: Option<String>,
    },
    /// Add (`add: true`) or remove one's reaction to a message: one per emoji per user.
    React {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The message's seq.
        seq: u64,
        /// One emoji.
        emoji: String,
        /// Add (true) or remove (false).
        add: bool,
        /// Client-chosen id echoed in the `error` frame if the op fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op_id: Option<String>,
    },
}

/// A message of some channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageRef {
    /// The channel.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub channel: u64,
    /// The message's seq.
    pub seq: u64,
}

/// The ops a client may send, for telling `unknown_op` from a malformed known op.
pub const KNOWN_OPS: &[&str] = &[
    "send",
    "ping",
    "ack",
    "read",
    "typing",
    "presence_subscribe",
    "presence_unsubscribe",
    "edit",
    "delete",
    "react",
    "pin",
    "hide",
];

#[derive(Deserialize)]
struct OpProbe {
    #[serde(default)]
    op: Option<serde_json::Value>,
}

impl ClientOp {
    /// Decodes a JSON text frame, classifying failures as `invalid_frame` or `unknown_op`.
    ///
    /// # Errors
    /// An [`ApiError`] to send back as an error frame.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        serde_json::from_slice(bytes).map_err(|e| {
            let probe = serde_json::from_slice::<OpProbe>(bytes).ok();
            classify(probe.and_then(|p| p.op), e.to_string())
        })
    }

    /// Decodes a MessagePack binary frame, classifying failures like [`Self::from_json`].
    ///
    /// # Errors
    /// An [`ApiError`] to send back as an error frame.
    pub fn from_msgpack(bytes: &[u8]) -> Result<Self, ApiError> {
        msgpack_shallow::<Self>(bytes).map_err(|e| {
            let probe = msgpack_shallow::<OpProbe>(bytes).ok();
            classify(probe.and_then(|p| p.op), e.to_string())
        })
    }
}

/// Deepest nesting a client's MessagePack frame may have: ops are a map of scalars
/// and lists, a few levels deep. rmp-serde's own limit (1,024) is deeper than a
/// socket task's stack survives in a debug build (700 levels overflowed it).
/// JSON frames are bounded by serde_json's recursion limit (128).
const MAX_MSGPACK_DEPTH: usize = 16;

/// Decodes MessagePack no deeper than [`MAX_MSGPACK_DEPTH`].
fn msgpack_shallow<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, rmp_serde::decode::Error> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_MSGPACK_DEPTH);
    T::deserialize(&mut de)
}

fn classify(op: Option<serde_json::Value>, detail: String) -> ApiError {
    match op {
        None => ApiError::new(
            ErrorCode::InvalidFrame,
            format!("not an op object: {detail}"),
        ),
        Some(serde_json::Value::String(op)) if !KNOWN_OPS.contains(&op.as_str()) => {
            ApiError::new(ErrorCode::UnknownOp, format!("unknown op {op:?}"))
        }
        Some(_) => ApiError::new(ErrorCode::InvalidFrame, detail),
    }
}

/// A message as clients see it, live and in history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageEvent {
    /// Channel the message belongs to.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub channel: u64,
    /// Position in the channel: 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Globally unique, time-ordered id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub message_id: u64,
    /// Author's user id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub sender: u64,
    /// The author's id for this send (lets the author's devices match their acks).
    pub client_msg_id: String,
    /// The text.
    pub text: String,
    /// When the edge accepted it, in milliseconds since the Unix epoch.
    pub sent_at: u64,
    /// Set on system events (membership and group changes, and changes to earlier
    /// messages), whose `text` and `client_msg_id` are empty and whose `sender` is
    /// the user who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemEvent>,
    /// When the text was last edited (ms since the epoch); absent if never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<u64>,
    /// How many times the text was edited (absent: never).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub edits: u32,
    /// Set when the message was deleted for everyone (its `text` is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deletion>,
    /// Reactions, in the order each emoji was first added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Set while the message is pinned in its channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Pinned>,
    /// The message this one replies to, as it now stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// A forwarded copy of another message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    /// Members the text mentions (`@username`, resolved when it was sent).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>))]
    #[serde(default, with = "ids::vec", skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<u64>,
    /// The reader deleted it for themselves (or it is a change to such a message):
    /// nothing of it is shown, its seq keeps its place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Files it carries (none once deleted); fetch one with
    /// `GET /v1/channels/{channel}/messages/{seq}/attachments/{id}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// What kind of file an attachment is, from its bytes (not the client's word).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// JPEG, PNG, WebP or GIF: shown inline.
    Image,
    /// Audio (a voice note): played inline.
    Audio,
    /// Anything else: downloaded, never shown inline.
    #[default]
    File,
}

/// A file carried by a message, as uploaded and checked by the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// Its id (from the upload).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub id: u64,
    /// Image, audio or file.
    pub kind: AttachmentKind,
    /// The content type found in its bytes (`application/octet-stream` if unknown).
    pub content_type: String,
    /// The file name the uploader gave (cleaned of paths and control characters).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The media worker has looked at it: an image's metadata (EXIF, with any
    /// location) is stripped and its thumbnail made. An image's bytes are served only
    /// once this is set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub processed: bool,
    /// Pixels across (images, once processed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixels down (images, once processed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Length in milliseconds (audio, once processed, when its container says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// A thumbnail exists (JPEG, at most 320 pixels on its longer side): ask for its
    /// link with `?thumbnail=true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thumbnail: bool,
    /// A BlurHash of the image to draw while it loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

impl Attachment {
    /// How a notification or a quote names it: "Photo", "Voice message", "File: a.pdf".
    pub fn describe(&self) -> String {
        match self.kind {
            AttachmentKind::Image => "Photo".into(),
            AttachmentKind::Audio => "Voice message".into(),
            AttachmentKind::File => format!("File: {}", self.name),
        }
    }
}

/// A replied-to message as a reply shows it: always its current state (an edit
/// shows, a deletion leaves no text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    /// Its seq in the same channel.
    pub seq: u64,
    /// Its author.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub sender: u64,
    /// The first 100 characters of its current text (empty once deleted).
    pub preview: String,
    /// Deleted for everyone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Who deleted a message for everyone, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deletion {
    /// The user who deleted it (its author, or a group owner or admin).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub by: u64,
    /// When (ms since the epoch).
    pub at: u64,
}

/// Who pinned a message, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pinned {
    /// The user who pinned it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(with = "ids")]
    pub by: u64,
    /// When (ms since the epoch).
    pub at: u64,
}

/// One emoji's reactions to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reaction {
    /// The emoji (canonical form).
    pub emoji: String,
    /// How many users reacted with it.
    pub count: u32,
    /// Who, in the order they reacted.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>))]
    #[serde(with = "ids::vec")]
    pub users: Vec<u64>,
}

/// A change to a group, kept in its history as a seq'd message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SystemEvent {
    /// The group was created (seq 1) with these members, its creator included.
    GroupCreated {
        /// The group's name.
        name: String,
        /// Every initial member.
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>))]
        #[serde(with = "ids::vec")]
        members: Vec<u64>,
    },
    /// Users were added.
    MembersAdded {
        /// The new members.
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>))]
        #[serde(with = "ids::vec")]
        users: Vec<u64>,
    },
    /// A member was removed by an owner or admin (`sender`). The removed user gets
    /// this event and nothing after it.
    MemberRemoved {
        /// Who was removed.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        #[serde(with = "ids")]
        user: u64,
    },
    /// An owner or admin (`sender`) banned `user`: removed if a member (they get
    /// this event and nothing after it), and kept from rejoining until unbanned.
    MemberBanned {
        /// Who.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        #[serde(with = "ids")]
        user: u64,
    },
    /// An owner or admin (`sender`) lifted `user`'s ban (they may be added again).
    MemberUnbanned {
        /// Who.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        #[serde(with = "ids")]
        user: u64,
    },
    /// An owner or admin (`sender`) muted `user` until `until` (ms since the epoch;
    /// 0: unmuted): they cannot send in the group until then.
    MemberMuted {
        /// Who.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        #[serde(with = "ids")]
        user: u64,
        /// Until when (0: the mute was lifted).
        until: u64,
    },
    /// A member left (`sender` == `user`).
    MemberLeft {
        /// Who left.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        #[serde(with = "ids")]
        user: u64,
    },
    /// The group was renamed.
    Renamed {
        /// The new name.
        name: String,
    },
    /// A member's role changed (also when ownership passes on because the owner left).
    RoleChanged {
        /// Whose role.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        #[serde(with = "ids")]
        user: u64,
        /// The new role.
        role: crate::http::Role,
    },
    /// The author (`sender`) edited the message at `seq`: its text is now `text`.
    /// Apply it only if `edit` is above the message's `edits` (a history page may
    /// already show a later edit). Erased (empty `text`) once the message is deleted.
    MessageEdited {
        /// The edited message's seq.
        seq: u64,
        /// The new text.
        text: String,
        /// Which edit this is (1 for the first).
        edit: u32,
    },
    /// The message at `seq` was deleted for everyone by `sender`: drop its text,
    /// reactions and edits, show a tombstone.
    MessageDeleted {
        /// The deleted message's seq.
        seq: u64,
    },
    /// `sender` pinned the message at `seq` in the channel.
    MessagePinned {
        /// The message's seq.
        seq: u64,
    },
    /// `sender` unpinned the message at `seq` (a deletion unpins without this event).
    MessageUnpinned {
        /// The message's seq.
        seq: u64,
    },
    /// `sender` reacted to the message at `seq` with `emoji`.
    ReactionAdded {
        /// The message's seq.
        seq: u64,
        /// The emoji.
        emoji: String,
    },
    /// `sender` took back their `emoji` reaction to the message at `seq`.
    ReactionRemoved {
        /// The message's seq.
        seq: u64,
        /// The emoji.
        emoji: String,
    },
    /// The media worker processed a file `sender` uploaded: replace the attachment
    /// with this `id` in every message of the channel that carries it (thumbnail,
    /// size, dimensions or duration are now known).
    AttachmentProcessed {
        /// The attachment as it now stands.
        attachment: Attachment,
    },
    /// `user` (the `sender`) deleted their account: show each of their messages in
    /// the channel as a tombstone ("deleted account"), drop their reactions; in a
    /// group they are no longer a member. History already shows this.
    AccountDeleted {
        /// Whose account.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        #[serde(with = "ids")]
        user: u64,
    },
    /// `sender` (owner or admin) set how long the group keeps messages.
    RetentionChanged {
        /// Seconds (0: as long as the server keeps them).
        max_age_secs: u64,
    },
}

impl SystemEvent {
    /// The seq of the earlier message this event changes, if it changes one.
    pub fn target(&self) -> Option<u64> {
        match self {
            SystemEvent::MessageEdited { seq, .. }
            | SystemEvent::MessageDeleted { seq }
            | SystemEvent::MessagePinned { seq }
            | SystemEvent::MessageUnpinned { seq }
            | SystemEvent::ReactionAdded { seq, .. }
            | SystemEvent::ReactionRemoved { seq, .. } => Some(*seq),
            _ => None,
        }
    }
}

/// An event sent by the server.
// Built, encoded and dropped (or decoded and matched) once per frame; a box around
// the message would cost an allocation per event for stack space nobody keeps.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// First frame of every connection.
    Hello {
        /// The protocol version the server speaks ([`crate::PROTOCOL_VERSION`]);
        /// absent from servers before it was sent, which spoke version 1.
        #[serde(default = "first_protocol")]
        protocol: u32,
        /// The authenticated user.
        #[serde(with = "ids")]
        user_id: u64,
        /// This connection's device id (the client's, or one the edge assigned).
        device_id: String,
        /// Limits the client should respect.
        max_text_chars: usize,
        /// Largest frame the edge reads.
        max_frame_bytes: usize,
    },
    /// A send is durable (JetStream acked it); it will be delivered.
    Ack {
        /// The send's client_msg_id.
        client_msg_id: String,
        /// The message id assigned to this send.
        #[serde(with = "ids")]
        message_id: u64,
        /// The channel sent to.
        #[serde(with = "ids")]
        channel: u64,
    },
    /// A message in one of the user's channels (including the user's own).
    Message(MessageEvent),
    /// Someone asks the user to chat or to join a group (`GET /v1/requests` lists
    /// those waiting; accept or decline there).
    ChatRequest(crate::http::ChatRequest),
    /// Answer to `ping`.
    Pong {},
    /// How far another member of a channel got with the user's messages: `read`
    /// (their read seq) or `delivered` (the highest seq one of their devices acked).
    /// Sent only to authors of messages it covers, coalesced; never when the reader
    /// or the author has read receipts off.
    Receipt {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The member.
        #[serde(with = "ids")]
        user: u64,
        /// They have read everything up to this seq.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read: Option<u64>,
        /// A device of theirs has everything up to this seq.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivered: Option<u64>,
    },
    /// The user deleted a message for themselves (on this or another device): hide it.
    Hidden {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The message's seq.
        seq: u64,
    },
    /// The user's read seq of a channel moved (a `read` op on any of their devices).
    Read {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// The user's read seq now.
        seq: u64,
    },
    /// Another member is typing in a channel (ephemeral).
    Typing {
        /// The channel.
        #[serde(with = "ids")]
        channel: u64,
        /// Who is typing.
        #[serde(with = "ids")]
        user: u64,
    },
    /// A watched user's presence (the current state at subscription, then changes).
    Presence(crate::http::Presence),
    /// This edge is shutting down: reconnect through `GET /v1/discover` (the socket
    /// is closed soon after with code 1012).
    Reconnect {
        /// Why (`draining`).
        reason: String,
    },
    /// Catch-up is over: every message after this device's cursors, as of connect,
    /// has been sent. Live events follow.
    Synced {
        /// Channels that had messages to catch up on.
        channels: u64,
        /// Messages sent during catch-up.
        messages: u64,
    },
    /// An op failed; nothing was changed.
    Error {
        /// Stable code.
        code: ErrorCode,
        /// Detail for humans.
        message: String,
        /// The failed send's client_msg_id, when the op was a send.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
        /// For `rate_limited`: wait this long before retrying.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
        /// The failed op's `op_id`, when it carried one (edit, delete, react).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op_id: Option<String>,
    },
}

impl ServerEvent {
    /// An error frame from an [`ApiError`], tied to a send when `client_msg_id` is given.
    pub fn error(err: ApiError, client_msg_id: Option<String>) -> Self {
        ServerEvent::Error {
            code: err.code,
            message: err.message,
            client_msg_id,
            retry_after_ms: err.retry_after_ms,
            op_id: None,
        }
    }

    /// An error frame for a failed op that carried `op_id`.
    pub fn op_error(err: ApiError, op_id: Option<String>) -> Self {
        ServerEvent::Error {
            code: err.code,
            message: err.message,
            client_msg_id: None,
            retry_after_ms: err.retry_after_ms,
            op_id,
        }
    }

    /// JSON encoding (a text frame).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing these plain structs cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// MessagePack encoding with field names (a binary frame).
    pub fn to_msgpack(&self) -> Vec<u8> {
        rmp_serde::to_vec_named(self).unwrap_or_default()
    }
}

/// The version of servers that did not say.
fn first_protocol() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    /// A frame nested far deeper than any op is refused as `invalid_frame`, without
    /// recursing into it (700 levels once overflowed a socket task's stack).
    #[test]
    fn deeply_nested_msgpack_is_refused_without_recursing() {
        for depth in [17, 700, 100_000] {
            // {"op": "send", "text": [[[ … ]]]}
            let mut bytes = vec![0x82, 0xa2, b'o', b'p', 0xa4, b's', b'e', b'n', b'd'];
            bytes.extend_from_slice(&[0xa4, b't', b'e', b'x', b't']);
            bytes.extend(std::iter::repeat_n(0x91, depth));
            bytes.push(0xc0);
            let e = ClientOp::from_msgpack(&bytes).expect_err("refused");
            assert_eq!(e.code, ErrorCode::InvalidFrame, "depth {depth}: {e:?}");
            let top: Vec<u8> = std::iter::repeat_n(0x91, depth).chain([0xc0]).collect();
            assert_eq!(
                ClientOp::from_msgpack(&top).expect_err("refused").code,
                ErrorCode::InvalidFrame
            );
        }
        let ping = rmp_serde::to_vec_named(&ClientOp::Ping {}).expect("encodes");
        assert_eq!(ClientOp::from_msgpack(&ping), Ok(ClientOp::Ping {}));
    }

    use super::*;

    #[test]
    fn send_round_trips_with_string_ids() {
        let op = ClientOp::from_json(
            br#"{"op":"send","channel":"18446744073709551615","client_msg_id":"c1","text":"hi"}"#,
        )
        .unwrap();
        assert_eq!(
            op,
            ClientOp::Send {
                channel: u64::MAX,
                client_msg_id: "c1".into(),
                text: "hi".into(),
                reply_to: None,
                forward: None,
                attachments: Vec::new(),
            }
        );
        let back = ClientOp::from_msgpack(&rmp_serde::to_vec_named(&op).unwrap()).unwrap();
        assert_eq!(back, op);
    }

    #[test]
    fn files_are_described_by_kind() {
        let file = |kind| Attachment {
            kind,
            name: "a.pdf".into(),
            ..Attachment::default()
        };
        assert_eq!(file(AttachmentKind::Image).describe(), "Photo");
        assert_eq!(file(AttachmentKind::Audio).describe(), "Voice message");
        assert_eq!(file(AttachmentKind::File).describe(), "File: a.pdf");
    }

    #[test]
    fn failures_are_classified() {
        let code = |b: &[u8]| ClientOp::from_json(b).unwrap_err().code;
        assert_eq!(code(b"not json"), ErrorCode::InvalidFrame);
        assert_eq!(code(b"[1,2]"), ErrorCode::InvalidFrame);
        assert_eq!(code(br#"{"text":"x"}"#), ErrorCode::InvalidFrame);
        assert_eq!(code(br#"{"op":"dance"}"#), ErrorCode::UnknownOp);
        assert_eq!(
            code(br#"{"op":"send","channel":"1","text":"x"}"#),
            ErrorCode::InvalidFrame
        );
        assert_eq!(
            code(br#"{"op":"send","channel":"-1","client_msg_id":"c","text":"x"}"#),
            ErrorCode::InvalidFrame
        );
        assert_eq!(
            ClientOp::from_msgpack(&[0xc1]).unwrap_err().code,
            ErrorCode::InvalidFrame
        );
    }

    #[test]
    fn sync_ops_parse_with_string_ids() {
        assert_eq!(
            ClientOp::from_json(br#"{"op":"ack","channel":"7","seq":3}"#).unwrap(),
            ClientOp::Ack { channel: 7, seq: 3 }
        );
        assert_eq!(
            ClientOp::from_json(br#"{"op":"read","channel":"7","seq":3}"#).unwrap(),
            ClientOp::Read { channel: 7, seq: 3 }
        );
        assert_eq!(
            ClientOp::from_json(br#"{"op":"typing","channel":"7"}"#).unwrap(),
            ClientOp::Typing { channel: 7 }
        );
        let code = |b: &[u8]| ClientOp::from_json(b).unwrap_err().code;
        assert_eq!(
            code(br#"{"op":"ack","channel":"7"}"#),
            ErrorCode::InvalidFrame
        );
        assert_eq!(
            code(br#"{"op":"read","channel":"7","seq":"x"}"#),
            ErrorCode::InvalidFrame
        );
    }

    #[test]
    fn system_events_carry_their_kind() {
        let ev = MessageEvent {
            channel: 1,
            seq: 2,
            message_id: 3,
            sender: 4,
            client_msg_id: String::new(),
            text: String::new(),
            sent_at: 5,
            system: Some(SystemEvent::MemberRemoved { user: 6 }),
            ..MessageEvent::default()
        };
        let json = String::from_utf8(ServerEvent::Message(ev.clone()).to_json()).unwrap();
        assert!(
            json.contains(r#""system":{"kind":"member_removed","user":"6"}"#),
            "{json}"
        );
        let plain = MessageEvent { system: None, ..ev };
        let json = String::from_utf8(ServerEvent::Message(plain).to_json()).unwrap();
        assert!(!json.contains("system"), "{json}");
    }

    #[test]
    fn events_serialize_with_type_tag() {
        let json = String::from_utf8(ServerEvent::Pong {}.to_json()).unwrap();
        assert_eq!(json, r#"{"type":"pong"}"#);
    }
}
