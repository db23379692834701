//! The backend-neutral ordered key-value store trait and its request types.
//!
//! No backend type appears here so that callers can hold a [`SharedStore`] and
//! not care whether it is the embedded fjall store or a TiKV cluster.

use std::sync::Arc;

/// A store shared between tasks; the usual way callers hold a backend.
pub type SharedStore = Arc<dyn Store>;

/// One scanned `(key, value)` pair.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// An ordered byte-key/byte-value store with atomic conditional batches.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Reads one key; `None` if it is absent.
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Values in the order of `keys`.
    async fn batch_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;

    /// Atomic: either every condition holds and every op is applied, or nothing is written
    /// and Err(StoreError::ConditionFailed { key }) names the first failed condition.
    /// With Durability::Sync the batch is on disk (fsync) before this returns Ok.
    ///
    /// Conditions are checked against the state before the batch. Any other
    /// error means the outcome is unknown: the batch may or may not be applied.
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError>;

    /// Ordered scan of [start, end) (end None = unbounded), ascending or (reverse) descending, at most `limit` pairs.
    async fn scan(
        &self,
        range: ScanRange,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError>;

    /// Sets key to `new` (None = delete) only if its current value equals `expected` (None = absent).
    ///
    /// A successful swap is durable (as with [`Durability::Sync`]) before it returns.
    async fn compare_and_set(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<CasOutcome, StoreError>;

    /// Makes every write that returned before this call durable: the checkpoint
    /// after [`Durability::Buffered`] writes, which are visible at once but may be
    /// lost on a crash until synced. Backends whose every commit is durable (TiKV)
    /// return at once.
    async fn sync(&self) -> Result<(), StoreError>;

    /// The same store, for a caller on a thread of its own: its calls may do their
    /// (brief) blocking work on the caller's thread instead of handing it to another
    /// (tokio's blocking pool), which saves two thread switches per call. Syncs still
    /// leave the thread. Backends that never block return themselves.
    fn inline(self: Arc<Self>) -> SharedStore;
}

/// Result of [`Store::compare_and_set`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CasOutcome {
    /// The expected value matched and the new value (or deletion) was applied.
    Swapped,
    /// The current value differed from the expected one; nothing was written.
    Mismatch {
        /// The value found instead (`None` = absent).
        current: Option<Vec<u8>>,
    },
}

/// How durable a write must be before [`Store::write`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Fsynced to disk before returning: survives power loss.
    #[default]
    Sync,
    /// Visible at once, durable only after a later [`Store::sync`] (or a later
    /// `Sync` write): a crash may lose it. For data that can be rebuilt, such as
    /// the projection of a durable log.
    Buffered,
}

/// One mutation inside a [`WriteBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    /// Set `key` to `value`.
    Put {
        /// The key to write.
        key: Vec<u8>,
        /// The value to store.
        value: Vec<u8>,
    },
    /// Remove `key` (a no-op if absent).
    Delete {
        /// The key to remove.
        key: Vec<u8>,
    },
}

impl BatchOp {
    /// The key this op touches.
    pub fn key(&self) -> &[u8] {
        match self {
            BatchOp::Put { key, .. } | BatchOp::Delete { key } => key,
        }
    }
}

/// A precondition of a [`WriteBatch`]: `key` currently holds `expected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The key to check.
    pub key: Vec<u8>,
    /// The value it must hold (`None` = must be absent).
    pub expected: Option<Vec<u8>>,
}

/// An atomic set of puts and deletes, guarded by optional conditions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<BatchOp>,
    conditions: Vec<Condition>,
    durability: Durability,
}

