//! Sockets that never read cannot hold an edge's memory or its connections (issue
//! 18, row 3).
//!
//! Measured before the fix: five sockets that never read, while a member sent 200
//! messages of 99,999 characters, grew the edge by 390 MB; the queue of a socket was
//! bounded in events (4,096), not bytes, and its writes never timed out, so after
//! the idle timeout the TCP connections stayed open holding 2.8 MB each while the
//! socket gauge read 0. Now a socket's queue is bounded in bytes
//! (`--socket-queue-bytes`: past it the queue is dropped) and every write in time
//! (10 s): such a socket is closed and its connection released, and the attack costs
//! the edge a bounded amount of memory and nobody else anything.

use std::sync::Arc;
use std::time::{Duration, Instant};

use natter_protocol::limits::MAX_TEXT_CHARS;
use natter_protocol::ws::{ClientOp, ServerEvent};
use natter_tests::{Device, EVENT_WAIT, System, eventually, user};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::Semaphore;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Sockets that never read, each a different member's: one user's sockets share
/// the events they queue (one copy per user, not per socket), so distinct users
/// are the most a few silent sockets can cost.
const SILENT_SOCKETS: usize = 5;
/// The attacked edge's `--socket-queue-bytes` (the default is 16 MiB; smaller
/// overflows sooner, so the test runs fast). Still 20 of these messages' events
/// (~100 KB each), so members that do read keep up.
const QUEUE_BYTES: usize = 2 * 1024 * 1024;
/// Messages of [`MAX_TEXT_CHARS`] characters the member sends (~20 MB of events
/// for each member).
const SENT: usize = 200;
/// Messages the sender may be ahead of its own copies and of the reading member.
const WINDOW: usize = 4;
/// What the edge may grow by during the attack (its peak RSS over its RSS before).
/// A silent socket holds at most its queue (2 MiB) plus the frames its write buffer
/// gathered before its flush stalled (what it took from the queue, so at most about
/// as much again): 5 sockets × 2 MiB × 2 = 20 MiB. The rest is the traffic's that
/// reads: 4 messages in flight, the copies to the sender and the reading member, NATS
/// buffers and the allocator's slack: 20 MiB. Measured: 15 to 23 MiB in all. With
/// a queue unbounded in bytes the silent sockets hold every event relayed to them
/// until their writes time out, here all of them: 5 × ~20 MB (measured: the edge
/// grew by 115 to 119 MiB with `--socket-queue-bytes` at 64 MiB or 1 GiB).
const RSS_BUDGET_MIB: u64 = (SILENT_SOCKETS * QUEUE_BYTES * 2 / (1024 * 1024)) as u64 + 20;
/// How long a socket's write may wait (edge/src/socket/writer.rs `WRITE_TIMEOUT`).
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// A line of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("memory field")
}

/// A free loopback port below the ephemeral range (where the edge's own outgoing
/// connections could take it before it binds).
fn metrics_port() -> u16 {
    let start = std::process::id() as usize * 7_919 + 4_001;
    (0..12_000)
        .map(|i| u16::try_from(20_000 + (start + i) % 12_000).expect("port"))
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port")
}

