//! The worker-id lease protocol on JetStream KV.
//!
//! - `idgen_leases/<worker_id>` holds the owner token of the process using that id.
//!   The bucket's `max_age` removes a key [`IDGEN_LEASE_TTL`] after its last write, so
//!   a holder rewrites it (compare-and-set on its revision) well before that.
//! - `idgen_hwm/<worker_id>` holds a decimal unix-ms high-water mark that only ever
//!   rises: every holder promises to issue no ID at or beyond `mark + TTL`, and a new
//!   holder starts its IDs at `mark + TTL`.
//!
//! A holder raises its ID ceiling to `mark + TTL` only after a lease compare-and-set
//! that *follows* the mark's write has succeeded: so the mark was stored while the
//! lease was still ours, before any later holder could read it.

use std::collections::HashSet;

use async_nats::jetstream::{self, kv};
use natter_nats::layout::{IDGEN_HWM_BUCKET, IDGEN_LEASE_BUCKET, IDGEN_LEASE_TTL};
use tokio::time::Instant;

use crate::IdgenError;
use crate::snowflake::WORKER_COUNT;

/// The lease TTL in milliseconds, as it applies to ID timestamps.
pub(crate) const TTL_MS: u64 = IDGEN_LEASE_TTL.as_millis() as u64;

/// Handles on the two buckets.
#[derive(Debug, Clone)]
pub(crate) struct Buckets {
    pub(crate) leases: kv::Store,
    pub(crate) hwm: kv::Store,
}

/// A lease we hold: the key's revision after our last successful write, and when we
/// sent that write (the key lives at least `TTL` from then).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lease {
    pub(crate) worker_id: u16,
    pub(crate) revision: u64,
    pub(crate) written_at: Instant,
}

/// Outcome of a renewal attempt.
#[derive(Debug)]
pub(crate) enum Renewal {
    /// Still ours; the lease with its new revision.
    Renewed(Lease),
    /// Someone else wrote the key, or it expired: never use this id again.
    Lost,
    /// Could not tell (network, timeout): try again soon.
    Failed(IdgenError),
}

fn kv_err(op: &'static str) -> impl FnOnce(String) -> IdgenError {
    move |reason| IdgenError::Kv { op, reason }
}

