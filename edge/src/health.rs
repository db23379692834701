//! `/readyz`: whether this edge should get new clients.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::Edge;

/// The `/readyz` body, for the OpenAPI document (the type itself is
/// `natter_nats::health::Readiness`, shared by every service).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ReadinessBody {
    /// Every check passed.
    ready: bool,
    /// Each check (`nats`, `discovery`, `draining`): `ok` or why not.
    checks: std::collections::BTreeMap<String, String>,
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: NATS connected, registered for discovery, not draining",
    responses(
        (status = 200, description = "Ready", body = ReadinessBody),
        (status = 503, description = "Not ready: a failing check carries its reason", body = ReadinessBody),
    )
)]
/// 200 when NATS is connected, the edge is registered for discovery and not
/// draining; 503 otherwise. The body lists each check.
pub(crate) async fn readyz(State(edge): State<Arc<Edge>>) -> Response {
    let r = edge.discovery.health.readiness(&edge.nats);
    let status = if r.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(r)).into_response()
}
