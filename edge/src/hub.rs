//! Which sockets on this edge listen to which NATS subjects, and the relay of each
//! subject to them: a user's events (`user.<id>`) to that user's sockets, a watched
//! user's presence (`presence.<id>`) to the sockets watching it.
//!
//! One NATS subscription per subject on this edge (not per socket): a user with
//! three devices here costs one subscription, and each event is decoded once. The
//! subscriptions live on one receive-only connection
//! ([`natter_nats::subscriber`]), where each is a map entry rather than a channel
//! of its own, and one task relays them all: under load it hands a whole burst to
//! the sockets' inboxes per wake-up, and an idle user costs no task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use natter_nats::subscriber::{Delivery, Subscriptions};
use tokio::sync::mpsc;

use crate::socket::Inbox;

/// Wire format chosen by a socket at connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON text frames.
    Json,
    /// MessagePack binary frames.
    Msgpack,
}

/// An event from a user's NATS subject, shared by all of that user's sockets here.
pub struct UserEvent {
    json: Bytes,
    msgpack: OnceLock<Bytes>,
    /// (channel, seq) of message events, for duplicate suppression per socket.
    pub position: Option<(u64, u64)>,
    /// A notice, not an event: stop relaying this user's presence (they blocked
    /// the socket's user). Never written to the socket.
    pub hides_presence_of: Option<u64>,
}

impl UserEvent {
    /// The events of one NATS message: one, or the several of a `messages` batch
    /// (sliced out of the shared payload, not copied), shared by every socket.
    fn from_nats(msg: &Delivery) -> Vec<Arc<Self>> {
        let event = |position, json| {
            Arc::new(Self {
                json,
                msgpack: OnceLock::new(),
                position,
                hides_presence_of: None,
            })
        };
        if let Some(of) = natter_nats::user_events::hidden_presence(msg.headers.as_ref()) {
            return vec![Arc::new(Self {
                json: Bytes::new(),
                msgpack: OnceLock::new(),
                position: None,
                hides_presence_of: Some(of),
            })];
        }
        // Edges may publish typing notices only (their NATS user may publish no other
        // user subject): anything but a typing event on a typing subject is forged,
        // and no position header counts there (a forged seq would make a socket
        // drop real messages below it as duplicates).
        if natter_nats::subjects::is_user_typing(&msg.subject) {
            let typing = matches!(
                serde_json::from_slice::<natter_protocol::ws::ServerEvent>(&msg.payload).ok(),
                Some(natter_protocol::ws::ServerEvent::Typing { .. })
            );
            if !typing {
                metrics::counter!("natter_edge_forged_events_dropped_total").increment(1);
                return Vec::new();
            }
            return vec![event(None, msg.payload.clone())];
        }
        natter_nats::user_events::decode(msg.headers.as_ref(), &msg.payload, event).unwrap_or_else(
            || {
                // Only store workers publish here: a bug, not input. The socket's next
                // message reveals the gap, which is filled from the store.
                tracing::error!(subject = %msg.subject, "malformed event batch dropped");
                Vec::new()
            },
        )
    }

    /// Bytes it holds (its JSON): what it costs a socket's inbox.
    pub fn len(&self) -> usize {
        self.json.len()
    }

    /// Whether it is empty (never, for a decoded event).
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    /// Whether it may be an event of `channel` (events without a position may be of
    /// any): a cheap test before [`Self::contains`].
    pub fn is_in(&self, channel: u64) -> bool {
        self.position.is_none_or(|(c, _)| c == channel)
    }

    /// Whether its JSON contains `needle` (finding a sender's own message by id
    /// without parsing the event).
    pub fn contains(&self, needle: &[u8]) -> bool {
        !needle.is_empty() && memchr::memmem::find(&self.json, needle).is_some()
    }

    /// The event in a socket's format (MessagePack transcoded once, on first need).
    pub fn encoded(&self, format: Format) -> Bytes {
        match format {
            Format::Json => self.json.clone(),
            Format::Msgpack => self
                .msgpack
                .get_or_init(|| {
                    let value: serde_json::Value =
                        serde_json::from_slice(&self.json).unwrap_or_default();
                    Bytes::from(rmp_serde::to_vec_named(&value).unwrap_or_default())
                })
                .clone(),
        }
    }
}

