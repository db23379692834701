//! Requests to store workers over NATS request-reply (MessagePack).

use natter_nats::layout::partition_of;
use natter_nats::subjects;
use natter_protocol::internal::{self, ChannelAction, ChannelCommand, RpcReply};
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

/// Sends a channel command to the owner of the channel's partition.
pub(crate) async fn command<Resp: DeserializeOwned>(
    nats: &async_nats::Client,
    partitions: u32,
    user_id: u64,
    channel_id: u64,
    action: ChannelAction,
) -> RpcReply<Resp> {
    let subject = subjects::partition_commands(partition_of(channel_id, partitions));
    call(
        nats,
        &subject,
        &ChannelCommand {
            user_id,
            channel_id,
            action,
        },
    )
    .await
}
