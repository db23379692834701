//! What a file is, from its first bytes: the client's word only tells an audio
//! recording from a video in the same container.

use natter_protocol::ws::AttachmentKind;
use natter_protocol::{ApiError, ErrorCode};

/// Images shown inline (other image formats are files).
const INLINE_IMAGES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];

/// Kind and content type of a file from its bytes (`declared`: the client's type).
///
/// # Errors
/// `unsupported_media_type` for executables and scripts.
pub fn classify(bytes: &[u8], declared: &str) -> Result<(AttachmentKind, String), ApiError> {
    let Some(t) = infer::get(bytes) else {
        return Ok((AttachmentKind::File, "application/octet-stream".into()));
    };
    let mime = t.mime_type();
    if t.matcher_type() == infer::MatcherType::App || mime == "text/x-shellscript" {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("{mime} files are not accepted"),
        ));
    }
    let kind = if INLINE_IMAGES.contains(&mime) {
        AttachmentKind::Image
    } else if t.matcher_type() == infer::MatcherType::Audio
        // A browser's voice recording is WebM or MP4 whose bytes look like video.
        || (matches!(mime, "video/webm" | "video/mp4") && declared.starts_with("audio/"))
    {
        AttachmentKind::Audio
    } else {
        AttachmentKind::File
    };
    let content_type = match (kind, mime) {
        (AttachmentKind::Audio, "video/webm") => "audio/webm",
        (AttachmentKind::Audio, "video/mp4") => "audio/mp4",
        _ => mime,
    };
    Ok((kind, content_type.to_string()))
}
