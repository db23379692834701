//! A failpoint for crash tests: a store whose unsynced writes really are lost when
//! the process dies.
//!
//! A kill -9 leaves the OS page cache intact, so on the embedded store writes that
//! were never fsynced usually survive it and a crash test would not exercise the
//! replay that recovers them. [`LoseUnsyncedTail`] wraps a real store and keeps
//! every [`Durability::Buffered`] write in process memory (visible to reads at
//! once, as the contract says) until the next [`Store::sync`] or `Sync` write
//! applies them to the store underneath in one synced batch. Killing the process
//! then loses exactly the tail a power loss could lose. Only for tests: it is
//! turned on by an `--unsafe-failpoint` flag of the store worker.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::kv::{
    BatchOp, CasOutcome, Condition, Durability, KeyValue, ScanRange, SharedStore, Store,
    StoreError, WriteBatch,
};

/// Buffered writes not yet applied underneath: key → value (`None`: deleted).
type Tail = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Wraps a store so that unsynced writes live only in this process (see the module doc).
pub struct LoseUnsyncedTail {
    inner: SharedStore,
    tail: Mutex<Tail>,
    /// Serialises writes: conditions are checked against the tail and the store
    /// together, and a sync moves the tail down without a write slipping between.
    writes: tokio::sync::Mutex<()>,
}

impl LoseUnsyncedTail {
    /// Wraps `inner`.
    pub fn new(inner: SharedStore) -> Self {
        Self {
            inner,
            tail: Mutex::default(),
            writes: tokio::sync::Mutex::new(()),
        }
    }

    fn tail(&self) -> std::sync::MutexGuard<'_, Tail> {
        self.tail.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tail's value for `key`: `Some(v)` if the tail decides it.
    fn in_tail(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.tail().get(key).cloned()
    }

    async fn current(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.in_tail(key) {
            Some(v) => Ok(v),
            None => self.inner.get(key).await,
        }
    }

    async fn check(&self, conditions: &[Condition]) -> Result<(), StoreError> {
        for c in conditions {
            if self.current(&c.key).await? != c.expected {
                return Err(StoreError::ConditionFailed { key: c.key.clone() });
            }
        }
        Ok(())
    }

    /// Applies the tail and `ops` underneath in one synced batch (write lock held).
    async fn flush(&self, ops: Vec<BatchOp>) -> Result<(), StoreError> {
        let tail = self.tail().clone();
        let mut batch = WriteBatch::new();
        for (key, value) in tail.iter() {
            batch = match value {
                Some(v) => batch.put(key.clone(), v.clone()),
                None => batch.delete(key.clone()),
            };
        }
        for op in ops {
            batch = match op {
                BatchOp::Put { key, value } => batch.put(key, value),
                BatchOp::Delete { key } => batch.delete(key),
            };
        }
        if !batch.is_empty() {
            self.inner.write(batch).await?;
        }
        let mut now = self.tail();
        // Only what was flushed leaves the tail (nothing else can have come in:
        // the write lock is held), so an unchanged entry is removed.
        for (key, value) in tail {
            if now.get(&key) == Some(&value) {
                now.remove(&key);
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Store for LoseUnsyncedTail {
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.current(key).await
    }

    async fn batch_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let mut out = self.inner.batch_get(keys).await?;
        let tail = self.tail();
        for (k, v) in keys.iter().zip(out.iter_mut()) {
            if let Some(t) = tail.get(k) {
                *v = t.clone();
            }
        }
        Ok(out)
    }

    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let _w = self.writes.lock().await;
        let (ops, conditions, durability) = batch.into_parts();
        self.check(&conditions).await?;
        match durability {
            Durability::Buffered => {
                let mut tail = self.tail();
                for op in ops {
                    match op {
                        BatchOp::Put { key, value } => tail.insert(key, Some(value)),
                        BatchOp::Delete { key } => tail.insert(key, None),
                    };
                }
                Ok(())
            }
            Durability::Sync => self.flush(ops).await,
        }
    }

    async fn scan(&self, range: ScanRange, limit: usize) -> Result<Vec<KeyValue>, StoreError> {
        let overlay: Vec<(Vec<u8>, Option<Vec<u8>>)> = self
            .tail()
            .iter()
            .filter(|(k, _)| range.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // The tail can hide at most its own number of keys underneath.
        let below = self
            .inner
            .scan(range.clone(), limit.saturating_add(overlay.len()))
            .await?;
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = below.into_iter().collect();
        for (k, v) in overlay {
            match v {
                Some(v) => merged.insert(k, v),
                None => merged.remove(&k),
            };
        }
        let mut out: Vec<KeyValue> = merged.into_iter().collect();
        if range.reverse {
            out.reverse();
        }
        out.truncate(limit);
        Ok(out)
    }

    async fn compare_and_set(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<CasOutcome, StoreError> {
        let _w = self.writes.lock().await;
        let current = self.current(key).await?;
        if current.as_deref() != expected {
            return Ok(CasOutcome::Mismatch { current });
        }
        let op = match new {
            Some(value) => BatchOp::Put {
                key: key.to_vec(),
                value,
            },
            None => BatchOp::Delete { key: key.to_vec() },
        };
        self.flush(vec![op]).await?;
        Ok(CasOutcome::Swapped)
    }

    async fn sync(&self) -> Result<(), StoreError> {
        let _w = self.writes.lock().await;
        self.flush(Vec::new()).await?;
        self.inner.sync().await
    }

    fn inline(self: std::sync::Arc<Self>) -> SharedStore {
        self
    }
}
