//! `natter bench`: a load generator on the Rust client library, run as its own
//! process against running servers.
//!
//! Accounts are made in bulk beforehand (`admin.users.create`) and their tokens
//! minted with the edges' key, so set-up is not N sign-ups; each user's edge comes
//! from discovery. Workloads:
//! - `dm`: every user sends to random 1:1 peers;
//! - `group`: groups of `--group-size` (every member connected and sending), so a
//!   message is that many deliveries;
//! - `idle`: connections that only heartbeat, for the edge's memory per connection;
//! - `sync`: half the users are away while the other half send them messages,
//!   then all reconnect at once: catch-up time.
//!
//! Sending is closed-loop (`--window` sends in flight per user, as fast as acks
//! allow; in `group`, as fast as each send comes back to its sender through the
//! fan-out) or open-loop at `--rate` messages/s in total. Every message carries its
//! send time, so each delivery yields a latency without shared state; the end of
//! the run waits for acked messages to reach every member device, and counts what
//! never arrived (lost) and what arrived twice (duplicates).

mod log;
pub mod procstat;
pub mod report;
mod revoke;
mod setup;
mod upload;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use natter_client::{ClientError, Connection, ConnectionSender, Incoming};
use natter_protocol::ws::{ClientOp, ServerEvent};
use rand::Rng;
use tokio::sync::Semaphore;

use report::{Percentiles, Report};
use setup::BenchUser;

/// The workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// 1:1 messages to random peers.
    Dm,
    /// Messages in groups where every member is connected.
    Group,
    /// Connections that only heartbeat.
    Idle,
    /// Devices away while messages arrive, then reconnecting at once.
    Sync,
    /// The durable hop alone: appends to a scratch copy of the log at `--rate`.
    Log,
    /// 1:1 traffic as people use chat: of the operations, 70% sends, 10% replies,
    /// 10% reactions, 5% edits of one's own messages, 5% read marks.
    Mixed,
    /// Photos (1280×960 JPEG) uploaded at `--rate` per second: uploads/s, MB/s,
    /// upload latency and the media worker's thumbnail latency.
    Upload,
    /// Sessions logged out one by one (`--rate` per second; 0: back to back): how
    /// long until the revocation list every edge follows holds each, and until the
    /// session's open socket closes.
    Revoke,
}

/// Operation kinds of the `mixed` workload, with their share in percent.
const MIX: [(&str, u32); 5] = [
    ("send", 70),
    ("reply", 10),
    ("react", 10),
    ("edit", 5),
    ("read", 5),
];

/// `natter bench` flags.
#[derive(Args, Clone)]
pub struct BenchArgs {
    /// An edge to start from (discovery spreads users over all edges).
    #[arg(long, env = "NATTER_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// NATS, as a user that may publish `admin.>` (for making accounts in bulk).
    #[arg(long, env = "NATTER_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// The edges' token keys (`kid secret-hex` lines), to mint the users' tokens.
    #[arg(
        long,
        env = "NATTER_TOKEN_KEYS_FILE",
        default_value = "./data/token-keys"
    )]
    token_keys_file: PathBuf,
    /// What to run.
    #[arg(long, value_enum, default_value = "dm")]
    workload: Workload,
    /// Users, one connection each.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Seconds of sending (or, for `idle`, of holding the connections).
    #[arg(long, default_value_t = 20.0)]
    duration_secs: f64,
    /// Messages per second in total (open loop); 0 = closed loop.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Closed loop: sends in flight per user.
    #[arg(long, default_value_t = 4)]
    window: usize,
    /// `group`: members per group (at most 100).
    #[arg(long, default_value_t = 100)]
    group_size: usize,
    /// `dm`: 1:1 peers per user (each way).
    #[arg(long, default_value_t = 2)]
    peers: usize,
    /// Bytes of text per message.
    #[arg(long, default_value_t = 100)]
    text_bytes: usize,
    /// `sync`: messages sent while the receivers are away.
    #[arg(long, default_value_t = 10_000)]
    sync_messages: u64,
    /// Processes to measure, `name=pid` (e.g. `edge=123,store=456`).
    #[arg(long, value_delimiter = ',')]
    pids: Vec<String>,
    /// Also write the report here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Username prefix (default: a fresh random one, so runs never collide).
    #[arg(long)]
    prefix: Option<String>,
}

