//! Attachments: files kept in an object store, uploaded whole or in parts, checked
//! by their bytes, and read through short-lived signed links.
//!
//! Layout of the store (flat where durability matters):
//! - `a/<id>`: an attachment's bytes; `a/<id>.json`: what it is ([`Stored`]). Both
//!   written with fsync of the file and of `a/` (which exists from the start), so
//!   an acknowledged upload survives a crash.
//! - `u/<upload>/meta.json` and `u/<upload>/<n>`: an upload in parts while it is
//!   open. A part lost to a crash is reported missing and sent again; the parts
//!   are joined into `a/<id>` (durably) by `complete`.
//!
//! The edge owns this: it checks who may upload and read; the store keeps bytes.

#![deny(missing_docs)]

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use hmac::{Hmac, Mac};
use natter_protocol::ws::{Attachment, AttachmentKind};
use natter_protocol::{ApiError, ErrorCode, limits};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use serde::{Deserialize, Serialize};

pub mod exports;
pub mod process;
mod s3;
mod sniff;
pub mod worker;

pub use s3::{S3Config, S3Credentials};
pub use sniff::classify;

/// An object's bytes as they are read.
pub type ByteStream = futures::stream::BoxStream<'static, Result<Bytes, object_store::Error>>;

/// Limits on uploads and links.
#[derive(Debug, Clone)]
pub struct MediaLimits {
    /// Largest file, in bytes.
    pub max_file_bytes: u64,
    /// Size of each part of an upload in parts (the last may be shorter), and the
    /// largest file taken in one request.
    pub part_bytes: u64,
    /// How long a download link stays valid.
    pub link_ttl: Duration,
    /// How long an upload in parts may stay open before it is dropped.
    pub upload_ttl: Duration,
    /// Bytes one user may upload per day (UTC); 0: no limit.
    pub daily_bytes_per_user: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 100 * 1024 * 1024,
            part_bytes: 1024 * 1024,
            link_ttl: Duration::from_secs(300),
            upload_ttl: Duration::from_secs(24 * 3600),
            daily_bytes_per_user: 1024 * 1024 * 1024,
        }
    }
}

/// Who uploads a file, for which channel, and what they call it.
#[derive(Debug, Clone)]
pub struct FileOrigin {
    /// The uploader.
    pub uploader: u64,
    /// The channel it is for.
    pub channel: u64,
    /// The file name given (cleaned before it is kept).
    pub name: String,
    /// The content type the client declared (a hint: the bytes decide).
    pub declared_type: String,
}

/// What the store keeps beside an attachment's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// The attachment as messages carry it.
    pub attachment: Attachment,
    /// Who uploaded it.
    pub uploader: u64,
    /// The channel it was uploaded for (sends elsewhere must forward it).
    pub channel: u64,
    /// When (ms since the epoch).
    pub created_at_ms: u64,
}

/// An open upload in parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Its id.
    pub id: u64,
    /// Who may add parts and complete it.
    pub uploader: u64,
    /// The channel it is for.
    pub channel: u64,
    /// The file name given.
    pub name: String,
    /// The content type the client declared (a hint: the bytes decide).
    pub declared_type: String,
    /// The file's whole size.
    pub size: u64,
    /// Each part's size (the last may be shorter).
    pub part_bytes: u64,
    /// When it was opened (ms since the epoch).
    pub created_at_ms: u64,
}

impl Upload {
    /// How many parts the file takes.
    pub fn parts(&self) -> u64 {
        self.size.div_ceil(self.part_bytes).max(1)
    }

    /// The exact size part `n` must have.
    pub fn part_size(&self, n: u64) -> u64 {
        let start = n * self.part_bytes;
        self.part_bytes.min(self.size.saturating_sub(start))
    }
}

/// The attachments' object store and the key that signs download links.
pub struct Media {
    store: Arc<dyn ObjectStore>,
    /// The same store when it can sign URLs for others (S3).
    signer: Option<Arc<dyn object_store::signer::Signer>>,
    key: Vec<u8>,
    /// Limits on uploads and links.
    pub limits: MediaLimits,
}

/// Failures of the object store itself (a missing object is not one).
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The local folder cannot be made or synced.
    #[error("media folder {0}: {1}")]
    Folder(String, std::io::Error),
    /// The S3 credentials are missing or unreadable.
    #[error("S3 credentials: {0}")]
    Credentials(String),
    /// The object store refused.
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %e, "object store");
    ApiError::new(ErrorCode::Unavailable, "file storage is unavailable: retry")
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::AttachmentNotFound,
        "no such attachment or upload",
    )
}

