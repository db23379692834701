//! Values kept in the store (versioned MessagePack through `natter_store::value`).

use serde::{Deserialize, Serialize};

/// A user account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserRecord {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    pub status_text: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub created_at: u64,
}

impl UserRecord {
    pub(crate) fn profile(&self) -> natter_protocol::http::Profile {
        natter_protocol::http::Profile {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            status_text: self.status_text.clone(),
            created_at: self.created_at,
        }
    }
}

/// A channel's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChannelRecord {
    pub id: u64,
    pub kind: natter_protocol::http::ChannelKind,
    pub created_at: u64,
}

/// A member of a channel (key: channel, user).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MemberRecord {
    pub joined_at: u64,
}

/// A stored message (key: channel, seq).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MessageRecord {
    pub message_id: u64,
    pub sender_id: u64,
    pub client_msg_id: String,
    pub text: String,
    pub sent_at_ms: u64,
}

impl MessageRecord {
    pub(crate) fn into_event(self, channel: u64, seq: u64) -> natter_protocol::ws::MessageEvent {
        natter_protocol::ws::MessageEvent {
            channel,
            seq,
            message_id: self.message_id,
            sender: self.sender_id,
            client_msg_id: self.client_msg_id,
            text: self.text,
            sent_at: self.sent_at_ms,
        }
    }
}

/// Where the first send with a (sender, client_msg_id) went (key: sender, client_msg_id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DedupeRecord {
    pub channel_id: u64,
    pub seq: u64,
    pub message_id: u64,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
