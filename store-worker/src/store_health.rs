//! The `store` readiness check, kept from the outcome of every store call.
//!
//! Every store call of the worker goes through a [`natter_store::observed::Observed`]
//! store that tells [`StoreHealth`] how it ended:
//! - a write, compare-and-set or sync that fails for another reason than a condition
//!   makes `store` fail at once with the reason, and counts
//!   `natter_store_write_failures_total`; the next one that succeeds clears it (while
//!   it fails, the probe syncs to find out);
//! - a `store` check already failing when the worker starts (`natter dev` reopened
//!   its store after a failure, in the same process) stays failing until a write
//!   succeeds: a store reopened on a disk still full must not look ready until it
//!   has written something (the new owners' fences, at once);
//! - a fatal failure ([`StoreError::Fatal`]: the handle can no longer write and must be
//!   reopened, such as fjall poisoned by a journal write on a full disk) keeps `store`
//!   failing for the rest of this run and ends it: [`crate::run`] stops and returns
//!   [`crate::StoreFailed`], so that the store is reopened (by `natter dev`) or the
//!   process restarted (by its supervisor);
//! - otherwise `store` is what the probe's last read found.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use natter_nats::health::Health;
use natter_store::StoreError;
use natter_store::observed::{Call, Observer};

/// The readiness check's name.
const CHECK: &str = "store";

/// Keeps the `store` check current (see the module doc).
pub(crate) struct StoreHealth {
    health: Health,
    state: Mutex<State>,
    /// A successful write has something to clear (a fast check on every write).
    clears_on_write: AtomicBool,
    /// The first fatal failure, once there is one.
    fatal: tokio::sync::watch::Sender<Option<String>>,
}

#[derive(Default)]
struct State {
    /// The probe's last outcome (`None`: not probed yet).
    probe: Option<Result<(), String>>,
    /// The last failed write, not yet followed by one that succeeded.
    write: Option<String>,
    /// Why the check failed before this worker started, until a write succeeds.
    unproven: Option<String>,
    /// The first fatal failure.
    fatal: Option<String>,
}

