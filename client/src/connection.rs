//! One WebSocket connection to an edge.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocket, WebSocketWrite};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use natter_protocol::ApiError;
use natter_protocol::ws::{ClientOp, ServerEvent};
use tokio::io::WriteHalf;
use tokio::sync::Mutex;

use crate::{Client, ClientError};

type Io = TokioIo<hyper::upgrade::Upgraded>;
type Writer = Arc<Mutex<WebSocketWrite<WriteHalf<Io>>>>;

/// What a connection receives.
// One per received frame, moved once to its reader: boxing the event would cost an
// allocation per event to save stack space nobody keeps.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A server event.
    Event(ServerEvent),
    /// The server closed the socket with this code and reason.
    Closed {
        /// WebSocket close code (1000 normal, 1008 policy, 1009 too big, …).
        code: u16,
        /// Reason text (an error code for Natter's own closes).
        reason: String,
    },
    /// A frame that is not a valid server event (a protocol bug).
    Garbage(String),
}

/// What [`Connection::next_raw`] receives.
#[allow(clippy::large_enum_variant)] // as `Incoming`
#[derive(Debug)]
pub enum Raw {
    /// An event's bytes.
    Event(Vec<u8>),
    /// The close ([`Incoming::Closed`]).
    Closed(Incoming),
}

/// What one read gives: a frame (or the error that ends the socket), and a frame
/// the protocol obliges us to answer (a close echo, a pong).
type Read = (
    Result<Frame<'static>, fastwebsockets::WebSocketError>,
    Option<(OpCode, Vec<u8>)>,
);

/// The socket's frames, as a stream that owns the read in progress: a read cut off
/// by [`Connection::next`]'s timeout goes on at the next call. (fastwebsockets
/// consumes a frame's header before its payload is in, so a dropped read would lose
/// the header and parse the payload as the next one.)
type Reader = std::pin::Pin<Box<dyn futures::Stream<Item = Read> + Send>>;

fn frames(read: fastwebsockets::FragmentCollectorRead<tokio::io::ReadHalf<Io>>) -> Reader {
    Box::pin(futures::stream::unfold(read, |mut reader| async move {
        let mut owed = None;
        let frame = {
            let mut note = |f: Frame<'_>| {
                owed = Some((f.opcode, f.payload.to_vec()));
                std::future::ready(Ok::<(), std::convert::Infallible>(()))
            };
            reader.read_frame(&mut note).await
        };
        Some(((frame, owed), reader))
    }))
}

/// An open WebSocket: send ops, receive events in order. Events are read from the
/// socket when asked for ([`Connection::next`]), not by a task of their own: one
/// wake-up per event, and a caller that stops reading pushes back on the server.
pub struct Connection {
    writer: Writer,
    /// Dropped with the connection: stops its heartbeat task.
    _heartbeat: tokio::sync::oneshot::Sender<()>,
    /// Only used through `&mut self` (the mutex is never locked: it only makes the
    /// connection shareable between tasks, which the read half alone is not).
    reader: std::sync::Mutex<Reader>,
    /// The socket ended (closed or failed): nothing more to read.
    ended: bool,
    msgpack: bool,
    /// The `hello` event's user id.
    pub user_id: u64,
    /// The device id of this connection (from `hello`).
    pub device_id: String,
}

/// The sending half of a [`Connection`], for a task other than the one reading
/// its events (cheap to clone; all clones write to the same socket).
#[derive(Clone)]
pub struct ConnectionSender {
    writer: Writer,
    msgpack: bool,
}

impl ConnectionSender {
    /// Sends an op in the connection's format.
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn op(&self, op: &ClientOp) -> Result<(), ClientError> {
        let frame = if self.msgpack {
            Frame::binary(Payload::Owned(rmp_serde_encode(op)))
        } else {
            Frame::text(Payload::Owned(
                serde_json::to_string(op).unwrap_or_default().into_bytes(),
            ))
        };
        self.write(frame).await
    }

    /// Writes one frame to the socket.
    async fn write(&self, frame: Frame<'_>) -> Result<(), ClientError> {
        self.writer
            .lock()
            .await
            .write_frame(frame)
            .await
            .map_err(|e| ClientError::WebSocket(e.to_string()))
    }
}

impl Connection {
    /// A sender for this connection's socket, usable from another task.
    pub fn sender(&self) -> ConnectionSender {
        ConnectionSender {
            writer: self.writer.clone(),
            msgpack: self.msgpack,
        }
    }

