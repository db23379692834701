//! What the media worker makes of an upload: for an image, its size, a thumbnail, a
//! BlurHash placeholder and the original without its metadata (EXIF, where phones
//! put the location); for audio, its length. Pure: bytes in, results out.

use bytes::Bytes;
use image::{DynamicImage, ImageDecoder, ImageReader};
use img_parts::ImageEXIF;
use natter_protocol::ws::{Attachment, AttachmentKind};

/// Longer side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// Largest image decoded (pixels per side); larger ones stay files without a
/// thumbnail.
const MAX_SIDE: u32 = 16_384;
/// Most memory one decode may take.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// The result of processing one attachment.
#[derive(Debug, Default)]
pub struct Processed {
    /// The attachment as it now stands (`processed` set).
    pub attachment: Attachment,
    /// The original rewritten without metadata, when that changed it.
    pub original: Option<Bytes>,
    /// The thumbnail (JPEG), for images.
    pub thumbnail: Option<Bytes>,
}

/// Processes `bytes` of `attachment`. A file that cannot be read as its kind is
/// still marked processed (shown as a file without preview), never retried forever.
pub fn process(attachment: &Attachment, bytes: Bytes) -> Processed {
    let mut out = Processed {
        attachment: attachment.clone(),
        ..Processed::default()
    };
    out.attachment.processed = true;
    match attachment.kind {
        AttachmentKind::Image => image(&mut out, bytes),
        AttachmentKind::Audio => out.attachment.duration_ms = audio_duration_ms(bytes),
        AttachmentKind::File => {}
    }
    out
}

fn image(out: &mut Processed, bytes: Bytes) {
    let stripped = strip_metadata(&out.attachment.content_type, bytes.clone());
    let original = stripped.clone().unwrap_or(bytes);
    if let Some(s) = stripped {
        out.attachment.size = s.len() as u64;
        out.original = Some(s);
    }
    let Some(img) = decode(&original) else {
        tracing::info!(
            id = out.attachment.id,
            "image does not decode: kept as a file"
        );
        out.attachment.kind = AttachmentKind::File;
        return;
    };
    out.attachment.width = Some(img.width());
    out.attachment.height = Some(img.height());
    let thumb = img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    let mut jpeg = Vec::new();
    let encoded = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&thumb)
        .is_ok();
    if encoded {
        out.thumbnail = Some(Bytes::from(jpeg));
        out.attachment.thumbnail = true;
    }
    // The placeholder is made from a tiny copy: its cost does not grow with the photo.
    let tiny = img.thumbnail(32, 32).to_rgba8();
    out.attachment.placeholder =
        blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw()).ok();
}

/// Decodes an image within bounds (a small file claiming huge dimensions is refused
/// before any pixel memory is taken). GIFs give their first frame.
fn decode(bytes: &[u8]) -> Option<DynamicImage> {
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().ok()?;
    // Applying the EXIF orientation keeps thumbnails upright once EXIF is gone.
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).ok()?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Some(img)
}

/// The image without EXIF (JPEG, PNG, WebP), or `None` when it has none (or the
/// format keeps none: GIF).
pub fn strip_metadata(content_type: &str, bytes: Bytes) -> Option<Bytes> {
    fn rewrite<I: ImageEXIF>(mut img: I, encode: impl FnOnce(I) -> Bytes) -> Option<Bytes> {
        img.exif()?;
        img.set_exif(None);
        Some(encode(img))
    }
    match content_type {
        "image/jpeg" => img_parts::jpeg::Jpeg::from_bytes(bytes)
            .ok()
            .and_then(|j| rewrite(j, |j| j.encoder().bytes())),
        "image/png" => img_parts::png::Png::from_bytes(bytes)
            .ok()
            .and_then(|p| rewrite(p, |p| p.encoder().bytes())),
        "image/webp" => img_parts::webp::WebP::from_bytes(bytes)
            .ok()
            .and_then(|w| rewrite(w, |w| w.encoder().bytes())),
        _ => None,
    }
}

/// The length of an audio file from its container, if it says.
fn audio_duration_ms(bytes: Bytes) -> Option<u64> {
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    let source = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let reader = symphonia::default::get_probe()
        .probe(
            &Default::default(),
            source,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .ok()?;
    let track = reader.default_track(TrackType::Audio)?;
    let time = track.time_base?.calc_duration(track.duration?)?;
    u64::try_from(time.as_millis()).ok()
}
