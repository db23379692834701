//! Keys with a per-key TTL in a KV bucket, written conditionally: leases.
//!
//! The KV API offers TTLs only on create; a lease must also be renewed (with a TTL)
//! only by its holder. This writes raw publishes to `$KV.<bucket>.<key>` with
//! `Nats-TTL` and `Nats-Expected-Last-Subject-Sequence`, so a claim succeeds only if
//! the key is free (never written, deleted, or expired) and a renewal only if nobody
//! else wrote the key since. The revision of a successful claim is strictly larger
//! than any earlier one in the bucket: it doubles as a fencing token.

use std::time::Duration;

use async_nats::header::{self, HeaderMap};
use async_nats::jetstream::{self, message::PublishMessage};
use bytes::Bytes;

use crate::subjects;

/// A KV bucket used for TTL'd, conditionally written keys.
#[derive(Clone)]
pub struct TtlKv {
    js: jetstream::Context,
    bucket: String,
    stream: jetstream::stream::Stream,
}

/// Failures talking to JetStream (a lost race is not an error: it is `None`).
#[derive(Debug, thiserror::Error)]
#[error("ttl kv {bucket}: {detail}")]
pub struct TtlKvError {
    bucket: String,
    detail: String,
}

fn is_free(headers: &HeaderMap) -> bool {
    // A delete, a purge, or the marker the server leaves when a TTL expires.
    headers.get(header::NATS_MARKER_REASON).is_some()
        || headers
            .get("KV-Operation")
            .is_some_and(|op| matches!(op.as_str(), "DEL" | "PURGE"))
}

impl TtlKv {
    /// Opens `bucket` (which must exist, with limit markers enabled).
    ///
    /// # Errors
    /// The bucket's stream cannot be read.
    pub async fn open(js: &jetstream::Context, bucket: &str) -> Result<Self, TtlKvError> {
        let stream = js
            .get_stream(crate::layout::kv_stream_name(bucket))
            .await
            .map_err(|e| TtlKvError {
                bucket: bucket.into(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            js: js.clone(),
            bucket: bucket.into(),
            stream,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> TtlKvError {
        TtlKvError {
            bucket: self.bucket.clone(),
            detail: e.to_string(),
        }
    }

    async fn publish(
        &self,
        key: &str,
        value: Bytes,
        ttl: Duration,
        expect: Option<u64>,
    ) -> Result<Option<u64>, TtlKvError> {
        let mut msg = PublishMessage::build()
            .payload(value)
            .ttl(Duration::from_secs(ttl.as_secs().max(1)));
        if let Some(rev) = expect {
            msg = msg.expected_last_subject_sequence(rev);
        }
        let ack = self
            .js
            .send_publish(subjects::kv_put(&self.bucket, key), msg)
            .await
            .map_err(|e| self.err(e))?;
        match ack.await {
            Ok(ack) => Ok(Some(ack.sequence)),
            // Somebody else wrote the key.
            Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => {
                Ok(None)
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// Writes `key` whatever it holds; returns the new revision.
    ///
    /// # Errors
    /// JetStream failed.
    pub async fn put(&self, key: &str, value: Bytes, ttl: Duration) -> Result<u64, TtlKvError> {
        self.publish(key, value, ttl, None)
            .await?
            .ok_or_else(|| self.err("unconditional put refused"))
    }

    /// Claims `key` if it is free; the claim's revision, or `None` if it is held.
    ///
    /// # Errors
    /// JetStream failed.
    pub async fn claim(
        &self,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<Option<u64>, TtlKvError> {
        let subject = subjects::kv_put(&self.bucket, key);
        let last = match self.stream.get_last_raw_message_by_subject(&subject).await {
            Ok(m) if is_free(&m.headers) => m.sequence,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == jetstream::stream::LastRawMessageErrorKind::NoMessageFound => 0,
            Err(e) => return Err(self.err(e)),
        };
        self.publish(key, value, ttl, Some(last)).await
    }

    /// Renews `key` if it still holds revision `rev`; the new revision, or `None` if
    /// the lease was lost.
    ///
    /// # Errors
    /// JetStream failed.
    pub async fn renew(
        &self,
        key: &str,
        value: Bytes,
        ttl: Duration,
        rev: u64,
    ) -> Result<Option<u64>, TtlKvError> {
        self.publish(key, value, ttl, Some(rev)).await
    }

    /// Frees `key` if it still holds revision `rev`.
    ///
    /// # Errors
    /// JetStream failed.
    pub async fn release(&self, key: &str, rev: u64) -> Result<(), TtlKvError> {
        let store = self
            .js
            .get_key_value(&self.bucket)
            .await
            .map_err(|e| self.err(e))?;
        match store.delete_expect_revision(key, Some(rev)).await {
            Ok(()) => Ok(()),
            // Already taken over: nothing of ours to free.
            Err(e) if e.kind() == async_nats::jetstream::kv::DeleteErrorKind::WrongLastRevision => {
                Ok(())
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// Deletes `key` whoever holds it (its owner shutting down).
    ///
    /// # Errors
    /// JetStream failed.
    pub async fn delete(&self, key: &str) -> Result<(), TtlKvError> {
        let store = self
            .js
            .get_key_value(&self.bucket)
            .await
            .map_err(|e| self.err(e))?;
        store.delete(key).await.map_err(|e| self.err(e))
    }

    /// The keys currently held (not deleted or expired), with their values.
    ///
    /// # Errors
    /// JetStream failed.
    pub async fn entries(&self) -> Result<Vec<(String, Bytes)>, TtlKvError> {
        use futures::StreamExt;
        let store = self
            .js
            .get_key_value(&self.bucket)
            .await
            .map_err(|e| self.err(e))?;
        let mut keys = store.keys().await.map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(k) = keys.next().await {
            let k = k.map_err(|e| self.err(e))?;
            if let Ok(Some(v)) = store.get(&k).await {
                out.push((k, v));
            }
        }
        Ok(out)
    }
}
