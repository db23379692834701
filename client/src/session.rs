//! A connection that survives edges: it discovers its edge, reconnects through
//! discovery (with backoff and jitter) when the edge drains or dies, and resumes from
//! the device's cursors, dropping any message it already has.

use std::collections::HashMap;
use std::time::Duration;

use natter_protocol::http::DiscoverResponse;
use natter_protocol::ws::ServerEvent;

use crate::{Client, ClientError, Connection, Incoming};

/// Reconnection attempts before [`Session::next`] gives up.
const MAX_ATTEMPTS: u32 = 30;

/// One device's lasting connection to Natter.
pub struct Session {
    /// Authenticated clients for the entry points discovery is asked through.
    entries: Vec<Client>,
    device: String,
    conn: Connection,
    edge: DiscoverResponse,
    /// Highest seq received per channel.
    have: HashMap<u64, u64>,
    /// How many times the session reconnected.
    pub reconnects: u64,
    /// Messages received again (after a reconnect) and dropped.
    pub duplicates_dropped: u64,
}

impl Session {
    /// Discovers an edge through the first entry that answers and connects to it as
    /// `device`. Every entry must carry the user's token.
    ///
    /// # Errors
    /// No entry answers, or the connection is refused.
    pub async fn start(entries: Vec<Client>, device: &str) -> Result<Self, ClientError> {
        let (edge, conn) = Self::open(&entries, device).await?;
        Ok(Self {
            entries,
            device: device.to_string(),
            conn,
            edge,
            have: HashMap::new(),
            reconnects: 0,
            duplicates_dropped: 0,
        })
    }

    async fn open(
        entries: &[Client],
        device: &str,
    ) -> Result<(DiscoverResponse, Connection), ClientError> {
        let mut last = ClientError::Http("no entry point".into());
        for entry in entries {
            match entry.discover().await {
                Ok(edge) => {
                    let conn = entry
                        .with_base(&edge.http_url)
                        .connect(Some(device))
                        .await?;
                    return Ok((edge, conn));
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The edge this session is connected to.
    pub fn edge(&self) -> &DiscoverResponse {
        &self.edge
    }

    /// The current connection (to send ops on).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The next event, reconnecting as needed. Messages come once each, in seq order
    /// per channel, and are acked as they are returned.
    ///
    /// # Errors
    /// [`ClientError::Timeout`] when nothing arrives within `timeout`, or the edges
    /// stayed unreachable through every reconnection attempt.
    pub async fn next(&mut self, timeout: Duration) -> Result<ServerEvent, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let got = self.conn.next(left).await;
            match got {
                Ok(Incoming::Event(ServerEvent::Message(m))) => {
                    let have = self.have.entry(m.channel).or_insert(0);
                    if m.seq <= *have {
                        self.duplicates_dropped += 1;
                        continue;
                    }
                    *have = m.seq;
                    // A lost ack only means the message may come again after a reconnect.
                    let _ = self.conn.ack(m.channel, m.seq).await;
                    return Ok(ServerEvent::Message(m));
                }
                Ok(Incoming::Event(ServerEvent::Reconnect { .. })) => self.reconnect().await?,
                Ok(Incoming::Event(ev)) => return Ok(ev),
                Ok(Incoming::Garbage(g)) => return Err(ClientError::WebSocket(g)),
                Err(ClientError::Timeout) => return Err(ClientError::Timeout),
                Ok(Incoming::Closed { .. }) | Err(_) => self.reconnect().await?,
            }
        }
    }

    /// Closes the current connection and connects again through discovery, backing
    /// off (with jitter) between attempts.
    ///
    /// # Errors
    /// The edges stayed unreachable through every attempt.
    pub async fn reconnect(&mut self) -> Result<(), ClientError> {
        let mut backoff = Duration::from_millis(100);
        for attempt in 1..=MAX_ATTEMPTS {
            match Self::open(&self.entries, &self.device).await {
                Ok((edge, conn)) => {
                    let old = std::mem::replace(&mut self.conn, conn);
                    // Acks sent on the old socket are written before it answers a close.
                    old.close(Duration::from_secs(2)).await;
                    self.edge = edge;
                    self.reconnects += 1;
                    return Ok(());
                }
                Err(e) if attempt == MAX_ATTEMPTS => return Err(e),
                Err(_) => {
                    let jitter = 0.5 + rand::random::<f64>() / 2.0;
                    tokio::time::sleep(backoff.mul_f64(jitter)).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        Err(ClientError::Http("unreachable".into()))
    }
}
