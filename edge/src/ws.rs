//! The WebSocket protocol at `/v1/ws`.
//!
//! Each socket has a reader (this connection's task) and a writer task fed by two
//! bounded queues: the reader's items (acks, pongs, errors) and the events relayed
//! from the user's subject. The writer sends `hello`, then the device's catch-up
//! (see [`crate::delivery`]), then live events in seq order per channel without
//! duplicates or gaps. It coalesces: frames go into a buffer that is flushed once
//! nothing more is ready, so a burst becomes one write per socket.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use fastwebsockets::upgrade::{IncomingUpgrade, UpgradeFut};
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, WebSocketError, WebSocketWrite,
};
use natter_nats::subjects;
use natter_protocol::internal::{ChannelAction, LogEntry, StreamSend};
use natter_protocol::ws::{ClientOp, ServerEvent};
use natter_protocol::{ApiError, ErrorCode, limits};
use serde::Deserialize;
use tokio::io::{AsyncWrite, BufWriter};
use tokio::sync::{Notify, mpsc};
use tracing::Instrument;

use crate::delivery::{self, Delivery, Verdict};
use crate::http::HttpError;
use crate::hub::{Format, Outbound, UserEvent};
use crate::{Edge, Phase};

/// Relayed events queued for one socket (also while it catches up) before it counts
/// as too slow and is closed; it then reconnects and resumes from its cursors.
const SOCKET_QUEUE: usize = 4096;
/// Reader items (acks, pongs, errors) queued for one socket's writer.
const DIRECT_QUEUE: usize = 256;
/// Bytes of a socket's write buffer.
const WRITE_BUFFER: usize = 2048;
/// How long a closing socket waits for its acks to be written.
const ACK_FLUSH_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a socket closed for an unreadable frame stays open for the peer to read why.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Deserialize)]
struct ConnectParams {
    token: Option<String>,
    device: Option<String>,
    format: Option<String>,
}

struct Session {
    user_id: u64,
    device_id: String,
    format: Format,
}

/// Checks the token (query `token` or `Authorization: Bearer`), device id and
/// format before upgrading, so a refused client gets an HTTP error body.
fn accept(edge: &Edge, headers: &HeaderMap, query: Option<String>) -> Result<Session, ApiError> {
    let params: ConnectParams = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("invalid query: {e}")))?;
    let header_token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let token = params
        .token
        .or(header_token)
        .ok_or_else(|| ApiError::new(ErrorCode::TokenInvalid, "missing token"))?;
    let user_id = edge.config.tokens.verify(&token)?;
    let device_id = match params.device {
        Some(d) if limits::is_valid_client_id(&d) => d,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidDeviceId,
                "device: 1-64 of A-Z a-z 0-9 - _ . :",
            ));
        }
        None => format!("d-{:016x}", rand::random::<u64>()),
    };
    let format = match params.format.as_deref() {
        None | Some("json") => Format::Json,
        Some("msgpack") => Format::Msgpack,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("format {other:?}: json or msgpack"),
            ));
        }
    };
    Ok(Session {
        user_id,
        device_id,
        format,
    })
}

