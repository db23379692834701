//! Membership cache: may this user send to this channel?
//!
//! Members per channel, loaded from a store worker on a miss. 1:1 channels never
//! change members; group membership events will invalidate entries.

use std::sync::Arc;

use natter_nats::subjects::rpc;
use natter_protocol::internal::{Members, MembersReq};
use natter_protocol::{ApiError, ErrorCode};

pub(crate) struct MembershipCache {
    nats: async_nats::Client,
    channels: quick_cache::sync::Cache<u64, Arc<Vec<u64>>>,
}

impl MembershipCache {
    pub(crate) fn new(nats: async_nats::Client) -> Self {
        Self {
            nats,
            channels: quick_cache::sync::Cache::new(200_000),
        }
    }

    /// Ok if `user_id` is a member of `channel_id`, else `not_a_member`.
    pub(crate) async fn check(&self, channel_id: u64, user_id: u64) -> Result<(), ApiError> {
        let members = match self.channels.get(&channel_id) {
            Some(m) => m,
            None => {
                let m: Members =
                    crate::rpc::call(&self.nats, rpc::CHANNEL_MEMBERS, &MembersReq { channel_id })
                        .await?;
                let m = Arc::new(m.user_ids);
                // Unknown channels are not cached: they would pin memory for strangers.
                if !m.is_empty() {
                    self.channels.insert(channel_id, m.clone());
                }
                m
            }
        };
        // Member ids come from an ordered scan: sorted.
        if members.binary_search(&user_id).is_ok() {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::NotAMember,
                "no such channel, or you are not a member",
            ))
        }
    }
}
