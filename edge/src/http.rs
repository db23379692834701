//! The HTTP JSON API. Every error is an [`ApiError`] body with the status its code
//! maps to; bodies and queries are parsed here so that malformed input gets the same
//! typed error as everything else.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use natter_nats::rpc;
use natter_protocol::http::{
    AddMembersRequest, AuthResponse, Channel, ChannelList, ChannelListQuery, CreateGroupRequest,
    DeviceInfo, DeviceList, DiscoverResponse, HistoryPage, HistoryQuery, LoginRequest, MemberList,
    MuteRequest, OpenDmRequest, Profile, RegisterPushRequest, RenameGroupRequest, SearchQuery,
    SetRoleRequest, SignupRequest, UpdateProfileRequest, UserList, WebPushKey,
};
use natter_protocol::ids::IdSchema;
use natter_protocol::internal::{
    ChannelAction, ChannelListReq, ChannelReq, DevicePushReq, DmOpenReq, HistoryReq, MuteReq,
    UserGetReq, UserSearchReq, UserUpdateReq,
};
use natter_protocol::{ApiError, ErrorCode, limits};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

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

/// One route of the HTTP API: its method, its path (axum 0.8 and OpenAPI share the
/// `{param}` syntax) and its handler.
pub(crate) type Route = (Method, &'static str, MethodRouter<Arc<Edge>>);

/// A [`Route`] whose listed method and routed method come from one token, so the
/// table below cannot say one thing and route another.
macro_rules! route {
    ($method:ident $path:literal => $handler:expr) => {
        (
            Method::$method,
            $path,
            axum::routing::on(MethodFilter::$method, $handler),
        )
    };
}

/// Every route of the API, in one place: the router is built from it and a test
/// checks it against the OpenAPI document, so neither can drift from the other.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route!(POST "/v1/signup" => signup),
        route!(POST "/v1/login" => login),
        route!(GET "/v1/me" => me),
        route!(PATCH "/v1/me" => update_me),
        route!(GET "/v1/users" => search_users),
        route!(GET "/v1/users/{id}" => get_user),
        route!(POST "/v1/dm" => open_dm),
        route!(GET "/v1/discover" => discover),
        route!(POST "/v1/devices" => register_push),
        route!(GET "/v1/devices" => list_devices),
        route!(DELETE "/v1/devices/{device}" => unregister_push),
        route!(PUT "/v1/channels/{id}/mute" => mute_channel),
        route!(GET "/v1/channels" => list_channels),
        route!(GET "/v1/channels/{id}" => get_channel),
        route!(GET "/v1/channels/{id}/members" => list_members),
        route!(GET "/v1/channels/{id}/messages" => history),
        route!(POST "/v1/groups" => create_group),
        route!(PATCH "/v1/groups/{id}" => rename_group),
        route!(POST "/v1/groups/{id}/members" => add_members),
        route!(DELETE "/v1/groups/{id}/members/{user}" => remove_member),
        route!(PUT "/v1/groups/{id}/members/{user}/role" => set_role),
        route!(POST "/v1/groups/{id}/leave" => leave_group),
        route!(GET "/v1/ws" => crate::socket::upgrade),
        route!(GET "/v1/push/webpush-key" => webpush_key),
        route!(GET "/v1/openapi.json" => openapi_json),
        route!(GET "/healthz" => healthz),
        route!(GET "/readyz" => crate::health::readyz),
        route!(GET "/metrics" => metrics),
    ]
}

pub(crate) fn router(edge: Arc<Edge>) -> Router {
    // Routes sharing a path merge their methods (axum panics on a duplicate method).
    let router = routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler)
        });
    router.fallback(crate::web::fallback).with_state(edge)
}

/// The OpenAPI document of every route, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Natter HTTP API",
        description = "The edge's HTTP JSON API. Every error is an `ApiError` body whose \
            stable `code` decides its HTTP status (docs/protocol.md). IDs are decimal \
            strings. The WebSocket protocol at `/v1/ws` is described in docs/asyncapi.yaml."
    ),
    paths(
        signup,
        login,
        me,
        update_me,
        search_users,
        get_user,
        open_dm,
        discover,
        register_push,
        list_devices,
        unregister_push,
        mute_channel,
        list_channels,
        get_channel,
        list_members,
        history,
        create_group,
        rename_group,
        add_members,
        remove_member,
        set_role,
        leave_group,
        crate::socket::upgrade,
        webpush_key,
        openapi_json,
        healthz,
        crate::health::readyz,
        metrics,
    ),
    modifiers(&BearerAuth, &CommonErrors)
)]
struct ApiDoc;

/// Adds the bearer-token scheme that authenticated routes name as `bearer`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `token` of `POST /v1/signup` or `POST /v1/login`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Routes that answer from the store without a bearer token (every authenticated
/// route does too).
const UNAUTHENTICATED_STORE_ROUTES: &[&str] = &["/v1/signup", "/v1/login"];