impl WriteBatch {
    /// An empty batch with [`Durability::Sync`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a put of `key` = `value`.
    #[must_use]
    pub fn put(mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        self.ops.push(BatchOp::Put {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a delete of `key`.
    #[must_use]
    pub fn delete(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.ops.push(BatchOp::Delete { key: key.into() });
        self
    }

    /// Adds a condition: `key` currently equals `expected` (`None` = absent).
    #[must_use]
    pub fn expect(mut self, key: impl Into<Vec<u8>>, expected: Option<Vec<u8>>) -> Self {
        self.conditions.push(Condition {
            key: key.into(),
            expected,
        });
        self
    }

    /// Sets how durable the batch must be before `write` returns.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// True if the batch has no ops (it may still carry conditions).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of ops (conditions not counted).
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// The ops in insertion order; a later op on the same key wins.
    pub fn ops(&self) -> &[BatchOp] {
        &self.ops
    }

    /// The conditions in insertion order.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// The durability requested with [`WriteBatch::durability`].
    pub fn requested_durability(&self) -> Durability {
        self.durability
    }

    /// Splits the batch into its ops, conditions and durability for a backend.
    pub fn into_parts(self) -> (Vec<BatchOp>, Vec<Condition>, Durability) {
        (self.ops, self.conditions, self.durability)
    }
}

/// A key range for [`Store::scan`]: `[start, end)`, optionally descending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRange {
    /// Inclusive lower bound.
    pub start: Vec<u8>,
    /// Exclusive upper bound; `None` = unbounded.
    pub end: Option<Vec<u8>>,
    /// Return keys in descending order (starting from the top of the range).
    pub reverse: bool,
}

impl ScanRange {
    /// All keys starting with `prefix`, ascending.
    pub fn prefix(prefix: impl Into<Vec<u8>>) -> Self {
        let start = prefix.into();
        let end = prefix_end(&start);
        Self {
            start,
            end,
            reverse: false,
        }
    }

    /// Keys in `[start, end_exclusive)`, ascending.
    pub fn between(start: impl Into<Vec<u8>>, end_exclusive: impl Into<Vec<u8>>) -> Self {
        Self {
            start: start.into(),
            end: Some(end_exclusive.into()),
            reverse: false,
        }
    }

    /// The same range in descending order.
    #[must_use]
    pub fn reversed(mut self) -> Self {
        self.reverse = !self.reverse;
        self
    }

    /// The rest of this range after `last_key` in scan order, for pagination.
    #[must_use]
    pub fn resume_after(&self, last_key: &[u8]) -> Self {
        let mut next = self.clone();
        if self.reverse {
            // The end bound is exclusive, so the last key itself is skipped.
            next.end = Some(last_key.to_vec());
        } else {
            // The smallest key greater than `last_key` is `last_key ++ [0]`.
            let mut start = last_key.to_vec();
            start.push(0);
            next.start = start;
        }
        next
    }

    /// True if the range cannot contain any key (`end <= start`).
    pub fn is_empty(&self) -> bool {
        matches!(&self.end, Some(end) if end.as_slice() <= self.start.as_slice())
    }

    /// True if `key` lies inside `[start, end)`.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|end| key < end)
    }
}

/// The smallest key greater than every key starting with `prefix`;
/// `None` if there is none (empty or all-0xFF prefix).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Errors from a [`Store`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A [`WriteBatch`] condition did not hold; nothing was written.
    #[error("condition failed on key {key:02x?}")]
    ConditionFailed {
        /// The first key whose condition failed.
        key: Vec<u8>,
    },
    /// The backend failed; the outcome of a write is unknown.
    #[error("store backend error: {message}")]
    Backend {
        /// Human-readable cause.
        message: String,
        /// Whether retrying the same request may succeed.
        retryable: bool,
    },
    /// A stored value could not be decoded (or a value could not be encoded).
    #[error("value codec error: {0}")]
    Codec(String),
    /// The store can no longer write through this handle (a failed journal write or
    /// fsync: a full disk, an I/O error): every later write fails too until the
    /// store is reopened, which recovers what reached the disk. The outcome of the
    /// write that failed is unknown.
    #[error("store failed, reopen it: {message}")]
    Fatal {
        /// Human-readable cause.
        message: String,
    },
}

impl StoreError {
    /// Whether the store must be reopened before it writes again ([`StoreError::Fatal`]).
    pub fn is_fatal(&self) -> bool {
        matches!(self, StoreError::Fatal { .. })
    }

    /// Whether retrying the same request may succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Backend {
                retryable: true,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_handles_ff() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
        assert_eq!(prefix_end(&[]), None);
    }

    #[test]
    fn resume_after_both_directions() {
        let r = ScanRange::prefix(vec![5]);
        let next = r.resume_after(&[5, 9]);
        assert_eq!(next.start, vec![5, 9, 0]);
        assert_eq!(next.end, Some(vec![6]));
        let rev = r.reversed().resume_after(&[5, 9]);
        assert_eq!(rev.start, vec![5]);
        assert_eq!(rev.end, Some(vec![5, 9]));
        assert!(rev.reverse);
    }

    #[test]
    fn batch_builder_counts_ops() {
        let b = WriteBatch::new()
            .put(b"a", b"1")
            .delete(b"b")
            .expect(b"c", None)
            .durability(Durability::Buffered);
        assert_eq!(b.len(), 2);
        assert!(!b.is_empty());
        assert_eq!(b.conditions().len(), 1);
        assert_eq!(b.requested_durability(), Durability::Buffered);
        assert!(WriteBatch::new().is_empty());
    }
}
