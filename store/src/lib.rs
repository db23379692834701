//! Natter's storage layer.
//!
//! Everything Natter persists goes through one small, backend-neutral trait,
//! [`Store`]: an ordered byte-key/byte-value map with point reads, ordered
//! range scans, atomic conditional write batches and compare-and-set. Callers
//! never see backend types, so the embedded single-node backend
//! ([`EmbeddedStore`], built on fjall) and the distributed TiKV backend (`TikvStore`,
//! in the `natter-tikv` crate) can be swapped without touching the rest of the
//! system. The [`contract`] module is the executable definition of the semantics
//! every backend must provide.
//!
//! # Layout
//!
//! - [`kv`] — the [`Store`] trait, [`WriteBatch`], [`ScanRange`],
//!   [`CasOutcome`], [`Durability`] and [`StoreError`].
//! - [`keys`] — the key schema: a one-byte table tag followed by big-endian
//!   integers, so byte order equals logical order in scans.
//! - [`value`] — values are one version byte followed by named MessagePack.
//! - [`embedded`] — the fjall backend, for single-process deployments and tests.
//! - [`migrate`] — copying a whole store into another (any two backends), and
//!   verifying the copy.
//! - [`contract`] — the shared behavioural test suite any backend must pass.
//! - [`failpoint`] — a wrapper whose unsynced writes die with the process, for
//!   crash tests that must really lose the store's unsynced tail.
//! - [`observed`] — a wrapper that reports every call's outcome, for acting on
//!   store failures in one place.
#![deny(missing_docs)]

pub mod contract;
pub mod embedded;
pub mod failpoint;
pub mod keys;
pub mod kv;
pub mod migrate;
pub mod observed;
pub mod value;

pub use embedded::EmbeddedStore;
pub use kv::{
    BatchOp, CasOutcome, Condition, Durability, KeyValue, ScanRange, SharedStore, Store,
    StoreError, WriteBatch,
};
