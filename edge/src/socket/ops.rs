//! What each client op does (the socket's task calls these; their answers go to its
//! inbox or come back as values).

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use natter_nats::subjects;
use natter_protocol::internal::{ChannelAction, LogEntry, StreamSend};
use natter_protocol::ws::{ClientOp, MessageRef, ServerEvent};
use natter_protocol::{ApiError, ErrorCode, limits};

use super::Inbox;
use super::acks::{Sending, waiting};
use super::conn::Conn;
use super::writer::Stop;
use crate::Edge;

/// A send on its way to the log: resolves with its message id once durable.
pub(super) type Appending = BoxFuture<'static, Result<u64, ApiError>>;

/// What a send carries besides its channel and id.
pub(super) struct Draft {
    /// The text (empty for a forward).
    pub(super) text: String,
    /// The seq it replies to.
    pub(super) reply_to: Option<u64>,
    /// The message it forwards.
    pub(super) forward: Option<MessageRef>,
    /// Ids of the sender's uploads to this channel it carries.
    pub(super) attachments: Vec<u64>,
}

/// Validates a send and queues it for the log; the returned future resolves with
/// the message id once JetStream has acked it. A forward's source is read here,
/// with the sender's rights, and its text carried in the entry.
pub(super) async fn send(
    edge: &Arc<Edge>,
    user_id: u64,
    channel: u64,
    client_msg_id: String,
    draft: Draft,
) -> Result<(u64, Appending), ApiError> {
    limits::check_client_id(
        "client_msg_id",
        &client_msg_id,
        ErrorCode::InvalidClientMsgId,
    )?;
    let Draft {
        mut text,
        reply_to,
        forward,
        attachments: attachment_ids,
    } = draft;
    if forward.is_some() && (!text.is_empty() || !attachment_ids.is_empty()) {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "a forward carries the source's text and files, not its own",
        ));
    }
    if forward.is_none() {
        limits::check_send_text(&text, attachment_ids.len())?;
    }
    edge.limiters.send(user_id)?;
    let members = edge.members.check_send(channel, user_id).await?;
    let mut mentions = Vec::new();
    let mut attachments = Vec::with_capacity(attachment_ids.len());
    if let Some(src) = forward {
        let source = forwarded(edge, user_id, src).await?;
        text = source.text;
        attachments = source.attachments;
    } else {
        mentions = mentioned(edge, user_id, &members, &text).await?;
        if !attachment_ids.is_empty() {
            let media = edge.config.media.as_ref().ok_or_else(|| {
                ApiError::new(ErrorCode::AttachmentNotFound, "this server takes no files")
            })?;
            let mut seen = std::collections::HashSet::new();
            for id in attachment_ids.into_iter().filter(|id| seen.insert(*id)) {
                let now = natter_protocol::now_ms();
                attachments.push(media.for_send(user_id, channel, id, now).await?);
            }
        }
    }
    let message_id = edge
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let send = StreamSend {
        message_id,
        channel_id: channel,
        sender_id: user_id,
        client_msg_id,
        text,
        sent_at_ms: natter_idgen::timestamp_ms(message_id),
        reply_to,
        forwarded: forward.is_some(),
        mentions,
        attachments,
    };
    let ack = edge.publisher.submit(LogEntry::Send(send)).await?;
    metrics::counter!("natter_edge_sends_total").increment(1);
    Ok((
        message_id,
        Box::pin(async move {
            ack.await
                .map_err(|_| ApiError::new(ErrorCode::Unavailable, "retry"))?
                .map(|()| message_id)
        }),
    ))
}

/// The members of the channel (`members`) that `text` mentions as `@username`,
/// resolved now so that the log entry carries them (the sender left out).
///
/// # Errors
/// `unavailable` when the store does not answer.
async fn mentioned(
    edge: &Edge,
    sender: u64,
    members: &[u64],
    text: &str,
) -> Result<Vec<u64>, ApiError> {
    if !text.contains('@') {
        return Ok(Vec::new());
    }
    let usernames = limits::mentioned_usernames(text);
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    let ids = natter_nats::rpc::USER_IDS
        .call(
            &edge.nats,
            &natter_protocol::internal::UserIdsReq { usernames },
        )
        .await?;
    Ok(ids
        .into_iter()
        .map(|(_, id)| id)
        .filter(|id| *id != sender && members.contains(id))
        .collect())
}

