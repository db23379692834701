//! Accounts: sign-up, login, and the caller's own profile.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use natter_nats::rpc;
use natter_protocol::ApiError;
use natter_protocol::http::{
    AuthResponse, LoginRequest, Profile, SignupRequest, UpdateProfileRequest,
};
use natter_protocol::internal::{UserGetReq, UserUpdateReq};

use super::{Caller, HttpResult, answer, json, parse_body};
use crate::Edge;

#[utoipa::path(
    post,
    path = "/v1/signup",
    tag = "auth",
    summary = "Create an account and get a token",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Signed up", body = AuthResponse),
        (status = 400, description = "`bad_request`, `invalid_username`, `invalid_password`, `invalid_profile`", body = ApiError),
        (status = 409, description = "`username_taken`", body = ApiError),
        (status = 429, description = "`rate_limited`: too many requests; wait `retry_after_ms`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn signup(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<Response> {
    edge.limiters.auth(crate::client_ip::client_ip(
        peer.ip(),
        &headers,
        &edge.config.trusted_proxies,
    ))?;
    let req: SignupRequest = parse_body(&body)?;
    let profile: Profile = rpc::SIGNUP.call(&edge.nats, &req).await?;
    let (token, expires_at) = edge.config.tokens.issue(profile.id)?;
    Ok(json(
        StatusCode::CREATED,
        AuthResponse {
            token,
            expires_at,
            user: profile,
        },
    ))
}

#[utoipa::path(
    post,
    path = "/v1/login",
    tag = "auth",
    summary = "Log in and get a token",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = AuthResponse),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 401, description = "`invalid_credentials`: unknown username or wrong password", body = ApiError),
        (status = 429, description = "`rate_limited`: too many requests; wait `retry_after_ms`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn login(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<Response> {
    edge.limiters.auth(crate::client_ip::client_ip(
        peer.ip(),
        &headers,
        &edge.config.trusted_proxies,
    ))?;
    let req: LoginRequest = parse_body(&body)?;
    edge.limiters.login(
        &req.username,
        crate::client_ip::client_ip(peer.ip(), &headers, &edge.config.trusted_proxies),
    )?;
    let profile: Profile = rpc::LOGIN.call(&edge.nats, &req).await?;
    let (token, expires_at) = edge.config.tokens.issue(profile.id)?;
    Ok(json(
        StatusCode::OK,
        AuthResponse {
            token,
            expires_at,
            user: profile,
        },
    ))
}

#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "users",
    summary = "The caller's profile",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 404, description = "`user_not_found`", body = ApiError),
    )
)]
pub(super) async fn me(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
) -> HttpResult<Response> {
    let req = UserGetReq { user_id, own: true };
    answer(&edge, &rpc::USER_GET, &req).await
}

#[utoipa::path(
    patch,
    path = "/v1/me",
    tag = "users",
    summary = "Change the caller's display name, status text or settings (read receipts)",
    request_body = UpdateProfileRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated profile", body = Profile),
        (status = 400, description = "`bad_request`, `invalid_profile`", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
    )
)]
pub(super) async fn update_me(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let update: UpdateProfileRequest = parse_body(&body)?;
    answer(&edge, &rpc::USER_UPDATE, &UserUpdateReq { user_id, update }).await
}
