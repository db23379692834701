//! Data export: a user asks for an archive of their profile, channels and the
//! messages they can see; an edge writes it in the background (a few at once) to
//! the object store, keeping its progress in the `exports` bucket where any edge
//! reads it; the archive is then downloaded through a signed link.
//!
//! The archive is one JSON document (docs/protocol.md, "Data export"):
//! `{"schema":"natter.export.v1","exported_at":…,"profile":{…},"channels":[{"channel":{…},"messages":[…]},…]}`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use natter_nats::{layout, rpc};
use natter_protocol::http::{ChannelListQuery, ExportState, ExportStatus, HistoryQuery, Profile};
use natter_protocol::internal::{ChannelListReq, HistoryReq, UserGetReq};
use natter_protocol::{ApiError, ErrorCode, now_ms};

use super::{Caller, HttpResult, json, parse_id, parse_query};
use crate::Edge;

/// Exports written at once by one edge; more are asked to come back.
pub(crate) const EXPORTS_AT_ONCE: usize = 2;
/// An export that has not moved for this long is taken as failed.
const STALE_MS: u64 = 120_000;
/// A made archive is handed out again (not made anew) for this long.
const REUSE_MS: u64 = 3_600_000;
/// How long a download link works.
const LINK_MS: u64 = 3_600_000;
/// Messages per history page read.
const PAGE: u32 = 200;

async fn bucket(edge: &Edge) -> Result<async_nats::jetstream::kv::Store, ApiError> {
    async_nats::jetstream::new(edge.nats.clone())
        .get_key_value(layout::EXPORTS_BUCKET)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))
}

type Kv = async_nats::jetstream::kv::Store;

async fn status_of(kv: &Kv, user: u64) -> Result<Option<ExportStatus>, ApiError> {
    let found = kv
        .get(user.to_string())
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    Ok(found.and_then(|b| serde_json::from_slice(&b).ok()))
}

async fn save(kv: &Kv, user: u64, s: &ExportStatus) -> Result<(), ApiError> {
    let body =
        serde_json::to_vec(s).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    kv.put(user.to_string(), body.into())
        .await
        .map(drop)
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))
}

/// The status as the user sees it: stale means failed; ready carries a fresh link.
fn shown(edge: &Edge, user: u64, mut s: ExportStatus) -> ExportStatus {
    let now = now_ms();
    if s.state == ExportState::Running && now.saturating_sub(s.updated_at) > STALE_MS {
        s.state = ExportState::Failed;
    }
    if s.state == ExportState::Ready
        && let Some(media) = edge.config.media.as_ref()
    {
        let exp = now + LINK_MS;
        s.url = Some(format!(
            "/v1/exports/{user}/{}?{}",
            s.id,
            media.sign_export(user, s.id, exp)
        ));
        s.expires_at = Some(exp);
    }
    s
}

#[utoipa::path(
    post,
    path = "/v1/me/export",
    tag = "users",
    summary = "Start an export of the caller's data (profile, channels, the messages they can see); poll GET for progress",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Started, or one under way or made within the hour", body = ExportStatus),
        (status = 404, description = "`not_found`: this server keeps no files (no media store)", body = ApiError),
        (status = 429, description = "`rate_limited`: this edge is writing as many exports as it may; retry after `retry_after_ms`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn start_export(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
) -> HttpResult<Response> {
    if edge.config.media.is_none() {
        return Err(ApiError::new(ErrorCode::NotFound, "this server keeps no files").into());
    }
    let now = now_ms();
    let kv = bucket(&edge).await?;
    if let Some(s) = status_of(&kv, user).await? {
        let s = shown(&edge, user, s);
        let reuse = match s.state {
            ExportState::Running => true,
            ExportState::Ready => now.saturating_sub(s.started_at) < REUSE_MS,
            ExportState::Failed => false,
        };
        if reuse {
            return Ok(json(StatusCode::ACCEPTED, s));
        }
    }
    let Ok(slot) = edge.exports.clone().try_acquire_owned() else {
        return Err(ApiError::rate_limited(30_000).into());
    };
    let id = edge
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let status = ExportStatus {
        id,
        state: ExportState::Running,
        channels_done: 0,
        channels_total: 0,
        bytes: 0,
        started_at: now,
        updated_at: now,
        url: None,
        expires_at: None,
    };
    save(&kv, user, &status).await?;
    let answer = shown(&edge, user, status.clone());
    let task_edge = edge.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let mut s = status;
        if let Err(e) = write_archive(&task_edge, &kv, user, &mut s).await {
            tracing::warn!(user, error = %e, "export failed");
            s.state = ExportState::Failed;
            s.updated_at = now_ms();
            let _ = save(&kv, user, &s).await;
        }
    });
    Ok(json(StatusCode::ACCEPTED, answer))
}

