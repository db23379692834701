//! Account deletion. The account's own rows go at once (names, password, devices
//! and their push targets, sessions, blocks), its sessions end on every edge, and
//! its username stays held for a cooling-off period. Its messages are then erased
//! channel by channel through each channel's log: one command starts it there
//! (sends refused, a group left, `account_deleted` told), then one command per
//! window of seqs rewrites the account's messages as tombstones. So the owner
//! applies the erasure in order with everything else, and a replay decides the
//! same. The channels left are kept in an `erasure` row that one worker at a time
//! claims and works through; another takes over if it dies.

use std::sync::Arc;
use std::time::Duration;

use natter_protocol::http::AccountDeletion;
use natter_protocol::internal::{self, AccountEraseReq, AdminEraseReq, ChannelAction, RpcReply};
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::accounts::{self, load_user, modify_user};
use crate::admin;
use crate::records::{ErasureRecord, now_ms};
use crate::tables::{self, store_err};

/// How long a worker's claim on an erasure holds without progress.
const CLAIM_FOR: Duration = Duration::from_secs(30);
/// How often each worker looks for erasures to work on (also woken at once when
/// it starts one).
const POLL_EVERY: Duration = Duration::from_secs(2);
/// Most channels of one account read when it is deleted.
const MAX_CHANNELS: usize = 1_000_000;
/// Most rows of one kind (sessions, devices, blocks) of one account erased.
const MAX_ROWS: usize = 100_000;

/// `rpc.user.erase`: the user deletes their account (the password checked).
pub(crate) async fn erase_own(w: &Worker, req: AccountEraseReq) -> RpcReply<AccountDeletion> {
    let user = load_user(w, req.user_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound, "no such user"))?;
    if user.erased_at.is_none()
        && !accounts::verify_password(w, req.password, user.password_hash).await?
    {
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "the password is wrong",
        ));
    }
    erase(w, req.user_id).await
}

/// `admin.user.erase`: an operator deletes an account on its user's request.
pub(crate) async fn erase_by_operator(w: &Worker, req: AdminEraseReq) -> RpcReply<AccountDeletion> {
    let user_id = accounts::id_named(w, &req.username).await?;
    let done = erase(w, user_id).await?;
    admin::audit(
        w,
        &req.operator,
        "erase_account",
        format!("user:{user_id}"),
        req.reason,
    )
    .await?;
    Ok(done)
}

/// Deletes account `user_id` (again: the same answer, nothing more erased).
async fn erase(w: &Worker, user_id: u64) -> RpcReply<AccountDeletion> {
    let now = now_ms();
    // Sessions end first: the account's sockets close on every edge at once.
    crate::sessions::end_everywhere(w, user_id, now).await?;
    let user = modify_user(w, user_id, |u| {
        u.erased_at = Some(u.erased_at.unwrap_or(now));
        u.username.clear();
        u.display_name.clear();
        u.status_text.clear();
        u.password_hash.clear();
        u.suspended_at = None;
        u.who_can_message = None;
        u.who_can_add = None;
        u.who_sees_presence = None;
    })
    .await?;
    let erased_at = user.erased_at.unwrap_or(now);
    let store = w.store.as_ref();
    let mut rows = WriteBatch::new();
    for prefix in [keys::devices_of(user_id), keys::blocks_of(user_id)] {
        for (k, _) in store
            .scan(ScanRange::prefix(prefix), MAX_ROWS)
            .await
            .map_err(store_err)?
        {
            rows = rows.delete(k);
        }
    }
    let channels: Vec<u64> = store
        .scan(ScanRange::prefix(keys::channels_of(user_id)), MAX_CHANNELS)
        .await
        .map_err(store_err)?
        .iter()
        .filter_map(|(k, _)| keys::trailing_u64(k))
        .collect();
    let n = channels.len() as u64;
    if tables::ERASURE
        .get(store, &user_id)
        .await
        .map_err(store_err)?
        .is_none()
    {
        let rec = ErasureRecord {
            at_ms: erased_at,
            channels,
            from_seq: 0,
            claimed_by: String::new(),
            claimed_until: 0,
        };
        rows = tables::ERASURE.put(rows, &user_id, &rec);
    }
    store.write(rows).await.map_err(store_err)?;
    w.erasing.notify_one();
    metrics::counter!("natter_store_accounts_erased_total").increment(1);
    Ok(AccountDeletion {
        channels: n,
        username_free_at: username_free_at(w, erased_at),
    })
}

/// When the username of an account deleted at `erased_at` may be taken again.
pub(crate) fn username_free_at(w: &Worker, erased_at: u64) -> u64 {
    erased_at.saturating_add(w.config.username_hold.as_millis() as u64)
}

/// Works on erasures until the worker stops: those nobody holds, and its own.
pub(crate) async fn keep_erasing(w: Arc<Worker>, me: String) {
    loop {
        tokio::select! {
            () = w.erasing.notified() => {}
            () = tokio::time::sleep(POLL_EVERY) => {}
        }
        if let Err(e) = erase_pending(&w, &me).await {
            tracing::warn!(code = %e.code, error = %e.message, "account erasure paused: next time");
        }
    }
}

async fn erase_pending(w: &Worker, me: &str) -> Result<(), ApiError> {
    let pending = w
        .store
        .scan(ScanRange::prefix(keys::erasures_all()), 16)
        .await
        .map_err(store_err)?;
    for (key, current) in pending {
        let Some(user) = keys::trailing_u64(&key) else {
            continue;
        };
        let rec = tables::ERASURE.decode(&current).map_err(store_err)?;
        if rec.claimed_by != me && rec.claimed_until > now_ms() {
            continue;
        }
        erase_channels(w, me, user, current, rec).await?;
    }
    Ok(())
}

/// Erases `user`'s messages channel by channel, saving where it stands (and
/// renewing the claim) after every command; gives up quietly when another worker
/// took the erasure over.
async fn erase_channels(
    w: &Worker,
    me: &str,
    user: u64,
    mut current: Vec<u8>,
    mut rec: ErasureRecord,
) -> Result<(), ApiError> {
    let key = tables::ERASURE.key(&user);
    loop {
        let Some(&cid) = rec.channels.first() else {
            let done = WriteBatch::new()
                .expect(key.clone(), Some(current))
                .delete(key);
            return match w.store.write(done).await {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
                Err(e) => Err(store_err(e)),
            };
        };
        rec.claimed_by = me.to_string();
        rec.claimed_until = now_ms() + CLAIM_FOR.as_millis() as u64;
        let next = tables::ERASURE.encode(&rec);
        let claim = WriteBatch::new()
            .expect(key.clone(), Some(current))
            .put(key.clone(), next.clone());
        match w.store.write(claim).await {
            Ok(()) => current = next,
            Err(StoreError::ConditionFailed { .. }) => return Ok(()),
            Err(e) => return Err(store_err(e)),
        }
        let action = ChannelAction::EraseAccount {
            from_seq: rec.from_seq,
        };
        // A start appends up to three events (left, owner passed on, deleted).
        let reply = admin::append_command(w, cid, user, action, 3).await?;
        let next_seq = match internal::decode_reply::<u64>(&reply) {
            Ok(next) => next,
            Err(e) if e.code.retryable() => return Err(e),
            Err(e) => {
                tracing::warn!(channel = cid, user, error = %e.message, "channel not erased: skipped");
                0
            }
        };
        rec.from_seq = next_seq;
        if next_seq == 0 {
            rec.channels.remove(0);
            metrics::counter!("natter_store_channels_erased_total").increment(1);
        }
    }
}
