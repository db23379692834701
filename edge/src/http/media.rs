//! Attachments: uploads (whole, or in parts that survive a dropped connection),
//! links to a message's files for the channel's members, and the bytes behind a
//! link, served so that a hostile file cannot run in the web app's origin.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use natter_media::{FileOrigin, Media, Upload};
use natter_nats::rpc;
use natter_protocol::http::{AttachmentLink, FileQuery, UploadRequest, UploadStatus};
use natter_protocol::ids::IdSchema;
use natter_protocol::internal::MessageReq;
use natter_protocol::ws::{Attachment, AttachmentKind};
use natter_protocol::{ApiError, ErrorCode, now_ms};
use serde::Deserialize;

use super::{Caller, HttpResult, json, parse_body, parse_id, parse_query};
use crate::Edge;

/// The edge's object store, or `not_found` when this edge has none configured.
fn media(edge: &Edge) -> Result<&Arc<Media>, ApiError> {
    edge.config.media.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "this server does not take files (no media store configured)",
        )
    })
}

fn declared_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Queues an image or audio file for the media worker (durably: JetStream has it
/// before the upload is answered; a repeat of the same id is dropped as a duplicate).
async fn queue_processing(edge: &Edge, stored: &natter_media::Stored) -> Result<(), ApiError> {
    if stored.attachment.processed {
        return Ok(());
    }
    let id = stored.attachment.id;
    let job = natter_protocol::internal::encode(&natter_protocol::internal::MediaJob {
        attachment_id: id,
    });
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, id.to_string().as_str());
    let js = async_nats::jetstream::new(edge.nats.clone());
    let unavailable = |e: String| {
        tracing::warn!(error = %e, "media job not queued");
        ApiError::new(
            ErrorCode::Unavailable,
            "could not queue the file for processing: retry",
        )
    };
    js.publish_with_headers(natter_nats::subjects::media::JOBS, headers, job.into())
        .await
        .map_err(|e| unavailable(e.to_string()))?
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    Ok(())
}

/// Counts `bytes` against `user`'s uploads of today (UTC), across every edge (a KV
/// key per user and day, updated by compare-and-set); refuses past the limit. Bytes
/// charged stay charged if the upload then fails.
///
/// # Errors
/// `quota_exceeded` (with the wait until the next day), `unavailable`.
async fn charge_quota(edge: &Edge, media: &Media, user: u64, bytes: u64) -> Result<(), ApiError> {
    let limit = media.limits.daily_bytes_per_user;
    if limit == 0 {
        return Ok(());
    }
    let unavailable = |e: String| {
        tracing::warn!(error = %e, "upload quota");
        ApiError::new(
            ErrorCode::Unavailable,
            "could not check the upload quota: retry",
        )
    };
    let kv = edge
        .media_quota
        .get_or_try_init(|| async {
            async_nats::jetstream::new(edge.nats.clone())
                .get_key_value(natter_nats::layout::MEDIA_QUOTA_BUCKET)
                .await
        })
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    const DAY_MS: u64 = 24 * 3600 * 1000;
    let now = now_ms();
    let key = format!("{user}.{}", now / DAY_MS);
    // A lost race (another edge charged meanwhile) reads again.
    for _ in 0..16 {
        let entry = kv
            .entry(&key)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let (used, revision) = match entry {
            Some(e) if e.operation == async_nats::jetstream::kv::Operation::Put => (
                std::str::from_utf8(&e.value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0),
                Some(e.revision),
            ),
            _ => (0, None),
        };
        if used.saturating_add(bytes) > limit {
            let mut e = ApiError::new(
                ErrorCode::QuotaExceeded,
                format!("at most {limit} bytes of uploads per day; {used} used today"),
            );
            e.retry_after_ms = Some(DAY_MS - now % DAY_MS);
            return Err(e);
        }
        let value = (used + bytes).to_string().into_bytes().into();
        let written = match revision {
            Some(r) => kv.update(&key, value, r).await.is_ok(),
            None => kv.create(&key, value).await.is_ok(),
        };
        if written {
            return Ok(());
        }
    }
    Err(unavailable(
        "too many concurrent uploads by one user".into(),
    ))
}

