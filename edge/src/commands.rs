//! Channel commands (group changes, read marks) through the partition log.
//!
//! A command is appended to its channel's partition log like a send, so it takes
//! its place in the channel's one order. Before appending, the edge resolves what
//! the command's application must not look up itself (that the users it names
//! exist) and draws the ids of the system events it may append, so that a replay of
//! the log decides the same. The entry names a reply subject of this edge; the
//! partition's owner publishes the outcome there once applied. The command's id is
//! its idempotency key: the owner answers a repeat with the first outcome.
//!
//! Once the append is acked the change will be applied even if nobody waits for
//! it; a caller that times out is told `unavailable` and may look or retry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use natter_nats::rpc;
use natter_protocol::internal::{
    self, COMMAND_EVENT_IDS, ChannelAction, CommandEntry, LogEntry, RpcReply, UsersAddableReq,
};
use natter_protocol::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::{Edge, GroupAddPolicy};

/// Validates an edit, deletion or reaction, appends it to the channel's log and
/// waits for the message as it then stands. Strangers are refused here, before
/// anything is appended; the partition's owner decides the rest (author, roles,
/// whether the message exists).
///
/// # Errors
/// `message_empty`/`message_too_long`, `reaction_invalid`, `rate_limited`,
/// `not_a_member`, and the owner's refusals (`message_not_found`, `not_author`,
/// `forbidden`, `message_deleted`, `too_many_reactions`, `too_many_edits`).
pub(crate) async fn change_message(
    edge: &Edge,
    user_id: u64,
    channel_id: u64,
    mut action: ChannelAction,
) -> RpcReply<natter_protocol::ws::MessageEvent> {
    match &mut action {
        ChannelAction::Edit { text, .. } => natter_protocol::limits::check_text(text)?,
        ChannelAction::React { emoji, .. } => {
            *emoji = natter_protocol::limits::canonical_reaction(emoji)?;
        }
        ChannelAction::Delete { .. } | ChannelAction::Pin { .. } => {}
        _ => return Err(ApiError::new(ErrorCode::BadRequest, "not a message change")),
    }
    if action.changes_message() == Some(0) {
        return Err(ApiError::new(ErrorCode::MessageNotFound, "seqs start at 1"));
    }
    edge.limiters.send(user_id)?;
    if matches!(action, ChannelAction::Delete { .. }) {
        // One's own message can go even from a blocked chat.
        edge.members.check(channel_id, user_id).await?;
    } else {
        edge.members.check_send(channel_id, user_id).await?;
    }
    edge.commands.run(edge, user_id, channel_id, action).await
}

/// Deletes a message for `user` only (the store checks that they may see it). Not a
/// command: per-user state, outside the channel's order.
///
/// # Errors
/// `rate_limited`, `not_a_member`, `message_not_found`, `unavailable`.
pub(crate) async fn hide_message(
    edge: &Edge,
    user: u64,
    channel: u64,
    seq: u64,
) -> Result<(), ApiError> {
    edge.limiters.send(user)?;
    let req = natter_protocol::internal::MessageReq {
        user_id: user,
        channel_id: channel,
        seq,
    };
    natter_nats::rpc::HIDE.call(&edge.nats, &req).await
}

/// How long a caller waits for a command's outcome after its append was acked.
const OUTCOME_TIMEOUT: Duration = Duration::from_secs(10);

/// Callers waiting for the outcome of their commands.
pub(crate) struct Commands {
    /// This edge's reply subjects are `<prefix>.<n>`.
    prefix: String,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Bytes>>>,
}

/// Unregisters a waiting caller however its wait ends.
struct Waiting<'a> {
    commands: &'a Commands,
    token: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.commands.lock().remove(&self.token);
    }
}

