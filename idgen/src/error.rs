//! The crate's error type.

/// Why an ID or a worker-id lease could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdgenError {
    /// The lease on this worker id was taken over or expired; this generator will
    /// never issue under that worker id again.
    #[error("worker-id lease {worker_id} lost; no more ids under it")]
    LeaseLost {
        /// The worker id that was lost.
        worker_id: u16,
    },
    /// The lease is held but ids cannot safely be issued right now (renewal overdue,
    /// or the clock ran past the published high-water mark); may recover by itself.
    #[error("ids temporarily unavailable: {0}")]
    Unavailable(&'static str),
    /// [`IdGenerator::release`](crate::IdGenerator::release) was called.
    #[error("id generator released")]
    Released,
    /// Every worker id is leased by a live process.
    #[error("no free worker id in idgen_leases")]
    NoFreeWorkerId,
    /// The requested worker id is leased by a live process.
    #[error("worker id {0} is leased by another process")]
    WorkerIdTaken(u16),
    /// A worker id outside `0..1024`.
    #[error("worker id {0} is out of range 0..1024")]
    InvalidWorkerId(u16),
    /// The options are inconsistent.
    #[error("invalid idgen options: {0}")]
    InvalidOptions(&'static str),
    /// A KV bucket is missing: `natter_nats::layout::ensure` has not run.
    #[error("KV bucket {bucket} unavailable (run natter_nats::layout::ensure first): {reason}")]
    MissingBucket {
        /// The bucket name.
        bucket: &'static str,
        /// The JetStream error.
        reason: String,
    },
    /// A KV operation failed (network, timeout, server).
    #[error("idgen kv {op}: {reason}")]
    Kv {
        /// What was attempted.
        op: &'static str,
        /// The JetStream error.
        reason: String,
    },
    /// A high-water mark in `idgen_hwm` is not a decimal unix-ms number.
    #[error("corrupt high-water mark for worker {worker_id}: {value:?}")]
    BadHighWaterMark {
        /// The worker id whose mark is corrupt.
        worker_id: u16,
        /// The stored text.
        value: String,
    },
    /// The 41-bit timestamp range is used up (year 2093).
    #[error("id timestamp range exhausted")]
    Exhausted,
}
