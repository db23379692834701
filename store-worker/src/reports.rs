//! Users' reports of messages and users, for operators. A report keeps the content
//! as the reporter saw it (a deletion or an account's erasure later does not change
//! it), for [`REPORT_RETENTION_DAYS`] days; a reported message's files are kept
//! that long too (a reference row holds them against the media worker's
//! collection). Reading and resolving them are audited operator actions.

use std::time::Duration;

use natter_protocol::internal::{
    AdminReportsReq, AdminResolveReq, REPORT_RETENTION_DAYS, Report, ReportCreateReq, ReportTarget,
    RpcReply,
};
use natter_protocol::{ApiError, ErrorCode};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::admin::unavailable;
use crate::records::now_ms;
use crate::tables::{self, store_err};

/// How often old reports are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Most reports removed per sweep pass.
const SWEEP_BATCH: usize = 1000;
/// The "channel" of the reference rows that keep reported files.
const REPORTS_REF: u64 = 0;

fn files(r: &Report) -> Vec<u64> {
    match &r.target {
        ReportTarget::Message(m) => m.attachments.iter().map(|a| a.id).collect(),
        ReportTarget::User(_) => Vec::new(),
    }
}

/// `rpc.report.create`.
pub(crate) async fn create(w: &Worker, req: ReportCreateReq) -> RpcReply<u64> {
    let id = w.ids.next_id().map_err(unavailable)?;
    let report = Report {
        id,
        at_ms: now_ms(),
        reporter: req.reporter,
        target: req.target,
        reason: req.reason,
        note: req.note.chars().take(1000).collect(),
        resolved: None,
    };
    let mut batch = tables::REPORT.put(WriteBatch::new(), &id, &report);
    for f in files(&report) {
        batch = tables::ATTACHMENT_REF.put(batch, &(f, REPORTS_REF, id), &report.at_ms);
    }
    w.store.write(batch).await.map_err(store_err)?;
    metrics::counter!("natter_store_reports_total").increment(1);
    Ok(id)
}

/// `admin.reports.list`: newest first; the read is audited.
pub(crate) async fn list(w: &Worker, req: AdminReportsReq) -> RpcReply<Vec<Report>> {
    let limit = req.limit.clamp(1, 1000) as usize;
    let mut out = Vec::new();
    let mut range = ScanRange::prefix(keys::reports_all()).reversed();
    // Resolved ones are skipped when only open ones are asked for: read on in pages.
    loop {
        let rows = w
            .store
            .scan(range.clone(), limit)
            .await
            .map_err(store_err)?;
        let Some((last, _)) = rows.last() else { break };
        let last = last.clone();
        for (_, v) in &rows {
            let r = tables::REPORT.decode(v).map_err(store_err)?;
            if !req.open_only || r.resolved.is_none() {
                out.push(r);
            }
        }
        if out.len() >= limit || rows.len() < limit {
            break;
        }
        range = range.resume_after(&last);
    }
    out.truncate(limit);
    let what = if req.open_only { "open" } else { "all" };
    crate::admin::audit(
        w,
        &req.operator,
        "view_reports",
        format!("reports:{what}"),
        format!("{} shown", out.len()),
    )
    .await?;
    Ok(out)
}

/// `admin.reports.resolve`: closes a report (again: the latest resolution stands,
/// and each is audited).
pub(crate) async fn resolve(w: &Worker, req: AdminResolveReq) -> RpcReply<Report> {
    let mut report = tables::REPORT
        .get(w.store.as_ref(), &req.id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such report"))?;
    report.resolved = Some(natter_protocol::internal::Resolution {
        at_ms: now_ms(),
        operator: req.operator.chars().take(64).collect(),
        action: req.action.chars().take(64).collect(),
        note: req.note.chars().take(1000).collect(),
    });
    let batch = tables::REPORT.put(WriteBatch::new(), &req.id, &report);
    w.store.write(batch).await.map_err(store_err)?;
    crate::admin::audit(
        w,
        &req.operator,
        "resolve_report",
        format!("report:{}", req.id),
        format!("{}: {}", req.action, req.note),
    )
    .await?;
    Ok(report)
}

/// Removes reports older than the retention, with the rows keeping their files.
/// Returns how many went.
pub(crate) async fn sweep(w: &Worker, now: u64) -> Result<usize, StoreError> {
    let cutoff = now.saturating_sub(REPORT_RETENTION_DAYS * 24 * 3600 * 1000);
    let range = ScanRange::between(
        keys::reports_all(),
        keys::report(natter_idgen::first_id_at(cutoff)),
    );
    let rows = w.store.scan(range, SWEEP_BATCH).await?;
    let mut batch = WriteBatch::new();
    for (k, v) in &rows {
        let r = tables::REPORT.decode(v)?;
        for f in files(&r) {
            batch = batch.delete(tables::ATTACHMENT_REF.key(&(f, REPORTS_REF, r.id)));
        }
        batch = batch.delete(k.clone());
    }
    if !rows.is_empty() {
        w.store.write(batch).await?;
    }
    Ok(rows.len())
}

/// Sweeps old reports every [`SWEEP_EVERY`] (any store worker may: a removal is
/// safe to repeat).
pub(crate) async fn keep_sweeping(w: std::sync::Arc<Worker>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        match sweep(&w, now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reports = n, "old reports removed"),
            Err(e) => tracing::warn!(error = %e, "report sweep failed"),
        }
    }
}
