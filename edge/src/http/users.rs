//! Other users: search by username prefix, and one user's profile and presence.

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