#[utoipa::path(
    get,
    path = "/v1/ws",
    tag = "websocket",
    summary = "Open the WebSocket (protocol in docs/asyncapi.yaml)",
    description = "An HTTP/1.1 upgrade (`Connection: Upgrade`, `Upgrade: websocket`). \
        Authenticated by the `token` parameter or an `Authorization: Bearer` header.",
    params(
        ("token" = Option<String>, Query, description = "The bearer token (unless sent as a header)"),
        ("device" = Option<String>, Query, description = "This device's stable id, 1-64 of `A-Z a-z 0-9 - _ . :`; assigned if left out"),
        ("format" = Option<String>, Query, description = "`json` (text frames, the default) or `msgpack` (binary frames)"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 101, description = "Switching protocols: the socket is open"),
        (status = 400, description = "`bad_request` (not a WebSocket upgrade, bad query), `invalid_device_id`", body = natter_protocol::ApiError),
        (status = 401, description = "`token_invalid`, `token_expired`", body = natter_protocol::ApiError),
        (status = 503, description = "`draining`: this edge takes no new sockets; discover another", body = natter_protocol::ApiError),
    )
)]
pub(crate) async fn upgrade(
    State(edge): State<Arc<Edge>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    // Taken as a Result so that a plain GET gets a JSON `bad_request` like every other
    // error, after the token is checked, rather than the extractor's bare 400.
    ws: Result<IncomingUpgrade, axum::http::StatusCode>,
) -> Response {
    if *edge.phase.borrow() != Phase::Running {
        return HttpError(ApiError::new(
            ErrorCode::Draining,
            "this edge is shutting down: discover another",
        ))
        .into_response();
    }
    let session = match accept(&edge, &headers, query) {
        Ok(s) => s,
        Err(e) => return HttpError(e).into_response(),
    };
    let Ok(ws) = ws else {
        return HttpError(ApiError::new(
            ErrorCode::BadRequest,
            "not a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Key)",
        ))
        .into_response();
    };
    match ws.upgrade() {
        Ok((response, fut)) => {
            // Inside the upgrade request's span, so the request id stays on it.
            let span = tracing::info_span!(
                "conn",
                user = session.user_id,
                device = %session.device_id
            );
            tokio::spawn(serve(edge, fut, session).instrument(span));
            response.map(axum::body::Body::new).into_response()
        }
        Err(e) => HttpError(ApiError::new(
            ErrorCode::BadRequest,
            format!("websocket upgrade: {e}"),
        ))
        .into_response(),
    }
}

