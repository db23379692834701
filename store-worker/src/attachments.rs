//! A message sent before the media worker finished its files carries them as they
//! were uploaded; the worker's result is kept once per attachment (a channel event
//! announced it) and filled in when such a message is read, here.

use natter_protocol::ws::MessageEvent;
use natter_store::{Store, StoreError};

use crate::tables;

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
