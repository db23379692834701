//! The WebSocket protocol at `/v1/ws`, one task per socket.
//!
//! - this module: the upgrade (token, device and format checked before it);
//! - `conn`: the socket's task: reads the client's frames, writes `hello`, the
//!   device's catch-up, live events and answers, coalesced into few writes;
//! - `ops`: what each client op does;
//! - `acks`: sends waiting for their `ack`, written with the sender's own copy;
//! - `writer`: the socket's write half, every write bounded in time;
//! - `messages`: the read half, fragments joined up to the frame limit in all;
//! - `delivery`: what the socket was sent, catch-up on connect and gap fill;
//! - `inbox`: what waits to be written, bounded in bytes;
//! - `write_buffer`: frames gathered into one write, no memory held when idle.

mod acks;
mod conn;
mod delivery;
mod inbox;
mod messages;
mod ops;
mod write_buffer;
mod writer;

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use fastwebsockets::upgrade::IncomingUpgrade;
use natter_protocol::{ApiError, ErrorCode, limits};
use serde::Deserialize;
use tracing::Instrument;

use crate::http::HttpError;
use crate::hub::Format;
use crate::{Edge, Phase};

pub(crate) use inbox::Inbox;

#[derive(Deserialize)]
struct ConnectParams {
    token: Option<String>,
    device: Option<String>,
    format: Option<String>,
}

/// Who is on a socket, and in which format.
struct Session {
    user_id: u64,
    /// The token's session and issue time (checked again when one of the user's
    /// sessions ends).
    token: crate::auth::Verified,
    device_id: String,
    format: Format,
    /// The socket's place among its user's on this edge, given back when it ends.
    slot: SocketSlot,
    /// Its connection's place among the edge's, likewise.
    _connection: Option<crate::serve::ConnectionSlot>,
}

/// Sockets open per user on this edge, each user's bounded by
/// `--max-sockets-per-user`: one account cannot hold an edge's memory and
/// descriptors with thousands of sockets.
/// Each user's entry also tells their sockets when one of the user's sessions ends,
/// so only that user's sockets look again at their tokens.
#[derive(Default)]
pub(crate) struct UserSockets {
    open: std::sync::Mutex<std::collections::HashMap<u64, (u32, tokio::sync::watch::Sender<u64>)>>,
}

impl UserSockets {
    fn open(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<u64, (u32, tokio::sync::watch::Sender<u64>)>,
    > {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells `user`'s sockets here that a session of theirs ended.
    pub(crate) fn session_ended(&self, user: u64) {
        if let Some((_, ended)) = self.open().get(&user) {
            ended.send_modify(|n| *n += 1);
        }
    }

    /// Takes one of `user`'s `max` places.
    ///
    /// # Errors
    /// `rate_limited` when all are taken (a socket must close first).
    fn reserve(self: &Arc<Self>, user: u64, max: u32) -> Result<SocketSlot, ApiError> {
        let mut open = self.open();
        let (n, ended) = open
            .entry(user)
            .or_insert_with(|| (0, tokio::sync::watch::Sender::new(0)));
        if *n >= max {
            metrics::counter!("natter_edge_sockets_refused_total").increment(1);
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                format!("at most {max} sockets per user on one edge: close one first"),
            ));
        }
        *n += 1;
        Ok(SocketSlot {
            sockets: self.clone(),
            user,
            ended: ended.subscribe(),
        })
    }
}

/// One socket's place among its user's; freed when dropped.
pub(crate) struct SocketSlot {
    sockets: Arc<UserSockets>,
    user: u64,
    /// Changes when one of the user's sessions ends.
    pub(crate) ended: tokio::sync::watch::Receiver<u64>,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.sockets.open();
        if let Some((n, _)) = open.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Whether a browser page from the request's `Origin` may open a socket: no
/// `Origin` (not a browser), this edge's own origin (the `Host` it was asked as, or
/// its public URL), or one the operator allowed.
///
/// # Errors
/// `forbidden` for any other origin.
fn check_origin(edge: &Edge, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    let same_host = host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, o)| o == h));
    let own = |url: &str| url.trim_end_matches('/').eq_ignore_ascii_case(&origin);
    let allowed = same_host
        || edge.config.public_url.as_deref().is_some_and(own)
        || edge
            .config
            .allowed_origins
            .iter()
            .any(|a| a == "*" || own(a));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("origin {origin} may not open sockets here (--allowed-origins)"),
        ))
    }
}