async fn serve(edge: Arc<Edge>, fut: UpgradeFut, s: Session) {
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
        // Small: an idle socket holds it for its whole life, and a burst of small
        // events still goes out in few writes (a larger frame bypasses it).
        (r, BufWriter::with_capacity(WRITE_BUFFER, w))
    });
    let mut reader = FragmentCollectorRead::new(read);
    let (tx, direct_rx) = mpsc::channel(DIRECT_QUEUE);
    let (live_tx, live_rx) = mpsc::channel(SOCKET_QUEUE);
    let lagged = Arc::new(Notify::new());
    let socket_id = edge.next_socket.fetch_add(1, Ordering::Relaxed);

    // Subscribed before the sync plan is read: every message persisted after the plan
    // reaches this socket live.
    let joined = edge
        .hub
        .join(
            subjects::user_events(s.user_id),
            socket_id,
            live_tx.clone(),
            lagged.clone(),
        )
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "subscribe failed");
            ApiError::new(ErrorCode::Unavailable, "retry")
        });
    let writer = tokio::spawn(
        write_loop(
            Writer {
                ws: write,
                format: s.format,
            },
            Queues {
                direct: direct_rx,
                live: live_rx,
                lagged: lagged.clone(),
                phase: edge.phase.subscribe(),
            },
            edge.clone(),
            s.user_id,
            s.device_id.clone(),
            joined.is_ok(),
        )
        .in_current_span(),
    );
    if joined.is_err() {
        drop(tx);
        let _ = writer.await;
        return;
    }
    metrics::gauge!("natter_edge_sockets").increment(1.0);
    edge.discovery.connections.fetch_add(1, Ordering::Relaxed);
    let mut device_key = edge.presence.online(s.user_id, &s.device_id).await;
    {
        let (edge, user) = (edge.clone(), s.user_id);
        tokio::spawn(async move { edge.discovery.remember(user).await });
    }
    let mut ctx = SocketCtx {
        id: socket_id,
        live: live_tx,
        lagged,
        watched: HashSet::new(),
    };
    let device: Arc<str> = Arc::from(s.device_id.as_str());

    let frames = edge.limiters.connection();
    // The peer's close is echoed only after its acks are written (below), so a
    // client that closes cleanly and reconnects resumes exactly where it acked.
    let close_echo: Arc<std::sync::Mutex<Option<Vec<u8>>>> = Arc::default();
    loop {
        let obligated = tx.clone();
        let echo = close_echo.clone();
        let mut obligated_send = move |f: Frame<'_>| {
            let obligated = obligated.clone();
            let (op, payload) = (f.opcode, f.payload.to_vec());
            let echo = echo.clone();
            async move {
                if op == OpCode::Close {
                    *echo.lock().unwrap_or_else(|e| e.into_inner()) = Some(payload);
                    return Ok(());
                }
                obligated
                    .send(Outbound::Control(op, payload))
                    .await
                    .map_err(|_| "socket closed")
            }
        };
        let read = reader.read_frame(&mut obligated_send);
        // A client that sends nothing (not even heartbeats) for this long is gone or
        // half-open: free its socket.
        let Ok(frame) = tokio::time::timeout(edge.config.idle_timeout, read).await else {
            metrics::counter!("natter_edge_idle_closes_total").increment(1);
            let _ = tx.send(Outbound::Close(1001, "idle_timeout".into())).await;
            break;
        };
        let frame = match frame {
            Ok(f) => f,
            Err(WebSocketError::FrameTooLarge) => {
                let e = ApiError::new(
                    ErrorCode::FrameTooLarge,
                    format!("frames are limited to {} bytes", limits::MAX_FRAME_BYTES),
                );
                let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
                let _ = tx
                    .send(Outbound::Close(1009, "frame_too_large".into()))
                    .await;
                // The rest of the oversized frame is unread: closing the socket now
                // would reset the connection and the peer would lose the error and the
                // close. Linger briefly so the peer can read them and close first.
                tokio::time::sleep(CLOSE_LINGER).await;
                break;
            }
            Err(WebSocketError::InvalidUTF8) => {
                let e = ApiError::new(ErrorCode::InvalidFrame, "text frame is not valid UTF-8");
                let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
                let _ = tx.send(Outbound::Close(1007, "invalid_frame".into())).await;
                break;
            }
            Err(e) => {
                tracing::debug!(error = %e, "socket read ended");
                break;
            }
        };
        // Any frame from the client shows it is there.
        edge.presence.beat(&mut device_key);
        let op = match frame.opcode {
            OpCode::Text => ClientOp::from_json(&frame.payload),
            OpCode::Binary => ClientOp::from_msgpack(&frame.payload),
            OpCode::Close => break,
            OpCode::Ping => {
                let _ = tx
                    .send(Outbound::Control(OpCode::Pong, frame.payload.to_vec()))
                    .await;
                continue;
            }
            _ => continue,
        };
        if let Err(e) = crate::limits::check_frame(&frames) {
            let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
            continue;
        }
        match op {
            Ok(op) => handle(&edge, &s, &mut ctx, op, &tx, &device).await,
            Err(e) => {
                let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
            }
        }
    }
    edge.hub.leave(&subjects::user_events(s.user_id), socket_id);
    for u in ctx.watched.drain() {
        edge.hub.leave(&subjects::presence_changes(u), socket_id);
    }
    edge.presence.offline(device_key).await;
    edge.discovery.connections.fetch_sub(1, Ordering::Relaxed);
    metrics::gauge!("natter_edge_sockets").decrement(1.0);
    if tokio::time::timeout(ACK_FLUSH_GRACE, edge.cursors.flushed(s.user_id, &device))
        .await
        .is_err()
    {
        tracing::warn!("cursor acks not flushed before close");
    }
    let echo = close_echo.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(payload) = echo {
        let _ = tx.send(Outbound::Control(OpCode::Close, payload)).await;
    }
    drop(tx);
    let _ = writer.await;
}

/// What the reader keeps about its socket.
struct SocketCtx {
    id: u64,
    /// The socket's live queue, for subjects joined later (presence).
    live: mpsc::Sender<Arc<UserEvent>>,
    lagged: Arc<Notify>,
    /// Users whose presence this socket watches.
    watched: HashSet<u64>,
}

