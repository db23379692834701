//! One socket's task: it reads the client's frames and writes everything the socket
//! is owed, with nothing else per socket but its inbox.
//!
//! After `hello` it writes the device's catch-up (pages fetched ahead by a short-lived
//! task), then live events in seq order per channel without duplicates or gaps,
//! interleaved with answers to the client's ops. Frames are gathered and flushed
//! once nothing more is ready, so a burst is one write (and an idle socket holds no
//! write buffer). A send's `ack` waits a moment for the sender's own copy of the
//! message, which follows it through the log a few milliseconds later, so both go
//! out in one write (seeing its own copy also proves a send durable, so that can
//! answer it first).
//! A socket whose writes stall past `WRITE_TIMEOUT`, or whose inbox overflows, is
//! dropped: it reconnects and resumes from its cursors.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fastwebsockets::upgrade::UpgradeFut;
use fastwebsockets::{Frame, OpCode, Payload, WebSocketError};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use natter_nats::subjects;
use natter_protocol::ws::{ClientOp, ServerEvent};
use natter_protocol::{ApiError, ErrorCode, limits};
use tokio::time::Instant;

use super::acks::{ACK_HOLD, Sending};
use super::delivery::{self, Delivery, Verdict};
use super::messages::{Messages, Read, frames};
use super::write_buffer::WriteBuffer;
use super::writer::{Stop, Writer};
use super::{Inbox, Session};
use crate::hub::UserEvent;
use crate::{Edge, Phase};

/// How long a closing socket waits for its acks to be written.
const ACK_FLUSH_GRACE: Duration = Duration::from_secs(5);
/// How long a socket closed for an unreadable frame stays open for the peer to read why.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Runs one socket from its upgrade to its end.
pub(super) async fn serve(edge: Arc<Edge>, fut: UpgradeFut, s: Session) {
    let mut ws = match fut.await {
        Ok(ws) => ws,
        Err(e) => {
            tracing::debug!(error = %e, "upgrade failed");
            return;
        }
    };
    ws.set_max_message_size(limits::MAX_FRAME_BYTES);
    // Pings are answered by hand: they are also presence heartbeats.
    ws.set_auto_pong(false);
    ws.set_auto_close(true);
    let (read, write) = ws.split(|io| {
        let (r, w) = tokio::io::split(io);
        (r, WriteBuffer::new(w))
    });
    let reader = frames(Messages::new(read));
    tokio::pin!(reader);
    let mut conn = Conn {
        id: edge.next_socket.fetch_add(1, Ordering::Relaxed),
        device: Arc::from(s.device_id.as_str()),
        inbox: Inbox::new(edge.config.socket_queue_bytes),
        w: Writer {
            ws: write,
            format: s.format,
        },
        watched: HashSet::new(),
        appending: FuturesUnordered::new(),
        sends: Vec::new(),
        edge,
        s,
    };
    // Subscribed before the sync plan is read: every message persisted after the
    // plan reaches this socket live.
    let joined = Box::pin(conn.edge.hub.join(
        subjects::user_all(conn.s.user_id),
        conn.id,
        conn.inbox.clone(),
    ))
    .await;
    if let Err(e) = joined {
        tracing::warn!(error = %e, "subscribe failed");
        conn.fail(ApiError::new(ErrorCode::Unavailable, "retry"))
            .await;
        return;
    }
    metrics::gauge!("natter_edge_sockets").increment(1.0);
    conn.edge
        .discovery
        .connections
        .fetch_add(1, Ordering::Relaxed);
    let mut device_key =
        Box::pin(conn.edge.presence.online(conn.s.user_id, &conn.s.device_id)).await;
    {
        let (edge, user) = (conn.edge.clone(), conn.s.user_id);
        tokio::spawn(async move { edge.discovery.remember(user).await });
    }
    let end = conn.run(&mut reader, &mut device_key).await;
    conn.edge
        .hub
        .leave(&subjects::user_all(conn.s.user_id), conn.id);
    for u in conn.watched.drain() {
        conn.edge.hub.leave(&subjects::presence_changes(u), conn.id);
    }
    Box::pin(conn.edge.presence.offline(device_key)).await;
    conn.edge
        .discovery
        .connections
        .fetch_sub(1, Ordering::Relaxed);
    metrics::gauge!("natter_edge_sockets").decrement(1.0);
    if let End::PeerClosed(echo) = end {
        // The peer's close is echoed only after its acks are written, so a client
        // that closes cleanly and reconnects resumes exactly where it acked.
        let flushed = conn.edge.cursors.flushed(conn.s.user_id, &conn.device);
        if tokio::time::timeout(ACK_FLUSH_GRACE, Box::pin(flushed))
            .await
            .is_err()
        {
            tracing::warn!("cursor acks not flushed before close");
        }
        let close = Frame::new(true, OpCode::Close, None, Payload::Owned(echo));
        let _ = conn.w.write(close).await;
        let _ = conn.w.flush().await;
    }
}

