//! HTTP JSON bodies (`/v1/...`). Errors are [`crate::ApiError`] bodies.

use serde::{Deserialize, Serialize};

use crate::ids;
use crate::ws::MessageEvent;

/// `POST /v1/signup`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupRequest {
    /// 3–32 of `a-z 0-9 _ .`, unique case-insensitively.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_.]{3,32}$"))]
    pub username: String,
    /// 8–128 bytes.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: String,
    /// 1–64 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub display_name: String,
}

/// `POST /v1/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// The username (any case).
    pub username: String,
    /// The password.
    pub password: String,
}

/// Answer to sign-up and login: a bearer token and the user's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    /// Signed token for `Authorization: Bearer` and the WebSocket `token` parameter.
    pub token: String,
    /// Expiry of the token, milliseconds since the Unix epoch.
    pub expires_at: u64,
    /// The user.
    pub user: Profile,
}

/// One of the caller's sessions (a login on some device), `GET /v1/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// Session id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub id: u64,
    /// When it was opened (login), ms since the epoch.
    pub created_at: u64,
    /// When it last opened a socket or logged in, ms since the epoch (to the minute).
    pub last_used_at: u64,
    /// What logged in, from its `User-Agent` (at most 120 characters).
    pub agent: String,
    /// Whether it is the session of the token that asked.
    pub current: bool,
}

/// `POST /v1/me/password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    /// The password now (re-authentication).
    pub current_password: String,
    /// The new password (8–128 bytes).
    pub new_password: String,
}

/// `DELETE /v1/me`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteAccountRequest {
    /// The password now (re-authentication).
    pub password: String,
}

/// `DELETE /v1/me` answered: the account is gone; its messages are being erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDeletion {
    /// Channels whose copies of the account's messages are erased in the
    /// background (each becomes tombstones within seconds).
    pub channels: u64,
    /// When the username may be taken by a new account (ms since the epoch).
    pub username_free_at: u64,
}

/// A user's profile (public: no field here is private).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// User id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
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
    /// Online state (only in `GET /v1/users/{id}`; `null` when presence is unavailable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Presence>,
    /// The user's own settings (only in `GET /v1/me` and `PATCH /v1/me`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    /// The account was deleted: show "deleted account" (username and names are
    /// empty).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// A user's privacy settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    /// Others learn when this user has read their messages (and this user learns
    /// when others have read theirs). Off: neither.
    pub read_receipts: bool,
    /// Who may open a new 1:1 chat with this user (absent: everyone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_can_message: Option<Audience>,
    /// Who may put this user in a group (absent: the server's `--group-add-policy`,
    /// contacts by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_can_add: Option<Audience>,
    /// Who sees this user's presence and last seen (absent: the server's
    /// `--presence-visibility`, contacts by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_sees_presence: Option<Audience>,
}

/// Who may do something to a user, in a privacy setting. Whoever the user blocks
/// never may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Any signed-in user.
    Everyone,
    /// Users who share a chat (a group or a 1:1 channel) with them now.
    Contacts,
    /// Nobody.
    Nobody,
}

/// Where one member stands in a channel, for receipts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberReceipt {
    /// The member.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub user: u64,
    /// Their read seq: they have read every message up to it (0 unless both they
    /// and the caller share read receipts).
    pub read: u64,
    /// The highest seq one of their devices has acked: delivered up to it.
    pub delivered: u64,
}

/// Answer to `GET /v1/channels/{id}/receipts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelReceipts {
    /// Every other member: deliveries always, reads where both sides share read
    /// receipts. "Read by N of M" for a message at seq s: N members here with
    /// `read >= s`, M the channel's other members.
    pub members: Vec<MemberReceipt>,
}

/// Whether a user is online (on any device), and when they were last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presence {
    /// Whose.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub user: u64,
    /// Online while any of their devices is.
    pub online: bool,
    /// When their last device went offline (ms since the epoch); `null` if never seen.
    #[serde(default)]
    pub last_seen: Option<u64>,
    /// When this state began (ms): of two states for one user, the later one holds.
    pub changed_at: u64,
}

