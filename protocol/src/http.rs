//! HTTP JSON bodies (`/v1/...`). Errors are [`crate::ApiError`] bodies.

use serde::{Deserialize, Serialize};

use crate::ids;
use crate::ws::MessageEvent;

/// `POST /v1/signup`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignupRequest {
    /// 3–32 of `a-z 0-9 _ .`, unique case-insensitively.
    pub username: String,
    /// 8–128 bytes.
    pub password: String,
    /// 1–64 characters.
    pub display_name: String,
}

/// `POST /v1/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The username (any case).
    pub username: String,
    /// The password.
    pub password: String,
}

/// Answer to sign-up and login: a bearer token and the user's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthResponse {
    /// Signed token for `Authorization: Bearer` and the WebSocket `token` parameter.
    pub token: String,
    /// Expiry of the token, milliseconds since the Unix epoch.
    pub expires_at: u64,
    /// The user.
    pub user: Profile,
}

/// A user's profile (public: no field here is private).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// User id.
    #[serde(with = "ids")]
    pub id: u64,
    /// Username as normalized (lowercase).
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Free status text ("" when unset).
    pub status_text: String,
    /// Sign-up time, milliseconds since the Unix epoch.
    pub created_at: u64,
}

/// `PATCH /v1/me`: fields left out stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateProfileRequest {
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// New status text ("" clears it).
    #[serde(default)]
    pub status_text: Option<String>,
}

/// `GET /v1/users?q=<prefix>&limit=<n>` query.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchQuery {
    /// Username prefix (case-insensitive).
    pub q: String,
    /// At most this many results (default 20, max 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A list of users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserList {
    /// Users ordered by username.
    pub users: Vec<Profile>,
}

/// `POST /v1/dm`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenDmRequest {
    /// The other user.
    #[serde(with = "ids")]
    pub peer: u64,
}

/// Kind of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A 1:1 conversation.
    Dm,
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Channel id.
    #[serde(with = "ids")]
    pub id: u64,
    /// Kind.
    pub kind: ChannelKind,
    /// Member user ids.
    #[serde(with = "ids::vec")]
    pub members: Vec<u64>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: u64,
}

/// `GET /v1/channels/{id}/messages` query: `after` pages forward, `before` backward,
/// neither gives the latest messages.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// Only messages with seq < before.
    #[serde(default)]
    pub before: Option<u64>,
    /// Only messages with seq > after.
    #[serde(default)]
    pub after: Option<u64>,
    /// At most this many (default 50, max 200).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of history, in ascending seq order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// Channel id.
    #[serde(with = "ids")]
    pub channel: u64,
    /// Messages, ascending by seq.
    pub messages: Vec<MessageEvent>,
    /// Whether more messages exist in the paging direction.
    pub has_more: bool,
    /// The channel's latest seq (0 when empty).
    pub head_seq: u64,
}
