//! The TiKV service of one store: transactional reads and writes, routed by
//! region, with the cluster's injected faults.

use std::ops::Bound;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::cluster::{Cluster, State};
use crate::mvcc::Range;
use crate::proto::{errorpb, kvrpcpb, tikvpb};

/// The TiKV service of store `store`.
pub struct Kv {
    cluster: Arc<Cluster>,
    store: u64,
}

impl Kv {
    /// Store `store` of `cluster`.
    pub fn new(cluster: Arc<Cluster>, store: u64) -> Self {
        Self { cluster, store }
    }

    /// Routes the request, then runs `f` on the state with the region's bounds.
    fn run<T>(
        &self,
        ctx: Option<&kvrpcpb::Context>,
        keys: &[&[u8]],
        f: impl FnOnce(&mut State, (&[u8], &[u8])) -> T,
    ) -> Result<T, errorpb::Error> {
        let mut state = self.cluster.lock();
        let (start, end) = self.cluster.route(&mut state, self.store, ctx, keys)?;
        let out = f(&mut state, (&start, &end));
        self.cluster.split_large(&mut state, &start);
        Ok(out)
    }
}

/// `[lo, hi)` with an empty `hi` meaning unbounded.
fn range<'a>(lo: &'a [u8], hi: &'a [u8]) -> Range<'a> {
    let upper = if hi.is_empty() {
        Bound::Unbounded
    } else {
        Bound::Excluded(hi)
    };
    (Bound::Included(lo), upper)
}

/// Whether `[lo, hi)` lies inside the region `[start, end)` (empty = unbounded).
fn inside(lo: &[u8], hi: &[u8], (start, end): (&[u8], &[u8])) -> bool {
    lo >= start && (end.is_empty() || (!hi.is_empty() && hi <= end))
}

fn out_of_region() -> errorpb::Error {
    errorpb::Error {
        message: "range not in region".into(),
        ..Default::default()
    }
}

fn keys(list: &[Vec<u8>]) -> Vec<&[u8]> {
    list.iter().map(Vec::as_slice).collect()
}

