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
//! A socket whose writes stall past [`WRITE_TIMEOUT`], or whose inbox overflows, is
//! dropped: it reconnects and resumes from its cursors.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fastwebsockets::upgrade::UpgradeFut;
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, WebSocketError, WebSocketWrite,
};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use natter_nats::subjects;
use natter_protocol::ws::{ClientOp, ServerEvent};
use natter_protocol::{ApiError, ErrorCode, limits};
use tokio::io::AsyncWrite;
use tokio::time::Instant;

use super::delivery::{self, Delivery, Verdict};
use super::ops::{self, Appending};
use super::write_buffer::WriteBuffer;
use super::{Inbox, Session};
use crate::hub::{Format, UserEvent};
use crate::{Edge, Phase};

/// How long one write to the socket may take before the client counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an acked send's `ack` waits for the sender's own copy to go with it.
const ACK_HOLD: Duration = Duration::from_millis(3);
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
    let mut reader = FragmentCollectorRead::new(read);
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
        subjects::user_events(conn.s.user_id),
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
        .leave(&subjects::user_events(conn.s.user_id), conn.id);
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

/// A send between the client's op and its `ack`.
struct Sending {
    message_id: u64,
    channel: u64,
    client_msg_id: String,
    /// `"message_id":"<id>"`: finds the sender's own copy in a relayed event.
    needle: Vec<u8>,
    /// JetStream acked it at this time (the ack then waits [`ACK_HOLD`]).
    acked_at: Option<Instant>,
    /// Its own copy was seen (and answered it): the ack from JetStream is dropped.
    answered: bool,
}

impl Sending {
    fn ack(&self) -> ServerEvent {
        ServerEvent::Ack {
            client_msg_id: self.client_msg_id.clone(),
            message_id: self.message_id,
            channel: self.channel,
        }
    }
}

/// One socket's state, owned by its task.
struct Conn {
    edge: Arc<Edge>,
    s: Session,
    id: u64,
    device: Arc<str>,
    inbox: Arc<Inbox>,
    w: Writer<tokio::io::WriteHalf<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>>,
    /// Users whose presence this socket watches.
    watched: HashSet<u64>,
    /// Sends on their way to the log (a socket may pipeline them).
    appending: FuturesUnordered<futures::future::BoxFuture<'static, (u64, Result<u64, ApiError>)>>,
    /// Sends not yet answered (few: a client pipelines a handful).
    sends: Vec<Sending>,
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
}

/// Why the task stops early.
enum Stop {
    /// The socket failed or was closed by this side.
    Socket,
    /// The client closed.
    Closed,
}

impl From<WebSocketError> for Stop {
    fn from(_: WebSocketError) -> Self {
        Stop::Socket
    }
}

impl Conn {
    /// Writes an error and closes with 1011 (the client retries).
    async fn fail(&mut self, e: ApiError) {
        let _ = self.w.event(&ServerEvent::error(e, None)).await;
        self.w.close(1011, "unavailable").await;
    }

