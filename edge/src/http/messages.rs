//! One message of a channel: read it, its versions, and change it (edit, delete for
//! everyone, reactions, pins), each change applied through the channel's partition
//! log; and a channel's pinned messages.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use natter_nats::rpc;
use natter_protocol::ApiError;
use natter_protocol::http::{EditRequest, MessageEdits, PinList};
use natter_protocol::ids::IdSchema;
use natter_protocol::internal::{ChannelAction, ChannelReq, MessageReq};
use natter_protocol::ws::MessageEvent;

use super::{Caller, HttpResult, answer, json, parse_body, parse_id};
use crate::Edge;

/// Parses a `{id}` and `{seq}` path pair.
fn target(id: &str, seq: &str) -> Result<(u64, u64), ApiError> {
    Ok((parse_id(id)?, parse_id(seq)?))
}

async fn change(
    edge: &Edge,
    user_id: u64,
    channel_id: u64,
    action: ChannelAction,
) -> HttpResult<Response> {
    let message = crate::commands::change_message(edge, user_id, channel_id, action).await?;
    Ok(json(StatusCode::OK, message))
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}/messages/{seq}",
    tag = "messages",
    summary = "One message as it now stands (edited text, tombstone, reactions)",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message", body = MessageEvent),
        (status = 400, description = "`bad_request`: a path id is not a decimal u64", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
    )
)]
pub(super) async fn get_message(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq)): Path<(String, String)>,
) -> HttpResult<Response> {
    let (channel_id, seq) = target(&id, &seq)?;
    let req = MessageReq {
        user_id,
        channel_id,
        seq,
    };
    answer(&edge, &rpc::MESSAGE_GET, &req).await
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}/messages/{seq}/edits",
    tag = "messages",
    summary = "A message's versions: the original text, then each edit (none once deleted)",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message and its versions", body = MessageEdits),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
    )
)]
pub(super) async fn message_edits(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq)): Path<(String, String)>,
) -> HttpResult<Response> {
    let (channel_id, seq) = target(&id, &seq)?;
    let req = MessageReq {
        user_id,
        channel_id,
        seq,
    };
    answer(&edge, &rpc::MESSAGE_EDITS, &req).await
}

#[utoipa::path(
    patch,
    path = "/v1/channels/{id}/messages/{seq}",
    tag = "messages",
    summary = "Edit one's own message (every member gets a `message_edited` event)",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
    ),
    request_body = EditRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message as it now stands", body = MessageEvent),
        (status = 400, description = "`bad_request`, `message_empty`", body = ApiError),
        (status = 403, description = "`not_a_member`, `not_author`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
        (status = 409, description = "`message_deleted`, `too_many_edits` (100 per message)", body = ApiError),
        (status = 413, description = "`message_too_long`", body = ApiError),
        (status = 429, description = "`rate_limited`: changes count against the send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn edit_message(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq)): Path<(String, String)>,
    body: Bytes,
) -> HttpResult<Response> {
    let (channel_id, seq) = target(&id, &seq)?;
    let req: EditRequest = parse_body(&body)?;
    change(
        &edge,
        user_id,
        channel_id,
        ChannelAction::Edit {
            seq,
            text: req.text,
        },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/channels/{id}/messages/{seq}",
    tag = "messages",
    summary = "Delete a message for everyone (author, or a group's owner or admin): its text is erased, a tombstone stays",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tombstone (a repeat answers the same)", body = MessageEvent),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`, `forbidden`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn delete_message(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq)): Path<(String, String)>,
) -> HttpResult<Response> {
    let (channel_id, seq) = target(&id, &seq)?;
    change(&edge, user_id, channel_id, ChannelAction::Delete { seq }).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{id}/messages/{seq}/reactions/{emoji}",
    tag = "messages",
    summary = "React to a message with one emoji (once per emoji per user; a repeat changes nothing)",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message as it now stands", body = MessageEvent),
        (status = 400, description = "`bad_request`, `reaction_invalid`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
        (status = 409, description = "`message_deleted`, `too_many_reactions` (20 different emoji per message)", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn add_reaction(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq, emoji)): Path<(String, String, String)>,
) -> HttpResult<Response> {
    react(&edge, user_id, &id, &seq, emoji, true).await
}

#[utoipa::path(
    delete,
    path = "/v1/channels/{id}/messages/{seq}/reactions/{emoji}",
    tag = "messages",
    summary = "Take back one's reaction (a repeat changes nothing)",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message as it now stands", body = MessageEvent),
        (status = 400, description = "`bad_request`, `reaction_invalid`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
        (status = 409, description = "`message_deleted`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn remove_reaction(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq, emoji)): Path<(String, String, String)>,
) -> HttpResult<Response> {
    react(&edge, user_id, &id, &seq, emoji, false).await
}

/// Adds or takes back a reaction named by a route's path.
async fn react(
    edge: &Edge,
    user_id: u64,
    id: &str,
    seq: &str,
    emoji: String,
    add: bool,
) -> HttpResult<Response> {
    let (channel_id, seq) = target(id, seq)?;
    let action = ChannelAction::React { seq, emoji, add };
    change(edge, user_id, channel_id, action).await
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}/pins",
    tag = "messages",
    summary = "A channel's pinned messages as they now stand, the latest pin first",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pinned messages", body = PinList),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
    )
)]
pub(super) async fn list_pins(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req = ChannelReq {
        user_id,
        channel_id,
    };
    answer(&edge, &rpc::PINS, &req).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{id}/pins/{seq}",
    tag = "messages",
    summary = "Pin a message (a group's owner or admin; either side of a 1:1 channel)",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message as it now stands (a repeat changes nothing)", body = MessageEvent),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`, `forbidden`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
        (status = 409, description = "`message_deleted`, `too_many_pins` (50 per channel)", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn pin_message(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq)): Path<(String, String)>,
) -> HttpResult<Response> {
    pin(&edge, user_id, &id, &seq, true).await
}

#[utoipa::path(
    delete,
    path = "/v1/channels/{id}/pins/{seq}",
    tag = "messages",
    summary = "Unpin a message",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message as it now stands (a repeat changes nothing)", body = MessageEvent),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`, `forbidden`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
        (status = 409, description = "`message_deleted`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn unpin_message(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq)): Path<(String, String)>,
) -> HttpResult<Response> {
    pin(&edge, user_id, &id, &seq, false).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{id}/messages/{seq}/hidden",
    tag = "messages",
    summary = "Delete a message for oneself: hidden on all of one's devices (a `hidden` event to each), unchanged for everyone else",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Hidden (a repeat answers the same)"),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`message_not_found`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn hide_message(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, seq)): Path<(String, String)>,
) -> HttpResult<StatusCode> {
    let (channel_id, seq) = target(&id, &seq)?;
    crate::commands::hide_message(&edge, user_id, channel_id, seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pins or unpins the message a route's path names.
async fn pin(edge: &Edge, user_id: u64, id: &str, seq: &str, pin: bool) -> HttpResult<Response> {
    let (channel_id, seq) = target(id, seq)?;
    change(edge, user_id, channel_id, ChannelAction::Pin { seq, pin }).await
}
