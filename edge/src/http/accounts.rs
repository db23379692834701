//! Accounts: sign-up, login, sessions (logout, logout everywhere, the list, a
//! password change), and the caller's own profile.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use natter_nats::rpc;
use natter_protocol::http::{
    AccountDeletion, AuthResponse, ChangePasswordRequest, DeleteAccountRequest, LoginRequest,
    Profile, SessionInfo, SignupRequest, UpdateProfileRequest,
};
use natter_protocol::internal::{
    AccountEraseReq, PasswordChangeReq, SessionEndReq, SessionListReq, SessionOpenReq, UserGetReq,
    UserUpdateReq,
};
use natter_protocol::{ApiError, ErrorCode, now_ms};

use super::{Caller, CallerToken, HttpResult, answer, json, parse_body, parse_id};
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
    open_session(&edge, &headers, profile, StatusCode::CREATED).await
}

/// Opens a session for `profile`, recorded with what logged in, and answers its
/// token.
async fn open_session(
    edge: &Edge,
    headers: &HeaderMap,
    profile: Profile,
    status: StatusCode,
) -> HttpResult<Response> {
    let session = edge
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let agent: String = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let open = SessionOpenReq {
        user_id: profile.id,
        session_id: session,
        agent,
        at_ms: now_ms(),
    };
    rpc::SESSION_OPEN.call(&edge.nats, &open).await?;
    let (token, expires_at) = edge.config.tokens.issue(profile.id, session)?;
    Ok(json(
        status,
        AuthResponse {
            token,
            expires_at,
            user: profile,
        },
    ))
}

/// The revocation list could not be written: nothing was ended.
fn not_ended(e: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %e, "revocation not written");
    ApiError::new(ErrorCode::Unavailable, "could not end the session: retry")
}

/// Ends every session of `user` from now on (the list first, then the records).
async fn end_all(edge: &Edge, user: u64) -> Result<(), ApiError> {
    edge.revocations
        .end_all_before(user, now_ms(), edge.config.tokens.ttl())
        .await
        .map_err(not_ended)?;
    let req = SessionEndReq {
        user_id: user,
        session_id: None,
    };
    rpc::SESSION_END.call(&edge.nats, &req).await?;
    Ok(())
}

#[utoipa::path(
    post,
    path = "/v1/logout",
    tag = "auth",
    summary = "End this session: its token stops working on every edge within seconds",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "`token_invalid`, `token_expired`, `token_revoked`", body = ApiError),
        (status = 503, description = "`unavailable`: nothing was ended; retry", body = ApiError),
    )
)]
pub(super) async fn logout(
    State(edge): State<Arc<Edge>>,
    CallerToken(t): CallerToken,
) -> HttpResult<StatusCode> {
    // A token from before sessions names none; and a user who ended many sessions
    // one by one lately ends them all (the list every edge holds stays bounded).
    if t.session == 0 || edge.revocations.too_many_ended(t.user) {
        end_all(&edge, t.user).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    let left = std::time::Duration::from_millis(t.expires_ms.saturating_sub(now_ms()));
    edge.revocations
        .end_session(t.user, t.session, left)
        .await
        .map_err(not_ended)?;
    let req = SessionEndReq {
        user_id: t.user,
        session_id: Some(t.session),
    };
    rpc::SESSION_END.call(&edge.nats, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/logout/everywhere",
    tag = "auth",
    summary = "End every session of the caller, this one included",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "`token_invalid`, `token_expired`, `token_revoked`", body = ApiError),
        (status = 503, description = "`unavailable`: nothing was ended; retry", body = ApiError),
    )
)]
pub(super) async fn logout_everywhere(
    State(edge): State<Arc<Edge>>,
    CallerToken(t): CallerToken,
) -> HttpResult<StatusCode> {
    end_all(&edge, t.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/v1/sessions",
    tag = "auth",
    summary = "The caller's sessions (logins not ended or expired), newest first",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sessions", body = Vec<SessionInfo>),
        (status = 401, description = "`token_invalid`, `token_expired`, `token_revoked`", body = ApiError),
    )
)]
pub(super) async fn sessions(
    State(edge): State<Arc<Edge>>,
    CallerToken(t): CallerToken,
) -> HttpResult<Response> {
    answer(&edge, &rpc::SESSION_LIST, &session_list(&edge, &t)).await
}

