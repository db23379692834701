//! Group commit onto the message stream.
//!
//! One task per partition owns a queue of accepted sends. While its previous publish
//! is in flight, sends accumulate; the next publish carries all of them (up to a
//! count and byte budget) as one JetStream message, so one fsync on the server
//! covers many sends. A send is acked to its client only after JetStream's publish
//! ack for the message that carries it.

use std::time::Duration;

use bytes::Bytes;
use natter_nats::{headers as h, layout, subjects};
use natter_protocol::internal::{self, SendBatch, StreamSend};
use natter_protocol::{ApiError, ErrorCode};
use tokio::sync::{mpsc, oneshot};

/// Most sends in one JetStream message.
const MAX_BATCH_SENDS: usize = 512;
/// Byte budget of one JetStream message (the stream allows 8 MiB; stay well below).
const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;
/// Publish attempts before the sends fail with `unavailable`.
const PUBLISH_ATTEMPTS: u32 = 5;

struct Pending {
    send: StreamSend,
    done: oneshot::Sender<Result<(), ApiError>>,
}

/// Submits sends to the stream, batched per partition.
#[derive(Clone)]
pub struct Publisher {
    queues: Vec<mpsc::Sender<Pending>>,
}

impl Publisher {
    /// Starts one batching task per partition.
    pub fn start(js: async_nats::jetstream::Context, partitions: u32) -> Self {
        let queues = (0..partitions)
            .map(|p| {
                let (tx, rx) = mpsc::channel(8 * MAX_BATCH_SENDS);
                tokio::spawn(run_partition(js.clone(), p, rx));
                tx
            })
            .collect();
        Self { queues }
    }

    /// Queues one send (sends queued by one caller keep their order); the returned
    /// receiver resolves once it is durable in JetStream, or with `unavailable` when
    /// JetStream did not ack after retries.
    ///
    /// # Errors
    /// `unavailable` when the partition's task is gone.
    pub async fn submit(
        &self,
        send: StreamSend,
    ) -> Result<oneshot::Receiver<Result<(), ApiError>>, ApiError> {
        let p = layout::partition_of(send.channel_id, self.queues.len() as u32) as usize;
        let (done, wait) = oneshot::channel();
        self.queues[p]
            .send(Pending { send, done })
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
) {
    while let Some(first) = rx.recv().await {
        let mut bytes = first.send.text.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_SENDS && bytes < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(next) => {
                    bytes += next.send.text.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let (sends, waiters): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|p| (p.send, p.done)).unzip();
        let started = std::time::Instant::now();
        let result = publish_batch(&js, p, sends).await;
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
    p: u32,
    sends: Vec<StreamSend>,
) -> Result<(), ApiError> {
    let first = &sends[0];
    let subject = if sends.iter().all(|s| s.channel_id == first.channel_id) {
        subjects::channel_messages(p, first.channel_id)
    } else {
        subjects::partition_multi(p)
    };
    // The first message id is unique to this batch: JetStream drops our own retries.
    let msg_id = first.message_id.to_string();
    let payload = Bytes::from(internal::encode(&SendBatch { sends }));
    let mut backoff = Duration::from_millis(100);
    for attempt in 1..=PUBLISH_ATTEMPTS {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(h::CONTENT_TYPE, h::MSGPACK);
        let publish = async_nats::jetstream::message::PublishMessage::build()
            .payload(payload.clone())
            .headers(headers)
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
