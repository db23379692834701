//! A message sent before the media worker finished its files carries them as they
//! were uploaded; the worker's result is kept once per attachment (a channel event
//! announced it) and filled in when such a message is read, here.

use natter_protocol::internal::{AttachmentRefsReq, MAX_ATTACHMENT_REFS, RpcReply};
use natter_protocol::ws::MessageEvent;
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{ScanRange, Store, StoreError, keys};

use crate::Worker;
use crate::tables;

/// Of `req.ids`, those a message (a forward included) still carries: the rest are
/// files no message holds any more (deleted, or never sent), for the media worker
/// to collect.
pub(crate) async fn referenced(w: &Worker, req: AttachmentRefsReq) -> RpcReply<Vec<u64>> {
    if req.ids.len() > MAX_ATTACHMENT_REFS {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("at most {MAX_ATTACHMENT_REFS} ids"),
        ));
    }
    let mut held = Vec::new();
    for id in req.ids {
        let rows = w
            .store
            .scan(ScanRange::prefix(keys::attachment_refs(id)), 1)
            .await
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
        if !rows.is_empty() {
            held.push(id);
        }
    }
    Ok(held)
}

/// Replaces the unprocessed attachments of `events` with what the media worker
/// made of them, where it has finished (one batch read).
pub(crate) async fn resolve(
    store: &dyn Store,
    events: &mut [MessageEvent],
) -> Result<(), StoreError> {
    let mut wanted: Vec<u64> = events
        .iter()
        .flat_map(|e| e.attachments.iter())
        .filter(|a| !a.processed)
        .map(|a| a.id)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    wanted.sort_unstable();
    wanted.dedup();
    let found = tables::ATTACHMENT.get_many(store, &wanted).await?;
    let done: std::collections::HashMap<u64, _> = wanted
        .into_iter()
        .zip(found)
        .filter_map(|(id, a)| a.map(|a| (id, a)))
        .collect();
    for a in events.iter_mut().flat_map(|e| e.attachments.iter_mut()) {
        if let Some(d) = done.get(&a.id) {
            *a = d.clone();
        }
    }
    Ok(())
}
