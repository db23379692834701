//! The shared model behind the PD and TiKV services: stores, regions (with
//! epochs and leaders), the timestamp oracle, the data, and injected faults.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

use crate::codec;
use crate::mvcc::Mvcc;
use crate::proto::{errorpb, kvrpcpb, metapb};

/// Bits of a TSO timestamp holding the logical counter.
pub const LOGICAL_BITS: u32 = 18;

/// Probabilities (0.0–1.0) of injecting each fault into a TiKV request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Answer `NotLeader` and move the region's leader to another store.
    pub not_leader: f64,
    /// Answer `ServerIsBusy` (tikv-client surfaces it; the caller retries).
    pub server_busy: f64,
    /// Bump the region's epoch (as a split or merge would) and answer `EpochNotMatch`.
    pub epoch_not_match: f64,
    /// Apply a `KvCommit`, then fail its reply with a gRPC error (a lost reply).
    pub commit_reply_lost: f64,
}

/// How often each fault was injected, and how many KV requests were served.
#[derive(Debug, Default)]
pub struct Stats {
    /// KV requests received.
    pub requests: AtomicU64,
    /// `NotLeader` answers.
    pub not_leader: AtomicU64,
    /// `ServerIsBusy` answers.
    pub server_busy: AtomicU64,
    /// `EpochNotMatch` answers (injected or from a real split).
    pub epoch_not_match: AtomicU64,
    /// `TxnNotFound` answers to `CheckTxnStatus`: a lock whose primary was never written.
    pub txn_not_found: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// KV requests received.
    pub requests: u64,
    /// `NotLeader` answers.
    pub not_leader: u64,
    /// `ServerIsBusy` answers.
    pub server_busy: u64,
    /// `EpochNotMatch` answers.
    pub epoch_not_match: u64,
    /// `TxnNotFound` answers to `CheckTxnStatus`.
    pub txn_not_found: u64,
}

/// One region: a key range `[start, end)` (empty end = unbounded) on every store.
#[derive(Debug, Clone)]
pub struct Region {
    /// Region id.
    pub id: u64,
    /// Inclusive start (user key).
    pub start: Vec<u8>,
    /// Exclusive end (user key); empty = unbounded.
    pub end: Vec<u8>,
    /// Epoch version, bumped by splits.
    pub version: u64,
    /// Store holding the leader peer.
    pub leader: u64,
}

impl Region {
    fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && (self.end.is_empty() || key < self.end.as_slice())
    }

    fn peer(&self, store: u64) -> metapb::Peer {
        metapb::Peer {
            id: self.id * 100 + store,
            store_id: store,
            ..Default::default()
        }
    }

    /// The region as PD and TiKV describe it (boundaries memcomparable-encoded).
    pub fn to_proto(&self, stores: u64) -> metapb::Region {
        metapb::Region {
            id: self.id,
            start_key: codec::encode(&self.start),
            end_key: codec::encode(&self.end),
            region_epoch: Some(metapb::RegionEpoch {
                conf_ver: 1,
                version: self.version,
            }),
            peers: (1..=stores).map(|s| self.peer(s)).collect(),
            ..Default::default()
        }
    }

    /// The leader peer.
    pub fn leader_peer(&self) -> metapb::Peer {
        self.peer(self.leader)
    }
}

/// Mutable state, behind one mutex (requests are short and never await inside).
pub struct State {
    /// Regions ordered by start key.
    pub regions: Vec<Region>,
    /// The data.
    pub mvcc: Mvcc,
    next_region_id: u64,
    faults: Faults,
    split_after_keys: Option<usize>,
}

/// Everything the services share.
pub struct Cluster {
    /// The mutable state.
    pub state: Mutex<State>,
    /// Number of TiKV stores (ids 1..=stores).
    pub stores: u64,
    /// Store addresses, index = id - 1 (filled once listeners are bound).
    pub addresses: Mutex<Vec<String>>,
    /// Fault counters.
    pub stats: Stats,
    /// PD's cluster id.
    pub cluster_id: u64,
    /// The highest GC safe point a client has set (old versions are not dropped here).
    pub gc_safe_point: AtomicU64,
    /// The last timestamp handed out; its own lock so it can be taken under `state`.
    last_ts: Mutex<u64>,
    /// Key suffixes whose next prewrite is refused (see [`Cluster::refuse_prewrite`]).
    refused_prewrites: Mutex<Vec<Vec<u8>>>,
}

fn region_error(message: &str) -> errorpb::Error {
    errorpb::Error {
        message: message.to_string(),
        ..Default::default()
    }
}

