//! Routes for operators and load balancers, and discovery: which edge a client
//! should connect to, liveness, and metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use natter_protocol::http::DiscoverResponse;
use natter_protocol::{ApiError, ErrorCode};

use super::{Caller, HttpError, HttpResult, json};
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
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain"))
)]
pub(super) async fn healthz() -> &'static str {
    "ok"
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
pub(super) async fn metrics(State(edge): State<Arc<Edge>>) -> Response {
    match &edge.config.metrics {
        Some(render) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            render(),
        )
            .into_response(),
        None => HttpError(ApiError::new(ErrorCode::NotFound, "metrics disabled")).into_response(),
    }
}
