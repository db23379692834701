//! Group commit onto the partition log.
//!
//! One task per partition owns a queue of accepted entries (sends, channel
//! commands). While its previous append is in flight, entries accumulate; the next
//! append carries all of them (up to a count and byte budget) as one JetStream
//! message, so one fsync on the server covers many entries. An entry counts as
//! accepted (a send is acked to its client) only after JetStream's publish ack for
//! the message that carries it. One append in flight per partition keeps each
//! partition's entries in the order they were accepted, retries included; the
//! partitions' appends run side by side, which lets the server share its fsyncs
//! between them (measured in docs/performance.md against one append in flight per
//! stream, a stream per partition, and atomic or fast-ingest batches). Each append
//! is signed ([`natter_nats::log_auth`]): owners drop what no edge signed.

use std::time::Duration;

use bytes::Bytes;
use natter_nats::log_auth::LogKeys;
use natter_nats::{layout, subjects};
use natter_protocol::internal::{self, LogBatch, LogEntry};
use natter_protocol::{ApiError, ErrorCode};
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most entries in one JetStream message.
const MAX_BATCH_ENTRIES: usize = 512;
/// Byte budget of one JetStream message (the stream allows 8 MiB; stay well below).
const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;
/// Publish attempts before the sends fail with `unavailable`.
const PUBLISH_ATTEMPTS: u32 = 5;

struct Pending {
    entry: LogEntry,
    done: oneshot::Sender<Result<(), ApiError>>,
}

/// Bytes an entry adds to a batch, roughly (its text dominates).
fn weight(entry: &LogEntry) -> usize {
    match entry {
        LogEntry::Send(s) => s.text.len() + 64,
        LogEntry::Command(_) => 256,
    }
}

/// Appends entries to the log, batched per partition.
#[derive(Clone)]
pub struct Publisher {
    queues: Vec<mpsc::Sender<Pending>>,
}

impl Publisher {
    /// Starts one batching task per partition; at most `in_flight` appends (of any
    /// partitions) wait for JetStream at once, the partition waiting longest first.
    /// Each append is signed with `keys` (the owner drops unsigned ones).
    pub fn start(
        js: async_nats::jetstream::Context,
        partitions: u32,
        in_flight: usize,
        keys: LogKeys,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(in_flight.max(1)));
        let keys = Arc::new(keys);
        let queues = (0..partitions)
            .map(|p| {
                let (tx, rx) = mpsc::channel(8 * MAX_BATCH_ENTRIES);
                tokio::spawn(run_partition(
                    js.clone(),
                    p,
                    rx,
                    slots.clone(),
                    keys.clone(),
                ));
                tx
            })
            .collect();
        Self { queues }
    }

    /// Queues one entry (entries queued by one caller keep their order); the returned
    /// receiver resolves once it is durable in JetStream, or with `unavailable` when
    /// JetStream did not ack after retries.
    ///
    /// # Errors
    /// `unavailable` when the partition's task is gone.
    pub async fn submit(
        &self,
        entry: LogEntry,
    ) -> Result<oneshot::Receiver<Result<(), ApiError>>, ApiError> {
        let p = layout::partition_of(entry.channel_id(), self.queues.len() as u32) as usize;
        let (done, wait) = oneshot::channel();
        self.queues[p]
            .send(Pending { entry, done })
            .await
            .map_err(|_| unavailable())?;
        Ok(wait)
    }
}

fn unavailable() -> ApiError {
    ApiError::new(ErrorCode::Unavailable, "message queue unavailable, retry")
}

async fn run_partition(
    js: async_nats::jetstream::Context,
    p: u32,
    mut rx: mpsc::Receiver<Pending>,
    slots: Arc<Semaphore>,
    keys: Arc<LogKeys>,
) {
    while let Some(first) = rx.recv().await {
        // What arrives while this partition waits for a slot joins its append.
        let Ok(_slot) = slots.acquire().await else {
            return;
        };
        let mut bytes = weight(&first.entry);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_ENTRIES && bytes < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(next) => {
                    bytes += weight(&next.entry);
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let (entries, waiters): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|p| (p.entry, p.done)).unzip();
        let started = std::time::Instant::now();
        let result = publish_batch(&js, &keys, p, entries).await;
        metrics::histogram!("natter_edge_publish_ack_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::histogram!("natter_edge_publish_batch_sends").record(waiters.len() as f64);
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}

async fn publish_batch(
    js: &async_nats::jetstream::Context,
    keys: &LogKeys,
    p: u32,
    entries: Vec<LogEntry>,
) -> Result<(), ApiError> {
    let channel = entries[0].channel_id();
    let subject = if entries.iter().all(|e| e.channel_id() == channel) {
        subjects::channel_log(p, channel)
    } else {
        subjects::partition_log_multi(p)
    };
    // The first entry's id (from idgen) is unique to this batch: JetStream drops our
    // own retries.
    let msg_id = match &entries[0] {
        LogEntry::Send(s) => s.message_id,
        LogEntry::Command(c) => c.id,
    }
    .to_string();
    let payload = Bytes::from(internal::encode(&LogBatch { entries }));
    let headers = keys.append_headers(&subject, &payload);
    let mut backoff = Duration::from_millis(100);
    for attempt in 1..=PUBLISH_ATTEMPTS {
        let publish = async_nats::jetstream::message::PublishMessage::build()
            .payload(payload.clone())
            .headers(headers.clone())
            .message_id(&msg_id);
        let outcome = match js.send_publish(subject.clone(), publish).await {
            Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(()) => return Ok(()),
            Err(e) => {
                tracing::warn!(partition = p, attempt, error = %e, "stream publish failed");
                if attempt < PUBLISH_ATTEMPTS {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
    }
    Err(unavailable())
}
