//! Channels as a member sees them: 1:1 channels, the channel list, one channel,
//! its members, its history, and muting.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use natter_nats::rpc;
use natter_protocol::http::{
    Channel, ChannelList, ChannelListQuery, ChannelReceipts, HistoryPage, HistoryQuery, MemberList,
    MuteRequest, NotificationsRequest, NotifyLevel, OpenDmRequest,
};
use natter_protocol::ids::IdSchema;
use natter_protocol::internal::{ChannelListReq, ChannelReq, DmOpenReq, HistoryReq, MuteReq};
use natter_protocol::{ApiError, ErrorCode, limits};

use super::{Caller, HttpResult, answer, json, parse_body, parse_id, parse_query};
use crate::Edge;

#[utoipa::path(
    post,
    path = "/v1/dm",
    tag = "channels",
    summary = "The 1:1 channel of the caller and a peer (created once)",
    request_body = OpenDmRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The channel", body = Channel),
        (status = 400, description = "`bad_request`, `cannot_dm_self`", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
        (status = 409, description = "`too_many_channels`: a new 1:1 channel would put the caller or the peer in more than 1,000 channels", body = ApiError),
    )
)]
pub(super) async fn open_dm(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: OpenDmRequest = parse_body(&body)?;
    answer(
        &edge,
        &rpc::DM_OPEN,
        &DmOpenReq {
            user_id,
            peer_id: req.peer,
            requested: false,
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/channels",
    tag = "channels",
    summary = "The caller's channels, most recently active first",
    params(ChannelListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of channels", body = ChannelList),
        (status = 400, description = "`bad_request`: bad `limit` or `before`", body = ApiError),
    )
)]
pub(super) async fn list_channels(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let query: ChannelListQuery = parse_query(q)?;
    answer(
        &edge,
        &rpc::CHANNEL_LIST,
        &ChannelListReq { user_id, query },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}",
    tag = "channels",
    summary = "A channel (current members only)",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The channel", body = Channel),
        (status = 400, description = "`bad_request`: a path id is not a decimal u64", body = ApiError),
        (status = 403, description = "`not_a_member`: no such channel or not a member", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
    )
)]
pub(super) async fn get_channel(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    answer(
        &edge,
        &rpc::CHANNEL_GET,
        &ChannelReq {
            user_id,
            channel_id,
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}/members",
    tag = "channels",
    summary = "A channel's members with their roles",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Members by user id", body = MemberList),
        (status = 400, description = "`bad_request`: a path id is not a decimal u64", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
    )
)]
pub(super) async fn list_members(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    answer(
        &edge,
        &rpc::MEMBER_LIST,
        &ChannelReq {
            user_id,
            channel_id,
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}/messages",
    tag = "channels",
    summary = "A page of history, ascending by seq",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)"), HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of messages", body = HistoryPage),
        (status = 400, description = "`bad_request`: bad id, query or `limit` outside 1-200", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
    )
)]
pub(super) async fn history(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let query: HistoryQuery = parse_query(q)?;
    if query
        .limit
        .is_some_and(|l| l == 0 || l > limits::MAX_HISTORY_PAGE)
    {
        return Err(ApiError::new(ErrorCode::BadRequest, "limit: 1-200").into());
    }
    answer(
        &edge,
        &rpc::HISTORY,
        &HistoryReq {
            user_id,
            channel_id,
            query,
            max_bytes: None,
        },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{id}/mute",
    tag = "channels",
    summary = "Mute or unmute push notifications of a channel",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)")),
    request_body = MuteRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new setting", body = MuteRequest),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
    )
)]
pub(super) async fn mute_channel(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: MuteRequest = parse_body(&body)?;
    rpc::CHANNEL_MUTE
        .call(
            &edge.nats,
            &MuteReq {
                user_id,
                channel_id,
                muted: req.muted,
                level: None,
            },
        )
        .await?;
    Ok(json(StatusCode::OK, req))
}

#[utoipa::path(
    put,
    path = "/v1/channels/{id}/notifications",
    tag = "channels",
    summary = "Which messages of a channel send the caller push notifications: all, mentions only, or none (muted)",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)")),
    request_body = NotificationsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new setting", body = NotificationsRequest),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
    )
)]
pub(super) async fn set_notifications(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: NotificationsRequest = parse_body(&body)?;
    let mute = MuteReq {
        user_id,
        channel_id,
        muted: req.level == NotifyLevel::None,
        level: Some(req.level),
    };
    rpc::CHANNEL_MUTE.call(&edge.nats, &mute).await?;
    Ok(json(StatusCode::OK, req))
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}/receipts",
    tag = "channels",
    summary = "Where the channel's other members stand: delivered up to, and read up to where both sides share read receipts (0 otherwise)",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Each other member's read and delivered seqs", body = ChannelReceipts),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
    )
)]
pub(super) async fn receipts(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req = ChannelReq {
        user_id,
        channel_id,
    };
    answer(&edge, &rpc::RECEIPTS, &req).await
}
