//! Push notifications, the storage side: jobs for the push workers after messages are
//! stored, device push registrations, muted channels, and the targets of a job.

use std::collections::{HashMap, HashSet};

use natter_nats::subjects;
use natter_protocol::http::{DeviceInfo, NotifyLevel};
use natter_protocol::internal::{
    self, DevicePushReq, MuteReq, PushBatch, PushDevice, PushJob, PushTargets, PushTargetsReq,
    RpcReply,
};
use natter_protocol::{ApiError, ErrorCode, limits};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::partition::apply::Stored;
use crate::partition::rules::not_member;
use crate::records::{DeviceRecord, now_ms};
use crate::tables::{self, store_err};

/// Most devices one user may have notified.
const MAX_DEVICES: usize = 100;

/// How long push jobs are gathered before they are queued as one batch.
const PUSH_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);
/// Most jobs in one queued batch.
const PUSH_BATCH_JOBS: usize = 512;
/// Batches of jobs waiting for the queuer; past this, jobs are dropped (counted).
pub(crate) const PUSH_BACKLOG: usize = 1024;

/// Hands the jobs for freshly stored messages to the queuer (best effort: a worker
/// crash before they are queued loses the notifications, never messages).
pub(crate) fn enqueue(w: &Worker, stored: &[Stored]) {
    let jobs: Vec<PushJob> = stored
        .iter()
        .filter(|s| s.record.system.is_none())
        .map(|s| PushJob {
            channel_id: s.channel,
            seq: s.seq,
            sender_id: s.record.sender_id,
            preview: s.record.preview(),
            recipients: s
                .audience
                .iter()
                .copied()
                .filter(|u| *u != s.record.sender_id)
                .collect(),
            mentions: s.record.mentions.clone(),
        })
        .filter(|j| !j.recipients.is_empty())
        .collect();
    if !jobs.is_empty() && w.push_jobs.try_send(jobs).is_err() {
        metrics::counter!("natter_store_push_jobs_dropped_total").increment(1);
    }
}

/// The queuer: gathers jobs over [`PUSH_WINDOW`], keeps only recipients with no
/// online device who do not block the sender, and queues what is left on
/// `pushjobs.<p>` as one JetStream message, off the message path.
pub(crate) async fn queue_jobs(
    js: async_nats::jetstream::Context,
    store: natter_store::SharedStore,
    online: std::sync::Arc<crate::online::Online>,
    partitions: u32,
    mut rx: tokio::sync::mpsc::Receiver<Vec<PushJob>>,
) {
    while let Some(mut jobs) = rx.recv().await {
        let until = tokio::time::Instant::now() + PUSH_WINDOW;
        while jobs.len() < PUSH_BATCH_JOBS {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(more)) => jobs.extend(more),
                _ => break,
            }
        }
        let mut recipients: Vec<u64> = jobs.iter().flat_map(|j| j.recipients.clone()).collect();
        recipients.sort_unstable();
        recipients.dedup();
        let offline: std::collections::HashSet<u64> =
            online.offline(&recipients).await.into_iter().collect();
        metrics::counter!("natter_store_push_skipped_online_total")
            .increment((recipients.len() - offline.len()) as u64);
        for j in &mut jobs {
            j.recipients.retain(|u| offline.contains(u));
        }
        // A blocked sender's messages in shared groups stay visible, but never notify.
        let pairs: Vec<(u64, u64)> = jobs
            .iter()
            .flat_map(|j| j.recipients.iter().map(|u| (*u, j.sender_id)))
            .collect();
        match tables::BLOCK.get_many(store.as_ref(), &pairs).await {
            Ok(found) => {
                let blocking: HashSet<(u64, u64)> = pairs
                    .into_iter()
                    .zip(found)
                    .filter_map(|(p, b)| b.map(|_| p))
                    .collect();
                for j in &mut jobs {
                    j.recipients
                        .retain(|u| !blocking.contains(&(*u, j.sender_id)));
                }
            }
            // Best effort, like the rest of push: no notification beats an unwanted one.
            Err(e) => {
                tracing::warn!(error = %e, "blocks not read: push jobs dropped");
                continue;
            }
        }
        jobs.retain(|j| !j.recipients.is_empty());
        let Some(first) = jobs.first() else { continue };
        let partition = natter_nats::layout::partition_of(first.channel_id, partitions);
        // The first job's message names the batch: a batch queued twice within
        // JetStream's window is kept once (the push worker also drops a job it
        // already sent).
        let msg_id = format!("push-{}-{}", first.channel_id, first.seq);
        let msg = async_nats::jetstream::message::PublishMessage::build()
            .payload(internal::encode(&PushBatch { jobs }).into())
            .message_id(msg_id);
        match js.send_publish(subjects::push_jobs(partition), msg).await {
            Ok(ack) => {
                if let Err(e) = ack.await {
                    tracing::warn!(error = %e, "push jobs not acked");
                }
            }
            Err(e) => tracing::warn!(error = %e, "push jobs not sent"),
        }
    }
}