/// Shards of the per-message delivery table.
const SHARDS: usize = 64;

/// (channel, seq) → (deliveries so far, slowest latency µs), one shard.
type DeliveryShard = Mutex<HashMap<(u64, u64), (u32, u64)>>;

/// How a sender paces itself.
#[derive(Clone, Copy)]
struct Pace {
    /// Open loop: one send per this long; `None` = closed loop on the window.
    every: Option<Duration>,
    /// Bytes of text per message.
    text_bytes: usize,
    /// When to stop.
    until: tokio::time::Instant,
    /// Most sends (`u64::MAX` = as many as time allows).
    limit: u64,
    /// Mix the operations of [`MIX`] instead of sending only.
    mixed: bool,
}

/// State shared by every task of one run.
struct Run {
    epoch: Instant,
    sent: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    delivered: AtomicU64,
    duplicates: AtomicU64,
    /// Error events and closes, by code.
    errors_by: Mutex<std::collections::BTreeMap<String, u64>>,
    /// Σ over acked messages of their channel's member devices.
    expected: AtomicU64,
    /// Member devices per channel.
    members: HashMap<u64, u32>,
    /// Messages not yet at every member device.
    pending: Vec<DeliveryShard>,
    end_to_end: Mutex<Histogram<u64>>,
    stop: AtomicBool,
    /// Operations written, by [`MIX`] kind (`mixed` only).
    ops: [AtomicU64; MIX.len()],
}

impl Run {
    fn new(members: HashMap<u64, u32>) -> Arc<Self> {
        Self::since(Instant::now(), members)
    }

    /// A run whose clock started at `epoch` (a later phase of the same messages).
    fn since(epoch: Instant, members: HashMap<u64, u32>) -> Arc<Self> {
        Arc::new(Self {
            epoch,
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            errors_by: Mutex::default(),
            expected: AtomicU64::new(0),
            members,
            pending: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            end_to_end: Mutex::new(report::histogram()),
            stop: AtomicBool::new(false),
            ops: Default::default(),
        })
    }

    /// Counts one error event (or socket close) under `code`.
    fn error(&self, code: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self
            .errors_by
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(code.to_string())
            .or_insert(0) += 1;
    }

    fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// A delivery of (channel, seq) `latency` µs after its send; the message's
    /// end-to-end latency is recorded when its last member device has it.
    fn delivered(&self, channel: u64, seq: u64, latency: u64) {
        let members = self.members.get(&channel).copied().unwrap_or(1);
        let shard = (channel ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as usize % SHARDS;
        let done = {
            let mut table = self.pending[shard]
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let entry = table.entry((channel, seq)).or_insert((0, 0));
            entry.0 += 1;
            entry.1 = entry.1.max(latency);
            let (count, slowest) = *entry;
            (count >= members).then(|| {
                table.remove(&(channel, seq));
                slowest
            })
        };
        if let Some(slowest) = done {
            let mut h = self.end_to_end.lock().unwrap_or_else(|p| p.into_inner());
            let _ = h.record(slowest.max(1));
        }
    }
}

/// Text of a message sent at `micros`: the time first, then padding.
fn text(micros: u64, bytes: usize) -> String {
    let mut t = format!("{micros:016x}");
    while t.len() < bytes {
        t.push('x');
    }
    t
}

/// The send time a message's text (or client_msg_id) starts with.
fn sent_at(text: &str) -> Option<u64> {
    u64::from_str_radix(text.get(..16)?, 16).ok()
}

/// What the generator needs of a `message` event, read without allocating: the
/// generator shares the cores with the servers, and decoding every delivery into a
/// whole `MessageEvent` (four Strings) was most of its CPU in the group run.
#[derive(serde::Deserialize)]
struct LeanEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    channel: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    seq: u64,
    #[serde(default, borrow)]
    sender: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    system: Option<serde::de::IgnoredAny>,
}

/// A delivered message as the generator counts it.
struct Delivered {
    channel: u64,
    seq: u64,
    sender: u64,
    system: bool,
    sent_at: Option<u64>,
}

/// The message in a JSON event's bytes, if it is one (anything else is decoded whole).
fn lean_message(bytes: &[u8]) -> Option<Delivered> {
    let e: LeanEvent<'_> = serde_json::from_slice(bytes).ok()?;
    if e.kind != "message" {
        return None;
    }
    Some(Delivered {
        channel: e.channel?.parse().ok()?,
        seq: e.seq,
        sender: e.sender.and_then(|s| s.parse().ok()).unwrap_or(0),
        system: e.system.is_some(),
        sent_at: e.text.as_deref().and_then(sent_at),
    })
}