/// Checks the origin, token (query `token` or `Authorization: Bearer`), device id
/// and format before upgrading, so a refused client gets an HTTP error body.
fn accept(edge: &Edge, headers: &HeaderMap, query: Option<String>) -> Result<Session, ApiError> {
    check_origin(edge, headers)?;
    let params: ConnectParams = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("invalid query: {e}")))?;
    let header_token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let token = params
        .token
        .or(header_token)
        .ok_or_else(|| ApiError::new(ErrorCode::TokenInvalid, "missing token"))?;
    let verified = crate::auth::authenticate(edge, &token)?;
    let user_id = verified.user;
    let device_id = match params.device {
        Some(d) => {
            limits::check_client_id("device", &d, ErrorCode::InvalidDeviceId)?;
            d
        }
        None => format!("d-{:016x}", rand::random::<u64>()),
    };
    let format = match params.format.as_deref() {
        None | Some("json") => Format::Json,
        Some("msgpack") => Format::Msgpack,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("format {other:?}: json or msgpack"),
            ));
        }
    };
    let slot = edge
        .user_sockets
        .reserve(user_id, edge.config.max_sockets_per_user)?;
    Ok(Session {
        user_id,
        token: verified,
        device_id,
        format,
        slot,
        _connection: None,
    })
}

#[utoipa::path(
    get,
    path = "/v1/ws",
    tag = "websocket",
    summary = "Open the WebSocket (protocol in docs/asyncapi.yaml)",
    description = "An HTTP/1.1 upgrade (`Connection: Upgrade`, `Upgrade: websocket`). \
        Authenticated by the `token` parameter or an `Authorization: Bearer` header.",
    params(
        ("token" = Option<String>, Query, description = "The bearer token (unless sent as a header)"),
        ("device" = Option<String>, Query, description = "This device's stable id, 1-64 of `A-Z a-z 0-9 - _ . :`; assigned if left out"),
        ("format" = Option<String>, Query, description = "`json` (text frames, the default) or `msgpack` (binary frames)"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 101, description = "Switching protocols: the socket is open"),
        (status = 400, description = "`bad_request` (not a WebSocket upgrade, bad query), `invalid_device_id`", body = natter_protocol::ApiError),
        (status = 401, description = "`token_invalid`, `token_expired`, `token_revoked`", body = natter_protocol::ApiError),
        (status = 403, description = "`forbidden`: a browser page from an origin this edge does not allow", body = natter_protocol::ApiError),
        (status = 429, description = "`rate_limited`: the user has `--max-sockets-per-user` sockets open on this edge already", body = natter_protocol::ApiError),
        (status = 503, description = "`draining`: this edge takes no new sockets; discover another", body = natter_protocol::ApiError),
    )
)]
pub(crate) async fn upgrade(
    State(edge): State<Arc<Edge>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    // Taken as a Result so that a plain GET gets a JSON `bad_request` like every other
    // error, after the token is checked, rather than the extractor's bare 400.
    ws: Result<IncomingUpgrade, axum::http::StatusCode>,
    slot: Option<axum::Extension<crate::serve::ConnectionSlot>>,
) -> Response {
    if *edge.phase.borrow() != Phase::Running {
        return HttpError(ApiError::new(
            ErrorCode::Draining,
            "this edge is shutting down: discover another",
        ))
        .into_response();
    }
    let mut session = match accept(&edge, &headers, query) {
        Ok(s) => s,
        Err(e) => return HttpError(e).into_response(),
    };
    session._connection = slot.map(|axum::Extension(s)| s);
    if session.token.session != 0 {
        // The session's last use, for its list (written at most once a minute).
        let touch = natter_protocol::internal::SessionTouchReq {
            user_id: session.user_id,
            session_id: session.token.session,
            at_ms: natter_protocol::now_ms(),
        };
        let nats = edge.nats.clone();
        tokio::spawn(async move {
            if let Err(e) = natter_nats::rpc::SESSION_TOUCH.call(&nats, &touch).await {
                tracing::debug!(error = %e, "session use not recorded");
            }
        });
    }
    let Ok(ws) = ws else {
        return HttpError(ApiError::new(
            ErrorCode::BadRequest,
            "not a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Key)",
        ))
        .into_response();
    };
    match ws.upgrade() {
        Ok((response, fut)) => {
            // Inside the upgrade request's span, so the request id stays on it.
            let span = tracing::info_span!(
                "conn",
                user = session.user_id,
                device = %session.device_id
            );
            tokio::spawn(conn::serve(edge, fut, session).instrument(span));
            response.map(axum::body::Body::new).into_response()
        }
        Err(e) => HttpError(ApiError::new(
            ErrorCode::BadRequest,
            format!("websocket upgrade: {e}"),
        ))
        .into_response(),
    }
}
