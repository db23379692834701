//! Retention: a sweep removes messages older than the server's maximum age or a
//! group's own, whichever is shorter. Each store worker sweeps the channels of the
//! partitions it owns: for each, it finds the first message young enough to keep
//! (by the times the messages carry) and appends an `Expire` command up to it to
//! the channel's log, so the owner removes them in order with everything else and
//! a replay removes the same. A channel with no maximum age costs one record read.

use std::sync::Arc;

use natter_protocol::internal::{self, ChannelAction, ERASE_WINDOW};
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{ScanRange, keys};

use crate::Worker;
use crate::admin::append_command;
use crate::records::{ChannelRecord, now_ms};
use crate::tables::{self, store_err};

/// Channel records read per step of a sweep.
const CHANNELS_PER_STEP: usize = 512;

/// Sweeps every `retention_sweep_every` until the worker stops.
pub(crate) async fn keep_expiring(w: Arc<Worker>) {
    let mut every = tokio::time::interval(w.config.retention_sweep_every);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match sweep(&w, now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(channels = n, "retention sweep expired messages"),
            Err(e) => {
                tracing::warn!(code = %e.code, error = %e.message, "retention sweep stopped: next time");
            }
        }
    }
}

/// The maximum age of a channel's messages in ms: the shorter of the server's and
/// the group's (`None`: kept forever).
pub(crate) fn max_age_ms(server_secs: Option<u64>, rec: &ChannelRecord) -> Option<u64> {
    let group = rec.max_age_secs.filter(|s| *s > 0);
    let secs = match (server_secs.filter(|s| *s > 0), group) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some(secs.saturating_mul(1000))
}

/// The first seq to keep among `rows` (a channel's oldest messages, ascending by
/// seq: (seq, sent at)): the first sent at or after `cutoff_ms`, or just after the
/// last when all are older.
pub(crate) fn keep_from(rows: &[(u64, u64)], cutoff_ms: u64) -> Option<u64> {
    let first_young = rows.iter().find(|(_, at)| *at >= cutoff_ms);
    match first_young {
        Some((seq, _)) => Some(*seq),
        None => rows.last().map(|(seq, _)| seq + 1),
    }
}

/// One pass over the channels of the partitions this worker owns; returns how
/// many had messages expired.
async fn sweep(w: &Worker, now: u64) -> Result<usize, ApiError> {
    let server = w.config.max_message_age.map(|d| d.as_secs());
    let mut after = keys::channel(0);
    let end = vec![keys::TAG_CHANNEL + 1];
    let mut expired = 0;
    loop {
        let mut start = after.clone();
        start.push(0);
        let page = w
            .store
            .scan(ScanRange::between(start, end.clone()), CHANNELS_PER_STEP)
            .await
            .map_err(store_err)?;
        let Some((last, _)) = page.last() else {
            return Ok(expired);
        };
        after = last.clone();
        for (k, v) in &page {
            let Some(cid) = keys::trailing_u64(k) else {
                continue;
            };
            let partition = natter_nats::layout::partition_of(cid, w.partitions);
            if !w.owned_partitions.borrow().contains(&partition) {
                continue;
            }
            let rec = tables::CHANNEL.decode(v).map_err(store_err)?;
            let Some(age) = max_age_ms(server, &rec) else {
                continue;
            };
            if expire_channel(w, cid, rec.floor_seq, now.saturating_sub(age)).await? {
                expired += 1;
            }
        }
        if page.len() < CHANNELS_PER_STEP {
            return Ok(expired);
        }
    }
}

/// Expires `cid`'s messages sent before `cutoff_ms`, a window at a time; returns
/// whether any were.
async fn expire_channel(
    w: &Worker,
    cid: u64,
    floor: u64,
    cutoff_ms: u64,
) -> Result<bool, ApiError> {
    let mut floor = floor.max(1);
    let mut any = false;
    loop {
        let window = keys::message_range(cid, floor, floor.saturating_add(ERASE_WINDOW));
        let rows: Vec<(u64, u64)> = w
            .store
            .scan(window, ERASE_WINDOW as usize)
            .await
            .map_err(store_err)?
            .iter()
            .filter_map(|(k, v)| {
                let seq = keys::trailing_u64(k)?;
                Some((seq, tables::MESSAGE.decode(v).ok()?.sent_at_ms))
            })
            .collect();
        let Some(keep) = keep_from(&rows, cutoff_ms).filter(|k| *k > floor) else {
            return Ok(any);
        };
        let action = ChannelAction::Expire { before_seq: keep };
        let reply = append_command(w, cid, internal::OPERATOR, action, 0).await?;
        let next: u64 = internal::decode_reply(&reply)?;
        if next <= floor {
            return Err(ApiError::new(
                ErrorCode::Internal,
                format!("channel {cid}: the floor did not move"),
            ));
        }
        metrics::counter!("natter_store_messages_expired_total").increment(next - floor);
        any = true;
        floor = next;
        if keep < next || rows.len() < ERASE_WINDOW as usize {
            return Ok(any);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shorter_maximum_age_wins_and_none_keeps_forever() {
        let mut rec = ChannelRecord {
            id: 1,
            kind: natter_protocol::http::ChannelKind::Group,
            created_at: 0,
            name: None,
            pair: None,
            blocked_by: Vec::new(),
            banned: Vec::new(),
            muted: Vec::new(),
            invites: Vec::new(),
            erased: Vec::new(),
            max_age_secs: None,
            floor_seq: 0,
        };
        assert_eq!(max_age_ms(None, &rec), None);
        assert_eq!(max_age_ms(Some(0), &rec), None);
        assert_eq!(max_age_ms(Some(60), &rec), Some(60_000));
        rec.max_age_secs = Some(30);
        assert_eq!(max_age_ms(Some(60), &rec), Some(30_000));
        assert_eq!(max_age_ms(None, &rec), Some(30_000));
        rec.max_age_secs = Some(90);
        assert_eq!(max_age_ms(Some(60), &rec), Some(60_000));
    }

    #[test]
    fn messages_are_kept_from_the_first_young_enough() {
        assert_eq!(keep_from(&[], 100), None);
        assert_eq!(
            keep_from(&[(3, 50), (4, 99), (5, 100), (6, 40)], 100),
            Some(5)
        );
        assert_eq!(keep_from(&[(3, 50), (4, 99)], 100), Some(5));
        assert_eq!(keep_from(&[(3, 150)], 100), Some(3));
    }
}
