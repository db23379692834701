//! Replies show the message they reply to as it now stands: the quote is made when
//! a reply is read (history, catch-up) or fanned out, never stored with the reply,
//! so an edit shows in it and a deletion leaves no text behind.

use std::collections::HashMap;

use natter_protocol::ws::{MessageEvent, Quote};
use natter_store::{Store, StoreError};

use crate::tables;

/// Fills in the quotes of the replies among `events` (all of `channel`), reading the
/// replied-to messages that are not among them in one batch read.
pub(crate) async fn resolve(
    store: &dyn Store,
    channel: u64,
    events: &mut [MessageEvent],
) -> Result<(), StoreError> {
    let wanted: Vec<u64> = events
        .iter()
        .filter_map(|e| e.reply_to.as_ref().map(|q| q.seq))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut known: HashMap<u64, Quote> = events
        .iter()
        .filter(|e| e.system.is_none())
        .map(|e| {
            let quote = Quote {
                seq: e.seq,
                sender: e.sender,
                preview: crate::records::preview(&e.text, &e.attachments),
                deleted: e.deleted.is_some(),
            };
            (e.seq, quote)
        })
        .collect();
    let mut missing: Vec<(u64, u64)> = wanted
        .iter()
        .filter(|s| !known.contains_key(s))
        .map(|s| (channel, *s))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let found = tables::MESSAGE.get_many(store, &missing).await?;
        for ((_, seq), rec) in missing.into_iter().zip(found) {
            if let Some(rec) = rec {
                known.insert(seq, rec.quote(seq));
            }
        }
    }
    for e in events.iter_mut() {
        if let Some(q) = e.reply_to.as_mut()
            && let Some(found) = known.get(&q.seq)
        {
            *q = found.clone();
        }
    }
    Ok(())
}
