//! Every request-reply between services, declared once: subject, request type,
//! reply type and timeout, and the one client that calls them.
//!
//! A caller names the declaration ([`SIGNUP`], [`PRESENCE_QUERY`], …), so it cannot
//! send the wrong request type or decode the wrong reply; the serving side answers
//! through the same declaration ([`Rpc::answer`]), so both ends agree at compile
//! time. Payloads are MessagePack both ways; a reply is an
//! [`RpcReply`](natter_protocol::internal::RpcReply): the result or a client-facing
//! error. A request that gets no answer in time (no responder, a stalled service)
//! is `unavailable`, as is a reply that cannot be decoded as declared.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use natter_protocol::http::{
    AccountDeletion, Channel, ChannelList, ChannelReceipts, ChatRequest, DeviceInfo, HistoryPage,
    Invite, MemberList, MessageEdits, PinList, Presence, Profile, SessionInfo,
};
use natter_protocol::internal::{
    self, AccountEraseReq, AdminAuditReq, AdminChannel, AdminChannelReq, AdminEraseReq,
    AdminLogApplied, AdminLogAppliedReq, AdminMessageDeleteReq, AdminReportsReq, AdminResolveReq,
    AdminSuspendReq, AdminUser, AdminUserReq, AttachmentRefsReq, AuditEntry, BlockReq,
    BulkUsersReq, ChannelListReq, ChannelReq, ChatRequestReq, ChatRequestTakeReq, ContactsReq,
    CursorMovesReq, DevicePushReq, DmOpenReq, HistoryReq, LoginReq, Members, MembersReq,
    MessageReq, MuteReq, PasswordChangeReq, PresenceQuery, PushTargets, PushTargetsReq, Report,
    ReportCreateReq, RpcReply, SessionEndReq, SessionListReq, SessionOpenReq, SessionTouchReq,
    SignupReq, SyncPlan, SyncStartReq, UserGetReq, UserIdsReq, UserSearchReq, UserUpdateReq,
    UsersAddableReq,
};
use natter_protocol::ws::MessageEvent;
use natter_protocol::{ApiError, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::subjects::{self, admin, rpc};

/// How long a store worker has to answer (a history page, a sign-up's password hash).
const STORE: Duration = Duration::from_secs(10);
/// How long the presence service has to answer: it answers from memory, and the
/// store worker asks it while deciding pushes.
const PRESENCE: Duration = Duration::from_secs(2);
/// How long an operator's inspection may take.
const ADMIN: Duration = Duration::from_secs(5);
/// How long bulk account creation may take (a thousand accounts, one hash).
const BULK: Duration = Duration::from_secs(30);

/// One request-reply: where it goes, what it carries and returns, how long to wait.
pub struct Rpc<Req, Resp> {
    route: Route,
    timeout: Duration,
    types: PhantomData<fn(Req) -> Resp>,
}

/// Where an RPC's requests go.
#[derive(Clone, Copy)]
enum Route {
    /// One subject, answered by a queue group.
    Fixed(&'static str),
    /// A subject per shard (or partition), answered by whoever holds it.
    Sharded(fn(u32) -> String),
}

impl<Req, Resp> Rpc<Req, Resp> {
    const fn fixed(subject: &'static str, timeout: Duration) -> Self {
        Self {
            route: Route::Fixed(subject),
            timeout,
            types: PhantomData,
        }
    }

    const fn sharded(subject: fn(u32) -> String, timeout: Duration) -> Self {
        Self {
            route: Route::Sharded(subject),
            timeout,
            types: PhantomData,
        }
    }

    /// The subject of a fixed RPC (`None` for a sharded one: see [`Rpc::subject_of`]).
    pub const fn subject(&self) -> Option<&'static str> {
        match self.route {
            Route::Fixed(s) => Some(s),
            Route::Sharded(_) => None,
        }
    }

    /// The subject of shard `shard` (a fixed RPC's only subject, whatever `shard`).
    pub fn subject_of(&self, shard: u32) -> String {
        match self.route {
            Route::Fixed(s) => s.to_string(),
            Route::Sharded(f) => f(shard),
        }
    }

    /// How long a caller waits for the reply.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl<Req: Serialize, Resp: DeserializeOwned> Rpc<Req, Resp> {
    /// Sends `req` and waits for the reply (for a sharded RPC, to shard 0; use
    /// [`Rpc::call_shard`]).
    pub async fn call(&self, nats: &async_nats::Client, req: &Req) -> RpcReply<Resp> {
        self.call_shard(nats, 0, req).await
    }

    /// Sends `req` to shard `shard` and waits for the reply.
    pub async fn call_shard(
        &self,
        nats: &async_nats::Client,
        shard: u32,
        req: &Req,
    ) -> RpcReply<Resp> {
        self.request(nats, shard, req, true).await
    }

    /// Like [`Rpc::call_shard`], without a warning when nothing answers: for probes
    /// that expect no answer yet (a service starting).
    pub async fn probe(&self, nats: &async_nats::Client, shard: u32, req: &Req) -> RpcReply<Resp> {
        self.request(nats, shard, req, false).await
    }

    async fn request(
        &self,
        nats: &async_nats::Client,
        shard: u32,
        req: &Req,
        warn: bool,
    ) -> RpcReply<Resp> {
        // A Subject clones by reference count: one for the request, one for the log.
        let subject = async_nats::Subject::from(self.subject_of(shard));
        let payload = internal::encode(req);
        let asked =
            tokio::time::timeout(self.timeout, nats.request(subject.clone(), payload.into())).await;
        match asked {
            Ok(Ok(msg)) => internal::decode_reply(&msg.payload),
            Ok(Err(e)) => {
                if warn {
                    tracing::warn!(%subject, error = %e, "rpc failed");
                }
                Err(unavailable())
            }
            Err(_) => {
                if warn {
                    tracing::warn!(%subject, timeout = ?self.timeout, "rpc timed out");
                }
                Err(unavailable())
            }
        }
    }
}

impl<Req: DeserializeOwned, Resp: Serialize> Rpc<Req, Resp> {
    /// The serving side: decodes a request, runs `handler`, encodes its reply (a
    /// request that does not decode is `bad_request`, and `handler` is not run).
    pub async fn answer<F, Fut>(&self, payload: &[u8], handler: F) -> Vec<u8>
    where
        F: FnOnce(Req) -> Fut,
        Fut: Future<Output = RpcReply<Resp>>,
    {
        let reply = match internal::decode::<Req>(payload) {
            Ok(req) => handler(req).await,
            Err(e) => Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("bad rpc request: {e}"),
            )),
        };
        internal::encode(&reply)
    }
}

