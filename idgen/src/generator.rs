//! [`IdGenerator`]: a [`Snowflake`] behind a mutex, kept honest by a lease-renewal task.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream;
use natter_nats::layout::IDGEN_LEASE_TTL;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::IdgenError;
use crate::lease::{Buckets, Lease, Renewal, TTL_MS};
use crate::snowflake::Snowflake;

/// Settings of an [`IdGenerator`]; the defaults suit production.
#[derive(Debug, Clone)]
pub struct IdGenOptions {
    /// How often the lease is rewritten (default: a third of the lease TTL).
    pub renew_interval: Duration,
    /// IDs stop this long before the lease could expire unrenewed (default 2 s), to
    /// absorb clock-rate differences and in-flight requests.
    pub safety_margin: Duration,
    /// Lease exactly this worker id, failing if it is held (default: any free one).
    pub worker_id: Option<u16>,
    /// After losing the lease, lease another worker id in the background and resume
    /// under it (default true); never the lost one again.
    pub reacquire: bool,
}

impl Default for IdGenOptions {
    fn default() -> Self {
        Self {
            renew_interval: IDGEN_LEASE_TTL / 3,
            safety_margin: Duration::from_secs(2),
            worker_id: None,
            reacquire: true,
        }
    }
}

impl IdGenOptions {
    fn validate(&self) -> Result<(), IdgenError> {
        if self.renew_interval.is_zero() {
            return Err(IdgenError::InvalidOptions(
                "renew_interval must be positive",
            ));
        }
        if self.safety_margin >= IDGEN_LEASE_TTL {
            return Err(IdgenError::InvalidOptions(
                "safety_margin must be shorter than the lease TTL",
            ));
        }
        if self.renew_interval >= IDGEN_LEASE_TTL - self.safety_margin {
            return Err(IdgenError::InvalidOptions(
                "renew_interval must be shorter than the lease TTL minus safety_margin",
            ));
        }
        if let Some(w) = self.worker_id
            && w >= crate::snowflake::WORKER_COUNT
        {
            return Err(IdgenError::InvalidWorkerId(w));
        }
        Ok(())
    }
}

/// Unique, time-ordered 64-bit IDs for this process; see the crate docs.
#[derive(Debug)]
pub struct IdGenerator {
    inner: Arc<Inner>,
    task: AbortHandle,
}

#[derive(Debug)]
struct Inner {
    buckets: Buckets,
    /// Written into our lease key, so that we can tell our own writes from others'.
    owner: String,
    opts: IdGenOptions,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    Held(Held),
    /// The lease on `worker_id` is gone; its generator was dropped with it.
    Lost {
        worker_id: u16,
    },
    Released {
        worker_id: u16,
    },
}

#[derive(Debug)]
struct Held {
    flake: Snowflake,
    lease: Lease,
    /// IDs stop at this instant unless a renewal moves it.
    valid_until: Instant,
    /// Exclusive bound on ID timestamps: the stored high-water mark + TTL, which is
    /// where the next holder of this worker id will start.
    ceiling_ms: u64,
}

/// Outcome of raising the mark then renewing the lease.
enum Cycle {
    Renewed { lease: Lease, ceiling_ms: u64 },
    Lost,
    Failed(IdgenError),
}

impl IdGenerator {
    /// Leases a free worker id and starts renewing it, with default options.
    ///
    /// # Errors
    /// Fails if the KV buckets are missing (run `natter_nats::layout::ensure`), NATS is
    /// unreachable, or every worker id is taken.
    pub async fn start(js: jetstream::Context) -> Result<Arc<Self>, IdgenError> {
        Self::start_with(js, IdGenOptions::default()).await
    }