/// How the socket's run ended.
enum End {
    /// The client closed; the close frame to echo once its acks are written.
    PeerClosed(Vec<u8>),
    /// Closed by this side (with a close frame already written), or the socket failed.
    Over,
}

/// One socket's state, owned by its task.
pub(super) struct Conn {
    pub(super) edge: Arc<Edge>,
    pub(super) s: Session,
    pub(super) id: u64,
    pub(super) device: Arc<str>,
    pub(super) inbox: Arc<Inbox>,
    pub(super) w: Writer<tokio::io::WriteHalf<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>>,
    /// Users whose presence this socket watches.
    pub(super) watched: HashSet<u64>,
    /// Sends on their way to the log (a socket may pipeline them).
    pub(super) appending:
        FuturesUnordered<futures::future::BoxFuture<'static, (u64, Result<u64, ApiError>)>>,
    /// Sends not yet answered (few: a client pipelines a handful).
    pub(super) sends: Vec<Sending>,
}

/// What woke the task.
enum Step {
    Phase(Phase),
    Inbox,
    Page(Option<delivery::Page>),
    Appended(u64, Result<u64, ApiError>),
    HoldOver,
    Frame(Result<Frame<'static>, WebSocketError>),
    Idle,
    /// One of the user's sessions ended: maybe this socket's.
    SessionEnded,
}

impl Conn {
    /// Writes an error and closes with 1011 (the client retries).
    async fn fail(&mut self, e: ApiError) {
        let _ = self.w.error(e, None).await;
        self.w.close(1011, "unavailable").await;
    }