/// One read of the generator's reader: a message, or anything else decoded whole.
#[allow(clippy::large_enum_variant)] // moved once per frame; a box would allocate per ack
enum Read {
    Message(Delivered),
    Other(Incoming),
}

async fn next_read(conn: &mut Connection, timeout: Duration) -> Result<Read, ClientError> {
    Ok(match conn.next_raw(timeout).await? {
        natter_client::Raw::Event(bytes) => match lean_message(&bytes) {
            Some(m) => Read::Message(m),
            None => Read::Other(match serde_json::from_slice::<ServerEvent>(&bytes) {
                Ok(ev) => Incoming::Event(ev),
                Err(e) => Incoming::Garbage(e.to_string()),
            }),
        },
        natter_client::Raw::Closed(closed) => Read::Other(closed),
    })
}

/// One user's socket as its sender sees it: replaced when the reader reconnects.
#[derive(Clone)]
struct Link {
    sender: Arc<Mutex<ConnectionSender>>,
    /// Sends written and not yet answered by an ack or an error.
    in_flight: Arc<AtomicU64>,
    window: Arc<Semaphore>,
    /// Free a window slot when the send comes back to its sender through the
    /// fan-out, not when it is acked: a loop on acks alone outruns the deliveries
    /// (JetStream takes sends faster than they are applied and delivered, and in
    /// a group a send is a hundred deliveries), so it would measure a backlog.
    on_echo: bool,
    /// Per channel: the latest message seen and the latest of this user's own, for
    /// the replies, reactions, edits and read marks of `mixed`.
    recent: Arc<Mutex<HashMap<u64, (u64, u64)>>>,
}

impl Link {
    fn sender(&self) -> ConnectionSender {
        self.sender
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The latest message and the latest own message seen in `channel`.
    fn recent_of(&self, channel: u64) -> (u64, u64) {
        self.recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&channel)
            .copied()
            .unwrap_or_default()
    }

    /// A send was answered: its window slot is free.
    fn answered(&self) {
        let _ = self
            .in_flight
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        self.window.add_permits(1);
    }
}

/// How a reader gets a new socket after the edge closed its old one.
#[derive(Clone)]
struct Redial {
    client: natter_client::Client,
    device: String,
    user_id: u64,
}