impl Buckets {
    /// Opens both buckets, which `natter_nats::layout::ensure` creates.
    pub(crate) async fn open(js: &jetstream::Context) -> Result<Self, IdgenError> {
        let open = |bucket: &'static str| async move {
            js.get_key_value(bucket)
                .await
                .map_err(|e| IdgenError::MissingBucket {
                    bucket,
                    reason: e.to_string(),
                })
        };
        Ok(Self {
            leases: open(IDGEN_LEASE_BUCKET).await?,
            hwm: open(IDGEN_HWM_BUCKET).await?,
        })
    }

    /// Takes `worker_id` if no live lease exists on it; `None` if one does.
    pub(crate) async fn try_take(
        &self,
        worker_id: u16,
        owner: &str,
    ) -> Result<Option<Lease>, IdgenError> {
        if worker_id >= WORKER_COUNT {
            return Err(IdgenError::InvalidWorkerId(worker_id));
        }
        let written_at = Instant::now();
        match self
            .leases
            .create(worker_id.to_string(), owner.to_string().into())
            .await
        {
            Ok(revision) => Ok(Some(Lease {
                worker_id,
                revision,
                written_at,
            })),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(kv_err("create lease")(e.to_string())),
        }
    }

    /// Takes the first free worker id, scanning from a random one so that processes
    /// starting together spread out instead of racing for the same keys.
    pub(crate) async fn take_any(
        &self,
        owner: &str,
        excluded: &HashSet<u16>,
    ) -> Result<Lease, IdgenError> {
        let start: u16 = rand::random_range(0..WORKER_COUNT);
        for i in 0..WORKER_COUNT {
            let worker_id = (start + i) % WORKER_COUNT;
            if excluded.contains(&worker_id) {
                continue;
            }
            if let Some(lease) = self.try_take(worker_id, owner).await? {
                return Ok(lease);
            }
        }
        Err(IdgenError::NoFreeWorkerId)
    }

    /// Rewrites the lease key if it is still ours (compare-and-set on its revision).
    pub(crate) async fn renew(&self, lease: &Lease, owner: &str) -> Renewal {
        let key = lease.worker_id.to_string();
        let mut revision = lease.revision;
        // Twice at most: the second time after learning the revision of a write of
        // ours whose ack was lost.
        for _ in 0..2 {
            let written_at = Instant::now();
            match self
                .leases
                .update(&key, owner.to_string().into(), revision)
                .await
            {
                Ok(revision) => {
                    return Renewal::Renewed(Lease {
                        revision,
                        written_at,
                        ..*lease
                    });
                }
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    match self.own_revision(&key, owner).await {
                        Ok(Some(r)) => revision = r,
                        Ok(None) => return Renewal::Lost,
                        Err(e) => return Renewal::Failed(e),
                    }
                }
                Err(e) => return Renewal::Failed(kv_err("renew lease")(e.to_string())),
            }
        }
        Renewal::Failed(IdgenError::Kv {
            op: "renew lease",
            reason: "revision kept changing".into(),
        })
    }

    /// The lease key's revision if its latest value is our (unique) token: only our
    /// own writes can have moved it then, since anyone else's would carry theirs.
    async fn own_revision(&self, key: &str, owner: &str) -> Result<Option<u64>, IdgenError> {
        match self.leases.entry(key).await {
            Ok(Some(entry))
                if entry.operation == kv::Operation::Put
                    && entry.value.as_ref() == owner.as_bytes() =>
            {
                Ok(Some(entry.revision))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(kv_err("read lease")(e.to_string())),
        }
    }

    /// Deletes the lease key if it is still ours.
    pub(crate) async fn release(&self, lease: &Lease, owner: &str) -> Result<(), IdgenError> {
        let key = lease.worker_id.to_string();
        let mut revision = lease.revision;
        // Twice at most: the second time after learning the revision of a write of
        // ours whose ack was lost.
        for _ in 0..2 {
            match self
                .leases
                .delete_expect_revision(&key, Some(revision))
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    match self.own_revision(&key, owner).await? {
                        Some(r) => revision = r,
                        // Not ours any more: nothing to release.
                        None => return Ok(()),
                    }
                }
                Err(e) => return Err(kv_err("delete lease")(e.to_string())),
            }
        }
        Err(IdgenError::Kv {
            op: "delete lease",
            reason: "revision kept changing".into(),
        })
    }

    /// The high-water mark of `worker_id` and its key revision (0: none yet).
    async fn read_mark(&self, worker_id: u16) -> Result<(u64, u64), IdgenError> {
        let entry = self
            .hwm
            .entry(worker_id.to_string())
            .await
            .map_err(|e| kv_err("read high-water mark")(e.to_string()))?;
        match entry {
            None => Ok((0, 0)),
            Some(e) if e.operation != kv::Operation::Put => Ok((0, e.revision)),
            Some(e) => {
                let text = String::from_utf8_lossy(&e.value);
                let mark =
                    text.trim()
                        .parse::<u64>()
                        .map_err(|_| IdgenError::BadHighWaterMark {
                            worker_id,
                            value: text.to_string(),
                        })?;
                Ok((mark, e.revision))
            }
        }
    }

    /// The current high-water mark of `worker_id` (0 if none).
    pub(crate) async fn high_water_mark(&self, worker_id: u16) -> Result<u64, IdgenError> {
        Ok(self.read_mark(worker_id).await?.0)
    }

    /// Raises the mark of `worker_id` to at least `at_least_ms`; returns the stored
    /// mark. Compare-and-set, so that a late write of a former holder can never lower
    /// a mark that a later holder relies on.
    pub(crate) async fn raise_mark(
        &self,
        worker_id: u16,
        at_least_ms: u64,
    ) -> Result<u64, IdgenError> {
        for _ in 0..8 {
            let (mark, revision) = self.read_mark(worker_id).await?;
            if mark >= at_least_ms {
                return Ok(mark);
            }
            match self
                .hwm
                .update(
                    worker_id.to_string(),
                    at_least_ms.to_string().into(),
                    revision,
                )
                .await
            {
                Ok(_) => return Ok(at_least_ms),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                Err(e) => return Err(kv_err("write high-water mark")(e.to_string())),
            }
        }
        Err(IdgenError::Kv {
            op: "write high-water mark",
            reason: "contended".into(),
        })
    }
}
