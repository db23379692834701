//! Replay decides as the first run did: random logs (sends with repeated
//! client_msg_ids and strangers, group changes, read marks, edits, deletions,
//! reactions, blocks, bans, timed mutes and invites) are applied in random
//! batches to a real store; the store is then rebuilt from a copy taken at a random
//! checkpoint by applying the rest of the log again, in other batches, with an
//! empty in-memory state. Both stores must end with the same rows, and the replay
//! must store and tell exactly what the first run did after that checkpoint.

use std::collections::BTreeMap;

use natter_protocol::http::{ChannelKind, Role};
use natter_protocol::internal::{ChannelAction, CommandEntry, LogEntry, StreamSend};
use natter_store::{EmbeddedStore, KeyValue, ScanRange, Store, WriteBatch, keys, value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::apply::Applied;
use super::apply_entries;
use super::state::State;
use crate::records::{ChannelRecord, LogApplied, MemberRecord, UserChannelRecord};

const USERS: [u64; 6] = [101, 102, 103, 104, 105, 106];
const DMS: [(u64, (u64, u64)); 2] = [(800, (101, 102)), (801, (103, 104))];
const GROUPS: [u64; 2] = [900, 901];

/// What a batch told the world: stored (channel, seq, message id, system?),
/// refusals, replies and read moves.
type Told = (
    Vec<(u64, u64, u64, bool)>,
    Vec<(u64, String, natter_protocol::ApiError)>,
    Vec<(String, Vec<u8>)>,
    Vec<(u64, u64, u64)>,
);

fn told(a: Applied) -> Told {
    (
        a.stored
            .iter()
            .map(|s| {
                (
                    s.channel,
                    s.seq,
                    s.record.message_id,
                    s.record.system.is_some(),
                )
            })
            .collect(),
        a.refused,
        a.replies,
        a.reads,
    )
}

fn random_log(rng: &mut StdRng, n: usize) -> Vec<LogEntry> {
    let mut next_id = 1_000u64;
    let mut id = || {
        next_id += 1;
        next_id
    };
    let mut out = Vec::with_capacity(n + GROUPS.len());
    for (i, g) in GROUPS.iter().enumerate() {
        let creator = USERS[i];
        out.push(LogEntry::Command(CommandEntry {
            id: id(),
            at_ms: 1,
            user_id: creator,
            channel_id: *g,
            action: ChannelAction::CreateGroup {
                name: format!("g{i}"),
                members: USERS
                    .iter()
                    .copied()
                    .filter(|_| rng.random_bool(0.5))
                    .collect(),
            },
            event_ids: vec![id(), id()],
            reply_to: Some(format!("r.{g}")),
        }));
    }
    let channels: Vec<u64> = DMS.iter().map(|(c, _)| *c).chain(GROUPS).collect();
    for k in 0..n {
        let channel = channels[rng.random_range(0..channels.len())];
        let user = USERS[rng.random_range(0..USERS.len())];
        let at_ms = 10 + k as u64;
        let entry = match rng.random_range(0..10) {
            0..=5 => LogEntry::Send(StreamSend {
                message_id: id(),
                channel_id: channel,
                sender_id: user,
                // A small pool: repeats (retries) and reuse across channels.
                client_msg_id: format!("c{}", rng.random_range(0..40)),
                text: format!("text {k}"),
                sent_at_ms: at_ms,
                reply_to: None,
                forwarded: false,
                mentions: if rng.random_bool(0.2) {
                    vec![USERS[rng.random_range(0..USERS.len())]]
                } else {
                    Vec::new()
                },
                attachments: if rng.random_bool(0.1) {
                    vec![natter_protocol::ws::Attachment {
                        id: k as u64,
                        name: format!("f{k}"),
                        ..Default::default()
                    }]
                } else {
                    Vec::new()
                },
            }),
            6 => LogEntry::Command(CommandEntry {
                id: if rng.random_bool(0.1) { 1_001 } else { id() },
                at_ms,
                user_id: user,
                channel_id: channel,
                action: ChannelAction::Read {
                    seq: rng.random_range(0..30),
                },
                event_ids: Vec::new(),
                reply_to: Some(format!("r.{k}")),
            }),
            _ => {
                let other = USERS[rng.random_range(0..USERS.len())];
                let target = rng.random_range(1..30);
                let action = match rng.random_range(0..15) {
                    // Rarely: an account erased (started, then its window).
                    14 if rng.random_bool(0.3) => ChannelAction::EraseAccount {
                        from_seq: rng.random_range(0..2),
                    },
                    // Rarely: the retention sweep expires the oldest messages.
                    14 if rng.random_bool(0.3) => ChannelAction::Expire {
                        before_seq: rng.random_range(1..12),
                    },
                    11 => ChannelAction::CreateInvite {
                        code: format!("i{}", rng.random_range(0..3)),
                        expires_at_ms: at_ms + rng.random_range(0..30),
                        max_uses: rng.random_range(0..3),
                    },
                    12 => ChannelAction::JoinByInvite {
                        code: format!("i{}", rng.random_range(0..3)),
                    },
                    13 => ChannelAction::RevokeInvite {
                        code: format!("i{}", rng.random_range(0..3)),
                    },
                    9 => ChannelAction::Ban {
                        user: other,
                        ban: rng.random_bool(0.6),
                    },
                    // Sends carry their time: a replay refuses the same ones.
                    10 => ChannelAction::MuteMember {
                        user: other,
                        until_ms: at_ms + rng.random_range(0..20),
                    },
                    // In a 1:1 channel: sends refused while either blocks.
                    8 => ChannelAction::Block {
                        block: rng.random_bool(0.6),
                    },
                    4 => ChannelAction::Edit {
                        seq: target,
                        text: format!("edit {k}"),
                    },
                    5 => ChannelAction::Delete { seq: target },
                    6 | 7 => ChannelAction::React {
                        seq: target,
                        emoji: ["👍", "❤️"][rng.random_range(0..2)].to_string(),
                        add: rng.random_bool(0.7),
                    },
                    0 => ChannelAction::AddMembers { users: vec![other] },
                    1 => ChannelAction::RemoveMember { user: other },
                    2 => ChannelAction::Rename {
                        name: format!("n{k}"),
                    },
                    _ => ChannelAction::SetRole {
                        user: other,
                        role: if rng.random_bool(0.5) {
                            Role::Admin
                        } else {
                            Role::Member
                        },
                    },
                };
                let user_id = match action {
                    ChannelAction::Expire { .. } => natter_protocol::internal::OPERATOR,
                    _ => user,
                };
                LogEntry::Command(CommandEntry {
                    id: id(),
                    at_ms,
                    user_id,
                    channel_id: channel,
                    action,
                    // A start may append three (left, owner passed on, deleted).
                    event_ids: vec![id(), id(), id()],
                    reply_to: Some(format!("r.{k}")),
                })
            }
        };
        out.push(entry);
    }
    out
}

/// Random batch boundaries over `entries`.
fn batches(rng: &mut StdRng, entries: &[LogEntry]) -> Vec<Vec<LogEntry>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < entries.len() {
        let n = rng.random_range(1..=8).min(entries.len() - at);
        out.push(entries[at..at + n].to_vec());
        at += n;
    }
    out
}

