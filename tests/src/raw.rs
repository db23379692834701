//! Raw HTTP and WebSocket clients for tests that must control the bytes on the
//! wire (partial frames, trickled bodies, source addresses, headers a client
//! library would not send).

use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The whole response (lossy UTF-8) to `request`, written to edge `addr` from
/// `source` (a loopback address; any when `None`), or what arrived before the
/// connection ended: a refused or reset connection reads as what came first.
pub async fn http(addr: &str, source: Option<&str>, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    if let Some(source) = source {
        socket
            .bind(format!("{source}:0").parse().expect("source address"))
            .expect("bind the source address");
    }
    let mut s = socket
        .connect(addr.parse().expect("edge address"))
        .await
        .expect("connect");
    let _ = s.write_all(request.as_bytes()).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A raw WebSocket client for frame-level tests: the handshake, masked frames
/// written in pieces, and server frames read whole.
pub struct RawSocket {
    tcp: tokio::net::TcpStream,
}

impl RawSocket {
    /// Upgrades a connection to edge `addr` (`host:port`) with `token`, sent with
    /// `origin` (none: no `Origin` header, as an app would).
    ///
    /// # Errors
    /// The status line of a refused upgrade.
    pub async fn open(addr: &str, token: &str, origin: Option<&str>) -> Result<Self, String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
        tcp.write_all(
            format!(
                "GET /v1/ws?token={token} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\n\
                 Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{origin}\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("upgrade request");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let read = tokio::time::timeout(WAIT, tcp.read(&mut byte))
                .await
                .expect("an answer in time")
                .expect("read");
            if read == 0 {
                break;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let status = head.lines().next().unwrap_or_default().trim().to_string();
        if status.starts_with("HTTP/1.1 101") {
            Ok(Self { tcp })
        } else {
            Err(status)
        }
    }

    /// A masked text frame carrying `payload`, as bytes on the wire.
    pub fn text_frame(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x81];
        let len = payload.len();
        if len < 126 {
            f.push(0x80 | len as u8);
        } else if len < 65_536 {
            f.push(0x80 | 126);
            f.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            f.push(0x80 | 127);
            f.extend_from_slice(&(len as u64).to_be_bytes());
        }
        let mask = [0x12, 0x34, 0x56, 0x78];
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        f
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.tcp.write_all(bytes).await.expect("write");
        self.tcp.flush().await.expect("flush");
    }

    /// The next server frame's opcode and payload.
    pub async fn frame(&mut self) -> (u8, Vec<u8>) {
        use tokio::io::AsyncReadExt;
        let read = async {
            let mut h = [0u8; 2];
            self.tcp.read_exact(&mut h).await?;
            let len = match h[1] & 0x7f {
                126 => u64::from(self.tcp.read_u16().await?),
                127 => self.tcp.read_u64().await?,
                n => u64::from(n),
            };
            let mut payload = vec![0u8; len as usize];
            self.tcp.read_exact(&mut payload).await?;
            Ok::<_, std::io::Error>((h[0] & 0x0f, payload))
        };
        tokio::time::timeout(WAIT, read)
            .await
            .expect("a frame in time")
            .expect("a frame")
    }

    /// Server events until one whose JSON contains `needle`.
    pub async fn until(&mut self, needle: &str) -> String {
        loop {
            let (opcode, payload) = self.frame().await;
            let text = String::from_utf8_lossy(&payload).into_owned();
            assert_ne!(opcode, 0x8, "closed: {text}");
            if text.contains(needle) {
                return text;
            }
        }
    }
}