fn file_path(id: u64) -> Path {
    Path::from(format!("a/{id}"))
}
fn thumb_path(id: u64) -> Path {
    Path::from(format!("a/{id}.thumb"))
}
fn meta_path(id: u64) -> Path {
    Path::from(format!("a/{id}.json"))
}
fn upload_meta_path(id: u64) -> Path {
    Path::from(format!("u/{id}/meta.json"))
}
fn part_path(id: u64, n: u64) -> Path {
    Path::from(format!("u/{id}/{n}"))
}

impl Media {
    /// Files under `dir` (made if missing), written durably.
    ///
    /// # Errors
    /// The folder cannot be made or synced.
    pub fn local(dir: &FsPath, key: &[u8], limits: MediaLimits) -> Result<Self, MediaError> {
        let folder = |e| MediaError::Folder(dir.display().to_string(), e);
        // `a/` and `u/` exist before any write, and their entries are synced here:
        // the store syncs a written file and its own folder, not folders it makes.
        for sub in ["a", "u"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(folder)?;
        }
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(folder)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?
            .with_fsync(true)
            .with_automatic_cleanup(true);
        Ok(Self::new(Arc::new(store), key, limits))
    }

    /// Over any object store (S3-compatible in a cluster).
    pub fn new(store: Arc<dyn ObjectStore>, key: &[u8], limits: MediaLimits) -> Self {
        Self {
            store,
            signer: None,
            key: key.to_vec(),
            limits,
        }
    }

    /// Takes a whole file (at most a part's size) for `channel`: checks its bytes,
    /// stores it durably, and returns it as a message will carry it.
    ///
    /// # Errors
    /// `file_too_large`, `unsupported_media_type`, `unavailable`.
    pub async fn upload(
        &self,
        id: u64,
        origin: &FileOrigin,
        bytes: Bytes,
        now_ms: u64,
    ) -> Result<Stored, ApiError> {
        if bytes.len() as u64 > self.limits.part_bytes.min(self.limits.max_file_bytes) {
            return Err(too_large(
                self.limits.part_bytes,
                "in one request; upload in parts",
            ));
        }
        let (kind, content_type) = classify(&bytes, &origin.declared_type)?;
        let stored = Stored {
            attachment: Attachment {
                id,
                kind,
                content_type,
                name: limits::clean_file_name(&origin.name),
                size: bytes.len() as u64,
                // A file has nothing for the media worker to do.
                processed: kind == AttachmentKind::File,
                ..Attachment::default()
            },
            uploader: origin.uploader,
            channel: origin.channel,
            created_at_ms: now_ms,
        };
        let a = &stored.attachment;
        let attributes = self.file_attributes(a.kind, &a.content_type, &a.name);
        self.store
            .put_opts(
                &file_path(id),
                PutPayload::from_bytes(bytes),
                attributes.into(),
            )
            .await
            .map_err(unavailable)?;
        self.put_json(&meta_path(id), &stored).await?;
        Ok(stored)
    }

    /// Opens an upload in parts of `size` bytes.
    ///
    /// # Errors
    /// `file_too_large`, `bad_request` (size 0), `unavailable`.
    pub async fn open_upload(
        &self,
        id: u64,
        origin: &FileOrigin,
        size: u64,
        now_ms: u64,
    ) -> Result<Upload, ApiError> {
        if size == 0 {
            return Err(ApiError::new(ErrorCode::BadRequest, "size must be above 0"));
        }
        if size > self.limits.max_file_bytes {
            return Err(too_large(self.limits.max_file_bytes, "per file"));
        }
        let upload = Upload {
            id,
            uploader: origin.uploader,
            channel: origin.channel,
            name: limits::clean_file_name(&origin.name),
            declared_type: origin.declared_type.chars().take(100).collect(),
            size,
            part_bytes: self.limits.part_bytes,
            created_at_ms: now_ms,
        };
        self.put_json(&upload_meta_path(id), &upload).await?;
        Ok(upload)
    }