/// Writes the archive, saving progress after each channel.
async fn write_archive(
    edge: &Edge,
    kv: &Kv,
    user: u64,
    s: &mut ExportStatus,
) -> Result<(), ApiError> {
    let media = edge
        .config
        .media
        .as_ref()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no media store"))?;
    let profile: Profile = rpc::USER_GET
        .call(
            &edge.nats,
            &UserGetReq {
                user_id: user,
                own: true,
            },
        )
        .await?;
    let mut channels = Vec::new();
    let mut before = None;
    loop {
        let req = ChannelListReq {
            user_id: user,
            query: ChannelListQuery {
                limit: Some(200),
                before,
            },
        };
        let page = rpc::CHANNEL_LIST.call(&edge.nats, &req).await?;
        channels.extend(page.channels);
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    s.channels_total = channels.len() as u32;
    save(kv, user, s).await?;
    let mut out = media.export_writer(user, s.id).await?;
    let head = serde_json::json!({
        "schema": "natter.export.v1",
        "exported_at": now_ms(),
        "profile": profile,
    })
    .to_string();
    // The document stays open for the channels: everything but its closing brace.
    out.write(&head.as_bytes()[..head.len() - 1]);
    out.write(br#","channels":["#);
    let written = async {
        for (i, ch) in channels.iter().enumerate() {
            if i > 0 {
                out.write(b",");
            }
            out.write(br#"{"channel":"#);
            out.write(&serde_json::to_vec(ch).unwrap_or_default());
            out.write(br#","messages":["#);
            let mut after = 0;
            let mut first = true;
            loop {
                let req = HistoryReq {
                    user_id: user,
                    channel_id: ch.id,
                    query: HistoryQuery {
                        before: None,
                        after: Some(after),
                        limit: Some(PAGE),
                    },
                    max_bytes: None,
                };
                let page = rpc::HISTORY.call(&edge.nats, &req).await?;
                for m in &page.messages {
                    if !first {
                        out.write(b",");
                    }
                    first = false;
                    out.write(&serde_json::to_vec(m).unwrap_or_default());
                    after = m.seq;
                }
                out.paced().await?;
                if !page.has_more || page.messages.is_empty() {
                    break;
                }
            }
            out.write(b"]}");
            s.channels_done = i as u32 + 1;
            s.bytes = out.written();
            s.updated_at = now_ms();
            save(kv, user, s).await?;
        }
        Ok::<(), ApiError>(())
    }
    .await;
    if let Err(e) = written {
        out.abort().await;
        return Err(e);
    }
    out.write(b"]}");
    s.bytes = out.written();
    out.finish().await?;
    s.state = ExportState::Ready;
    s.updated_at = now_ms();
    save(kv, user, s).await
}

#[utoipa::path(
    get,
    path = "/v1/me/export",
    tag = "users",
    summary = "The caller's latest data export: progress, or a link to the archive",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its status (a link valid for an hour once ready)", body = ExportStatus),
        (status = 404, description = "`not_found`: none in the last day", body = ApiError),
    )
)]
pub(super) async fn export_status(
    State(edge): State<Arc<Edge>>,
    Caller(user): Caller,
) -> HttpResult<Response> {
    let s = status_of(&bucket(&edge).await?, user)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no export in the last day"))?;
    Ok(json(StatusCode::OK, shown(&edge, user, s)))
}

/// A link's query.
#[derive(serde::Deserialize)]
struct ExportLink {
    exp: u64,
    sig: String,
}

#[utoipa::path(
    get,
    path = "/v1/exports/{user}/{id}",
    tag = "users",
    summary = "Download an export (the link is the right to read: no token)",
    params(
        ("user" = natter_protocol::ids::IdSchema, Path, description = "User id"),
        ("id" = natter_protocol::ids::IdSchema, Path, description = "Export id"),
        ("exp" = u64, Query, description = "Expiry (ms)"),
        ("sig" = String, Query, description = "Signature"),
    ),
    responses(
        (status = 200, description = "The archive (JSON, as an attachment)"),
        (status = 400, description = "`bad_request`: `exp` or `sig` missing, a bad id", body = ApiError),
        (status = 403, description = "`link_expired`", body = ApiError),
        (status = 404, description = "`not_found`: collected (a day after it was made)", body = ApiError),
    )
)]
pub(super) async fn download_export(
    State(edge): State<Arc<Edge>>,
    Path((user, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> HttpResult<Response> {
    let (user, id) = (parse_id(&user)?, parse_id(&id)?);
    let link: ExportLink = parse_query(q)?;
    let media = edge
        .config
        .media
        .as_ref()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no media store"))?;
    media.verify_export(user, id, link.exp, &link.sig, now_ms())?;
    let (size, bytes) = media.read_export(user, id).await?;
    let mut resp = Body::from_stream(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"natter-export-{id}.json\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}
