//! A receive-only NATS connection holding many subscriptions at the cost of a map
//! entry each.
//!
//! async-nats gives every subscription a channel of its own, whose first block (32
//! message slots, ~6 KiB) is allocated when the subscription is made. An edge
//! subscribes once per connected user (the design's per-user subjects), so that
//! block was a third of an idle connection's memory (measured: 17.3 KiB per idle
//! connection with it, 11.3 without; docs/performance.md). Here every subscription's
//! messages arrive on one channel, tagged with their subscription id, and a
//! subscription is a `SUB` line and a map entry.
//!
//! It speaks just what receiving needs (`CONNECT`, `SUB`, `UNSUB`, `PING`/`PONG`,
//! `MSG`/`HMSG`) over plain TCP, with the user and password of the URL; on a lost
//! connection it reconnects (servers in turn, backing off) and subscribes again.
//! Messages published while it is away are lost, as for any core NATS subscriber:
//! the edge's sockets find the gap by seq and fill it from the store.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

/// Longest wait for a server to answer a `PING` before the connection counts as lost.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Largest message this connection accepts (NATS's own limit is configured lower).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Messages waiting for the reader of [`Subscriptions::connect`]'s channel.
const DELIVERIES: usize = 64 * 1024;

/// One message received on a subscription.
#[derive(Debug)]
pub struct Delivery {
    /// The subscription's id ([`Subscriptions::subscribe`]).
    pub sid: u64,
    /// The subject it was published on.
    pub subject: String,
    /// Its headers, if it had any.
    pub headers: Option<async_nats::HeaderMap>,
    /// Its payload.
    pub payload: Bytes,
}

/// Why the connection could not be made or a flush did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SubscriberError {
    /// The URL is not a NATS server list.
    #[error("bad NATS url: {0}")]
    Url(String),
    /// The connection is down (it reconnects by itself) or did not answer in time.
    #[error("NATS connection not available: {0}")]
    Unavailable(String),
}

enum Command {
    Subscribe(u64, String),
    Unsubscribe(u64),
    Flush(oneshot::Sender<()>),
}

/// The sending side of the connection: subscribes, unsubscribes and flushes.
#[derive(Clone)]
pub struct Subscriptions {
    commands: mpsc::UnboundedSender<Command>,
    next_sid: Arc<AtomicU64>,
}

impl Subscriptions {
    /// Connects to the servers of `url` (`nats://user:pass@host:port,…`) as `name`
    /// and keeps connected until every [`Subscriptions`] handle is dropped. Returns
    /// once the first server answered, with the channel every message arrives on.
    ///
    /// # Errors
    /// A malformed URL, or no server answered within `timeout`.
    pub async fn connect(
        url: &str,
        name: &str,
        timeout: Duration,
    ) -> Result<(Self, mpsc::Receiver<Delivery>), SubscriberError> {
        let servers =
            crate::connect::servers(url).map_err(|e| SubscriberError::Url(e.to_string()))?;
        let (commands, rx) = mpsc::unbounded_channel();
        let (deliveries, delivered) = mpsc::channel(DELIVERIES);
        let task = Connection {
            servers,
            name: name.to_string(),
            subs: HashMap::new(),
            deliveries,
        };
        tokio::spawn(task.run(rx));
        let this = Self {
            commands,
            next_sid: Arc::new(AtomicU64::new(1)),
        };
        this.flush(timeout).await?;
        Ok((this, delivered))
    }

    /// Subscribes to `subject`; returns the id its messages carry. The server has it
    /// once a later [`Subscriptions::flush`] returns.
    pub fn subscribe(&self, subject: &str) -> u64 {
        let sid = self.next_sid.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .commands
            .send(Command::Subscribe(sid, subject.to_string()));
        sid
    }

    /// Ends subscription `sid`.
    pub fn unsubscribe(&self, sid: u64) {
        let _ = self.commands.send(Command::Unsubscribe(sid));
    }

