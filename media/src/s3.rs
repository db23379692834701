//! The S3-compatible backend: the same [`Media`] over a bucket (AWS S3 or any
//! server speaking its API), for a cluster whose edges share no folder.
//!
//! Built from an [`S3Config`] with [`Media::s3`]. Requests are signed (SigV4) and,
//! over TLS, verified with rustls on the ring provider (no aws-lc-rs, no OpenSSL).
//! Uploads in parts are joined with an S3 multipart upload. An attachment's bytes
//! are stored with the Content-Type and Content-Disposition a download must have,
//! so that [`Media::presigned_url`] can give a link that reads them straight from
//! the bucket with the same headers the edge would send.

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use natter_protocol::ws::AttachmentKind;
use object_store::aws::AmazonS3Builder;
use object_store::signer::Method;
use object_store::{Attribute, Attributes};

use crate::{Media, MediaError, MediaLimits, Stored, file_path, unavailable};

/// Where the bucket is and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The server's base URL (`https://s3.example:9000`); `None` for AWS itself
    /// (the region picks the endpoint).
    pub endpoint: Option<String>,
    /// The bucket (it must exist: Natter does not create it).
    pub bucket: String,
    /// The region the bucket is in (servers other than AWS mostly ignore it, but
    /// it is part of every signature).
    pub region: String,
    /// The key pair requests are signed with.
    pub credentials: S3Credentials,
    /// Bucket in the path (`endpoint/bucket/key`), as most servers other than AWS
    /// want; else in the host name (`bucket.endpoint/key`).
    pub path_style: bool,
    /// Whether plain `http://` is accepted (a server on the loopback in tests).
    pub allow_http: bool,
}

/// An access key id and its secret (the secret never appears in `Debug`).
#[derive(Clone)]
pub struct S3Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl S3Credentials {
    /// Reads `name = value` lines: `access_key_id` and `secret_access_key` (the
    /// `aws_` prefixed names of an AWS credentials file work too; `#` comments
    /// and `[section]` lines are skipped).
    ///
    /// # Errors
    /// [`MediaError::Credentials`] when the file cannot be read or lacks either.
    pub fn from_file(path: &FsPath) -> Result<Self, MediaError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| MediaError::Credentials(format!("{}: {e}", path.display())))?;
        Self::parse(&text)
            .ok_or_else(|| MediaError::Credentials(format!("{}: {}", path.display(), NEEDED)))
    }

    /// From a source of environment variables: `NATTER_MEDIA_S3_ACCESS_KEY_ID` and
    /// `NATTER_MEDIA_S3_SECRET_ACCESS_KEY`, else `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`.
    ///
    /// # Errors
    /// [`MediaError::Credentials`] when neither pair is set.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, MediaError> {
        for (id, secret) in [
            (
                "NATTER_MEDIA_S3_ACCESS_KEY_ID",
                "NATTER_MEDIA_S3_SECRET_ACCESS_KEY",
            ),
            ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        ] {
            if let (Some(access_key_id), Some(secret_access_key)) = (var(id), var(secret)) {
                return Ok(Self {
                    access_key_id,
                    secret_access_key,
                });
            }
        }
        Err(MediaError::Credentials(
            "no credentials file, and NATTER_MEDIA_S3_ACCESS_KEY_ID / \
             NATTER_MEDIA_S3_SECRET_ACCESS_KEY are not set"
                .into(),
        ))
    }

    fn parse(text: &str) -> Option<Self> {
        let (mut id, mut secret) = (None, None);
        for line in text.lines().map(str::trim) {
            if line.starts_with('#') || line.starts_with('[') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().to_string();
            match name.trim().trim_start_matches("aws_") {
                "access_key_id" => id = Some(value),
                "secret_access_key" => secret = Some(value),
                _ => {}
            }
        }
        Some(Self {
            access_key_id: id.filter(|v| !v.is_empty())?,
            secret_access_key: secret.filter(|v| !v.is_empty())?,
        })
    }
}

const NEEDED: &str = "needs access_key_id = ... and secret_access_key = ... lines";

