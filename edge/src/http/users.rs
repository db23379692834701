//! Other users: search by username prefix, one user's profile and presence, and
//! blocking.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use natter_nats::rpc;
use natter_protocol::http::{Profile, SearchQuery, UserList};
use natter_protocol::ids::IdSchema;
use natter_protocol::internal::{UserGetReq, UserSearchReq};
use natter_protocol::{ApiError, ErrorCode, limits};

use super::{Caller, HttpResult, json, parse_id, parse_query};
use crate::Edge;

#[utoipa::path(
    get,
    path = "/v1/users",
    tag = "users",
    summary = "Users whose username starts with a prefix",
    params(SearchQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Matching users, by username", body = UserList),
        (status = 400, description = "`bad_request`: `q` missing or not 1-32 characters, bad `limit`", body = ApiError),
    )
)]
pub(super) async fn search_users(
    State(edge): State<Arc<Edge>>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let q: SearchQuery = parse_query(q)?;
    let prefix = q.q.to_ascii_lowercase();
    // Characters, as the OpenAPI `maxLength` counts them (a longer prefix matches no
    // username, which has at most 32 ASCII characters).
    if prefix.is_empty() || prefix.chars().count() > 32 {
        return Err(ApiError::new(ErrorCode::BadRequest, "q: 1-32 characters").into());
    }
    let limit = q.limit.unwrap_or(20).clamp(1, limits::MAX_SEARCH_RESULTS);
    let users: Vec<Profile> = rpc::USER_SEARCH
        .call(&edge.nats, &UserSearchReq { prefix, limit })
        .await?;
    Ok(json(StatusCode::OK, UserList { users }))
}

#[utoipa::path(
    get,
    path = "/v1/users/{id}",
    tag = "users",
    summary = "A user's public profile with presence",
    params(("id" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 400, description = "`bad_request`: a path id is not a decimal u64", body = ApiError),
        (status = 404, description = "`user_not_found`; `not_found` for an empty id", body = ApiError),
    )
)]
pub(super) async fn get_user(
    State(edge): State<Arc<Edge>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let user_id = parse_id(&id)?;
    let mut profile: Profile = rpc::USER_GET
        .call(
            &edge.nats,
            &UserGetReq {
                user_id,
                own: false,
            },
        )
        .await?;
    // Presence only for those allowed to see it (--presence-visibility), and best
    // effort: a profile without it beats no profile.
    let visible = crate::presence::visible(
        &edge.nats,
        edge.config.presence.visibility,
        caller,
        vec![user_id],
    )
    .await
    .is_ok_and(|v| v.contains(&user_id));
    if visible {
        profile.presence = crate::presence::query(&edge.nats, edge.presence_shards, &[user_id])
            .await
            .ok()
            .and_then(|mut p| p.pop());
    }
    Ok(json(StatusCode::OK, profile))
}

#[utoipa::path(
    get,
    path = "/v1/blocks",
    tag = "users",
    summary = "The users the caller blocks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Their profiles", body = Vec<Profile>),
    )
)]
pub(super) async fn list_blocks(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
) -> HttpResult<Response> {
    let req = UserGetReq {
        user_id,
        own: false,
    };
    super::answer(&edge, &rpc::BLOCK_LIST, &req).await
}

#[utoipa::path(
    put,
    path = "/v1/blocks/{user}",
    tag = "users",
    summary = "Block a user: no 1:1 messages either way, no group additions by them, no presence for them, no notifications of their messages",
    params(("user" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Blocked (blocking again changes nothing)"),
        (status = 400, description = "`bad_request`: oneself, or 1,000 users blocked already", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
    )
)]
pub(super) async fn block_user(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(other): Path<String>,
) -> HttpResult<StatusCode> {
    set_block(&edge, user_id, parse_id(&other)?, true).await
}

#[utoipa::path(
    delete,
    path = "/v1/blocks/{user}",
    tag = "users",
    summary = "Unblock a user",
    params(("user" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Unblocked (or was not blocked)"),
        (status = 400, description = "`bad_request`: not an id", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
    )
)]
pub(super) async fn unblock_user(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(other): Path<String>,
) -> HttpResult<StatusCode> {
    set_block(&edge, user_id, parse_id(&other)?, false).await
}

/// The block's row first (it decides everything outside their 1:1 channel), then,
/// if they have one, the command in its log (it decides the sends in it).
async fn set_block(edge: &Edge, user_id: u64, other: u64, block: bool) -> HttpResult<StatusCode> {
    let req = natter_protocol::internal::BlockReq {
        user_id,
        other,
        block,
    };
    let dm: Option<u64> = rpc::BLOCK_SET.call(&edge.nats, &req).await?;
    if let Some(dm) = dm {
        let action = natter_protocol::internal::ChannelAction::Block { block };
        edge.commands.run::<()>(edge, user_id, dm, action).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
