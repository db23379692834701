//! A partition's owner: reads its log in order, applies each batch of entries to
//! its in-memory state, writes the batch's rows to the store without waiting for
//! an fsync, then fans out and answers; at checkpoints it syncs the store and trims
//! the log below what the store holds.
//!
//! # Why nothing acked is lost
//! The log (JetStream, fsynced before it acks an append) is the durable record:
//! every change to a channel is an entry there before anyone is told it happened.
//! The store is its projection. Each store write carries the partition's applied
//! log position (`log_applied`) in the same atomic batch, so after a crash the
//! store holds a prefix of the log's effects and the position it reached; the owner
//! replays the log from there. Entries decide only with the partition's own state
//! and what the entry carries ([`apply`]), so the replay assigns the same seqs and
//! writes the same rows; devices that already got a replayed message drop it by seq.
//! The log is trimmed only below a position read back from the store after a sync,
//! never from memory, so a stale owner can never trim what is not durable.
//!
//! # Layout
//! - [`state`]: what the owner holds in memory and how it is filled;
//! - [`apply`]: applying entries (pure);
//! - [`rules`]: group and role rules (pure);
//! - [`changes`]: edits, deletions and reactions of earlier messages (pure);
//! - `legacy`: draining the work-queue stream of earlier versions on claim.

pub(crate) mod apply;
mod changes;
mod legacy;
#[cfg(test)]
mod replay_tests;
pub(crate) mod rules;
pub(crate) mod state;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use futures::StreamExt;
use natter_nats::{layout, subjects};
use natter_protocol::internal::{self, CursorMovesReq, LogBatch, LogEntry};
use natter_protocol::ws::ServerEvent;
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{StoreError, WriteBatch};

use crate::Worker;
use crate::records::LogApplied;
use crate::tables;
use apply::Stored;
use state::State;

