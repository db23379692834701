//! One task per partition: consume the partition's batches in order, drop duplicate
//! sends, assign seqs, write one atomic synced store batch, fan out, then ack.
//!
//! Exactly-once application rests on one key per partition, `partition_applied`,
//! written in the same atomic batch as the messages: the stream sequence of the last
//! JetStream message applied. A message redelivered after a crash (persisted but not
//! acked) has a sequence at or below it and is fanned out again instead of stored
//! again; edges and clients suppress the repeat by seq.
//!
//! The same task applies the partition's channel commands (`cmd.<p>`: group changes,
//! read seqs) between batches, so one writer assigns every seq of its channels and
//! changes their membership: a send is checked against the membership of the moment
//! it is applied, and a membership event lands at one place in the channel's order.
//!
//! In-order consumption after a restart: unacked messages of an existing consumer
//! would only be redelivered after `ack_wait`, behind newer ones. So each (re)start
//! deletes the partition's consumer and creates it afresh; the work-queue stream keeps
//! every unacked message, and the new consumer delivers them oldest first.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use natter_nats::{layout, subjects};
use natter_protocol::internal::{self, SendBatch, StreamSend};
use natter_protocol::ws::ServerEvent;
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{StoreError, WriteBatch, keys, value};

use crate::Worker;
use crate::records::{DedupeRecord, MessageRecord};

