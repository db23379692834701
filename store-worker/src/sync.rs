//! Device sync: where each device of a user stands in each channel, and moving its
//! cursors as the device acks what it has shown.
//!
//! A cursor is the last seq the device acked in a channel (absent: 0). The edge asks
//! for the plan on connect and pages everything after the cursors through
//! `history`; the device's acks move its cursors through the channels' partition
//! owners (`cursor.<partition>`).

use std::collections::HashMap;

use natter_protocol::internal::{RpcReply, SyncPlan, SyncPosition, SyncStartReq};
use natter_protocol::{ErrorCode, limits};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::records::{DeviceRecord, UserChannelRecord, now_ms};
use crate::tables::{self, store_err};

fn check_device(device: &str) -> RpcReply<()> {
    limits::check_client_id("device", device, ErrorCode::InvalidDeviceId)
}

/// The user's channels with the device's cursor and the last seq it may get.
pub(crate) async fn positions(
    w: &Worker,
    user_id: u64,
    device: &str,
) -> Result<Vec<(SyncPosition, UserChannelRecord)>, StoreError> {
    let rows = w
        .store
        .scan(
            ScanRange::prefix(keys::channels_of(user_id)),
            crate::channels::MAX_USER_CHANNEL_ROWS,
        )
        .await?;
    let mut listed = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        if let Some(cid) = keys::trailing_u64(&k) {
            listed.push((cid, tables::USER_CHANNEL.decode(&v)?));
        }
    }
    let heads = tables::CHANNEL_HEAD
        .get_many(w.store.as_ref(), listed.iter().map(|(c, _)| c))
        .await?;
    let cursors: HashMap<u64, u64> = w
        .store
        .scan(
            ScanRange::prefix(keys::device_cursors_of(user_id, device)),
            crate::channels::MAX_USER_CHANNEL_ROWS,
        )
        .await?
        .into_iter()
        .filter_map(|(k, v)| {
            Some((
                keys::trailing_u64(&k)?,
                tables::DEVICE_CURSOR.decode(&v).ok()?,
            ))
        })
        .collect();
    let mut out = Vec::with_capacity(listed.len());
    for ((cid, uc), head) in listed.into_iter().zip(heads) {
        let head = uc.visible_head(head.unwrap_or(0));
        let cursor = cursors.get(&cid).copied().unwrap_or(0).min(head);
        out.push((
            SyncPosition {
                channel_id: cid,
                cursor,
                head,
            },
            uc,
        ));
    }
    Ok(out)
}

/// Registers the device on its first connect and returns its sync plan: every
/// current channel, and former ones whose removal the device has not acked.
pub(crate) async fn start(w: &Worker, req: SyncStartReq) -> RpcReply<SyncPlan> {
    check_device(&req.device_id)?;
    let dev = tables::DEVICE.key(&(req.user_id, req.device_id.clone()));
    if w.store.get(&dev).await.map_err(store_err)?.is_none() {
        let rec = DeviceRecord {
            registered_at: now_ms(),
            push: None,
        };
        // Only if still absent: a push registration may have created it meanwhile.
        let batch = WriteBatch::new()
            .expect(dev.clone(), None)
            .put(dev, tables::DEVICE.encode(&rec));
        let batch = crate::push_targets::with_room(w, req.user_id, batch)
            .await
            .map_err(store_err)?;
        match w.store.write(batch).await {
            Ok(()) => metrics::counter!("natter_store_devices_registered_total").increment(1),
            Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(store_err(e)),
        }
    }
    let channels = positions(w, req.user_id, &req.device_id)
        .await
        .map_err(store_err)?
        .into_iter()
        .filter(|(p, uc)| uc.left_seq.is_none() || p.cursor < p.head)
        .map(|(p, _)| p)
        .collect();
    Ok(SyncPlan { channels })
}
