//! Routes for operators and load balancers, and discovery: which edge a client
//! should connect to, and liveness (metrics are served on `--metrics-listen`, not
//! here: they are for operators).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use natter_protocol::ApiError;
use natter_protocol::http::DiscoverResponse;

use super::{Caller, HttpResult, json};
use crate::Edge;

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
pub(super) async fn discover(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
) -> HttpResult<Response> {
    Ok(json(
        StatusCode::OK,
        edge.discovery.discover(user_id).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/v1/version",
    tag = "edges",
    summary = "The protocol version this server speaks",
    description = "No token needed. A client checks `protocol` (also in the WebSocket `hello`) before it connects.",
    responses((status = 200, description = "The versions", body = natter_protocol::http::VersionResponse))
)]
pub(super) async fn version() -> Response {
    json(
        StatusCode::OK,
        natter_protocol::http::VersionResponse {
            protocol: natter_protocol::PROTOCOL_VERSION,
            server: env!("CARGO_PKG_VERSION").to_string(),
        },
    )
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain"))
)]
pub(super) async fn healthz() -> &'static str {
    "ok"
}
