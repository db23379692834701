//! The media worker (`natter media-worker`): takes jobs from the MEDIA work queue,
//! processes each uploaded image or audio file ([`crate::process`]), stores the
//! results, and has an edge announce them in the upload's channel. A job is acked
//! only after all of that, so a worker killed mid-job loses nothing: JetStream gives
//! the job to another after the consumer's ack wait.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use futures::StreamExt;
use natter_nats::layout::{self, LayoutConfig};
use natter_protocol::internal::{MediaJob, MediaProcessedReq};

use crate::Media;

/// Jobs processed at once (each may hold a decoded image in memory).
const JOBS_IN_FLIGHT: usize = 2;

/// How a media worker collects what no message needs.
#[derive(Debug, Clone)]
pub struct MediaWorkerConfig {
    /// How often it sweeps the store.
    pub sweep_every: Duration,
    /// How long after its upload (its last write) an attachment no message carries
    /// is collected; longer than the edges' upload TTL, within which a file may still
    /// be sent.
    pub orphan_grace: Duration,
}

impl Default for MediaWorkerConfig {
    fn default() -> Self {
        Self {
            sweep_every: Duration::from_secs(3600),
            orphan_grace: Duration::from_secs(48 * 3600),
        }
    }
}

/// Runs a media worker until `shutdown` completes.
///
/// # Errors
/// The NATS layout cannot be set up.
pub async fn run(
    media: Arc<Media>,
    config: MediaWorkerConfig,
    layout_config: LayoutConfig,
    nats: async_nats::Client,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let js = jetstream::new(nats.clone());
    layout::ensure_patiently(&js, &layout_config, layout::STARTUP_PATIENCE).await?;
    tracing::info!("media worker running");
    tokio::select! {
        _ = shutdown => Ok(()),
        r = consume(&js, &nats, &media) => r,
        () = sweep(&nats, &media, &config) => Ok(()),
    }
}

/// Collects, every `sweep_every`, the attachments no message carries (deleted, or
/// never sent) and the uploads in parts never completed.
async fn sweep(nats: &async_nats::Client, media: &Arc<Media>, config: &MediaWorkerConfig) {
    let mut every = tokio::time::interval(config.sweep_every);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let held = |ids: Vec<u64>| async move {
            natter_nats::rpc::ATTACHMENT_REFS
                .call(nats, &natter_protocol::internal::AttachmentRefsReq { ids })
                .await
        };
        let now = natter_protocol::now_ms();
        match media.sweep(now, config.orphan_grace, held).await {
            Ok((0, 0)) => {}
            Ok((attachments, uploads)) => {
                metrics::counter!("natter_media_collected_total").increment(attachments as u64);
                tracing::info!(attachments, uploads, "media collected");
            }
            Err(e) => tracing::warn!(error = %e, "media sweep failed: next time"),
        }
        let cutoff = now.saturating_sub(crate::exports::EXPORT_KEPT.as_millis() as u64);
        match media.sweep_exports(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(exports = n, "old exports collected"),
            Err(e) => tracing::warn!(error = %e, "export sweep failed: next time"),
        }
    }
}

async fn consume(
    js: &jetstream::Context,
    nats: &async_nats::Client,
    media: &Arc<Media>,
) -> anyhow::Result<()> {
    loop {
        let stream = js.get_stream(layout::MEDIA_STREAM).await?;
        let consumer: jetstream::consumer::PullConsumer = stream
            .get_or_create_consumer(layout::MEDIA_CONSUMER, layout::media_consumer_config())
            .await?;
        let messages = consumer.messages().await?;
        messages
            .take_while(|msg| {
                if let Err(e) = msg {
                    tracing::warn!(error = %e, "media consumer error");
                }
                std::future::ready(msg.is_ok())
            })
            .filter_map(|msg| std::future::ready(msg.ok()))
            .for_each_concurrent(JOBS_IN_FLIGHT, |msg| handle(nats, media, msg))
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn handle(nats: &async_nats::Client, media: &Arc<Media>, msg: jetstream::Message) {
    let Ok(job) = natter_protocol::internal::decode::<MediaJob>(&msg.payload) else {
        tracing::warn!("media job that does not decode: dropped");
        let _ = msg.ack_with(AckKind::Term).await;
        return;
    };
    // A long job tells the server it is alive, so that the consumer's ack wait can
    // be short: a killed worker's job goes to another within seconds.
    let work = process_job(nats, media, job.attachment_id);
    tokio::pin!(work);
    let mut working = tokio::time::interval(layout::MEDIA_ACK_WAIT / 4);
    working.tick().await;
    let done = loop {
        tokio::select! {
            done = &mut work => break done,
            _ = working.tick() => {
                let _ = msg.ack_with(AckKind::Progress).await;
            }
        }
    };
    match done {
        Ok(()) => {
            let _ = msg.ack().await;
        }
        Err(e) => {
            tracing::warn!(id = job.attachment_id, error = %e, "media job failed: retried later");
            let _ = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                .await;
        }
    }
}

/// Processes one attachment (again, if a crash interrupted it after the files were
/// stored: every step is a rewrite of the same result) and announces it.
async fn process_job(
    nats: &async_nats::Client,
    media: &Arc<Media>,
    id: u64,
) -> Result<(), natter_protocol::ApiError> {
    let Some(mut stored) = media.stored(id).await? else {
        // Deleted meanwhile: nothing to do.
        return Ok(());
    };
    if !stored.attachment.processed {
        let bytes = media.bytes(id).await?;
        let attachment = stored.attachment.clone();
        let done = tokio::task::spawn_blocking(move || crate::process::process(&attachment, bytes))
            .await
            .map_err(|e| {
                natter_protocol::ApiError::new(
                    natter_protocol::ErrorCode::Internal,
                    format!("processing panicked: {e}"),
                )
            })?;
        stored.attachment = done.attachment;
        media
            .store_processed(&stored, done.original, done.thumbnail)
            .await?;
        metrics::counter!("natter_media_processed_total").increment(1);
    }
    let req = MediaProcessedReq {
        uploader: stored.uploader,
        channel_id: stored.channel,
        attachment: stored.attachment,
    };
    match natter_nats::rpc::MEDIA_PROCESSED.call(nats, &req).await {
        Ok(_) => Ok(()),
        // The uploader left the channel (or it is gone): nobody to tell.
        Err(e) if !e.code.retryable() => {
            tracing::info!(id, error = %e, "processed attachment not announced");
            Ok(())
        }
        Err(e) => Err(e),
    }
}