async fn seed_dms(store: &dyn Store) {
    let mut b = WriteBatch::new();
    for (cid, (a, z)) in DMS {
        b = b.put(
            keys::channel(cid),
            value::encode(&ChannelRecord {
                id: cid,
                kind: ChannelKind::Dm,
                created_at: 0,
                name: None,
                pair: Some((a, z)),
                blocked_by: Vec::new(),
                banned: Vec::new(),
                muted: Vec::new(),
                invites: Vec::new(),
                erased: Vec::new(),
                max_age_secs: None,
                floor_seq: 0,
            }),
        );
        for u in [a, z] {
            b = b
                .put(
                    keys::member(cid, u),
                    value::encode(&MemberRecord {
                        joined_at: 0,
                        role: Role::Member,
                    }),
                )
                .put(
                    keys::user_channel(u, cid),
                    value::encode(&UserChannelRecord {
                        joined_at: 0,
                        left_seq: None,
                    }),
                );
        }
    }
    store.write(b).await.expect("seed");
}

async fn everything(store: &dyn Store) -> Vec<KeyValue> {
    let all = ScanRange {
        start: Vec::new(),
        end: None,
        reverse: false,
    };
    store.scan(all, 1_000_000).await.expect("scan")
}

/// Applies `batches` (numbered from `first`) with `state`; returns what each told.
async fn run(
    store: &dyn Store,
    state: &mut State,
    batches: Vec<Vec<LogEntry>>,
    first: u64,
) -> Vec<Told> {
    let mut out = Vec::new();
    for (i, b) in batches.into_iter().enumerate() {
        let pos = first + i as u64;
        let applied = apply_entries(
            state,
            store,
            b,
            |_| true,
            |rows| {
                rows.put(
                    keys::log_applied(0),
                    value::encode(&LogApplied { log: 1, seq: pos }),
                )
                .durability(natter_store::Durability::Buffered)
            },
        )
        .await
        .expect("apply");
        out.push(told(applied));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_from_any_checkpoint_decides_as_the_first_run() {
    for seed in 0..24u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let log = random_log(&mut rng, 150);
        let first_batches = batches(&mut rng, &log);
        // The checkpoint: after this many entries (a batch boundary of the first run).
        let cut = rng.random_range(0..=first_batches.len());
        let checkpoint_entries: usize = first_batches[..cut].iter().map(Vec::len).sum();

        let dir_a = tempfile::tempdir().expect("tempdir");
        let a = EmbeddedStore::open(dir_a.path()).expect("open");
        seed_dms(&a).await;
        // The first run keeps its in-memory state across the checkpoint.
        let mut state = State::new();
        let before = run(&a, &mut state, first_batches[..cut].to_vec(), 1).await;
        let snapshot = everything(&a).await;
        let after = run(
            &a,
            &mut state,
            first_batches[cut..].to_vec(),
            cut as u64 + 1,
        )
        .await;
        let final_a = everything(&a).await;
        assert!(
            before.iter().chain(&after).any(|t| !t.0.is_empty()),
            "seed {seed}: the log stored something"
        );

        // Rebuilt from the checkpoint's copy, in other batches, from an empty state.
        let dir_b = tempfile::tempdir().expect("tempdir");
        let b = EmbeddedStore::open(dir_b.path()).expect("open");
        let mut copy = WriteBatch::new();
        for (k, v) in snapshot {
            copy = copy.put(k, v);
        }
        b.write(copy).await.expect("copy");
        let rest = log[checkpoint_entries..].to_vec();
        let replay_batches = batches(&mut rng, &rest);
        let n_replay = replay_batches.len();
        let replayed = run(&b, &mut State::new(), replay_batches, cut as u64 + 1).await;
        let mut final_b: BTreeMap<Vec<u8>, Vec<u8>> = everything(&b).await.into_iter().collect();
        let mut final_a: BTreeMap<Vec<u8>, Vec<u8>> = final_a.into_iter().collect();
        // The applied position counts batches, which the two runs cut differently.
        final_a.remove(&keys::log_applied(0));
        final_b.remove(&keys::log_applied(0));
        assert_eq!(
            final_a.len(),
            final_b.len(),
            "seed {seed}: same number of rows ({n_replay} replay batches)"
        );
        assert!(final_a == final_b, "seed {seed}: the rebuilt store differs");
        let flat = |t: Vec<Told>| {
            t.into_iter().fold(
                (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
                |mut acc, (s, r, p, d)| {
                    acc.0.extend(s);
                    acc.1.extend(r);
                    acc.2.extend(p);
                    acc.3.extend(d);
                    acc
                },
            )
        };
        assert_eq!(
            flat(after),
            flat(replayed),
            "seed {seed}: the replay stores and tells what the first run did"
        );
    }
}
