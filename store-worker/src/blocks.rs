//! Blocks: a user blocks another. The row (blocker, blocked) is what the checks
//! outside a channel read: opening a 1:1 channel, adding to a group, seeing
//! presence, being notified. Inside a 1:1 channel the block is also a command in its
//! log (`ChannelAction::Block`), so that the partition refuses sends in it as a
//! replay of the log would.

use natter_protocol::http::Profile;
use natter_protocol::internal::{BlockReq, MAX_BLOCKS, RpcReply, UserGetReq};
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::records::now_ms;
use crate::tables::{self, store_err};

/// `rpc.user.block`: writes or removes the row; replies the pair's 1:1 channel.
pub(crate) async fn set(w: &Worker, req: BlockReq) -> RpcReply<Option<u64>> {
    if req.user_id == req.other {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "cannot block yourself",
        ));
    }
    if crate::accounts::load_user(w, req.other).await?.is_none() {
        return Err(ApiError::new(ErrorCode::UserNotFound, "no such user"));
    }
    let key = tables::BLOCK.key(&(req.user_id, req.other));
    let batch = if req.block {
        let held = w
            .store
            .scan(ScanRange::prefix(keys::blocks_of(req.user_id)), MAX_BLOCKS)
            .await
            .map_err(store_err)?;
        if held.len() >= MAX_BLOCKS && !held.iter().any(|(k, _)| *k == key) {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("at most {MAX_BLOCKS} blocked users: unblock one first"),
            ));
        }
        tables::BLOCK.put(WriteBatch::new(), &(req.user_id, req.other), &now_ms())
    } else {
        WriteBatch::new().delete(key)
    };
    w.store.write(batch).await.map_err(store_err)?;
    if req.block {
        // Sockets of the blocked user that watch the blocker's presence stop
        // getting it, on every edge (the notice never reaches the socket).
        let (headers, payload) = natter_nats::user_events::hide_presence(req.user_id);
        let subject = natter_nats::subjects::user_events(req.other);
        if let Err(e) = w.nats.publish_with_headers(subject, headers, payload).await {
            tracing::warn!(error = %e, "presence of a blocker not hidden from open watches");
        }
    }
    tables::DM_PAIR
        .get(w.store.as_ref(), &(req.user_id, req.other))
        .await
        .map_err(store_err)
}

/// `rpc.user.blocks`: the profiles of the users `user_id` blocks.
pub(crate) async fn list(w: &Worker, req: UserGetReq) -> RpcReply<Vec<Profile>> {
    let prefix = keys::blocks_of(req.user_id);
    let rows = w
        .store
        .scan(ScanRange::prefix(prefix.clone()), MAX_BLOCKS)
        .await
        .map_err(store_err)?;
    let ids: Vec<u64> = rows
        .iter()
        .filter_map(|(k, _)| {
            let b = <[u8; 8]>::try_from(k.get(prefix.len()..)?).ok()?;
            Some(u64::from_be_bytes(b))
        })
        .collect();
    let found = tables::USER
        .get_many(w.store.as_ref(), &ids)
        .await
        .map_err(store_err)?;
    Ok(found.into_iter().flatten().map(|u| u.profile()).collect())
}

/// Which of `others` block `user` (in order).
pub(crate) async fn blocked_by(
    w: &Worker,
    user: u64,
    others: &[u64],
) -> Result<Vec<bool>, StoreError> {
    let pairs: Vec<(u64, u64)> = others.iter().map(|o| (*o, user)).collect();
    Ok(tables::BLOCK
        .get_many(w.store.as_ref(), &pairs)
        .await?
        .into_iter()
        .map(|b| b.is_some())
        .collect())
}

/// Whether either of two users blocks the other.
pub(crate) async fn between(w: &Worker, a: u64, b: u64) -> Result<bool, StoreError> {
    let found = tables::BLOCK
        .get_many(w.store.as_ref(), &[(a, b), (b, a)])
        .await?;
    Ok(found.iter().any(Option::is_some))
}

/// What a refusal because of a block says (the same as a consent refusal: whether
/// someone blocked you is not told).
pub(crate) fn refused(u: u64) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!("user {u} does not accept this from you"),
    )
}
