//! Snowflake-style 64-bit IDs: time-ordered, unique across every live process, with
//! no network hop per ID.
//!
//! An ID is `0 | 41 bits ms since 2024-01-01 | 10 bits worker id | 12 bits sequence`.
//! Uniqueness across processes rests on the worker id: each process leases one from
//! the JetStream KV bucket `idgen_leases` and renews it; the lease expires 10 s
//! ([`IDGEN_LEASE_TTL`](natter_nats::layout::IDGEN_LEASE_TTL)) after its last write,
//! and a generator stops issuing before that (or at once when it sees that someone
//! else wrote its key). Uniqueness over time under one worker id rests on the
//! high-water mark in `idgen_hwm`: a holder never issues an ID at or past
//! `mark + TTL`, and the next holder of that id starts there, so even a clock that
//! steps back across a takeover or restart never yields a duplicate.
//!
//! ```no_run
//! # async fn demo(js: async_nats::jetstream::Context) -> Result<(), natter_idgen::IdgenError> {
//! let ids = natter_idgen::IdGenerator::start(js).await?;
//! let id = ids.next_id()?;
//! assert_eq!(natter_idgen::worker_of(id), ids.worker_id());
//! ids.release().await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`snowflake`]: the pure generator ([`Snowflake`]) and ID decoding
//!   ([`timestamp_ms`], [`worker_of`]); clock steps back and spent milliseconds are
//!   handled here.
//! - `lease` (private): the KV protocol — lease create / compare-and-set renewal /
//!   release, and the compare-and-set, only-rising high-water mark.
//! - [`IdGenerator`] (in `generator`): a `Snowflake` behind a mutex plus the renewal
//!   task; after a lease loss it leases a *new* worker id in the background
//!   ([`IdGenOptions::reacquire`]) and never issues under the lost one again.
//! - [`IdgenError`]: every failure.
#![deny(missing_docs)]

mod error;
mod generator;
mod lease;
pub mod snowflake;

pub use error::IdgenError;
pub use generator::{IdGenOptions, IdGenerator};
pub use snowflake::{EPOCH_MS, Snowflake, first_id_at, timestamp_ms, worker_of};
