//! Percolator over an in-memory ordered map: the transactional semantics TiKV
//! gives `tikv-client` (snapshot reads at a timestamp, prewrite locks, commit
//! records, rollbacks, lock resolution).

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::proto::kvrpcpb::{self, KeyError, LockInfo, Op};

/// One committed (or rolled back) version of a key.
#[derive(Debug, Clone)]
struct Write {
    start_ts: u64,
    commit_ts: u64,
    kind: WriteKind,
}

#[derive(Debug, Clone)]
enum WriteKind {
    Put(Vec<u8>),
    Delete,
    /// A committed `Op::Lock`: no data, but it conflicts with older writers.
    Lock,
    /// Protects a rolled-back transaction from a late prewrite or commit.
    Rollback,
}

/// A prewrite lock.
#[derive(Debug, Clone)]
struct Lock {
    primary: Vec<u8>,
    start_ts: u64,
    ttl: u64,
    op: Op,
    value: Vec<u8>,
    txn_size: u64,
    secondaries: Vec<Vec<u8>>,
    use_async_commit: bool,
    min_commit_ts: u64,
}

impl Lock {
    fn info(&self, key: &[u8]) -> LockInfo {
        LockInfo {
            primary_lock: self.primary.clone(),
            lock_version: self.start_ts,
            key: key.to_vec(),
            lock_ttl: self.ttl,
            txn_size: self.txn_size,
            lock_type: self.op as i32,
            use_async_commit: self.use_async_commit,
            min_commit_ts: self.min_commit_ts,
            secondaries: self.secondaries.clone(),
            ..Default::default()
        }
    }

    /// Whether the lock's TTL has passed at `current_ts` (both TSO timestamps).
    fn expired_at(&self, current_ts: u64) -> bool {
        physical(current_ts) >= physical(self.start_ts).saturating_add(self.ttl)
    }
}

/// Milliseconds part of a TSO timestamp.
pub fn physical(ts: u64) -> u64 {
    ts >> crate::cluster::LOGICAL_BITS
}

fn locked(key: &[u8], lock: &Lock) -> KeyError {
    KeyError {
        locked: Some(lock.info(key)),
        ..Default::default()
    }
}

fn abort(message: impl Into<String>) -> KeyError {
    KeyError {
        abort: message.into(),
        ..Default::default()
    }
}

fn txn_not_found(start_ts: u64, primary: &[u8]) -> KeyError {
    KeyError {
        txn_not_found: Some(kvrpcpb::TxnNotFound {
            start_ts,
            primary_key: primary.to_vec(),
        }),
        ..Default::default()
    }
}

/// What [`Mvcc::check_txn_status`] found.
#[derive(Debug, Default)]
pub struct TxnStatus {
    /// Remaining lock TTL (0 = not locked).
    pub lock_ttl: u64,
    /// Commit timestamp (0 = not committed).
    pub commit_version: u64,
    /// What the check did.
    pub action: kvrpcpb::Action,
    /// The primary's lock while it is alive.
    pub lock_info: Option<LockInfo>,
}

/// The multi-version store: committed versions and live locks per key.
#[derive(Default)]
pub struct Mvcc {
    /// Versions per key, newest commit first.
    writes: BTreeMap<Vec<u8>, Vec<Write>>,
    locks: BTreeMap<Vec<u8>, Lock>,
}

/// Key bounds of a request, `None` = unbounded.
pub type Range<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

impl Mvcc {
    fn add_write(&mut self, key: &[u8], write: Write) {
        let versions = self.writes.entry(key.to_vec()).or_default();
        let at = versions
            .iter()
            .position(|w| w.commit_ts < write.commit_ts)
            .unwrap_or(versions.len());
        versions.insert(at, write);
    }

    fn write_of_txn(&self, key: &[u8], start_ts: u64) -> Option<&Write> {
        self.writes
            .get(key)
            .and_then(|vs| vs.iter().find(|w| w.start_ts == start_ts))
    }

    /// Snapshot read of `key` at `ts`; a lock that may commit below `ts` is an error.
    pub fn get(&self, key: &[u8], ts: u64) -> Result<Option<Vec<u8>>, KeyError> {
        if let Some(lock) = self.locks.get(key) {
            // Lock-type locks carry no data; a lock newer than the read is invisible.
            if lock.start_ts <= ts && matches!(lock.op, Op::Put | Op::Del | Op::Insert) {
                return Err(locked(key, lock));
            }
        }
        let Some(versions) = self.writes.get(key) else {
            return Ok(None);
        };
        for w in versions.iter().filter(|w| w.commit_ts <= ts) {
            match &w.kind {
                WriteKind::Put(v) => return Ok(Some(v.clone())),
                WriteKind::Delete => return Ok(None),
                WriteKind::Lock | WriteKind::Rollback => continue,
            }
        }
        Ok(None)
    }