/// A message `user` may read, for forwarding its text and files.
///
/// # Errors
/// `not_a_member` (of the source's channel), `message_not_found` (or a system
/// event), `message_deleted`.
async fn forwarded(
    edge: &Edge,
    user: u64,
    src: MessageRef,
) -> Result<natter_protocol::ws::MessageEvent, ApiError> {
    edge.members.check(src.channel, user).await?;
    let source = natter_nats::rpc::MESSAGE_GET
        .call(
            &edge.nats,
            &natter_protocol::internal::MessageReq {
                user_id: user,
                channel_id: src.channel,
                seq: src.seq,
            },
        )
        .await?;
    if source.deleted.is_some() {
        return Err(ApiError::new(
            ErrorCode::MessageDeleted,
            "the message was deleted",
        ));
    }
    if source.system.is_some() {
        return Err(ApiError::new(
            ErrorCode::MessageNotFound,
            "system events cannot be forwarded",
        ));
    }
    Ok(source)
}

/// Moves the user's read seq; answered by a `read` event on every device of the
/// user (this one included), or an error in this socket's inbox.
pub(super) fn read(edge: &Arc<Edge>, user: u64, channel: u64, seq: u64, inbox: &Arc<Inbox>) {
    let (edge, inbox) = (edge.clone(), inbox.clone());
    tokio::spawn(async move {
        let r: Result<u64, ApiError> = edge
            .commands
            .run(&edge, user, channel, ChannelAction::Read { seq })
            .await;
        if let Err(e) = r {
            inbox.direct(ServerEvent::error(e, None));
        }
    });
}

/// Edits, deletes or reacts to a message; answered by the channel's seq'd event on
/// every member's devices, or an error (with the op's `op_id`) in this socket's inbox.
pub(super) fn change(
    edge: &Arc<Edge>,
    user: u64,
    channel: u64,
    action: ChannelAction,
    op_id: Option<String>,
    inbox: &Arc<Inbox>,
) {
    let (edge, inbox) = (edge.clone(), inbox.clone());
    tokio::spawn(async move {
        if let Err(e) = crate::commands::change_message(&edge, user, channel, action).await {
            inbox.direct(ServerEvent::op_error(e, op_id));
        }
    });
}

/// Deletes a message for this user only; answered by a `hidden` event on each of
/// the user's devices, or an error (with the op's `op_id`) in this socket's inbox.
pub(super) fn hide(
    edge: &Arc<Edge>,
    user: u64,
    channel: u64,
    seq: u64,
    op_id: Option<String>,
    inbox: &Arc<Inbox>,
) {
    let (edge, inbox) = (edge.clone(), inbox.clone());
    tokio::spawn(async move {
        if let Err(e) = crate::commands::hide_message(&edge, user, channel, seq).await {
            inbox.direct(ServerEvent::op_error(e, op_id));
        }
    });
}

/// Subscribes the socket to the presence of `users`, then queues their current state.
///
/// # Errors
/// `presence_limit` past the watch limit; `unavailable` when NATS fails.
pub(super) async fn watch_presence(
    edge: &Edge,
    socket_id: u64,
    viewer: u64,
    watched: &mut HashSet<u64>,
    users: Vec<u64>,
    inbox: &Arc<Inbox>,
) -> Result<(), ApiError> {
    let mut new: Vec<u64> = users.into_iter().filter(|u| !watched.contains(u)).collect();
    new.sort_unstable();
    new.dedup();
    new.truncate(limits::MAX_PRESENCE_WATCH + 1);
    if watched.len() + new.len() > limits::MAX_PRESENCE_WATCH {
        return Err(ApiError::new(
            ErrorCode::PresenceLimit,
            format!(
                "a connection watches at most {} users",
                limits::MAX_PRESENCE_WATCH
            ),
        ));
    }
    // Users whose presence the viewer may not see are left out, silently
    // (--presence-visibility).
    let new =
        crate::presence::visible(&edge.nats, edge.config.presence.visibility, viewer, new).await?;
    // Subscribed first, so no change between the query and the subscription is lost;
    // a client keeps the state with the later `changed_at`.
    for u in &new {
        edge.hub
            .join(subjects::presence_changes(*u), socket_id, inbox.clone())
            .await
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "retry"))?;
        watched.insert(*u);
    }
    for p in crate::presence::query(&edge.nats, edge.presence_shards, &new).await? {
        inbox.direct(ServerEvent::Presence(p));
    }
    Ok(())
}

