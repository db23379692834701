//! Chat requests: asking someone whose privacy settings do not take it directly to
//! chat or to join a group; they accept or decline.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use natter_nats::rpc;
use natter_protocol::ApiError;
use natter_protocol::http::{Channel, ChatRequest, ChatRequestCreate};
use natter_protocol::ids::IdSchema;
use natter_protocol::internal::{
    ChannelAction, ChatRequestReq, ChatRequestTakeReq, DmOpenReq, UserGetReq,
};

use super::{Caller, HttpResult, json, parse_body, parse_id};
use crate::Edge;

#[utoipa::path(
    post,
    path = "/v1/requests",
    tag = "users",
    summary = "Ask a user to chat, or to join a group you own or administer, when their privacy settings do not take it directly",
    request_body = ChatRequestCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Made (or the one already waiting): the user gets a `chat_request` event", body = ChatRequest),
        (status = 400, description = "`bad_request` (oneself; already a member)", body = ApiError),
        (status = 403, description = "`forbidden`: they take nothing from you (blocked, or `nobody`), they have 100 requests waiting, your role, or a ban; `not_a_member` of the group", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn create_request(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: ChatRequestCreate = parse_body(&body)?;
    edge.limiters.send(user_id)?;
    let made: ChatRequest = rpc::REQUEST_CREATE
        .call(
            &edge.nats,
            &ChatRequestReq {
                from: user_id,
                to: req.user,
                group: req.group,
            },
        )
        .await?;
    Ok(json(StatusCode::CREATED, made))
}

#[utoipa::path(
    get,
    path = "/v1/requests",
    tag = "users",
    summary = "Requests waiting for the caller to accept or decline, newest first",
    security(("bearer" = [])),
    responses((status = 200, description = "The requests", body = Vec<ChatRequest>))
)]
pub(super) async fn list_requests(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
) -> HttpResult<Response> {
    let list: Vec<ChatRequest> = rpc::REQUEST_LIST
        .call(&edge.nats, &UserGetReq { user_id, own: true })
        .await?;
    Ok(json(StatusCode::OK, list))
}

#[utoipa::path(
    post,
    path = "/v1/requests/{id}/accept",
    tag = "users",
    summary = "Accept a request: the 1:1 chat opens, or the caller joins the group",
    params(("id" = IdSchema, Path, description = "Request id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The chat or the group", body = Channel),
        (status = 400, description = "`bad_request` (the id), `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`: the asker blocked or was blocked since, or lost their role; `not_a_member`: the group is gone", body = ApiError),
        (status = 404, description = "`not_found`: no such request waiting for the caller; `user_not_found`: the asker's account is gone", body = ApiError),
        (status = 409, description = "`group_full`, `too_many_channels`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn accept_request(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let id = parse_id(&id)?;
    let take = |remove| ChatRequestTakeReq {
        user_id,
        id,
        remove,
    };
    let req: ChatRequest = rpc::REQUEST_TAKE.call(&edge.nats, &take(false)).await?;
    let channel: Channel = match req.group {
        None => {
            let open = DmOpenReq {
                user_id,
                peer_id: req.from,
                requested: true,
            };
            rpc::DM_OPEN.call(&edge.nats, &open).await?
        }
        // The asker adds the caller, as they asked; their role is checked as it
        // stands when the owner applies it.
        Some(group) => {
            let add = ChannelAction::AddMembers {
                users: vec![user_id],
            };
            edge.commands
                .run_requested(&edge, req.from, group, add)
                .await?
        }
    };
    // Answered: gone from the list (a lost reply leaves it; accepting again opens
    // the same chat, or finds the caller a member).
    rpc::REQUEST_TAKE.call(&edge.nats, &take(true)).await?;
    Ok(json(StatusCode::OK, channel))
}

#[utoipa::path(
    delete,
    path = "/v1/requests/{id}",
    tag = "users",
    summary = "Decline a request (the asker is not told)",
    params(("id" = IdSchema, Path, description = "Request id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Declined"),
        (status = 400, description = "`bad_request` (the id)", body = ApiError),
        (status = 404, description = "`not_found`", body = ApiError),
    )
)]
pub(super) async fn decline_request(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let id = parse_id(&id)?;
    let _: ChatRequest = rpc::REQUEST_TAKE
        .call(
            &edge.nats,
            &ChatRequestTakeReq {
                user_id,
                id,
                remove: true,
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
