//! The push worker: turns push jobs into notifications for members with no online
//! device.
//!
//! Store workers queue [`PushBatch`]es on the `PUSH` work-queue stream for recipients
//! they know to be offline (gathered over a few milliseconds). Push workers share
//! one durable consumer. A job already handled (user, channel, seq) is dropped, so a
//! job queued twice (a replayed log) goes out once. For each batch a worker asks
//! the presence watchers who is online (online users get nothing), asks a store
//! worker for the offline members' push devices (muted channels left out) and the
//! names to show, collapses bursts (at most one push per device and channel per
//! interval), and sends through [`Providers`], retrying transient failures with
//! exponential backoff. A token the provider calls unregistered is removed; a push
//! still failing after the last attempt, and a batch that cannot be decoded or keeps
//! failing, go to `push.dead.<platform>` as JSON.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use bytes::Bytes;
use futures::StreamExt;
use natter_nats::layout::{self, LayoutConfig};
use natter_nats::{rpc, subjects};
use natter_protocol::http::PushPlatform;
use natter_protocol::internal::{
    self, DevicePushReq, PresenceQuery, PushBatch, PushDevice, PushJob, PushTargetsReq,
};

use crate::{Providers, PushConfig, PushError, PushMessage};

/// What a push worker needs besides its NATS connection.
#[derive(Debug, Clone)]
pub struct PushWorkerConfig {
    /// The providers.
    pub providers: PushConfig,
    /// The layout to create if missing.
    pub layout: LayoutConfig,
    /// At most one push per device and channel per this interval.
    pub collapse: Duration,
    /// Attempts of one push before it goes to the dead-letter subject.
    pub max_attempts: u32,
    /// Deliveries of one job batch before it goes to the dead-letter subject.
    pub max_deliveries: i64,
}

impl Default for PushWorkerConfig {
    fn default() -> Self {
        Self {
            providers: PushConfig::default(),
            layout: LayoutConfig::default(),
            collapse: Duration::from_secs(30),
            max_attempts: 4,
            max_deliveries: 4,
        }
    }
}

/// Runs a push worker until `shutdown` completes.
///
/// # Errors
/// Fails if the providers are misconfigured or the NATS layout cannot be set up.
pub async fn run(
    config: PushWorkerConfig,
    nats: async_nats::Client,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let providers = Providers::new(&config.providers).map_err(|e| anyhow::anyhow!("{e}"))?;
    let js = jetstream::new(nats.clone());
    let layout = layout::ensure_patiently(&js, &config.layout, layout::STARTUP_PATIENCE).await?;
    let worker = Worker {
        nats,
        providers,
        presence_shards: layout.presence_shards,
        collapsed: Mutex::default(),
        handled: Mutex::default(),
        config,
    };
    tracing::info!("push worker running");
    tokio::select! {
        _ = shutdown => Ok(()),
        r = worker.consume(&js) => r,
    }
}

struct Worker {
    nats: async_nats::Client,
    providers: Providers,
    presence_shards: u32,
    /// Last push per (user, device, channel).
    collapsed: Mutex<HashMap<(u64, String, u64), Instant>>,
    /// (user, channel, seq) of jobs handled lately: a job queued again (a replayed
    /// log, a redelivered batch) is not sent twice.
    handled: Mutex<Handled>,
    config: PushWorkerConfig,
}

/// Recently handled (user, channel, seq), oldest dropped first.
#[derive(Default)]
struct Handled {
    seen: std::collections::HashSet<(u64, u64, u64)>,
    order: std::collections::VecDeque<(u64, u64, u64)>,
}

impl Handled {
    /// Most remembered.
    const MAX: usize = 200_000;

    fn insert(&mut self, key: (u64, u64, u64)) {
        if self.seen.insert(key) {
            self.order.push_back(key);
            if self.order.len() > Self::MAX
                && let Some(old) = self.order.pop_front()
            {
                self.seen.remove(&old);
            }
        }
    }
}