/// Tells the channel's other members that `user` is typing: core NATS on their user
/// subjects, so only members with a socket somewhere get it, and nothing is stored.
///
/// # Errors
/// `rate_limited`, `not_a_member`, `unavailable`.
pub(super) async fn typing(edge: &Edge, user: u64, channel: u64) -> Result<(), ApiError> {
    edge.limiters.typing(user)?;
    let members = edge.members.check_send(channel, user).await?;
    let headers = natter_nats::headers::json_event("typing");
    let payload = bytes::Bytes::from(ServerEvent::Typing { channel, user }.to_json());
    for m in members.iter().filter(|m| **m != user) {
        if let Err(e) = edge
            .nats
            .publish_with_headers(
                natter_nats::subjects::user_typing(*m),
                headers.clone(),
                payload.clone(),
            )
            .await
        {
            tracing::debug!(error = %e, "typing publish failed");
        }
    }
    metrics::counter!("natter_edge_typing_total").increment(1);
    Ok(())
}

impl Conn {
    /// Carries out one client op.
    pub(super) async fn op(&mut self, op: ClientOp) -> Result<(), Stop> {
        match op {
            ClientOp::PresenceSubscribe { users } => {
                if let Err(e) = watch_presence(
                    &self.edge,
                    self.id,
                    self.s.user_id,
                    &mut self.watched,
                    users,
                    &self.inbox,
                )
                .await
                {
                    self.w.error(e, None).await?;
                }
            }
            ClientOp::PresenceUnsubscribe { users } => {
                for u in users {
                    if self.watched.remove(&u) {
                        self.edge.hub.leave(&subjects::presence_changes(u), self.id);
                    }
                }
            }
            ClientOp::Ping {} => self.w.event(&ServerEvent::Pong {}).await?,
            ClientOp::Ack { channel, seq } => {
                self.edge
                    .cursors
                    .add(self.s.user_id, &self.device, channel, seq)
            }
            ClientOp::Read { channel, seq } => {
                read(&self.edge, self.s.user_id, channel, seq, &self.inbox)
            }
            ClientOp::Edit {
                channel,
                seq,
                text,
                op_id,
            } => {
                let action = ChannelAction::Edit { seq, text };
                change(
                    &self.edge,
                    self.s.user_id,
                    channel,
                    action,
                    op_id,
                    &self.inbox,
                );
            }
            ClientOp::Delete {
                channel,
                seq,
                op_id,
            } => {
                let action = ChannelAction::Delete { seq };
                change(
                    &self.edge,
                    self.s.user_id,
                    channel,
                    action,
                    op_id,
                    &self.inbox,
                );
            }
            ClientOp::Hide {
                channel,
                seq,
                op_id,
            } => hide(&self.edge, self.s.user_id, channel, seq, op_id, &self.inbox),
            ClientOp::Pin {
                channel,
                seq,
                pin,
                op_id,
            } => {
                let action = ChannelAction::Pin { seq, pin };
                change(
                    &self.edge,
                    self.s.user_id,
                    channel,
                    action,
                    op_id,
                    &self.inbox,
                );
            }
            ClientOp::React {
                channel,
                seq,
                emoji,
                add,
                op_id,
            } => {
                let action = ChannelAction::React { seq, emoji, add };
                change(
                    &self.edge,
                    self.s.user_id,
                    channel,
                    action,
                    op_id,
                    &self.inbox,
                );
            }
            ClientOp::Typing { channel } => {
                if let Err(e) = typing(&self.edge, self.s.user_id, channel).await {
                    self.w.error(e, None).await?;
                }
            }
            ClientOp::Send {
                channel,
                client_msg_id,
                text,
                reply_to,
                forward,
                attachments,
            } => {
                let cmid = client_msg_id.clone();
                let draft = Draft {
                    text,
                    reply_to,
                    forward,
                    attachments,
                };
                match send(&self.edge, self.s.user_id, channel, client_msg_id, draft).await {
                    // The durable ack is awaited by this task beside everything else,
                    // so a client may pipeline sends; they were queued in order.
                    Ok((message_id, appending)) => {
                        self.sends.push(Sending {
                            message_id,
                            channel,
                            needle: format!("\"message_id\":\"{message_id}\"").into_bytes(),
                            client_msg_id: cmid,
                            acked_at: None,
                            answered: false,
                        });
                        self.appending
                            .push(Box::pin(waiting(message_id, appending)));
                    }
                    Err(e) => {
                        self.w.error(e, Some(cmid)).await?;
                    }
                }
            }
        }
        Ok(())
    }
}
