//! Reports: a user reports a message they can see, or a user, to the operators.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use natter_nats::rpc;
use natter_protocol::http::{ReportReceipt, ReportRequest};
use natter_protocol::internal::{MessageReq, ReportCreateReq, ReportTarget, UserGetReq};
use natter_protocol::{ApiError, ErrorCode};

use super::{Caller, HttpResult, json, parse_body};
use crate::Edge;

/// Longest note a reporter may add, in characters.
const MAX_NOTE_CHARS: usize = 1000;

#[utoipa::path(
    post,
    path = "/v1/reports",
    tag = "users",
    summary = "Report a message (one the caller can see) or a user to the operators",
    request_body = ReportRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Kept, with the content as it is now", body = ReportReceipt),
        (status = 400, description = "`bad_request`: neither or both of a message and a user, oneself, one's own message, a note over 1,000 characters", body = ApiError),
        (status = 403, description = "`not_a_member`: a message of a channel the caller is not in", body = ApiError),
        (status = 404, description = "`message_not_found`, `user_not_found`", body = ApiError),
        (status = 429, description = "`rate_limited`: 10 reports at once, then 2 a minute", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn report(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: ReportRequest = parse_body(&body)?;
    let bad = |why: &str| ApiError::new(ErrorCode::BadRequest, why.to_string());
    if req.note.chars().count() > MAX_NOTE_CHARS {
        return Err(bad("note: at most 1,000 characters").into());
    }
    edge.limiters.report(user)?;
    let target = match (req.channel, req.seq, req.user) {
        (Some(channel_id), Some(seq), None) => {
            // As the reporter sees it: only what they may read can be reported.
            let m = rpc::MESSAGE_GET
                .call(
                    &edge.nats,
                    &MessageReq {
                        user_id: user,
                        channel_id,
                        seq,
                    },
                )
                .await?;
            if m.system.is_some() {
                return Err(
                    ApiError::new(ErrorCode::MessageNotFound, "an event is not a message").into(),
                );
            }
            if m.sender == user {
                return Err(bad("one's own message cannot be reported").into());
            }
            ReportTarget::Message(Box::new(m))
        }
        (None, None, Some(other)) => {
            if other == user {
                return Err(bad("one cannot report oneself").into());
            }
            let profile = rpc::USER_GET
                .call(
                    &edge.nats,
                    &UserGetReq {
                        user_id: other,
                        own: false,
                    },
                )
                .await?;
            ReportTarget::User(profile)
        }
        _ => return Err(bad("report a message (channel and seq) or a user").into()),
    };
    let create = ReportCreateReq {
        reporter: user,
        target,
        reason: req.reason,
        note: req.note,
    };
    let id = rpc::REPORT_CREATE.call(&edge.nats, &create).await?;
    Ok(json(StatusCode::CREATED, ReportReceipt { id }))
}
