//! Users' data exports: an archive written to the object store in parts as it is
//! made (`x/<user>/<id>.json`), read back through a signed link, and collected a day
//! later by the media worker's sweep.

use bytes::Bytes;
use hmac::Mac;
use natter_protocol::{ApiError, ErrorCode};
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};

use crate::{ByteStream, Media, unavailable};

/// How long an archive is kept after it is made.
pub const EXPORT_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

fn export_path(user: u64, id: u64) -> Path {
    Path::from(format!("x/{user}/{id}.json"))
}

/// Parts of an archive uploaded at once.
const PARTS_IN_FLIGHT: usize = 4;

/// An archive being written: bytes go out in parts as they come.
pub struct ExportWriter {
    out: WriteMultipart,
    written: u64,
}

impl ExportWriter {
    /// Adds bytes.
    pub fn write(&mut self, b: &[u8]) {
        self.written += b.len() as u64;
        self.out.write(b);
    }

    /// Waits until few parts are in flight: what is written is held in memory until
    /// its part is uploaded, so a writer faster than the store must wait here.
    ///
    /// # Errors
    /// `unavailable` (a part failed).
    pub async fn paced(&mut self) -> Result<(), ApiError> {
        self.out
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(unavailable)
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Completes the archive (durable once this returns).
    ///
    /// # Errors
    /// `unavailable`.
    pub async fn finish(self) -> Result<(), ApiError> {
        self.out.finish().await.map(drop).map_err(unavailable)
    }

    /// Gives up: the parts written are dropped.
    pub async fn abort(self) {
        let _ = self.out.abort().await;
    }
}

impl Media {
    /// Starts archive `id` of `user`.
    ///
    /// # Errors
    /// `unavailable`.
    pub async fn export_writer(&self, user: u64, id: u64) -> Result<ExportWriter, ApiError> {
        let upload = self
            .store
            .put_multipart(&export_path(user, id))
            .await
            .map_err(unavailable)?;
        Ok(ExportWriter {
            out: WriteMultipart::new(upload),
            written: 0,
        })
    }

    /// Archive `id` of `user`, as a stream, with its size.
    ///
    /// # Errors
    /// `not_found`, `unavailable`.
    pub async fn read_export(&self, user: u64, id: u64) -> Result<(u64, ByteStream), ApiError> {
        match self.store.get(&export_path(user, id)).await {
            Ok(r) => Ok((r.meta.size, Box::pin(r.into_stream()))),
            Err(object_store::Error::NotFound { .. }) => Err(ApiError::new(
                ErrorCode::NotFound,
                "no such export: it may have been collected (a day after it was made)",
            )),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The query of a link to archive `id` of `user`, valid until `expires_ms`.
    pub fn sign_export(&self, user: u64, id: u64, expires_ms: u64) -> String {
        format!(
            "exp={expires_ms}&sig={}",
            hex(&self.export_mac(user, id, expires_ms))
        )
    }

    /// Checks an archive link.
    ///
    /// # Errors
    /// `link_expired` (expired or altered).
    pub fn verify_export(
        &self,
        user: u64,
        id: u64,
        expires_ms: u64,
        sig: &str,
        now_ms: u64,
    ) -> Result<(), ApiError> {
        let mut mac = self.hmac();
        mac.update(export_text(user, id, expires_ms).as_bytes());
        let given = crate::decode_hex(sig).unwrap_or_default();
        if now_ms > expires_ms || mac.verify_slice(&given).is_err() {
            return Err(ApiError::new(
                ErrorCode::LinkExpired,
                "the link expired or is not valid: ask for a new one",
            ));
        }
        Ok(())
    }

    fn export_mac(&self, user: u64, id: u64, expires_ms: u64) -> Bytes {
        let mut mac = self.hmac();
        mac.update(export_text(user, id, expires_ms).as_bytes());
        Bytes::copy_from_slice(&mac.finalize().into_bytes())
    }

    /// Deletes archives made before `cutoff_ms`; how many went.
    ///
    /// # Errors
    /// `unavailable`.
    pub async fn sweep_exports(&self, cutoff_ms: u64) -> Result<usize, ApiError> {
        use futures::TryStreamExt;
        let old: Vec<Path> = self
            .store
            .list(Some(&Path::from("x")))
            .try_filter_map(|m| async move {
                let t = u64::try_from(m.last_modified.timestamp_millis()).unwrap_or(0);
                Ok((t < cutoff_ms).then_some(m.location))
            })
            .try_collect()
            .await
            .map_err(unavailable)?;
        for p in &old {
            match self.store.delete(p).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(old.len())
    }
}

/// What an archive link's signature covers (apart from attachments' links).
fn export_text(user: u64, id: u64, expires_ms: u64) -> String {
    format!("export.{user}.{id}.{expires_ms}")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}