    /// The open upload `id` of `uploader` (expired ones are not found).
    ///
    /// # Errors
    /// `attachment_not_found`, `unavailable`.
    pub async fn upload_of(&self, uploader: u64, id: u64, now_ms: u64) -> Result<Upload, ApiError> {
        let up: Upload = self
            .get_json(&upload_meta_path(id))
            .await?
            .ok_or_else(not_found)?;
        let expired = now_ms > up.created_at_ms + self.limits.upload_ttl.as_millis() as u64;
        if up.uploader != uploader || expired {
            return Err(not_found());
        }
        Ok(up)
    }

    /// Stores part `n` of an upload; sending a part again replaces it.
    ///
    /// # Errors
    /// `bad_request` (no such part, or not its exact size), `unavailable`.
    pub async fn put_part(&self, up: &Upload, n: u64, bytes: Bytes) -> Result<(), ApiError> {
        if n >= up.parts() {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("part {n}: the upload has parts 0 to {}", up.parts() - 1),
            ));
        }
        let want = up.part_size(n);
        if bytes.len() as u64 != want {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("part {n} must have {want} bytes, not {}", bytes.len()),
            ));
        }
        self.store
            .put(&part_path(up.id, n), PutPayload::from_bytes(bytes))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The parts of an upload received so far, in order.
    ///
    /// # Errors
    /// `unavailable`.
    pub async fn received_parts(&self, up: &Upload) -> Result<Vec<u64>, ApiError> {
        let prefix = Path::from(format!("u/{}", up.id));
        let mut parts: Vec<u64> = self
            .store
            .list(Some(&prefix))
            .map_ok(|m| m.location.filename().and_then(|f| f.parse::<u64>().ok()))
            .try_collect::<Vec<_>>()
            .await
            .map_err(unavailable)?
            .into_iter()
            .flatten()
            .filter(|n| *n < up.parts())
            .collect();
        parts.sort_unstable();
        Ok(parts)
    }

    /// Joins the parts of a complete upload into the attachment of the same id
    /// (durably), checks its bytes, and drops the parts. Completing again (the first
    /// answer was lost) gives the same attachment and writes nothing over it.
    ///
    /// # Errors
    /// `bad_request` (parts missing), `unsupported_media_type`, `unavailable`.
    pub async fn complete(&self, up: &Upload, now_ms: u64) -> Result<Stored, ApiError> {
        let id = up.id;
        if let Some(done) = self.stored(id).await? {
            // Joined before the parts were dropped (the edge died in between).
            self.drop_upload(up).await;
            return Ok(done);
        }
        let have = self.received_parts(up).await?;
        if have.len() as u64 != up.parts() {
            let missing: Vec<u64> = (0..up.parts())
                .filter(|n| !have.contains(n))
                .take(20)
                .collect();
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("parts missing: {missing:?}"),
            ));
        }
        let first = self
            .store
            .get(&part_path(up.id, 0))
            .await
            .map_err(unavailable)?
            .bytes()
            .await
            .map_err(unavailable)?;
        let (kind, content_type) = classify(&first, &up.declared_type)?;
        let target = file_path(id);
        let mut writer = WriteMultipart::new(
            self.store
                .put_multipart_opts(
                    &target,
                    self.file_attributes(kind, &content_type, &up.name).into(),
                )
                .await
                .map_err(unavailable)?,
        );
        writer.put(first);
        for n in 1..up.parts() {
            let part = async { self.store.get(&part_path(up.id, n)).await?.bytes().await };
            match part.await {
                Ok(b) => writer.put(b),
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(unavailable(e));
                }
            }
        }
        writer.finish().await.map_err(unavailable)?;
        let stored = Stored {
            attachment: Attachment {
                id,
                kind,
                content_type,
                name: up.name.clone(),
                size: up.size,
                processed: kind == AttachmentKind::File,
                ..Attachment::default()
            },
            uploader: up.uploader,
            channel: up.channel,
            created_at_ms: now_ms,
        };
        self.put_json(&meta_path(id), &stored).await?;
        self.drop_upload(up).await;
        Ok(stored)
    }

    /// Drops an upload's parts and its record (best effort: a leftover is collected
    /// with the expired ones).
    pub async fn drop_upload(&self, up: &Upload) {
        for n in 0..up.parts() {
            let _ = self.store.delete(&part_path(up.id, n)).await;
        }
        let _ = self.store.delete(&upload_meta_path(up.id)).await;
    }

    /// The attachment an upload in parts of `uploader` became, once completed.
    ///
    /// # Errors
    /// `attachment_not_found`, `unavailable`.
    pub async fn completed(&self, uploader: u64, id: u64) -> Result<Stored, ApiError> {
        match self.stored(id).await? {
            Some(s) if s.uploader == uploader => Ok(s),
            _ => Err(not_found()),
        }
    }

    /// What is stored of attachment `id`, if anything.
    ///
    /// # Errors
    /// `unavailable`.
    pub async fn stored(&self, id: u64) -> Result<Option<Stored>, ApiError> {
        self.get_json(&meta_path(id)).await
    }

    /// Attachment `id` for a send by `sender` to `channel`: only one's own uploads
    /// to that channel (a file goes elsewhere by forwarding its message), and only
    /// within [`MediaLimits::upload_ttl`] of the upload: an older one may be being
    /// collected as never sent ([`Media::sweep`] waits longer than that).
    ///
    /// # Errors
    /// `attachment_not_found`, `unavailable`.
    pub async fn for_send(
        &self,
        sender: u64,
        channel: u64,
        id: u64,
        now_ms: u64,
    ) -> Result<Attachment, ApiError> {
        let ttl = self.limits.upload_ttl.as_millis() as u64;
        match self.stored(id).await? {
            Some(s) if s.uploader == sender && s.channel == channel => {
                if now_ms > s.created_at_ms.saturating_add(ttl) {
                    return Err(ApiError::new(
                        ErrorCode::AttachmentNotFound,
                        "a file must be sent within a day of its upload: upload it again",
                    ));
                }
                Ok(s.attachment)
            }
            _ => Err(not_found()),
        }
    }

    /// Collects what no message needs: attachments last written more than `grace`
    /// ago that no message carries (`held` says which of some ids one still does: a
    /// store RPC), and uploads in parts past their time. Each deletion is safe to
    /// repeat, so several workers may sweep at once. Returns how many attachments and
    /// uploads went.
    ///
    /// # Errors
    /// `unavailable` (the store or the object store); what was collected stays so.
    pub async fn sweep<F, Fut>(
        &self,
        now_ms: u64,
        grace: Duration,
        held: F,
    ) -> Result<(usize, usize), ApiError>
    where
        F: Fn(Vec<u64>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<u64>, ApiError>>,
    {
        let cutoff = now_ms.saturating_sub(grace.as_millis() as u64);
        let records: Vec<u64> = self
            .store
            .list(Some(&Path::from("a")))
            .try_filter_map(|m| async move {
                let old = u64::try_from(m.last_modified.timestamp_millis()).unwrap_or(0) < cutoff;
                let id = m
                    .location
                    .filename()
                    .and_then(|f| f.strip_suffix(".json"))
                    .and_then(|id| id.parse::<u64>().ok());
                Ok(id.filter(|_| old))
            })
            .try_collect()
            .await
            .map_err(unavailable)?;
        let mut attachments = 0;
        for chunk in records.chunks(natter_protocol::internal::MAX_ATTACHMENT_REFS) {
            let kept = held(chunk.to_vec()).await?;
            for id in chunk.iter().filter(|id| !kept.contains(id)) {
                self.delete(*id).await?;
                attachments += 1;
            }
        }
        let ttl = self.limits.upload_ttl.as_millis() as u64;
        let uploads: Vec<Path> = self
            .store
            .list(Some(&Path::from("u")))
            .try_filter_map(|m| async move {
                let meta = m.location.filename() == Some("meta.json");
                Ok(meta.then_some(m.location))
            })
            .try_collect()
            .await
            .map_err(unavailable)?;
        let mut dropped = 0;
        for path in uploads {
            let Some(up) = self.get_json::<Upload>(&path).await? else {
                continue;
            };
            if now_ms > up.created_at_ms.saturating_add(ttl) {
                let prefix = Path::from(format!("u/{}", up.id));
                let parts: Vec<Path> = self
                    .store
                    .list(Some(&prefix))
                    .map_ok(|m| m.location)
                    .try_collect()
                    .await
                    .map_err(unavailable)?;
                for p in parts {
                    match self.store.delete(&p).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                        Err(e) => return Err(unavailable(e)),
                    }
                }
                dropped += 1;
            }
        }
        Ok((attachments, dropped))
    }

    /// The bytes of attachment `id` (or of its thumbnail), as a stream, with their
    /// size.
    ///
    /// # Errors
    /// `attachment_not_found`, `unavailable`.
    pub async fn read(&self, id: u64, thumbnail: bool) -> Result<(u64, ByteStream), ApiError> {
        let path = if thumbnail {
            thumb_path(id)
        } else {
            file_path(id)
        };
        match self.store.get(&path).await {
            Ok(r) => Ok((r.meta.size, r.into_stream())),
            Err(object_store::Error::NotFound { .. }) => Err(not_found()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The whole bytes of attachment `id` (for the media worker).
    ///
    /// # Errors
    /// `attachment_not_found`, `unavailable`.
    pub async fn bytes(&self, id: u64) -> Result<Bytes, ApiError> {
        let (_, s) = self.read(id, false).await?;
        let chunks: Vec<Bytes> = s.try_collect().await.map_err(unavailable)?;
        Ok(Bytes::from(chunks.concat()))
    }

    /// Records what the media worker made of an attachment: the original without
    /// its metadata (if that changed it), the thumbnail, then the record (last, so
    /// that a record saying `processed` never points at work not yet stored).
    ///
    /// # Errors
    /// `unavailable`.
    pub async fn store_processed(
        &self,
        stored: &Stored,
        original: Option<Bytes>,
        thumbnail: Option<Bytes>,
    ) -> Result<(), ApiError> {
        let id = stored.attachment.id;
        if let Some(b) = original {
            self.store
                .put(&file_path(id), PutPayload::from_bytes(b))
                .await
                .map_err(unavailable)?;
        }
        if let Some(t) = thumbnail {
            self.store
                .put(&thumb_path(id), PutPayload::from_bytes(t))
                .await
                .map_err(unavailable)?;
        }
        self.put_json(&meta_path(id), stored).await
    }

    /// Deletes attachment `id` (its bytes, then its record).
    ///
    /// # Errors
    /// `unavailable`.
    pub async fn delete(&self, id: u64) -> Result<(), ApiError> {
        for p in [file_path(id), thumb_path(id), meta_path(id)] {
            match self.store.delete(&p).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(())
    }

    /// The query of a download link for attachment `id` valid until `expires_ms`.
    pub fn sign(&self, id: u64, thumbnail: bool, expires_ms: u64) -> String {
        let thumb = if thumbnail { "&thumbnail=true" } else { "" };
        format!(
            "exp={expires_ms}{thumb}&sig={}",
            self.mac(id, thumbnail, expires_ms)
        )
    }

    /// Checks a download link's expiry and signature.
    ///
    /// # Errors
    /// `link_expired` (expired or altered).
    pub fn verify(
        &self,
        id: u64,
        thumbnail: bool,
        expires_ms: u64,
        sig: &str,
        now_ms: u64,
    ) -> Result<(), ApiError> {
        let mut mac = self.hmac();
        mac.update(signed_text(id, thumbnail, expires_ms).as_bytes());
        let given = decode_hex(sig).unwrap_or_default();
        // verify_slice compares in constant time.
        if now_ms > expires_ms || mac.verify_slice(&given).is_err() {
            return Err(ApiError::new(
                ErrorCode::LinkExpired,
                "the link expired or is not valid: ask for a new one",
            ));
        }
        Ok(())
    }

    pub(crate) fn hmac(&self) -> Hmac<sha2::Sha256> {
        Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    fn mac(&self, id: u64, thumbnail: bool, expires_ms: u64) -> String {
        let mut mac = self.hmac();
        mac.update(signed_text(id, thumbnail, expires_ms).as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    async fn put_json<T: Serialize>(&self, path: &Path, v: &T) -> Result<(), ApiError> {
        let body = serde_json::to_vec(v).map_err(unavailable)?;
        self.store
            .put(path, PutPayload::from(body))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        path: &Path,
    ) -> Result<Option<T>, ApiError> {
        match self.store.get(path).await {
            Ok(r) => {
                let b = r.bytes().await.map_err(unavailable)?;
                serde_json::from_slice(&b).map(Some).map_err(unavailable)
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// What a link's signature covers: the attachment, which of its objects, the expiry.
fn signed_text(id: u64, thumbnail: bool, expires_ms: u64) -> String {
    let what = if thumbnail { "thumbnail" } else { "file" };
    format!("{id}.{what}.{expires_ms}")
}

fn too_large(limit: u64, what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::FileTooLarge,
        format!("at most {limit} bytes {what}"),
    )
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