/// Runs partition `p` as owner of epoch `epoch` until the task is aborted (lease lost
/// or handed over), the worker stops (then it checkpoints first), or a newer owner
/// raised the fence; restarts after any other failure.
pub(crate) async fn run(w: Arc<Worker>, p: u32, epoch: u64) {
    let _running = w.running.clone().read_owned().await;
    let mut backoff = Duration::from_millis(100);
    loop {
        match raise_fence(&w, p, epoch).await {
            Ok(true) => break,
            Ok(false) => {
                tracing::warn!(partition = p, epoch, "a newer owner holds the partition");
                return;
            }
            Err(e) => tracing::warn!(partition = p, error = %e, "fence not raised; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
    let health = format!("partition-{p}");
    let mut run = 0u64;
    loop {
        run += 1;
        match own(&w, p, epoch, run).await {
            Ok(Ended::Stopping) => {
                w.config.health.forget(&health);
                return;
            }
            Ok(Ended::LogBehindStore(why)) => {
                // Never skip or overwrite: stop this partition and say so.
                tracing::error!(partition = p, "{why}; the partition is stopped");
                metrics::counter!("natter_store_partition_log_behind_total").increment(1);
                w.config.health.set(&health, Err(why));
                return;
            }
            Err(e) => {
                tracing::warn!(partition = p, error = %e, "partition owner failed; restarting")
            }
        }
        if !matches!(fence(&w, p).await, Ok(f) if f == epoch) {
            metrics::counter!("natter_store_fenced_out_total").increment(1);
            tracing::warn!(
                partition = p,
                epoch,
                "fenced out by a newer owner; stopping"
            );
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// How an owner's run ended without an error.
enum Ended {
    /// The worker is stopping; the partition was checkpointed.
    Stopping,
    /// The store has applied entries the log does not hold (a recreated or rolled
    /// back stream).
    LogBehindStore(String),
}

/// The partition's fence: the epoch of its newest owner (0 before any).
async fn fence(w: &Worker, p: u32) -> Result<u64, StoreError> {
    Ok(tables::PARTITION_FENCE
        .get(w.store.as_ref(), &p)
        .await?
        .unwrap_or(0))
}

/// Raises the fence to `epoch`; false if a newer owner already raised it higher.
async fn raise_fence(w: &Worker, p: u32, epoch: u64) -> Result<bool, StoreError> {
    loop {
        let key = tables::PARTITION_FENCE.key(&p);
        let old = w.store.get(&key).await?;
        let current = old
            .as_deref()
            .map(|b| tables::PARTITION_FENCE.decode(b))
            .transpose()?
            .unwrap_or(0);
        if current > epoch {
            return Ok(false);
        }
        if current == epoch {
            return Ok(true);
        }
        let batch = WriteBatch::new()
            .expect(key.clone(), old)
            .put(key, tables::PARTITION_FENCE.encode(&epoch));
        match w.store.write(batch).await {
            Ok(()) => return Ok(true),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The owner of one partition, while it runs.
struct Owner<'w> {
    w: &'w Worker,
    p: u32,
    epoch: u64,
    /// The log's identity (creation time).
    log: u64,
    /// Stream sequence of the last entry applied to the store.
    applied: u64,
    /// `applied` at the last checkpoint.
    checkpointed: u64,
    /// The checkpoint running beside the owner, if any.
    checkpointing: Option<tokio::task::JoinHandle<anyhow::Result<Option<u64>>>>,
    state: State,
    /// Last stream sequence seen from the consumer: entries come in order.
    last_seen: u64,
    /// Last consumer sequence seen: without acks nothing is redelivered, so a jump
    /// means a delivery was lost in transit (a failover) and the run must restart.
    last_delivery: u64,
}

async fn own(w: &Worker, p: u32, epoch: u64, run: u64) -> anyhow::Result<Ended> {
    let stream = w.js.get_stream(layout::LOG_STREAM).await?;
    if run > 1 {
        // The last run's consumer would expire by itself; it is of no more use.
        let _ = stream
            .delete_consumer(&layout::owner_consumer_name(p, epoch, run - 1))
            .await;
    }
    let info = stream.cached_info().clone();
    let log = u64::try_from(info.created.unix_timestamp_nanos()).unwrap_or(0);
    let applied = match tables::LOG_APPLIED.get(w.store.as_ref(), &p).await? {
        Some(a) => {
            if a.log != log {
                return Ok(Ended::LogBehindStore(format!(
                    "the store applied log {} up to {}, but the log is now {log} (recreated)",
                    a.log, a.seq
                )));
            }
            a.seq
        }
        None => 0,
    };
    if info.state.last_sequence < applied {
        return Ok(Ended::LogBehindStore(format!(
            "the store applied the log up to {applied}, but the log ends at {}",
            info.state.last_sequence
        )));
    }
    legacy::drain(w, p).await?;

    let mut owner = Owner {
        w,
        p,
        epoch,
        log,
        applied,
        checkpointed: applied,
        checkpointing: None,
        state: State::new(),
        last_seen: 0,
        last_delivery: 0,
    };
    // From the oldest entry the log still holds: what is at or below `applied` was
    // applied but perhaps not fanned out before the last owner stopped.
    let consumer: PullConsumer = stream
        .create_consumer(layout::owner_consumer_config(p, epoch, run, 1))
        .await?;
    let mut batches = consumer
        .stream()
        .max_messages_per_batch(w.config.max_batch)
        .messages()
        .await?
        .ready_chunks(w.config.max_batch);
    let mut cursors = w
        .nats
        .queue_subscribe(
            subjects::partition_cursors(p),
            subjects::OWNER_QUEUE_GROUP.into(),
        )
        .await?;
    let mut stopping = w.stopping.subscribe();
    let stop = async move {
        // The guard it returns is dropped here, not held across the select.
        let _ = stopping.wait_for(|s| *s).await.is_ok();
    };
    tokio::pin!(stop);
    let mut checkpoints = tokio::time::interval(w.config.checkpoint_every);
    checkpoints.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::debug!(partition = p, applied, "owning");
    let _consuming = Consuming::start();
    loop {
        tokio::select! {
            biased;
            () = &mut stop => {
                owner.checkpoint_now().await?;
                return Ok(Ended::Stopping);
            }
            chunk = batches.next() => {
                let Some(chunk) = chunk else { anyhow::bail!("log consumer ended") };
                let msgs = chunk.into_iter().collect::<Result<Vec<_>, _>>()?;
                if w.config.fail_first_read && run == 1 {
                    anyhow::bail!("failpoint: the owner's first run fails after a read");
                }
                owner.batch(msgs).await?;
            }
            req = cursors.next() => {
                let Some(req) = req else { anyhow::bail!("cursor subscription ended") };
                owner.cursors(req).await?;
            }
            _ = checkpoints.tick() => owner.checkpoint_beside().await?,
        }
    }
}

/// Counts the owners reading their log (`natter_store_partitions_consuming`).
struct Consuming;

impl Consuming {
    fn start() -> Self {
        metrics::gauge!("natter_store_partitions_consuming").increment(1.0);
        Self
    }
}

impl Drop for Consuming {
    fn drop(&mut self) {
        metrics::gauge!("natter_store_partitions_consuming").decrement(1.0);
    }
}

/// Applies one batch of entries: gathers what they decide with, decides, writes
/// what `finish` makes of the rows as one batch, and puts the state back. The same
/// steps for the owner and for the replay test.
///
/// # Errors
/// A store read or the write failed: the state must be dropped (the owner restarts
/// from the store).
pub(crate) async fn apply_entries(
    state: &mut State,
    store: &dyn natter_store::Store,
    entries: Vec<LogEntry>,
    owns: impl Fn(u64) -> bool,
    finish: impl FnOnce(WriteBatch) -> WriteBatch,
) -> Result<apply::Applied, StoreError> {
    let mut working = state.prefetch(store, &entries).await?;
    let mut applied = apply::apply(&mut working, entries, owns);
    store
        .write(finish(std::mem::take(&mut applied.rows)))
        .await?;
    state.restore(working);
    Ok(applied)
}

/// `batch` as partition `p`'s owner of `epoch` writes it: unsynced (the log is the
/// durable record until a checkpoint) and refused unless the owner still holds the
/// partition.
fn fenced(p: u32, epoch: u64, batch: WriteBatch) -> WriteBatch {
    batch.durability(natter_store::Durability::Buffered).expect(
        tables::PARTITION_FENCE.key(&p),
        Some(tables::PARTITION_FENCE.encode(&epoch)),
    )
}

impl Owner<'_> {
    fn owns(&self, channel: u64) -> bool {
        layout::partition_of(channel, self.w.partitions) == self.p
    }

    /// Applies (or, at or below `applied`, fans out again) one batch of log messages.
    async fn batch(&mut self, msgs: Vec<async_nats::jetstream::Message>) -> anyhow::Result<()> {
        let mut fresh = Vec::new();
        let mut replayed = Vec::new();
        let mut last = self.applied;
        for m in &msgs {
            let info = m
                .info()
                .map_err(|e| anyhow::anyhow!("bad jetstream reply subject: {e}"))?;
            if info.consumer_sequence != self.last_delivery + 1 {
                anyhow::bail!(
                    "log delivery lost: consumer sequence {} after {}",
                    info.consumer_sequence,
                    self.last_delivery
                );
            }
            self.last_delivery = info.consumer_sequence;
            if info.stream_sequence <= self.last_seen {
                anyhow::bail!(
                    "log out of order: {} after {}",
                    info.stream_sequence,
                    self.last_seen
                );
            }
            self.last_seen = info.stream_sequence;
            let batch: LogBatch = match self.authenticated(m, info.stream_sequence) {
                false => LogBatch {
                    entries: Vec::new(),
                },
                true => match internal::decode(&m.payload) {
                    Ok(b) => b,
                    Err(e) => {
                        // Only edges append; an undecodable entry is a bug, not input.
                        tracing::error!(partition = self.p, seq = info.stream_sequence, error = %e, "undecodable log entry skipped");
                        metrics::counter!("natter_store_log_entries_undecodable_total")
                            .increment(1);
                        LogBatch {
                            entries: Vec::new(),
                        }
                    }
                },
            };
            if info.stream_sequence <= self.applied {
                replayed.extend(batch.entries);
            } else {
                last = info.stream_sequence;
                fresh.extend(batch.entries);
            }
        }
        if !replayed.is_empty() {
            self.fan_out_again(replayed).await?;
        }
        if last > self.applied {
            self.apply(fresh, last).await?;
        }
        Ok(())
    }

    /// Whether an append was signed by an edge (or this worker): anything else was
    /// appended with a stolen or misused NATS credential and is dropped, in a replay
    /// as in the first run (the signature is part of the log).
    fn authenticated(&self, m: &async_nats::jetstream::Message, seq: u64) -> bool {
        let mac = m
            .headers
            .as_ref()
            .and_then(|h| h.get(natter_nats::log_auth::LOG_MAC))
            .map(|v| v.as_str());
        match self.w.config.log_keys.verify(&m.subject, &m.payload, mac) {
            Ok(()) => true,
            Err(natter_nats::log_auth::Refused::Unsigned) if self.w.config.accept_unsigned_log => {
                metrics::counter!("natter_store_log_appends_unsigned_total").increment(1);
                true
            }
            Err(why) => {
                tracing::error!(
                    partition = self.p,
                    seq,
                    ?why,
                    "log append not signed by an edge; dropped"
                );
                metrics::counter!("natter_store_log_appends_refused_total").increment(1);
                false
            }
        }
    }

    async fn apply(&mut self, entries: Vec<LogEntry>, last: u64) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let (p, partitions, log, epoch) = (self.p, self.w.partitions, self.log, self.epoch);
        let applied = apply_entries(
            &mut self.state,
            self.w.owner_store.as_ref(),
            entries,
            |c| layout::partition_of(c, partitions) == p,
            |rows| {
                fenced(
                    p,
                    epoch,
                    tables::LOG_APPLIED.put(rows, &p, &LogApplied { log, seq: last }),
                )
            },
        )
        .await?;
        metrics::histogram!("natter_store_batch_write_seconds")
            .record(started.elapsed().as_secs_f64());
        self.applied = last;

        if applied.misplaced > 0 {
            tracing::error!(
                partition = self.p,
                entries = applied.misplaced,
                "log entries of another partition dropped"
            );
            metrics::counter!("natter_store_entries_misplaced_total").increment(applied.misplaced);
        }
        metrics::counter!("natter_store_messages_persisted_total")
            .increment(applied.stored.len() as u64);
        metrics::counter!("natter_store_duplicates_dropped_total").increment(applied.duplicates);
        metrics::histogram!("natter_store_batch_messages").record(applied.stored.len() as f64);

        self.state.note_senders(
            applied
                .stored
                .iter()
                .filter(|s| s.record.system.is_none())
                .map(|s| (s.channel, s.seq, s.record.sender_id)),
        );
        let progress = applied
            .read_moves
            .iter()
            .flat_map(|&(channel, reader, from, to)| {
                self.state
                    .authors(channel, reader, from, to)
                    .into_iter()
                    .map(move |author| crate::receipts::Progress {
                        channel,
                        reader,
                        author,
                        read: Some(to),
                        delivered: None,
                    })
            })
            .collect();
        crate::receipts::send(self.w, progress).await;
        crate::push_targets::enqueue(self.w, &applied.stored);
        self.w.fanout.messages(applied.stored).await;
        for (sender, cmid, err) in applied.refused {
            self.w
                .fanout
                .to_user(sender, &ServerEvent::error(err, Some(cmid)), "error")
                .await;
            metrics::counter!("natter_store_sends_refused_total").increment(1);
        }
        for (user, channel, seq) in applied.reads {
            self.w
                .fanout
                .to_user(user, &ServerEvent::Read { channel, seq }, "read")
                .await;
        }
        for cid in applied.membership {
            self.w.fanout.membership_changed(cid).await;
        }
        for (to, reply) in applied.replies {
            natter_nats::rpc::respond(&self.w.nats, to.into(), reply).await;
        }
        Ok(())
    }

    /// Fans out again what entries at or below `applied` stored: the last owner may
    /// have stopped between its write and its fan-out. Devices drop what they had.
    async fn fan_out_again(&mut self, entries: Vec<LogEntry>) -> anyhow::Result<()> {
        let store = self.w.store.as_ref();
        let mut stored: Vec<(u64, u64, Option<u64>)> = Vec::new();
        for e in &entries {
            match e {
                LogEntry::Send(s) => {
                    let key = (s.sender_id, s.client_msg_id.clone());
                    let Some(rec) = tables::DEDUPE.get(store, &key).await? else {
                        continue;
                    };
                    // Only the send that created the message, not a repeat of it.
                    if rec.message_id == s.message_id {
                        stored.push((rec.channel_id, rec.seq, Some(rec.message_id)));
                    }
                }
                LogEntry::Command(c) => {
                    let Some(rec) = tables::COMMAND.get(store, &(c.channel_id, c.id)).await? else {
                        continue;
                    };
                    if rec.last_seq > 0 {
                        for seq in rec.first_seq..=rec.last_seq {
                            stored.push((c.channel_id, seq, None));
                        }
                    }
                }
            }
        }
        let cids: Vec<u64> = {
            let mut c: Vec<u64> = stored.iter().map(|(c, _, _)| *c).collect();
            c.sort_unstable();
            c.dedup();
            c
        };
        let members: std::collections::HashMap<u64, Arc<Vec<u64>>> =
            state::load_channels(store, &cids)
                .await?
                .into_iter()
                .map(|(c, ch)| (c, Arc::new(ch.member_ids())))
                .collect();
        let mut again = Vec::with_capacity(stored.len());
        for (channel, seq, id) in stored {
            let Some(record) = tables::MESSAGE.get(store, &(channel, seq)).await? else {
                continue;
            };
            if id.is_some_and(|id| id != record.message_id) {
                continue;
            }
            let Some(audience) = members.get(&channel).cloned() else {
                continue;
            };
            let quote = match record.reply_to {
                Some(r) => tables::MESSAGE
                    .get(store, &(channel, r))
                    .await?
                    .map(|t| t.quote(r)),
                None => None,
            };
            again.push(Stored {
                channel,
                seq,
                record,
                audience,
                quote,
            });
        }
        metrics::counter!("natter_store_refanned_total").increment(again.len() as u64);
        self.w.fanout.messages(again).await;
        Ok(())
    }

    /// Moves device cursors (an edge's batch for this partition) and answers. A
    /// store failure is not answered (the edge retries) and ends this run.
    async fn cursors(&mut self, msg: async_nats::Message) -> anyhow::Result<()> {
        let mut failed = None;
        let reply = natter_nats::rpc::CURSOR_MOVES
            .answer(&msg.payload, |req| async {
                self.move_cursors(req).await.map_err(|e| {
                    failed = Some(e);
                    ApiError::new(ErrorCode::Unavailable, "cursor moves not stored")
                })
            })
            .await;
        if let Some(e) = failed {
            return Err(e);
        }
        if let Some(to) = msg.reply {
            natter_nats::rpc::respond(&self.w.nats, to, reply).await;
        }
        Ok(())
    }

    async fn move_cursors(&mut self, req: CursorMovesReq) -> anyhow::Result<()> {
        let signed = self.w.config.log_keys.verify(
            &natter_nats::rpc::CURSOR_MOVES.subject_of(self.p),
            &internal::encode(&req.moves),
            req.mac.as_deref(),
        );
        match signed {
            Ok(()) => {}
            Err(natter_nats::log_auth::Refused::Unsigned) if self.w.config.accept_unsigned_log => {}
            Err(why) => {
                tracing::error!(
                    partition = self.p,
                    ?why,
                    "cursor moves not signed by an edge; dropped"
                );
                metrics::counter!("natter_store_cursor_moves_refused_total").increment(1);
                return Ok(());
            }
        }
        let moves: Vec<_> = req
            .moves
            .into_iter()
            .filter(|(_, d, c, _)| self.owns(*c) && natter_protocol::limits::is_valid_client_id(d))
            .collect();
        let mut working = self
            .state
            .prefetch_cursors(
                self.w.owner_store.as_ref(),
                &moves,
                self.w.config.delivery_receipts,
            )
            .await?;
        let (rows, delivered) = apply::move_cursors(&mut working, moves);
        if !rows.is_empty() {
            metrics::counter!("natter_store_cursor_moves_total").increment(rows.len() as u64);
            self.w
                .owner_store
                .write(fenced(self.p, self.epoch, rows))
                .await?;
        }
        self.state.restore(working);
        // Delivery receipts: 1:1 channels only (the other side is the author).
        let delivered = if self.w.config.delivery_receipts {
            delivered
        } else {
            Vec::new()
        };
        let progress = delivered
            .into_iter()
            .flat_map(|(channel, reader, seq)| {
                let dm = self.state.is_dm(channel);
                let authors = if dm {
                    self.state.authors(channel, reader, 0, seq)
                } else {
                    Vec::new()
                };
                authors
                    .into_iter()
                    .map(move |author| crate::receipts::Progress {
                        channel,
                        reader,
                        author,
                        read: None,
                        delivered: Some(seq),
                    })
            })
            .collect();
        crate::receipts::send(self.w, progress).await;
        Ok(())
    }

    /// Starts a checkpoint beside the owner, unless one is still running: the sync
    /// and the trim take milliseconds, and entries keep being applied meanwhile
    /// (a checkpoint awaited in the owner's loop was the tail of every batch behind it).
    async fn checkpoint_beside(&mut self) -> anyhow::Result<()> {
        if let Some(task) = &self.checkpointing {
            if !task.is_finished() {
                return Ok(());
            }
            self.finish_checkpoint().await?;
        }
        if self.applied != self.checkpointed {
            let (store, js, p, log) = (self.w.store.clone(), self.w.js.clone(), self.p, self.log);
            self.checkpointing = Some(tokio::spawn(checkpoint(store, js, p, log)));
        }
        Ok(())
    }

    /// Waits for the checkpoint running beside the owner, if any.
    async fn finish_checkpoint(&mut self) -> anyhow::Result<()> {
        if let Some(task) = self.checkpointing.take()
            && let Some(seq) = task.await??
        {
            self.checkpointed = seq;
        }
        Ok(())
    }

    /// Checkpoints now (on stop): after the one running, if any.
    async fn checkpoint_now(&mut self) -> anyhow::Result<()> {
        self.finish_checkpoint().await?;
        if self.applied != self.checkpointed
            && let Some(seq) =
                checkpoint(self.w.store.clone(), self.w.js.clone(), self.p, self.log).await?
        {
            self.checkpointed = seq;
        }
        Ok(())
    }
}

/// Syncs the store and trims partition `p`'s log below what the synced store holds;
/// returns that position (none before the partition's first write).
async fn checkpoint(
    store: natter_store::SharedStore,
    js: async_nats::jetstream::Context,
    p: u32,
    log: u64,
) -> anyhow::Result<Option<u64>> {
    // Read back from the store, not from memory, before the sync: what the sync
    // makes durable.
    let Some(applied) = tables::LOG_APPLIED.get(store.as_ref(), &p).await? else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    store.sync().await?;
    if applied.log == log && applied.seq > 0 {
        js.get_stream(layout::LOG_STREAM)
            .await?
            .purge()
            .filter(subjects::partition_log(p))
            .sequence(applied.seq + 1)
            .await?;
    }
    metrics::histogram!("natter_store_checkpoint_seconds").record(started.elapsed().as_secs_f64());
    Ok(Some(applied.seq))
}
