//! Wire types shared by Natter's clients and services.
//!
//! Everything that crosses a process boundary is defined here once: the WebSocket
//! operations and events, the HTTP request and response bodies, the payloads that
//! services exchange over NATS, the limits every service enforces, and the registry
//! of stable error codes from which HTTP statuses and WebSocket error frames derive.
//!
//! # Layout
//! - [`error`]: [`ErrorCode`] (stable snake_case codes) and [`ApiError`].
//! - [`ws`]: client operations ([`ws::ClientOp`]) and server events ([`ws::ServerEvent`]).
//! - [`http`]: HTTP JSON bodies.
//! - [`internal`]: NATS payloads between services (stream batches, RPC).
//! - [`limits`]: input limits and their validation.
//! - [`ids`]: IDs are u64 in Rust and decimal strings on the wire (JavaScript
//!   numbers cannot hold a u64).
#![deny(missing_docs)]

pub mod error;
pub mod http;
pub mod ids;
pub mod internal;
pub mod limits;
pub mod ws;

pub use error::{ApiError, ErrorCode};

/// The version of the client protocol (HTTP routes and WebSocket ops and events)
/// this server speaks: sent in `hello` and by `GET /v1/version`. Raised only for a
/// change an existing client cannot ignore (added fields and events are not one).
pub const PROTOCOL_VERSION: u32 = 1;

/// Milliseconds since the Unix epoch: how every time on the wire is expressed.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
