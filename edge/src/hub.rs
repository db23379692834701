//! Which sockets on this edge listen to which NATS subjects, and the relay of each
//! subject to them: a user's events (`user.<id>`) to that user's sockets, a watched
//! user's presence (`presence.<id>`) to the sockets watching it.
//!
//! One NATS subscription per subject on this edge (not per socket): a user with
//! three devices here costs one subscription, and each event is decoded once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use futures::StreamExt;
use natter_nats::headers as h;
use natter_protocol::ws::ServerEvent;
use tokio::sync::mpsc;

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
    fn from_nats(msg: &async_nats::Message) -> Self {
        let header = |name: &str| {
            msg.headers
                .as_ref()
                .and_then(|hs| hs.get(name))
                .and_then(|v| v.as_str().parse::<u64>().ok())
        };
        let position = header(h::CHANNEL).zip(header(h::SEQ));
        Self {
            json: msg.payload.clone(),
            msgpack: OnceLock::new(),
            position,
        }
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

/// What a socket's reader asks its writer task to write (relayed events come on a
/// queue of their own).
pub enum Outbound {
    /// An event for this socket only (ack, pong, error).
    Direct(ServerEvent),
    /// A control frame the reader owes the peer (pong, close echo).
    Control(fastwebsockets::OpCode, Vec<u8>),
    /// Close the socket with a code and reason.
    Close(u16, String),
}

struct Socket {
    id: u64,
    tx: mpsc::Sender<Arc<UserEvent>>,
    /// Woken when the socket's queue overflowed: its writer closes it.
    lagged: Arc<tokio::sync::Notify>,
}

struct SubjectEntry {
    sockets: Vec<Socket>,
    relay: tokio::task::JoinHandle<()>,
}

/// The registry of this edge's sockets by subject.
#[derive(Clone)]
pub struct Hub {
    nats: async_nats::Client,
    subjects: Arc<Mutex<HashMap<String, SubjectEntry>>>,
}

impl Hub {
    /// An empty hub relaying from `nats`.
    pub fn new(nats: async_nats::Client) -> Self {
        Self {
            nats,
            subjects: Arc::default(),
        }
    }

    /// Registers a socket on `subject`; returns once the subject is subscribed, so
    /// every event published afterwards reaches the socket.
    ///
    /// # Errors
    /// The subscription failed (NATS down).
    pub async fn join(
        &self,
        subject: String,
        socket_id: u64,
        tx: mpsc::Sender<Arc<UserEvent>>,
        lagged: Arc<tokio::sync::Notify>,
    ) -> Result<(), async_nats::Error> {
        let socket = Socket {
            id: socket_id,
            tx,
            lagged,
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
                let relay = tokio::spawn(relay(self.subjects.clone(), subject.clone(), sub));
                subs.insert(
                    subject,
                    SubjectEntry {
                        sockets: vec![socket],
                        relay,
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
                entry.relay.abort();
                subs.remove(subject);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SubjectEntry>> {
        // A poisoned lock only means a panic elsewhere; the map itself is consistent.
        self.subjects.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn relay(
    subs: Arc<Mutex<HashMap<String, SubjectEntry>>>,
    subject: String,
    mut sub: async_nats::Subscriber,
) {
    while let Some(msg) = sub.next().await {
        let event = Arc::new(UserEvent::from_nats(&msg));
        let subs = subs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = subs.get(&subject) else {
            continue;
        };
        for s in &entry.sockets {
            if let Err(mpsc::error::TrySendError::Full(_)) = s.tx.try_send(event.clone()) {
                // A socket this far behind is closed; it reconnects and syncs.
                s.lagged.notify_one();
                metrics::counter!("natter_edge_slow_consumers_total").increment(1);
            }
        }
    }
}