async fn handle(
    edge: &Arc<Edge>,
    s: &Session,
    ctx: &mut SocketCtx,
    op: ClientOp,
    tx: &mpsc::Sender<Outbound>,
    device: &Arc<str>,
) {
    match op {
        ClientOp::PresenceSubscribe { users } => {
            if let Err(e) = watch_presence(edge, ctx, users, tx).await {
                let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
            }
        }
        ClientOp::PresenceUnsubscribe { users } => {
            for u in users {
                if ctx.watched.remove(&u) {
                    edge.hub.leave(&subjects::presence_changes(u), ctx.id);
                }
            }
        }
        ClientOp::Ping {} => {
            let _ = tx.send(Outbound::Direct(ServerEvent::Pong {})).await;
        }
        ClientOp::Ack { channel, seq } => edge.cursors.add(s.user_id, device, channel, seq),
        ClientOp::Read { channel, seq } => {
            // Answered by a `read` event on every device of the user, this one included.
            let (edge, tx, user) = (edge.clone(), tx.clone(), s.user_id);
            tokio::spawn(async move {
                let r: Result<u64, ApiError> = edge
                    .commands
                    .run(&edge, user, channel, ChannelAction::Read { seq })
                    .await;
                if let Err(e) = r {
                    let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
                }
            });
        }
        ClientOp::Typing { channel } => {
            if let Err(e) = typing(edge, s.user_id, channel).await {
                let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
            }
        }
        ClientOp::Send {
            channel,
            client_msg_id,
            text,
        } => {
            let cmid = client_msg_id.clone();
            match accept_send(edge, s, channel, client_msg_id, text).await {
                // Waiting for the durable ack happens off the read loop, so a client
                // may pipeline sends; they were queued in the order they arrived.
                Ok(wait) => {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let event = match wait.await {
                            Ok(message_id) => ServerEvent::Ack {
                                client_msg_id: cmid,
                                message_id,
                                channel,
                            },
                            Err(e) => ServerEvent::error(e, Some(cmid)),
                        };
                        let _ = tx.send(Outbound::Direct(event)).await;
                    });
                }
                Err(e) => {
                    let _ = tx
                        .send(Outbound::Direct(ServerEvent::error(e, Some(cmid))))
                        .await;
                }
            }
        }
    }
}

/// Subscribes the socket to the presence of `users`, then sends their current state.
async fn watch_presence(
    edge: &Edge,
    ctx: &mut SocketCtx,
    users: Vec<u64>,
    tx: &mpsc::Sender<Outbound>,
) -> Result<(), ApiError> {
    let mut new: Vec<u64> = users
        .into_iter()
        .filter(|u| !ctx.watched.contains(u))
        .collect();
    new.sort_unstable();
    new.dedup();
    if ctx.watched.len() + new.len() > limits::MAX_PRESENCE_WATCH {
        return Err(ApiError::new(
            ErrorCode::PresenceLimit,
            format!(
                "a connection watches at most {} users",
                limits::MAX_PRESENCE_WATCH
            ),
        ));
    }
    // Subscribed first, so no change between the query and the subscription is lost;
    // a client keeps the state with the later `changed_at`.
    for u in &new {
        edge.hub
            .join(
                subjects::presence_changes(*u),
                ctx.id,
                ctx.live.clone(),
                ctx.lagged.clone(),
            )
            .await
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "retry"))?;
        ctx.watched.insert(*u);
    }
    for p in crate::presence::query(&edge.nats, edge.presence_shards, &new).await? {
        let _ = tx.send(Outbound::Direct(ServerEvent::Presence(p))).await;
    }
    Ok(())
}

/// Tells the channel's other members that `user` is typing: core NATS on their user
/// subjects, so only members with a socket somewhere get it, and nothing is stored.
async fn typing(edge: &Edge, user: u64, channel: u64) -> Result<(), ApiError> {
    edge.limiters.typing(user)?;
    let members = edge.members.check(channel, user).await?;
    let headers = natter_nats::headers::json_event("typing");
    let payload = bytes::Bytes::from(ServerEvent::Typing { channel, user }.to_json());
    for m in members.iter().filter(|m| **m != user) {
        if let Err(e) = edge
            .nats
            .publish_with_headers(
                natter_nats::subjects::user_events(*m),
                headers.clone(),
                payload.clone(),
            )
            .await
        {
            tracing::debug!(error = %e, "typing publish failed");
        }
    }
    metrics::counter!("natter_edge_typing_total").increment(1);
    Ok(())
}

