//! The HTTP JSON API. Every error is an [`ApiError`] body with the status its code
//! maps to; bodies and queries are parsed here so that malformed input gets the same
//! typed error as everything else.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use natter_nats::rpc;
use natter_protocol::{ApiError, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Edge;

mod accounts;
mod channels;
mod chat_requests;
mod devices;
mod export;
pub(crate) use export::EXPORTS_AT_ONCE;
mod groups;
mod media;
mod messages;
mod openapi;
mod reports;
mod service;
mod users;

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
        route!(POST "/v1/signup" => accounts::signup),
        route!(POST "/v1/login" => accounts::login),
        route!(GET "/v1/me" => accounts::me),
        route!(PATCH "/v1/me" => accounts::update_me),
        route!(DELETE "/v1/me" => accounts::delete_me),
        route!(POST "/v1/me/password" => accounts::change_password),
        route!(POST "/v1/logout" => accounts::logout),
        route!(POST "/v1/logout/everywhere" => accounts::logout_everywhere),
        route!(GET "/v1/sessions" => accounts::sessions),
        route!(DELETE "/v1/sessions/{id}" => accounts::end_session),
        route!(GET "/v1/users" => users::search_users),
        route!(GET "/v1/users/{id}" => users::get_user),
        route!(GET "/v1/blocks" => users::list_blocks),
        route!(PUT "/v1/blocks/{user}" => users::block_user),
        route!(DELETE "/v1/blocks/{user}" => users::unblock_user),
        route!(POST "/v1/reports" => reports::report),
        route!(POST "/v1/me/export" => export::start_export),
        route!(GET "/v1/me/export" => export::export_status),
        route!(GET "/v1/exports/{user}/{id}" => export::download_export),
        route!(POST "/v1/dm" => channels::open_dm),
        route!(GET "/v1/discover" => service::discover),
        route!(GET "/v1/version" => service::version),
        route!(POST "/v1/devices" => devices::register_push),
        route!(GET "/v1/devices" => devices::list_devices),
        route!(DELETE "/v1/devices/{device}" => devices::unregister_push),
        route!(PUT "/v1/channels/{id}/mute" => channels::mute_channel),
        route!(PUT "/v1/channels/{id}/notifications" => channels::set_notifications),
        route!(GET "/v1/channels" => channels::list_channels),
        route!(GET "/v1/channels/{id}" => channels::get_channel),
        route!(GET "/v1/channels/{id}/members" => channels::list_members),
        route!(GET "/v1/channels/{id}/receipts" => channels::receipts),
        route!(GET "/v1/channels/{id}/messages" => channels::history),
        route!(GET "/v1/channels/{id}/messages/{seq}" => messages::get_message),
        route!(PATCH "/v1/channels/{id}/messages/{seq}" => messages::edit_message),
        route!(DELETE "/v1/channels/{id}/messages/{seq}" => messages::delete_message),
        route!(GET "/v1/channels/{id}/messages/{seq}/edits" => messages::message_edits),
        route!(PUT "/v1/channels/{id}/messages/{seq}/reactions/{emoji}" => messages::add_reaction),
        route!(DELETE "/v1/channels/{id}/messages/{seq}/reactions/{emoji}" => messages::remove_reaction),
        route!(PUT "/v1/channels/{id}/messages/{seq}/hidden" => messages::hide_message),
        route!(GET "/v1/channels/{id}/pins" => messages::list_pins),
        route!(PUT "/v1/channels/{id}/pins/{seq}" => messages::pin_message),
        route!(DELETE "/v1/channels/{id}/pins/{seq}" => messages::unpin_message),
        route!(POST "/v1/channels/{id}/attachments" => media::upload_file),
        route!(POST "/v1/channels/{id}/uploads" => media::open_upload),
        route!(GET "/v1/uploads/{id}" => media::upload_status),
        route!(PUT "/v1/uploads/{id}/parts/{n}" => media::put_part),
        route!(POST "/v1/uploads/{id}/complete" => media::complete_upload),
        route!(GET "/v1/channels/{id}/messages/{seq}/attachments/{att}" => media::attachment_link),
        route!(GET "/v1/media/{att}" => media::download),
        route!(POST "/v1/groups" => groups::create_group),
        route!(PATCH "/v1/groups/{id}" => groups::rename_group),
        route!(PUT "/v1/groups/{id}/retention" => groups::set_retention),
        route!(POST "/v1/groups/{id}/members" => groups::add_members),
        route!(DELETE "/v1/groups/{id}/members/{user}" => groups::remove_member),
        route!(PUT "/v1/groups/{id}/members/{user}/role" => groups::set_role),
        route!(POST "/v1/groups/{id}/leave" => groups::leave_group),
        route!(PUT "/v1/groups/{id}/bans/{user}" => groups::ban),
        route!(DELETE "/v1/groups/{id}/bans/{user}" => groups::unban),
        route!(PUT "/v1/groups/{id}/members/{user}/mute" => groups::mute_member),
        route!(DELETE "/v1/groups/{id}/members/{user}/mute" => groups::unmute_member),
        route!(POST "/v1/groups/{id}/invites" => groups::create_invite),
        route!(GET "/v1/groups/{id}/invites" => groups::list_invites),
        route!(DELETE "/v1/groups/{id}/invites/{code}" => groups::revoke_invite),
        route!(POST "/v1/invites/{code}/join" => groups::join_by_invite),
        route!(POST "/v1/requests" => chat_requests::create_request),
        route!(GET "/v1/requests" => chat_requests::list_requests),
        route!(POST "/v1/requests/{id}/accept" => chat_requests::accept_request),
        route!(DELETE "/v1/requests/{id}" => chat_requests::decline_request),
        route!(GET "/v1/ws" => crate::socket::upgrade),
        route!(GET "/v1/push/webpush-key" => devices::webpush_key),
        route!(GET "/v1/openapi.json" => openapi::openapi_json),
        route!(GET "/healthz" => service::healthz),
        route!(GET "/readyz" => crate::health::readyz),
    ]
}

