//! Values kept in the store (versioned MessagePack through `natter_store::value`).

use serde::{Deserialize, Serialize};

/// A user account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UserRecord {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    pub status_text: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub created_at: u64,
    /// Shares read receipts (and sees others').
    #[serde(default = "yes")]
    pub read_receipts: bool,
    /// Suspended by an operator (since, ms): cannot log in.
    #[serde(default)]
    pub suspended_at: Option<u64>,
    /// Privacy: who may open a 1:1 chat, add to groups, see presence (None: the
    /// default).
    #[serde(default)]
    pub who_can_message: Option<natter_protocol::http::Audience>,
    #[serde(default)]
    pub who_can_add: Option<natter_protocol::http::Audience>,
    #[serde(default)]
    pub who_sees_presence: Option<natter_protocol::http::Audience>,
    /// Deleted (since, ms): names and password erased; the username stays held
    /// until the cooling-off ends.
    #[serde(default)]
    pub erased_at: Option<u64>,
}

/// A chat request waiting for its recipient (key: recipient, id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChatRequestRecord {
    pub from: u64,
    /// The group to join; `None`: a 1:1 chat.
    pub group: Option<u64>,
    pub created_at: u64,
}

/// An account erasure in progress (key: user): which channels are left and where
/// it stands in the first of them. Claimed by one worker at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ErasureRecord {
    pub at_ms: u64,
    /// Channels still to erase, the current one first.
    pub channels: Vec<u64>,
    /// In the current channel: 0 not started, else the next window's first seq.
    pub from_seq: u64,
    /// The worker working on it, and until when its claim holds (ms).
    pub claimed_by: String,
    pub claimed_until: u64,
}

/// A session of a user (key: user, session id): a login, until it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    pub created_at: u64,
    pub last_used_at: u64,
    pub agent: String,
}

fn yes() -> bool {
    true
}

impl UserRecord {
    pub(crate) fn profile(&self) -> natter_protocol::http::Profile {
        natter_protocol::http::Profile {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            status_text: self.status_text.clone(),
            created_at: self.created_at,
            presence: None,
            settings: None,
            deleted: self.erased_at.is_some(),
        }
    }

    /// The profile as its owner sees it: with their settings.
    pub(crate) fn own_profile(&self) -> natter_protocol::http::Profile {
        natter_protocol::http::Profile {
            settings: Some(natter_protocol::http::Settings {
                read_receipts: self.read_receipts,
                who_can_message: self.who_can_message,
                who_can_add: self.who_can_add,
                who_sees_presence: self.who_sees_presence,
            }),
            ..self.profile()
        }
    }
}

/// A channel's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelRecord {
    pub id: u64,
    pub kind: natter_protocol::http::ChannelKind,
    pub created_at: u64,
    /// Groups: the name.
    #[serde(default)]
    pub name: Option<String>,
    /// 1:1 channels: the two users (for naming the channel after the peer).
    #[serde(default)]
    pub pair: Option<(u64, u64)>,
    /// 1:1 channels: which of the two block the other (nobody sends while any does).
    #[serde(default)]
    pub blocked_by: Vec<u64>,
    /// Groups: users banned (removed, and not to be added again), ascending.
    #[serde(default)]
    pub banned: Vec<u64>,
    /// Groups: members muted, with until when (ms since the epoch).
    #[serde(default)]
    pub muted: Vec<(u64, u64)>,
    /// Groups: invite links not revoked (expired ones go when the next is made).
    #[serde(default)]
    pub invites: Vec<InviteRecord>,
    /// Users whose accounts were deleted while in it (their sends are refused).
    #[serde(default)]
    pub erased: Vec<u64>,
    /// Groups: how long messages are kept (seconds), as an owner or admin set it.
    #[serde(default)]
    pub max_age_secs: Option<u64>,
    /// The first seq still kept: those before it expired (0: none did).
    #[serde(default)]
    pub floor_seq: u64,
}

