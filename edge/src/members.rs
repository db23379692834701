//! Membership cache: may this user send to (or type in) this channel?
//!
//! Members per channel, loaded from a store worker on a miss. Store workers publish
//! `membership.<channel>` after every membership change and each edge drops its entry
//! at once; entries also expire after [`MAX_AGE`], in case a notice was lost while
//! the edge was disconnected from NATS. The store worker checks membership again
//! when it applies a send, so a stale entry can never let a removed user's message in.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use natter_nats::{rpc, subjects};
use natter_protocol::internal::{Members, MembersReq};
use natter_protocol::{ApiError, ErrorCode};

/// Longest an entry is trusted without a notice.
const MAX_AGE: Duration = Duration::from_secs(60);

/// A cached channel: when read, its members (sorted), who may not send.
type Entry = (Instant, Arc<Vec<u64>>, Arc<Silenced>);

/// Who may not send in a channel, as its record says.
pub(crate) struct Silenced {
    /// A 1:1 channel where one blocks the other.
    blocked: bool,
    /// Muted members, with until when (ms since the epoch).
    muted: Vec<(u64, u64)>,
}

impl Silenced {
    /// Whether `user` may not send at `now_ms`.
    fn refuses(&self, user: u64, now_ms: u64) -> bool {
        self.blocked
            || self
                .muted
                .iter()
                .any(|(u, until)| *u == user && now_ms < *until)
    }
}

pub(crate) struct MembershipCache {
    nats: async_nats::Client,
    /// Per channel: when read, its members, and who may not send (a blocked 1:1
    /// channel, muted members).
    channels: quick_cache::sync::Cache<u64, Entry>,
}

impl MembershipCache {
    pub(crate) fn new(nats: async_nats::Client) -> Self {
        Self {
            nats,
            channels: quick_cache::sync::Cache::new(200_000),
        }
    }

    /// Subscribes to membership notices; the returned task drops entries as they come.
    pub(crate) async fn watch(
        self: &Arc<Self>,
    ) -> Result<tokio::task::JoinHandle<()>, async_nats::Error> {
        let mut sub = self.nats.subscribe(subjects::MEMBERSHIP_ALL).await?;
        let cache = self.clone();
        Ok(tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                if let Some(cid) = subjects::parse_membership_changed(msg.subject.as_str()) {
                    cache.channels.remove(&cid);
                    metrics::counter!("natter_edge_membership_invalidations_total").increment(1);
                }
            }
        }))
    }

    /// The members of `channel_id` (sorted), if `user_id` is one of them.
    ///
    /// # Errors
    /// `not_a_member`, or `unavailable` when no store worker answers.
    pub(crate) async fn check(
        &self,
        channel_id: u64,
        user_id: u64,
    ) -> Result<Arc<Vec<u64>>, ApiError> {
        self.read(channel_id, user_id).await.map(|(m, _)| m)
    }

    /// As [`Self::check`], for sending (or typing): refused in a 1:1 channel where
    /// one of the two blocks the other, and to a member muted until later.
    ///
    /// # Errors
    /// `not_a_member`, `forbidden` (blocked, muted), `unavailable`.
    pub(crate) async fn check_send(
        &self,
        channel_id: u64,
        user_id: u64,
    ) -> Result<Arc<Vec<u64>>, ApiError> {
        let (mut members, mut silenced) = self.read(channel_id, user_id).await?;
        if silenced.refuses(user_id, natter_protocol::now_ms()) {
            // A refusal is read again from the store first: the notice that lifted
            // a block or a mute may not have reached this edge yet (sends are rate
            // limited before this, so a refused sender costs one read per send).
            self.channels.remove(&channel_id);
            (members, silenced) = self.read(channel_id, user_id).await?;
        }
        if silenced.blocked {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "you cannot send in this chat",
            ));
        }
        let now = natter_protocol::now_ms();
        if let Some((_, until)) = silenced
            .muted
            .iter()
            .find(|(u, until)| *u == user_id && now < *until)
        {
            let mut e = ApiError::new(
                ErrorCode::Forbidden,
                format!("you are muted in this group until {until} (ms since the epoch)"),
            );
            e.retry_after_ms = Some(until - now);
            return Err(e);
        }
        Ok(members)
    }

    async fn read(
        &self,
        channel_id: u64,
        user_id: u64,
    ) -> Result<(Arc<Vec<u64>>, Arc<Silenced>), ApiError> {
        let (members, silenced) = match self
            .channels
            .get(&channel_id)
            .filter(|(at, _, _)| at.elapsed() < MAX_AGE)
        {
            Some((_, m, s)) => (m, s),
            None => {
                let m: Members = rpc::CHANNEL_MEMBERS
                    .call(&self.nats, &MembersReq { channel_id })
                    .await?;
                let ids = Arc::new(m.user_ids);
                let silenced = Arc::new(Silenced {
                    blocked: m.blocked,
                    muted: m.muted,
                });
                // Unknown channels are not cached: they would pin memory for strangers.
                if !ids.is_empty() {
                    self.channels
                        .insert(channel_id, (Instant::now(), ids.clone(), silenced.clone()));
                }
                (ids, silenced)
            }
        };
        // Member ids come from an ordered scan: sorted.
        if members.binary_search(&user_id).is_ok() {
            Ok((members, silenced))
        } else {
            Err(ApiError::new(
                ErrorCode::NotAMember,
                "no such channel, or you are not a member",
            ))
        }
    }
}