/// Adds the errors every route of a kind can give, so handlers list only their own:
/// 401 on authenticated routes, 500 and 503 on routes that ask the store workers.
/// A handler's own entry for one of these statuses is kept.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let secured = op
                    .security
                    .iter()
                    .flatten()
                    .any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some()));
                let mut common = Vec::new();
                if secured {
                    common.push(("401", "`token_invalid`, `token_expired`: the bearer token is missing, malformed or expired"));
                }
                if secured || UNAUTHENTICATED_STORE_ROUTES.contains(&path.as_str()) {
                    common.push(("500", "`internal`: a bug on the server side"));
                    common.push((
                        "503",
                        "`unavailable`: NATS or the store is unreachable right now; retry",
                    ));
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description).into());
                }
            }
        }
    }
}

/// The OpenAPI 3.1 document, with `info.version` the edge's crate version.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// The document as JSON, built once: it is the same for the life of the process.
fn openapi_bytes() -> &'static Bytes {
    static DOC: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    DOC.get_or_init(|| Bytes::from(openapi().to_json().unwrap_or_default()))
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
    call: &rpc::Rpc<Req, Resp>,
    req: &Req,
) -> HttpResult<Response> {
    let resp = call.call(&edge.nats, req).await?;
    Ok(json(StatusCode::OK, resp))
}

fn json<T: Serialize>(status: StatusCode, body: T) -> Response {
    (status, axum::Json(body)).into_response()
}

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
async fn signup(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> HttpResult<Response> {
    edge.limiters.auth(peer.ip())?;
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
async fn login(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> HttpResult<Response> {
    edge.limiters.auth(peer.ip())?;
    let req: LoginRequest = parse_body(&body)?;
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
async fn me(State(edge): State<Arc<Edge>>, Caller(user_id): Caller) -> HttpResult<Response> {
    answer(&edge, &rpc::USER_GET, &UserGetReq { user_id }).await
}

#[utoipa::path(
    patch,
    path = "/v1/me",
    tag = "users",
    summary = "Change the caller's display name or status text",
    request_body = UpdateProfileRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated profile", body = Profile),
        (status = 400, description = "`bad_request`, `invalid_profile`", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
    )
)]
async fn update_me(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let update: UpdateProfileRequest = parse_body(&body)?;
    answer(&edge, &rpc::USER_UPDATE, &UserUpdateReq { user_id, update }).await
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
async fn get_user(
    State(edge): State<Arc<Edge>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let user_id = parse_id(&id)?;
    let mut profile: Profile = rpc::USER_GET
        .call(&edge.nats, &UserGetReq { user_id })
        .await?;
    // Presence is best effort: a profile without it beats no profile.
    profile.presence = crate::presence::query(&edge.nats, edge.presence_shards, &[user_id])
        .await
        .ok()
        .and_then(|mut p| p.pop());
    Ok(json(StatusCode::OK, profile))
}

#[utoipa::path(
    post,
    path = "/v1/devices",
    tag = "devices",
    summary = "Register or replace a device's push target",
    request_body = RegisterPushRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The device", body = DeviceInfo),
        (status = 400, description = "`bad_request`, `invalid_device_id`", body = ApiError),
    )
)]
async fn register_push(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: RegisterPushRequest = parse_body(&body)?;
    answer(
        &edge,
        &rpc::DEVICE_PUSH,
        &DevicePushReq {
            user_id,
            device_id: req.device_id,
            push: Some(req.push),
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/devices",
    tag = "devices",
    summary = "The caller's devices",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Devices by id", body = DeviceList),
    )
)]
async fn list_devices(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
) -> HttpResult<Response> {
    let devices: Vec<DeviceInfo> = rpc::DEVICE_LIST
        .call(&edge.nats, &UserGetReq { user_id })
        .await?;
    Ok(json(StatusCode::OK, DeviceList { devices }))
}