/// `PATCH /v1/me`: fields left out stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProfileRequest {
    /// New display name.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub display_name: Option<String>,
    /// New status text ("" clears it).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 140, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")
    )]
    pub status_text: Option<String>,
    /// Share read receipts (see `Settings`).
    #[serde(default)]
    pub read_receipts: Option<bool>,
    /// Who may open a new 1:1 chat with this user (see `Settings`).
    #[serde(default)]
    pub who_can_message: Option<Audience>,
    /// Who may put this user in a group (see `Settings`).
    #[serde(default)]
    pub who_can_add: Option<Audience>,
    /// Who sees this user's presence (see `Settings`).
    #[serde(default)]
    pub who_sees_presence: Option<Audience>,
}

/// `GET /v1/users?q=<prefix>&limit=<n>` query.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct SearchQuery {
    /// Username prefix (case-insensitive).
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 32))]
    pub q: String,
    /// At most this many results (default 20, max 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A list of users.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserList {
    /// Users ordered by username.
    pub users: Vec<Profile>,
}

/// `POST /v1/dm`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenDmRequest {
    /// The other user.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub peer: u64,
}

/// Kind of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A 1:1 conversation.
    Dm,
    /// A named group of up to 100 members.
    Group,
}

/// A member's role in a group (1:1 channels have only members).
///
/// | may … | owner | admin | member |
/// | --- | --- | --- | --- |
/// | send, read, leave | yes | yes | yes |
/// | add members, rename | yes | yes | no |
/// | remove a member | yes | yes | no |
/// | remove an admin, change roles | yes | no | no |
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Created the group (or inherited it when the owner left); exactly one per group.
    Owner,
    /// Manages members and the name.
    Admin,
    /// Takes part.
    Member,
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Channel {
    /// Channel id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub id: u64,
    /// Kind.
    pub kind: ChannelKind,
    /// The group's name (`null` for 1:1 channels).
    #[serde(default)]
    pub name: Option<String>,
    /// Member user ids.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>))]
    #[serde(with = "ids::vec")]
    pub members: Vec<u64>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: u64,
    /// Groups: messages older than this many seconds are removed (set by the owner
    /// or an admin; absent: kept as long as the server keeps them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_secs: Option<u64>,
}

/// `PUT /v1/groups/{id}/retention`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionRequest {
    /// Remove messages older than this many seconds (at least 3,600; at most ten
    /// years); 0 keeps them as long as the server does.
    pub max_age_secs: u64,
}

/// `GET /v1/channels/{id}/messages` query: `after` pages forward, `before` backward,
/// neither gives the latest messages.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct HistoryQuery {
    /// Only messages with seq < before.
    #[serde(default)]
    pub before: Option<u64>,
    /// Only messages with seq > after.
    #[serde(default)]
    pub after: Option<u64>,
    /// At most this many (default 50, max 200).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// Body of `PATCH /v1/channels/{id}/messages/{seq}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditRequest {
    /// The new text: 1 to 99,999 Unicode scalar values.
    pub text: String,
}

/// Query of `POST /v1/channels/{id}/attachments` (the body is the file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct FileQuery {
    /// The file's name (paths and control characters are removed).
    #[serde(default)]
    pub name: Option<String>,
}

/// Body of `POST /v1/channels/{id}/uploads`: opens an upload in parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRequest {
    /// The file's name.
    pub name: String,
    /// The file's whole size in bytes.
    pub size: u64,
    /// The content type the client believes it has (a hint: the bytes decide).
    #[serde(default)]
    pub content_type: Option<String>,
}