/// The store, and the caller's open upload `id` (a path segment) in it.
async fn open_upload_of<'e>(
    edge: &'e Edge,
    user: u64,
    id: &str,
) -> Result<(&'e Arc<Media>, Upload), ApiError> {
    let id = parse_id(id)?;
    let media = media(edge)?;
    Ok((media, media.upload_of(user, id, now_ms()).await?))
}

fn new_id(edge: &Edge) -> Result<u64, ApiError> {
    edge.ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))
}

#[utoipa::path(
    post,
    path = "/v1/channels/{id}/attachments",
    tag = "media",
    summary = "Upload a whole file (at most one part's size) for a send to this channel",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)"), FileQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored durably; put its `id` in a send's `attachments`", body = Attachment),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: this server takes no files", body = ApiError),
        (status = 413, description = "`file_too_large`: over the part size (upload in parts) or the file limit", body = ApiError),
        (status = 415, description = "`unsupported_media_type`: an executable", body = ApiError),
        (status = 429, description = "`rate_limited`; `quota_exceeded`: the user's uploads of today reached the daily limit (`retry_after_ms`: until the next UTC day)", body = ApiError),
    )
)]
pub(super) async fn upload_file(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<Response> {
    let channel = parse_id(&id)?;
    let query: FileQuery = parse_query(q)?;
    let media = media(&edge)?;
    if body.is_empty() {
        return Err(ApiError::new(ErrorCode::BadRequest, "the file is empty").into());
    }
    edge.limiters.send(user)?;
    edge.members.check(channel, user).await?;
    if body.len() as u64 > media.limits.part_bytes.min(media.limits.max_file_bytes) {
        // Refused before it counts against the quota.
        return Err(ApiError::new(
            ErrorCode::FileTooLarge,
            format!(
                "at most {} bytes in one request; upload in parts",
                media.limits.part_bytes
            ),
        )
        .into());
    }
    charge_quota(&edge, media, user, body.len() as u64).await?;
    let origin = FileOrigin {
        uploader: user,
        channel,
        name: query.name.unwrap_or_default(),
        declared_type: declared_type(&headers),
    };
    let stored = media
        .upload(new_id(&edge)?, &origin, body, now_ms())
        .await?;
    queue_processing(&edge, &stored).await?;
    metrics::counter!("natter_edge_uploads_total").increment(1);
    Ok(json(StatusCode::CREATED, stored.attachment))
}

async fn status_of(media: &Media, up: &Upload) -> Result<UploadStatus, ApiError> {
    Ok(UploadStatus {
        id: up.id,
        size: up.size,
        part_bytes: up.part_bytes,
        parts: up.parts(),
        received: media.received_parts(up).await?,
        expires_at: up.created_at_ms + media.limits.upload_ttl.as_millis() as u64,
    })
}

#[utoipa::path(
    post,
    path = "/v1/channels/{id}/uploads",
    tag = "media",
    summary = "Open an upload in parts (large files; a dropped connection resumes)",
    params(("id" = IdSchema, Path, description = "Channel id (decimal)")),
    request_body = UploadRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened: send parts 0 to `parts - 1`, then complete", body = UploadStatus),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: this server takes no files", body = ApiError),
        (status = 413, description = "`file_too_large`", body = ApiError),
        (status = 429, description = "`rate_limited`; `quota_exceeded`: the user's uploads of today reached the daily limit (`retry_after_ms`: until the next UTC day)", body = ApiError),
    )
)]
pub(super) async fn open_upload(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel = parse_id(&id)?;
    let req: UploadRequest = parse_body(&body)?;
    let media = media(&edge)?;
    edge.limiters.send(user)?;
    edge.members.check(channel, user).await?;
    // A size open_upload refuses (below) does not count against the quota.
    if req.size > 0 && req.size <= media.limits.max_file_bytes {
        charge_quota(&edge, media, user, req.size).await?;
    }
    let origin = FileOrigin {
        uploader: user,
        channel,
        name: req.name,
        declared_type: req.content_type.unwrap_or_default(),
    };
    let up = media
        .open_upload(new_id(&edge)?, &origin, req.size, now_ms())
        .await?;
    Ok(json(StatusCode::CREATED, status_of(media, &up).await?))
}