pub(crate) fn router(edge: Arc<Edge>) -> Router {
    // Routes sharing a path merge their methods (axum panics on a duplicate method).
    let router = routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler)
        });
    router
        .fallback(crate::web::fallback)
        .layer(axum::middleware::from_fn_with_state(
            edge.clone(),
            body_deadline,
        ))
        .with_state(edge)
}

/// Most bytes of a request body (axum's default body limit).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Reads a request's whole body within the edge's body timeout before its handler
/// runs: a body trickled a byte at a time would otherwise hold its connection and
/// buffer for as long as the client likes (the header timeout covers headers only).
async fn body_deadline(
    axum::extract::State(edge): axum::extract::State<Arc<Edge>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let read = axum::body::to_bytes(body, MAX_BODY_BYTES);
    match tokio::time::timeout(edge.config.body_timeout, read).await {
        Ok(Ok(bytes)) => {
            next.run(axum::extract::Request::from_parts(parts, bytes.into()))
                .await
        }
        Ok(Err(_)) => HttpError(ApiError::new(
            ErrorCode::BadRequest,
            "request body over 2 MiB, or cut off",
        ))
        .into_response(),
        Err(_) => {
            metrics::counter!("natter_edge_body_timeouts_total").increment(1);
            let mut r = HttpError(ApiError::new(
                ErrorCode::BadRequest,
                "request body not received in time",
            ))
            .into_response();
            r.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            r
        }
    }
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
        Ok(Caller(authenticate(edge, &parts.headers)?.user))
    }
}

/// The authenticated caller's token: user, session, issue and expiry times.
pub(crate) struct CallerToken(pub crate::auth::Verified);

impl axum::extract::FromRequestParts<Arc<Edge>> for CallerToken {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        edge: &Arc<Edge>,
    ) -> Result<Self, HttpError> {
        Ok(CallerToken(authenticate(edge, &parts.headers)?))
    }
}

/// What a request's bearer token says, once checked against the revocation list.
fn authenticate(edge: &Edge, headers: &HeaderMap) -> Result<crate::auth::Verified, ApiError> {
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
    crate::auth::authenticate(edge, token.trim())
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
