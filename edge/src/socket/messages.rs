//! Whole client messages from a socket's frames, fragments joined up to
//! [`MAX_FRAME_BYTES`](natter_protocol::limits::MAX_FRAME_BYTES) in all.
//!
//! fastwebsockets' own fragment collector bounds each frame but not the message
//! they add up to: a client could send a first frame without FIN and then
//! continuation frames for ever, each under the limit, and the edge would hold it
//! all. Here the sum is bounded too, and a message over it is `FrameTooLarge` like
//! a single oversized frame.

use std::future::Future;

use fastwebsockets::{Frame, OpCode, Payload, WebSocketError, WebSocketRead};
use natter_protocol::limits::MAX_FRAME_BYTES;
use tokio::io::AsyncRead;

/// A socket's read half, yielding control frames as they come and data frames as
/// whole messages.
pub(super) struct Messages<S> {
    read: WebSocketRead<S>,
    /// The message being gathered: its opcode and the bytes so far.
    partial: Option<(OpCode, Vec<u8>)>,
}

impl<S: AsyncRead + Unpin> Messages<S> {
    pub(super) fn new(read: WebSocketRead<S>) -> Self {
        Self {
            read,
            partial: None,
        }
    }

    /// The next control frame or whole message. `send` writes what the protocol
    /// obliges (a close echo). A text message is valid UTF-8.
    ///
    /// # Errors
    /// `FrameTooLarge` past the limit (in one frame or in all of a message's
    /// fragments), `InvalidFragment` / `InvalidContinuationFrame` for fragments out
    /// of order, `InvalidUTF8`, and the socket's own errors.
    pub(super) async fn read<'f, R, E>(
        &mut self,
        send: &mut impl FnMut(Frame<'f>) -> R,
    ) -> Result<Frame<'static>, WebSocketError>
    where
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
        R: Future<Output = Result<(), E>>,
    {
        loop {
            let frame = self.read.read_frame(send).await?;
            match (frame.opcode, frame.fin, self.partial.as_mut()) {
                (OpCode::Text | OpCode::Binary, _, Some(_)) => {
                    return Err(WebSocketError::InvalidFragment);
                }
                (OpCode::Text | OpCode::Binary, true, None) => {
                    let opcode = frame.opcode;
                    return whole(opcode, owned(frame.payload));
                }
                (OpCode::Text | OpCode::Binary, false, None) => {
                    self.partial = Some((frame.opcode, frame.payload.to_vec()));
                }
                (OpCode::Continuation, _, None) => {
                    return Err(WebSocketError::InvalidContinuationFrame);
                }
                (OpCode::Continuation, fin, Some((_, bytes))) => {
                    if bytes.len() + frame.payload.len() > MAX_FRAME_BYTES {
                        self.partial = None;
                        return Err(WebSocketError::FrameTooLarge);
                    }
                    bytes.extend_from_slice(&frame.payload);
                    if fin && let Some((opcode, bytes)) = self.partial.take() {
                        return whole(opcode, Payload::Owned(bytes));
                    }
                }
                // Control frames may come between fragments.
                _ => {
                    let (fin, opcode) = (frame.fin, frame.opcode);
                    return Ok(Frame::new(fin, opcode, None, owned(frame.payload)));
                }
            }
        }
    }
}

/// What one read gives: the next frame or message (or the error that ends the
/// socket), and the payload of a close frame the read met (to echo).
pub(super) type Read = (Result<Frame<'static>, WebSocketError>, Option<Vec<u8>>);

/// The socket's frames as a stream whose `next()` may be dropped at any time.
///
/// fastwebsockets consumes a frame's header before its payload has all arrived, so
/// a read dropped half-way (another branch of the socket task's select winning
/// while a long frame trickles in) would lose the header and parse the payload as
/// the next one ("reserved bits are not zero"). The stream owns the read in
/// progress, and the task's select only polls it.
pub(super) fn frames<S: AsyncRead + Unpin>(
    messages: Messages<S>,
) -> impl futures::Stream<Item = Read> {
    futures::stream::unfold(messages, |mut m| async move {
        let mut echo = None;
        let frame = {
            let mut obligated = |f: Frame<'_>| {
                if f.opcode == OpCode::Close {
                    echo = Some(f.payload.to_vec());
                }
                std::future::ready(Ok::<(), std::convert::Infallible>(()))
            };
            m.read(&mut obligated).await
        };
        Some(((frame, echo), m))
    })
}

/// A complete message as one frame; a text one must be UTF-8.
fn whole(opcode: OpCode, payload: Payload<'static>) -> Result<Frame<'static>, WebSocketError> {
    if opcode == OpCode::Text && std::str::from_utf8(&payload).is_err() {
        return Err(WebSocketError::InvalidUTF8);
    }
    Ok(Frame::new(true, opcode, None, payload))
}

/// A payload that outlives the read buffer: the frame's own bytes (fastwebsockets
/// hands them over owned), copied only if borrowed.
fn owned(payload: Payload<'_>) -> Payload<'static> {
    match payload {
        Payload::Owned(v) => Payload::Owned(v),
        Payload::Bytes(b) => Payload::Bytes(b),
        other => Payload::Owned(other.to_vec()),
    }
}
