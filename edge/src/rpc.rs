//! Requests to store workers over NATS request-reply (MessagePack).

use natter_protocol::internal::{self, RpcReply};
use natter_protocol::{ApiError, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Sends `req` on `subject` and decodes the reply.
pub(crate) async fn call<Req: Serialize, Resp: DeserializeOwned>(
    nats: &async_nats::Client,
    subject: &str,
    req: &Req,
) -> RpcReply<Resp> {
    let payload = internal::encode(req);
    match nats.request(subject.to_string(), payload.into()).await {
        Ok(msg) => internal::decode_reply(&msg.payload),
        Err(e) => {
            tracing::warn!(subject, error = %e, "rpc failed");
            Err(ApiError::new(
                ErrorCode::Unavailable,
                "storage unavailable, retry",
            ))
        }
    }
}
