//! The embedded backend: one fjall database in a local directory.
//!
//! fjall is synchronous, so every call runs on tokio's blocking pool, unless made
//! through an [`Store::inline`] handle by a caller on a thread of its own. The
//! store is meant to be opened by one process only (fjall locks the directory),
//! which is what lets a process-local mutex make conditional writes atomic.
//!
//! Durability: a commit reaches fjall's journal buffer; a sync flushes that buffer
//! to the OS (under fjall's journal lock, a memory copy) and then fsyncs the
//! filesystem with `syncfs(2)` *outside* that lock, so commits go on while the
//! disk works. fjall's own `persist(SyncAll)` would hold the journal lock across
//! the fsync and stall every commit behind it.
//!
//! Failure: a failed journal write (a full disk, an I/O error) poisons fjall, which
//! then refuses every write, and a failed fsync may have dropped dirty pages, so a
//! later fsync that succeeds proves nothing. Either makes this handle broken for
//! good: every later write or sync fails with [`StoreError::Fatal`] (reads go on)
//! until the store is reopened, which recovers the journal's intact prefix.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use crate::kv::{
    BatchOp, CasOutcome, Condition, Durability, KeyValue, ScanRange, SharedStore, Store,
    StoreError, WriteBatch,
};

/// Name of the single fjall keyspace holding all tables (the key tag separates them).
const KEYSPACE: &str = "natter";

/// The fjall-backed [`Store`]; cheap to clone, all clones share one database.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
    /// Calls run on the caller's thread (see [`Store::inline`]) instead of tokio's
    /// blocking pool.
    inline: bool,
}

