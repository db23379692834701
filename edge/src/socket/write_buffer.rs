//! A socket's write buffer that holds memory only while it has something to send.
//!
//! Frames written between two flushes are gathered and go out in one write (a
//! burst of events is one syscall); an idle socket holds no buffer at all, where a
//! `BufWriter` would keep its capacity for the socket's whole life. A frame larger
//! than [`DIRECT`] while nothing is gathered goes to the socket as is.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;

/// Writes of at least this many bytes skip the buffer when it is empty.
const DIRECT: usize = 16 * 1024;

/// Gathers writes until flushed; holds nothing once flushed.
pub(super) struct WriteBuffer<W> {
    inner: W,
    buf: Vec<u8>,
    /// Bytes of `buf` already written to `inner`.
    sent: usize,
}

impl<W> WriteBuffer<W> {
    pub(super) fn new(inner: W) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            sent: 0,
        }
    }
}

impl<W: AsyncWrite + Unpin> WriteBuffer<W> {
    /// Writes out what is gathered.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.buf.len() {
            let n = std::task::ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.buf[self.sent..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.sent = 0;
        // Freed, not kept: most sockets are idle between bursts.
        self.buf = Vec::new();
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for WriteBuffer<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.buf.is_empty() && data.len() >= DIRECT {
            return Pin::new(&mut this.inner).poll_write(cx, data);
        }
        if this.sent > 0 {
            // A drain is under way (a flush was interrupted): finish it first.
            std::task::ready!(this.poll_drain(cx))?;
        }
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_gather_until_flushed_and_nothing_is_held_after() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut w = WriteBuffer::new(client);
        w.write_all(b"hello ").await.unwrap();
        w.write_all(b"world").await.unwrap();
        assert_eq!(w.buf, b"hello world");
        w.flush().await.unwrap();
        assert_eq!(w.buf.capacity(), 0, "nothing is held once flushed");
        let big = vec![7u8; 10_000];
        w.write_all(b"x").await.unwrap();
        w.write_all(&big).await.unwrap();
        w.flush().await.unwrap();
        assert_eq!(w.buf.capacity(), 0, "nor after a burst");
        let direct = vec![9u8; DIRECT];
        w.write_all(&direct).await.unwrap();
        assert!(w.buf.is_empty(), "a large frame goes straight out");
        w.flush().await.unwrap();
        let mut got = vec![0u8; 11 + 1 + 10_000 + DIRECT];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got[..11], b"hello world");
        assert_eq!(got[11], b'x');
        assert!(got[12..10_012].iter().all(|b| *b == 7));
        assert!(got[10_012..].iter().all(|b| *b == 9));
    }
}
