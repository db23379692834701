//! Natter's TiKV backend, and opening a store from its spec.
//!
//! [`TikvStore`] implements `natter-store`'s backend-neutral `Store` trait on a
//! TiKV cluster through `tikv-client`'s transactional API; it passes the same
//! contract suite (`natter_store::contract`) as the embedded backend. [`StoreSpec`]
//! picks a backend from configuration, so only the crates that open stores by spec
//! (the `natter` binary) pull in `tikv-client` and its dependency tree.
//!
//! # Layout
//!
//! - `tikv` — the TiKV backend: [`TikvStore`], [`TikvConfig`], [`TikvTls`].
//! - [`spec`] — picking a backend from `embedded:<dir>` / `tikv://pd,...`.
#![deny(missing_docs)]

pub mod spec;
mod tikv;

pub use spec::StoreSpec;
pub use tikv::{TikvConfig, TikvStore, TikvTls};