    /// Returns once the server has processed everything asked before (a `PING`
    /// answered), so that every message published afterwards on a subject
    /// subscribed before reaches this connection.
    ///
    /// # Errors
    /// No answer within `timeout` (the connection is down or the server frozen).
    pub async fn flush(&self, timeout: Duration) -> Result<(), SubscriberError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Flush(tx))
            .map_err(|_| SubscriberError::Unavailable("connection closed".into()))?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(SubscriberError::Unavailable("connection lost".into())),
            Err(_) => Err(SubscriberError::Unavailable("no answer in time".into())),
        }
    }
}

/// The connection task's state, kept across reconnects.
struct Connection {
    servers: Vec<async_nats::ServerAddr>,
    name: String,
    /// sid → subject: subscribed again after a reconnect.
    subs: HashMap<u64, String>,
    deliveries: mpsc::Sender<Delivery>,
}

/// How one session ended.
enum Ended {
    /// Every handle is gone: stop.
    Dropped,
    /// The connection failed: reconnect.
    Lost(String),
}

impl Connection {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut backoff = Duration::from_millis(100);
        let mut next = 0usize;
        loop {
            let server = self.servers[next % self.servers.len()].clone();
            next += 1;
            match self.session(&server, &mut commands).await {
                Ended::Dropped => return,
                Ended::Lost(why) => {
                    tracing::warn!(server = %server.host(), error = %why, "NATS subscriber connection lost; reconnecting");
                    metrics::counter!("natter_nats_subscriber_reconnects_total").increment(1);
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }

    async fn session(
        &mut self,
        server: &async_nats::ServerAddr,
        commands: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Ended {
        let connect = tokio::time::timeout(
            Duration::from_secs(5),
            TcpStream::connect((server.host(), server.port())),
        );
        let stream = match connect.await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Ended::Lost(e.to_string()),
            Err(_) => return Ended::Lost("connect timed out".into()),
        };
        let _ = stream.set_nodelay(true);
        let (mut read, mut write) = stream.into_split();
        let mut buf = BytesMut::with_capacity(64 * 1024);
        // The server speaks first: INFO.
        match next_op(&mut read, &mut buf).await {
            Ok(Op::Info(info)) if info.contains("\"tls_required\":true") => {
                return Ended::Lost(
                    "the server requires TLS, which this connection does not speak".into(),
                );
            }
            Ok(Op::Info(_)) => {}
            Ok(_) => return Ended::Lost("the server did not start with INFO".into()),
            Err(e) => return Ended::Lost(e),
        }
        let mut hello = format!(
            "CONNECT {}\r\nPING\r\n",
            connect_options(&self.name, server.username(), server.password())
        );
        for (sid, subject) in &self.subs {
            hello.push_str(&format!("SUB {subject} {sid}\r\n"));
        }
        if let Err(e) = write.write_all(hello.as_bytes()).await {
            return Ended::Lost(e.to_string());
        }
        // Answers to our PINGs, in order: a flush's, or `None` for the keepalive's
        // (and the first, after CONNECT).
        let mut pongs: VecDeque<Option<oneshot::Sender<()>>> = VecDeque::from([None]);
        let mut keepalive = tokio::time::interval(PING_EVERY);
        keepalive.reset();
        loop {
            tokio::select! {
                cmd = commands.recv() => {
                    let Some(cmd) = cmd else { return Ended::Dropped };
                    let line = match cmd {
                        Command::Subscribe(sid, subject) => {
                            let line = format!("SUB {subject} {sid}\r\n");
                            self.subs.insert(sid, subject);
                            line
                        }
                        Command::Unsubscribe(sid) => {
                            self.subs.remove(&sid);
                            format!("UNSUB {sid}\r\n")
                        }
                        Command::Flush(done) => {
                            pongs.push_back(Some(done));
                            "PING\r\n".to_string()
                        }
                    };
                    if let Err(e) = write.write_all(line.as_bytes()).await {
                        return Ended::Lost(e.to_string());
                    }
                }
                _ = keepalive.tick() => {
                    // Two keepalives unanswered: the server is gone or frozen.
                    if pongs.iter().filter(|p| p.is_none()).count() >= 2 {
                        return Ended::Lost("no PONG to two PINGs".into());
                    }
                    pongs.push_back(None);
                    if let Err(e) = write.write_all(b"PING\r\n").await {
                        return Ended::Lost(e.to_string());
                    }
                }
                op = next_op(&mut read, &mut buf) => match op {
                    Ok(Op::Msg(d)) => {
                        if self.subs.contains_key(&d.sid) && self.deliveries.send(d).await.is_err() {
                            return Ended::Dropped;
                        }
                    }
                    Ok(Op::Ping) => {
                        if let Err(e) = write.write_all(b"PONG\r\n").await {
                            return Ended::Lost(e.to_string());
                        }
                    }
                    Ok(Op::Pong) => {
                        if let Some(Some(done)) = pongs.pop_front() {
                            let _ = done.send(());
                        }
                    }
                    Ok(Op::Err(e)) => {
                        tracing::warn!(error = %e, "NATS server error on the subscriber connection");
                        if e.to_lowercase().contains("authorization") {
                            return Ended::Lost(e);
                        }
                    }
                    Ok(Op::Info(_) | Op::Ok) => {}
                    Err(e) => return Ended::Lost(e),
                }
            }
        }
    }
}

/// The `CONNECT` options: no echo of `+OK`, headers on.
fn connect_options(name: &str, user: Option<&str>, pass: Option<&str>) -> String {
    let mut o = serde_json::json!({
        "verbose": false,
        "pedantic": false,
        "tls_required": false,
        "name": name,
        "lang": "rust-natter",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": 1,
        "headers": true,
        "no_responders": true,
    });
    if let (Some(u), Some(p)) = (user, pass) {
        o["user"] = u.into();
        o["pass"] = p.into();
    }
    o.to_string()
}

/// One protocol operation from the server.
#[derive(Debug)]
enum Op {
    Info(String),
    Msg(Delivery),
    Ping,
    Pong,
    Ok,
    Err(String),
}

/// Reads the next operation, reading more from `read` into `buf` until one is whole.
async fn next_op(
    read: &mut (impl tokio::io::AsyncRead + Unpin),
    buf: &mut BytesMut,
) -> Result<Op, String> {
    loop {
        if let Some(op) = parse(buf)? {
            return Ok(op);
        }
        buf.reserve(64 * 1024);
        match read.read_buf(buf).await {
            Ok(0) => return Err("connection closed by the server".into()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Takes one whole operation off the front of `buf`, if there is one.
fn parse(buf: &mut BytesMut) -> Result<Option<Op>, String> {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() > 64 * 1024 {
            return Err("protocol line too long".into());
        }
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[..end]).map_err(|_| "protocol line not UTF-8")?;
    let mut words = line.split_ascii_whitespace();
    let verb = words.next().unwrap_or_default().to_ascii_uppercase();
    let op = match verb.as_str() {
        "MSG" | "HMSG" => {
            let args: Vec<&str> = words.collect();
            let headered = verb == "HMSG";
            // MSG subject sid [reply] size; HMSG subject sid [reply] header-size size.
            let sizes = if headered { 2 } else { 1 };
            if args.len() < 2 + sizes || args.len() > 3 + sizes {
                return Err(format!("bad {verb} line"));
            }
            let number = |s: &str| s.parse::<usize>().map_err(|_| format!("bad {verb} line"));
            let total = number(args[args.len() - 1])?;
            let header_len = if headered {
                number(args[args.len() - 2])?
            } else {
                0
            };
            if total > MAX_MESSAGE_BYTES || header_len > total {
                return Err(format!("bad {verb} sizes"));
            }
            if buf.len() < end + 2 + total + 2 {
                return Ok(None);
            }
            let sid = args[1]
                .parse::<u64>()
                .map_err(|_| format!("bad {verb} sid"))?;
            let subject = args[0].to_string();
            buf.advance(end + 2);
            let mut body = buf.split_to(total + 2).freeze();
            body.truncate(total);
            let headers = if headered {
                Some(parse_headers(&body[..header_len])?)
            } else {
                None
            };
            return Ok(Some(Op::Msg(Delivery {
                sid,
                subject,
                headers,
                payload: body.slice(header_len..),
            })));
        }
        "PING" => Op::Ping,
        "PONG" => Op::Pong,
        "+OK" => Op::Ok,
        "-ERR" => Op::Err(line[4..].trim().trim_matches('\'').to_string()),
        "INFO" => Op::Info(line[4..].trim().to_string()),
        other => return Err(format!("unknown protocol operation {other:?}")),
    };
    buf.advance(end + 2);
    Ok(Some(op))
}

/// A header block: `NATS/1.0[ status]\r\n` then `Name: value\r\n` lines.
fn parse_headers(block: &[u8]) -> Result<async_nats::HeaderMap, String> {
    let text = std::str::from_utf8(block).map_err(|_| "headers not UTF-8")?;
    let mut lines = text.split("\r\n");
    if !lines.next().is_some_and(|l| l.starts_with("NATS/1.0")) {
        return Err("bad header block".into());
    }
    let mut map = async_nats::HeaderMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or("bad header line")?;
        map.append(name.trim(), value.trim());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(input: &[u8]) -> (Vec<Op>, usize) {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(op) = parse(&mut buf).unwrap() {
            out.push(op);
        }
        (out, buf.len())
    }

    #[test]
    fn messages_with_and_without_headers_and_control_lines_parse() {
        let input = b"INFO {\"server_id\":\"x\"}\r\nPING\r\nMSG user.1.e 7 5\r\nhello\r\n\
HMSG user.2.e 9 _INBOX.x 32 35\r\nNATS/1.0\r\nNatter-Event: read\r\n\r\nabc\r\n+OK\r\nPONG\r\n";
        let (ops, left) = ops(input);
        assert_eq!(left, 0);
        assert!(matches!(&ops[0], Op::Info(i) if i.contains("server_id")));
        assert!(matches!(ops[1], Op::Ping));
        match &ops[2] {
            Op::Msg(d) => {
                assert_eq!(
                    (d.sid, d.subject.as_str(), &d.payload[..]),
                    (7, "user.1.e", &b"hello"[..])
                );
                assert!(d.headers.is_none());
            }
            other => panic!("{other:?}"),
        }
        match &ops[3] {
            Op::Msg(d) => {
                assert_eq!((d.sid, &d.payload[..]), (9, &b"abc"[..]));
                let h = d.headers.as_ref().unwrap();
                assert_eq!(h.get("Natter-Event").map(|v| v.as_str()), Some("read"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(ops[4], Op::Ok));
        assert!(matches!(ops[5], Op::Pong));
    }

    #[test]
    fn a_message_split_across_reads_waits_for_the_rest() {
        let whole = b"MSG a 1 10\r\n0123456789\r\n";
        for cut in 1..whole.len() {
            let mut buf = BytesMut::from(&whole[..cut]);
            assert!(parse(&mut buf).unwrap().is_none(), "cut at {cut}");
            buf.extend_from_slice(&whole[cut..]);
            assert!(
                matches!(parse(&mut buf).unwrap(), Some(Op::Msg(d)) if &d.payload[..] == b"0123456789")
            );
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b"WHAT\r\n"[..],
            b"MSG a\r\n",
            b"MSG a x 3\r\nabc\r\n",
            b"HMSG a 1 9 3\r\nabc\r\n",
            b"MSG a 1 99999999999\r\n",
        ] {
            assert!(parse(&mut BytesMut::from(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn connect_options_carry_the_credentials() {
        let o = connect_options("n", Some("edge"), Some("pw"));
        assert!(o.contains("\"user\":\"edge\"") && o.contains("\"pass\":\"pw\""));
        assert!(o.contains("\"headers\":true"));
    }
}
