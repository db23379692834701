//! Natter's storage layer.
//!
//! Everything Natter persists goes through one small, backend-neutral trait,
//! [`Store`]: an ordered byte-key/byte-value map with point reads, ordered
//! range scans, atomic conditional write batches and compare-and-set. Callers
//! never see backend types, so the embedded single-node backend
//! ([`EmbeddedStore`], built on fjall) and the distributed TiKV backend ([`TikvStore`]) can be
//! swapped without touching the rest of the system. The [`contract`] module is
//! the executable definition of the semantics every backend must provide.
//!
//! # Layout
//!
//! - [`kv`] — the [`Store`] trait, [`WriteBatch`], [`ScanRange`],
//!   [`CasOutcome`], [`Durability`] and [`StoreError`].
//! - [`keys`] — the key schema: a one-byte table tag followed by big-endian
//!   integers, so byte order equals logical order in scans.
//! - [`value`] — values are one version byte followed by named MessagePack.
//! - [`embedded`] — the fjall backend, for single-process deployments and tests.
//! - [`tikv`] — the TiKV backend (transactional API), for clusters.
//! - [`spec`] — picking a backend from `embedded:<dir>` / `tikv://pd,...`.
//! - [`migrate`] — copying a whole store into another, and verifying the copy.
//! - [`contract`] — the shared behavioural test suite any backend must pass.
#![deny(missing_docs)]

pub mod contract;
pub mod embedded;
pub mod keys;
pub mod kv;
pub mod migrate;
pub mod spec;
pub mod tikv;
pub mod value;

pub use embedded::EmbeddedStore;
pub use kv::{
    BatchOp, CasOutcome, Condition, Durability, KeyValue, ScanRange, SharedStore, Store,
    StoreError, WriteBatch,
};
pub use spec::StoreSpec;
pub use tikv::{TikvConfig, TikvStore, TikvTls};