/// An upload in parts: what was received, and what is left to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadStatus {
    /// The upload's id (for `PUT /v1/uploads/{id}/parts/{n}`).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub id: u64,
    /// The file's whole size.
    pub size: u64,
    /// Every part but the last has exactly this many bytes.
    pub part_bytes: u64,
    /// Parts in all, numbered from 0.
    pub parts: u64,
    /// Parts received so far.
    pub received: Vec<u64>,
    /// When the upload is dropped if not completed (ms since the epoch).
    pub expires_at: u64,
}

/// A short-lived link to an attachment's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentLink {
    /// Path and query to `GET` on this edge (no token needed; it is the link).
    pub url: String,
    /// When it stops working (ms since the epoch): ask again after.
    pub expires_at: u64,
}

/// One version of a message's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageVersion {
    /// The text as it was.
    pub text: String,
    /// When it was written (the send, or the edit), ms since the epoch.
    pub at: u64,
    /// The seq of the edit event that wrote it (absent for the original).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_seq: Option<u64>,
}

/// Answer to `GET /v1/channels/{id}/pins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinList {
    /// The pinned messages as they now stand, the latest pin first.
    pub pins: Vec<MessageEvent>,
}

/// Answer to `GET /v1/channels/{id}/messages/{seq}/edits`: every version, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageEdits {
    /// The message as it now stands.
    pub message: MessageEvent,
    /// Its versions, the original first and the current text last (empty once the
    /// message is deleted).
    pub versions: Vec<MessageVersion>,
}

/// A page of history, in ascending seq order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    /// Channel id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub channel: u64,
    /// Messages, ascending by seq.
    pub messages: Vec<MessageEvent>,
    /// Whether more messages exist in the paging direction.
    pub has_more: bool,
    /// The channel's latest seq (0 when empty).
    pub head_seq: u64,
    /// Messages before this seq expired (retention) and are gone: never ask for
    /// them (0: none expired).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub floor_seq: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `POST /v1/groups`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateGroupRequest {
    /// 1–64 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub name: String,
    /// Initial members besides the creator (at most 99).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>, max_items = 99))]
    #[serde(default, with = "ids::vec")]
    pub members: Vec<u64>,
}

/// `PATCH /v1/groups/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenameGroupRequest {
    /// The new name, 1–64 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub name: String,
}

/// `POST /v1/groups/{id}/members`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddMembersRequest {
    /// Users to add; those already members are ignored.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>))]
    #[serde(with = "ids::vec")]
    pub users: Vec<u64>,
}

/// `PUT /v1/groups/{id}/members/{user}/role`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetRoleRequest {
    /// `admin` or `member`.
    pub role: Role,
}

/// One member of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// User id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub user: u64,
    /// Role (always `member` in 1:1 channels).
    pub role: Role,
    /// When they joined, milliseconds since the Unix epoch.
    pub joined_at: u64,
    /// Muted until then (ms since the epoch), while muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<u64>,
}

/// `GET /v1/channels/{id}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberList {
    /// Members ordered by user id.
    pub members: Vec<Member>,
    /// Users banned from the group (ids, ascending).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::ids::IdSchema>))]
    #[serde(default, with = "ids::vec", skip_serializing_if = "Vec::is_empty")]
    pub banned: Vec<u64>,
}

/// `GET /v1/channels?limit=<n>&before=<cursor>` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct ChannelListQuery {
    /// At most this many (default 50, max 200).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
    /// The `next` cursor of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(pattern = "^[0-9]{1,20}\\.[0-9]{1,20}$"))]
    pub before: Option<String>,
}

/// The start of a channel's latest message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePreview {
    /// Its seq.
    pub seq: u64,
    /// Its author (the acting user for system events).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub sender: u64,
    /// The first 100 characters of the text ("" for system events).
    pub text: String,
    /// When it was sent.
    pub sent_at: u64,
    /// Set for system events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<crate::ws::SystemEvent>,
}