    async fn run(
        &mut self,
        reader: &mut FragmentCollectorRead<
            tokio::io::ReadHalf<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>,
        >,
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
                let mut obligated = |f: Frame<'_>| {
                    if f.opcode == OpCode::Close {
                        echo = Some(f.payload.to_vec());
                    }
                    std::future::ready(Ok::<(), std::convert::Infallible>(()))
                };
                tokio::select! {
                    biased;
                    Ok(()) = phase.changed() => Step::Phase(*phase.borrow_and_update()),
                    () = self.inbox.wait() => Step::Inbox,
                    p = pages.recv(), if syncing => Step::Page(p),
                    Some((id, r)) = self.appending.next(), if !self.appending.is_empty() => {
                        Step::Appended(id, r)
                    }
                    () = tokio::time::sleep_until(hold.unwrap_or(idle_at)), if hold.is_some() => {
                        Step::HoldOver
                    }
                    f = reader.read_frame(&mut obligated) => Step::Frame(f),
                    () = tokio::time::sleep_until(idle_at) => Step::Idle,
                }
            };
            let done: Result<(), Stop> = async {
                match step {
                    Step::Inbox => Ok(()),
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
                        self.w.event(&ServerEvent::error(e, None)).await?;
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
                        self.w.event(&ServerEvent::error(e, None)).await?;
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
                            self.w.event(&ServerEvent::error(e, None)).await?;
                            return Ok(());
                        }
                        match op {
                            Ok(op) => Box::pin(self.op(op)).await,
                            Err(e) => {
                                self.w.event(&ServerEvent::error(e, None)).await?;
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

    /// Carries out one client op.
    async fn op(&mut self, op: ClientOp) -> Result<(), Stop> {
        match op {
            ClientOp::PresenceSubscribe { users } => {
                if let Err(e) =
                    ops::watch_presence(&self.edge, self.id, &mut self.watched, users, &self.inbox)
                        .await
                {
                    self.w.event(&ServerEvent::error(e, None)).await?;
                }
            }
            ClientOp::PresenceUnsubscribe { users } => {
                for u in users {
                    if self.watched.remove(&u) {
                        self.edge.hub.leave(&subjects::presence_changes(u), self.id);
                    }
                }
            }
            ClientOp::Ping {} => self.w.event(&ServerEvent::Pong {}).await?,
            ClientOp::Ack { channel, seq } => {
                self.edge
                    .cursors
                    .add(self.s.user_id, &self.device, channel, seq)
            }
            ClientOp::Read { channel, seq } => {
                ops::read(&self.edge, self.s.user_id, channel, seq, &self.inbox)
            }
            ClientOp::Typing { channel } => {
                if let Err(e) = ops::typing(&self.edge, self.s.user_id, channel).await {
                    self.w.event(&ServerEvent::error(e, None)).await?;
                }
            }
            ClientOp::Send {
                channel,
                client_msg_id,
                text,
            } => {
                let cmid = client_msg_id.clone();
                match ops::send(&self.edge, self.s.user_id, channel, client_msg_id, text).await {
                    // The durable ack is awaited by this task beside everything else,
                    // so a client may pipeline sends; they were queued in order.
                    Ok((message_id, appending)) => {
                        self.sends.push(Sending {
                            message_id,
                            channel,
                            needle: format!("\"message_id\":\"{message_id}\"").into_bytes(),
                            client_msg_id: cmid,
                            acked_at: None,
                            answered: false,
                        });
                        self.appending
                            .push(Box::pin(waiting(message_id, appending)));
                    }
                    Err(e) => {
                        self.w.event(&ServerEvent::error(e, Some(cmid))).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// JetStream answered a send: hold its ack for its own copy, or report the error.
    async fn appended(&mut self, message_id: u64, r: Result<u64, ApiError>) -> Result<(), Stop> {
        let Some(i) = self.sends.iter().position(|s| s.message_id == message_id) else {
            return Ok(());
        };
        if self.sends[i].answered {
            // Its own copy came first and answered it.
            self.sends.swap_remove(i);
            return Ok(());
        }
        match r {
            Ok(_) => self.sends[i].acked_at = Some(Instant::now()),
            Err(e) => {
                let s = self.sends.swap_remove(i);
                self.w
                    .event(&ServerEvent::error(e, Some(s.client_msg_id)))
                    .await?;
            }
        }
        Ok(())
    }

    /// Writes the acks whose own copy did not come within [`ACK_HOLD`].
    async fn acks_due(&mut self) -> Result<(), Stop> {
        let now = Instant::now();
        let mut k = 0;
        while k < self.sends.len() {
            let due = self.sends[k]
                .acked_at
                .is_some_and(|at| at + ACK_HOLD <= now);
            if due {
                let s = self.sends.remove(k);
                self.w.event(&s.ack()).await?;
            } else {
                k += 1;
            }
        }
        Ok(())
    }

    /// Writes a relayed event, after the ack it answers (the sender's own copy) and
    /// after filling any gap before it.
    async fn live(&mut self, delivery: &mut Delivery, ev: &UserEvent) -> Result<(), Stop> {
        if !self.sends.is_empty()
            && let Some(i) = self
                .sends
                .iter()
                .position(|s| !s.answered && ev.is_in(s.channel) && ev.contains(&s.needle))
        {
            // Its own copy went through the log, so the send is durable: answer it now.
            let ack = self.sends[i].ack();
            if self.sends[i].acked_at.is_some() {
                self.sends.remove(i);
            } else {
                self.sends[i].answered = true;
            }
            self.w.event(&ack).await?;
            metrics::counter!("natter_edge_acks_with_own_copy_total").increment(1);
        }
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

/// A send's append, with the message id it belongs to.
async fn waiting(message_id: u64, appending: Appending) -> (u64, Result<u64, ApiError>) {
    (message_id, appending.await)
}

/// A socket's write half and format; every write is bounded by [`WRITE_TIMEOUT`].
struct Writer<W: AsyncWrite + Unpin> {
    ws: WebSocketWrite<WriteBuffer<W>>,
    format: Format,
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    async fn write(&mut self, frame: Frame<'_>) -> Result<(), Stop> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.ws.write_frame(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "socket write failed");
                Err(Stop::Socket)
            }
            Err(_) => {
                metrics::counter!("natter_edge_write_timeouts_total").increment(1);
                Err(Stop::Socket)
            }
        }
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.ws.flush()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "socket flush failed");
                Err(Stop::Socket)
            }
            Err(_) => {
                metrics::counter!("natter_edge_write_timeouts_total").increment(1);
                Err(Stop::Socket)
            }
        }
    }

    /// Writes an encoded event. Borrowed: a relayed event's bytes are shared by every
    /// socket it goes to and are never copied per socket (server frames are unmasked).
    async fn bytes(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let frame = match self.format {
            Format::Json => Frame::text(Payload::Borrowed(bytes)),
            Format::Msgpack => Frame::binary(Payload::Borrowed(bytes)),
        };
        self.write(frame).await
    }

    async fn event(&mut self, ev: &ServerEvent) -> Result<(), Stop> {
        let bytes = match self.format {
            Format::Json => ev.to_json(),
            Format::Msgpack => ev.to_msgpack(),
        };
        self.bytes(&bytes).await
    }

    /// Writes a close frame and flushes (best effort: the socket may be gone).
    async fn close(&mut self, code: u16, reason: &str) {
        let _ = self.write(Frame::close(code, reason.as_bytes())).await;
        let _ = self.flush().await;
    }
}