/// Reads one connection's events until the run stops: counts deliveries and
/// duplicates, records latencies, releases send windows on acks, and acks
/// deliveries every 256 messages or half second, as an app would. When the edge
/// closes the socket (e.g. `slow_consumer` under overload) it reconnects and
/// catches up like `natter_client::Session`: what the new socket replays up to
/// what it already had is dropped by seq, not counted as a duplicate.
async fn read_events(
    run: Arc<Run>,
    mut conn: Connection,
    link: Link,
    redial: Option<Redial>,
) -> Histogram<u64> {
    let mut acks = report::histogram();
    let mut have: HashMap<u64, u64> = HashMap::new();
    let mut to_ack: HashMap<u64, u64> = HashMap::new();
    let mut last_ack = Instant::now();
    // Seqs up to this per channel may come again on a new socket.
    let mut replay_upto: HashMap<u64, u64> = HashMap::new();
    while !run.stop.load(Ordering::Relaxed) {
        match next_read(&mut conn, Duration::from_millis(200)).await {
            Ok(Read::Message(m)) => {
                let seen = have.entry(m.channel).or_insert(0);
                if m.seq <= *seen {
                    if m.seq > replay_upto.get(&m.channel).copied().unwrap_or(0) {
                        run.duplicates.fetch_add(1, Ordering::Relaxed);
                    }
                    continue;
                }
                *seen = m.seq;
                to_ack.insert(m.channel, m.seq);
                if m.system {
                    continue;
                }
                {
                    let own = redial.as_ref().is_some_and(|r| r.user_id == m.sender);
                    let mut recent = link.recent.lock().unwrap_or_else(|p| p.into_inner());
                    let e = recent.entry(m.channel).or_default();
                    e.0 = m.seq;
                    if own {
                        e.1 = m.seq;
                    }
                }
                if link.on_echo && redial.as_ref().is_some_and(|r| r.user_id == m.sender) {
                    link.answered();
                }
                run.delivered.fetch_add(1, Ordering::Relaxed);
                if let Some(at) = m.sent_at {
                    run.delivered(m.channel, m.seq, run.micros().saturating_sub(at));
                }
            }
            Ok(Read::Other(Incoming::Event(ServerEvent::Ack {
                client_msg_id,
                channel,
                ..
            }))) => {
                run.acked.fetch_add(1, Ordering::Relaxed);
                let members = run.members.get(&channel).copied().unwrap_or(1);
                run.expected
                    .fetch_add(u64::from(members), Ordering::Relaxed);
                if let Some(at) = sent_at(&client_msg_id) {
                    let _ = acks.record(run.micros().saturating_sub(at).max(1));
                }
                if !link.on_echo {
                    link.answered();
                }
            }
            Ok(Read::Other(Incoming::Event(ServerEvent::Error { code, message, .. }))) => {
                // The message tells apart the several causes one code can have.
                let detail: String = message.chars().take(48).collect();
                run.error(&format!("{code}: {detail}"));
                link.answered();
            }
            Ok(Read::Other(Incoming::Closed { reason, .. })) => {
                run.error(&format!("closed:{reason}"));
                let Some(r) = &redial else { break };
                if run.stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(fresh) = r.client.connect(Some(&r.device)).await else {
                    run.error("reconnect_failed");
                    break;
                };
                conn = fresh;
                *link.sender.lock().unwrap_or_else(|p| p.into_inner()) = conn.sender();
                // Sends in flight on the old socket are never answered: free their
                // window slots (a stored one still reaches its members).
                let lost = link.in_flight.swap(0, Ordering::Relaxed);
                for _ in 0..lost {
                    run.error("unanswered_at_close");
                }
                link.window.add_permits(lost as usize);
                replay_upto.clone_from(&have);
                to_ack.clear();
                continue;
            }
            Ok(Read::Other(Incoming::Garbage(_))) => break,
            Err(ClientError::Timeout) | Ok(_) => {}
            Err(_) => break,
        }
        if !to_ack.is_empty()
            && (to_ack.len() >= 256 || last_ack.elapsed() >= Duration::from_millis(500))
        {
            let sender = link.sender();
            for (channel, seq) in to_ack.drain() {
                let _ = sender.op(&ClientOp::Ack { channel, seq }).await;
            }
            last_ack = Instant::now();
        }
    }
    conn.close(Duration::from_secs(1)).await;
    acks
}

