//! The HTTP JSON API. Every error is an [`ApiError`] body with the status its code
//! maps to; bodies and queries are parsed here so that malformed input gets the same
//! typed error as everything else.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use natter_nats::subjects::rpc;
use natter_protocol::http::{
    AddMembersRequest, AuthResponse, Channel, ChannelList, ChannelListQuery, CreateGroupRequest,
    DeviceInfo, DeviceList, HistoryPage, HistoryQuery, LoginRequest, MemberList, MuteRequest,
    OpenDmRequest, Profile, RegisterPushRequest, RenameGroupRequest, SearchQuery, SetRoleRequest,
    SignupRequest, UpdateProfileRequest, UserList,
};
use natter_protocol::internal::{
    ChannelAction, ChannelListReq, ChannelReq, DevicePushReq, DmOpenReq, HistoryReq, MuteReq,
    UserGetReq, UserSearchReq, UserUpdateReq,
};
use natter_protocol::{ApiError, ErrorCode, limits};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Edge;

/// An [`ApiError`] as an HTTP response.
pub(crate) struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, axum::Json(&self.0)).into_response();
        if let Some(ms) = self.0.retry_after_ms {
            let secs = ms.div_ceil(1000).to_string();
            if let Ok(v) = header::HeaderValue::from_str(&secs) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

type HttpResult<T> = Result<T, HttpError>;

pub(crate) fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route("/v1/signup", post(signup))
        .route("/v1/login", post(login))
        .route("/v1/me", get(me).patch(update_me))
        .route("/v1/users", get(search_users))
        .route("/v1/users/{id}", get(get_user))
        .route("/v1/dm", post(open_dm))
        .route("/v1/discover", get(discover))
        .route("/v1/devices", post(register_push).get(list_devices))
        .route(
            "/v1/devices/{device}",
            axum::routing::delete(unregister_push),
        )
        .route("/v1/channels/{id}/mute", put(mute_channel))
        .route("/v1/channels", get(list_channels))
        .route("/v1/channels/{id}", get(get_channel))
        .route("/v1/channels/{id}/members", get(list_members))
        .route("/v1/channels/{id}/messages", get(history))
        .route("/v1/groups", post(create_group))
        .route("/v1/groups/{id}", axum::routing::patch(rename_group))
        .route("/v1/groups/{id}/members", post(add_members))
        .route(
            "/v1/groups/{id}/members/{user}",
            axum::routing::delete(remove_member),
        )
        .route("/v1/groups/{id}/members/{user}/role", put(set_role))
        .route("/v1/groups/{id}/leave", post(leave_group))
        .route("/v1/ws", get(crate::ws::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(crate::health::readyz))
        .route("/metrics", get(metrics))
        .route("/v1/push/webpush-key", get(webpush_key))
        .fallback(crate::web::fallback)
        .with_state(edge)
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("invalid JSON body: {e}")))
}

fn parse_query<T: DeserializeOwned>(query: Option<String>) -> Result<T, ApiError> {
    serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("invalid query: {e}")))
}

pub(crate) fn parse_id(s: &str) -> Result<u64, ApiError> {
    s.parse()
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, format!("not an id: {s:?}")))
}

/// The authenticated caller of a request (its bearer token's user id).
pub(crate) struct Caller(pub u64);

impl axum::extract::FromRequestParts<Arc<Edge>> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        edge: &Arc<Edge>,
    ) -> Result<Self, HttpError> {
        Ok(Caller(authenticate(edge, &parts.headers)?))
    }
}

/// The user id of a request's bearer token.
fn authenticate(edge: &Edge, headers: &HeaderMap) -> Result<u64, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::TokenInvalid,
                "missing Authorization: Bearer token",
            )
        })?;
    edge.config.tokens.verify(token.trim())
}

/// Asks the store workers and answers 200 with their reply as JSON.
async fn answer<Req: Serialize, Resp: Serialize + DeserializeOwned>(
    edge: &Edge,
    subject: &str,
    req: &Req,
) -> HttpResult<Response> {
    let resp: Resp = crate::rpc::call(&edge.nats, subject, req).await?;
    Ok(json(StatusCode::OK, resp))
}

