//! A socket's write buffer that holds memory only while it has something to send.
//!
//! Frames written between two flushes are gathered and go out in one write (a
//! burst of events is one syscall); an idle socket holds no buffer at all, where a
//! `BufWriter` would keep its capacity for the socket's whole life. A frame larger
//! than [`DIRECT`] goes to the socket as is, after what was gathered before it:
//! fastwebsockets hands such a frame over as header and payload in one vectored
//! write, which goes out as one `writev` without copying the payload.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;

/// Writes of at least this many bytes skip the buffer when it is empty.
const DIRECT: usize = 16 * 1024;
/// What a buffer starts with: a frame header and a few events without a
/// reallocation each (and small enough for the allocator's per-thread cache).
const FIRST_CAPACITY: usize = 1024;

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
        if this.buf.capacity() == 0 {
            this.buf.reserve(FIRST_CAPACITY.max(data.len()));
        }
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total >= DIRECT {
            // What was gathered goes first; a large frame is not copied.
            std::task::ready!(this.poll_drain(cx))?;
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        if this.sent > 0 {
            std::task::ready!(this.poll_drain(cx))?;
        }
        if this.buf.capacity() == 0 {
            this.buf.reserve(FIRST_CAPACITY.max(total));
        }
        for b in bufs {
            this.buf.extend_from_slice(b);
        }
        Poll::Ready(Ok(total))
    }

    fn is_write_vectored(&self) -> bool {
        true
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

    #[tokio::test]
    async fn a_large_vectored_frame_follows_what_was_gathered_without_a_copy() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut w = WriteBuffer::new(client);
        w.write_all(b"small").await.unwrap();
        // As fastwebsockets writes a large frame: header and payload in one call.
        let payload = vec![5u8; DIRECT];
        let n = w
            .write_vectored(&[io::IoSlice::new(b"HDR"), io::IoSlice::new(&payload)])
            .await
            .unwrap();
        assert!(n > 0);
        assert!(w.buf.is_empty(), "the payload was not gathered (copied)");
        let mut rest = 3 + DIRECT - n;
        let mut got = vec![0u8; 5 + 3 + DIRECT];
        if rest > 0 {
            // A short vectored write: the caller writes the rest itself.
            let written = 3 + DIRECT - rest;
            let tail: Vec<u8> = [&b"HDR"[..], &payload[..]].concat()[written..].to_vec();
            w.write_all(&tail).await.unwrap();
            rest = 0;
        }
        assert_eq!(rest, 0);
        w.flush().await.unwrap();
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got[..8], b"smallHDR");
        assert!(got[8..].iter().all(|b| *b == 5));
    }
}