/// Runs partition `p` as owner of epoch `epoch` until the task is aborted (lease
/// lost or handed over) or a newer owner has raised the fence; restarts the consumer
/// after any other failure.
pub(crate) async fn run_partition(w: Arc<Worker>, p: u32, epoch: u64) {
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
    loop {
        match consume(&w, p, epoch).await {
            Ok(()) => tracing::warn!(partition = p, "partition stream ended; restarting"),
            Err(e) => {
                tracing::warn!(partition = p, error = %e, "partition consumer failed; restarting")
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

/// The partition's fence: the epoch of its newest owner (0 before any).
async fn fence(w: &Worker, p: u32) -> Result<u64, StoreError> {
    match w.store.get(&keys::partition_fence(p)).await? {
        Some(b) => value::decode(&b),
        None => Ok(0),
    }
}

/// Raises the fence to `epoch`; false if a newer owner already raised it higher.
async fn raise_fence(w: &Worker, p: u32, epoch: u64) -> Result<bool, StoreError> {
    loop {
        let key = keys::partition_fence(p);
        let old = w.store.get(&key).await?;
        let current: u64 = old.as_deref().map(value::decode).transpose()?.unwrap_or(0);
        if current > epoch {
            return Ok(false);
        }
        if current == epoch {
            return Ok(true);
        }
        let batch = WriteBatch::new()
            .expect(key.clone(), old)
            .put(key, value::encode(&epoch));
        match w.store.write(batch).await {
            Ok(()) => return Ok(true),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
}

pub(crate) struct Partition {
    pub(crate) p: u32,
    /// This owner's epoch: every write is conditional on the fence still being it.
    epoch: u64,
    /// Stream sequence of the last JetStream message whose sends are in the store.
    applied: u64,
    /// Head seq per channel; this task is the only writer of its channels' heads.
    heads: quick_cache::unsync::Cache<u64, u64>,
    /// Last consumer sequence seen: a jump means a delivery was lost in transit.
    last_delivery: u64,
}

impl Partition {
    /// `batch`, refused by the store unless this owner still holds the partition.
    pub(crate) fn fenced(&self, w: &Worker, batch: WriteBatch) -> WriteBatch {
        batch.durability(w.config.durability).expect(
            keys::partition_fence(self.p),
            Some(value::encode(&self.epoch)),
        )
    }

    /// Head seqs of `channels`, from the cache or the store.
    pub(crate) async fn heads_of(
        &mut self,
        w: &Worker,
        channels: impl IntoIterator<Item = u64>,
    ) -> Result<HashMap<u64, u64>, StoreError> {
        let mut heads: HashMap<u64, u64> = HashMap::new();
        let mut missing: Vec<u64> = Vec::new();
        for c in channels {
            if let Some(h) = self.heads.get(&c) {
                heads.insert(c, *h);
            } else if !missing.contains(&c) {
                missing.push(c);
            }
        }
        if !missing.is_empty() {
            let keys: Vec<Vec<u8>> = missing.iter().map(|c| keys::channel_head(*c)).collect();
            for (c, v) in missing.iter().zip(w.store.batch_get(&keys).await?) {
                let h = v.map(|b| value::decode::<u64>(&b)).transpose()?;
                heads.insert(*c, h.unwrap_or(0));
            }
        }
        Ok(heads)
    }

    /// Records heads after the write that moved them.
    pub(crate) fn set_heads(&mut self, heads: impl IntoIterator<Item = (u64, u64)>) {
        for (c, h) in heads {
            self.heads.insert(c, h);
        }
    }
}

/// Writes a batch, retrying while the store says a retry may succeed.
pub(crate) async fn write_retrying(
    w: &Worker,
    p: u32,
    batch: WriteBatch,
) -> Result<(), StoreError> {
    let mut backoff = Duration::from_millis(50);
    loop {
        match w.store.write(batch.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if e.retryable() => {
                tracing::warn!(partition = p, error = %e, "store write failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e),
        }
    }
}

async fn consume(w: &Worker, p: u32, epoch: u64) -> anyhow::Result<()> {
    let stream = w.js.get_stream(layout::MESSAGE_STREAM).await?;
    let name = layout::partition_consumer_name(p);
    // Not found is fine: first start.
    let _ = stream.delete_consumer(&name).await;
    let consumer: async_nats::jetstream::consumer::PullConsumer = stream
        .create_consumer(layout::partition_consumer_config(p))
        .await?;
    let applied = match w.store.get(&keys::partition_applied(p)).await? {
        Some(b) => value::decode(&b)?,
        None => 0,
    };
    let mut part = Partition {
        p,
        epoch,
        applied,
        heads: quick_cache::unsync::Cache::new(100_000),
        last_delivery: 0,
    };
    tracing::debug!(partition = p, applied, "consuming");
    let mut commands = w
        .nats
        .queue_subscribe(
            subjects::partition_commands(p),
            subjects::COMMAND_QUEUE_GROUP.into(),
        )
        .await?;
    let mut batches = consumer
        .stream()
        .max_messages_per_batch(w.config.max_batch)
        .messages()
        .await?
        .ready_chunks(w.config.max_batch);
    loop {
        tokio::select! {
            chunk = batches.next() => {
                let Some(chunk) = chunk else { return Ok(()) };
                let msgs = chunk.into_iter().collect::<Result<Vec<_>, _>>()?;
                apply(w, &mut part, msgs).await?;
            }
            cmd = commands.next() => {
                let Some(cmd) = cmd else { return Ok(()) };
                crate::groups::serve_command(w, &mut part, cmd).await;
            }
        }
    }
}

async fn apply(
    w: &Worker,
    part: &mut Partition,
    msgs: Vec<async_nats::jetstream::Message>,
) -> anyhow::Result<()> {
    let mut fresh: Vec<StreamSend> = Vec::new();
    let mut replayed: Vec<StreamSend> = Vec::new();
    let mut last_seq = part.applied;
    for m in &msgs {
        let info = m
            .info()
            .map_err(|e| anyhow::anyhow!("bad jetstream reply subject: {e}"))?;
        if part.last_delivery != 0 && info.consumer_sequence != part.last_delivery + 1 {
            anyhow::bail!(
                "delivery gap: {} after {}",
                info.consumer_sequence,
                part.last_delivery
            );
        }
        part.last_delivery = info.consumer_sequence;
        let batch: SendBatch = internal::decode(&m.payload).unwrap_or_else(|e| {
            // Only edges publish here; an undecodable batch is a bug, not input.
            tracing::error!(partition = part.p, seq = info.stream_sequence, error = %e, "undecodable batch skipped");
            SendBatch { sends: Vec::new() }
        });
        if info.stream_sequence <= part.applied {
            replayed.extend(batch.sends);
        } else {
            last_seq = last_seq.max(info.stream_sequence);
            fresh.extend(batch.sends);
        }
    }

    let (stored, members) = if last_seq > part.applied {
        persist(w, part, fresh, last_seq).await?
    } else {
        Default::default()
    };
    // Replayed batches are older than fresh ones: fan them out first, or an edge's
    // per-socket seq filter would drop them as already seen.
    if !replayed.is_empty() {
        refanout(w, replayed).await?;
    }
    if !stored.is_empty() {
        crate::push::enqueue(w, part.p, part.applied, &stored, &members);
    }
    // Every stored message's channel is in `members` (checked before storing).
    let events = stored
        .into_iter()
        .map(|(channel, seq, record)| {
            let to = members.get(&channel).cloned().unwrap_or_default();
            (record.into_event(channel, seq), to)
        })
        .collect();
    w.fanout.messages(events).await;
    for m in &msgs {
        // A lost ack only means a redelivery, which `applied` recognizes.
        if let Err(e) = m.ack().await {
            tracing::warn!(error = %e, "ack failed");
        }
    }
    Ok(())
}

/// The new messages of a batch as (channel, seq, record), and the members of their
/// channels, looked up once per channel and batch.
type Stored = (Vec<(u64, u64, MessageRecord)>, HashMap<u64, Arc<Vec<u64>>>);

/// Writes the fresh sends of one consumed batch; returns the new messages (the texts
/// move through, never copied) and their channels' members.
async fn persist(
    w: &Worker,
    part: &mut Partition,
    sends: Vec<StreamSend>,
    last_seq: u64,
) -> Result<Stored, StoreError> {
    // Duplicates: stored earlier (the dedupe table outlives JetStream's window) or
    // repeated inside this batch.
    let dedupe_keys: Vec<Vec<u8>> = sends
        .iter()
        .map(|s| keys::dedupe(s.sender_id, &s.client_msg_id))
        .collect();
    let seen_before = w.store.batch_get(&dedupe_keys).await?;
    let mut seen_now: HashSet<(u64, &str)> = HashSet::new();
    let mut keep = vec![false; sends.len()];
    for (i, s) in sends.iter().enumerate() {
        keep[i] =
            seen_before[i].is_none() && seen_now.insert((s.sender_id, s.client_msg_id.as_str()));
    }
    let dropped = keep.iter().filter(|k| !**k).count();

    // Membership as of now: a send accepted by an edge just before its author was
    // removed is refused here, and the author's devices are told.
    let mut refused = Vec::new();
    let mut members: HashMap<u64, Arc<Vec<u64>>> = HashMap::new();
    for (i, s) in sends.iter().enumerate() {
        if keep[i] {
            let in_channel = match members.entry(s.channel_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(w.fanout.members(s.channel_id).await?)
                }
            };
            if in_channel.binary_search(&s.sender_id).is_err() {
                keep[i] = false;
                refused.push((s.sender_id, s.client_msg_id.clone()));
            }
        }
    }

    let mut heads = part.heads_of(w, sends.iter().map(|s| s.channel_id)).await?;
    let mut batch = WriteBatch::new();
    let mut out = Vec::with_capacity(sends.len() - dropped);
    // Sending reads the channel up to one's own message.
    let mut read: HashMap<(u64, u64), u64> = HashMap::new();
    for (s, k) in sends.into_iter().zip(keep) {
        if !k {
            continue;
        }
        let head = heads.entry(s.channel_id).or_insert(0);
        *head += 1;
        let seq = *head;
        batch = batch.put(
            keys::dedupe(s.sender_id, &s.client_msg_id),
            value::encode(&DedupeRecord {
                channel_id: s.channel_id,
                seq,
                message_id: s.message_id,
            }),
        );
        let channel = s.channel_id;
        let record = MessageRecord {
            message_id: s.message_id,
            sender_id: s.sender_id,
            client_msg_id: s.client_msg_id,
            text: s.text,
            sent_at_ms: s.sent_at_ms,
            system: None,
        };
        read.insert((s.sender_id, channel), seq);
        batch = batch.put(keys::message(channel, seq), value::encode(&record));
        out.push((channel, seq, record));
    }
    for ((uid, c), seq) in read {
        batch = batch.put(keys::read_seq(uid, c), value::encode(&seq));
    }
    for (c, h) in &heads {
        batch = batch.put(keys::channel_head(*c), value::encode(h));
    }
    batch = batch.put(keys::partition_applied(part.p), value::encode(&last_seq));

    let started = std::time::Instant::now();
    write_retrying(w, part.p, part.fenced(w, batch)).await?;
    metrics::histogram!("natter_store_batch_write_seconds").record(started.elapsed().as_secs_f64());
    part.set_heads(heads);
    part.applied = last_seq;
    for (sender, cmid) in refused {
        let err = ApiError::new(
            ErrorCode::NotAMember,
            "you are no longer a member of this channel",
        );
        w.fanout
            .to_user(sender, &ServerEvent::error(err, Some(cmid)), "error")
            .await;
        metrics::counter!("natter_store_sends_refused_total").increment(1);
    }
    metrics::counter!("natter_store_messages_persisted_total").increment(out.len() as u64);
    metrics::counter!("natter_store_duplicates_dropped_total").increment(dropped as u64);
    metrics::histogram!("natter_store_batch_messages").record(out.len() as f64);
    Ok((out, members))
}

/// Fans out again the messages of batches that were persisted but not acked before
/// a restart (their fan-out may not have happened).
async fn refanout(w: &Worker, sends: Vec<StreamSend>) -> Result<(), StoreError> {
    let dedupe_keys: Vec<Vec<u8>> = sends
        .iter()
        .map(|s| keys::dedupe(s.sender_id, &s.client_msg_id))
        .collect();
    for (s, rec) in sends.iter().zip(w.store.batch_get(&dedupe_keys).await?) {
        let Some(rec) = rec else { continue };
        let rec: DedupeRecord = value::decode(&rec)?;
        // Only the send that created the message is fanned out, not a retried copy.
        if rec.message_id != s.message_id {
            continue;
        }
        if let Some(m) = w.store.get(&keys::message(rec.channel_id, rec.seq)).await? {
            let m: MessageRecord = value::decode(&m)?;
            w.fanout
                .message(m.into_event(rec.channel_id, rec.seq))
                .await?;
        }
    }
    Ok(())
}
