//! Chat requests: asking a user whose privacy settings do not take it directly to
//! chat, or to join a group; they accept (the chat opens, or they join) or decline.
//! Rows by recipient, so listing one's requests is one scan; a request lapses
//! after 30 days unanswered.

use natter_protocol::http::{Audience, ChatRequest, Role};
use natter_protocol::internal::{ChatRequestReq, ChatRequestTakeReq, RpcReply, UserGetReq};
use natter_protocol::ws::ServerEvent;
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{ScanRange, WriteBatch, keys};

use crate::Worker;
use crate::accounts::load_user;
use crate::records::{ChatRequestRecord, now_ms};
use crate::tables::{self, store_err};

/// How long a request waits for an answer.
const LIFETIME_MS: u64 = 30 * 24 * 3600 * 1000;
/// Most requests waiting for one user: beyond, new ones are refused.
pub(crate) const MAX_WAITING: usize = 100;

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such request")
}

/// `rpc.request.create`.
pub(crate) async fn create(w: &Worker, req: ChatRequestReq) -> RpcReply<ChatRequest> {
    if req.from == req.to {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "a request to yourself",
        ));
    }
    let to = load_user(w, req.to)
        .await?
        .filter(|u| u.erased_at.is_none())
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound, "no such user"))?;
    // A blocked sender, or a recipient who takes nothing from anyone, gets the
    // answer a refused chat gets.
    let setting = if req.group.is_some() {
        to.who_can_add
    } else {
        to.who_can_message
    };
    if setting == Some(Audience::Nobody)
        || crate::blocks::between(w, req.from, req.to)
            .await
            .map_err(store_err)?
    {
        return Err(crate::blocks::refused(req.to));
    }
    let group_name = match req.group {
        None => None,
        Some(g) => Some(group_to_join(w, g, req.from, req.to).await?),
    };
    let now = now_ms();
    let (waiting, lapsed) = waiting_for(w, req.to, now).await?;
    if let Some((id, r)) = waiting
        .iter()
        .find(|(_, r)| r.from == req.from && r.group == req.group)
    {
        return Ok(view(*id, req.to, r, group_name));
    }
    if waiting.len() >= MAX_WAITING {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("user {} has too many requests waiting", req.to),
        ));
    }
    let id = w
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let rec = ChatRequestRecord {
        from: req.from,
        group: req.group,
        created_at: now,
    };
    // Lapsed requests go with the next one made.
    let batch = lapsed
        .into_iter()
        .fold(WriteBatch::new(), WriteBatch::delete);
    let batch = tables::CHAT_REQUEST.put(batch, &(req.to, id), &rec);
    w.store.write(batch).await.map_err(store_err)?;
    let made = view(id, req.to, &rec, group_name);
    w.fanout
        .to_user(
            req.to,
            &ServerEvent::ChatRequest(made.clone()),
            "chat_request",
        )
        .await;
    metrics::counter!("natter_store_chat_requests_total").increment(1);
    Ok(made)
}

/// The name of group `g`, checked for a request by `from` (its owner or an admin)
/// to `to` (not a member, not banned).
async fn group_to_join(w: &Worker, g: u64, from: u64, to: u64) -> RpcReply<String> {
    let store = w.store.as_ref();
    let rec = tables::CHANNEL
        .get(store, &g)
        .await
        .map_err(store_err)?
        .filter(|r| r.kind == natter_protocol::http::ChannelKind::Group)
        .ok_or_else(crate::partition::rules::not_member)?;
    let roles = tables::MEMBER
        .get_many(store, &[(g, from), (g, to)])
        .await
        .map_err(store_err)?;
    match roles[0].as_ref().map(|m| m.role) {
        Some(Role::Owner | Role::Admin) => {}
        Some(Role::Member) => {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "your role does not allow adding members",
            ));
        }
        None => return Err(crate::partition::rules::not_member()),
    }
    if roles[1].is_some() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "they are a member already",
        ));
    }
    if rec.banned.contains(&to) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("user {to} is banned from this group: unban them first"),
        ));
    }
    Ok(rec.name.unwrap_or_default())
}

/// The requests waiting for `to`, oldest first, and the keys of lapsed ones.
async fn waiting_for(
    w: &Worker,
    to: u64,
    now: u64,
) -> RpcReply<(Vec<(u64, ChatRequestRecord)>, Vec<Vec<u8>>)> {
    let rows = w
        .store
        .scan(
            ScanRange::prefix(keys::chat_requests_to(to)),
            MAX_WAITING * 2,
        )
        .await
        .map_err(store_err)?;
    let (mut out, mut lapsed) = (Vec::with_capacity(rows.len()), Vec::new());
    for (k, v) in rows {
        let Some(id) = keys::trailing_u64(&k) else {
            continue;
        };
        let rec = tables::CHAT_REQUEST.decode(&v).map_err(store_err)?;
        if rec.created_at + LIFETIME_MS > now {
            out.push((id, rec));
        } else {
            lapsed.push(k);
        }
    }
    Ok((out, lapsed))
}

fn view(id: u64, to: u64, r: &ChatRequestRecord, group_name: Option<String>) -> ChatRequest {
    ChatRequest {
        id,
        from: r.from,
        to,
        group: r.group,
        group_name,
        created_at: r.created_at,
        expires_at: r.created_at + LIFETIME_MS,
    }
}

/// `rpc.request.list`: the requests waiting for the user, newest first.
pub(crate) async fn list(w: &Worker, req: UserGetReq) -> RpcReply<Vec<ChatRequest>> {
    let (waiting, _) = waiting_for(w, req.user_id, now_ms()).await?;
    let groups: Vec<u64> = waiting.iter().filter_map(|(_, r)| r.group).collect();
    let recs = tables::CHANNEL
        .get_many(w.store.as_ref(), &groups)
        .await
        .map_err(store_err)?;
    let names: std::collections::HashMap<u64, String> = groups
        .into_iter()
        .zip(recs)
        .filter_map(|(g, r)| Some((g, r?.name.unwrap_or_default())))
        .collect();
    Ok(waiting
        .iter()
        .rev()
        .map(|(id, r)| {
            let name = r.group.and_then(|g| names.get(&g).cloned());
            view(*id, req.user_id, r, name)
        })
        .collect())
}

/// `rpc.request.take`.
pub(crate) async fn take(w: &Worker, req: ChatRequestTakeReq) -> RpcReply<ChatRequest> {
    let key = (req.user_id, req.id);
    let rec = tables::CHAT_REQUEST
        .get(w.store.as_ref(), &key)
        .await
        .map_err(store_err)?
        .filter(|r| r.created_at + LIFETIME_MS > now_ms())
        .ok_or_else(not_found)?;
    if req.remove {
        let batch = WriteBatch::new().delete(tables::CHAT_REQUEST.key(&key));
        w.store.write(batch).await.map_err(store_err)?;
    }
    Ok(view(req.id, req.user_id, &rec, None))
}
