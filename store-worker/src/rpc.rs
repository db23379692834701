//! Storage-backed request/reply: subscriptions on `rpc.>` and `admin.>` in the
//! `store-worker` queue group, a task per request (bounded), MessagePack in and out.

use std::sync::Arc;

use futures::StreamExt;
use natter_nats::subjects::{admin, rpc};
use natter_protocol::internal::{self, RpcReply};
use natter_protocol::{ApiError, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Worker, accounts, channels, push, sync};

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
            reply(&w, reply_to, payload).await;
            drop(permit);
        });
    }
}

/// Publishes an RPC reply (MessagePack).
pub(crate) async fn reply(w: &Worker, to: async_nats::Subject, payload: Vec<u8>) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        natter_nats::headers::CONTENT_TYPE,
        natter_nats::headers::MSGPACK,
    );
    if let Err(e) = w
        .nats
        .publish_with_headers(to, headers, payload.into())
        .await
    {
        tracing::warn!(error = %e, "rpc reply failed");
    }
}

async fn dispatch(w: &Worker, subject: &str, payload: &[u8]) -> Vec<u8> {
    match subject {
        rpc::SIGNUP => call(payload, |r| accounts::signup(w, r)).await,
        rpc::LOGIN => call(payload, |r| accounts::login(w, r)).await,
        rpc::USER_GET => call(payload, |r| accounts::get(w, r)).await,
        rpc::USERS_MISSING => call(payload, |r| accounts::missing(w, r)).await,
        rpc::USER_UPDATE => call(payload, |r| accounts::update(w, r)).await,
        rpc::USER_SEARCH => call(payload, |r| accounts::search(w, r)).await,
        rpc::DM_OPEN => call(payload, |r| channels::open_dm(w, r)).await,
        rpc::CHANNEL_MEMBERS => call(payload, |r| channels::members(w, r)).await,
        rpc::HISTORY => call(payload, |r| channels::history(w, r)).await,
        rpc::CHANNEL_GET => call(payload, |r| channels::get(w, r)).await,
        rpc::MEMBER_LIST => call(payload, |r| channels::member_list(w, r)).await,
        rpc::CHANNEL_LIST => call(payload, |r| channels::list(w, r)).await,
        rpc::SYNC_START => call(payload, |r| sync::start(w, r)).await,
        rpc::PUSH_TARGETS => call(payload, |r| push::targets(w, r)).await,
        rpc::DEVICE_PUSH => call(payload, |r| push::device_push(w, r)).await,
        rpc::DEVICE_LIST => call(payload, |r| push::device_list(w, r)).await,
        rpc::CHANNEL_MUTE => call(payload, |r| push::mute(w, r)).await,
        admin::USERS_CREATE => call(payload, |r| accounts::create_many(w, r)).await,
        admin::CHANNEL_INSPECT => call(payload, |r| crate::admin::channel(w, r)).await,
        admin::USER_INSPECT => call(payload, |r| crate::admin::user(w, r)).await,
        admin::LOG_APPLIED => call(payload, |r| crate::admin::log_applied(w, r)).await,
        other => internal::encode(&RpcReply::<()>::Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no rpc {other}"),
        ))),
    }
}

async fn call<Req, Resp, F, Fut>(payload: &[u8], handler: F) -> Vec<u8>
where
    Req: DeserializeOwned,
    Resp: Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: std::future::Future<Output = RpcReply<Resp>>,
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
