//! Cursor acks of every socket on this edge, written in batches.
//!
//! A device acks what it has shown, which moves its cursors. A channel's cursors
//! are moved by the owner of the channel's partition (the only writer of them, so
//! no read-compare-write). Writing each socket's acks on its own would cost one
//! request and store write per socket per burst; sockets record their acks here
//! instead, and one flusher task sends everything pending as one `cursor.<p>`
//! request per partition per round (the partitions' requests side by side), rounds
//! at least [`ROUND_EVERY`] apart. A closing socket waits for the round that
//! carries its last acks, so a client that closes cleanly and reconnects resumes
//! exactly where it acked.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use natter_nats::{layout, rpc};
use natter_protocol::internal::{CURSOR_MOVES_MAX, CursorMovesReq};
use tokio::sync::{Notify, watch};

/// Shortest time between two rounds: the batching window. A cursor only decides
/// where the next catch-up starts, so a round a tenth of a second late costs
/// nothing; a round per partition every 20 ms cost the store a write per partition
/// fifty times a second.
const ROUND_EVERY: Duration = Duration::from_millis(100);
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
    /// Each request is signed with `keys`: owners move no cursor no edge vouched for.
    pub(crate) async fn run(
        self: Arc<Self>,
        nats: async_nats::Client,
        partitions: u32,
        keys: natter_nats::log_auth::LogKeys,
    ) {
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
            let mut by_partition: HashMap<u32, Vec<(u64, String, u64, u64)>> = HashMap::new();
            for ((user_id, device), acks) in taken {
                for (channel, seq) in acks {
                    by_partition
                        .entry(layout::partition_of(channel, partitions))
                        .or_default()
                        .push((user_id, device.to_string(), channel, seq));
                }
            }
            metrics::histogram!("natter_edge_cursor_round_partitions")
                .record(by_partition.len() as f64);
            let requests = by_partition.into_iter().flat_map(|(p, moves)| {
                moves
                    .chunks(CURSOR_MOVES_MAX)
                    .map(|c| {
                        let moves = c.to_vec();
                        let mac = keys.sign(
                            &rpc::CURSOR_MOVES.subject_of(p),
                            &natter_protocol::internal::encode(&moves),
                        );
                        (p, CursorMovesReq { moves, mac })
                    })
                    .collect::<Vec<_>>()
            });
            futures::future::join_all(requests.map(|(p, req)| {
                let nats = &nats;
                async move { write(nats, p, &req).await }
            }))
            .await;
            self.state().in_flight.clear();
            self.finished.send_replace(number);
            tokio::time::sleep_until(next).await;
        }
    }
}

/// Sends one partition's moves to its owner, retrying while a retry may succeed.
async fn write(nats: &async_nats::Client, p: u32, req: &CursorMovesReq) {
    for attempt in 1..=ATTEMPTS {
        match rpc::CURSOR_MOVES.call_shard(nats, p, req).await {
            Ok(()) => return,
            Err(e) if e.code.retryable() && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200) * attempt).await;
            }
            // Unacked messages are sent again on the next connect; devices drop
            // them by seq.
            Err(e) => {
                metrics::counter!("natter_edge_cursor_acks_dropped_total")
                    .increment(req.moves.len() as u64);
                tracing::warn!(error = %e, moves = req.moves.len(), partition = p, "cursor acks dropped");
                return;
            }
        }
    }
}