impl Cluster {
    /// A cluster of `stores` stores whose regions are split at `split_keys`.
    pub fn new(
        stores: u64,
        split_keys: &[Vec<u8>],
        faults: Faults,
        split_after_keys: Option<usize>,
    ) -> Self {
        let mut bounds: Vec<Vec<u8>> = split_keys
            .iter()
            .filter(|k| !k.is_empty())
            .cloned()
            .collect();
        bounds.sort();
        bounds.dedup();
        let mut regions = Vec::new();
        let mut start = Vec::new();
        for (i, end) in bounds
            .into_iter()
            .chain(std::iter::once(Vec::new()))
            .enumerate()
        {
            let id = i as u64 + 1;
            regions.push(Region {
                id,
                start: std::mem::replace(&mut start, end.clone()),
                end,
                version: 1,
                leader: (id - 1) % stores + 1,
            });
        }
        let next_region_id = regions.len() as u64 + 1;
        Self {
            state: Mutex::new(State {
                regions,
                mvcc: Mvcc::default(),
                next_region_id,
                faults,
                split_after_keys,
            }),
            stores,
            addresses: Mutex::new(Vec::new()),
            stats: Stats::default(),
            cluster_id: 0x4e41_5454_4552,
            gc_safe_point: AtomicU64::new(0),
            last_ts: Mutex::new(0),
            refused_prewrites: Mutex::new(Vec::new()),
        }
    }

    /// Locks the state; a poisoned lock (a panicked handler) is recovered.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The address of store `id`.
    pub fn address(&self, id: u64) -> Option<String> {
        let addresses = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
        addresses.get((id as usize).checked_sub(1)?).cloned()
    }

