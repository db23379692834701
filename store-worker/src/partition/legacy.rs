//! Moving what an earlier version left in its work-queue stream (`MSGS`) into the log.
//!
//! Earlier versions appended sends to `MSGS` and applied them from a durable
//! consumer per partition, remembering the last applied stream sequence in
//! `partition_applied`. On claiming a partition the owner moves every unacked batch
//! of that partition above that position into the log (as a log batch, with a
//! `Nats-Msg-Id` per batch so a repeat within JetStream's window is dropped), and
//! acks it, which deletes it from the work queue. The batch is appended before the
//! ack, so a crash in between appends it again at worst, and the owner drops the
//! repeated sends by (sender, client_msg_id). The stream itself is left in place
//! (empty) for the operator to remove once no edge of an earlier version runs.

use std::time::Duration;

use crate::tables;
use async_nats::jetstream::consumer::PullConsumer;
use futures::StreamExt;
use natter_nats::{layout, subjects};
use natter_protocol::internal::{self, LogBatch, LogEntry, SendBatch};

use crate::Worker;

/// Moves partition `p`'s unapplied batches from `MSGS` into the log.
///
/// # Errors
/// A JetStream or store call failed; the next claim tries again.
pub(super) async fn drain(w: &Worker, p: u32) -> anyhow::Result<()> {
    let Ok(stream) = w.js.get_stream(layout::LEGACY_MESSAGE_STREAM).await else {
        return Ok(());
    };
    let name = layout::legacy_partition_consumer_name(p);
    // Recreated so that unacked batches come first, oldest first.
    let _ = stream.delete_consumer(&name).await;
    let consumer: PullConsumer = stream
        .create_consumer(layout::legacy_drain_consumer_config(p))
        .await?;
    if consumer.cached_info().num_pending == 0 {
        let _ = stream.delete_consumer(&name).await;
        return Ok(());
    }
    let applied = tables::LEGACY_PARTITION_APPLIED
        .get(w.store.as_ref(), &p)
        .await?
        .unwrap_or(0);
    let mut moved = 0u64;
    loop {
        let mut batch = consumer
            .fetch()
            .max_messages(256)
            .expires(Duration::from_secs(1))
            .messages()
            .await?;
        let mut any = false;
        while let Some(m) = batch.next().await {
            let m = m.map_err(|e| anyhow::anyhow!("{e}"))?;
            any = true;
            let info = m
                .info()
                .map_err(|e| anyhow::anyhow!("bad jetstream reply subject: {e}"))?;
            let seq = info.stream_sequence;
            if seq > applied
                && let Ok(old) = internal::decode::<SendBatch>(&m.payload)
                && !old.sends.is_empty()
            {
                let entries: Vec<LogEntry> = old.sends.into_iter().map(LogEntry::Send).collect();
                let subject = subjects::partition_log_multi(p);
                let payload = internal::encode(&LogBatch { entries });
                let headers = w.config.log_keys.append_headers(&subject, &payload);
                let publish = async_nats::jetstream::message::PublishMessage::build()
                    .payload(payload.into())
                    .headers(headers)
                    .message_id(format!("msgs-{seq}"));
                w.js.send_publish(subject, publish).await?.await?;
                moved += 1;
            }
            m.double_ack()
                .await
                .map_err(|e| anyhow::anyhow!("ack: {e}"))?;
        }
        if !any {
            break;
        }
    }
    let _ = stream.delete_consumer(&name).await;
    tracing::info!(
        partition = p,
        batches = moved,
        "moved the earlier work-queue stream's batches into the log"
    );
    Ok(())
}