#[utoipa::path(
    get,
    path = "/v1/uploads/{id}",
    tag = "media",
    summary = "An open upload's parts received so far (to resume after a dropped connection)",
    params(("id" = IdSchema, Path, description = "Upload id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The upload", body = UploadStatus),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 404, description = "`attachment_not_found`: unknown, expired, completed or another's", body = ApiError),
    )
)]
pub(super) async fn upload_status(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let (media, up) = open_upload_of(&edge, user, &id).await?;
    Ok(json(StatusCode::OK, status_of(media, &up).await?))
}

#[utoipa::path(
    put,
    path = "/v1/uploads/{id}/parts/{n}",
    tag = "media",
    summary = "Send part n of an upload (exactly `part_bytes`, the last part the rest); again replaces it",
    params(
        ("id" = IdSchema, Path, description = "Upload id (decimal)"),
        ("n" = u64, Path, description = "Part number, from 0"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The part's bytes"),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Stored"),
        (status = 400, description = "`bad_request`: no such part, or not its size", body = ApiError),
        (status = 404, description = "`attachment_not_found`", body = ApiError),
    )
)]
pub(super) async fn put_part(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
    Path((id, n)): Path<(String, String)>,
    body: Bytes,
) -> HttpResult<Response> {
    let n = parse_id(&n)?;
    let (media, up) = open_upload_of(&edge, user, &id).await?;
    media.put_part(&up, n, body).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post,
    path = "/v1/uploads/{id}/complete",
    tag = "media",
    summary = "Join an upload's parts into a file (all parts must be there)",
    params(("id" = IdSchema, Path, description = "Upload id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored durably; put its `id` in a send's `attachments`", body = Attachment),
        (status = 400, description = "`bad_request`: parts missing (listed)", body = ApiError),
        (status = 404, description = "`attachment_not_found`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
    )
)]
pub(super) async fn complete_upload(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let id = parse_id(&id)?;
    let media = media(&edge)?;
    let stored = match media.upload_of(user, id, now_ms()).await {
        Ok(up) => media.complete(&up, now_ms()).await?,
        // Completed before and the answer lost (an edge died): the same file again.
        Err(e) if e.code == ErrorCode::AttachmentNotFound => media.completed(user, id).await?,
        Err(e) => return Err(e.into()),
    };
    queue_processing(&edge, &stored).await?;
    metrics::counter!("natter_edge_uploads_total").increment(1);
    Ok(json(StatusCode::CREATED, stored.attachment))
}