/// Devices to notify for each (user, channel) pair its user wants notified (not
/// muted; mentioned, where only mentions notify), and the names to show.
pub(crate) async fn targets(w: &Worker, req: PushTargetsReq) -> RpcReply<PushTargets> {
    let levels = levels(w, &req.pairs).await.map_err(store_err)?;
    let mentioned: HashSet<(u64, u64)> = req.mentioned.iter().copied().collect();
    let mut by_user: HashMap<u64, Vec<(String, natter_protocol::http::PushTarget)>> =
        HashMap::new();
    let mut devices = Vec::new();
    let mut mentions_only = Vec::new();
    for (pair, level) in req.pairs.iter().zip(levels) {
        let (user, channel) = pair;
        match level {
            NotifyLevel::None => continue,
            NotifyLevel::Mentions if !mentioned.contains(pair) => continue,
            NotifyLevel::Mentions => mentions_only.push(*pair),
            NotifyLevel::All => {}
        }
        if !by_user.contains_key(user) {
            by_user.insert(*user, push_devices(w, *user).await.map_err(store_err)?);
        }
        for (device_id, target) in &by_user[user] {
            devices.push(PushDevice {
                user_id: *user,
                channel_id: *channel,
                device_id: device_id.clone(),
                target: target.clone(),
            });
        }
    }
    let users = tables::USER
        .get_many(w.store.as_ref(), &req.names_of)
        .await
        .map_err(store_err)?;
    let names = req
        .names_of
        .iter()
        .zip(users)
        .filter_map(|(u, rec)| Some((*u, rec?.display_name)))
        .collect();
    let chans = tables::CHANNEL
        .get_many(w.store.as_ref(), &req.channels)
        .await
        .map_err(store_err)?;
    let channel_names = req
        .channels
        .iter()
        .zip(chans)
        .filter_map(|(c, rec)| Some((*c, rec?.name?)))
        .collect();
    let found = tables::MESSAGE
        .get_many(w.store.as_ref(), &req.messages)
        .await
        .map_err(store_err)?;
    let deleted = req
        .messages
        .iter()
        .zip(found)
        .filter(|(_, m)| m.as_ref().is_some_and(|m| m.deleted.is_some()))
        .map(|(k, _)| *k)
        .collect();
    Ok(PushTargets {
        devices,
        names,
        channel_names,
        mentions_only,
        deleted,
    })
}

/// The notification level of each (user, channel) pair.
pub(crate) async fn levels(
    w: &Worker,
    pairs: &[(u64, u64)],
) -> Result<Vec<NotifyLevel>, StoreError> {
    let store = w.store.as_ref();
    let muted = tables::MUTE.get_many(store, pairs).await?;
    let mentions = tables::MENTIONS_ONLY.get_many(store, pairs).await?;
    Ok(muted
        .into_iter()
        .zip(mentions)
        .map(|(m, o)| match (m, o) {
            (Some(_), _) => NotifyLevel::None,
            (None, Some(_)) => NotifyLevel::Mentions,
            (None, None) => NotifyLevel::All,
        })
        .collect())
}

/// The user's devices (up to [`MAX_DEVICES`]) as stored, by device id.
pub(crate) async fn devices(
    w: &Worker,
    user: u64,
) -> Result<Vec<(String, DeviceRecord)>, StoreError> {
    let prefix = keys::devices_of(user);
    let rows = w
        .store
        .scan(ScanRange::prefix(prefix.clone()), MAX_DEVICES)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
        out.push((id, tables::DEVICE.decode(&v)?));
    }
    Ok(out)
}

async fn push_devices(
    w: &Worker,
    user: u64,
) -> Result<Vec<(String, natter_protocol::http::PushTarget)>, StoreError> {
    Ok(devices(w, user)
        .await?
        .into_iter()
        .filter_map(|(id, rec)| Some((id, rec.push?)))
        .collect())
}

/// The user's devices (up to 100) with their push targets.
pub(crate) async fn device_list(
    w: &Worker,
    req: natter_protocol::internal::UserGetReq,
) -> RpcReply<Vec<DeviceInfo>> {
    Ok(devices(w, req.user_id)
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|(device_id, rec)| DeviceInfo {
            device_id,
            push: rec.push,
        })
        .collect())
}

