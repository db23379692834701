//! Readiness: the named checks a service keeps current, served at `/readyz`.
//!
//! Each service sets its own checks as it runs (leases renewed, store reachable,
//! registered for discovery, …); the NATS connection is checked when asked. A
//! check never set yet counts as failing ("starting"), so a service is not ready
//! before it has done its work once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// The checks of one service (cheap to clone; clones share the checks).
#[derive(Debug, Clone, Default)]
pub struct Health {
    checks: Arc<Mutex<BTreeMap<String, Result<(), String>>>>,
}

/// What `/readyz` answers (JSON): ready when every check is `ok`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// Every check passed.
    pub ready: bool,
    /// Each check: `ok` or why not.
    pub checks: BTreeMap<String, String>,
}

impl Readiness {
    /// Adds a check computed by the caller at answer time (state it already keeps).
    pub fn with(mut self, check: &str, state: Result<(), String>) -> Self {
        let state = state.err().unwrap_or_else(|| "ok".into());
        self.ready &= state == "ok";
        self.checks.insert(check.into(), state);
        self
    }

    /// The HTTP status `/readyz` answers with: 200 when ready, else 503.
    pub fn http_status(&self) -> u16 {
        if self.ready { 200 } else { 503 }
    }
}

impl Health {
    /// Declares `check`, failing with "starting" until it is first set.
    pub fn expect(&self, check: impl Into<String>) {
        self.lock()
            .entry(check.into())
            .or_insert_with(|| Err("starting".into()));
    }

    /// Records the current state of `check`.
    pub fn set(&self, check: impl Into<String>, state: Result<(), String>) {
        self.lock().insert(check.into(), state);
    }

    /// Drops `check` (what it watched is gone, such as a partition handed over).
    pub fn forget(&self, check: &str) {
        self.lock().remove(check);
    }

    /// The checks now, plus whether `nats` is connected.
    pub fn readiness(&self, nats: &async_nats::Client) -> Readiness {
        let mut checks: BTreeMap<String, String> = self
            .lock()
            .iter()
            .map(|(k, v)| {
                let state = match v {
                    Ok(()) => "ok".to_string(),
                    Err(why) => why.clone(),
                };
                (k.clone(), state)
            })
            .collect();
        let nats_state = match nats.connection_state() {
            async_nats::connection::State::Connected => "ok".to_string(),
            other => format!("{other:?}").to_lowercase(),
        };
        checks.insert("nats".into(), nats_state);
        Readiness {
            ready: checks.values().all(|v| v == "ok"),
            checks,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Result<(), String>>> {
        self.checks.lock().unwrap_or_else(|p| p.into_inner())
    }
}
