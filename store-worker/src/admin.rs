//! Operator requests (`admin.*`, only the admin NATS user may publish them): what the
//! store holds about a channel or a user, for `natter admin`.

use natter_protocol::internal::{
    AdminAuditReq, AdminChannel, AdminChannelReq, AdminDevice, AdminLogApplied, AdminLogAppliedReq,
    AdminMessageDeleteReq, AdminSuspendReq, AdminUser, AdminUserReq, AuditEntry, RpcReply,
    UserGetReq,
};
use natter_protocol::{ApiError, ErrorCode};

use crate::tables::{self, store_err};
use crate::{Worker, accounts, channels, push_targets, sync};

/// A channel with its head seq and members.
pub(crate) async fn channel(w: &Worker, req: AdminChannelReq) -> RpcReply<AdminChannel> {
    let channel = channels::load_channel(w, req.channel_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such channel"))?;
    Ok(AdminChannel {
        head_seq: channels::head_seq(w, req.channel_id)
            .await
            .map_err(store_err)?,
        members: channels::member_roles(w, req.channel_id).await?,
        channel,
    })
}

/// A user's profile and every device with its cursors.
pub(crate) async fn user(w: &Worker, req: AdminUserReq) -> RpcReply<AdminUser> {
    let profile = accounts::get(
        w,
        UserGetReq {
            user_id: req.user_id,
            own: true,
        },
    )
    .await?;
    let mut devices = Vec::new();
    for (device_id, rec) in push_targets::devices(w, req.user_id)
        .await
        .map_err(store_err)?
    {
        let positions = sync::positions(w, req.user_id, &device_id)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        devices.push(AdminDevice {
            registered_at: rec.registered_at,
            push_platform: rec.push.map(|t| t.platform),
            positions,
            device_id,
        });
    }
    Ok(AdminUser { profile, devices })
}

/// Each partition's applied log position, as the store holds it.
pub(crate) async fn log_applied(w: &Worker, _: AdminLogAppliedReq) -> RpcReply<AdminLogApplied> {
    let partitions: Vec<u32> = (0..w.partitions).collect();
    let found = tables::LOG_APPLIED
        .get_many(w.store.as_ref(), &partitions)
        .await
        .map_err(store_err)?;
    let mut applied = Vec::with_capacity(found.len());
    for (p, v) in partitions.into_iter().zip(found) {
        applied.push((p, v.map_or(0, |a| a.seq)));
    }
    Ok(AdminLogApplied { applied })
}

/// Suspends or unsuspends an account, with an audit entry. A suspension also ends
/// every session (the revocation list first, so the account's sockets close on
/// every edge within seconds) and refuses logins until lifted. Replies the user id.
pub(crate) async fn suspend(w: &Worker, req: AdminSuspendReq) -> RpcReply<u64> {
    let user_id = accounts::id_named(w, &req.username).await?;
    let now = crate::records::now_ms();
    if req.suspend {
        crate::sessions::end_everywhere(w, user_id, now).await?;
    }
    accounts::modify_user(w, user_id, |u| {
        u.suspended_at = req.suspend.then(|| u.suspended_at.unwrap_or(now));
    })
    .await?;
    let action = if req.suspend { "suspend" } else { "unsuspend" };
    audit(
        w,
        &req.operator,
        action,
        format!("user:{user_id}"),
        req.reason,
    )
    .await?;
    Ok(user_id)
}

/// `unavailable` for a failure of something other than the store (NATS, idgen).
pub(crate) fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Unavailable, e.to_string())
}

/// Appends an operator action to the audit log (no request changes or deletes one).
pub(crate) async fn audit(
    w: &Worker,
    operator: &str,
    action: &str,
    target: String,
    detail: String,
) -> RpcReply<()> {
    let id = w.ids.next_id().map_err(unavailable)?;
    let entry = AuditEntry {
        at_ms: crate::records::now_ms(),
        operator: operator.chars().take(64).collect(),
        action: action.into(),
        target,
        detail: detail.chars().take(1000).collect(),
    };
    let batch = tables::AUDIT.put(natter_store::WriteBatch::new(), &id, &entry);
    w.store.write(batch).await.map_err(store_err)
}

/// The audit log, newest first.
pub(crate) async fn audit_list(w: &Worker, req: AdminAuditReq) -> RpcReply<Vec<AuditEntry>> {
    let limit = req.limit.clamp(1, 1000) as usize;
    let rows = w
        .store
        .scan(
            natter_store::ScanRange::prefix(natter_store::keys::audit_all()).reversed(),
            limit,
        )
        .await
        .map_err(store_err)?;
    rows.iter()
        .map(|(_, v)| tables::AUDIT.decode(v).map_err(store_err))
        .collect()
}

/// How long a command a store worker appends (an operator's deletion, an
/// account's erasure) waits for the partition's owner to apply it.
const OPERATOR_COMMAND_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Deletes a message for everyone as an operator: a `Delete` command by
/// [`internal::OPERATOR`] appended to the channel's log (signed like an edge's), so
/// the owner applies it in order with everything else; audited. Replies the
/// tombstone.
pub(crate) async fn delete_message(
    w: &Worker,
    req: AdminMessageDeleteReq,
) -> RpcReply<natter_protocol::ws::MessageEvent> {
    use natter_protocol::internal::{self, ChannelAction};
    let reply = append_command(
        w,
        req.channel_id,
        internal::OPERATOR,
        ChannelAction::Delete { seq: req.seq },
        2,
    )
    .await?;
    let tombstone: natter_protocol::ws::MessageEvent = internal::decode_reply(&reply)?;
    audit(
        w,
        &req.operator,
        "delete_message",
        format!("channel:{}/{}", req.channel_id, req.seq),
        req.reason,
    )
    .await?;
    Ok(tombstone)
}

/// Appends a command to a channel's log as `user_id` (signed with this worker's
/// key, as an edge signs its users' commands) with `events` event ids, and waits
/// for the owner's reply (encoded).
pub(crate) async fn append_command(
    w: &Worker,
    channel_id: u64,
    user_id: u64,
    action: natter_protocol::internal::ChannelAction,
    events: usize,
) -> RpcReply<bytes::Bytes> {
    use futures::StreamExt;
    use natter_protocol::internal::{self, CommandEntry, LogBatch, LogEntry};
    let draw = || w.ids.next_id().map_err(unavailable);
    let id = draw()?;
    let inbox = w.nats.new_inbox();
    let mut answer = w.nats.subscribe(inbox.clone()).await.map_err(unavailable)?;
    let entry = CommandEntry {
        id,
        at_ms: natter_idgen::timestamp_ms(id),
        user_id,
        channel_id,
        action,
        event_ids: (0..events).map(|_| draw()).collect::<Result<_, _>>()?,
        reply_to: Some(inbox),
    };
    let partition = natter_nats::layout::partition_of(channel_id, w.partitions);
    let subject = natter_nats::subjects::channel_log(partition, channel_id);
    let payload = internal::encode(&LogBatch {
        entries: vec![LogEntry::Command(entry)],
    });
    let headers = w.config.log_keys.append_headers(&subject, &payload);
    let publish = async_nats::jetstream::message::PublishMessage::build()
        .payload(payload.into())
        .headers(headers)
        .message_id(id.to_string());
    w.js.send_publish(subject, publish)
        .await
        .map_err(unavailable)?
        .await
        .map_err(unavailable)?;
    let reply = tokio::time::timeout(OPERATOR_COMMAND_WAIT, answer.next())
        .await
        .ok()
        .flatten()
        .ok_or_else(|| unavailable("appended, not applied in time: look again shortly"))?;
    Ok(reply.payload)
}