    async fn run(
        &mut self,
        reader: &mut (impl futures::Stream<Item = Read> + Unpin),
        device_key: &mut crate::presence::DeviceKey,
    ) -> End {
        // Rarely-taken awaits are boxed: the task holds its largest state for its
        // whole life, so only what an idle socket waits on should be inline.
        let (mut delivery, behind) = match Box::pin(Delivery::start(
            self.edge.nats.clone(),
            self.s.user_id,
            &self.s.device_id,
        ))
        .await
        {
            Ok(started) => started,
            Err(e) => {
                self.fail(e).await;
                return End::Over;
            }
        };
        let hello = ServerEvent::Hello {
            protocol: natter_protocol::PROTOCOL_VERSION,
            user_id: self.s.user_id,
            device_id: self.s.device_id.clone(),
            max_text_chars: limits::MAX_TEXT_CHARS,
            max_frame_bytes: limits::MAX_FRAME_BYTES,
        };
        if self.w.event(&hello).await.is_err() || self.w.flush().await.is_err() {
            return End::Over;
        }
        let catching_up = behind.len() as u64;
        let mut pages = delivery::catch_up(self.edge.nats.clone(), self.s.user_id, behind);
        let mut syncing = true;
        let mut caught_up = 0u64;
        let mut phase = self.edge.phase.subscribe();
        let mut ended = self.s.slot.ended.clone();
        let frames = self.edge.limiters.connection();
        let mut idle_at = Instant::now() + self.edge.config.idle_timeout;
        let mut echo: Option<Vec<u8>> = None;
        loop {
            // Write what is ready; flush once nothing more is.
            let wrote: Result<(), Stop> = async {
                while let Some(ev) = self.inbox.take_direct() {
                    self.w.event(&ev).await?;
                }
                if !syncing {
                    while let Some(ev) = self.inbox.take_live() {
                        Box::pin(self.live(&mut delivery, &ev)).await?;
                    }
                }
                Ok(())
            }
            .await;
            if wrote.is_err() {
                return End::Over;
            }
            if self.inbox.overflowed() {
                metrics::counter!("natter_edge_slow_consumers_total").increment(1);
                tracing::debug!("socket's queue overflowed: closing (slow_consumer)");
                self.w.close(1008, "slow_consumer").await;
                return End::Over;
            }
            if !self.inbox.has(!syncing) && self.w.flush().await.is_err() {
                return End::Over;
            }
            let hold = self
                .sends
                .iter()
                .filter_map(|s| s.acked_at)
                .min()
                .map(|at| at + ACK_HOLD);
            let step = {
                tokio::select! {
                    biased;
                    Ok(()) = phase.changed() => Step::Phase(*phase.borrow_and_update()),
                    Ok(()) = ended.changed() => Step::SessionEnded,
                    () = self.inbox.wait() => Step::Inbox,
                    p = pages.recv(), if syncing => Step::Page(p),
                    Some((id, r)) = self.appending.next(), if !self.appending.is_empty() => {
                        Step::Appended(id, r)
                    }
                    () = tokio::time::sleep_until(hold.unwrap_or(idle_at)), if hold.is_some() => {
                        Step::HoldOver
                    }
                    Some((f, closing)) = reader.next() => {
                        if closing.is_some() {
                            echo = closing;
                        }
                        Step::Frame(f)
                    }
                    () = tokio::time::sleep_until(idle_at) => Step::Idle,
                }
            };
            let done: Result<(), Stop> = async {
                match step {
                    Step::Inbox => Ok(()),
                    Step::SessionEnded => {
                        let t = self.s.token;
                        if self.edge.revocations.allows(t.user, t.session, t.issued_ms) {
                            return Ok(());
                        }
                        metrics::counter!("natter_edge_sockets_revoked_total").increment(1);
                        let e = ApiError::new(
                            ErrorCode::TokenRevoked,
                            "this session was ended: log in again",
                        );
                        self.w.error(e, None).await?;
                        self.w.close(1008, "token_revoked").await;
                        Err(Stop::Socket)
                    }
                    Step::Phase(Phase::Running) => Ok(()),
                    Step::Phase(Phase::Draining) => {
                        self.w
                            .event(&ServerEvent::Reconnect {
                                reason: "draining".into(),
                            })
                            .await?;
                        Ok(())
                    }
                    Step::Phase(Phase::Closing) => {
                        self.w.close(1012, "draining").await;
                        Err(Stop::Socket)
                    }
                    Step::Page(Some(Ok(messages))) => {
                        for m in messages {
                            if delivery.accept(m.channel, m.seq) {
                                caught_up += 1;
                                self.w.event(&ServerEvent::Message(m)).await?;
                            }
                        }
                        Ok(())
                    }
                    Step::Page(Some(Err(e))) => {
                        self.fail(e).await;
                        Err(Stop::Socket)
                    }
                    Step::Page(None) => {
                        syncing = false;
                        metrics::counter!("natter_edge_sync_messages_total").increment(caught_up);
                        self.w
                            .event(&ServerEvent::Synced {
                                channels: catching_up,
                                messages: caught_up,
                            })
                            .await?;
                        Ok(())
                    }
                    Step::Appended(id, r) => Box::pin(self.appended(id, r)).await,
                    Step::HoldOver => Box::pin(self.acks_due()).await,
                    Step::Idle => {
                        // Nothing, not even a heartbeat: gone or half-open.
                        metrics::counter!("natter_edge_idle_closes_total").increment(1);
                        self.w.close(1001, "idle_timeout").await;
                        Err(Stop::Socket)
                    }
                    Step::Frame(Err(WebSocketError::FrameTooLarge)) => {
                        let e = ApiError::new(
                            ErrorCode::FrameTooLarge,
                            format!("frames are limited to {} bytes", limits::MAX_FRAME_BYTES),
                        );
                        self.w.error(e, None).await?;
                        self.w.close(1009, "frame_too_large").await;
                        // The rest of the oversized frame is unread: closing now would
                        // reset the connection and the peer would lose the error and
                        // the close. Linger so the peer can read them and close first.
                        tokio::time::sleep(CLOSE_LINGER).await;
                        Err(Stop::Socket)
                    }
                    Step::Frame(Err(WebSocketError::InvalidUTF8)) => {
                        let e =
                            ApiError::new(ErrorCode::InvalidFrame, "text frame is not valid UTF-8");
                        self.w.error(e, None).await?;
                        self.w.close(1007, "invalid_frame").await;
                        Err(Stop::Socket)
                    }
                    Step::Frame(Err(e)) => {
                        tracing::debug!(error = %e, "socket read ended");
                        Err(Stop::Socket)
                    }
                    Step::Frame(Ok(frame)) => {
                        // Any frame from the client shows it is there.
                        idle_at = Instant::now() + self.edge.config.idle_timeout;
                        self.edge.presence.beat(device_key);
                        let op = match frame.opcode {
                            OpCode::Text => ClientOp::from_json(&frame.payload),
                            OpCode::Binary => ClientOp::from_msgpack(&frame.payload),
                            OpCode::Close => return Err(Stop::Closed),
                            OpCode::Ping => {
                                let pong = Frame::new(
                                    true,
                                    OpCode::Pong,
                                    None,
                                    Payload::Owned(frame.payload.to_vec()),
                                );
                                self.w.write(pong).await?;
                                return Ok(());
                            }
                            _ => return Ok(()),
                        };
                        if let Err(e) = crate::rate_limits::check_frame(&frames) {
                            self.w.error(e, None).await?;
                            return Ok(());
                        }
                        match op {
                            Ok(op) => Box::pin(self.op(op)).await,
                            Err(e) => {
                                self.w.error(e, None).await?;
                                Ok(())
                            }
                        }
                    }
                }
            }
            .await;
            match done {
                Ok(()) => {}
                Err(Stop::Closed) => return End::PeerClosed(echo.take().unwrap_or_default()),
                Err(Stop::Socket) => return End::Over,
            }
        }
    }

