//! `/readyz`: whether this edge should get new clients.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::Edge;

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
