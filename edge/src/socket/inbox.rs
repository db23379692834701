//! What waits to be written to one socket: events relayed from the NATS subjects it
//! listens to, and events for it alone (answers of work done off its task).
//!
//! Bounded in bytes, not in events (one event can be a 99,999-character message,
//! ~600 KB of JSON): past its budget (`--socket-queue-bytes`) the socket counts as
//! too slow and is closed; it reconnects and resumes from its cursors. The queues
//! allocate only while something waits, so an idle socket holds none.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use natter_protocol::ws::ServerEvent;
use tokio::sync::Notify;

use crate::hub::UserEvent;

/// Events for the socket alone that may wait (answers, errors, presence states).
const DIRECT_MAX: usize = 1024;
/// Capacity a drained queue may keep (a burst's larger one is freed).
const KEEP_CAPACITY: usize = 32;

/// One socket's waiting events.
pub(crate) struct Inbox {
    state: Mutex<State>,
    ready: Notify,
    /// Bytes of relayed events that may wait.
    budget: usize,
}

#[derive(Default)]
struct State {
    live: VecDeque<Arc<UserEvent>>,
    direct: VecDeque<ServerEvent>,
    bytes: usize,
    overflowed: bool,
}

impl Inbox {
    /// An empty inbox holding at most `budget` bytes of relayed events.
    pub(crate) fn new(budget: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            ready: Notify::new(),
            budget,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues the relayed events of one NATS message (one lock and one wake-up for
    /// all of them). Past the socket's budget it takes nothing more and is closed as
    /// too slow.
    pub(crate) fn relay(&self, events: &[Arc<UserEvent>]) {
        let mut s = self.lock();
        for event in events {
            if s.overflowed {
                break;
            }
            let n = event.len();
            if s.bytes + n > self.budget && !s.live.is_empty() {
                s.overflowed = true;
                s.live = VecDeque::new();
                s.bytes = 0;
            } else {
                s.bytes += n;
                s.live.push_back(event.clone());
            }
        }
        drop(s);
        self.ready.notify_one();
    }

    /// Queues an event for this socket alone.
    pub(crate) fn direct(&self, event: ServerEvent) {
        let mut s = self.lock();
        if s.direct.len() >= DIRECT_MAX {
            s.overflowed = true;
        } else {
            s.direct.push_back(event);
        }
        drop(s);
        self.ready.notify_one();
    }

    /// Resolves once something was queued since the last wait (or already is).
    pub(crate) async fn wait(&self) {
        self.ready.notified().await;
    }

    /// Whether the socket fell too far behind.
    pub(crate) fn overflowed(&self) -> bool {
        self.lock().overflowed
    }

    /// The next event for this socket alone.
    pub(crate) fn take_direct(&self) -> Option<ServerEvent> {
        let mut s = self.lock();
        let e = s.direct.pop_front();
        if s.direct.is_empty() && s.direct.capacity() > KEEP_CAPACITY {
            s.direct = VecDeque::new();
        }
        e
    }

    /// The next relayed event.
    pub(crate) fn take_live(&self) -> Option<Arc<UserEvent>> {
        let mut s = self.lock();
        let e = s.live.pop_front();
        if let Some(e) = &e {
            s.bytes -= e.len();
        }
        if s.live.is_empty() && s.live.capacity() > KEEP_CAPACITY {
            s.live = VecDeque::new();
        }
        e
    }

    /// Whether anything waits (`live`: relayed events count too).
    pub(crate) fn has(&self, live: bool) -> bool {
        let s = self.lock();
        !s.direct.is_empty() || (live && !s.live.is_empty())
    }
}