/// Sends to random channels of `channels` until `pace.until`: closed loop on
/// `window`, or open loop every `pace.every`.
async fn send_loop(run: Arc<Run>, link: Link, user: usize, channels: Vec<u64>, pace: Pace) {
    let Pace {
        every,
        text_bytes,
        until,
        limit,
        mixed,
    } = pace;
    if channels.is_empty() {
        return;
    }
    let mut tick = every.map(|e| {
        let mut t = tokio::time::interval_at(
            tokio::time::Instant::now() + e.mul_f64(rand::random::<f64>()),
            e,
        );
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        t
    });
    for k in 0..limit {
        let ready = match &mut tick {
            Some(t) => tokio::time::timeout_at(until, t.tick()).await.is_ok(),
            None => match tokio::time::timeout_at(until, link.window.acquire()).await {
                Ok(Ok(permit)) => {
                    permit.forget();
                    true
                }
                _ => false,
            },
        };
        if !ready {
            return;
        }
        let channel = channels[rand::rng().random_range(0..channels.len())];
        let now = run.micros();
        let cmid = format!("{now:016x}-{user}-{k}");
        let (kind, op) = if mixed {
            mixed_op(&link, channel, k, now, text_bytes)
        } else {
            (0, None)
        };
        if let Some(op) = op {
            // Not a message: answered by an event (or an error), no window slot.
            run.ops[kind].fetch_add(1, Ordering::Relaxed);
            if link.sender().op(&op).await.is_err() {
                run.error("op_on_closed_socket");
            }
            continue;
        }
        let reply_to = (kind == 1)
            .then(|| link.recent_of(channel).0)
            .filter(|s| *s > 0);
        if mixed {
            run.ops[kind].fetch_add(1, Ordering::Relaxed);
        }
        let send = ClientOp::Send {
            channel,
            client_msg_id: cmid,
            text: text(now, text_bytes),
            reply_to,
            forward: None,
            attachments: Vec::new(),
        };
        link.in_flight.fetch_add(1, Ordering::Relaxed);
        if link.sender().op(&send).await.is_err() {
            // The socket closed under us; the reader reconnects.
            link.answered();
            run.error("send_on_closed_socket");
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        run.sent.fetch_add(1, Ordering::Relaxed);
    }
}

/// The next operation of a `mixed` sender in `channel`: its [`MIX`] index, and the
/// op unless it is a send or a reply (which go out as sends, measured end to end).
/// An operation that needs an earlier message falls back to a send until there is one.
fn mixed_op(
    link: &Link,
    channel: u64,
    k: u64,
    now: u64,
    text_bytes: usize,
) -> (usize, Option<ClientOp>) {
    let mut roll = rand::rng().random_range(0..100u32);
    let kind = MIX
        .iter()
        .position(|(_, share)| {
            if roll < *share {
                true
            } else {
                roll -= share;
                false
            }
        })
        .unwrap_or(0);
    let (last, own) = link.recent_of(channel);
    let op = match MIX[kind].0 {
        "react" if last > 0 => ClientOp::React {
            channel,
            seq: last,
            emoji: ["👍", "❤️", "😂"][(k % 3) as usize].to_string(),
            add: k % 4 != 3,
            op_id: None,
        },
        "edit" if own > 0 => ClientOp::Edit {
            channel,
            seq: own,
            text: text(now, text_bytes),
            op_id: None,
        },
        "read" if last > 0 => ClientOp::Read { channel, seq: last },
        "reply" if last > 0 => return (kind, None),
        _ => return (0, None),
    };
    (kind, Some(op))
}

/// Connects every user (concurrently), waiting for each catch-up to end.
async fn connect_all(users: &[BenchUser]) -> anyhow::Result<Vec<Connection>> {
    use futures::{StreamExt, TryStreamExt};
    let started = Instant::now();
    let conns: Vec<Connection> = futures::stream::iter(users)
        .map(|u| async move {
            let mut conn = u.client.connect(Some(&device_of(u))).await?;
            loop {
                match conn.next(Duration::from_secs(60)).await? {
                    Incoming::Event(ServerEvent::Synced { .. }) => return Ok(conn),
                    Incoming::Closed { code, reason } => {
                        anyhow::bail!("closed while connecting: {code} {reason}")
                    }
                    _ => {}
                }
            }
        })
        .buffered(64)
        .try_collect()
        .await?;
    eprintln!(
        "{} connections open and caught up in {:.1} s",
        conns.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(conns)
}

/// Samples every watched process.
fn sample_all(pids: &[(String, u32)]) -> Vec<Option<procstat::Sample>> {
    pids.iter().map(|(_, pid)| procstat::sample(*pid)).collect()
}

fn usage(pids: &[(String, u32)], before: &[Option<procstat::Sample>]) -> Vec<procstat::ProcUsage> {
    let mut out: Vec<procstat::ProcUsage> = pids
        .iter()
        .zip(before)
        .filter_map(|((name, pid), b)| {
            Some(procstat::ProcUsage::between(
                name,
                *pid,
                (*b)?,
                procstat::sample(*pid)?,
            ))
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Every connection's reader task, and the link its sender writes through.
struct Readers {
    links: Vec<Link>,
    tasks: Vec<tokio::task::JoinHandle<Histogram<u64>>>,
}

/// Starts a reader per connection of `users` (in order), each with a window of
/// `window` sends, reconnecting when the edge closes its socket.
fn spawn_readers(
    run: &Arc<Run>,
    conns: Vec<Connection>,
    users: &[BenchUser],
    window: usize,
    on_echo: bool,
) -> Readers {
    let mut r = Readers {
        links: Vec::new(),
        tasks: Vec::new(),
    };
    for (conn, u) in conns.into_iter().zip(users) {
        let link = Link {
            sender: Arc::new(Mutex::new(conn.sender())),
            in_flight: Arc::default(),
            window: Arc::new(Semaphore::new(window.max(1))),
            on_echo,
            recent: Arc::default(),
        };
        let redial = Redial {
            client: u.client.clone(),
            device: device_of(u),
            user_id: u.profile.id,
        };
        r.links.push(link.clone());
        r.tasks.push(tokio::spawn(read_events(
            run.clone(),
            conn,
            link,
            Some(redial),
        )));
    }
    r
}

/// The one device id a bench user connects as.
fn device_of(u: &BenchUser) -> String {
    format!("bench-{}", u.profile.username)
}

/// Runs the sending phase of `dm` / `group` / `sync` over `senders`, then waits
/// (up to 15 s) for acks and deliveries to settle; returns the report and the
/// connections' ack histograms merged.
async fn traffic(
    run: &Arc<Run>,
    conns: Vec<Connection>,
    users: &[BenchUser],
    senders: &[(usize, Vec<u64>)],
    args: &BenchArgs,
    pids: &[(String, u32)],
) -> (Histogram<u64>, f64, Vec<procstat::ProcUsage>) {
    let on_echo = matches!(
        args.workload,
        Workload::Group | Workload::Dm | Workload::Mixed
    );
    let readers = spawn_readers(run, conns, users, args.window, on_echo);
    let every = (args.rate > 0 && !senders.is_empty())
        .then(|| Duration::from_secs_f64(senders.len() as f64 / args.rate as f64));
    let before = sample_all(pids);
    let started = Instant::now();
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(args.duration_secs);
    let tasks: Vec<_> = senders
        .iter()
        .map(|(i, channels)| {
            tokio::spawn(send_loop(
                run.clone(),
                readers.links[*i].clone(),
                *i,
                channels.clone(),
                Pace {
                    every,
                    text_bytes: args.text_bytes,
                    until,
                    limit: u64::MAX,
                    mixed: args.workload == Workload::Mixed,
                },
            ))
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let processes = usage(pids, &before);
    // Let what was sent be acked and what was acked reach every member.
    let settle = Instant::now() + Duration::from_secs(15);
    while Instant::now() < settle {
        let sent = run.sent.load(Ordering::Relaxed);
        let answered = run.acked.load(Ordering::Relaxed) + run.errors.load(Ordering::Relaxed);
        let delivered = run.delivered.load(Ordering::Relaxed);
        if answered >= sent && delivered >= run.expected.load(Ordering::Relaxed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    run.stop.store(true, Ordering::Relaxed);
    let mut acks = report::histogram();
    for r in readers.tasks {
        if let Ok(h) = r.await {
            let _ = acks.add(&h);
        }
    }
    (acks, elapsed, processes)
}

fn finish(
    run: &Run,
    args: &BenchArgs,
    channel_size: usize,
    acks: &Histogram<u64>,
    elapsed: f64,
) -> Report {
    let acked = run.acked.load(Ordering::Relaxed);
    let delivered = run.delivered.load(Ordering::Relaxed);
    let expected = run.expected.load(Ordering::Relaxed);
    let e2e = run.end_to_end.lock().unwrap_or_else(|p| p.into_inner());
    Report {
        workload: format!("{:?}", args.workload).to_lowercase(),
        users: args.users,
        channel_size,
        duration_secs: elapsed,
        target_rate: args.rate,
        sent: run.sent.load(Ordering::Relaxed),
        acked,
        delivered,
        errors: run.errors.load(Ordering::Relaxed),
        errors_by_code: run
            .errors_by
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        lost: expected.saturating_sub(delivered),
        duplicates: run.duplicates.load(Ordering::Relaxed),
        acked_per_sec: acked as f64 / elapsed.max(1e-9),
        delivered_per_sec: delivered as f64 / elapsed.max(1e-9),
        ack_latency_ms: Percentiles::of(acks),
        end_to_end_latency_ms: Percentiles::of(&e2e),
        ops: if args.workload == Workload::Mixed {
            MIX.iter()
                .zip(&run.ops)
                .map(|((k, _), n)| ((*k).to_string(), n.load(Ordering::Relaxed)))
                .collect()
        } else {
            Default::default()
        },
        ..Default::default()
    }
}

/// Runs one workload and prints (and optionally writes) its report.
pub async fn run(args: BenchArgs) -> anyhow::Result<Report> {
    raise_fd_limit();
    let mut pids = procstat::parse_pids(&args.pids)?;
    // The generator shares the machine: its own CPU belongs in the picture.
    pids.push(("bench".into(), std::process::id()));
    // And what the host took: a noisy neighbour shows here, not as our cost.
    pids.push(("steal".into(), procstat::STEAL));
    if args.workload == Workload::Log {
        let mut report = log::run(&args, &pids).await?;
        report.cpu_per_message();
        report.print();
        if let Some(path) = &args.json {
            std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
        }
        return Ok(report);
    }
    let prefix = args
        .prefix
        .clone()
        .unwrap_or_else(|| format!("b{:06x}_", rand::random::<u32>() & 0xFF_FFFF));
    let left = setup::wait_drained(&args.nats_url, Duration::from_secs(300)).await?;
    if left > 0 {
        eprintln!(
            "warning: {left} batches of an earlier run still queued; this run measures them too"
        );
    }
    eprintln!("setting up {} users ({prefix}…)", args.users);
    let users = setup::users(
        &args.nats_url,
        &args.url,
        &args.token_keys_file,
        &prefix,
        args.users.max(2),
    )
    .await?;
    let mut report = match args.workload {
        Workload::Dm | Workload::Mixed => {
            let dms = setup::dms(&users, args.peers).await?;
            let mut mine: Vec<Vec<u64>> = vec![Vec::new(); users.len()];
            for (ch, a, b) in &dms {
                mine[*a].push(*ch);
                mine[*b].push(*ch);
            }
            let run = Run::new(dms.iter().map(|(ch, _, _)| (*ch, 2)).collect());
            let conns = connect_all(&users).await?;
            let senders: Vec<(usize, Vec<u64>)> = mine.into_iter().enumerate().collect();
            eprintln!("running {:?} for {} s", args.workload, args.duration_secs);
            let (acks, elapsed, procs) = traffic(&run, conns, &users, &senders, &args, &pids).await;
            let mut r = finish(&run, &args, 2, &acks, elapsed);
            r.processes = procs;
            r
        }
        Workload::Group => {
            let groups = setup::groups(&users, args.group_size).await?;
            let mut mine: Vec<Vec<u64>> = vec![Vec::new(); users.len()];
            for (ch, members) in &groups {
                for m in members {
                    mine[*m].push(*ch);
                }
            }
            let run = Run::new(groups.iter().map(|(ch, m)| (*ch, m.len() as u32)).collect());
            let conns = connect_all(&users).await?;
            let senders: Vec<(usize, Vec<u64>)> = mine.into_iter().enumerate().collect();
            eprintln!("running group for {} s", args.duration_secs);
            let (acks, elapsed, procs) = traffic(&run, conns, &users, &senders, &args, &pids).await;
            let size = groups.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
            let mut r = finish(&run, &args, size, &acks, elapsed);
            r.processes = procs;
            r
        }
        Workload::Idle => idle(&users, &args, &pids).await?,
        Workload::Sync => sync(&users, &args, &pids).await?,
        Workload::Log => log::run(&args, &pids).await?,
        Workload::Upload => upload::run(&users, &args, &pids).await?,
        Workload::Revoke => revoke::run(&users, &args, &pids).await?,
    };
    report.users = users.len();
    if matches!(
        args.workload,
        Workload::Dm | Workload::Group | Workload::Mixed
    ) {
        report.cpu_per_message();
    }
    report.print();
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(report)
}

/// `idle`: opens every connection, holds them, and reports the edge's RSS growth
/// per connection (the first `--pids` entry named `edge`).
async fn idle(
    users: &[BenchUser],
    args: &BenchArgs,
    pids: &[(String, u32)],
) -> anyhow::Result<Report> {
    let edge = pids.iter().find(|(n, _)| n == "edge").map(|(_, p)| *p);
    let rss = |pid: Option<u32>| pid.and_then(procstat::sample).map(|s| s.rss_kib);
    let before_rss = rss(edge);
    let before = sample_all(pids);
    let started = Instant::now();
    let conns = connect_all(users).await?;
    eprintln!(
        "{} connections open; holding for {} s",
        conns.len(),
        args.duration_secs
    );
    tokio::time::sleep(Duration::from_secs_f64(args.duration_secs)).await;
    let after_rss = rss(edge);
    let processes = usage(pids, &before);
    let per_conn = match (before_rss, after_rss) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / conns.len().max(1) as f64),
        _ => None,
    };
    for c in conns {
        c.close(Duration::from_millis(200)).await;
    }
    Ok(Report {
        workload: "idle".into(),
        duration_secs: started.elapsed().as_secs_f64(),
        processes,
        rss_per_connection_kib: per_conn,
        ..Default::default()
    })
}

/// `sync`: the first half of the users are away while the second half send them
/// `--sync-messages` messages; then every away device connects at once.
async fn sync(
    users: &[BenchUser],
    args: &BenchArgs,
    pids: &[(String, u32)],
) -> anyhow::Result<Report> {
    let half = users.len() / 2;
    let (away, senders) = users.split_at(half);
    // Sender i writes to away user i.
    let pairs = futures::future::try_join_all((0..half).map(|i| async move {
        let ch = senders[i].client.open_dm(away[i].profile.id).await?;
        Ok::<_, ClientError>(ch.id)
    }))
    .await?;
    let sending = Run::new(pairs.iter().map(|c| (*c, 1)).collect());
    let conns = connect_all(senders).await?;
    let per_sender = args.sync_messages.div_ceil(half.max(1) as u64);
    let readers = spawn_readers(&sending, conns, senders, args.window, false);
    // Closed loop until each sender has sent its share.
    let far = tokio::time::Instant::now() + Duration::from_secs(600);
    let tasks: Vec<_> = (0..half)
        .map(|i| {
            tokio::spawn(send_loop(
                sending.clone(),
                readers.links[i].clone(),
                i,
                vec![pairs[i]],
                Pace {
                    every: None,
                    text_bytes: args.text_bytes,
                    until: far,
                    limit: per_sender,
                    mixed: false,
                },
            ))
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let settle = Instant::now() + Duration::from_secs(60);
    while sending.acked.load(Ordering::Relaxed) + sending.errors.load(Ordering::Relaxed)
        < sending.sent.load(Ordering::Relaxed)
        && Instant::now() < settle
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sending.stop.store(true, Ordering::Relaxed);
    for r in readers.tasks {
        let _ = r.await;
    }
    let acked = sending.acked.load(Ordering::Relaxed);
    eprintln!("{acked} messages acked for {half} away devices; reconnecting them all");

    // Every away device connects at once; catch-up ends when all have everything.
    let catching = Run::since(sending.epoch, pairs.iter().map(|c| (*c, 1)).collect());
    catching.expected.store(acked, Ordering::Relaxed);
    let before = sample_all(pids);
    let started = Instant::now();
    let mut readers = Vec::new();
    let opened = futures::future::join_all(
        away.iter()
            .map(|u| async move { u.client.connect(Some(&device_of(u))).await }),
    )
    .await;
    for (conn, u) in opened.into_iter().zip(away) {
        let conn = conn?;
        let link = Link {
            sender: Arc::new(Mutex::new(conn.sender())),
            in_flight: Arc::default(),
            window: Arc::new(Semaphore::new(0)),
            on_echo: false,
            recent: Arc::default(),
        };
        let redial = Redial {
            client: u.client.clone(),
            device: device_of(u),
            user_id: u.profile.id,
        };
        readers.push(tokio::spawn(read_events(
            catching.clone(),
            conn,
            link,
            Some(redial),
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while catching.delivered.load(Ordering::Relaxed) < acked && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let catch_up = started.elapsed().as_secs_f64();
    let processes = usage(pids, &before);
    catching.stop.store(true, Ordering::Relaxed);
    for r in readers {
        let _ = r.await;
    }
    let delivered = catching.delivered.load(Ordering::Relaxed);
    let e2e = catching
        .end_to_end
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Ok(Report {
        workload: "sync".into(),
        channel_size: 2,
        duration_secs: catch_up,
        sent: sending.sent.load(Ordering::Relaxed),
        acked,
        delivered,
        errors: sending.errors.load(Ordering::Relaxed) + catching.errors.load(Ordering::Relaxed),
        errors_by_code: {
            let mut by = sending
                .errors_by
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            for (k, v) in catching
                .errors_by
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
            {
                *by.entry(k.clone()).or_insert(0) += v;
            }
            by
        },
        lost: acked.saturating_sub(delivered),
        duplicates: catching.duplicates.load(Ordering::Relaxed),
        delivered_per_sec: delivered as f64 / catch_up.max(1e-9),
        end_to_end_latency_ms: Percentiles::of(&e2e),
        processes,
        catch_up_secs: Some(catch_up),
        ..Default::default()
    })
}

/// Raises this process's open-file limit to its hard limit (one per connection).
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}