#[utoipa::path(
    get,
    path = "/v1/channels/{id}/messages/{seq}/attachments/{att}",
    tag = "media",
    summary = "A short-lived link to a file of a message (members only, while it is not deleted)",
    params(
        ("id" = IdSchema, Path, description = "Channel id (decimal)"),
        ("seq" = u64, Path, description = "The message's seq"),
        ("att" = IdSchema, Path, description = "The attachment's id"),
        LinkRequest,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The link (valid for minutes)", body = AttachmentLink),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`message_not_found`, `attachment_not_found`", body = ApiError),
        (status = 409, description = "`message_deleted`", body = ApiError),
        (status = 503, description = "`unavailable`: an image not processed yet (`retry_after_ms`)", body = ApiError),
    )
)]
pub(super) async fn attachment_link(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
    Path((id, seq, att)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let (channel, seq, att) = (parse_id(&id)?, parse_id(&seq)?, parse_id(&att)?);
    let LinkRequest { thumbnail } = parse_query(q)?;
    let media = media(&edge)?;
    // The store checks membership and what this user may see of the message.
    let m = rpc::MESSAGE_GET
        .call(
            &edge.nats,
            &MessageReq {
                user_id: user,
                channel_id: channel,
                seq,
            },
        )
        .await?;
    if m.deleted.is_some() {
        return Err(ApiError::new(ErrorCode::MessageDeleted, "the message was deleted").into());
    }
    let Some(carried) = m.attachments.iter().find(|a| a.id == att) else {
        return Err(ApiError::new(
            ErrorCode::AttachmentNotFound,
            "the message carries no such file",
        )
        .into());
    };
    // An image is served only once its metadata (location) is stripped.
    if carried.kind == AttachmentKind::Image && !carried.processed {
        let mut e = ApiError::new(
            ErrorCode::Unavailable,
            "the image is being processed: retry in a moment",
        );
        e.retry_after_ms = Some(1000);
        return Err(e.into());
    }
    if thumbnail && !carried.thumbnail {
        return Err(
            ApiError::new(ErrorCode::AttachmentNotFound, "this file has no thumbnail").into(),
        );
    }
    let expires_at = now_ms() + media.limits.link_ttl.as_millis() as u64;
    Ok(json(
        StatusCode::OK,
        AttachmentLink {
            url: format!("/v1/media/{att}?{}", media.sign(att, thumbnail, expires_at)),
            expires_at,
        },
    ))
}

/// Query of the link route.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LinkRequest {
    /// A link to the thumbnail (JPEG) instead of the file.
    #[serde(default)]
    thumbnail: bool,
}

/// Query of a download link.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LinkQuery {
    /// When the link expires (ms since the epoch).
    exp: u64,
    /// The edge's signature of the id, the object and the expiry.
    sig: String,
    /// The thumbnail rather than the file.
    #[serde(default)]
    thumbnail: bool,
}

#[utoipa::path(
    get,
    path = "/v1/media/{att}",
    tag = "media",
    summary = "The bytes behind a link from the route above (no token: the link is the right to read)",
    params(("att" = IdSchema, Path, description = "The attachment's id"), LinkQuery),
    responses(
        (status = 200, description = "The file: images and audio inline, anything else as a download", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "`bad_request`", body = ApiError),
        (status = 403, description = "`link_expired`: expired or altered", body = ApiError),
        (status = 404, description = "`attachment_not_found`", body = ApiError),
        (status = 503, description = "`unavailable`", body = ApiError),
    )
)]
pub(super) async fn download(
    State(edge): State<Arc<Edge>>,
    Path(att): Path<String>,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let att = parse_id(&att)?;
    let link: LinkQuery = parse_query(q)?;
    let media = media(&edge)?;
    let now = now_ms();
    media.verify(att, link.thumbnail, link.exp, &link.sig, now)?;
    let stored = media
        .stored(att)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::AttachmentNotFound, "no such attachment"))?;
    let (size, bytes) = media.read(att, link.thumbnail).await?;
    let a = &stored.attachment;
    // Only images and audio keep their type and show inline; anything else is a
    // download of opaque bytes, never rendered by the browser in this origin.
    let (content_type, disposition) = match a.kind {
        _ if link.thumbnail => ("image/jpeg", "inline"),
        AttachmentKind::Image | AttachmentKind::Audio => (a.content_type.as_str(), "inline"),
        AttachmentKind::File => ("application/octet-stream", "attachment"),
    };
    let mut resp = Body::from_stream(bytes).into_response();
    let h = resp.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, content_type.to_string());
    set(header::CONTENT_LENGTH, size.to_string());
    set(
        header::CONTENT_DISPOSITION,
        format!(
            "{disposition}; filename*=UTF-8''{}",
            encode_rfc5987(&a.name)
        ),
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox".into(),
    );
    let left = link.exp.saturating_sub(now) / 1000;
    set(header::CACHE_CONTROL, format!("private, max-age={left}"));
    Ok(resp)
}

/// A file name as an RFC 5987 `filename*` value (UTF-8, percent-encoded).
fn encode_rfc5987(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_in_headers_are_percent_encoded() {
        assert_eq!(super::encode_rfc5987("a b.pdf"), "a%20b.pdf");
        assert_eq!(super::encode_rfc5987("é;\"x"), "%C3%A9%3B%22x");
    }
}