fn json<T: Serialize>(status: StatusCode, body: T) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn signup(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> HttpResult<Response> {
    edge.limiters.auth(peer.ip())?;
    let req: SignupRequest = parse_body(&body)?;
    let profile: Profile = crate::rpc::call(&edge.nats, rpc::SIGNUP, &req).await?;
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

async fn login(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> HttpResult<Response> {
    edge.limiters.auth(peer.ip())?;
    let req: LoginRequest = parse_body(&body)?;
    let profile: Profile = crate::rpc::call(&edge.nats, rpc::LOGIN, &req).await?;
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

async fn me(State(edge): State<Arc<Edge>>, Caller(user_id): Caller) -> HttpResult<Response> {
    answer::<_, Profile>(&edge, rpc::USER_GET, &UserGetReq { user_id }).await
}

async fn update_me(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let update: UpdateProfileRequest = parse_body(&body)?;
    answer::<_, Profile>(&edge, rpc::USER_UPDATE, &UserUpdateReq { user_id, update }).await
}

async fn get_user(
    State(edge): State<Arc<Edge>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let user_id = parse_id(&id)?;
    let mut profile: Profile =
        crate::rpc::call(&edge.nats, rpc::USER_GET, &UserGetReq { user_id }).await?;
    // Presence is best effort: a profile without it beats no profile.
    profile.presence = crate::presence::query(&edge.nats, edge.presence_shards, &[user_id])
        .await
        .ok()
        .and_then(|mut p| p.pop());
    Ok(json(StatusCode::OK, profile))
}

async fn register_push(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: RegisterPushRequest = parse_body(&body)?;
    answer::<_, DeviceInfo>(
        &edge,
        rpc::DEVICE_PUSH,
        &DevicePushReq {
            user_id,
            device_id: req.device_id,
            push: Some(req.push),
        },
    )
    .await
}

async fn list_devices(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
) -> HttpResult<Response> {
    let devices: Vec<DeviceInfo> =
        crate::rpc::call(&edge.nats, rpc::DEVICE_LIST, &UserGetReq { user_id }).await?;
    Ok(json(StatusCode::OK, DeviceList { devices }))
}

async fn unregister_push(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(device_id): Path<String>,
) -> HttpResult<Response> {
    answer::<_, DeviceInfo>(
        &edge,
        rpc::DEVICE_PUSH,
        &DevicePushReq {
            user_id,
            device_id,
            push: None,
        },
    )
    .await
}

async fn mute_channel(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: MuteRequest = parse_body(&body)?;
    crate::rpc::call::<_, ()>(
        &edge.nats,
        rpc::CHANNEL_MUTE,
        &MuteReq {
            user_id,
            channel_id,
            muted: req.muted,
        },
    )
    .await?;
    Ok(json(StatusCode::OK, req))
}

async fn discover(State(edge): State<Arc<Edge>>, Caller(user_id): Caller) -> HttpResult<Response> {
    Ok(json(
        StatusCode::OK,
        edge.discovery.discover(user_id).await?,
    ))
}

async fn webpush_key(State(edge): State<Arc<Edge>>) -> HttpResult<Response> {
    match &edge.config.webpush_public_key {
        Some(key) => Ok(json(
            StatusCode::OK,
            natter_protocol::http::WebPushKey {
                public_key: key.clone(),
            },
        )),
        None => Err(ApiError::new(ErrorCode::NotFound, "web push is not configured").into()),
    }
}

async fn search_users(
    State(edge): State<Arc<Edge>>,
    _caller: Caller,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let q: SearchQuery = parse_query(q)?;
    let prefix = q.q.to_ascii_lowercase();
    if prefix.is_empty() || prefix.len() > 32 {
        return Err(ApiError::new(ErrorCode::BadRequest, "q: 1-32 characters").into());
    }
    let limit = q.limit.unwrap_or(20).clamp(1, limits::MAX_SEARCH_RESULTS);
    let users: Vec<Profile> = crate::rpc::call(
        &edge.nats,
        rpc::USER_SEARCH,
        &UserSearchReq { prefix, limit },
    )
    .await?;
    Ok(json(StatusCode::OK, UserList { users }))
}

async fn open_dm(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: OpenDmRequest = parse_body(&body)?;
    answer::<_, Channel>(
        &edge,
        rpc::DM_OPEN,
        &DmOpenReq {
            user_id,
            peer_id: req.peer,
        },
    )
    .await
}

async fn history(
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
    answer::<_, HistoryPage>(
        &edge,
        rpc::HISTORY,
        &HistoryReq {
            user_id,
            channel_id,
            query,
            max_bytes: None,
        },
    )
    .await
}

async fn list_channels(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let query: ChannelListQuery = parse_query(q)?;
    answer::<_, ChannelList>(&edge, rpc::CHANNEL_LIST, &ChannelListReq { user_id, query }).await
}

async fn get_channel(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    answer::<_, Channel>(
        &edge,
        rpc::CHANNEL_GET,
        &ChannelReq {
            user_id,
            channel_id,
        },
    )
    .await
}

async fn list_members(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    answer::<_, MemberList>(
        &edge,
        rpc::MEMBER_LIST,
        &ChannelReq {
            user_id,
            channel_id,
        },
    )
    .await
}

/// Applies a group change through the owner of the group's partition.
async fn group_command(
    edge: &Edge,
    user_id: u64,
    channel_id: u64,
    action: ChannelAction,
) -> HttpResult<Response> {
    edge.limiters.send(user_id)?;
    let channel: Channel =
        crate::rpc::command(&edge.nats, edge.partitions, user_id, channel_id, action).await?;
    Ok(json(StatusCode::OK, channel))
}

async fn create_group(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: CreateGroupRequest = parse_body(&body)?;
    limits::check_group_name(&req.name)
        .map_err(|c| ApiError::new(c, "name: 1-64 characters, no control characters"))?;
    if req.members.len() >= limits::MAX_GROUP_MEMBERS * 2 {
        return Err(ApiError::new(ErrorCode::GroupFull, "too many members").into());
    }
    // The edge draws the id, so the request goes straight to the partition that owns it.
    let channel_id = edge
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let action = ChannelAction::CreateGroup {
        name: req.name,
        members: req.members,
    };
    let mut resp = group_command(&edge, user_id, channel_id, action).await?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

async fn rename_group(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: RenameGroupRequest = parse_body(&body)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::Rename { name: req.name },
    )
    .await
}

async fn add_members(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: AddMembersRequest = parse_body(&body)?;
    if req.users.len() >= limits::MAX_GROUP_MEMBERS * 2 {
        return Err(ApiError::new(ErrorCode::GroupFull, "too many members").into());
    }
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::AddMembers { users: req.users },
    )
    .await
}

async fn remove_member(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let user = parse_id(&user)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::RemoveMember { user },
    )
    .await
}

async fn leave_group(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::RemoveMember { user: user_id },
    )
    .await
}

async fn set_role(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let user = parse_id(&user)?;
    let req: SetRoleRequest = parse_body(&body)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::SetRole {
            user,
            role: req.role,
        },
    )
    .await
}

async fn metrics(State(edge): State<Arc<Edge>>) -> Response {
    match &edge.config.metrics {
        Some(render) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            render(),
        )
            .into_response(),
        None => HttpError(ApiError::new(ErrorCode::NotFound, "metrics disabled")).into_response(),
    }
}