    /// Writes a relayed event, after the ack it answers (the sender's own copy) and
    /// after filling any gap before it.
    async fn live(&mut self, delivery: &mut Delivery, ev: &UserEvent) -> Result<(), Stop> {
        if let Some(of) = ev.hides_presence_of {
            if self.watched.remove(&of) {
                self.edge
                    .hub
                    .leave(&subjects::presence_changes(of), self.id);
            }
            return Ok(());
        }
        self.own_copy(ev).await?;
        let Some((channel, seq)) = ev.position else {
            self.w.bytes(&ev.encoded(self.w.format)).await?;
            return Ok(());
        };
        match delivery.verdict(channel, seq) {
            Verdict::Duplicate => {
                metrics::counter!("natter_edge_duplicate_events_suppressed_total").increment(1);
                return Ok(());
            }
            Verdict::Next => {}
            Verdict::Gap(mut after) => {
                metrics::counter!("natter_edge_gap_fills_total").increment(1);
                while after + 1 < seq {
                    let page = match delivery.page(channel, after, seq - 1).await {
                        Ok(p) => p,
                        Err(e) => {
                            // The store cannot fill what the socket lacks: close so the
                            // client resyncs.
                            self.fail(e).await;
                            return Err(Stop::Socket);
                        }
                    };
                    let Some(last) = page.messages.last().map(|m| m.seq) else {
                        break;
                    };
                    for m in page.messages {
                        if delivery.accept(m.channel, m.seq) {
                            self.w.event(&ServerEvent::Message(m)).await?;
                        }
                    }
                    after = last;
                }
            }
        }
        if delivery.accept(channel, seq) {
            self.w.bytes(&ev.encoded(self.w.format)).await?;
        }
        Ok(())
    }
}
