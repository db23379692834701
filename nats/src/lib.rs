//! Natter's NATS layout in one place.
//!
//! Every subject, stream, consumer and KV bucket that Natter's services use is named
//! and defined here, so that no call site builds a subject string by hand and the
//! whole layout can be read (and set up) from one module.
//!
//! # Layout
//! - [`subjects`]: subject names and their formatters (`msg.<partition>.<channel>`,
//!   `user.<user_id>`, `rpc.<service>.<method>`).
//! - [`layout`]: the message stream, its per-partition consumers and the KV buckets,
//!   created idempotently by whichever service starts first ([`layout::ensure`]).
//! - [`log_auth`]: edges sign their appends to the log; owners verify them.
//! - [`rpc`]: every request-reply between services (subject, request and reply
//!   types, timeout) and the one client that calls them.
//! - [`user_events`]: the format of what store workers publish on `user.<id>`
//!   (one event, or a batch with its positions), encoded and decoded here.
//! - [`connect`]: how services connect to NATS; [`subscriber`]: a receive-only
//!   connection for many subscriptions (an edge's per-user subjects).
//! - [`revocations`]: ended sessions, followed by every edge into memory.
//! - [`ttl_kv`]: KV keys with a per-key TTL, claimed and renewed conditionally (leases).
//! - [`server`]: finding a `nats-server` binary (2.11 or later) and running it as a
//!   child process; [`server::NatsServer`] is also the test harness (free port, temp
//!   folder, killed on drop).
//! - The shipped server configs live in `nats/config/` (`single.conf`, and
//!   `cluster-node-{1,2,3}.conf` for a 3-node cluster).
#![deny(missing_docs)]

pub mod connect;
pub mod health;
pub mod layout;
pub mod log_auth;
pub mod revocations;
pub mod rpc;
pub mod server;
pub mod subjects;
pub mod subscriber;
pub mod ttl_kv;
pub mod user_events;

pub use connect::connect;
pub use layout::{Layout, LayoutError, ensure};
pub use server::{NatsServer, ServerError};

/// NATS message headers Natter sets.
pub mod headers {
    /// Every payload says how to decode it.
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// MessagePack payloads (the stream, RPC).
    pub const MSGPACK: &str = "application/msgpack";
    /// JSON payloads (user events: the client's own event JSON).
    pub const JSON: &str = "application/json";
    /// Kind of a user event (`message`).
    pub const EVENT: &str = "Natter-Event";
    /// Channel id of a message event, so edges need not parse the payload.
    pub const CHANNEL: &str = "Natter-Channel";
    /// Seq of a message event, for per-socket duplicate suppression.
    pub const SEQ: &str = "Natter-Seq";
    /// Several message events in one NATS message (`Natter-Event: messages`): each
    /// one's `channel:seq:bytes` (format in [`crate::user_events`]).
    pub const POSITIONS: &str = "Natter-Positions";
    /// The user a notice between services is about (`hide_presence`).
    pub const USER: &str = "Natter-User";

    /// Headers of an event for clients: JSON payload, and its kind (`message`,
    /// `read`, `typing`, `presence`, `error`).
    pub fn json_event(kind: &str) -> async_nats::HeaderMap {
        let mut h = async_nats::HeaderMap::new();
        h.insert(CONTENT_TYPE, JSON);
        h.insert(EVENT, kind);
        h
    }
}