/// Sends a reply (MessagePack, with its content type) to a request's inbox; a
/// reply that cannot be sent is logged (the caller's timeout answers for it).
pub async fn respond(nats: &async_nats::Client, to: async_nats::Subject, payload: Vec<u8>) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(crate::headers::CONTENT_TYPE, crate::headers::MSGPACK);
    if let Err(e) = nats.publish_with_headers(to, headers, payload.into()).await {
        tracing::warn!(error = %e, "rpc reply failed");
    }
}

fn unavailable() -> ApiError {
    ApiError::new(ErrorCode::Unavailable, "service unavailable, retry")
}

/// The reply to a request on a subject nobody declared.
pub fn unknown(subject: &str) -> Vec<u8> {
    internal::encode(&RpcReply::<()>::Err(ApiError::new(
        ErrorCode::NotFound,
        format!("no rpc {subject}"),
    )))
}

/// Declares the store workers' RPCs and the list of their subjects.
macro_rules! store_rpcs {
    ($( $(#[$doc:meta])* $name:ident: $req:ty => $resp:ty = $subject:expr, $timeout:expr; )*) => {
        $( $(#[$doc])* pub const $name: Rpc<$req, $resp> = Rpc::fixed($subject, $timeout); )*
        /// Every subject the store workers answer (a test asks each one).
        pub const STORE_WORKER_SUBJECTS: &[&str] = &[$($subject),*];
    };
}

store_rpcs! {
    /// Creates an account.
    SIGNUP: SignupReq => Profile = rpc::SIGNUP, STORE;
    /// Checks a username and password.
    LOGIN: LoginReq => Profile = rpc::LOGIN, STORE;
    /// A user's profile.
    USER_GET: UserGetReq => Profile = rpc::USER_GET, STORE;
    /// Account ids by username.
    USER_IDS: UserIdsReq => Vec<(String, u64)> = rpc::USER_IDS, STORE;
    /// Whether some users may be put in a group by a user.
    USERS_ADDABLE: UsersAddableReq => () = rpc::USERS_ADDABLE, STORE;
    /// Which of some users share a current channel with a user.
    USER_CONTACTS: ContactsReq => Vec<u64> = rpc::USER_CONTACTS, STORE;
    /// Updates one's own profile.
    USER_UPDATE: UserUpdateReq => Profile = rpc::USER_UPDATE, STORE;
    /// Users by username prefix.
    USER_SEARCH: UserSearchReq => Vec<Profile> = rpc::USER_SEARCH, STORE;
    /// Gets or creates the 1:1 channel of two users.
    DM_OPEN: DmOpenReq => Channel = rpc::DM_OPEN, STORE;
    /// A channel's member ids (the edge's membership cache).
    CHANNEL_MEMBERS: MembersReq => Members = rpc::CHANNEL_MEMBERS, STORE;
    /// A page of a channel's history.
    HISTORY: HistoryReq => HistoryPage = rpc::HISTORY, STORE;
    /// One message of a channel as it now stands.
    MESSAGE_GET: MessageReq => MessageEvent = rpc::MESSAGE_GET, STORE;
    /// Where a channel's other members stand.
    RECEIPTS: ChannelReq => ChannelReceipts = rpc::RECEIPTS, STORE;
    /// Deletes a message for one user.
    HIDE: MessageReq => () = rpc::HIDE, STORE;
    /// Which attachments messages still carry.
    ATTACHMENT_REFS: AttachmentRefsReq => Vec<u64> = rpc::ATTACHMENT_REFS, STORE;
    /// A channel's pinned messages.
    PINS: ChannelReq => PinList = rpc::PINS, STORE;
    /// One message's versions.
    MESSAGE_EDITS: MessageReq => MessageEdits = rpc::MESSAGE_EDITS, STORE;
    /// One channel as a member sees it.
    CHANNEL_GET: ChannelReq => Channel = rpc::CHANNEL_GET, STORE;
    /// A channel's members with roles.
    MEMBER_LIST: ChannelReq => MemberList = rpc::MEMBER_LIST, STORE;
    /// The user's channels by last activity.
    CHANNEL_LIST: ChannelListReq => ChannelList = rpc::CHANNEL_LIST, STORE;
    /// Registers a device; its cursors and the heads.
    SYNC_START: SyncStartReq => SyncPlan = rpc::SYNC_START, STORE;
    /// Push targets of (user, channel) pairs.
    PUSH_TARGETS: PushTargetsReq => PushTargets = rpc::PUSH_TARGETS, STORE;
    /// Sets or clears a device's push target.
    DEVICE_PUSH: DevicePushReq => DeviceInfo = rpc::DEVICE_PUSH, STORE;
    /// A user's devices with their push targets.
    DEVICE_LIST: UserGetReq => Vec<DeviceInfo> = rpc::DEVICE_LIST, STORE;
    /// Mutes or unmutes a channel for a user.
    CHANNEL_MUTE: MuteReq => () = rpc::CHANNEL_MUTE, STORE;
    /// Records a session (a login).
    SESSION_OPEN: SessionOpenReq => () = rpc::SESSION_OPEN, STORE;
    /// Records that a session was used.
    SESSION_TOUCH: SessionTouchReq => () = rpc::SESSION_TOUCH, STORE;
    /// A user's sessions.
    SESSION_LIST: SessionListReq => Vec<SessionInfo> = rpc::SESSION_LIST, STORE;
    /// Forgets one session of a user, or all.
    SESSION_END: SessionEndReq => () = rpc::SESSION_END, STORE;
    /// Changes a user's password after checking the current one.
    PASSWORD_CHANGE: PasswordChangeReq => Profile = rpc::PASSWORD_CHANGE, STORE;
    /// Deletes a user's account after checking the password.
    ACCOUNT_ERASE: AccountEraseReq => AccountDeletion = rpc::ACCOUNT_ERASE, STORE;
    /// Blocks or unblocks a user; replies their 1:1 channel, if any.
    BLOCK_SET: BlockReq => Option<u64> = rpc::BLOCK_SET, STORE;
    /// The users a user blocks (profiles).
    BLOCK_LIST: UserGetReq => Vec<Profile> = rpc::BLOCK_LIST, STORE;
    /// A group's open invites (owners and admins).
    INVITE_LIST: ChannelReq => Vec<Invite> = rpc::INVITE_LIST, STORE;
    /// Makes a chat request (or answers the one waiting).
    REQUEST_CREATE: ChatRequestReq => ChatRequest = rpc::REQUEST_CREATE, STORE;
    /// A user's waiting chat requests.
    REQUEST_LIST: UserGetReq => Vec<ChatRequest> = rpc::REQUEST_LIST, STORE;
    /// One of a user's waiting chat requests (removed if asked).
    REQUEST_TAKE: ChatRequestTakeReq => ChatRequest = rpc::REQUEST_TAKE, STORE;
    /// Keeps a report; replies its id.
    REPORT_CREATE: ReportCreateReq => u64 = rpc::REPORT_CREATE, STORE;
    /// Creates many accounts (operators and the load generator).
    ADMIN_USERS_CREATE: BulkUsersReq => Vec<Profile> = admin::USERS_CREATE, BULK;
    /// One channel as stored.
    ADMIN_CHANNEL_INSPECT: AdminChannelReq => AdminChannel = admin::CHANNEL_INSPECT, ADMIN;
    /// One user's devices and cursors.
    ADMIN_USER_INSPECT: AdminUserReq => AdminUser = admin::USER_INSPECT, ADMIN;
    /// How far each partition's log is applied.
    ADMIN_LOG_APPLIED: AdminLogAppliedReq => AdminLogApplied = admin::LOG_APPLIED, ADMIN;
    /// Suspends or unsuspends an account; replies its id.
    ADMIN_USER_SUSPEND: AdminSuspendReq => u64 = admin::USER_SUSPEND, ADMIN;
    /// Deletes an account on its user's request.
    ADMIN_USER_ERASE: AdminEraseReq => AccountDeletion = admin::USER_ERASE, ADMIN;
    /// The operators' audit log, newest first.
    ADMIN_AUDIT_LIST: AdminAuditReq => Vec<AuditEntry> = admin::AUDIT_LIST, ADMIN;
    /// Reports, newest first.
    ADMIN_REPORTS_LIST: AdminReportsReq => Vec<Report> = admin::REPORTS_LIST, ADMIN;
    /// Closes a report.
    ADMIN_REPORT_RESOLVE: AdminResolveReq => Report = admin::REPORT_RESOLVE, ADMIN;
    /// Deletes a message for everyone, as an operator; replies the tombstone.
    ADMIN_MESSAGE_DELETE: AdminMessageDeleteReq => MessageEvent = admin::MESSAGE_DELETE, ADMIN;
}

/// Users' presence, asked of the presence service's shard (`presence.query.<shard>`).
pub const PRESENCE_QUERY: Rpc<PresenceQuery, Vec<Presence>> =
    Rpc::sharded(subjects::presence_query, PRESENCE);

/// A processed attachment, announced by an edge as its channel's event; answers
/// the event's seq (0 when it changed nothing).
pub const MEDIA_PROCESSED: Rpc<internal::MediaProcessedReq, u64> =
    Rpc::fixed(subjects::media::PROCESSED, STORE);

/// Moves device cursors, asked of a partition's owner (`cursor.<partition>`).
pub const CURSOR_MOVES: Rpc<CursorMovesReq, ()> = Rpc::sharded(subjects::partition_cursors, STORE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_subjects_are_the_declared_ones_without_repeats() {
        let mut seen = std::collections::HashSet::new();
        for s in STORE_WORKER_SUBJECTS {
            assert!(s.starts_with("rpc.") || s.starts_with("admin."), "{s}");
            assert!(seen.insert(*s), "{s} declared twice");
        }
        assert_eq!(SIGNUP.subject(), Some(rpc::SIGNUP));
        assert_eq!(PRESENCE_QUERY.subject(), None);
        assert_eq!(PRESENCE_QUERY.subject_of(3), subjects::presence_query(3));
        assert_eq!(CURSOR_MOVES.subject_of(5), subjects::partition_cursors(5));
    }

    #[tokio::test]
    async fn answer_refuses_a_request_that_does_not_decode() {
        let reply = SIGNUP
            .answer(b"\xc1 not msgpack", |_| async {
                panic!("a bad request must not reach the handler")
            })
            .await;
        let decoded: RpcReply<Profile> = internal::decode_reply(&reply);
        assert_eq!(decoded.unwrap_err().code, ErrorCode::BadRequest);
    }
}
