//! Exactly-once, in-order delivery to one socket.
//!
//! A socket knows, per channel, the highest seq it has been sent. On connect it starts
//! from the device's server-side cursors (`rpc.sync.start`) and first sends every
//! message after them, channel by channel, in bounded pages fetched ahead by a
//! separate task (so a device that was away for 100,000 messages gets them page by
//! page and never stalls anyone else). Live events wait in the socket's queue
//! meanwhile; afterwards a live message at or below the socket's position is a
//! duplicate and is dropped, and one beyond position + 1 reveals a gap (a lost core
//! NATS event, or a channel the user just joined), which is filled from the store
//! before the live message is written.
//!
//! The device acks what it has shown; the edge writes every socket's acks in
//! batches (`crate::cursors`), and a socket's close is echoed once its acks are
//! written.

use std::collections::HashMap;

use natter_nats::rpc;
use natter_protocol::http::{HistoryPage, HistoryQuery};
use natter_protocol::internal::{HistoryReq, SyncPlan, SyncPosition, SyncStartReq};
use natter_protocol::ws::MessageEvent;
use natter_protocol::{ApiError, limits};
use tokio::sync::mpsc;

/// One page of catch-up, or why it could not be fetched.
pub(crate) type Page = Result<Vec<MessageEvent>, ApiError>;

/// Pages fetched ahead of the socket's writer during catch-up.
const PAGES_AHEAD: usize = 2;

/// Per-channel positions of one socket.
pub(crate) struct Delivery {
    nats: async_nats::Client,
    user_id: u64,
    /// Highest seq sent per channel.
    sent: HashMap<u64, u64>,
}

/// What to do with a live message event.
pub(crate) enum Verdict {
    /// Already sent.
    Duplicate,
    /// Next in order: write it.
    Next,
    /// Messages after this seq are missing: fill them first.
    Gap(u64),
}

impl Delivery {
    /// Registers the device and loads its cursors; returns the positions and the
    /// channels with messages to catch up on.
    ///
    /// # Errors
    /// `invalid_device_id`, or `unavailable` when no store worker answers.
    pub(crate) async fn start(
        nats: async_nats::Client,
        user_id: u64,
        device_id: &str,
    ) -> Result<(Self, Vec<SyncPosition>), ApiError> {
        let plan: SyncPlan = rpc::SYNC_START
            .call(
                &nats,
                &SyncStartReq {
                    user_id,
                    device_id: device_id.to_string(),
                },
            )
            .await?;
        let sent = plan
            .channels
            .iter()
            .map(|p| (p.channel_id, p.cursor))
            .collect();
        let behind = plan
            .channels
            .into_iter()
            .filter(|p| p.cursor < p.head)
            .collect();
        Ok((
            Self {
                nats,
                user_id,
                sent,
            },
            behind,
        ))
    }

    /// Highest seq of `channel` sent (0: none, or a channel unknown at connect).
    pub(crate) fn position(&self, channel: u64) -> u64 {
        self.sent.get(&channel).copied().unwrap_or(0)
    }

    /// Whether `seq` of `channel` should be written; records it if so.
    pub(crate) fn accept(&mut self, channel: u64, seq: u64) -> bool {
        let last = self.sent.entry(channel).or_insert(0);
        if seq <= *last {
            return false;
        }
        *last = seq;
        true
    }

    /// How a live message at (`channel`, `seq`) relates to what was sent.
    pub(crate) fn verdict(&self, channel: u64, seq: u64) -> Verdict {
        let last = self.position(channel);
        if seq <= last {
            Verdict::Duplicate
        } else if seq == last + 1 {
            Verdict::Next
        } else {
            Verdict::Gap(last)
        }
    }

    /// One page of `channel` after `after`, up to `until` inclusive.
    pub(crate) async fn page(
        &self,
        channel: u64,
        after: u64,
        until: u64,
    ) -> Result<HistoryPage, ApiError> {
        fetch(&self.nats, self.user_id, channel, after, until).await
    }
}

async fn fetch(
    nats: &async_nats::Client,
    user_id: u64,
    channel: u64,
    after: u64,
    until: u64,
) -> Result<HistoryPage, ApiError> {
    rpc::HISTORY
        .call(
            nats,
            &HistoryReq {
                user_id,
                channel_id: channel,
                query: HistoryQuery {
                    before: Some(until.saturating_add(1)),
                    after: Some(after),
                    limit: Some(limits::SYNC_PAGE_MESSAGES),
                },
                max_bytes: Some(limits::SYNC_PAGE_BYTES as u32),
            },
        )
        .await
}

/// Starts fetching the catch-up pages of `behind`; the receiver ends after the last.
pub(crate) fn catch_up(
    nats: async_nats::Client,
    user_id: u64,
    behind: Vec<SyncPosition>,
) -> mpsc::Receiver<Page> {
    let (tx, rx) = mpsc::channel(PAGES_AHEAD);
    tokio::spawn(async move {
        for pos in behind {
            let mut after = pos.cursor;
            while after < pos.head {
                match fetch(&nats, user_id, pos.channel_id, after, pos.head).await {
                    Ok(page) => {
                        let Some(last) = page.messages.last().map(|m| m.seq) else {
                            break;
                        };
                        after = last;
                        if tx.send(Ok(page.messages)).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
        }
    });
    rx
}
