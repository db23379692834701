//! The registry of error codes clients see.
//!
//! A code is stable once shipped: clients switch on it. The HTTP status and whether a
//! retry may succeed derive from the code, so the HTTP API and the WebSocket error
//! frames always agree. `docs/protocol.md` lists every code.

use serde::{Deserialize, Serialize};

/// Every error a client can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or query is not valid JSON of the expected shape.
    BadRequest,
    /// A WebSocket frame is not valid JSON / MessagePack of a known op's shape.
    InvalidFrame,
    /// A WebSocket frame names an op that does not exist.
    UnknownOp,
    /// A WebSocket frame is larger than the connection's limit (the socket closes).
    FrameTooLarge,
    /// A message text is empty.
    MessageEmpty,
    /// A message text has 100,000 or more characters.
    MessageTooLong,
    /// A client_msg_id is empty, too long or has characters outside the allowed set.
    InvalidClientMsgId,
    /// A device id is empty, too long or has characters outside the allowed set.
    InvalidDeviceId,
    /// The token is missing, malformed, or its signature does not verify.
    TokenInvalid,
    /// The token has expired: log in again.
    TokenExpired,
    /// The token's session was ended (logout, logout everywhere, a password change,
    /// a suspension): log in again.
    TokenRevoked,
    /// The account is suspended by an operator: it cannot log in.
    AccountSuspended,
    /// Unknown username or wrong password (deliberately indistinguishable).
    InvalidCredentials,
    /// The username does not meet the rules (3–32 of a–z, 0–9, `_`, `.`).
    InvalidUsername,
    /// The password does not meet the rules (8–128 bytes).
    InvalidPassword,
    /// A display name or status text is too long or has control characters.
    InvalidProfile,
    /// The username is already taken (case-insensitively).
    UsernameTaken,
    /// No such user.
    UserNotFound,
    /// The channel does not exist or the caller is not a member.
    NotAMember,
    /// A 1:1 channel with oneself was requested.
    CannotDmSelf,
    /// A group would have more than 100 members; nothing was changed.
    GroupFull,
    /// A user would be in more than 1,000 channels (groups and 1:1 channels they are
    /// a member of now); nothing was changed. Leaving one makes room.
    TooManyChannels,
    /// The operation needs a group, and the channel is a 1:1 channel.
    NotAGroup,
    /// The caller's role in the group does not allow this operation.
    Forbidden,
    /// A connection would watch the presence of more than 500 users.
    PresenceLimit,
    /// This edge is shutting down and takes no new sockets: discover another.
    Draining,
    /// A group name is empty, longer than 64 characters or has control characters.
    InvalidGroupName,
    /// Too many requests: wait `retry_after_ms`.
    RateLimited,
    /// No such route.
    NotFound,
    /// No message at that seq of the channel (or it is a system event, which cannot
    /// be changed).
    MessageNotFound,
    /// Only the message's author may do this (edit).
    NotAuthor,
    /// The message was deleted for everyone: it cannot be edited or reacted to.
    MessageDeleted,
    /// A reaction is not a single emoji.
    ReactionInvalid,
    /// A message already carries the most distinct reactions (20).
    TooManyReactions,
    /// A message was already edited the most times (100).
    TooManyEdits,
    /// A channel already has the most pinned messages (50).
    TooManyPins,
    /// A file is larger than the edge's limit per file (or a part than its part size).
    FileTooLarge,
    /// A file's bytes are of a type the server does not take (executables).
    UnsupportedMediaType,
    /// The user uploaded the most bytes allowed per day (UTC): `retry_after_ms` says
    /// when the next day starts.
    QuotaExceeded,
    /// No such attachment or upload for this caller (unknown, expired, another's).
    AttachmentNotFound,
    /// A send carries more than 10 attachments.
    TooManyAttachments,
    /// A download link is not valid (altered) or has expired.
    LinkExpired,
    /// A backing service (NATS, the store) is unreachable right now: retry.
    Unavailable,
    /// A bug on the server side.
    Internal,
}