    /// Keys with a version or a lock in `range`, ascending or descending.
    fn keys_in(&self, range: Range<'_>, reverse: bool) -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = self
            .writes
            .range::<[u8], _>(range)
            .map(|(k, _)| k.clone())
            .chain(self.locks.range::<[u8], _>(range).map(|(k, _)| k.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        if reverse {
            keys.reverse();
        }
        keys
    }

    /// Snapshot scan: at most `limit` pairs; a locked key yields a pair with an error.
    pub fn scan(
        &self,
        range: Range<'_>,
        limit: usize,
        ts: u64,
        reverse: bool,
        key_only: bool,
    ) -> Vec<kvrpcpb::KvPair> {
        let mut out = Vec::new();
        for key in self.keys_in(range, reverse) {
            if out.len() >= limit {
                break;
            }
            match self.get(&key, ts) {
                Ok(Some(value)) => out.push(kvrpcpb::KvPair {
                    key,
                    value: if key_only { Vec::new() } else { value },
                    error: None,
                }),
                Ok(None) => {}
                Err(e) => out.push(kvrpcpb::KvPair {
                    key,
                    value: Vec::new(),
                    error: Some(e),
                }),
            }
        }
        out
    }

    /// Checks one mutation of a prewrite; `Ok(false)` = already done by this txn.
    fn check_prewrite(
        &self,
        m: &kvrpcpb::Mutation,
        start_ts: u64,
        primary: &[u8],
    ) -> Result<bool, KeyError> {
        if let Some(lock) = self.locks.get(&m.key) {
            if lock.start_ts == start_ts {
                return Ok(false);
            }
            return Err(locked(&m.key, lock));
        }
        if let Some(w) = self.write_of_txn(&m.key, start_ts) {
            return match w.kind {
                WriteKind::Rollback => Err(KeyError {
                    conflict: Some(kvrpcpb::WriteConflict {
                        start_ts,
                        conflict_ts: start_ts,
                        key: m.key.clone(),
                        primary: primary.to_vec(),
                        conflict_commit_ts: start_ts,
                        reason: kvrpcpb::write_conflict::Reason::SelfRolledBack as i32,
                    }),
                    ..Default::default()
                }),
                // Committed already: a retried prewrite changes nothing.
                _ => Ok(false),
            };
        }
        if let Some(newer) = self
            .writes
            .get(&m.key)
            .and_then(|vs| vs.iter().find(|w| !matches!(w.kind, WriteKind::Rollback)))
            .filter(|w| w.commit_ts >= start_ts)
        {
            return Err(KeyError {
                conflict: Some(kvrpcpb::WriteConflict {
                    start_ts,
                    conflict_ts: newer.start_ts,
                    key: m.key.clone(),
                    primary: primary.to_vec(),
                    conflict_commit_ts: newer.commit_ts,
                    reason: kvrpcpb::write_conflict::Reason::Optimistic as i32,
                }),
                ..Default::default()
            });
        }
        let op = Op::try_from(m.op).unwrap_or(Op::Put);
        if matches!(op, Op::Insert | Op::CheckNotExists)
            && self.get(&m.key, u64::MAX).ok().flatten().is_some()
        {
            return Err(KeyError {
                already_exist: Some(kvrpcpb::AlreadyExist { key: m.key.clone() }),
                ..Default::default()
            });
        }
        Ok(!matches!(op, Op::CheckNotExists))
    }

    /// Prewrites every mutation or none; with `one_pc_commit_ts` commits at once.
    pub fn prewrite(
        &mut self,
        req: &kvrpcpb::PrewriteRequest,
        one_pc_commit_ts: Option<u64>,
    ) -> Vec<KeyError> {
        let mut errors = Vec::new();
        let mut todo = Vec::new();
        for m in &req.mutations {
            match self.check_prewrite(m, req.start_version, &req.primary_lock) {
                Ok(true) => todo.push(m),
                Ok(false) => {}
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return errors;
        }
        for m in todo {
            let op = Op::try_from(m.op).unwrap_or(Op::Put);
            let op = if op == Op::Insert { Op::Put } else { op };
            let lock = Lock {
                primary: req.primary_lock.clone(),
                start_ts: req.start_version,
                ttl: req.lock_ttl,
                op,
                value: m.value.clone(),
                txn_size: req.txn_size,
                secondaries: req.secondaries.clone(),
                use_async_commit: req.use_async_commit,
                min_commit_ts: req.min_commit_ts,
            };
            match one_pc_commit_ts {
                Some(commit_ts) => self.apply_commit(&m.key, &lock, commit_ts),
                None => {
                    self.locks.insert(m.key.clone(), lock);
                }
            }
        }
        Vec::new()
    }

    fn apply_commit(&mut self, key: &[u8], lock: &Lock, commit_ts: u64) {
        let kind = match lock.op {
            Op::Put | Op::Insert => WriteKind::Put(lock.value.clone()),
            Op::Del => WriteKind::Delete,
            _ => WriteKind::Lock,
        };
        self.add_write(
            key,
            Write {
                start_ts: lock.start_ts,
                commit_ts,
                kind,
            },
        );
    }

    fn rollback_key(&mut self, key: &[u8], start_ts: u64) {
        if self.locks.get(key).is_some_and(|l| l.start_ts == start_ts) {
            self.locks.remove(key);
        }
        if self.write_of_txn(key, start_ts).is_none() {
            self.add_write(
                key,
                Write {
                    start_ts,
                    commit_ts: start_ts,
                    kind: WriteKind::Rollback,
                },
            );
        }
    }

    /// Commits `keys` of transaction `start_ts` at `commit_ts`.
    pub fn commit(
        &mut self,
        keys: &[Vec<u8>],
        start_ts: u64,
        commit_ts: u64,
    ) -> Result<(), KeyError> {
        for key in keys {
            if let Some(lock) = self
                .locks
                .get(key)
                .filter(|l| l.start_ts == start_ts)
                .cloned()
            {
                if commit_ts < lock.min_commit_ts {
                    return Err(KeyError {
                        commit_ts_expired: Some(kvrpcpb::CommitTsExpired {
                            start_ts,
                            attempted_commit_ts: commit_ts,
                            key: key.clone(),
                            min_commit_ts: lock.min_commit_ts,
                        }),
                        ..Default::default()
                    });
                }
                self.locks.remove(key);
                self.apply_commit(key, &lock, commit_ts);
                continue;
            }
            match self.write_of_txn(key, start_ts).map(|w| &w.kind) {
                Some(WriteKind::Rollback) | None => {
                    return Err(abort(format!(
                        "txn {start_ts} lock not found (rolled back)"
                    )));
                }
                // Committed already: commit is idempotent.
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Rolls back `keys` of `start_ts`; refuses if the transaction committed.
    pub fn batch_rollback(&mut self, keys: &[Vec<u8>], start_ts: u64) -> Result<(), KeyError> {
        for key in keys {
            if self
                .write_of_txn(key, start_ts)
                .is_some_and(|w| !matches!(w.kind, WriteKind::Rollback))
            {
                return Err(abort(format!("txn {start_ts} already committed")));
            }
        }
        for key in keys {
            self.rollback_key(key, start_ts);
        }
        Ok(())
    }

    /// Rolls back the lock on `key` if it expired; returns the commit ts if committed.
    pub fn cleanup(&mut self, key: &[u8], start_ts: u64, current_ts: u64) -> Result<u64, KeyError> {
        if let Some(lock) = self.locks.get(key).filter(|l| l.start_ts == start_ts) {
            if current_ts != 0 && !lock.expired_at(current_ts) {
                return Err(locked(key, lock));
            }
            self.rollback_key(key, start_ts);
            return Ok(0);
        }
        match self.write_of_txn(key, start_ts) {
            Some(w) if !matches!(w.kind, WriteKind::Rollback) => Ok(w.commit_ts),
            _ => {
                self.rollback_key(key, start_ts);
                Ok(0)
            }
        }
    }

    /// The status of transaction `lock_ts` from its primary key, rolling it back if expired.
    pub fn check_txn_status(
        &mut self,
        primary: &[u8],
        lock_ts: u64,
        current_ts: u64,
        rollback_if_not_exist: bool,
    ) -> Result<TxnStatus, KeyError> {
        if let Some(lock) = self.locks.get(primary).filter(|l| l.start_ts == lock_ts) {
            if lock.expired_at(current_ts) {
                self.rollback_key(primary, lock_ts);
                return Ok(TxnStatus {
                    action: kvrpcpb::Action::TtlExpireRollback,
                    ..Default::default()
                });
            }
            return Ok(TxnStatus {
                lock_ttl: lock.ttl,
                lock_info: Some(lock.info(primary)),
                ..Default::default()
            });
        }
        match self.write_of_txn(primary, lock_ts) {
            Some(w) if matches!(w.kind, WriteKind::Rollback) => Ok(TxnStatus::default()),
            Some(w) => Ok(TxnStatus {
                commit_version: w.commit_ts,
                ..Default::default()
            }),
            None if rollback_if_not_exist => {
                self.rollback_key(primary, lock_ts);
                Ok(TxnStatus {
                    action: kvrpcpb::Action::LockNotExistRollback,
                    ..Default::default()
                })
            }
            None => Err(txn_not_found(lock_ts, primary)),
        }
    }

    /// Extends the primary lock's TTL to at least `advise_ttl`.
    pub fn heartbeat(
        &mut self,
        primary: &[u8],
        start_ts: u64,
        advise_ttl: u64,
    ) -> Result<u64, KeyError> {
        match self
            .locks
            .get_mut(primary)
            .filter(|l| l.start_ts == start_ts)
        {
            Some(lock) => {
                lock.ttl = lock.ttl.max(advise_ttl);
                Ok(lock.ttl)
            }
            None => Err(txn_not_found(start_ts, primary)),
        }
    }

    /// Commits (`commit_ts > 0`) or rolls back every lock of the given transactions in `range`.
    pub fn resolve(&mut self, range: Range<'_>, txns: &[(u64, u64)], keys: &[Vec<u8>]) {
        let candidates: Vec<Vec<u8>> = if keys.is_empty() {
            self.locks
                .range::<[u8], _>(range)
                .map(|(k, _)| k.clone())
                .collect()
        } else {
            keys.to_vec()
        };
        for key in candidates {
            let Some(lock) = self.locks.get(&key).cloned() else {
                continue;
            };
            let Some(&(_, commit_ts)) = txns.iter().find(|(start, _)| *start == lock.start_ts)
            else {
                continue;
            };
            if commit_ts > 0 {
                self.locks.remove(&key);
                self.apply_commit(&key, &lock, commit_ts);
            } else {
                self.rollback_key(&key, lock.start_ts);
            }
        }
    }

    /// Locks of `start_ts` on `keys` and its commit ts if any key committed (async commit).
    pub fn check_secondary_locks(
        &mut self,
        keys: &[Vec<u8>],
        start_ts: u64,
    ) -> (Vec<LockInfo>, u64) {
        let mut locks = Vec::new();
        for key in keys {
            if let Some(lock) = self.locks.get(key).filter(|l| l.start_ts == start_ts) {
                locks.push(lock.info(key));
                continue;
            }
            match self.write_of_txn(key, start_ts) {
                Some(w) if !matches!(w.kind, WriteKind::Rollback) => {
                    return (Vec::new(), w.commit_ts);
                }
                Some(_) => return (Vec::new(), 0),
                None => {
                    self.rollback_key(key, start_ts);
                    return (Vec::new(), 0);
                }
            }
        }
        (locks, 0)
    }

    /// Keys with data or a lock in `[start, end)` (empty end = unbounded), ascending.
    pub fn keys_between(&self, start: &[u8], end: &[u8]) -> Vec<Vec<u8>> {
        let upper = if end.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Excluded(end)
        };
        self.keys_in((Bound::Included(start), upper), false)
    }

    /// Locks in `range` of transactions that started at or before `max_version`.
    pub fn scan_locks(&self, range: Range<'_>, max_version: u64, limit: usize) -> Vec<LockInfo> {
        self.locks
            .range::<[u8], _>(range)
            .filter(|(_, l)| l.start_ts <= max_version)
            .take(if limit == 0 { usize::MAX } else { limit })
            .map(|(k, l)| l.info(k))
            .collect()
    }

    /// Leaves a prewrite lock on `key` whose primary was never written, as a
    /// writer that died mid-prewrite does.
    pub fn plant_orphan_lock(&mut self, key: &[u8], primary: &[u8], start_ts: u64, ttl: u64) {
        self.locks.insert(
            key.to_vec(),
            Lock {
                primary: primary.to_vec(),
                start_ts,
                ttl,
                op: Op::Put,
                value: b"never committed".to_vec(),
                txn_size: 2,
                secondaries: Vec::new(),
                use_async_commit: false,
                min_commit_ts: 0,
            },
        );
    }

    /// Number of live locks (for tests: a finished workload leaves none behind for long).
    pub fn lock_count(&self) -> usize {
        self.locks.len()
    }
}
