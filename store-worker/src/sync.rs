//! Device sync: where each device of a user stands in each channel, and moving its
//! cursors as the device acks what it has shown.
//!
//! A cursor is the last seq the device acked in a channel (absent: 0). The edge asks
//! for the plan on connect, pages everything after the cursors through `history`,
//! and forwards the device's acks here in batches.

use std::collections::HashMap;

use natter_protocol::internal::{CursorAcksReq, RpcReply, SyncPlan, SyncPosition, SyncStartReq};
use natter_protocol::{ApiError, ErrorCode, limits};
use natter_store::{ScanRange, StoreError, WriteBatch, keys, value};

use crate::Worker;
use crate::accounts::store_err;
use crate::records::{DeviceRecord, UserChannelRecord, now_ms};

/// Most channels considered for one user (as in the channel list).
const MAX_USER_CHANNELS: usize = 10_000;
/// Attempts of a cursor write that lost a race with another write of the same cursor.
const ACK_ATTEMPTS: usize = 5;

fn check_device(device: &str) -> RpcReply<()> {
    if limits::is_valid_client_id(device) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidDeviceId,
            "device: 1-64 of A-Z a-z 0-9 - _ . :",
        ))
    }
}

fn decode_u64(v: Option<&[u8]>) -> Result<u64, StoreError> {
    Ok(v.map(value::decode).transpose()?.unwrap_or(0))
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
            MAX_USER_CHANNELS,
        )
        .await?;
    let mut listed = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        if let Some(cid) = keys::trailing_u64(&k) {
            listed.push((cid, value::decode::<UserChannelRecord>(&v)?));
        }
    }
    let heads = w
        .store
        .batch_get(
            &listed
                .iter()
                .map(|(c, _)| keys::channel_head(*c))
                .collect::<Vec<_>>(),
        )
        .await?;
    let cursors: HashMap<u64, u64> = w
        .store
        .scan(
            ScanRange::prefix(keys::device_cursors_of(user_id, device)),
            MAX_USER_CHANNELS,
        )
        .await?
        .into_iter()
        .filter_map(|(k, v)| Some((keys::trailing_u64(&k)?, value::decode(&v).ok()?)))
        .collect();
    let mut out = Vec::with_capacity(listed.len());
    for ((cid, uc), head) in listed.into_iter().zip(heads) {
        let head = uc.visible_head(decode_u64(head.as_deref())?);
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
    let dev = keys::device(req.user_id, &req.device_id);
    if w.store.get(&dev).await.map_err(store_err)?.is_none() {
        let rec = DeviceRecord {
            registered_at: now_ms(),
            push: None,
        };
        // Only if still absent: a push registration may have created it meanwhile.
        match w
            .store
            .write(
                WriteBatch::new()
                    .expect(dev.clone(), None)
                    .put(dev, value::encode(&rec)),
            )
            .await
        {
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

/// Moves devices' cursors forward (never back, never past what the user may see;
/// channels the user never belonged to and invalid device ids are ignored). One
/// request carries the acks of many devices (an edge's batch), read with three
/// batched reads and written as one synced batch.
pub(crate) async fn ack(w: &Worker, req: CursorAcksReq) -> RpcReply<()> {
    // (user, device) → channel → highest seq acked.
    let mut wanted: HashMap<(u64, String), HashMap<u64, u64>> = HashMap::new();
    for d in req.devices {
        if check_device(&d.device_id).is_err() {
            continue;
        }
        let per = wanted.entry((d.user_id, d.device_id)).or_default();
        for (c, s) in d.acks {
            let e = per.entry(c).or_insert(0);
            *e = (*e).max(s);
        }
    }
    // One row per (user, device, channel), in a fixed order for the reads below.
    let rows: Vec<(u64, &str, u64, u64)> = wanted
        .iter()
        .flat_map(|((u, d), per)| per.iter().map(move |(c, s)| (*u, d.as_str(), *c, *s)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let listed = w
        .store
        .batch_get(
            &rows
                .iter()
                .map(|(u, _, c, _)| keys::user_channel(*u, *c))
                .collect::<Vec<_>>(),
        )
        .await
        .map_err(store_err)?;
    let heads = w
        .store
        .batch_get(
            &rows
                .iter()
                .map(|(_, _, c, _)| keys::channel_head(*c))
                .collect::<Vec<_>>(),
        )
        .await
        .map_err(store_err)?;
    // (cursor key, target) of the rows the user may move.
    let mut targets: Vec<(Vec<u8>, u64)> = Vec::new();
    for (((u, d, c, s), uc), head) in rows.iter().zip(listed).zip(heads) {
        let Some(uc) = uc else { continue };
        let uc: UserChannelRecord = value::decode(&uc).map_err(store_err)?;
        let head = uc.visible_head(decode_u64(head.as_deref()).map_err(store_err)?);
        targets.push((keys::device_cursor(*u, d, *c), (*s).min(head)));
    }
    let keys_: Vec<Vec<u8>> = targets.iter().map(|(k, _)| k.clone()).collect();
    for _ in 0..ACK_ATTEMPTS {
        let old = w.store.batch_get(&keys_).await.map_err(store_err)?;
        let mut batch = WriteBatch::new().durability(w.config.durability);
        let mut moved = 0;
        for ((key, target), old) in targets.iter().zip(old) {
            if *target > decode_u64(old.as_deref()).map_err(store_err)? {
                batch = batch
                    .expect(key.clone(), old)
                    .put(key.clone(), value::encode(target));
                moved += 1;
            }
        }
        if moved == 0 {
            return Ok(());
        }
        match w.store.write(batch).await {
            Ok(()) => {
                metrics::counter!("natter_store_cursor_moves_total").increment(moved);
                return Ok(());
            }
            // A connection of one of the devices on another edge moved a cursor
            // meanwhile: re-read.
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(store_err(e)),
        }
    }
    Err(ApiError::new(ErrorCode::Unavailable, "cursor busy, retry"))
}