/// Validates a send and queues it for the stream; the returned future resolves with
/// the message id once JetStream has acked it.
async fn accept_send(
    edge: &Arc<Edge>,
    s: &Session,
    channel: u64,
    client_msg_id: String,
    text: String,
) -> Result<impl std::future::Future<Output = Result<u64, ApiError>> + use<>, ApiError> {
    if !limits::is_valid_client_id(&client_msg_id) {
        return Err(ApiError::new(
            ErrorCode::InvalidClientMsgId,
            "client_msg_id: 1-64 of A-Z a-z 0-9 - _ . :",
        ));
    }
    limits::check_text(&text).map_err(|code| match code {
        ErrorCode::MessageEmpty => ApiError::new(code, "text is empty"),
        _ => ApiError::new(
            code,
            format!(
                "text must have fewer than 100,000 characters (at most {})",
                limits::MAX_TEXT_CHARS
            ),
        ),
    })?;
    edge.limiters.send(s.user_id)?;
    edge.members.check(channel, s.user_id).await?;
    let message_id = edge
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let send = StreamSend {
        message_id,
        channel_id: channel,
        sender_id: s.user_id,
        client_msg_id,
        text,
        sent_at_ms: natter_idgen::timestamp_ms(message_id),
    };
    let ack = edge.publisher.submit(LogEntry::Send(send)).await?;
    metrics::counter!("natter_edge_sends_total").increment(1);
    Ok(async move {
        ack.await
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "retry"))?
            .map(|()| message_id)
    })
}

/// A socket's write half and format.
struct Writer<W: AsyncWrite + Unpin> {
    ws: WebSocketWrite<BufWriter<W>>,
    format: Format,
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    /// Writes an encoded event. Borrowed: a relayed event's bytes are shared by every
    /// socket it goes to and are never copied per socket (server frames are unmasked).
    async fn bytes(&mut self, bytes: &[u8]) -> Result<(), WebSocketError> {
        let frame = match self.format {
            Format::Json => Frame::text(Payload::Borrowed(bytes)),
            Format::Msgpack => Frame::binary(Payload::Borrowed(bytes)),
        };
        self.ws.write_frame(frame).await
    }

    async fn event(&mut self, ev: &ServerEvent) -> Result<(), WebSocketError> {
        let bytes = match self.format {
            Format::Json => ev.to_json(),
            Format::Msgpack => ev.to_msgpack(),
        };
        self.bytes(&bytes).await
    }

    async fn close(&mut self, code: u16, reason: &str) {
        let _ = self
            .ws
            .write_frame(Frame::close(code, reason.as_bytes()))
            .await;
        let _ = self.ws.flush().await;
    }

