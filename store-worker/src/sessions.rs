//! Sessions: a row per login, listed for its user and forgotten when it ends. The
//! rows are for showing and choosing sessions; what makes an ended session's token
//! stop working is the revocation list the edges follow (`natter_nats::revocations`).

use natter_protocol::http::SessionInfo;
use natter_protocol::internal::{
    RpcReply, SessionEndReq, SessionListReq, SessionOpenReq, SessionTouchReq,
};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::records::SessionRecord;
use crate::tables::{self, store_err};

/// Most sessions kept per user: opening one more forgets the oldest row (its token
/// keeps working until it expires or the user logs out everywhere).
pub(crate) const MAX_SESSIONS: usize = 50;
/// A session's last use is written at most this often.
const TOUCH_EVERY_MS: u64 = 60_000;

/// The user's session rows, oldest first.
async fn rows(w: &Worker, user: u64) -> Result<Vec<(u64, SessionRecord)>, StoreError> {
    let prefix = keys::sessions_of(user);
    // Rows beyond the cap are possible only briefly (racing logins): read a few more.
    let found = w
        .store
        .scan(ScanRange::prefix(prefix.clone()), 2 * MAX_SESSIONS)
        .await?;
    let mut out = Vec::with_capacity(found.len());
    for (k, v) in found {
        let Some(id) = k
            .get(prefix.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
        else {
            continue;
        };
        out.push((u64::from_be_bytes(id), tables::SESSION.decode(&v)?));
    }
    // Session ids are snowflakes: in id order is in time order.
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

/// `rpc.session.open`.
pub(crate) async fn open(w: &Worker, req: SessionOpenReq) -> RpcReply<()> {
    let existing = rows(w, req.user_id).await.map_err(store_err)?;
    let mut batch = WriteBatch::new().put(
        tables::SESSION.key(&(req.user_id, req.session_id)),
        tables::SESSION.encode(&SessionRecord {
            created_at: req.at_ms,
            last_used_at: req.at_ms,
            agent: req.agent,
        }),
    );
    let over = (existing.len() + 1).saturating_sub(MAX_SESSIONS);
    for (id, _) in existing.iter().take(over) {
        batch = batch.delete(tables::SESSION.key(&(req.user_id, *id)));
    }
    w.store.write(batch).await.map_err(store_err)
}

/// `rpc.session.touch`: last use, to the minute (a row that is gone stays gone).
pub(crate) async fn touch(w: &Worker, req: SessionTouchReq) -> RpcReply<()> {
    let key = tables::SESSION.key(&(req.user_id, req.session_id));
    let Some(current) = w.store.get(&key).await.map_err(store_err)? else {
        return Ok(());
    };
    let mut rec = tables::SESSION.decode(&current).map_err(store_err)?;
    if req.at_ms < rec.last_used_at + TOUCH_EVERY_MS {
        return Ok(());
    }
    rec.last_used_at = req.at_ms;
    let batch = WriteBatch::new()
        .expect(key.clone(), Some(current))
        .put(key, tables::SESSION.encode(&rec));
    match w.store.write(batch).await {
        // Ended or touched meanwhile: either way nothing to add.
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(store_err(e)),
    }
}

/// `rpc.session.list`: newest first; rows of expired sessions are dropped on the way.
pub(crate) async fn list(w: &Worker, req: SessionListReq) -> RpcReply<Vec<SessionInfo>> {
    let all = rows(w, req.user_id).await.map_err(store_err)?;
    let (live, expired): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|(_, r)| r.created_at >= req.since_ms);
    if !expired.is_empty() {
        let batch = expired.iter().fold(WriteBatch::new(), |b, (id, _)| {
            b.delete(tables::SESSION.key(&(req.user_id, *id)))
        });
        w.store.write(batch).await.map_err(store_err)?;
    }
    Ok(live
        .into_iter()
        .rev()
        .map(|(id, r)| SessionInfo {
            id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            agent: r.agent,
            current: id == req.current,
        })
        .collect())
}

/// How long an "every token before now" entry stays on the revocation list:
/// longer than any token lives (edges refuse token lifetimes above a year).
const EVERY_TOKEN_REVOKED_FOR: std::time::Duration =
    std::time::Duration::from_secs(366 * 24 * 3600);

/// Ends every session of `user_id` issued before `now` (a suspension, an account's
/// deletion): the revocation list first, so every edge refuses the tokens and
/// closes their sockets at once, then the session rows.
pub(crate) async fn end_everywhere(w: &Worker, user_id: u64, now: u64) -> RpcReply<()> {
    natter_nats::revocations::Revocations::open(&w.js)
        .await
        .map_err(crate::admin::unavailable)?
        .end_all_before(user_id, now, EVERY_TOKEN_REVOKED_FOR)
        .await
        .map_err(crate::admin::unavailable)?;
    end(
        w,
        SessionEndReq {
            user_id,
            session_id: None,
        },
    )
    .await
}

/// `rpc.session.end`: forgets one row, or all of the user's.
pub(crate) async fn end(w: &Worker, req: SessionEndReq) -> RpcReply<()> {
    let ids: Vec<u64> = match req.session_id {
        Some(id) => vec![id],
        None => rows(w, req.user_id)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    };
    let batch = ids.iter().fold(WriteBatch::new(), |b, id| {
        b.delete(tables::SESSION.key(&(req.user_id, *id)))
    });
    w.store.write(batch).await.map_err(store_err)
}