impl ErrorCode {
    /// The HTTP status that carries this code.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest | InvalidFrame | UnknownOp | MessageEmpty | InvalidClientMsgId
            | InvalidDeviceId | InvalidUsername | InvalidPassword | InvalidProfile
            | CannotDmSelf | InvalidGroupName | NotAGroup | ReactionInvalid
            | TooManyAttachments => 400,
            TokenInvalid | TokenExpired | TokenRevoked | InvalidCredentials => 401,
            NotAMember | Forbidden | NotAuthor | LinkExpired | AccountSuspended => 403,
            UserNotFound | NotFound | MessageNotFound | AttachmentNotFound => 404,
            UsernameTaken | GroupFull | TooManyChannels | MessageDeleted | TooManyReactions
            | TooManyEdits | TooManyPins => 409,
            PresenceLimit => 400,
            FrameTooLarge | MessageTooLong | FileTooLarge => 413,
            UnsupportedMediaType => 415,
            RateLimited | QuotaExceeded => 429,
            Internal => 500,
            Unavailable | Draining => 503,
        }
    }

    /// Whether the same request may succeed if retried later.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::RateLimited | ErrorCode::Unavailable | ErrorCode::Draining
        )
    }

    /// The snake_case code as sent on the wire.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "bad_request",
            InvalidFrame => "invalid_frame",
            UnknownOp => "unknown_op",
            FrameTooLarge => "frame_too_large",
            MessageEmpty => "message_empty",
            MessageTooLong => "message_too_long",
            InvalidClientMsgId => "invalid_client_msg_id",
            InvalidDeviceId => "invalid_device_id",
            TokenInvalid => "token_invalid",
            TokenExpired => "token_expired",
            TokenRevoked => "token_revoked",
            AccountSuspended => "account_suspended",
            InvalidCredentials => "invalid_credentials",
            InvalidUsername => "invalid_username",
            InvalidPassword => "invalid_password",
            InvalidProfile => "invalid_profile",
            UsernameTaken => "username_taken",
            UserNotFound => "user_not_found",
            NotAMember => "not_a_member",
            CannotDmSelf => "cannot_dm_self",
            GroupFull => "group_full",
            TooManyChannels => "too_many_channels",
            NotAGroup => "not_a_group",
            Forbidden => "forbidden",
            InvalidGroupName => "invalid_group_name",
            PresenceLimit => "presence_limit",
            Draining => "draining",
            RateLimited => "rate_limited",
            NotFound => "not_found",
            MessageNotFound => "message_not_found",
            NotAuthor => "not_author",
            MessageDeleted => "message_deleted",
            ReactionInvalid => "reaction_invalid",
            TooManyReactions => "too_many_reactions",
            TooManyEdits => "too_many_edits",
            TooManyPins => "too_many_pins",
            FileTooLarge => "file_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            QuotaExceeded => "quota_exceeded",
            AttachmentNotFound => "attachment_not_found",
            TooManyAttachments => "too_many_attachments",
            LinkExpired => "link_expired",
            Unavailable => "unavailable",
            Internal => "internal",
        }
    }

    /// Every code, for docs and tests.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadRequest,
        ErrorCode::InvalidFrame,
        ErrorCode::UnknownOp,
        ErrorCode::FrameTooLarge,
        ErrorCode::MessageEmpty,
        ErrorCode::MessageTooLong,
        ErrorCode::InvalidClientMsgId,
        ErrorCode::InvalidDeviceId,
        ErrorCode::TokenInvalid,
        ErrorCode::TokenExpired,
        ErrorCode::TokenRevoked,
        ErrorCode::AccountSuspended,
        ErrorCode::InvalidCredentials,
        ErrorCode::InvalidUsername,
        ErrorCode::InvalidPassword,
        ErrorCode::InvalidProfile,
        ErrorCode::UsernameTaken,
        ErrorCode::UserNotFound,
        ErrorCode::NotAMember,
        ErrorCode::CannotDmSelf,
        ErrorCode::GroupFull,
        ErrorCode::TooManyChannels,
        ErrorCode::NotAGroup,
        ErrorCode::Forbidden,
        ErrorCode::InvalidGroupName,
        ErrorCode::PresenceLimit,
        ErrorCode::Draining,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
        ErrorCode::MessageNotFound,
        ErrorCode::NotAuthor,
        ErrorCode::MessageDeleted,
        ErrorCode::ReactionInvalid,
        ErrorCode::TooManyReactions,
        ErrorCode::TooManyEdits,
        ErrorCode::TooManyPins,
        ErrorCode::FileTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::QuotaExceeded,
        ErrorCode::AttachmentNotFound,
        ErrorCode::TooManyAttachments,
        ErrorCode::LinkExpired,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as the client sees it: the HTTP error body and the payload of RPC errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Stable code to switch on.
    pub code: ErrorCode,
    /// Human-readable detail (may change between versions).
    pub message: String,
    /// For `rate_limited`: how long to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// `rate_limited` with the wait before a retry may succeed.
    pub fn rate_limited(retry_after_ms: u64) -> Self {
        Self {
            code: ErrorCode::RateLimited,
            message: "too many requests".into(),
            retry_after_ms: Some(retry_after_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
