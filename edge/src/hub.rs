//! Which sockets on this edge listen to which NATS subjects, and the relay of each
//! subject to them: a user's events (`user.<id>`) to that user's sockets, a watched
//! user's presence (`presence.<id>`) to the sockets watching it.
//!
//! One NATS subscription per subject on this edge (not per socket): a user with
//! three devices here costs one subscription, and each event is decoded once. One
//! task relays every subscription (not a task each): under load it hands a whole
//! burst to the sockets' inboxes per wake-up, and an idle user costs no task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use std::pin::Pin;

use futures::StreamExt;
use futures::stream::{AbortHandle, SelectAll, Stream};
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
}

impl UserEvent {
    /// The events of one NATS message: one, or the several of a `messages` batch
    /// (sliced out of the shared payload, not copied), shared by every socket.
    fn from_nats(msg: &async_nats::Message) -> Vec<Arc<Self>> {
        let event = |position, json| {
            Arc::new(Self {
                json,
                msgpack: OnceLock::new(),
                position,
            })
        };
        // Edges may publish typing notices only (their NATS user may publish no other
        // user subject): anything but a typing event on a typing subject is forged,
        // and no position header counts there (a forged seq would make a socket
        // drop real messages below it as duplicates).
        if natter_nats::subjects::is_user_typing(msg.subject.as_str()) {
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

struct SubjectEntry {
    sockets: Vec<Socket>,
    /// Ends the subscription's stream in the relay (and so the subscription).
    stop: AbortHandle,
}

/// A subscription as the relay reads it: its subject with each message.
type Relayed = Pin<Box<dyn Stream<Item = (Arc<str>, async_nats::Message)> + Send>>;

/// The registry of this edge's sockets by subject.
#[derive(Clone)]
pub struct Hub {
    nats: async_nats::Client,
    subjects: Arc<Mutex<HashMap<String, SubjectEntry>>>,
    /// New subscriptions for the relay task.
    relay: mpsc::UnboundedSender<Relayed>,
}

impl Hub {
    /// An empty hub relaying from `nats` (starts its relay task).
    pub fn new(nats: async_nats::Client) -> Self {
        let subjects: Arc<Mutex<HashMap<String, SubjectEntry>>> = Arc::default();
        let (relay, added) = mpsc::unbounded_channel();
        tokio::spawn(relay_all(subjects.clone(), added));
        Self {
            nats,
            subjects,
            relay,
        }
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
            let mut subs = self.lock();
            if let Some(entry) = subs.get_mut(&subject) {
                entry.sockets.push(socket);
                return Ok(());
            }
        }
        let sub = self.nats.subscribe(subject.clone()).await?;
        // Only once the server has processed the subscription is every later event
        // certain to reach this socket; `hello` is sent after this returns.
        natter_nats::connect::round_trip(&self.nats, std::time::Duration::from_secs(5)).await?;
        let mut subs = self.lock();
        match subs.get_mut(&subject) {
            // Another socket subscribed meanwhile: ours is dropped.
            Some(entry) => entry.sockets.push(socket),
            None => {
                let (sub, stop) = futures::stream::abortable(sub);
                let name: Arc<str> = Arc::from(subject.as_str());
                let relayed: Relayed = Box::pin(sub.map(move |m| (name.clone(), m)));
                // Messages wait in the subscription until the relay reads it.
                let _ = self.relay.send(relayed);
                subs.insert(
                    subject,
                    SubjectEntry {
                        sockets: vec![socket],
                        stop,
                    },
                );
            }
        }
        Ok(())
    }

    /// Unregisters a socket from `subject`; the subscription ends with its last socket.
    pub fn leave(&self, subject: &str, socket_id: u64) {
        let mut subs = self.lock();
        if let Some(entry) = subs.get_mut(subject) {
            entry.sockets.retain(|s| s.id != socket_id);
            if entry.sockets.is_empty() {
                entry.stop.abort();
                subs.remove(subject);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SubjectEntry>> {
        // A poisoned lock only means a panic elsewhere; the map itself is consistent.
        self.subjects.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The relay: reads every subscription and hands each event to the inboxes of the
/// subject's sockets.
async fn relay_all(
    subs: Arc<Mutex<HashMap<String, SubjectEntry>>>,
    mut added: mpsc::UnboundedReceiver<Relayed>,
) {
    let mut all: SelectAll<Relayed> = SelectAll::new();
    loop {
        let (subject, msg) = tokio::select! {
            new = added.recv() => match new {
                Some(s) => {
                    all.push(s);
                    continue;
                }
                None => return,
            },
            Some(next) = all.next(), if !all.is_empty() => next,
        };
        let events = UserEvent::from_nats(&msg);
        let subs = subs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = subs.get(&*subject) else {
            continue;
        };
        for s in &entry.sockets {
            for event in &events {
                if !s.inbox.relay(event.clone()) {
                    // A socket this far behind is closed; it reconnects and syncs.
                    break;
                }
            }
        }
    }
}