#[tonic::async_trait]
impl tikvpb::tikv_server::Tikv for Kv {
    async fn kv_get(
        &self,
        request: Request<kvrpcpb::GetRequest>,
    ) -> Result<Response<kvrpcpb::GetResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &[&req.key], |s, _| {
            s.mvcc.get(&req.key, req.version)
        }) {
            Err(e) => kvrpcpb::GetResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(Err(e)) => kvrpcpb::GetResponse {
                error: Some(e),
                ..Default::default()
            },
            Ok(Ok(value)) => kvrpcpb::GetResponse {
                not_found: value.is_none(),
                value: value.unwrap_or_default(),
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_scan(
        &self,
        request: Request<kvrpcpb::ScanRequest>,
    ) -> Result<Response<kvrpcpb::ScanResponse>, Status> {
        let req = request.into_inner();
        // A reverse scan's start key is its exclusive upper bound.
        let (lo, hi) = if req.reverse {
            (&req.end_key, &req.start_key)
        } else {
            (&req.start_key, &req.end_key)
        };
        let result = self.run(req.context.as_ref(), &[], |s, region| {
            if !inside(lo, hi, region) {
                return Err(out_of_region());
            }
            Ok(s.mvcc.scan(
                range(lo, hi),
                req.limit as usize,
                req.version,
                req.reverse,
                req.key_only,
            ))
        });
        let resp = match result.and_then(|r| r) {
            Err(e) => kvrpcpb::ScanResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(pairs) => kvrpcpb::ScanResponse {
                pairs,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_prewrite(
        &self,
        request: Request<kvrpcpb::PrewriteRequest>,
    ) -> Result<Response<kvrpcpb::PrewriteResponse>, Status> {
        let req = request.into_inner();
        let touched: Vec<&[u8]> = req.mutations.iter().map(|m| m.key.as_slice()).collect();
        if let Some(key) = self.cluster.take_refused_prewrite(&touched) {
            return Ok(Response::new(kvrpcpb::PrewriteResponse {
                errors: vec![kvrpcpb::KeyError {
                    retryable: format!("prewrite of {key:?} refused (injected)"),
                    ..Default::default()
                }],
                ..Default::default()
            }));
        }
        // A one-phase commit takes its commit ts under the state lock: every
        // snapshot handed out later reads after this write is applied.
        let cluster = Arc::clone(&self.cluster);
        let resp = match self.run(req.context.as_ref(), &touched, |s, _| {
            let one_pc = req.try_one_pc.then(|| cluster.tso(1));
            (s.mvcc.prewrite(&req, one_pc), one_pc)
        }) {
            Err(e) => kvrpcpb::PrewriteResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok((errors, one_pc)) => kvrpcpb::PrewriteResponse {
                one_pc_commit_ts: if errors.is_empty() {
                    one_pc.unwrap_or(0)
                } else {
                    0
                },
                errors,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_txn_heart_beat(
        &self,
        request: Request<kvrpcpb::TxnHeartBeatRequest>,
    ) -> Result<Response<kvrpcpb::TxnHeartBeatResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &[&req.primary_lock], |s, _| {
            s.mvcc
                .heartbeat(&req.primary_lock, req.start_version, req.advise_lock_ttl)
        }) {
            Err(e) => kvrpcpb::TxnHeartBeatResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(Err(e)) => kvrpcpb::TxnHeartBeatResponse {
                error: Some(e),
                ..Default::default()
            },
            Ok(Ok(lock_ttl)) => kvrpcpb::TxnHeartBeatResponse {
                lock_ttl,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_check_txn_status(
        &self,
        request: Request<kvrpcpb::CheckTxnStatusRequest>,
    ) -> Result<Response<kvrpcpb::CheckTxnStatusResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &[&req.primary_key], |s, _| {
            s.mvcc.check_txn_status(
                &req.primary_key,
                req.lock_ts,
                req.current_ts,
                req.rollback_if_not_exist,
            )
        }) {
            Err(e) => kvrpcpb::CheckTxnStatusResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(Err(e)) => {
                if e.txn_not_found.is_some() {
                    self.cluster
                        .stats
                        .txn_not_found
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                kvrpcpb::CheckTxnStatusResponse {
                    error: Some(e),
                    ..Default::default()
                }
            }
            Ok(Ok(status)) => kvrpcpb::CheckTxnStatusResponse {
                lock_ttl: status.lock_ttl,
                commit_version: status.commit_version,
                action: status.action as i32,
                lock_info: status.lock_info,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_check_secondary_locks(
        &self,
        request: Request<kvrpcpb::CheckSecondaryLocksRequest>,
    ) -> Result<Response<kvrpcpb::CheckSecondaryLocksResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &keys(&req.keys), |s, _| {
            s.mvcc.check_secondary_locks(&req.keys, req.start_version)
        }) {
            Err(e) => kvrpcpb::CheckSecondaryLocksResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok((locks, commit_ts)) => kvrpcpb::CheckSecondaryLocksResponse {
                locks,
                commit_ts,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_commit(
        &self,
        request: Request<kvrpcpb::CommitRequest>,
    ) -> Result<Response<kvrpcpb::CommitResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &keys(&req.keys), |s, _| {
            s.mvcc
                .commit(&req.keys, req.start_version, req.commit_version)
        }) {
            Err(e) => kvrpcpb::CommitResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(Err(e)) => kvrpcpb::CommitResponse {
                error: Some(e),
                ..Default::default()
            },
            Ok(Ok(())) => kvrpcpb::CommitResponse {
                commit_version: req.commit_version,
                ..Default::default()
            },
        };
        if resp.region_error.is_none() && resp.error.is_none() && self.cluster.lose_commit_reply() {
            return Err(Status::unavailable("commit applied, reply lost (injected)"));
        }
        Ok(Response::new(resp))
    }

    async fn kv_cleanup(
        &self,
        request: Request<kvrpcpb::CleanupRequest>,
    ) -> Result<Response<kvrpcpb::CleanupResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &[&req.key], |s, _| {
            s.mvcc.cleanup(&req.key, req.start_version, req.current_ts)
        }) {
            Err(e) => kvrpcpb::CleanupResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(Err(e)) => kvrpcpb::CleanupResponse {
                error: Some(e),
                ..Default::default()
            },
            Ok(Ok(commit_version)) => kvrpcpb::CleanupResponse {
                commit_version,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_batch_get(
        &self,
        request: Request<kvrpcpb::BatchGetRequest>,
    ) -> Result<Response<kvrpcpb::BatchGetResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &keys(&req.keys), |s, _| {
            let mut pairs = Vec::new();
            for key in &req.keys {
                match s.mvcc.get(key, req.version) {
                    Ok(Some(value)) => pairs.push(kvrpcpb::KvPair {
                        key: key.clone(),
                        value,
                        error: None,
                    }),
                    Ok(None) => {}
                    Err(e) => pairs.push(kvrpcpb::KvPair {
                        key: key.clone(),
                        value: Vec::new(),
                        error: Some(e),
                    }),
                }
            }
            pairs
        }) {
            Err(e) => kvrpcpb::BatchGetResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(pairs) => kvrpcpb::BatchGetResponse {
                pairs,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_batch_rollback(
        &self,
        request: Request<kvrpcpb::BatchRollbackRequest>,
    ) -> Result<Response<kvrpcpb::BatchRollbackResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &keys(&req.keys), |s, _| {
            s.mvcc.batch_rollback(&req.keys, req.start_version)
        }) {
            Err(e) => kvrpcpb::BatchRollbackResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(result) => kvrpcpb::BatchRollbackResponse {
                error: result.err(),
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn kv_resolve_lock(
        &self,
        request: Request<kvrpcpb::ResolveLockRequest>,
    ) -> Result<Response<kvrpcpb::ResolveLockResponse>, Status> {
        let req = request.into_inner();
        let txns: Vec<(u64, u64)> = if req.txn_infos.is_empty() {
            vec![(req.start_version, req.commit_version)]
        } else {
            req.txn_infos.iter().map(|t| (t.txn, t.status)).collect()
        };
        let resp = match self.run(req.context.as_ref(), &keys(&req.keys), |s, (start, end)| {
            s.mvcc.resolve(range(start, end), &txns, &req.keys)
        }) {
            Err(e) => kvrpcpb::ResolveLockResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(()) => kvrpcpb::ResolveLockResponse::default(),
        };
        Ok(Response::new(resp))
    }

    async fn kv_scan_lock(
        &self,
        request: Request<kvrpcpb::ScanLockRequest>,
    ) -> Result<Response<kvrpcpb::ScanLockResponse>, Status> {
        let req = request.into_inner();
        let resp = match self.run(req.context.as_ref(), &[&req.start_key], |s, (_, end)| {
            // tikv-client narrows only the start key to the region: clip the end here.
            let hi: &[u8] = match (req.end_key.is_empty(), end.is_empty()) {
                (true, _) => end,
                (false, true) => &req.end_key,
                (false, false) => req.end_key.as_slice().min(end),
            };
            s.mvcc.scan_locks(
                range(&req.start_key, hi),
                req.max_version,
                req.limit as usize,
            )
        }) {
            Err(e) => kvrpcpb::ScanLockResponse {
                region_error: Some(e),
                ..Default::default()
            },
            Ok(locks) => kvrpcpb::ScanLockResponse {
                locks,
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }
}