    /// Writes one item of the reader's; `Ok(true)` when it closed the socket.
    async fn outbound(&mut self, out: Outbound) -> Result<bool, WebSocketError> {
        match out {
            Outbound::Direct(ev) => self.event(&ev).await?,
            Outbound::Control(op, payload) => {
                self.ws
                    .write_frame(Frame::new(true, op, None, Payload::Owned(payload)))
                    .await?;
                return Ok(op == OpCode::Close);
            }
            Outbound::Close(code, reason) => {
                self.ws
                    .write_frame(Frame::close(code, reason.as_bytes()))
                    .await?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// What feeds a socket's writer.
struct Queues {
    /// From the reader: acks, pongs, errors, control frames.
    direct: mpsc::Receiver<Outbound>,
    /// Relayed from the user's subject (left waiting during catch-up).
    live: mpsc::Receiver<Arc<UserEvent>>,
    /// Woken when the live queue overflowed.
    lagged: Arc<Notify>,
    /// The edge's lifecycle: draining tells the client to go, closing closes.
    phase: tokio::sync::watch::Receiver<Phase>,
}

enum Step {
    Direct(Outbound),
    Page(Option<delivery::Page>),
    Live(Arc<UserEvent>),
    LiveEnded,
    Lagged,
    Phase(Phase),
    End,
}

/// Why the writer stopped early.
enum Stop {
    /// The socket failed or closed.
    Socket,
    /// The store could not fill what the socket lacks: close so the client resyncs.
    Unavailable(ApiError),
}

impl From<WebSocketError> for Stop {
    fn from(_: WebSocketError) -> Self {
        Stop::Socket
    }
}

/// The writer: hello, catch-up, then live events, with the reader's items in between.
/// Frames are buffered and flushed once nothing more is ready, so a burst becomes
/// one write.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut w: Writer<W>,
    mut q: Queues,
    edge: Arc<Edge>,
    user_id: u64,
    device_id: String,
    joined: bool,
) {
    if !joined {
        let _ = w
            .event(&ServerEvent::error(
                ApiError::new(ErrorCode::Unavailable, "retry"),
                None,
            ))
            .await;
        w.close(1011, "unavailable").await;
        return;
    }
    let (mut delivery, behind) = match Delivery::start(edge.nats.clone(), user_id, &device_id).await
    {
        Ok(started) => started,
        Err(e) => {
            let _ = w.event(&ServerEvent::error(e, None)).await;
            w.close(1011, "unavailable").await;
            return;
        }
    };
    let hello = ServerEvent::Hello {
        user_id,
        device_id,
        max_text_chars: limits::MAX_TEXT_CHARS,
        max_frame_bytes: limits::MAX_FRAME_BYTES,
    };
    if w.event(&hello).await.is_err() || w.ws.flush().await.is_err() {
        return;
    }
    let catching_up = behind.len() as u64;
    let mut pages = delivery::catch_up(edge.nats.clone(), user_id, behind);
    let mut syncing = true;
    let mut live_open = true;
    let mut caught_up = 0u64;
    loop {
        let step = tokio::select! {
            biased;
            _ = q.lagged.notified() => Step::Lagged,
            Ok(()) = q.phase.changed() => Step::Phase(*q.phase.borrow_and_update()),
            d = q.direct.recv() => d.map_or(Step::End, Step::Direct),
            p = pages.recv(), if syncing => Step::Page(p),
            l = q.live.recv(), if !syncing && live_open => l.map_or(Step::LiveEnded, Step::Live),
        };
        let result: Result<bool, Stop> = async {
            match step {
                Step::End => Ok(true),
                Step::Lagged => {
                    metrics::counter!("natter_edge_slow_consumers_total").increment(1);
                    w.close(1008, "slow_consumer").await;
                    Ok(true)
                }
                Step::Phase(Phase::Running) => Ok(false),
                Step::Phase(Phase::Draining) => {
                    w.event(&ServerEvent::Reconnect {
                        reason: "draining".into(),
                    })
                    .await?;
                    Ok(false)
                }
                Step::Phase(Phase::Closing) => {
                    w.close(1012, "draining").await;
                    Ok(true)
                }
                Step::LiveEnded => {
                    live_open = false;
                    Ok(false)
                }
                Step::Direct(out) => Ok(w.outbound(out).await?),
                Step::Page(Some(Ok(messages))) => {
                    for m in messages {
                        if delivery.accept(m.channel, m.seq) {
                            caught_up += 1;
                            w.event(&ServerEvent::Message(m)).await?;
                        }
                    }
                    Ok(false)
                }
                Step::Page(Some(Err(e))) => Err(Stop::Unavailable(e)),
                Step::Page(None) => {
                    syncing = false;
                    metrics::counter!("natter_edge_sync_messages_total").increment(caught_up);
                    w.event(&ServerEvent::Synced {
                        channels: catching_up,
                        messages: caught_up,
                    })
                    .await?;
                    Ok(false)
                }
                Step::Live(ev) => {
                    live(&mut w, &mut delivery, &ev).await?;
                    Ok(false)
                }
            }
        }
        .await;
        match result {
            Ok(false) => {}
            Ok(true) => break,
            Err(Stop::Socket) => return,
            Err(Stop::Unavailable(e)) => {
                let _ = w.event(&ServerEvent::error(e, None)).await;
                w.close(1011, "unavailable").await;
                return;
            }
        }
        // Flush only when nothing else is ready: bursts coalesce into one write.
        let more = !q.direct.is_empty() || (!syncing && live_open && !q.live.is_empty());
        if !more && w.ws.flush().await.is_err() {
            return;
        }
    }
    let _ = w.ws.flush().await;
}

/// Writes a relayed event, after filling any gap before it.
async fn live<W: AsyncWrite + Unpin>(
    w: &mut Writer<W>,
    delivery: &mut Delivery,
    ev: &UserEvent,
) -> Result<(), Stop> {
    let Some((channel, seq)) = ev.position else {
        w.bytes(&ev.encoded(w.format)).await?;
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
                let page = delivery
                    .page(channel, after, seq - 1)
                    .await
                    .map_err(Stop::Unavailable)?;
                let Some(last) = page.messages.last().map(|m| m.seq) else {
                    break;
                };
                for m in page.messages {
                    if delivery.accept(m.channel, m.seq) {
                        w.event(&ServerEvent::Message(m)).await?;
                    }
                }
                after = last;
            }
        }
    }
    if delivery.accept(channel, seq) {
        w.bytes(&ev.encoded(w.format)).await?;
    }
    Ok(())
}
