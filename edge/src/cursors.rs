//! Cursor acks of every socket on this edge, written in batches.
//!
//! A device acks what it has shown, which moves its cursors. Writing each socket's
//! acks on its own cost the store one synced write per socket per burst (thousands
//! a second at a thousand busy sockets, which stalled the partition writes behind
//! them). Sockets record their acks here instead, and one flusher task writes
//! everything pending as one `rpc.sync.ack` request per round, rounds at least
//! [`ROUND_EVERY`] apart. A closing socket waits for the round that carries its
//! last acks, so a client that closes cleanly and reconnects resumes exactly where
//! it acked.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use natter_nats::subjects::rpc;
use natter_protocol::internal::{CURSOR_ACK_DEVICES_MAX, CursorAckReq, CursorAcksReq};
use tokio::sync::{Notify, watch};

/// Shortest time between two rounds: the batching window.
const ROUND_EVERY: Duration = Duration::from_millis(20);
/// Attempts of one request while the store answers "retry".
const ATTEMPTS: u32 = 3;

/// A device: user id and device id.
type Device = (u64, Arc<str>);

/// Pending acks of every socket of the edge, and the flusher's progress.
pub(crate) struct Cursors {
    state: Mutex<State>,
    /// Wakes the flusher (a stored permit, so no wake-up is lost).
    wake: Notify,
    /// The number of the last round finished.
    finished: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    /// Device → channel → highest seq acked, not yet taken by a round.
    pending: HashMap<Device, HashMap<u64, u64>>,
    /// Devices in the round being written.
    in_flight: HashSet<Device>,
    /// The number of the last round started.
    started: u64,
}

impl Cursors {
    /// An empty set; [`Cursors::run`] writes it.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            wake: Notify::new(),
            finished: watch::Sender::new(0),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that `device` has everything of `channel` up to `seq`.
    pub(crate) fn add(&self, user_id: u64, device: &Arc<str>, channel: u64, seq: u64) {
        {
            let mut s = self.state();
            let e = s
                .pending
                .entry((user_id, device.clone()))
                .or_default()
                .entry(channel)
                .or_insert(0);
            *e = (*e).max(seq);
        }
        self.wake.notify_one();
    }

    /// Resolves once every ack recorded for `device` so far has been written (or
    /// given up on after retries).
    pub(crate) async fn flushed(&self, user_id: u64, device: &Arc<str>) {
        let key = (user_id, device.clone());
        let mut finished = self.finished.subscribe();
        loop {
            let needed = {
                let s = self.state();
                if s.pending.contains_key(&key) {
                    s.started + 1
                } else if s.in_flight.contains(&key) {
                    s.started
                } else {
                    return;
                }
            };
            self.wake.notify_one();
            if finished.wait_for(|f| *f >= needed).await.is_err() {
                return;
            }
        }
    }

    /// The flusher: writes what is pending, one round at a time, for the edge's life.
    pub(crate) async fn run(self: Arc<Self>, nats: async_nats::Client) {
        loop {
            let round = {
                let mut s = self.state();
                if s.pending.is_empty() {
                    None
                } else {
                    let taken = std::mem::take(&mut s.pending);
                    s.in_flight = taken.keys().cloned().collect();
                    s.started += 1;
                    Some((s.started, taken))
                }
            };
            let Some((number, taken)) = round else {
                self.wake.notified().await;
                continue;
            };
            let next = tokio::time::Instant::now() + ROUND_EVERY;
            let mut devices: Vec<CursorAckReq> = taken
                .into_iter()
                .map(|((user_id, device), acks)| CursorAckReq {
                    user_id,
                    device_id: device.to_string(),
                    acks: acks.into_iter().collect(),
                })
                .collect();
            metrics::histogram!("natter_edge_cursor_round_devices").record(devices.len() as f64);
            while !devices.is_empty() {
                let rest = devices.split_off(devices.len().min(CURSOR_ACK_DEVICES_MAX));
                write(&nats, &CursorAcksReq { devices }).await;
                devices = rest;
            }
            self.state().in_flight.clear();
            self.finished.send_replace(number);
            tokio::time::sleep_until(next).await;
        }
    }
}

/// Writes one request, retrying while the store says a retry may succeed.
async fn write(nats: &async_nats::Client, req: &CursorAcksReq) {
    for attempt in 1..=ATTEMPTS {
        match crate::rpc::call::<_, ()>(nats, rpc::SYNC_ACK, req).await {
            Ok(()) => return,
            Err(e) if e.code.retryable() && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200) * attempt).await;
            }
            // Unacked messages are sent again on the next connect; devices drop
            // them by seq.
            Err(e) => {
                metrics::counter!("natter_edge_cursor_acks_dropped_total")
                    .increment(req.devices.len() as u64);
                tracing::warn!(error = %e, devices = req.devices.len(), "cursor acks dropped");
                return;
            }
        }
    }
}