fn session_list(edge: &Edge, t: &crate::auth::Verified) -> SessionListReq {
    let ttl = edge.config.tokens.ttl().as_millis() as u64;
    SessionListReq {
        user_id: t.user,
        since_ms: now_ms().saturating_sub(ttl),
        current: t.session,
    }
}

#[utoipa::path(
    delete,
    path = "/v1/sessions/{id}",
    tag = "auth",
    summary = "End one of the caller's sessions (another device's, or this one)",
    params(("id" = natter_protocol::ids::IdSchema, Path, description = "Session id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 400, description = "`bad_request`: not an id", body = ApiError),
        (status = 401, description = "`token_invalid`, `token_expired`, `token_revoked`", body = ApiError),
        (status = 404, description = "`not_found`: no such session of the caller", body = ApiError),
        (status = 503, description = "`unavailable`: nothing was ended; retry", body = ApiError),
    )
)]
pub(super) async fn end_session(
    State(edge): State<Arc<Edge>>,
    CallerToken(t): CallerToken,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    let id = parse_id(&id)?;
    // Only one's own: a session id is not a secret.
    let own: Vec<SessionInfo> = rpc::SESSION_LIST
        .call(&edge.nats, &session_list(&edge, &t))
        .await?;
    if !own.iter().any(|s| s.id == id) {
        return Err(ApiError::new(ErrorCode::NotFound, "no such session").into());
    }
    if edge.revocations.too_many_ended(t.user) {
        end_all(&edge, t.user).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    edge.revocations
        .end_session(t.user, id, edge.config.tokens.ttl())
        .await
        .map_err(not_ended)?;
    let req = SessionEndReq {
        user_id: t.user,
        session_id: Some(id),
    };
    rpc::SESSION_END.call(&edge.nats, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/me/password",
    tag = "auth",
    summary = "Change the password (the current one required); every other session ends",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed: a new token for this device (the old one ends too)", body = AuthResponse),
        (status = 400, description = "`bad_request`, `invalid_password`", body = ApiError),
        (status = 401, description = "`invalid_credentials`: the current password is wrong; `token_invalid`, `token_expired`, `token_revoked`", body = ApiError),
        (status = 429, description = "`rate_limited`: too many attempts; wait `retry_after_ms`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 503, description = "`unavailable`: retry", body = ApiError),
    )
)]
pub(super) async fn change_password(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    CallerToken(t): CallerToken,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<Response> {
    let req: ChangePasswordRequest = parse_body(&body)?;
    password_attempt(&edge, t.user, peer, &headers)?;
    let change = PasswordChangeReq {
        user_id: t.user,
        current_password: req.current_password,
        new_password: req.new_password,
    };
    let profile: Profile = rpc::PASSWORD_CHANGE.call(&edge.nats, &change).await?;
    end_all(&edge, t.user).await?;
    open_session(&edge, &headers, profile, StatusCode::OK).await
}

/// Counts a signed-in user's password check against the login limits: a stolen
/// token must not make guessing the password cheap.
fn password_attempt(
    edge: &Edge,
    user: u64,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    edge.limiters.login(
        &format!("#{user}"),
        crate::client_ip::client_ip(peer.ip(), headers, &edge.config.trusted_proxies),
    )
}

#[utoipa::path(
    delete,
    path = "/v1/me",
    tag = "auth",
    summary = "Delete the account (the password required): every session ends, the profile goes, its messages become tombstones",
    request_body = DeleteAccountRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Deleted; its messages are erased from every channel in the background (seconds)", body = AccountDeletion),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 401, description = "`invalid_credentials`: the password is wrong; `token_invalid`, `token_expired`, `token_revoked`", body = ApiError),
        (status = 429, description = "`rate_limited`: too many attempts; wait `retry_after_ms`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 503, description = "`unavailable`: retry (deleting again is harmless)", body = ApiError),
    )
)]
pub(super) async fn delete_me(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    CallerToken(t): CallerToken,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<Response> {
    let req: DeleteAccountRequest = parse_body(&body)?;
    password_attempt(&edge, t.user, peer, &headers)?;
    let erase = AccountEraseReq {
        user_id: t.user,
        password: req.password,
    };
    let done: AccountDeletion = rpc::ACCOUNT_ERASE.call(&edge.nats, &erase).await?;
    Ok(json(StatusCode::ACCEPTED, done))
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
        (status = 403, description = "`account_suspended`: an operator suspended the account", body = ApiError),
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
    open_session(&edge, &headers, profile, StatusCode::OK).await
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