    pub(crate) async fn open(
        client: &Client,
        device: Option<&str>,
        msgpack: bool,
    ) -> Result<Self, ClientError> {
        let url = reqwest::Url::parse(client.base_url())
            .map_err(|e| ClientError::WebSocket(e.to_string()))?;
        let host = url.host_str().unwrap_or("127.0.0.1").to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = client.token() {
            query.push(("token", t));
        }
        if let Some(d) = device {
            query.push(("device", d));
        }
        if msgpack {
            query.push(("format", "msgpack"));
        }
        let qs = query
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| ClientError::WebSocket(e.to_string()))?;
        stream.set_nodelay(true).ok();
        let req = hyper::Request::builder()
            .method("GET")
            .uri(format!("/v1/ws?{qs}"))
            .header("Host", format!("{host}:{port}"))
            .header("Upgrade", "websocket")
            .header("Connection", "upgrade")
            .header(
                "Sec-WebSocket-Key",
                fastwebsockets::handshake::generate_key(),
            )
            .header("Sec-WebSocket-Version", "13")
            .body(Empty::<Bytes>::new())
            .map_err(|e| ClientError::WebSocket(e.to_string()))?;
        let ws_err = |e: hyper::Error| ClientError::WebSocket(e.to_string());
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(ws_err)?;
        tokio::spawn(async move {
            let _ = conn.with_upgrades().await;
        });
        let mut resp = sender.send_request(req).await.map_err(ws_err)?;
        if resp.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
            let status = resp.status();
            let body = resp.into_body().collect().await.map_err(ws_err)?.to_bytes();
            return Err(match serde_json::from_slice::<ApiError>(&body) {
                Ok(e) => ClientError::Api(e),
                Err(_) => ClientError::WebSocket(format!("upgrade refused: {status}")),
            });
        }
        let upgraded = hyper::upgrade::on(&mut resp).await.map_err(ws_err)?;
        let ws = WebSocket::after_handshake(TokioIo::new(upgraded), Role::Client);
        let (read, write) = ws.split(tokio::io::split);
        let writer: Writer = Arc::new(Mutex::new(write));
        let reader = frames(fastwebsockets::FragmentCollectorRead::new(read));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let (hb_writer, every) = (writer.clone(), client.heartbeat());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tick.tick() => {
                        let ping = Frame::new(true, OpCode::Ping, None, Payload::Borrowed(b"hb"));
                        if hb_writer.lock().await.write_frame(ping).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let mut conn = Self {
            _heartbeat: stop,
            writer,
            reader: std::sync::Mutex::new(reader),
            ended: false,
            msgpack,
            user_id: 0,
            device_id: String::new(),
        };
        match conn.next(Duration::from_secs(10)).await? {
            Incoming::Event(ServerEvent::Hello { protocol, .. })
                if protocol != natter_protocol::PROTOCOL_VERSION =>
            {
                Err(ClientError::WebSocket(format!(
                    "the server speaks protocol {protocol}, this client {}: update the client",
                    natter_protocol::PROTOCOL_VERSION
                )))
            }
            Incoming::Event(ServerEvent::Hello {
                user_id, device_id, ..
            }) => {
                conn.user_id = user_id;
                conn.device_id = device_id;
                Ok(conn)
            }
            other => Err(ClientError::WebSocket(format!(
                "expected hello, got {other:?}"
            ))),
        }
    }

    /// Sends an op in this connection's format.
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn op(&self, op: &ClientOp) -> Result<(), ClientError> {
        self.sender().op(op).await
    }

    /// Sends `send {channel, client_msg_id, text}` (the ack arrives as an event).
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn send(
        &self,
        channel: u64,
        client_msg_id: &str,
        text: &str,
    ) -> Result<(), ClientError> {
        self.op(&ClientOp::Send {
            channel,
            client_msg_id: client_msg_id.into(),
            text: text.into(),
            reply_to: None,
            forward: None,
            attachments: Vec::new(),
        })
        .await
    }

    /// Sends `ack {channel, seq}`: this device has everything of `channel` up to `seq`.
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn ack(&self, channel: u64, seq: u64) -> Result<(), ClientError> {
        self.op(&ClientOp::Ack { channel, seq }).await
    }

    /// Sends `read {channel, seq}`: the user has read `channel` up to `seq`.
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn read(&self, channel: u64, seq: u64) -> Result<(), ClientError> {
        self.op(&ClientOp::Read { channel, seq }).await
    }

    /// Sends `typing {channel}`.
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn typing(&self, channel: u64) -> Result<(), ClientError> {
        self.op(&ClientOp::Typing { channel }).await
    }

    /// Sends a raw text frame (for testing bad input).
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn raw_text(&self, text: String) -> Result<(), ClientError> {
        self.sender()
            .write(Frame::text(Payload::Owned(text.into_bytes())))
            .await
    }

    /// Sends one fragment of a text message: the first (`first`) opens it, the
    /// others continue it, the one with `fin` ends it.
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn raw_fragment(
        &self,
        first: bool,
        fin: bool,
        bytes: Vec<u8>,
    ) -> Result<(), ClientError> {
        let opcode = if first {
            OpCode::Text
        } else {
            OpCode::Continuation
        };
        self.sender()
            .write(Frame::new(fin, opcode, None, Payload::Owned(bytes)))
            .await
    }

    /// Sends a raw binary frame.
    ///
    /// # Errors
    /// The socket is closed.
    pub async fn raw_binary(&self, bytes: Vec<u8>) -> Result<(), ClientError> {
        self.sender()
            .write(Frame::binary(Payload::Owned(bytes)))
            .await
    }

    /// The next thing received, waiting at most `timeout`.
    ///
    /// # Errors
    /// [`ClientError::Timeout`], or the socket ended without a close frame.
    pub async fn next(&mut self, timeout: Duration) -> Result<Incoming, ClientError> {
        Ok(match self.next_raw(timeout).await? {
            Raw::Event(payload) => {
                let parsed = if self.msgpack {
                    rmp_serde::from_slice::<ServerEvent>(&payload).map_err(|e| e.to_string())
                } else {
                    serde_json::from_slice::<ServerEvent>(&payload).map_err(|e| e.to_string())
                };
                match parsed {
                    Ok(ev) => Incoming::Event(ev),
                    Err(e) => Incoming::Garbage(e),
                }
            }
            Raw::Closed(incoming) => incoming,
        })
    }

    /// The next event's bytes undecoded (JSON, or MessagePack on a msgpack socket),
    /// or the close: for a reader that decodes only what it needs (the load
    /// generator).
    ///
    /// # Errors
    /// Timeout, or the socket ended earlier.
    pub async fn next_raw(&mut self, timeout: Duration) -> Result<Raw, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.ended {
                return Err(ClientError::WebSocket("connection ended".into()));
            }
            let reader = self.reader.get_mut().unwrap_or_else(|e| e.into_inner());
            let read =
                match tokio::time::timeout_at(deadline, futures::StreamExt::next(reader)).await {
                    Ok(Some((frame, owed))) => {
                        if let Some((op, payload)) = owed {
                            let _ = self
                                .writer
                                .lock()
                                .await
                                .write_frame(Frame::new(true, op, None, Payload::Owned(payload)))
                                .await;
                        }
                        Ok(frame)
                    }
                    Ok(None) => Ok(Err(fastwebsockets::WebSocketError::UnexpectedEOF)),
                    Err(elapsed) => Err(elapsed),
                };
            let frame = match read {
                Err(_) => return Err(ClientError::Timeout),
                Ok(Ok(frame)) => frame,
                Ok(Err(_)) => {
                    self.ended = true;
                    continue;
                }
            };
            match frame.opcode {
                OpCode::Text | OpCode::Binary => {
                    let bytes = match frame.payload {
                        Payload::Owned(v) => v,
                        other => other.to_vec(),
                    };
                    return Ok(Raw::Event(bytes));
                }
                OpCode::Close => {
                    self.ended = true;
                    let p = &frame.payload;
                    let code = if p.len() >= 2 {
                        u16::from_be_bytes([p[0], p[1]])
                    } else {
                        1005
                    };
                    let reason =
                        String::from_utf8_lossy(p.get(2..).unwrap_or_default()).to_string();
                    return Ok(Raw::Closed(Incoming::Closed { code, reason }));
                }
                _ => continue,
            }
        }
    }

    /// The next server event, skipping nothing; a close becomes an error.
    ///
    /// # Errors
    /// Timeout, or the socket closed.
    pub async fn next_event(&mut self, timeout: Duration) -> Result<ServerEvent, ClientError> {
        match self.next(timeout).await? {
            Incoming::Event(e) => Ok(e),
            other => Err(ClientError::WebSocket(format!("{other:?}"))),
        }
    }

    /// Closes the socket normally and waits (at most `timeout`) for the server's
    /// close, which comes after the server has written this device's acks.
    pub async fn close(mut self, timeout: Duration) {
        if self.sender().write(Frame::close(1000, b"")).await.is_err() {
            return;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Ok(Incoming::Closed { .. }) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

fn rmp_serde_encode(op: &ClientOp) -> Vec<u8> {
    natter_protocol::internal::encode(op)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