impl Media {
    /// Over the bucket of `config`. Nothing is sent until the first request: a
    /// wrong endpoint or key shows as `unavailable` on use.
    ///
    /// # Errors
    /// [`MediaError::Store`] when the configuration is refused (a bad URL,
    /// `http://` without `allow_http`).
    pub fn s3(config: &S3Config, key: &[u8], limits: MediaLimits) -> Result<Self, MediaError> {
        // reqwest is built without a bundled crypto provider: rustls needs one
        // installed before the first client. An error only means one is already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.credentials.access_key_id)
            .with_secret_access_key(&config.credentials.secret_access_key)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_allow_http(config.allow_http);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let store = Arc::new(builder.build()?);
        let mut media = Self::new(store.clone(), key, limits);
        media.signer = Some(store);
        Ok(media)
    }

    /// A URL that reads attachment `stored` straight from the bucket for `ttl`
    /// (at least a second), or `None` when the store is not S3. The bucket answers
    /// with the headers stored with the bytes ([`Self::file_attributes`]).
    ///
    /// # Errors
    /// `unavailable` when the URL cannot be signed.
    pub async fn presigned_url(
        &self,
        stored: &Stored,
        ttl: Duration,
    ) -> Result<Option<String>, natter_protocol::ApiError> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let url = signer
            .signed_url(
                Method::GET,
                &file_path(stored.attachment.id),
                ttl.max(Duration::from_secs(1)),
            )
            .await
            .map_err(unavailable)?;
        Ok(Some(url.to_string()))
    }

    /// What an attachment's bytes are stored with: on S3, the Content-Type and
    /// Content-Disposition a download gets (as the edge sends them: images and
    /// audio inline with their type, anything else a download of opaque bytes);
    /// nothing in a local folder (which keeps no attributes).
    pub(crate) fn file_attributes(
        &self,
        kind: AttachmentKind,
        content_type: &str,
        name: &str,
    ) -> Attributes {
        if self.signer.is_none() {
            return Attributes::new();
        }
        let (content_type, disposition) = response_headers(kind, content_type, name);
        Attributes::from_iter([
            (Attribute::ContentType, content_type),
            (Attribute::ContentDisposition, disposition),
        ])
    }
}

/// Content-Type and Content-Disposition a download of a file gets.
pub(crate) fn response_headers(
    kind: AttachmentKind,
    content_type: &str,
    name: &str,
) -> (String, String) {
    let (content_type, disposition) = match kind {
        AttachmentKind::Image | AttachmentKind::Audio => (content_type, "inline"),
        _ => ("application/octet-stream", "attachment"),
    };
    (
        content_type.to_string(),
        format!("{disposition}; filename*=UTF-8''{}", encode_rfc5987(name)),
    )
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
    use super::*;

    #[test]
    fn credentials_files_of_either_spelling_are_read() {
        let c =
            S3Credentials::parse("# keys\nACCESS = x\naccess_key_id = AK\nsecret_access_key=SK\n")
                .expect("parsed");
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("AK", "SK")
        );
        let c =
            S3Credentials::parse("[default]\naws_access_key_id = A\naws_secret_access_key = S\n")
                .expect("parsed");
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("A", "S")
        );
        assert!(S3Credentials::parse("access_key_id = A\n").is_none());
        assert!(!format!("{c:?}").contains("\"S\""));
    }

    #[test]
    fn credentials_come_from_natter_variables_first() {
        let env = |k: &str| match k {
            "NATTER_MEDIA_S3_ACCESS_KEY_ID" => Some("N".to_string()),
            "NATTER_MEDIA_S3_SECRET_ACCESS_KEY" => Some("NS".to_string()),
            "AWS_ACCESS_KEY_ID" => Some("A".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("AS".to_string()),
            _ => None,
        };
        assert_eq!(
            S3Credentials::from_env(env).expect("env").access_key_id,
            "N"
        );
        assert!(S3Credentials::from_env(|_| None).is_err());
    }

    #[test]
    fn only_images_and_audio_show_inline() {
        let (t, d) = response_headers(AttachmentKind::File, "text/html", "a b.html");
        assert_eq!(t, "application/octet-stream");
        assert_eq!(d, "attachment; filename*=UTF-8''a%20b.html");
        let (t, d) = response_headers(AttachmentKind::Image, "image/png", "p.png");
        assert_eq!(
            (t.as_str(), d.as_str()),
            ("image/png", "inline; filename*=UTF-8''p.png")
        );
    }
}
