//! A store that tells an observer the outcome of every call, so that a service acts
//! on store failures (readiness, metrics, stopping to reopen the store) in one place
//! rather than at each of its call sites.

use std::sync::Arc;

use crate::kv::{CasOutcome, KeyValue, ScanRange, SharedStore, Store, StoreError, WriteBatch};

/// Which kind of call an outcome is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `get`, `batch_get`, `scan`.
    Read,
    /// `write`, `compare_and_set`, `sync`: what needs the disk (or cluster) to take writes.
    Write,
}

/// Told the outcome of every call made through an [`Observed`] store.
pub trait Observer: Send + Sync + 'static {
    /// `call` ended with `outcome`. A condition that did not hold is reported as the
    /// error it is ([`StoreError::ConditionFailed`]); a compare-and-set mismatch is `Ok`.
    /// Called on the caller's thread: it must not block.
    fn observe(&self, call: Call, outcome: Result<(), &StoreError>);
}

/// Wraps a store and reports each call's outcome to an [`Observer`].
pub struct Observed {
    inner: SharedStore,
    observer: Arc<dyn Observer>,
}

impl Observed {
    /// Wraps `inner`; `observer` hears of every call.
    pub fn new(inner: SharedStore, observer: Arc<dyn Observer>) -> Self {
        Self { inner, observer }
    }

    fn seen<T>(&self, call: Call, r: Result<T, StoreError>) -> Result<T, StoreError> {
        self.observer.observe(call, r.as_ref().map(|_| ()));
        r
    }
}

#[async_trait::async_trait]
impl Store for Observed {
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.seen(Call::Read, self.inner.get(key).await)
    }

    async fn batch_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.seen(Call::Read, self.inner.batch_get(keys).await)
    }

    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.seen(Call::Write, self.inner.write(batch).await)
    }

    async fn scan(&self, range: ScanRange, limit: usize) -> Result<Vec<KeyValue>, StoreError> {
        self.seen(Call::Read, self.inner.scan(range, limit).await)
    }

    async fn compare_and_set(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<CasOutcome, StoreError> {
        let r = self.inner.compare_and_set(key, expected, new).await;
        self.seen(Call::Write, r)
    }

    async fn sync(&self) -> Result<(), StoreError> {
        self.seen(Call::Write, self.inner.sync().await)
    }

    fn inline(self: Arc<Self>) -> SharedStore {
        Arc::new(Self {
            inner: Arc::clone(&self.inner).inline(),
            observer: Arc::clone(&self.observer),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<(Call, Result<(), String>)>>);

    impl Observer for Seen {
        fn observe(&self, call: Call, outcome: Result<(), &StoreError>) {
            let outcome = outcome.map_err(ToString::to_string);
            self.0.lock().expect("lock").push((call, outcome));
        }
    }

    #[tokio::test]
    async fn every_call_and_its_outcome_is_observed_inline_too() {
        let dir = tempfile::tempdir().expect("temp dir");
        let inner: SharedStore = Arc::new(crate::EmbeddedStore::open(dir.path()).expect("open"));
        let seen = Arc::new(Seen::default());
        let store: SharedStore = Arc::new(Observed::new(inner, seen.clone()));
        let store = store.inline();
        store
            .write(WriteBatch::new().put(b"k".to_vec(), b"v".to_vec()))
            .await
            .expect("write");
        let failed = store
            .write(
                WriteBatch::new()
                    .put(b"k".to_vec(), b"w".to_vec())
                    .expect(b"k".to_vec(), None),
            )
            .await;
        assert!(matches!(failed, Err(StoreError::ConditionFailed { .. })));
        store.get(b"k").await.expect("get");
        store.sync().await.expect("sync");
        let calls: Vec<(Call, bool)> = seen
            .0
            .lock()
            .expect("lock")
            .iter()
            .map(|(c, r)| (*c, r.is_ok()))
            .collect();
        assert_eq!(
            calls,
            [
                (Call::Write, true),
                (Call::Write, false),
                (Call::Read, true),
                (Call::Write, true)
            ]
        );
    }
}