    /// [`start`](Self::start), retried with backoff for up to `patience` while
    /// JetStream is not ready (in a cluster, a just-created bucket takes a moment to
    /// be reachable from every node).
    ///
    /// # Errors
    /// The last error once `patience` has passed.
    pub async fn start_patiently(
        js: jetstream::Context,
        patience: std::time::Duration,
    ) -> Result<Arc<Self>, IdgenError> {
        let deadline = tokio::time::Instant::now() + patience;
        let mut backoff = std::time::Duration::from_millis(100);
        loop {
            match Self::start(js.clone()).await {
                Ok(g) => return Ok(g),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(e) => {
                    tracing::info!(error = %e, "idgen not ready; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(2));
                }
            }
        }
    }

    /// Leases a worker id (the requested one, or any free one) and starts renewing it.
    ///
    /// # Errors
    /// As [`start`](Self::start); also invalid options, or
    /// [`IdgenError::WorkerIdTaken`] when the requested id is held.
    pub async fn start_with(
        js: jetstream::Context,
        opts: IdGenOptions,
    ) -> Result<Arc<Self>, IdgenError> {
        opts.validate()?;
        let buckets = Buckets::open(&js).await?;
        let owner = owner_token();
        let held = acquire(&buckets, &owner, &opts, opts.worker_id, &HashSet::new()).await?;
        tracing::info!(worker_id = held.lease.worker_id, "idgen: worker id leased");
        let inner = Arc::new(Inner {
            buckets,
            owner,
            opts,
            state: Mutex::new(State::Held(held)),
        });
        // The task holds `inner`, not the generator: dropping the last handle aborts it.
        let task = tokio::spawn(renew_loop(Arc::clone(&inner))).abort_handle();
        Ok(Arc::new(Self { inner, task }))
    }

    /// The next ID; no network round trip.
    ///
    /// # Errors
    /// [`IdgenError::Unavailable`] while the lease renewal is overdue,
    /// [`IdgenError::LeaseLost`] after the lease was lost (until a new one is leased),
    /// [`IdgenError::Released`] after [`release`](Self::release).
    pub fn next_id(&self) -> Result<u64, IdgenError> {
        let mut state = self.inner.lock();
        match &mut *state {
            State::Held(h) => {
                if Instant::now() >= h.valid_until {
                    return Err(IdgenError::Unavailable("lease renewal overdue"));
                }
                let now = unix_ms();
                if h.flake.peek_ms(now) >= h.ceiling_ms {
                    // Only after a forward clock jump or a long burst past 4096 IDs/ms.
                    return Err(IdgenError::Unavailable(
                        "clock ahead of the published high-water mark",
                    ));
                }
                h.flake.next(now)
            }
            State::Lost { worker_id } => Err(IdgenError::LeaseLost {
                worker_id: *worker_id,
            }),
            State::Released { .. } => Err(IdgenError::Released),
        }
    }

    /// The worker id in use (after a loss: the lost one, until a new one is leased).
    pub fn worker_id(&self) -> u16 {
        match &*self.inner.lock() {
            State::Held(h) => h.lease.worker_id,
            State::Lost { worker_id } | State::Released { worker_id } => *worker_id,
        }
    }

    /// Stops issuing and renewing, and deletes the lease key so the id is free at once.
    ///
    /// # Errors
    /// Fails if the delete did not reach the server; the lease then expires by itself.
    pub async fn release(&self) -> Result<(), IdgenError> {
        self.task.abort();
        match self.inner.take_for_release() {
            Some(lease) => self.inner.buckets.release(&lease, &self.inner.owner).await,
            None => Ok(()),
        }
    }
}

impl Drop for IdGenerator {
    fn drop(&mut self) {
        self.task.abort();
        // Best effort: free the id now rather than after the TTL, if a runtime is around.
        if let Some(lease) = self.inner.take_for_release()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let buckets = self.inner.buckets.clone();
            let owner = self.inner.owner.clone();
            rt.spawn(async move {
                if let Err(e) = buckets.release(&lease, &owner).await {
                    tracing::debug!(error = %e, "idgen: release on drop failed");
                }
            });
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent at every point a panic could occur: keep using it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the generator released; returns the lease if one was held.
    fn take_for_release(&self) -> Option<Lease> {
        let mut state = self.lock();
        let worker_id = match &*state {
            State::Held(h) => h.lease.worker_id,
            State::Lost { worker_id } | State::Released { worker_id } => *worker_id,
        };
        match std::mem::replace(&mut *state, State::Released { worker_id }) {
            State::Held(h) => Some(h.lease),
            _ => None,
        }
    }
}

/// Leases a worker id and sets up its generator: floor from the stored mark, then a
/// first mark-and-renew cycle so that the ceiling is backed like any later one.
async fn acquire(
    buckets: &Buckets,
    owner: &str,
    opts: &IdGenOptions,
    requested: Option<u16>,
    excluded: &HashSet<u16>,
) -> Result<Held, IdgenError> {
    let lease = match requested {
        Some(w) => buckets
            .try_take(w, owner)
            .await?
            .ok_or(IdgenError::WorkerIdTaken(w))?,
        None => buckets.take_any(owner, excluded).await?,
    };
    let result = async {
        let mark = buckets.high_water_mark(lease.worker_id).await?;
        // A former holder issued nothing at or past mark + TTL.
        let floor = mark.saturating_add(TTL_MS);
        let flake = Snowflake::new(lease.worker_id, floor)?;
        match cycle(buckets, owner, &lease, floor.max(unix_ms())).await {
            Cycle::Renewed { lease, ceiling_ms } => Ok(Held {
                flake,
                valid_until: valid_until(&lease, opts),
                lease,
                ceiling_ms,
            }),
            Cycle::Lost => Err(IdgenError::LeaseLost {
                worker_id: lease.worker_id,
            }),
            Cycle::Failed(e) => Err(e),
        }
    }
    .await;
    if result.is_err()
        && let Err(e) = buckets.release(&lease, owner).await
    {
        tracing::debug!(error = %e, "idgen: releasing a half-set-up lease failed");
    }
    result
}

/// Raises the mark to `mark_ms`, then renews the lease: the order is what makes the
/// new ceiling safe (see the `lease` module).
async fn cycle(buckets: &Buckets, owner: &str, lease: &Lease, mark_ms: u64) -> Cycle {
    let mark = match buckets.raise_mark(lease.worker_id, mark_ms).await {
        Ok(m) => m,
        Err(e) => return Cycle::Failed(e),
    };
    match buckets.renew(lease, owner).await {
        Renewal::Renewed(lease) => Cycle::Renewed {
            lease,
            ceiling_ms: mark.saturating_add(TTL_MS),
        },
        Renewal::Lost => Cycle::Lost,
        Renewal::Failed(e) => Cycle::Failed(e),
    }
}

fn valid_until(lease: &Lease, opts: &IdGenOptions) -> Instant {
    // The key lives TTL from the server's stamp of our write, which is no earlier
    // than when we sent it.
    lease.written_at + (IDGEN_LEASE_TTL - opts.safety_margin)
}

/// Renews the lease every `renew_interval`; after a loss, leases a new worker id if
/// `reacquire` is set. Ends on release (or abort).
async fn renew_loop(inner: Arc<Inner>) {
    let interval = inner.opts.renew_interval;
    let mut lost_ids = HashSet::new();
    let mut delay = interval;
    loop {
        tokio::time::sleep(delay).await;
        delay = interval;
        let snapshot = match &*inner.lock() {
            State::Held(h) => Some((h.lease, h.flake.last_ms().max(unix_ms()))),
            State::Lost { worker_id } => {
                lost_ids.insert(*worker_id);
                None
            }
            State::Released { .. } => return,
        };
        match snapshot {
            Some((lease, mark_ms)) => {
                match cycle(&inner.buckets, &inner.owner, &lease, mark_ms).await {
                    Cycle::Renewed {
                        lease: renewed,
                        ceiling_ms,
                    } => {
                        if let State::Held(h) = &mut *inner.lock()
                            && h.lease.worker_id == lease.worker_id
                        {
                            h.lease = renewed;
                            h.valid_until = valid_until(&renewed, &inner.opts);
                            h.ceiling_ms = h.ceiling_ms.max(ceiling_ms);
                        }
                    }
                    Cycle::Lost => {
                        let mut state = inner.lock();
                        if let State::Held(h) = &*state
                            && h.lease.worker_id == lease.worker_id
                        {
                            tracing::warn!(worker_id = lease.worker_id, "idgen: lease lost");
                            *state = State::Lost {
                                worker_id: lease.worker_id,
                            };
                        }
                        if !inner.opts.reacquire {
                            return;
                        }
                        delay = Duration::ZERO;
                    }
                    Cycle::Failed(e) => {
                        tracing::warn!(worker_id = lease.worker_id, error = %e, "idgen: renewal failed");
                        // Retry sooner: the lease must be renewed before valid_until.
                        delay = interval / 4;
                    }
                }
            }
            None => {
                if !inner.opts.reacquire {
                    return;
                }
                match acquire(&inner.buckets, &inner.owner, &inner.opts, None, &lost_ids).await {
                    Ok(held) => {
                        let unwanted = {
                            let mut state = inner.lock();
                            if let State::Lost { .. } = &*state {
                                tracing::info!(
                                    worker_id = held.lease.worker_id,
                                    "idgen: new worker id leased"
                                );
                                *state = State::Held(held);
                                None
                            } else {
                                Some(held.lease)
                            }
                        };
                        if let Some(lease) = unwanted {
                            // Released meanwhile: hand the new lease back.
                            let _ = inner.buckets.release(&lease, &inner.owner).await;
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "idgen: leasing a new worker id failed");
                    }
                }
            }
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `hostname-pid-random`: readable in the bucket, unique per generator.
fn owner_token() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    format!(
        "{host}-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<IdGenerator>();
        assert_send_sync::<Arc<IdGenerator>>();
    }

    #[test]
    fn options_are_checked() {
        assert!(IdGenOptions::default().validate().is_ok());
        let bad = IdGenOptions {
            renew_interval: Duration::from_secs(9),
            ..Default::default()
        };
        assert!(matches!(bad.validate(), Err(IdgenError::InvalidOptions(_))));
        let bad = IdGenOptions {
            worker_id: Some(1024),
            ..Default::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(IdgenError::InvalidWorkerId(1024))
        ));
    }

    #[test]
    fn owner_tokens_differ() {
        assert_ne!(owner_token(), owner_token());
    }
}
