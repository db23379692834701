//! The WebSocket protocol at `/v1/ws`.
//!
//! Each socket has a reader (this connection's task) and a writer task fed by a
//! bounded queue. The writer coalesces: it writes every queued frame into a buffer
//! and flushes once the queue is empty, so a burst becomes one write per socket. It
//! also drops a message event whose seq the socket has already been sent, so a device
//! sees each message once even when the store worker fans a batch out again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use fastwebsockets::upgrade::{IncomingUpgrade, UpgradeFut};
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, WebSocketError, WebSocketWrite,
};
use natter_protocol::internal::StreamSend;
use natter_protocol::ws::{ClientOp, ServerEvent};
use natter_protocol::{ApiError, ErrorCode, limits};
use serde::Deserialize;
use tokio::io::{AsyncWrite, BufWriter};
use tokio::sync::{Notify, mpsc};

use crate::Edge;
use crate::http::HttpError;
use crate::hub::{Format, Outbound};

/// Frames queued for one socket before it counts as too slow and is closed.
const SOCKET_QUEUE: usize = 1024;
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

pub(crate) async fn upgrade(
    State(edge): State<Arc<Edge>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: IncomingUpgrade,
) -> Response {
    let session = match accept(&edge, &headers, query) {
        Ok(s) => s,
        Err(e) => return HttpError(e).into_response(),
    };
    match ws.upgrade() {
        Ok((response, fut)) => {
            tokio::spawn(serve(edge, fut, session));
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
    ws.set_auto_pong(true);
    ws.set_auto_close(true);
    let (read, write) = ws.split(|io| {
        let (r, w) = tokio::io::split(io);
        (r, BufWriter::new(w))
    });
    let mut reader = FragmentCollectorRead::new(read);
    let (tx, rx) = mpsc::channel(SOCKET_QUEUE);
    let lagged = Arc::new(Notify::new());
    let socket_id = edge.next_socket.fetch_add(1, Ordering::Relaxed);
    let writer = tokio::spawn(write_loop(write, rx, s.format, lagged.clone()));

    if let Err(e) = edge
        .hub
        .join(s.user_id, socket_id, tx.clone(), lagged)
        .await
    {
        tracing::warn!(error = %e, "subscribe failed");
        let _ = tx
            .send(Outbound::Direct(ServerEvent::error(
                ApiError::new(ErrorCode::Unavailable, "retry"),
                None,
            )))
            .await;
        let _ = tx.send(Outbound::Close(1011, "unavailable".into())).await;
        drop(tx);
        let _ = writer.await;
        return;
    }
    metrics::gauge!("natter_edge_sockets").increment(1.0);
    let _ = tx
        .send(Outbound::Direct(ServerEvent::Hello {
            user_id: s.user_id,
            device_id: s.device_id.clone(),
            max_text_chars: limits::MAX_TEXT_CHARS,
            max_frame_bytes: limits::MAX_FRAME_BYTES,
        }))
        .await;

    let frames = edge.limiters.connection();
    loop {
        let obligated = tx.clone();
        let frame = reader
            .read_frame(&mut move |f: Frame<'_>| {
                let obligated = obligated.clone();
                let (op, payload) = (f.opcode, f.payload.to_vec());
                async move {
                    obligated
                        .send(Outbound::Control(op, payload))
                        .await
                        .map_err(|_| "socket closed")
                }
            })
            .await;
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
        let op = match frame.opcode {
            OpCode::Text => ClientOp::from_json(&frame.payload),
            OpCode::Binary => ClientOp::from_msgpack(&frame.payload),
            OpCode::Close => break,
            _ => continue,
        };
        if let Err(e) = crate::limits::check_frame(&frames) {
            let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
            continue;
        }
        match op {
            Ok(op) => handle(&edge, &s, op, &tx).await,
            Err(e) => {
                let _ = tx.send(Outbound::Direct(ServerEvent::error(e, None))).await;
            }
        }
    }
    edge.hub.leave(s.user_id, socket_id);
    metrics::gauge!("natter_edge_sockets").decrement(1.0);
    drop(tx);
    let _ = writer.await;
}

async fn handle(edge: &Arc<Edge>, s: &Session, op: ClientOp, tx: &mpsc::Sender<Outbound>) {
    match op {
        ClientOp::Ping {} => {
            let _ = tx.send(Outbound::Direct(ServerEvent::Pong {})).await;
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
    let ack = edge.publisher.submit(send).await?;
    metrics::counter!("natter_edge_sends_total").increment(1);
    Ok(async move {
        ack.await
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "retry"))?
            .map(|()| message_id)
    })
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut ws: WebSocketWrite<BufWriter<W>>,
    mut rx: mpsc::Receiver<Outbound>,
    format: Format,
    lagged: Arc<Notify>,
) {
    // Highest seq sent per channel; allocated on the first message event.
    let mut sent: HashMap<u64, u64> = HashMap::new();
    loop {
        let first = tokio::select! {
            biased;
            _ = lagged.notified() => Outbound::Close(1008, "slow_consumer".into()),
            next = rx.recv() => match next {
                Some(o) => o,
                None => break,
            },
        };
        let mut item = Some(first);
        let mut closing = false;
        while let Some(out) = item.take() {
            match write_one(&mut ws, out, format, &mut sent).await {
                Ok(true) => {
                    closing = true;
                    break;
                }
                Ok(false) => {}
                Err(_) => return,
            }
            item = rx.try_recv().ok();
        }
        if ws.flush().await.is_err() || closing {
            return;
        }
    }
    let _ = ws.write_frame(Frame::close(1000, b"")).await;
    let _ = ws.flush().await;
}

/// Writes one item; `Ok(true)` when it closed the socket.
async fn write_one<W: AsyncWrite + Unpin>(
    ws: &mut WebSocketWrite<W>,
    out: Outbound,
    format: Format,
    sent: &mut HashMap<u64, u64>,
) -> Result<bool, WebSocketError> {
    let data_frame = |bytes: Vec<u8>| match format {
        Format::Json => Frame::text(Payload::Owned(bytes)),
        Format::Msgpack => Frame::binary(Payload::Owned(bytes)),
    };
    match out {
        Outbound::Event(ev) => {
            if let Some((channel, seq)) = ev.position {
                let last = sent.entry(channel).or_insert(0);
                if seq <= *last {
                    metrics::counter!("natter_edge_duplicate_events_suppressed_total").increment(1);
                    return Ok(false);
                }
                *last = seq;
            }
            ws.write_frame(data_frame(ev.encoded(format).to_vec()))
                .await?;
        }
        Outbound::Direct(ev) => {
            let bytes = match format {
                Format::Json => ev.to_json(),
                Format::Msgpack => ev.to_msgpack(),
            };
            ws.write_frame(data_frame(bytes)).await?;
        }
        Outbound::Control(op, payload) => {
            ws.write_frame(Frame::new(true, op, None, Payload::Owned(payload)))
                .await?;
            return Ok(op == OpCode::Close);
        }
        Outbound::Close(code, reason) => {
            ws.write_frame(Frame::close(code, reason.as_bytes()))
                .await?;
            return Ok(true);
        }
    }
    Ok(false)
}