/// An invite link of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InviteRecord {
    pub code: String,
    pub created_by: u64,
    pub expires_at_ms: u64,
    pub max_uses: u32,
    pub uses: u32,
}

impl InviteRecord {
    /// The invite as clients see it.
    pub(crate) fn view(&self, group: u64) -> natter_protocol::http::Invite {
        natter_protocol::http::Invite {
            code: self.code.clone(),
            group,
            created_by: self.created_by,
            expires_at: self.expires_at_ms,
            max_uses: self.max_uses,
            uses: self.uses,
        }
    }

    /// Whether it still lets someone in at `at_ms`.
    pub(crate) fn open_at(&self, at_ms: u64) -> bool {
        at_ms < self.expires_at_ms && (self.max_uses == 0 || self.uses < self.max_uses)
    }
}

impl ChannelRecord {
    /// Whether `user` is muted at `at_ms`.
    pub(crate) fn muted_at(&self, user: u64, at_ms: u64) -> bool {
        self.muted
            .iter()
            .any(|(u, until)| *u == user && at_ms < *until)
    }
}

/// A member of a channel (key: channel, user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MemberRecord {
    pub joined_at: u64,
    pub role: natter_protocol::http::Role,
}

/// A channel in a user's list (key: user, channel). Kept after the user leaves or is
/// removed, so their devices can still sync up to the removal event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UserChannelRecord {
    pub joined_at: u64,
    /// Seq of the event that ended the membership; the user sees nothing after it.
    #[serde(default)]
    pub left_seq: Option<u64>,
}

impl UserChannelRecord {
    /// The last seq this user may see, given the channel's head.
    pub(crate) fn visible_head(&self, head: u64) -> u64 {
        self.left_seq.map_or(head, |l| l.min(head))
    }
}

/// A device of a user (key: user, device id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeviceRecord {
    pub registered_at: u64,
    /// Where its push notifications go.
    #[serde(default)]
    pub push: Option<natter_protocol::http::PushTarget>,
}

/// A stored message (key: channel, seq), in its current state: edits, a deletion
/// and reactions rewrite it (each also appends its own event to the channel).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct MessageRecord {
    pub message_id: u64,
    pub sender_id: u64,
    pub client_msg_id: String,
    /// The current text (empty once deleted).
    pub text: String,
    pub sent_at_ms: u64,
    /// Set for membership and group changes, and changes to earlier messages.
    #[serde(default)]
    pub system: Option<natter_protocol::ws::SystemEvent>,
    /// When the text was last edited.
    #[serde(default)]
    pub edited_at: Option<u64>,
    /// Seqs of its edit events, in order (each holds that version's text).
    #[serde(default)]
    pub edit_seqs: Vec<u64>,
    /// The text as first sent, once edited (the versions start with it).
    #[serde(default)]
    pub original: Option<String>,
    /// Deleted for everyone: (by, at).
    #[serde(default)]
    pub deleted: Option<(u64, u64)>,
    /// Reactions: emoji and who, in the order each emoji was first added.
    #[serde(default)]
    pub reactions: Vec<(String, Vec<u64>)>,
    /// Pinned in its channel: (by, at).
    #[serde(default)]
    pub pinned: Option<(u64, u64)>,
    /// The seq of the message of the channel it replies to.
    #[serde(default)]
    pub reply_to: Option<u64>,
    /// A forwarded copy.
    #[serde(default)]
    pub forwarded: bool,
    /// Members its text mentions.
    #[serde(default)]
    pub mentions: Vec<u64>,
    /// Files it carries (none once deleted).
    #[serde(default)]
    pub attachments: Vec<natter_protocol::ws::Attachment>,
}

/// What a message gave up when it became a tombstone.
pub(crate) struct Tombstoned {
    /// The files it carried (their references go with it).
    pub attachments: Vec<natter_protocol::ws::Attachment>,
    /// Seqs of its edit events (each still holds a version's text).
    pub edit_seqs: Vec<u64>,
    /// It was pinned (it leaves the channel's pinned list).
    pub pinned: bool,
}