struct Inner {
    db: Database,
    ks: Keyspace,
    /// The store's directory, for `syncfs` (fsync of everything on its filesystem).
    dir: std::fs::File,
    /// Serialises check-then-commit of `write` and `compare_and_set`; holds the
    /// number of commits so far (each commit's place in the journal).
    write_lock: Mutex<u64>,
    /// Group commit: the number of commits known to be on disk. A syncing writer
    /// holds this lock across its fsync, so writers that queue behind it find
    /// their commit already covered and skip their own fsync.
    synced: Mutex<u64>,
    /// Why this handle can no longer write (the first fatal failure), once it can't.
    broken: OnceLock<String>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, u64> {
        // The mutex guards a counter only, so a panic while holding it leaves
        // nothing inconsistent: recover from poisoning instead of propagating it.
        self.write_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.ks.get(key).map_err(backend)?.map(|v| v.to_vec()))
    }

    fn check(&self, conditions: &[Condition]) -> Result<(), StoreError> {
        for c in conditions {
            if self.get(&c.key)?.as_deref() != c.expected.as_deref() {
                return Err(StoreError::ConditionFailed { key: c.key.clone() });
            }
        }
        Ok(())
    }

    /// Commits `ops` under the write lock `guard`; returns the commit's number.
    fn commit_locked(
        &self,
        guard: &mut MutexGuard<'_, u64>,
        ops: Vec<BatchOp>,
    ) -> Result<u64, StoreError> {
        self.commit(ops)?;
        **guard += 1;
        Ok(**guard)
    }

    fn commit(&self, ops: Vec<BatchOp>) -> Result<(), StoreError> {
        self.writable()?;
        let mut batch = self.db.batch();
        for op in ops {
            match op {
                BatchOp::Put { key, value } => batch.insert(&self.ks, key, value),
                BatchOp::Delete { key } => batch.remove(&self.ks, key),
            }
        }
        // Any failure here is a journal write that failed: fjall is poisoned.
        batch
            .commit()
            .map_err(|e| self.broke(format!("journal write failed: {e}")))
    }

    /// Fails with [`StoreError::Fatal`] once the handle is broken.
    fn writable(&self) -> Result<(), StoreError> {
        match self.broken.get() {
            Some(why) => Err(StoreError::Fatal {
                message: why.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Marks the handle broken (keeping the first cause) and returns the error.
    fn broke(&self, why: String) -> StoreError {
        let first = self.broken.get_or_init(|| why.clone());
        tracing::error!(error = %why, first = %first, "the embedded store can no longer write; it must be reopened");
        StoreError::Fatal { message: why }
    }

    /// Makes commit number `commit` durable (group commit).
    ///
    /// Called after the write lock is released, so commits go on while one fsync
    /// runs. The journal is append-only: one fsync makes every earlier commit
    /// durable. Writers queue on `synced`; the one holding it fsyncs everything
    /// committed so far, and those behind it whose commit that covered return
    /// without an fsync of their own, so a burst of small synced writes costs a
    /// few fsyncs, not one each (fjall holds its journal lock during an fsync, so
    /// one fsync per write would also stall every commit). No caller is told "ok"
    /// before its commit is on disk. A concurrent reader (or a conditional writer)
    /// may see a committed value before it is on disk; that is the same
    /// visibility as a Buffered write, and any Sync write that depended on it is
    /// later in the journal, so that write's own sync covers it.
    fn sync(&self, commit: u64) -> Result<(), StoreError> {
        let mut synced = self
            .synced
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *synced >= commit {
            return Ok(());
        }
        self.writable()?;
        let upto = *self.lock();
        let started = std::time::Instant::now();
        // Every commit up to `upto` is in the journal's buffer: move it to the OS
        // (brief, under fjall's journal lock), then fsync without that lock.
        self.db
            .persist(PersistMode::Buffer)
            .map_err(|e| self.broke(format!("journal write failed: {e}")))?;
        rustix::fs::syncfs(&self.dir).map_err(|e| self.broke(format!("syncfs failed: {e}")))?;
        metrics::histogram!("natter_store_fsync_seconds").record(started.elapsed().as_secs_f64());
        *synced = upto;
        Ok(())
    }

    /// Makes every commit so far durable.
    fn sync_all(&self) -> Result<(), StoreError> {
        let upto = *self.lock();
        self.sync(upto)
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let (ops, conditions, durability) = batch.into_parts();
        if ops.is_empty() {
            let _guard = self.lock();
            return self.check(&conditions);
        }
        let started = std::time::Instant::now();
        let commit = {
            let mut guard = self.lock();
            self.check(&conditions)?;
            self.commit_locked(&mut guard, ops)?
        };
        metrics::histogram!("natter_store_commit_seconds").record(started.elapsed().as_secs_f64());
        if durability == Durability::Sync {
            self.sync(commit)?;
        }
        Ok(())
    }

    fn scan(&self, range: ScanRange, limit: usize) -> Result<Vec<KeyValue>, StoreError> {
        if limit == 0 || range.is_empty() {
            return Ok(Vec::new());
        }
        let start = range.start.as_slice();
        let iter = match range.end.as_deref() {
            Some(end) => self.ks.range(start..end),
            None => self.ks.range(start..),
        };
        let iter: Box<dyn Iterator<Item = fjall::Guard>> = if range.reverse {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        };
        let mut out = Vec::with_capacity(limit.min(1024));
        for guard in iter.take(limit) {
            let (k, v) = guard.into_inner().map_err(backend)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the store in directory `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let db = Database::builder(path.as_ref()).open().map_err(backend)?;
        let ks = db
            .keyspace(KEYSPACE, KeyspaceCreateOptions::default)
            .map_err(backend)?;
        let dir = std::fs::File::open(path.as_ref()).map_err(|e| StoreError::Backend {
            message: format!("open {}: {e}", path.as_ref().display()),
            retryable: false,
        })?;
        tracing::debug!(path = %path.as_ref().display(), "opened embedded store");
        Ok(Self {
            inline: false,
            inner: Arc::new(Inner {
                db,
                ks,
                dir,
                write_lock: Mutex::new(0),
                synced: Mutex::new(0),
                broken: OnceLock::new(),
            }),
        })
    }

    /// Runs `f` on the blocking pool, since fjall calls may block on disk I/O (on the
    /// caller's thread for an inline handle).
    async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        if self.inline {
            return f(&self.inner);
        }
        self.off_thread(f).await
    }

    /// Runs `f` on the blocking pool, inline handle or not.
    async fn off_thread<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| StoreError::Backend {
                message: format!("blocking store task failed: {e}"),
                retryable: false,
            })?
    }
}

/// Maps a fjall error; I/O errors may be transient, a poisoned database is fatal,
/// everything else is not retryable.
fn backend(e: fjall::Error) -> StoreError {
    if matches!(e, fjall::Error::Poisoned) {
        return StoreError::Fatal {
            message: e.to_string(),
        };
    }
    let retryable = matches!(e, fjall::Error::Io(_) | fjall::Error::Locked);
    StoreError::Backend {
        message: e.to_string(),
        retryable,
    }
}

#[async_trait::async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let key = key.to_vec();
        self.blocking(move |s| s.get(&key)).await
    }

    async fn batch_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let keys = keys.to_vec();
        self.blocking(move |s| keys.iter().map(|k| s.get(k)).collect())
            .await
    }

    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.blocking(move |s| s.write(batch)).await
    }

    async fn scan(
        &self,
        range: ScanRange,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.blocking(move |s| s.scan(range, limit)).await
    }

    async fn compare_and_set(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<CasOutcome, StoreError> {
        let key = key.to_vec();
        let expected = expected.map(<[u8]>::to_vec);
        self.blocking(move |s| {
            let commit = {
                let mut guard = s.lock();
                let current = s.get(&key)?;
                if current != expected {
                    return Ok(CasOutcome::Mismatch { current });
                }
                let op = match new {
                    Some(value) => BatchOp::Put { key, value },
                    None => BatchOp::Delete { key },
                };
                s.commit_locked(&mut guard, vec![op])?
            };
            s.sync(commit)?;
            Ok(CasOutcome::Swapped)
        })
        .await
    }

    async fn sync(&self) -> Result<(), StoreError> {
        // An fsync takes milliseconds: always off the caller's thread.
        self.off_thread(Inner::sync_all).await
    }

    fn inline(self: Arc<Self>) -> SharedStore {
        Arc::new(Self {
            inner: Arc::clone(&self.inner),
            inline: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_database_is_fatal() {
        assert!(backend(fjall::Error::Poisoned).is_fatal());
        assert!(!backend(fjall::Error::Locked).is_fatal());
    }

    /// After a failed journal write or fsync nothing more is written through the
    /// handle (it must be reopened); what it holds can still be read.
    #[tokio::test]
    async fn a_broken_handle_refuses_writes_and_syncs_but_reads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = EmbeddedStore::open(dir.path()).expect("open");
        store
            .write(WriteBatch::new().put(b"k".to_vec(), b"v".to_vec()))
            .await
            .expect("write");
        let _ = store.inner.broke("journal write failed: test".into());
        let write = store
            .write(WriteBatch::new().put(b"k2".to_vec(), b"v".to_vec()))
            .await;
        assert!(matches!(write, Err(StoreError::Fatal { .. })), "{write:?}");
        let cas = store
            .compare_and_set(b"k3", None, Some(b"v".to_vec()))
            .await;
        assert!(matches!(cas, Err(StoreError::Fatal { .. })), "{cas:?}");
        let buffered = store
            .write(
                WriteBatch::new()
                    .put(b"k4".to_vec(), b"v".to_vec())
                    .durability(Durability::Buffered),
            )
            .await;
        assert!(matches!(buffered, Err(StoreError::Fatal { .. })));
        assert_eq!(store.get(b"k").await.expect("read"), Some(b"v".to_vec()));
        assert_eq!(store.get(b"k2").await.expect("read"), None);
        drop(store);
        // Reopened, it writes again.
        let store = EmbeddedStore::open(dir.path()).expect("reopen");
        store
            .write(WriteBatch::new().put(b"k2".to_vec(), b"v".to_vec()))
            .await
            .expect("write after reopening");
        assert_eq!(store.get(b"k").await.expect("read"), Some(b"v".to_vec()));
    }
}