#[utoipa::path(
    delete,
    path = "/v1/devices/{device}",
    tag = "devices",
    summary = "Remove a device's push target",
    params(("device" = String, Path, pattern = "^[A-Za-z0-9._:-]{1,64}$", description = "Device id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The device, without push target", body = DeviceInfo),
        (status = 400, description = "`invalid_device_id`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
    )
)]
async fn unregister_push(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(device_id): Path<String>,
) -> HttpResult<Response> {
    answer(
        &edge,
        &rpc::DEVICE_PUSH,
        &DevicePushReq {
            user_id,
            device_id,
            push: None,
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
async fn mute_channel(
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
            },
        )
        .await?;
    Ok(json(StatusCode::OK, req))
}

#[utoipa::path(
    get,
    path = "/v1/discover",
    tag = "edges",
    summary = "The edge this user should connect to",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The edge", body = DiscoverResponse),
        (status = 503, description = "`unavailable`: no edge takes new sockets; retry with backoff", body = ApiError),
    )
)]
async fn discover(State(edge): State<Arc<Edge>>, Caller(user_id): Caller) -> HttpResult<Response> {
    Ok(json(
        StatusCode::OK,
        edge.discovery.discover(user_id).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/v1/push/webpush-key",
    tag = "devices",
    summary = "The VAPID public key browsers subscribe with",
    responses(
        (status = 200, description = "The key", body = WebPushKey),
        (status = 404, description = "`not_found`: web push is not configured", body = ApiError),
    )
)]
async fn webpush_key(State(edge): State<Arc<Edge>>) -> HttpResult<Response> {
    match &edge.config.webpush_public_key {
        Some(key) => Ok(json(
            StatusCode::OK,
            WebPushKey {
                public_key: key.clone(),
            },
        )),
        None => Err(ApiError::new(ErrorCode::NotFound, "web push is not configured").into()),
    }
}

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
async fn search_users(
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
    )
)]
async fn open_dm(
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
async fn list_channels(
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
async fn get_channel(
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
async fn list_members(
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

/// Applies a group change through the group's partition log.
async fn group_command(
    edge: &Edge,
    user_id: u64,
    channel_id: u64,
    action: ChannelAction,
) -> HttpResult<Response> {
    edge.limiters.send(user_id)?;
    let channel: Channel = edge.commands.run(edge, user_id, channel_id, action).await?;
    Ok(json(StatusCode::OK, channel))
}

#[utoipa::path(
    post,
    path = "/v1/groups",
    tag = "groups",
    summary = "Create a group",
    request_body = CreateGroupRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `invalid_group_name`", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
        (status = 409, description = "`group_full`: more than 100 members", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
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

#[utoipa::path(
    patch,
    path = "/v1/groups/{id}",
    tag = "groups",
    summary = "Rename a group (owner or admin)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    request_body = RenameGroupRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `invalid_group_name`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
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

#[utoipa::path(
    post,
    path = "/v1/groups/{id}/members",
    tag = "groups",
    summary = "Add members, all or nothing (owner or admin)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    request_body = AddMembersRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`; `not_found` for an empty id", body = ApiError),
        (status = 409, description = "`group_full`: the group would exceed 100 members", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
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

#[utoipa::path(
    delete,
    path = "/v1/groups/{id}/members/{user}",
    tag = "groups",
    summary = "Remove a member (oneself: leave)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`; `not_found` for an empty id", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
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

#[utoipa::path(
    post,
    path = "/v1/groups/{id}/leave",
    tag = "groups",
    summary = "Leave a group",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
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

#[utoipa::path(
    put,
    path = "/v1/groups/{id}/members/{user}/role",
    tag = "groups",
    summary = "Set a member's role (owner only)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    request_body = SetRoleRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request` (role `owner`, oneself, bad id), `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`: not a member; `not_found` for an empty id", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
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

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain"))
)]
async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "operations",
    summary = "This OpenAPI 3.1 document",
    responses((status = 200, description = "The document", body = Object))
)]
async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_bytes().clone(),
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 404, description = "`not_found`: metrics are disabled", body = ApiError),
    )
)]
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    fn spec() -> Value {
        serde_json::from_slice(openapi_bytes()).expect("the document is JSON")
    }

    /// Every `$ref` in `v`, with where it was found.
    fn refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push((at.clone(), r)),
                        _ => refs(v, format!("{at}/{k}"), out),
                    }
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    refs(v, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_route_is_in_the_spec_and_nothing_else() {
        let routed: BTreeSet<(String, String)> = routes()
            .into_iter()
            .map(|(m, p, _)| (m.as_str().to_ascii_lowercase(), p.to_string()))
            .collect();
        let spec = spec();
        let mut documented = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "routes missing from the OpenAPI document: {undocumented:?}; \
             documented but not routed: {unrouted:?}"
        );
    }

    #[test]
    fn spec_is_openapi_3_1_and_every_ref_resolves() {
        let spec = spec();
        let version = spec["openapi"].as_str().expect("openapi field");
        assert!(version.starts_with("3.1"), "openapi {version}");
        assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(spec["info"]["title"].is_string());
        let mut found = Vec::new();
        refs(&spec, String::new(), &mut found);
        assert!(!found.is_empty(), "schemas are referenced");
        for (at, r) in found {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{at}: external $ref {r}"));
            assert!(
                spec.pointer(pointer).is_some(),
                "{at}: $ref {r} resolves to nothing"
            );
        }
    }

    #[test]
    fn every_operation_documents_its_errors_and_security() {
        let spec = spec();
        let schemes = &spec["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        let codes = spec["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .expect("ErrorCode enum");
        for code in ErrorCode::ALL {
            assert!(codes.contains(&Value::from(code.as_str())), "{code}");
        }
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let responses = op["responses"].as_object().expect("responses");
                let secured = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
                if secured {
                    assert!(responses.contains_key("401"), "{method} {path}: no 401");
                }
                for (status, resp) in responses {
                    // `/readyz` answers 503 with its checks, not an error.
                    if path == "/readyz" {
                        continue;
                    }
                    if status.starts_with('4') || status.starts_with('5') {
                        let schema = &resp["content"]["application/json"]["schema"]["$ref"];
                        assert_eq!(
                            schema, "#/components/schemas/ApiError",
                            "{method} {path} {status}: error body is not an ApiError"
                        );
                    }
                }
            }
        }
    }
}