impl Commands {
    /// Subscribes to this edge's reply subjects; the returned task routes outcomes.
    ///
    /// # Errors
    /// The subscription failed (NATS down).
    pub(crate) async fn start(
        nats: &async_nats::Client,
    ) -> Result<(Arc<Self>, tokio::task::JoinHandle<()>), async_nats::Error> {
        let prefix = nats.new_inbox();
        let mut sub = nats.subscribe(format!("{prefix}.*")).await?;
        let commands = Arc::new(Self {
            prefix,
            next: AtomicU64::new(1),
            waiting: Mutex::default(),
        });
        let routing = commands.clone();
        let task = tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                let token = msg
                    .subject
                    .rsplit('.')
                    .next()
                    .and_then(|t| t.parse::<u64>().ok());
                if let Some(tx) = token.and_then(|t| routing.lock().remove(&t)) {
                    let _ = tx.send(msg.payload);
                }
            }
        });
        Ok((commands, task))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Bytes>>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `action` on `channel_id` by `user_id` and waits for its outcome.
    ///
    /// # Errors
    /// `user_not_found` for a named user without an account; the command's own
    /// refusal (`forbidden`, `group_full`, …); `unavailable` when the log or the
    /// partition's owner does not answer in time.
    pub(crate) async fn run<Resp: DeserializeOwned>(
        &self,
        edge: &Edge,
        user_id: u64,
        channel_id: u64,
        action: ChannelAction,
    ) -> RpcReply<Resp> {
        self.run_checked(edge, user_id, channel_id, action, false)
            .await
    }

    /// Like [`Self::run`], for users named in `action` who asked for it (an
    /// accepted request to join): their privacy settings do not apply.
    ///
    /// # Errors
    /// As [`Self::run`].
    pub(crate) async fn run_requested<Resp: DeserializeOwned>(
        &self,
        edge: &Edge,
        user_id: u64,
        channel_id: u64,
        action: ChannelAction,
    ) -> RpcReply<Resp> {
        self.run_checked(edge, user_id, channel_id, action, true)
            .await
    }

    async fn run_checked<Resp: DeserializeOwned>(
        &self,
        edge: &Edge,
        user_id: u64,
        channel_id: u64,
        action: ChannelAction,
        requested: bool,
    ) -> RpcReply<Resp> {
        let named: &[u64] = match &action {
            ChannelAction::CreateGroup { members, .. } => members,
            ChannelAction::AddMembers { users } => users,
            _ => &[],
        };
        // Creating a group or joining one by invite: the user's own channel count.
        let creating = matches!(
            action,
            ChannelAction::CreateGroup { .. } | ChannelAction::JoinByInvite { .. }
        );
        if !named.is_empty() || creating {
            // Decided here, before the append, so that a replay decides the same.
            rpc::USERS_ADDABLE
                .call(
                    &edge.nats,
                    &UsersAddableReq {
                        adder: user_id,
                        user_ids: named.to_vec(),
                        adder_joins: creating,
                        contacts_only: edge.config.group_add == GroupAddPolicy::Contacts,
                        requested,
                    },
                )
                .await?;
        }
        let draw = || {
            edge.ids
                .next_id()
                .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))
        };
        let id = draw()?;
        let event_ids = if matches!(action, ChannelAction::Read { .. }) {
            Vec::new()
        } else {
            (0..COMMAND_EVENT_IDS)
                .map(|_| draw())
                .collect::<Result<_, _>>()?
        };
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock().insert(token, tx);
        let _waiting = Waiting {
            commands: self,
            token,
        };
        let entry = CommandEntry {
            id,
            at_ms: natter_idgen::timestamp_ms(id),
            user_id,
            channel_id,
            action,
            event_ids,
            reply_to: Some(format!("{}.{token}", self.prefix)),
        };
        let appended = edge.publisher.submit(LogEntry::Command(entry)).await?;
        appended
            .await
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "retry"))??;
        match tokio::time::timeout(OUTCOME_TIMEOUT, rx).await {
            Ok(Ok(reply)) => internal::decode_reply(&reply),
            _ => {
                metrics::counter!("natter_edge_command_outcomes_late_total").increment(1);
                Err(ApiError::new(
                    ErrorCode::Unavailable,
                    "the change is recorded but was not applied in time; look again shortly",
                ))
            }
        }
    }
}