    /// A snapshot of the fault counters.
    pub fn stats(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.stats.requests.load(Ordering::Relaxed),
            not_leader: self.stats.not_leader.load(Ordering::Relaxed),
            server_busy: self.stats.server_busy.load(Ordering::Relaxed),
            epoch_not_match: self.stats.epoch_not_match.load(Ordering::Relaxed),
            txn_not_found: self.stats.txn_not_found.load(Ordering::Relaxed),
        }
    }

    /// Validates a request's region context on `store` for the keys it touches,
    /// injecting faults; returns the region's key range.
    pub fn route(
        &self,
        state: &mut State,
        store: u64,
        ctx: Option<&kvrpcpb::Context>,
        keys: &[&[u8]],
    ) -> Result<(Vec<u8>, Vec<u8>), errorpb::Error> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let ctx = ctx.ok_or_else(|| region_error("missing context"))?;
        let stores = self.stores;
        let faults = state.faults;
        let idx = state
            .regions
            .iter()
            .position(|r| r.id == ctx.region_id)
            .ok_or_else(|| errorpb::Error {
                message: "region not found".into(),
                region_not_found: Some(errorpb::RegionNotFound {
                    region_id: ctx.region_id,
                }),
                ..Default::default()
            })?;
        let epoch = ctx.region_epoch.clone().unwrap_or_default();
        if epoch.version != state.regions[idx].version {
            self.stats.epoch_not_match.fetch_add(1, Ordering::Relaxed);
            return Err(self.epoch_not_match(state, idx));
        }
        if state.regions[idx].leader != store {
            return Err(not_leader(&state.regions[idx]));
        }
        let region = &state.regions[idx];
        if let Some(key) = keys.iter().find(|k| !region.contains(k)) {
            return Err(errorpb::Error {
                message: "key not in region".into(),
                key_not_in_region: Some(errorpb::KeyNotInRegion {
                    key: key.to_vec(),
                    region_id: region.id,
                    start_key: region.start.clone(),
                    end_key: region.end.clone(),
                }),
                ..Default::default()
            });
        }
        let mut rng = rand::rng();
        if rng.random_bool(faults.not_leader.clamp(0.0, 1.0)) && stores > 1 {
            let region = &mut state.regions[idx];
            region.leader = region.leader % stores + 1;
            self.stats.not_leader.fetch_add(1, Ordering::Relaxed);
            return Err(not_leader(region));
        }
        if rng.random_bool(faults.server_busy.clamp(0.0, 1.0)) {
            self.stats.server_busy.fetch_add(1, Ordering::Relaxed);
            return Err(errorpb::Error {
                message: "server is busy (injected)".into(),
                server_is_busy: Some(errorpb::ServerIsBusy {
                    reason: "injected".into(),
                    backoff_ms: 10,
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        if rng.random_bool(faults.epoch_not_match.clamp(0.0, 1.0)) {
            state.regions[idx].version += 1;
            self.stats.epoch_not_match.fetch_add(1, Ordering::Relaxed);
            return Err(self.epoch_not_match(state, idx));
        }
        let region = &state.regions[idx];
        Ok((region.start.clone(), region.end.clone()))
    }

    fn epoch_not_match(&self, state: &State, idx: usize) -> errorpb::Error {
        let lo = idx.saturating_sub(1);
        let hi = (idx + 2).min(state.regions.len());
        errorpb::Error {
            message: "epoch not match".into(),
            epoch_not_match: Some(errorpb::EpochNotMatch {
                current_regions: state.regions[lo..hi]
                    .iter()
                    .map(|r| r.to_proto(self.stores))
                    .collect(),
            }),
            ..Default::default()
        }
    }

    /// Splits the region holding `key` at `key`; both halves get a new epoch.
    pub fn split(&self, key: &[u8]) {
        self.split_locked(&mut self.lock(), key);
    }

    /// Splits regions holding more than the configured number of keys at their
    /// median key, as TiKV splits regions that grow past their size limit.
    pub fn split_large(&self, state: &mut State, start: &[u8]) {
        let Some(max) = state.split_after_keys else {
            return;
        };
        let mut pending = vec![start.to_vec()];
        while let Some(start) = pending.pop() {
            let Some(region) = state.regions.iter().find(|r| r.start == start).cloned() else {
                continue;
            };
            let keys = state.mvcc.keys_between(&region.start, &region.end);
            if keys.len() <= max.max(1) {
                continue;
            }
            let middle = keys[keys.len() / 2].clone();
            self.split_locked(state, &middle);
            pending.push(region.start);
            pending.push(middle);
        }
    }

    fn split_locked(&self, state: &mut State, key: &[u8]) {
        let Some(idx) = state.regions.iter().position(|r| r.contains(key)) else {
            return;
        };
        if state.regions[idx].start == key {
            return;
        }
        let id = state.next_region_id;
        state.next_region_id += 1;
        let old = &mut state.regions[idx];
        old.version += 1;
        let right = Region {
            id,
            start: key.to_vec(),
            end: std::mem::replace(&mut old.end, key.to_vec()),
            version: old.version,
            leader: old.leader % self.stores + 1,
        };
        state.regions.insert(idx + 1, right);
    }

    /// Whether to lose this commit's reply.
    pub fn lose_commit_reply(&self) -> bool {
        let p = self.lock().faults.commit_reply_lost.clamp(0.0, 1.0);
        rand::rng().random_bool(p)
    }

    /// Refuses the next prewrite of a key ending in `suffix` with a retryable key
    /// error, while the transaction's other Regions prewrite normally.
    pub fn refuse_prewrite(&self, suffix: &[u8]) {
        let mut refused = self
            .refused_prewrites
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        refused.push(suffix.to_vec());
    }

    /// The key of `keys` whose prewrite is refused (once), if any.
    pub fn take_refused_prewrite<'k>(&self, keys: &[&'k [u8]]) -> Option<&'k [u8]> {
        let mut refused = self
            .refused_prewrites
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for (i, suffix) in refused.iter().enumerate() {
            if let Some(key) = keys.iter().find(|k| k.ends_with(suffix)) {
                refused.remove(i);
                return Some(key);
            }
        }
        None
    }

    /// Changes the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Allocates `count` consecutive timestamps and returns the last one.
    pub fn tso(&self, count: u32) -> u64 {
        let mut last_ts = self.last_ts.lock().unwrap_or_else(|p| p.into_inner());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let last_physical = *last_ts >> LOGICAL_BITS;
        let last_logical = *last_ts & ((1 << LOGICAL_BITS) - 1);
        let (physical, first_logical) = if now > last_physical {
            (now, 0)
        } else if last_logical + u64::from(count) + 1 < (1 << LOGICAL_BITS) {
            (last_physical, last_logical + 1)
        } else {
            (last_physical + 1, 0)
        };
        let tail = (physical << LOGICAL_BITS) | (first_logical + u64::from(count.max(1)) - 1);
        *last_ts = tail;
        tail
    }

    /// The region holding `key` (a user key).
    pub fn region_for(&self, key: &[u8]) -> Option<Region> {
        self.lock()
            .regions
            .iter()
            .find(|r| r.contains(key))
            .cloned()
    }

    /// The region with `id`.
    pub fn region_by_id(&self, id: u64) -> Option<Region> {
        self.lock().regions.iter().find(|r| r.id == id).cloned()
    }
}

fn not_leader(region: &Region) -> errorpb::Error {
    errorpb::Error {
        message: "not leader".into(),
        not_leader: Some(errorpb::NotLeader {
            region_id: region.id,
            leader: Some(region.leader_peer()),
        }),
        ..Default::default()
    }
}