/// The sum of a metric (every label set) on `metrics` (`host:port`); 0 when absent.
async fn metric(metrics: &str, name: &str) -> f64 {
    let Ok(r) = reqwest::get(format!("http://{metrics}/metrics")).await else {
        return 0.0;
    };
    r.text()
        .await
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A socket that completed the upgrade and never reads again: its receive buffer is
/// small (64 KiB), so the edge's writes stall after about 130 KB (with what the
/// edge's send buffer holds). It pings every second, as a live client's heartbeat, so the edge's idle
/// timeout does not close it: only the queue's bound and the write timeout can.
struct Silent {
    read: OwnedReadHalf,
    pings: tokio::task::JoinHandle<()>,
}

impl Silent {
    async fn open(addr: &str, token: &str) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(64 * 1024).expect("SO_RCVBUF");
        let mut tcp = socket
            .connect(addr.parse().expect("edge address"))
            .await
            .expect("connect");
        tcp.write_all(
            format!(
                "GET /v1/ws?token={token} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\n\
                 Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("upgrade request");
        // The response head only, a byte at a time: nothing after it is read.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let n = tokio::time::timeout(EVENT_WAIT, tcp.read(&mut byte))
                .await
                .expect("an upgrade answer in time")
                .expect("read");
            assert_ne!(n, 0, "closed during the upgrade");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let (read, mut write) = tcp.into_split();
        let pings = tokio::spawn(async move {
            // A masked, empty ping.
            let ping = [0x89, 0x80, 0x12, 0x34, 0x56, 0x78];
            loop {
                if write.write_all(&ping).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Self { read, pings }
    }

    /// Reads what the edge wrote until the connection ends: EOF, or a reset (the
    /// edge closed with our pings unread). Returns the bytes read and how it ended;
    /// panics if the connection is still open after `patience`.
    async fn read_to_end(mut self, patience: Duration) -> (usize, &'static str) {
        let mut total = 0;
        let mut buf = vec![0u8; 64 * 1024];
        let read = async {
            loop {
                match self.read.read(&mut buf).await {
                    Ok(0) => return "eof",
                    Ok(n) => total += n,
                    Err(_) => return "reset",
                }
            }
        };
        let ended = tokio::time::timeout(patience, read).await;
        self.pings.abort();
        let how = ended.unwrap_or_else(|_| {
            panic!("the edge still holds the connection after {patience:?} ({total} bytes read)")
        });
        (total, how)
    }
}

/// Sends `SENT` messages of `text` to `channel` while reading what comes back, as
/// an app does, at most `WINDOW` ahead of its own copies and of the reading member
/// (who adds to `read` per message): members that keep up are never behind by more
/// than that, however loaded the machine. Returns the client_msg_ids of the
/// sender's own copies in arrival order, once every send is acked and every copy
/// arrived.
async fn send_all(
    from: &mut Device,
    channel: u64,
    text: &str,
    read: Arc<Semaphore>,
) -> Vec<String> {
    let own_copies = Arc::new(Semaphore::new(WINDOW));
    let writing = {
        let (sender, own_copies, text) = (from.conn.sender(), own_copies.clone(), text.to_string());
        tokio::spawn(async move {
            for i in 0..SENT {
                own_copies.acquire().await.expect("window").forget();
                read.acquire().await.expect("window").forget();
                let op = ClientOp::Send {
                    channel,
                    client_msg_id: format!("big-{i}"),
                    text: text.clone(),
                    reply_to: None,
                    forward: None,
                    attachments: Vec::new(),
                };
                sender.op(&op).await.expect("send");
            }
        })
    };
    let (mut acked, mut own) = (0, Vec::new());
    while acked < SENT || own.len() < SENT {
        match from.conn.next_event(EVENT_WAIT).await.expect("event") {
            ServerEvent::Ack { .. } => acked += 1,
            ServerEvent::Message(m) if m.system.is_none() => {
                assert_eq!(m.text.chars().count(), MAX_TEXT_CHARS);
                own.push(m.client_msg_id);
                own_copies.add_permits(1);
            }
            ServerEvent::Error { code, message, .. } => panic!("send failed: {code}: {message}"),
            _ => {}
        }
    }
    writing.await.expect("writer");
    own
}

/// Five members' sockets that never read, while another member sends 200 messages
/// of 99,999 characters: the edge closes each of them and releases its connection
/// (EOF or a reset, within the write timeout), grows by less than the queues' bound allows, and
/// the sender and a member that reads get every message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_that_never_read_are_closed_and_cost_a_bounded_amount_of_memory() {
    let mut sys = System::start(BIN, 0).await;
    let metrics = format!("127.0.0.1:{}", metrics_port());
    let queue = QUEUE_BYTES.to_string();
    let edge = sys.start_edge_with(&["--socket-queue-bytes", &queue, "--metrics-listen", &metrics]);
    sys.wait_ready().await;
    let pid = sys.edges[edge].pid();
    let addr = sys.edges[edge]
        .url
        .trim_start_matches("http://")
        .to_string();
    let c = sys.client(edge);
    let (sender, _) = user(&c, "sender").await;
    let (reader, reader_id) = user(&c, "reader").await;
    let mut victims = Vec::new();
    let mut members = vec![reader_id];
    for i in 0..SILENT_SOCKETS {
        let (victim, id) = user(&c, &format!("silent{i}")).await;
        victims.push(victim);
        members.push(id);
    }
    let group = sender
        .create_group("Flooded", &members)
        .await
        .expect("group")
        .id;

    let mut silent = Vec::new();
    for victim in &victims {
        silent.push(Silent::open(&addr, victim.token().expect("token")).await);
    }
    let (mut s, _) = Device::connect(&sender, "s").await;
    let (mut r, _) = Device::connect(&reader, "r").await;
    let sockets = |n: usize| {
        let metrics = metrics.clone();
        move || {
            let metrics = metrics.clone();
            async move { metric(&metrics, "natter_edge_sockets").await == n as f64 }
        }
    };
    eventually(
        Duration::from_secs(10),
        "every socket is open",
        sockets(SILENT_SOCKETS + 2),
    )
    .await;
    // One message end to end first: what a first message allocates is no attack's.
    s.send(group, "warm", "warm").await;
    r.messages(1).await;
    s.messages(1).await;

    let before_kib = memory_kib(pid, "VmRSS");
    // Peak RSS from here on (should the kernel refuse, VmHWM only overstates growth).
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    let text = "x".repeat(MAX_TEXT_CHARS);
    let started = Instant::now();
    let read = Arc::new(Semaphore::new(WINDOW));
    let reading = {
        let read = read.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..SENT {
                let m = r.messages(1).await.remove(0);
                assert_eq!(m.text.len(), MAX_TEXT_CHARS);
                got.push(m.client_msg_id);
                read.add_permits(1);
            }
            // Returned, so still open when the sockets are counted below.
            (r, got)
        })
    };
    // (3) The attack costs only the silent sockets: the sender and the member that
    // reads get every message, in order.
    let expected: Vec<String> = (0..SENT).map(|i| format!("big-{i}")).collect();
    let own = send_all(&mut s, group, &text, read).await;
    let sent_in = started.elapsed();
    assert_eq!(own, expected, "the sender's own copies");
    let (_r, got) = reading.await.expect("reader");
    assert_eq!(got, expected, "the reading member's messages");

    // (1) Every silent socket is closed: the gauge counts only the two that read.
    // Each stalls on its first message or so and is closed when that write times
    // out: within the timeout, and some slack, of the first send. (Its queue
    // overflows meanwhile and is dropped, but the socket's task notices only once
    // the write gives up, so it is counted as a write timeout, not `slow_consumer`.)
    eventually(
        (WRITE_TIMEOUT + Duration::from_secs(15)).saturating_sub(started.elapsed()),
        "the edge closes every socket that does not read",
        sockets(2),
    )
    .await;
    let closed_in = started.elapsed();
    // Closed as slow (queue overflowed, or a write stalled), not as idle: they ping.
    let slow = metric(&metrics, "natter_edge_slow_consumers_total").await
        + metric(&metrics, "natter_edge_write_timeouts_total").await;
    assert!(
        slow >= SILENT_SOCKETS as f64,
        "{slow} slow-socket closes for {SILENT_SOCKETS} silent sockets"
    );
    assert_eq!(metric(&metrics, "natter_edge_idle_closes_total").await, 0.0);
    // And their connections are released, not held: each reads to its end (what the
    // edge wrote before it gave up, then EOF or a reset) in a moment.
    let mut ends = Vec::new();
    for socket in silent {
        ends.push(socket.read_to_end(Duration::from_secs(5)).await);
    }

    // (2) The edge's peak RSS during the attack, over its RSS before.
    let grew_mib = memory_kib(pid, "VmHWM").saturating_sub(before_kib) / 1024;
    eprintln!(
        "{SENT} messages delivered in {sent_in:.1?}; silent sockets closed {closed_in:.1?} \
         after the first send ({slow} slow closes), then read to their end: {ends:?}; \
         edge RSS {} MiB before, grew by {grew_mib} MiB (budget {RSS_BUDGET_MIB} MiB)",
        before_kib / 1024
    );
    assert!(
        grew_mib < RSS_BUDGET_MIB,
        "the edge grew by {grew_mib} MiB during the attack (budget {RSS_BUDGET_MIB} MiB)"
    );
}