/// Job batches handled at once.
const BATCHES_IN_FLIGHT: usize = 8;
/// How often a batch still being handled tells JetStream so (well inside the
/// consumer's ack wait).
const PROGRESS_EVERY: Duration = Duration::from_secs(15);

/// A batch could not be handled now: deliver it again later.
struct Later(String);

impl Worker {
    async fn consume(&self, js: &jetstream::Context) -> anyhow::Result<()> {
        loop {
            let stream = js.get_stream(layout::PUSH_STREAM).await?;
            let consumer: jetstream::consumer::PullConsumer = stream
                .get_or_create_consumer(layout::PUSH_CONSUMER, layout::push_consumer_config())
                .await?;
            let messages = consumer.messages().await?;
            // Several batches at once: a batch whose target hangs (each attempt
            // waits out the request timeout) holds only itself, not everyone's
            // pushes behind it.
            messages
                .take_while(|msg| {
                    let ok = match msg {
                        Ok(_) => true,
                        Err(e) => {
                            tracing::warn!(error = %e, "push consumer error");
                            false
                        }
                    };
                    std::future::ready(ok)
                })
                .filter_map(|msg| std::future::ready(msg.ok()))
                .for_each_concurrent(BATCHES_IN_FLIGHT, |msg| self.handle(msg))
                .await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn handle(&self, msg: jetstream::Message) {
        let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
        let batch = match internal::decode::<PushBatch>(&msg.payload) {
            Ok(b) => b,
            Err(e) => {
                self.dead_batch(&msg.payload, &format!("undecodable: {e}"))
                    .await;
                let _ = msg.ack().await;
                return;
            }
        };
        // A slow batch tells JetStream it is still at work, so the ack wait never
        // runs out under it (which would deliver the batch again: pushes twice).
        let processing = self.process(batch);
        tokio::pin!(processing);
        let mut progress =
            tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
        let outcome = loop {
            tokio::select! {
                r = &mut processing => break r,
                _ = progress.tick() => {
                    let _ = msg.ack_with(AckKind::Progress).await;
                }
            }
        };
        match outcome {
            Ok(()) => {
                let _ = msg.ack().await;
            }
            Err(Later(why)) if delivered >= self.config.max_deliveries => {
                self.dead_batch(&msg.payload, &why).await;
                let _ = msg.ack_with(AckKind::Term).await;
            }
            Err(Later(why)) => {
                tracing::warn!(reason = %why, delivered, "push batch deferred");
                let _ = msg
                    .ack_with(AckKind::Nak(Some(
                        Duration::from_secs(2) * delivered as u32,
                    )))
                    .await;
            }
        }
    }

    async fn process(&self, mut batch: PushBatch) -> Result<(), Later> {
        // Claim each (user, channel, seq) before delivering it: batches run side by
        // side, and a job queued twice must go out once even when both copies are
        // in flight together. A batch deferred gives its claims back.
        let claimed: Vec<(u64, u64, u64)> = {
            let mut handled = self.handled.lock().unwrap_or_else(|e| e.into_inner());
            let mut claimed = Vec::new();
            for j in &mut batch.jobs {
                let before = j.recipients.len();
                j.recipients.retain(|u| {
                    let key = (*u, j.channel_id, j.seq);
                    let new = !handled.seen.contains(&key);
                    if new {
                        handled.insert(key);
                        claimed.push(key);
                    }
                    new
                });
                metrics::counter!("natter_push_repeats_dropped_total")
                    .increment((before - j.recipients.len()) as u64);
            }
            claimed
        };
        let delivered = self.deliver_batch(batch).await;
        if delivered.is_err() {
            let mut handled = self.handled.lock().unwrap_or_else(|e| e.into_inner());
            for key in &claimed {
                handled.seen.remove(key);
            }
        }
        delivered
    }

    async fn deliver_batch(&self, batch: PushBatch) -> Result<(), Later> {
        let recipients: Vec<u64> = batch
            .jobs
            .iter()
            .flat_map(|j| j.recipients.iter().copied())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if recipients.is_empty() {
            return Ok(());
        }
        let online = self.online(&recipients).await?;
        let mut pairs = Vec::new();
        for j in &batch.jobs {
            for u in &j.recipients {
                if !online.contains(u) {
                    pairs.push((*u, j.channel_id));
                }
            }
        }
        metrics::counter!("natter_push_skipped_online_total")
            .increment((recipients.len() - recipients.len().min(pairs.len())) as u64);
        if pairs.is_empty() {
            return Ok(());
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut mentioned: Vec<(u64, u64)> = batch
            .jobs
            .iter()
            .flat_map(|j| j.mentions.iter().map(move |u| (*u, j.channel_id)))
            .collect();
        mentioned.sort_unstable();
        mentioned.dedup();
        let req = PushTargetsReq {
            pairs,
            names_of: batch.jobs.iter().map(|j| j.sender_id).collect(),
            channels: batch.jobs.iter().map(|j| j.channel_id).collect(),
            mentioned,
            messages: batch.jobs.iter().map(|j| (j.channel_id, j.seq)).collect(),
        };
        let targets = self.call(&rpc::PUSH_TARGETS, 0, &req).await?;
        let names: HashMap<u64, String> = targets.names.into_iter().collect();
        let mentions_only: HashSet<(u64, u64)> = targets.mentions_only.into_iter().collect();
        // A message deleted for everyone while its push waited is not announced.
        let deleted: HashSet<(u64, u64)> = targets.deleted.into_iter().collect();
        let groups: HashMap<u64, String> = targets.channel_names.into_iter().collect();
        // Each job's devices, latest job per channel first: a burst collapses to the
        // newest message.
        let mut sends = Vec::new();
        for job in batch
            .jobs
            .iter()
            .rev()
            .filter(|j| !deleted.contains(&(j.channel_id, j.seq)))
        {
            for d in targets
                .devices
                .iter()
                .filter(|d| d.channel_id == job.channel_id && job.recipients.contains(&d.user_id))
                // Where only mentions notify, only the jobs that mention the user.
                .filter(|d| {
                    !mentions_only.contains(&(d.user_id, d.channel_id))
                        || job.mentions.contains(&d.user_id)
                })
            {
                if self.collapse(d) {
                    metrics::counter!("natter_push_collapsed_total").increment(1);
                    continue;
                }
                sends.push((d.clone(), message(job, &names, &groups)));
            }
        }
        futures::stream::iter(sends)
            .for_each_concurrent(32, |(d, m)| async move { self.deliver(&d, &m).await })
            .await;
        Ok(())
    }

    /// Whether a push to this device and channel went out within the interval;
    /// records this one if not.
    fn collapse(&self, d: &PushDevice) -> bool {
        let mut last = self.collapsed.lock().unwrap_or_else(|e| e.into_inner());
        let key = (d.user_id, d.device_id.clone(), d.channel_id);
        let now = Instant::now();
        if let Some(t) = last.get(&key)
            && now.duration_since(*t) < self.config.collapse
        {
            return true;
        }
        last.insert(key, now);
        if last.len() > 100_000 {
            let window = self.config.collapse;
            last.retain(|_, t| now.duration_since(*t) < window);
        }
        false
    }

    async fn online(&self, users: &[u64]) -> Result<HashSet<u64>, Later> {
        let mut by_shard: HashMap<u32, Vec<u64>> = HashMap::new();
        for u in users {
            by_shard
                .entry(layout::presence_shard_of(*u, self.presence_shards))
                .or_default()
                .push(*u);
        }
        let mut online = HashSet::new();
        for (k, users) in by_shard {
            for chunk in users.chunks(natter_protocol::limits::MAX_PRESENCE_WATCH) {
                let got = self
                    .call(
                        &rpc::PRESENCE_QUERY,
                        k,
                        &PresenceQuery {
                            users: chunk.to_vec(),
                        },
                    )
                    .await?;
                online.extend(got.into_iter().filter(|p| p.online).map(|p| p.user));
            }
        }
        Ok(online)
    }

    async fn call<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
        &self,
        call: &rpc::Rpc<Req, Resp>,
        shard: u32,
        req: &Req,
    ) -> Result<Resp, Later> {
        call.call_shard(&self.nats, shard, req)
            .await
            .map_err(|e| Later(format!("{}: {e}", call.subject_of(shard))))
    }

    /// Sends one push, retrying transient failures with exponential backoff.
    async fn deliver(&self, d: &PushDevice, m: &PushMessage) {
        let platform = platform_name(d.target.platform);
        let mut backoff = Duration::from_millis(200);
        for attempt in 1..=self.config.max_attempts {
            match self.providers.send(&d.target, m).await {
                Ok(()) => {
                    metrics::counter!("natter_push_sent_total", "platform" => platform)
                        .increment(1);
                    return;
                }
                Err(PushError::Unregistered) => {
                    metrics::counter!("natter_push_unregistered_total", "platform" => platform)
                        .increment(1);
                    let req = DevicePushReq {
                        user_id: d.user_id,
                        device_id: d.device_id.clone(),
                        push: None,
                    };
                    if let Err(Later(why)) = self.call(&rpc::DEVICE_PUSH, 0, &req).await {
                        tracing::warn!(reason = %why, "unregistered push token not removed");
                    }
                    return;
                }
                Err(e) if e.retryable() && attempt < self.config.max_attempts => {
                    metrics::counter!("natter_push_retries_total", "platform" => platform)
                        .increment(1);
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                Err(e) => {
                    self.dead_push(d, m, &e.to_string()).await;
                    return;
                }
            }
        }
    }

    async fn dead_push(&self, d: &PushDevice, m: &PushMessage, why: &str) {
        metrics::counter!("natter_push_dead_total").increment(1);
        let platform = platform_name(d.target.platform);
        let body = serde_json::json!({
            "platform": platform,
            "user": d.user_id.to_string(),
            "device": d.device_id,
            "channel": m.channel_id.to_string(),
            "seq": m.seq,
            "error": why,
        });
        self.publish_dead(platform, body).await;
    }

    async fn dead_batch(&self, payload: &[u8], why: &str) {
        metrics::counter!("natter_push_dead_total").increment(1);
        let body = serde_json::json!({ "error": why, "batch_bytes": payload.len() });
        self.publish_dead("batch", body).await;
    }

    async fn publish_dead(&self, kind: &str, body: serde_json::Value) {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            natter_nats::headers::CONTENT_TYPE,
            natter_nats::headers::JSON,
        );
        if let Err(e) = self
            .nats
            .publish_with_headers(
                subjects::push_dead_letter(kind),
                headers,
                Bytes::from(body.to_string()),
            )
            .await
        {
            tracing::warn!(error = %e, "dead letter not published");
        }
    }
}

/// What the notification says: the sender (and group), and the text's start.
fn message(
    job: &PushJob,
    names: &HashMap<u64, String>,
    groups: &HashMap<u64, String>,
) -> PushMessage {
    let sender = names
        .get(&job.sender_id)
        .cloned()
        .unwrap_or_else(|| "New message".into());
    let title = match groups.get(&job.channel_id) {
        Some(g) => format!("{sender} · {g}"),
        None => sender,
    };
    PushMessage {
        title,
        body: job.preview.clone(),
        channel_id: job.channel_id,
        seq: job.seq,
        collapse_key: format!("ch-{}", job.channel_id),
    }
}

fn platform_name(p: PushPlatform) -> &'static str {
    match p {
        PushPlatform::Fcm => "fcm",
        PushPlatform::Apns => "apns",
        PushPlatform::Webpush => "webpush",
        PushPlatform::Webhook => "webhook",
    }
}
