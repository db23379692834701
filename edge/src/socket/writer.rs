//! A socket's write half: frames in its format, every write bounded in time.

use std::time::Duration;

use fastwebsockets::{Frame, Payload, WebSocketError, WebSocketWrite};
use natter_protocol::ws::ServerEvent;
use tokio::io::AsyncWrite;

use super::write_buffer::WriteBuffer;
use crate::hub::Format;

/// How long one write to the socket may take before the client counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a socket's task stops early.
pub(super) enum Stop {
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

/// A socket's write half and format; every write is bounded by [`WRITE_TIMEOUT`].
pub(super) struct Writer<W: AsyncWrite + Unpin> {
    pub(super) ws: WebSocketWrite<WriteBuffer<W>>,
    pub(super) format: Format,
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    pub(super) async fn write(&mut self, frame: Frame<'_>) -> Result<(), Stop> {
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

    pub(super) async fn flush(&mut self) -> Result<(), Stop> {
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
    /// socket it goes to and are never copied per socket (server frames are unmasked;
    /// a small frame is gathered into the socket's write buffer, a large one is not).
    pub(super) async fn bytes(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let frame = match self.format {
            Format::Json => Frame::text(Payload::Borrowed(bytes)),
            Format::Msgpack => Frame::binary(Payload::Borrowed(bytes)),
        };
        self.write(frame).await
    }

    pub(super) async fn event(&mut self, ev: &ServerEvent) -> Result<(), Stop> {
        let bytes = match self.format {
            Format::Json => ev.to_json(),
            Format::Msgpack => ev.to_msgpack(),
        };
        self.bytes(&bytes).await
    }

    /// Writes an `error` event (for the op with `client_msg_id`, if any).
    pub(super) async fn error(
        &mut self,
        e: natter_protocol::ApiError,
        client_msg_id: Option<String>,
    ) -> Result<(), Stop> {
        self.event(&ServerEvent::error(e, client_msg_id)).await
    }

    /// Writes a close frame and flushes (best effort: the socket may be gone).
    pub(super) async fn close(&mut self, code: u16, reason: &str) {
        let _ = self.write(Frame::close(code, reason.as_bytes())).await;
        let _ = self.flush().await;
    }
}
