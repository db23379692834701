//! Storage-backed request/reply: subscriptions on `rpc.>` and `admin.>` in the
//! `store-worker` queue group, a task per request (bounded), MessagePack in and out.

use std::sync::Arc;

use futures::StreamExt;
use natter_nats::rpc;

use crate::{Worker, accounts, channels, push_targets, sync};

/// Most requests handled at once; more wait in the subscription.
const MAX_IN_FLIGHT: usize = 512;

pub(crate) async fn serve(w: Arc<Worker>, mut sub: async_nats::Subscriber) {
    let limit = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    while let Some(msg) = sub.next().await {
        let Some(reply_to) = msg.reply.clone() else {
            continue;
        };
        let Ok(permit) = limit.clone().acquire_owned().await else {
            return;
        };
        let w = w.clone();
        tokio::spawn(async move {
            let payload = dispatch(&w, msg.subject.as_str(), &msg.payload).await;
            rpc::respond(&w.nats, reply_to, payload).await;
            drop(permit);
        });
    }
}

async fn dispatch(w: &Worker, subject: &str, payload: &[u8]) -> Vec<u8> {
    // Each arm answers through its declaration, so request and reply types are the
    // ones callers use.
    macro_rules! route {
        ($($rpc:ident => $handler:expr),* $(,)?) => {
            $(
                if Some(subject) == rpc::$rpc.subject() {
                    return rpc::$rpc.answer(payload, $handler).await;
                }
            )*
        };
    }
    route! {
        SIGNUP => |r| accounts::signup(w, r),
        LOGIN => |r| accounts::login(w, r),
        USER_GET => |r| accounts::get(w, r),
        USER_IDS => |r| accounts::ids(w, r),
        USERS_ADDABLE => |r| channels::addable(w, r),
        USER_CONTACTS => |r| channels::contacts(w, r),
        USER_UPDATE => |r| accounts::update(w, r),
        USER_SEARCH => |r| accounts::search(w, r),
        DM_OPEN => |r| channels::open_dm(w, r),
        CHANNEL_MEMBERS => |r| channels::members(w, r),
        HISTORY => |r| channels::history(w, r),
        MESSAGE_GET => |r| channels::message(w, r),
        MESSAGE_EDITS => |r| channels::edits(w, r),
        PINS => |r| channels::pins(w, r),
        HIDE => |r| channels::hide(w, r),
        RECEIPTS => |r| crate::receipts::of_channel(w, r),
        ATTACHMENT_REFS => |r| crate::attachments::referenced(w, r),
        CHANNEL_GET => |r| channels::get(w, r),
        MEMBER_LIST => |r| channels::member_list(w, r),
        CHANNEL_LIST => |r| channels::list(w, r),
        SYNC_START => |r| sync::start(w, r),
        PUSH_TARGETS => |r| push_targets::targets(w, r),
        DEVICE_PUSH => |r| push_targets::device_push(w, r),
        DEVICE_LIST => |r| push_targets::device_list(w, r),
        CHANNEL_MUTE => |r| push_targets::mute(w, r),
        SESSION_OPEN => |r| crate::sessions::open(w, r),
        SESSION_TOUCH => |r| crate::sessions::touch(w, r),
        SESSION_LIST => |r| crate::sessions::list(w, r),
        SESSION_END => |r| crate::sessions::end(w, r),
        PASSWORD_CHANGE => |r| accounts::change_password(w, r),
        ACCOUNT_ERASE => |r| crate::erasure::erase_own(w, r),
        BLOCK_SET => |r| crate::blocks::set(w, r),
        BLOCK_LIST => |r| crate::blocks::list(w, r),
        REPORT_CREATE => |r| crate::reports::create(w, r),
        INVITE_LIST => |r| channels::invites(w, r),
        REQUEST_CREATE => |r| crate::chat_requests::create(w, r),
        REQUEST_LIST => |r| crate::chat_requests::list(w, r),
        REQUEST_TAKE => |r| crate::chat_requests::take(w, r),
        ADMIN_USERS_CREATE => |r| accounts::create_many(w, r),
        ADMIN_CHANNEL_INSPECT => |r| crate::admin::channel(w, r),
        ADMIN_USER_INSPECT => |r| crate::admin::user(w, r),
        ADMIN_LOG_APPLIED => |r| crate::admin::log_applied(w, r),
        ADMIN_USER_SUSPEND => |r| crate::admin::suspend(w, r),
        ADMIN_USER_ERASE => |r| crate::erasure::erase_by_operator(w, r),
        ADMIN_AUDIT_LIST => |r| crate::admin::audit_list(w, r),
        ADMIN_REPORTS_LIST => |r| crate::reports::list(w, r),
        ADMIN_REPORT_RESOLVE => |r| crate::reports::resolve(w, r),
        ADMIN_MESSAGE_DELETE => |r| crate::admin::delete_message(w, r),
    }
    rpc::unknown(subject)
}