/// One entry of the user's channel list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelSummary {
    /// Channel id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub id: u64,
    /// Kind.
    pub kind: ChannelKind,
    /// The group's name, or the peer's display name for a 1:1 channel.
    pub name: String,
    /// The other user of a 1:1 channel.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[serde(default, with = "ids::option")]
    pub peer: Option<u64>,
    /// Latest seq (0 when empty).
    pub head_seq: u64,
    /// The user's read seq.
    pub read_seq: u64,
    /// Others' messages after the read seq (`head_seq - read_seq`; sending moves
    /// one's own read seq).
    pub unread: u64,
    /// Unread messages that mention the user.
    #[serde(default)]
    pub unread_mentions: u64,
    /// Which of its messages send the user push notifications.
    #[serde(default)]
    pub notifications: NotifyLevel,
    /// The latest message, if any.
    #[serde(default)]
    pub last_message: Option<MessagePreview>,
    /// Time of the latest message, or of creation when empty (ms since the epoch).
    pub last_activity_at: u64,
}

/// A page of the user's channels, most recently active first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelList {
    /// The channels.
    pub channels: Vec<ChannelSummary>,
    /// Pass as `before` for the next page; `null` on the last page.
    #[serde(default)]
    pub next: Option<String>,
}

/// Where push notifications for a device go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushPlatform {
    /// Firebase Cloud Messaging (HTTP v1 API); `token` is the FCM registration token.
    Fcm,
    /// Apple Push Notification service (HTTP/2); `token` is the device token (hex).
    Apns,
    /// Web Push (RFC 8030 + RFC 8291 + VAPID); `token` is the subscription endpoint
    /// URL, with `p256dh` and `auth` from the browser's subscription.
    Webpush,
    /// A JSON POST to `token`, an `http(s)://` URL (for bridges and tests).
    Webhook,
}

/// A device's push registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushTarget {
    /// The provider.
    pub platform: PushPlatform,
    /// Provider token, or endpoint URL for `webpush` and `webhook`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4096))]
    pub token: String,
    /// Web Push: the subscription's P-256 public key (base64url, uncompressed point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p256dh: Option<String>,
    /// Web Push: the subscription's 16-byte auth secret (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
}

/// `GET /v1/discover`: the edge to connect to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscoverResponse {
    /// The edge's id.
    pub edge_id: String,
    /// Its HTTP base URL.
    pub http_url: String,
    /// Its WebSocket URL.
    pub ws_url: String,
}

/// `GET /v1/version`: what this server speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionResponse {
    /// The client protocol version ([`crate::PROTOCOL_VERSION`]): a client made for
    /// another one should tell its user to update.
    pub protocol: u32,
    /// The server's release (informational).
    pub server: String,
}

/// `GET /v1/push/webpush-key`: the key browsers subscribe with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebPushKey {
    /// VAPID public key, base64url of the uncompressed P-256 point
    /// (`applicationServerKey` of `PushManager.subscribe`).
    pub public_key: String,
}

/// `POST /v1/devices`: registers (or replaces) the push target of one of the
/// caller's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterPushRequest {
    /// The device's id (as used with `/v1/ws?device=`).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._:-]{1,64}$"))]
    pub device_id: String,
    /// Where its notifications go.
    #[serde(flatten)]
    pub push: PushTarget,
}

/// A device of the caller, with its push registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceInfo {
    /// The device's id.
    pub device_id: String,
    /// Its push target, if registered.
    #[serde(default)]
    pub push: Option<PushTarget>,
}

/// Which messages of a channel send the user push notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    /// Every message of others.
    #[default]
    All,
    /// Only messages that mention the user.
    Mentions,
    /// None (muted; messages still arrive).
    None,
}

/// `PUT /v1/channels/{id}/notifications`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationsRequest {
    /// The level.
    pub level: NotifyLevel,
}

/// `PUT /v1/channels/{id}/mute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MuteRequest {
    /// Muted channels get no push notifications (messages still arrive).
    pub muted: bool,
}

/// `GET /v1/devices`: the caller's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    /// Devices ordered by id.
    pub devices: Vec<DeviceInfo>,
}

