//! Copying a whole store into another (embedded → TiKV and back).
//!
//! Run it with every store worker stopped: the copy is a series of scans, not
//! one snapshot, so writes made meanwhile may or may not be copied.

use crate::kv::{Durability, ScanRange, Store, StoreError, WriteBatch};

/// Keys per read page and per write batch.
const PAGE: usize = 256;

/// What a copy or a verification saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Keys copied (or compared).
    pub keys: u64,
    /// Bytes of keys and values.
    pub bytes: u64,
}

/// Whether `store` holds no key at all.
pub async fn is_empty(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store.scan(everything(), 1).await?.is_empty())
}

fn everything() -> ScanRange {
    ScanRange {
        start: Vec::new(),
        end: None,
        reverse: false,
    }
}

/// Copies every key of `from` into `to`, in key order, one synced batch per
/// page; `progress` is called after each batch.
pub async fn copy_all(
    from: &dyn Store,
    to: &dyn Store,
    mut progress: impl FnMut(MigrateReport),
) -> Result<MigrateReport, StoreError> {
    let mut report = MigrateReport::default();
    let mut range = everything();
    loop {
        let page = from.scan(range.clone(), PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        range = range.resume_after(last);
        let full = page.len() == PAGE;
        let mut batch = WriteBatch::new().durability(Durability::Sync);
        for (k, v) in page {
            report.keys += 1;
            report.bytes += (k.len() + v.len()) as u64;
            batch = batch.put(k, v);
        }
        to.write(batch).await?;
        progress(report);
        if !full {
            break;
        }
    }
    Ok(report)
}

/// Compares both stores key by key; `Err` names the first difference.
pub async fn verify(a: &dyn Store, b: &dyn Store) -> Result<MigrateReport, String> {
    let mut report = MigrateReport::default();
    let mut range = everything();
    loop {
        let left = a
            .scan(range.clone(), PAGE)
            .await
            .map_err(|e| e.to_string())?;
        let right = b
            .scan(range.clone(), PAGE)
            .await
            .map_err(|e| e.to_string())?;
        for (i, (l, r)) in left.iter().zip(&right).enumerate() {
            if l != r {
                return Err(format!(
                    "stores differ after {} keys: {:02x?} vs {:02x?}",
                    report.keys + i as u64,
                    l.0,
                    r.0
                ));
            }
        }
        if left.len() != right.len() {
            return Err(format!(
                "stores differ in length after {} keys",
                report.keys + left.len().min(right.len()) as u64
            ));
        }
        let Some((last, _)) = left.last() else { break };
        report.keys += left.len() as u64;
        report.bytes += left
            .iter()
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum::<u64>();
        range = range.resume_after(last);
        if left.len() < PAGE {
            break;
        }
    }
    Ok(report)
}
