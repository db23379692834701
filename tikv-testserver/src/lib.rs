//! An in-process stand-in for a TiKV cluster (PD + TiKV stores), speaking the
//! subset of their gRPC protocols that `tikv-client` uses.
//!
//! No TiKV or PD binary can be installed on the development machine, so the
//! TiKV backend is proven against this server instead: the real `tikv-client`
//! talks gRPC to it exactly as it would to a cluster. The server generates its
//! service traits at build time from the `.proto` files shipped inside the
//! `tikv-client` package (see `build.rs`).
//!
//! What it models:
//! - several stores, each on its own port, and several regions with epochs and
//!   leaders; region boundaries are memcomparable-encoded on the PD side, as
//!   TiKV's are for transactional keys;
//! - Percolator transactions ([`mvcc`]): snapshot reads, prewrite locks, write
//!   conflicts, commit, rollback, lock TTLs, lock resolution, one-phase commit;
//! - injected faults ([`Faults`]): `NotLeader` with a leader move, `ServerIsBusy`,
//!   `EpochNotMatch` with an epoch bump, and live region splits ([`TestCluster::split`]).
//!
//! It keeps data in memory only; it is a test double for the client's wire
//! protocol, not a database.

// Errors here are protocol messages (KeyError, errorpb::Error) handed straight
// back to the client; boxing them would only add allocations.
#![allow(clippy::result_large_err)]

pub mod cluster;
pub mod codec;
pub mod kv;
pub mod mvcc;
pub mod pd;

/// Code generated from tikv-client's `.proto` files (messages, and the PD and TiKV server traits).
#[allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all)]
pub mod proto {
    macro_rules! generated {
        ($($name:ident),* $(,)?) => {
            $(pub mod $name {
                include!(concat!(env!("OUT_DIR"), "/", stringify!($name), ".rs"));
            })*
        };
    }
    generated!(
        coprocessor,
        deadlock,
        disaggregated,
        disk_usage,
        encryptionpb,
        eraftpb,
        errorpb,
        kvrpcpb,
        metapb,
        mpp,
        pdpb,
        raft_serverpb,
        replication_modepb,
        resource_manager,
        tikvpb,
        tracepb,
    );
}

use std::net::SocketAddr;
use std::sync::Arc;

pub use cluster::{Cluster, Faults, StatsSnapshot};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

/// Error starting the test cluster.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// How to build a [`TestCluster`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of TiKV stores (each listens on its own port).
    pub stores: u64,
    /// Keys at which the keyspace is split into regions.
    pub split_keys: Vec<Vec<u8>>,
    /// Faults injected into TiKV requests.
    pub faults: Faults,
    /// Split a region once it holds more keys than this (`None` = never).
    pub split_after_keys: Option<usize>,
    /// Address to bind (port 0 = any free port) for PD; stores take free ports.
    pub pd_addr: SocketAddr,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            stores: 3,
            split_keys: Vec::new(),
            faults: Faults::default(),
            split_after_keys: None,
            pd_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// A running PD and its TiKV stores on loopback; stops when dropped.
pub struct TestCluster {
    cluster: Arc<Cluster>,
    pd: SocketAddr,
    stop: watch::Sender<bool>,
}

impl TestCluster {
    /// Binds PD and every store, and serves them on the current tokio runtime.
    pub async fn start(options: Options) -> Result<Self, StartError> {
        let cluster = Arc::new(Cluster::new(
            options.stores.max(1),
            &options.split_keys,
            options.faults,
            options.split_after_keys,
        ));
        let (stop, stopped) = watch::channel(false);
        let pd_listener = TcpListener::bind(options.pd_addr).await?;
        let pd = pd_listener.local_addr()?;
        let mut store_listeners = Vec::new();
        for _ in 0..cluster.stores {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            cluster
                .addresses
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(listener.local_addr()?.to_string());
            store_listeners.push(listener);
        }
        let pd_service = pd::Pd::new(Arc::clone(&cluster), format!("http://{pd}"));
        serve(
            Server::builder().add_service(proto::pdpb::pd_server::PdServer::new(pd_service)),
            pd_listener,
            stopped.clone(),
        )?;
        for (i, listener) in store_listeners.into_iter().enumerate() {
            let kv = kv::Kv::new(Arc::clone(&cluster), i as u64 + 1);
            serve(
                Server::builder().add_service(
                    proto::tikvpb::tikv_server::TikvServer::new(kv)
                        .max_decoding_message_size(64 << 20),
                ),
                listener,
                stopped.clone(),
            )?;
        }
        Ok(Self { cluster, pd, stop })
    }

    /// PD's endpoint, as `tikv-client` takes it (`127.0.0.1:PORT`).
    pub fn pd_endpoint(&self) -> String {
        self.pd.to_string()
    }

    /// Splits the region holding `key` at `key` (clients learn of it through `EpochNotMatch`).
    pub fn split(&self, key: &[u8]) {
        self.cluster.split(key);
    }

    /// Changes the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.cluster.set_faults(faults);
    }

    /// Refuses the next prewrite of a key ending in `suffix` (a retryable key
    /// error), so a transaction spanning Regions fails with its other locks written.
    pub fn refuse_prewrite(&self, suffix: &[u8]) {
        self.cluster.refuse_prewrite(suffix);
    }

    /// How many requests were served and faults injected so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.cluster.stats()
    }

    /// Number of regions.
    pub fn region_count(&self) -> usize {
        self.cluster.lock().regions.len()
    }

    /// Leaves a lock on `key` from a transaction whose primary (`primary`) was
    /// never prewritten: what a writer killed mid-prewrite leaves behind.
    pub fn plant_orphan_lock(&self, key: &[u8], primary: &[u8]) {
        let start_ts = self.cluster.tso(1);
        self.cluster
            .lock()
            .mvcc
            .plant_orphan_lock(key, primary, start_ts, 3000);
    }

    /// The GC safe point clients have advanced to (0 = never).
    pub fn gc_safe_point(&self) -> u64 {
        self.cluster
            .gc_safe_point
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Number of live transaction locks.
    pub fn lock_count(&self) -> usize {
        self.cluster.lock().mvcc.lock_count()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Serves `router` on `listener` until `stopped` turns true.
fn serve(
    router: tonic::transport::server::Router,
    listener: TcpListener,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), StartError> {
    let incoming = TcpIncoming::from_listener(listener, true, None)?;
    tokio::spawn(async move {
        let stop = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        if let Err(e) = router.serve_with_incoming_shutdown(incoming, stop).await {
            tracing::warn!(error = %e, "test TiKV server stopped");
        }
    });
    Ok(())
}