/// Why something is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    /// Unwanted advertising or repeated unsolicited messages.
    Spam,
    /// Harassment or bullying.
    Harassment,
    /// Hate speech.
    Hate,
    /// Violence or threats.
    Violence,
    /// Sexual content.
    Sexual,
    /// Anything else (say what in `note`).
    Other,
}

/// `POST /v1/reports`: a message (`channel` and `seq`) or a user (`user`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRequest {
    /// The message's channel (with `seq`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::ids::IdSchema>))]
    #[serde(default, with = "ids::option")]
    pub channel: Option<u64>,
    /// The message's seq (with `channel`).
    #[serde(default)]
    pub seq: Option<u64>,
    /// A user (instead of a message).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::ids::IdSchema>))]
    #[serde(default, with = "ids::option")]
    pub user: Option<u64>,
    /// Why.
    pub reason: ReportReason,
    /// What the reporter adds (at most 1,000 characters).
    #[serde(default)]
    pub note: String,
}

/// Answer to `POST /v1/reports`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportReceipt {
    /// The report's id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub id: u64,
}

/// `PUT /v1/groups/{id}/members/{user}/mute`: how long the member may not send.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MuteMemberRequest {
    /// Minutes, 1 to 525,600 (a year).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525600))]
    pub minutes: u32,
}

/// An invite link to a group: whoever has the code may join, until it expires, is
/// used up or revoked (and unless banned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invite {
    /// The code (`POST /v1/invites/{code}/join`); names its group.
    pub code: String,
    /// The group.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub group: u64,
    /// Who made it.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub created_by: u64,
    /// When it stops working (ms since the epoch).
    pub expires_at: u64,
    /// How many may join with it (0: no limit).
    pub max_uses: u32,
    /// How many did.
    pub uses: u32,
}

/// `POST /v1/requests`: asks a user to chat (no `group`) or to join a group, for
/// when their privacy settings do not take it directly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatRequestCreate {
    /// Whom.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub user: u64,
    /// The group to join (the caller owns it or is an admin); absent: a 1:1 chat.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::ids::IdSchema>))]
    #[serde(default, with = "ids::option", skip_serializing_if = "Option::is_none")]
    pub group: Option<u64>,
}

/// A request to chat or to join a group, waiting for its recipient to accept or
/// decline it (30 days at most).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatRequest {
    /// Its id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub id: u64,
    /// Who asks.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub from: u64,
    /// Whom.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub to: u64,
    /// The group to join; absent: a 1:1 chat.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::ids::IdSchema>))]
    #[serde(default, with = "ids::option", skip_serializing_if = "Option::is_none")]
    pub group: Option<u64>,
    /// The group's name (for a group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// When it was made (ms since the epoch).
    pub created_at: u64,
    /// When it lapses unanswered (ms since the epoch).
    pub expires_at: u64,
}

/// `POST /v1/groups/{id}/invites`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateInviteRequest {
    /// Minutes it works, 1 to 43,200 (30 days).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 43200))]
    pub minutes: u32,
    /// How many may join with it, 0 (no limit) to 1,000.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub max_uses: u32,
}

/// Where a data export stands (`GET /v1/me/export`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    /// Being made.
    Running,
    /// Made: `url` downloads it.
    Ready,
    /// Stopped before the end (an edge restarted, the store was unreachable): ask
    /// again.
    Failed,
}

/// A user's data export and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportStatus {
    /// The export's id.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ids::IdSchema))]
    #[serde(with = "ids")]
    pub id: u64,
    /// Where it stands.
    pub state: ExportState,
    /// Channels written so far.
    pub channels_done: u32,
    /// Channels to write.
    pub channels_total: u32,
    /// Bytes written so far.
    pub bytes: u64,
    /// When it started (ms since the epoch).
    pub started_at: u64,
    /// When it last moved (ms since the epoch).
    pub updated_at: u64,
    /// When ready: a link to the archive (JSON), valid until `expires_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When the link stops working (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}
