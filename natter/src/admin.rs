//! `natter admin`: what a running system is doing, for operators. Everything comes
//! over NATS (the JetStream API, the KV buckets, and `admin.*` requests answered by
//! the store workers), so it needs only a NATS URL with the admin user's credentials.

use anyhow::Context;
use async_nats::jetstream;
use clap::{Args, Subcommand};
use futures::StreamExt;
use natter_nats::{layout, rpc, subjects};
use natter_protocol::ErrorCode;
use natter_protocol::http::Presence;
use natter_protocol::internal::{
    self, AdminAuditReq, AdminChannel, AdminChannelReq, AdminEraseReq, AdminLogAppliedReq,
    AdminMessageDeleteReq, AdminReportsReq, AdminResolveReq, AdminSuspendReq, AdminUser,
    AdminUserReq, LogBatch, LogEntry, PresenceBeat, PresenceQuery, ReportTarget,
};
use serde::Serialize;

/// `natter admin`.
#[derive(Args)]
pub struct AdminArgs {
    /// NATS server URL, with the admin user's credentials when NATS has accounts
    /// (`nats://admin:PASSWORD@host:4222`).
    #[arg(long, env = "NATTER_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Who is acting, for the audit log of actions that change something (default:
    /// `$USER`).
    #[arg(long, env = "NATTER_OPERATOR", global = true)]
    operator: Option<String>,
    #[command(subcommand)]
    what: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Streams and their consumers: messages, and each partition's pending and
    /// unacknowledged counts.
    Streams,
    /// Partition leases and the store workers holding them.
    Leases,
    /// Edges registered for discovery, with their connection counts.
    Edges,
    /// A user's presence and online devices.
    Presence {
        /// The user's id.
        user: u64,
    },
    /// A channel as stored: kind, name, head seq and members.
    Channel {
        /// The channel's id.
        channel: u64,
    },
    /// A user's profile, devices and each device's cursor per channel.
    User {
        /// The user's id.
        user: u64,
    },
    /// Suspends an account: its sessions end (sockets close on every edge within
    /// seconds) and it cannot log in until unsuspended. Audited.
    Suspend {
        /// The username.
        username: String,
        /// Why (kept in the audit log).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Deletes an account on its user's request (as `DELETE /v1/me` does): its
    /// sessions end, its profile goes, its messages become tombstones in every
    /// channel. Audited; cannot be undone.
    Erase {
        /// The username.
        username: String,
        /// Why (kept in the audit log).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Lifts a suspension (the account logs in again). Audited.
    Unsuspend {
        /// The username.
        username: String,
        /// Why (kept in the audit log).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Users' reports, newest first, with the reported content as it was (an
    /// audited read).
    Reports {
        /// Resolved ones too.
        #[arg(long)]
        all: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Deletes a message for everyone (its text and files erased, a tombstone left,
    /// as when its author deletes it). Audited.
    DeleteMessage {
        /// The channel's id.
        channel: u64,
        /// The message's seq.
        seq: u64,
        /// Why (kept in the audit log).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Closes a report, saying what was done. Audited.
    Resolve {
        /// The report's id.
        id: u64,
        /// What was done: `dismissed`, `message_deleted`, `suspended`, …
        #[arg(long)]
        action: String,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The operators' audit log (every action that changed something), newest first.
    Audit {
        /// At most this many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The messages of a partition not yet acknowledged by its store worker, read
    /// from the stream without consuming them (text lengths only, never text).
    Pending {
        /// The partition.
        partition: u32,
        /// At most this many stream messages.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

/// Prints a line to stdout; a closed pipe (`natter admin … | head`) ends output quietly.
macro_rules! outln {
    ($($t:tt)*) => {
        emit(&format!("{}\n", format_args!($($t)*)))
    };
}

fn emit(s: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
}

/// Runs one `natter admin` command, printing its answer.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let nats = natter_nats::connect(&args.nats_url, "natter-admin").await?;
    let js = jetstream::new(nats.clone());
    let out = Output { json: args.json };
    match args.what {
        AdminCommand::Streams => out.table(streams(&js).await?),
        AdminCommand::Leases => out.table(leases(&js).await?),
        AdminCommand::Edges => out.table(edges(&js).await?),
        AdminCommand::Presence { user } => presence(&nats, &js, user, &out).await?,
        AdminCommand::Channel { channel } => {
            let c: AdminChannel = request(
                &nats,
                &rpc::ADMIN_CHANNEL_INSPECT,
                0,
                &AdminChannelReq {
                    channel_id: channel,
                },
            )
            .await?;
            if out.json {
                out.print_json(&c);
            } else {
                outln!(
                    "channel {} ({}{}), created {}, head seq {}",
                    c.channel.id,
                    wire_name(&c.channel.kind),
                    c.channel
                        .name
                        .as_deref()
                        .map(|n| format!(" \"{n}\""))
                        .unwrap_or_default(),
                    c.channel.created_at,
                    c.head_seq
                );
                out.table(Table::new(
                    &["member", "role", "joined_at"],
                    c.members.iter().map(|m| {
                        vec![
                            m.user.to_string(),
                            wire_name(&m.role),
                            m.joined_at.to_string(),
                        ]
                    }),
                ));
            }
        }
        AdminCommand::User { user } => {
            let u: AdminUser = request(
                &nats,
                &rpc::ADMIN_USER_INSPECT,
                0,
                &AdminUserReq { user_id: user },
            )
            .await?;
            if out.json {
                out.print_json(&u);
            } else {
                outln!(
                    "user {} @{} \"{}\", {} device(s)",
                    u.profile.id,
                    u.profile.username,
                    u.profile.display_name,
                    u.devices.len()
                );
                out.table(Table::new(
                    &["device", "push", "channel", "cursor", "head", "behind"],
                    u.devices.iter().flat_map(|d| {
                        let push = d
                            .push_platform
                            .as_ref()
                            .map_or_else(|| "-".into(), wire_name);
                        let rows: Vec<Vec<String>> = if d.positions.is_empty() {
                            vec![vec![
                                d.device_id.clone(),
                                push,
                                "-".into(),
                                "-".into(),
                                "-".into(),
                                "-".into(),
                            ]]
                        } else {
                            d.positions
                                .iter()
                                .map(|p| {
                                    vec![
                                        d.device_id.clone(),
                                        push.clone(),
                                        p.channel_id.to_string(),
                                        p.cursor.to_string(),
                                        p.head.to_string(),
                                        p.head.saturating_sub(p.cursor).to_string(),
                                    ]
                                })
                                .collect()
                        };
                        rows
                    }),
                ));
            }
        }
        AdminCommand::Pending { partition, limit } => {
            out.table(pending(&nats, &js, partition, limit).await?)
        }
        AdminCommand::Suspend { username, reason } => {
            suspend(&nats, args.operator, username, reason, true).await?;
        }
        AdminCommand::Unsuspend { username, reason } => {
            suspend(&nats, args.operator, username, reason, false).await?;
        }
        AdminCommand::Erase { username, reason } => {
            let req = AdminEraseReq {
                username: username.clone(),
                reason,
                operator: operator_name(args.operator),
            };
            let done = request(&nats, &rpc::ADMIN_USER_ERASE, 0, &req).await?;
            outln!(
                "@{username} deleted: its messages are being erased from {} channels",
                done.channels
            );
        }
        AdminCommand::Reports { all, limit } => {
            let req = AdminReportsReq {
                open_only: !all,
                limit,
                operator: operator_name(args.operator),
            };
            let reports = request(&nats, &rpc::ADMIN_REPORTS_LIST, 0, &req).await?;
            if out.json {
                out.print_json(&reports);
            } else {
                out.table(Table::new(
                    &[
                        "id", "at_ms", "reporter", "reason", "what", "content", "resolved",
                    ],
                    reports.iter().map(|r| {
                        let (what, content) = match &r.target {
                            ReportTarget::Message(m) => (
                                format!("message {}/{} by {}", m.channel, m.seq, m.sender),
                                m.text.chars().take(80).collect(),
                            ),
                            ReportTarget::User(p) => {
                                (format!("user {}", p.id), format!("@{}", p.username))
                            }
                        };
                        vec![
                            r.id.to_string(),
                            r.at_ms.to_string(),
                            r.reporter.to_string(),
                            wire_name(&r.reason),
                            what,
                            content,
                            r.resolved
                                .as_ref()
                                .map_or_else(|| "-".into(), |s| s.action.clone()),
                        ]
                    }),
                ));
            }
        }
        AdminCommand::DeleteMessage {
            channel,
            seq,
            reason,
        } => {
            let req = AdminMessageDeleteReq {
                channel_id: channel,
                seq,
                operator: operator_name(args.operator),
                reason,
            };
            let m = request(&nats, &rpc::ADMIN_MESSAGE_DELETE, 0, &req).await?;
            if out.json {
                out.print_json(&m);
            } else {
                outln!("message {channel}/{seq} deleted");
            }
        }
        AdminCommand::Resolve { id, action, note } => {
            let req = AdminResolveReq {
                id,
                operator: operator_name(args.operator),
                action,
                note,
            };
            let r = request(&nats, &rpc::ADMIN_REPORT_RESOLVE, 0, &req).await?;
            if out.json {
                out.print_json(&r);
            } else {
                outln!("report {id} resolved");
            }
        }
        AdminCommand::Audit { limit } => {
            let entries =
                request(&nats, &rpc::ADMIN_AUDIT_LIST, 0, &AdminAuditReq { limit }).await?;
            if out.json {
                out.print_json(&entries);
            } else {
                out.table(Table::new(
                    &["at_ms", "operator", "action", "target", "detail"],
                    entries.iter().map(|e| {
                        vec![
                            e.at_ms.to_string(),
                            e.operator.clone(),
                            e.action.clone(),
                            e.target.clone(),
                            e.detail.clone(),
                        ]
                    }),
                ));
            }
        }
    }
    Ok(())
}

/// Who acts: `--operator`, else `$USER`.
fn operator_name(operator: Option<String>) -> String {
    operator
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Suspends or unsuspends `username`, as `operator` (default `$USER`).
async fn suspend(
    nats: &async_nats::Client,
    operator: Option<String>,
    username: String,
    reason: String,
    suspend: bool,
) -> anyhow::Result<()> {
    let operator = operator_name(operator);
    let req = AdminSuspendReq {
        username: username.clone(),
        suspend,
        reason,
        operator,
    };
    let id = request(nats, &rpc::ADMIN_USER_SUSPEND, 0, &req).await?;
    let done = if suspend { "suspended" } else { "unsuspended" };
    outln!("user {id} @{username} {done}");
    Ok(())
}

/// A request to a service over NATS (to shard `shard` of a sharded one); an
/// unanswered one says what to check.
async fn request<Q: Serialize, A: serde::de::DeserializeOwned>(
    nats: &async_nats::Client,
    call: &rpc::Rpc<Q, A>,
    shard: u32,
    req: &Q,
) -> anyhow::Result<A> {
    call.call_shard(nats, shard, req).await.map_err(|e| {
        let subject = call.subject_of(shard);
        if e.code == ErrorCode::Unavailable {
            anyhow::anyhow!(
                "{subject}: no answer in {:?} (is the service running, and may this NATS user publish it?)",
                call.timeout()
            )
        } else {
            anyhow::anyhow!("{subject}: {e}")
        }
    })
}

async fn streams(js: &jetstream::Context) -> anyhow::Result<Table> {
    let mut rows = Vec::new();
    for name in [
        layout::LOG_STREAM,
        layout::PUSH_STREAM,
        layout::LEGACY_MESSAGE_STREAM,
    ] {
        let mut s = match js.get_stream(name).await {
            Ok(s) => s,
            // The earlier work queue exists only on upgraded deployments.
            Err(_) if name == layout::LEGACY_MESSAGE_STREAM => continue,
            Err(e) => return Err(e).with_context(|| format!("stream {name}")),
        };
        let info = s.info().await?.clone();
        rows.push(vec![
            name.to_string(),
            "-".into(),
            info.state.messages.to_string(),
            info.state.bytes.to_string(),
            info.state.last_sequence.to_string(),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
        let mut consumers = s.consumers();
        let mut infos = Vec::new();
        while let Some(c) = consumers.next().await {
            infos.push(c?);
        }
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        for c in infos {
            rows.push(vec![
                name.to_string(),
                c.name.clone(),
                "-".into(),
                "-".into(),
                // Owners read the log without acks: where they are is what was
                // delivered; an acking consumer is where its acks are.
                if c.config.ack_policy == jetstream::consumer::AckPolicy::None {
                    c.delivered.stream_sequence
                } else {
                    c.ack_floor.stream_sequence
                }
                .to_string(),
                c.num_pending.to_string(),
                c.num_ack_pending.to_string(),
                c.num_redelivered.to_string(),
            ]);
        }
    }
    Ok(Table::new(
        &[
            "stream",
            "consumer",
            "messages",
            "bytes",
            "last_seq/position",
            "pending",
            "ack_pending",
            "redelivered",
        ],
        rows,
    ))
}

async fn leases(js: &jetstream::Context) -> anyhow::Result<Table> {
    let leases = natter_nats::ttl_kv::TtlKv::open(js, layout::PARTITION_LEASE_BUCKET).await?;
    let workers = natter_nats::ttl_kv::TtlKv::open(js, layout::STORE_WORKERS_BUCKET).await?;
    let live: Vec<String> = workers
        .entries()
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let partitions = layout::read(js).await?.partitions;
    let held: std::collections::HashMap<String, String> = leases
        .entries()
        .await?
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    Ok(Table::new(
        &["partition", "owner", "owner_live"],
        (0..partitions).map(|p| {
            let owner = held.get(&layout::partition_lease_key(p));
            vec![
                p.to_string(),
                owner.cloned().unwrap_or_else(|| "(none)".into()),
                owner
                    .map(|o| live.contains(o).to_string())
                    .unwrap_or_else(|| "-".into()),
            ]
        }),
    ))
}

async fn edges(js: &jetstream::Context) -> anyhow::Result<Table> {
    let edges = natter_nats::ttl_kv::TtlKv::open(js, layout::EDGES_BUCKET).await?;
    let mut records: Vec<internal::EdgeRecord> = edges
        .entries()
        .await?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Table::new(
        &[
            "edge",
            "http_url",
            "connections",
            "draining",
            "renewed_ms_ago",
        ],
        records.iter().map(|e| {
            vec![
                e.id.clone(),
                e.http_url.clone(),
                e.connections.to_string(),
                e.draining.to_string(),
                now_ms().saturating_sub(e.at).to_string(),
            ]
        }),
    ))
}

/// The presence watchers' answer for `user`, and the device keys in its bucket.
async fn presence(
    nats: &async_nats::Client,
    js: &jetstream::Context,
    user: u64,
    out: &Output,
) -> anyhow::Result<()> {
    let shards = layout::read(js).await?.presence_shards;
    let shard = layout::presence_shard_of(user, shards);
    let answer: Vec<Presence> = request(
        nats,
        &rpc::PRESENCE_QUERY,
        shard,
        &PresenceQuery { users: vec![user] },
    )
    .await?;
    let bucket = layout::presence_bucket(shard);
    let kv = js.get_key_value(&bucket).await?;
    // The bucket's subjects under this user are its device keys.
    let filter = subjects::kv_subjects(&bucket, &user.to_string());
    let s = js.get_stream(layout::kv_stream_name(&bucket)).await?;
    let mut listed = s.info_with_subjects(&filter).await?;
    let mut devices = Vec::new();
    while let Some(subject) = listed.next().await {
        let (subject, _) = subject?;
        let key = subjects::kv_key(&bucket, &subject)
            .unwrap_or(&subject)
            .to_string();
        if let Some(v) = kv.get(&key).await?
            && let Ok(beat) = serde_json::from_slice::<PresenceBeat>(&v)
        {
            devices.push((key, beat));
        }
    }
    if out.json {
        #[derive(Serialize)]
        struct Device {
            key: String,
            edge: String,
            at: u64,
        }
        #[derive(Serialize)]
        struct Answer {
            presence: Option<Presence>,
            devices: Vec<Device>,
        }
        out.print_json(&Answer {
            presence: answer.into_iter().next(),
            devices: devices
                .into_iter()
                .map(|(key, b)| Device {
                    key,
                    edge: b.edge,
                    at: b.at,
                })
                .collect(),
        });
        return Ok(());
    }
    match answer.first() {
        Some(p) => outln!(
            "user {user}: {}, last_seen {}, since {}",
            if p.online { "online" } else { "offline" },
            p.last_seen
                .map(|t| t.to_string())
                .unwrap_or_else(|| "never".into()),
            p.changed_at
        ),
        None => outln!("user {user}: no answer"),
    }
    out.table(Table::new(
        &["device_key", "edge", "beat_ms_ago"],
        devices.iter().map(|(k, b)| {
            vec![
                k.clone(),
                b.edge.clone(),
                now_ms().saturating_sub(b.at).to_string(),
            ]
        }),
    ));
    Ok(())
}

/// Lists partition `partition`'s log entries not yet applied to the store, read by
/// sequence with the message-get API (no consumer is touched). The applied position
/// comes from a store worker; when none answers, every entry the log still holds is
/// listed (applied ones stay until their owner's next checkpoint trims them).
async fn pending(
    nats: &async_nats::Client,
    js: &jetstream::Context,
    partition: u32,
    limit: usize,
) -> anyhow::Result<Table> {
    let applied = match request(nats, &rpc::ADMIN_LOG_APPLIED, 0, &AdminLogAppliedReq {}).await {
        Ok(a) => a
            .applied
            .into_iter()
            .find(|(p, _)| *p == partition)
            .map_or(0, |(_, s)| s),
        Err(e) => {
            eprintln!("applied position unknown ({e}); listing every entry the log holds");
            0
        }
    };
    let mut stream = js.get_stream(layout::LOG_STREAM).await?;
    let state = stream.info().await?.state.clone();
    let (mut next, last) = (state.first_sequence.max(applied + 1), state.last_sequence);
    let filter = subjects::partition_log(partition);
    let mut rows = Vec::new();
    while rows.len() < limit && next <= last {
        let m = match stream
            .raw_message_builder()
            .sequence(next)
            .next_by_subject(filter.clone())
            .send()
            .await
        {
            Ok(m) => m,
            // No entry of the partition at or after `next`.
            Err(e) if e.kind() == jetstream::stream::RawMessageErrorKind::NoMessageFound => break,
            Err(e) => return Err(e.into()),
        };
        next = m.sequence + 1;
        let entries = internal::decode::<LogBatch>(&m.payload)
            .map(|b| b.entries)
            .unwrap_or_default();
        for e in &entries {
            let row = match e {
                LogEntry::Send(s) => vec![
                    "send".to_string(),
                    s.channel_id.to_string(),
                    s.message_id.to_string(),
                    s.sender_id.to_string(),
                    s.client_msg_id.clone(),
                    s.text.chars().count().to_string(),
                ],
                LogEntry::Command(c) => vec![
                    "command".to_string(),
                    c.channel_id.to_string(),
                    c.id.to_string(),
                    c.user_id.to_string(),
                    "-".into(),
                    "-".into(),
                ],
            };
            let mut full = vec![m.sequence.to_string(), m.subject.to_string()];
            full.extend(row);
            rows.push(full);
        }
    }
    Ok(Table::new(
        &[
            "stream_seq",
            "subject",
            "entry",
            "channel",
            "id",
            "sender",
            "client_msg_id",
            "text_chars",
        ],
        rows,
    ))
}

/// How `value` (an enum such as a role or a platform) is spelled on the wire.
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// How answers are printed.
struct Output {
    json: bool,
}

impl Output {
    fn print_json<T: Serialize>(&self, v: &T) {
        match serde_json::to_string_pretty(v) {
            Ok(s) => outln!("{s}"),
            Err(e) => eprintln!("natter admin: cannot print JSON: {e}"),
        }
    }

    fn table(&self, t: Table) {
        if self.json {
            // An array of objects keyed by the column names.
            let rows: Vec<serde_json::Map<String, serde_json::Value>> = t
                .rows
                .iter()
                .map(|r| {
                    t.header
                        .iter()
                        .zip(r)
                        .map(|(h, v)| {
                            // Counts and ids as numbers, the rest as strings.
                            let value = v
                                .parse::<u64>()
                                .map(serde_json::Value::from)
                                .unwrap_or_else(|_| serde_json::Value::String(v.clone()));
                            (h.clone(), value)
                        })
                        .collect()
                })
                .collect();
            self.print_json(&rows);
        } else {
            emit(&t.render());
        }
    }
}

/// Rows of text under a header, printed in aligned columns.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: rows.into_iter().collect(),
        }
    }

    fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.len()).collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut s = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            s.push_str(line.join("  ").trim_end());
            s.push('\n');
        }
        s
    }
}