impl StoreHealth {
    /// Declares the `store` check in `health` (failing until the first probe, and
    /// until the first write if it was failing already).
    pub(crate) fn new(health: Health) -> Self {
        let before = health
            .checks()
            .into_iter()
            .find(|(c, _)| c == CHECK)
            .and_then(|(_, s)| s.err())
            .filter(|why| why != natter_nats::health::STARTING);
        health.expect(CHECK);
        let unproven = before.map(|why| format!("no write yet since: {why}"));
        Self {
            health,
            clears_on_write: AtomicBool::new(unproven.is_some()),
            state: Mutex::new(State {
                unproven,
                ..State::default()
            }),
            fatal: tokio::sync::watch::Sender::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records the probe's outcome.
    pub(crate) fn probed(&self, outcome: Result<(), String>) {
        let mut state = self.lock();
        state.probe = Some(outcome);
        self.publish(&state);
    }

    /// Whether a failed write is not yet followed by one that succeeded.
    pub(crate) fn write_failing(&self) -> bool {
        self.lock().write.is_some()
    }

    /// Resolves with the reason once the store has failed for good.
    pub(crate) async fn failed(&self) -> String {
        let mut rx = self.fatal.subscribe();
        let Ok(why) = rx.wait_for(Option::is_some).await else {
            // The sender lives in `self`, so it cannot be gone while we wait.
            return std::future::pending().await;
        };
        why.clone().unwrap_or_default()
    }

    fn publish(&self, state: &State) {
        let check = if let Some(why) = &state.fatal {
            Err(format!("store failed, to be reopened: {why}"))
        } else if let Some(why) = &state.write {
            Err(format!("store write failed: {why}"))
        } else if let Some(why) = &state.unproven {
            Err(why.clone())
        } else {
            state
                .probe
                .clone()
                .unwrap_or_else(|| Err("starting".into()))
        };
        self.health.set(CHECK, check);
    }

    fn wrote(&self) {
        if !self.clears_on_write.load(Ordering::Relaxed) {
            return;
        }
        let mut state = self.lock();
        self.clears_on_write.store(false, Ordering::Relaxed);
        if state.write.take().is_some() || state.unproven.take().is_some() {
            tracing::info!("store writes succeed again");
        }
        self.publish(&state);
    }

    fn write_failed(&self, e: &StoreError) {
        metrics::counter!("natter_store_write_failures_total", "fatal" => "false").increment(1);
        let mut state = self.lock();
        if state.write.is_none() {
            tracing::warn!(error = %e, "store write failed; unready until one succeeds");
        }
        state.write = Some(e.to_string());
        self.clears_on_write.store(true, Ordering::Relaxed);
        self.publish(&state);
    }

    fn fatal(&self, why: &str) {
        metrics::counter!("natter_store_write_failures_total", "fatal" => "true").increment(1);
        let mut state = self.lock();
        if state.fatal.is_some() {
            return;
        }
        tracing::error!(error = %why, "the store failed for good; the store worker stops");
        state.fatal = Some(why.to_string());
        self.publish(&state);
        drop(state);
        self.fatal.send_replace(Some(why.to_string()));
    }
}

impl Observer for StoreHealth {
    fn observe(&self, call: Call, outcome: Result<(), &StoreError>) {
        match (call, outcome) {
            (_, Err(StoreError::Fatal { message })) => self.fatal(message),
            // A condition that did not hold is the store answering, not failing.
            (Call::Write, Ok(()) | Err(StoreError::ConditionFailed { .. })) => self.wrote(),
            (Call::Write, Err(e @ StoreError::Backend { .. })) => self.write_failed(e),
            // Reads are the probe's business; a codec error is not the store's.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(h: &Health) -> Result<(), String> {
        h.checks()
            .into_iter()
            .find(|(c, _)| c == CHECK)
            .map(|(_, s)| s)
            .expect("store check")
    }

    fn backend() -> StoreError {
        StoreError::Backend {
            message: "disk on fire".into(),
            retryable: true,
        }
    }

    #[test]
    fn a_failed_write_is_unready_until_one_succeeds() {
        let health = Health::default();
        let s = StoreHealth::new(health.clone());
        assert!(check(&health).is_err(), "ready before a probe");
        s.probed(Ok(()));
        assert_eq!(check(&health), Ok(()));
        s.observe(Call::Write, Err(&backend()));
        assert!(check(&health).unwrap_err().contains("disk on fire"));
        // Reads and probes do not clear a write failure; a write does.
        s.observe(Call::Read, Ok(()));
        s.probed(Ok(()));
        assert!(check(&health).is_err());
        s.observe(
            Call::Write,
            Err(&StoreError::ConditionFailed { key: vec![1] }),
        );
        assert_eq!(check(&health), Ok(()));
    }

    #[test]
    fn a_check_failing_before_the_start_waits_for_a_write() {
        let health = Health::default();
        health.set(CHECK, Err("reopening the store after: disk full".into()));
        let s = StoreHealth::new(health.clone());
        s.probed(Ok(()));
        assert!(check(&health).unwrap_err().contains("disk full"));
        // The probe does not sync for it: only a real write proves the store.
        assert!(!s.write_failing());
        s.observe(Call::Write, Ok(()));
        assert_eq!(check(&health), Ok(()));
        // A fresh check that was only starting needs no write.
        let health = Health::default();
        health.expect(CHECK);
        let s = StoreHealth::new(health.clone());
        assert!(check(&health).is_err());
        s.probed(Ok(()));
        assert_eq!(check(&health), Ok(()));
    }

    #[tokio::test]
    async fn a_fatal_failure_stays_and_ends_the_run() {
        let health = Health::default();
        let s = std::sync::Arc::new(StoreHealth::new(health.clone()));
        s.probed(Ok(()));
        let failed = tokio::spawn({
            let s = s.clone();
            async move { s.failed().await }
        });
        let fatal = StoreError::Fatal {
            message: "journal write failed: no space".into(),
        };
        s.observe(Call::Write, Err(&fatal));
        assert_eq!(
            failed.await.expect("task"),
            "journal write failed: no space"
        );
        s.observe(Call::Write, Ok(()));
        s.probed(Ok(()));
        assert!(check(&health).unwrap_err().contains("no space"));
    }
}