impl MessageRecord {
    /// Makes this message a tombstone deleted by `by` at `at_ms` (an earlier
    /// deletion stands): its text, versions, files, reactions, mentions and pin go.
    /// The caller erases what the answer names from elsewhere in the channel.
    pub(crate) fn tombstone(&mut self, by: u64, at_ms: u64) -> Tombstoned {
        self.text.clear();
        self.original = None;
        self.edited_at = None;
        self.reactions.clear();
        self.mentions.clear();
        self.deleted.get_or_insert((by, at_ms));
        Tombstoned {
            attachments: std::mem::take(&mut self.attachments),
            edit_seqs: std::mem::take(&mut self.edit_seqs),
            pinned: self.pinned.take().is_some(),
        }
    }

    pub(crate) fn into_event(self, channel: u64, seq: u64) -> natter_protocol::ws::MessageEvent {
        natter_protocol::ws::MessageEvent {
            channel,
            seq,
            message_id: self.message_id,
            sender: self.sender_id,
            client_msg_id: self.client_msg_id,
            text: self.text,
            sent_at: self.sent_at_ms,
            system: self.system,
            edited_at: self.edited_at,
            edits: u32::try_from(self.edit_seqs.len()).unwrap_or(u32::MAX),
            deleted: self
                .deleted
                .map(|(by, at)| natter_protocol::ws::Deletion { by, at }),
            reactions: self
                .reactions
                .into_iter()
                .map(|(emoji, users)| natter_protocol::ws::Reaction {
                    emoji,
                    count: u32::try_from(users.len()).unwrap_or(u32::MAX),
                    users,
                })
                .collect(),
            pinned: self
                .pinned
                .map(|(by, at)| natter_protocol::ws::Pinned { by, at }),
            // Filled in by `crate::quotes` (the replied-to message as it now stands).
            reply_to: self.reply_to.map(|seq| natter_protocol::ws::Quote {
                seq,
                ..Default::default()
            }),
            forwarded: self.forwarded,
            mentions: self.mentions,
            hidden: false,
            attachments: self.attachments,
        }
    }

    /// How a reply to this message (at `seq`) shows it.
    pub(crate) fn quote(&self, seq: u64) -> natter_protocol::ws::Quote {
        natter_protocol::ws::Quote {
            seq,
            sender: self.sender_id,
            preview: self.preview(),
            deleted: self.deleted.is_some(),
        }
    }
}

impl MessageRecord {
    /// How a quote or a notification shows it: the start of its text, or what it
    /// carries when it has no caption ("Photo", "File: a.pdf").
    pub(crate) fn preview(&self) -> String {
        preview(&self.text, &self.attachments)
    }
}

/// How a quote or a notification shows a message: the start of its text, or what
/// it carries when it has no caption ("Photo", "File: a.pdf").
pub(crate) fn preview(text: &str, attachments: &[natter_protocol::ws::Attachment]) -> String {
    if let (true, Some(a)) = (text.is_empty(), attachments.first()) {
        return a.describe();
    }
    text.chars()
        .take(natter_protocol::limits::PREVIEW_CHARS)
        .collect()
}

/// Where the first send with a (sender, client_msg_id) went (key: sender, client_msg_id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DedupeRecord {
    pub channel_id: u64,
    pub seq: u64,
    pub message_id: u64,
}

pub(crate) use natter_protocol::now_ms;

/// Where a partition's log is applied up to (key: `log_applied(p)`), written in the
/// same batch as what the entries changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LogApplied {
    /// The log stream's creation time (ns): a recreated log is a different one.
    pub log: u64,
    /// Stream sequence of the last entry applied.
    pub seq: u64,
}

/// A channel command that was applied (key: channel, command id): its outcome for a
/// retry, and the seqs of the events it appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommandRecord {
    /// The encoded `RpcReply` its caller got.
    pub reply: Vec<u8>,
    /// Seqs of the system events it appended (`first..=last`; none when `last` is 0).
    pub first_seq: u64,
    pub last_seq: u64,
}