/// When `user` already has [`MAX_DEVICES`] devices, the key of the one registered
/// first, for a new registration to remove in the same write: one account cannot
/// store device ids without bound, and a user who churns them (a browser that
/// keeps no storage) is never locked out. The removed device's cursors stay (a
/// row per channel it acked).
pub(crate) async fn device_to_evict(w: &Worker, user: u64) -> Result<Option<Vec<u8>>, StoreError> {
    let all = devices(w, user).await?;
    if all.len() < MAX_DEVICES {
        return Ok(None);
    }
    Ok(all
        .into_iter()
        .min_by_key(|(_, rec)| rec.registered_at)
        .map(|(id, _)| tables::DEVICE.key(&(user, id))))
}

/// `batch` with the oldest device of `user` removed if a new one needs its place.
pub(crate) async fn with_room(
    w: &Worker,
    user: u64,
    batch: WriteBatch,
) -> Result<WriteBatch, StoreError> {
    Ok(match device_to_evict(w, user).await? {
        Some(old) => {
            metrics::counter!("natter_store_devices_evicted_total").increment(1);
            batch.delete(old)
        }
        None => batch,
    })
}

/// Sets or clears a device's push target (creating the device if it never connected).
pub(crate) async fn device_push(w: &Worker, req: DevicePushReq) -> RpcReply<DeviceInfo> {
    limits::check_client_id("device_id", &req.device_id, ErrorCode::InvalidDeviceId)?;
    if let Some(t) = &req.push {
        check_target(t)?;
    }
    let key = tables::DEVICE.key(&(req.user_id, req.device_id.clone()));
    for _ in 0..5 {
        let old = w.store.get(&key).await.map_err(store_err)?;
        let mut rec = match &old {
            Some(b) => tables::DEVICE.decode(b).map_err(store_err)?,
            None => DeviceRecord {
                registered_at: now_ms(),
                push: None,
            },
        };
        rec.push = req.push.clone();
        let new_device = old.is_none();
        let mut batch = WriteBatch::new()
            .expect(key.clone(), old)
            .put(key.clone(), tables::DEVICE.encode(&rec));
        if new_device {
            batch = with_room(w, req.user_id, batch).await.map_err(store_err)?;
        }
        match w.store.write(batch).await {
            Ok(()) => {
                return Ok(DeviceInfo {
                    device_id: req.device_id,
                    push: rec.push,
                });
            }
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(store_err(e)),
        }
    }
    Err(ApiError::new(ErrorCode::Unavailable, "device busy, retry"))
}

/// Push targets are checked before they are stored: a bad one would fail every push.
fn check_target(t: &natter_protocol::http::PushTarget) -> RpcReply<()> {
    use natter_protocol::http::PushPlatform;
    let bad = |m: &str| Err(ApiError::new(ErrorCode::BadRequest, m.to_string()));
    if t.token.is_empty() || t.token.len() > 4096 {
        return bad("token: 1-4096 characters");
    }
    let is_url = t.token.starts_with("https://") || t.token.starts_with("http://");
    match t.platform {
        PushPlatform::Webhook if !is_url => bad("webhook token: an http(s) URL"),
        PushPlatform::Webpush if !is_url => bad("webpush token: the subscription endpoint URL"),
        PushPlatform::Webpush if t.p256dh.is_none() || t.auth.is_none() => {
            bad("webpush needs p256dh and auth")
        }
        PushPlatform::Apns if !t.token.bytes().all(|b| b.is_ascii_hexdigit()) => {
            bad("apns token: hex")
        }
        _ => Ok(()),
    }
}

/// Mutes or unmutes a channel for a member.
pub(crate) async fn mute(w: &Worker, req: MuteReq) -> RpcReply<()> {
    if tables::MEMBER
        .get(w.store.as_ref(), &(req.channel_id, req.user_id))
        .await
        .map_err(store_err)?
        .is_none()
    {
        return Err(not_member());
    }
    let level = req.level.unwrap_or(if req.muted {
        NotifyLevel::None
    } else {
        NotifyLevel::All
    });
    let pair = (req.user_id, req.channel_id);
    let (mute, only) = (tables::MUTE.key(&pair), tables::MENTIONS_ONLY.key(&pair));
    let now = now_ms();
    let batch = match level {
        NotifyLevel::All => WriteBatch::new().delete(mute).delete(only),
        NotifyLevel::Mentions => {
            tables::MENTIONS_ONLY.put(WriteBatch::new().delete(mute), &pair, &now)
        }
        NotifyLevel::None => tables::MUTE.put(WriteBatch::new().delete(only), &pair, &now),
    };
    w.store.write(batch).await.map_err(store_err)
}
