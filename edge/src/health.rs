//! `/readyz`: whether this edge should get new clients.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use natter_nats::health::Readiness;

use crate::Edge;

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: NATS answering, registered for discovery, not draining",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: a failing check carries its reason", body = Readiness),
    )
)]
/// 200 when NATS answers a round trip, the edge is registered for discovery and not
/// draining; 503 otherwise. The body lists each check.
pub(crate) async fn readyz(State(edge): State<Arc<Edge>>) -> Response {
    let draining = edge.discovery.draining.load(Ordering::Relaxed);
    let mut r = edge.discovery.health.readiness(&edge.nats).await.with(
        "draining",
        if draining {
            Err("draining".into())
        } else {
            Ok(())
        },
    );
    for other in &edge.config.also_ready {
        for (check, state) in other.checks() {
            r = r.with(&check, state);
        }
    }
    response(r)
}

/// A `/readyz` answer: the checks as JSON, 200 or 503 (every service's `/readyz`).
pub fn response(r: Readiness) -> Response {
    let status = StatusCode::from_u16(r.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (status, Json(r)).into_response()
}