struct Socket {
    id: u64,
    inbox: Arc<Inbox>,
}

/// Who listens to what: subjects by subscription id, and each subscription's
/// sockets (a message carries the id of the subscription it matched, not its
/// subject: `user.<id>.>` matches `user.<id>.e`).
#[derive(Default)]
struct Registry {
    sids: HashMap<String, u64>,
    sockets: HashMap<u64, Vec<Socket>>,
}

/// The registry of this edge's sockets by subject.
#[derive(Clone)]
pub struct Hub {
    nats: Subscriptions,
    registry: Arc<Mutex<Registry>>,
}

impl Hub {
    /// An empty hub relaying what `nats` delivers (starts its relay task).
    pub fn new(nats: Subscriptions, deliveries: mpsc::Receiver<Delivery>) -> Self {
        let registry: Arc<Mutex<Registry>> = Arc::default();
        tokio::spawn(relay_all(registry.clone(), deliveries));
        Self { nats, registry }
    }

    /// Registers a socket on `subject`; returns once the subject is subscribed, so
    /// every event published afterwards reaches the socket.
    ///
    /// # Errors
    /// The subscription failed (NATS down).
    pub(crate) async fn join(
        &self,
        subject: String,
        socket_id: u64,
        inbox: Arc<Inbox>,
    ) -> Result<(), async_nats::Error> {
        let socket = Socket {
            id: socket_id,
            inbox,
        };
        {
            let mut r = lock(&self.registry);
            if let Some(sid) = r.sids.get(&subject).copied() {
                r.sockets.entry(sid).or_default().push(socket);
                return Ok(());
            }
        }
        let sid = self.nats.subscribe(&subject);
        // Only once the server has processed the subscription is every later event
        // certain to reach this socket; `hello` is sent after this returns.
        if let Err(e) = self.nats.flush(std::time::Duration::from_secs(5)).await {
            self.nats.unsubscribe(sid);
            return Err(e.into());
        }
        let mut r = lock(&self.registry);
        match r.sids.get(&subject).copied() {
            // Another socket subscribed meanwhile: ours is dropped.
            Some(theirs) => {
                r.sockets.entry(theirs).or_default().push(socket);
                self.nats.unsubscribe(sid);
            }
            None => {
                r.sids.insert(subject, sid);
                r.sockets.insert(sid, vec![socket]);
            }
        }
        Ok(())
    }

    /// Unregisters a socket from `subject`; the subscription ends with its last socket.
    pub fn leave(&self, subject: &str, socket_id: u64) {
        let mut r = lock(&self.registry);
        let Some(sid) = r.sids.get(subject).copied() else {
            return;
        };
        let sockets = r.sockets.entry(sid).or_default();
        sockets.retain(|s| s.id != socket_id);
        if sockets.is_empty() {
            r.sockets.remove(&sid);
            r.sids.remove(subject);
            self.nats.unsubscribe(sid);
        }
    }
}

fn lock(registry: &Mutex<Registry>) -> std::sync::MutexGuard<'_, Registry> {
    // A poisoned lock only means a panic elsewhere; the maps themselves are consistent.
    registry.lock().unwrap_or_else(|e| e.into_inner())
}

/// The relay: reads every subscription's messages and hands each event to the
/// inboxes of the subscription's sockets.
async fn relay_all(registry: Arc<Mutex<Registry>>, mut deliveries: mpsc::Receiver<Delivery>) {
    while let Some(msg) = deliveries.recv().await {
        let events = UserEvent::from_nats(&msg);
        let r = lock(&registry);
        // A subscription made and dropped in a race, or ended, has no sockets.
        let Some(sockets) = r.sockets.get(&msg.sid) else {
            continue;
        };
        for s in sockets {
            // A socket too far behind is closed; it reconnects and syncs.
            s.inbox.relay(&events);
        }
    }
}
