//! Readiness: the named checks a service keeps current, served at `/readyz`.
//!
//! Each service sets its own checks as it runs (leases renewed, store reachable,
//! registered for discovery, …); the NATS connection is checked when asked, by a
//! round trip through the server with a deadline (a frozen server keeps its TCP
//! connections open, so the connection state alone says "connected"). A check never
//! set yet counts as failing ("starting"), so a service is not ready before it has
//! done its work once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// How long the NATS server has to answer a readiness round trip.
const ROUND_TRIP_DEADLINE: Duration = Duration::from_secs(1);
/// How long a round trip's result answers `/readyz` (probes come often; each round
/// trip is a subscription and a message).
const ROUND_TRIP_FRESH: Duration = Duration::from_secs(1);

/// A NATS round trip's outcome, and when it ended.
type RoundTrip = (Instant, Result<(), String>);

/// Why a check declared with [`Health::expect`] fails until it is first set.
pub const STARTING: &str = "starting";

/// The checks of one service (cheap to clone; clones share the checks).
#[derive(Debug, Clone, Default)]
pub struct Health {
    checks: Arc<Mutex<BTreeMap<String, Result<(), String>>>>,
    /// The last NATS round trip: when it ended, and its outcome.
    last_round_trip: Arc<tokio::sync::Mutex<Option<RoundTrip>>>,
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
            .or_insert_with(|| Err(STARTING.into()));
    }

    /// Records the current state of `check`.
    pub fn set(&self, check: impl Into<String>, state: Result<(), String>) {
        self.lock().insert(check.into(), state);
    }

    /// The checks now (without NATS), for a readiness that includes them.
    pub fn checks(&self) -> Vec<(String, Result<(), String>)> {
        self.lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Drops `check` (what it watched is gone, such as a partition handed over).
    pub fn forget(&self, check: &str) {
        self.lock().remove(check);
    }

    /// The checks now, plus whether the NATS server answers through `nats`.
    pub async fn readiness(&self, nats: &async_nats::Client) -> Readiness {
        let nats_state = self.nats_state(nats).await;
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
        checks.insert("nats".into(), nats_state);
        Readiness {
            ready: checks.values().all(|v| v == "ok"),
            checks,
        }
    }

    /// `ok` when connected and a round trip came back within its deadline (at most
    /// [`ROUND_TRIP_FRESH`] ago; concurrent probes share one round trip).
    async fn nats_state(&self, nats: &async_nats::Client) -> String {
        let state = nats.connection_state();
        if state != async_nats::connection::State::Connected {
            return format!("{state:?}").to_lowercase();
        }
        let mut last = self.last_round_trip.lock().await;
        let fresh = last
            .as_ref()
            .filter(|(at, _)| at.elapsed() < ROUND_TRIP_FRESH)
            .map(|(_, r)| r.clone());
        let outcome = match fresh {
            Some(r) => r,
            None => {
                let r = crate::connect::round_trip(nats, ROUND_TRIP_DEADLINE)
                    .await
                    .map_err(|e| format!("no round trip in {ROUND_TRIP_DEADLINE:?}: {e}"));
                *last = Some((Instant::now(), r.clone()));
                r
            }
        };
        outcome.err().unwrap_or_else(|| "ok".into())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Result<(), String>>> {
        self.checks.lock().unwrap_or_else(|p| p.into_inner())
    }
}
