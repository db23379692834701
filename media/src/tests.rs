use futures::TryStreamExt;

use super::*;

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];
/// The header of an x86-64 executable (64 bytes).
fn elf() -> Vec<u8> {
    let mut h = vec![0x7F, b'E', b'L', b'F', 2, 1, 1];
    h.resize(64, 0);
    h
}

fn origin(uploader: u64, channel: u64, name: &str, declared: &str) -> FileOrigin {
    FileOrigin {
        uploader,
        channel,
        name: name.into(),
        declared_type: declared.into(),
    }
}

fn media(dir: &FsPath, part_bytes: u64) -> Media {
    let limits = MediaLimits {
        max_file_bytes: 10 * part_bytes,
        part_bytes,
        ..MediaLimits::default()
    };
    Media::local(dir, b"test key", limits).expect("media")
}

async fn read_all(m: &Media, id: u64) -> Vec<u8> {
    let (_, s) = m.read(id, false).await.expect("read");
    let chunks: Vec<Bytes> = s.try_collect().await.expect("bytes");
    chunks.concat()
}

#[test]
fn files_are_told_by_their_bytes() {
    let kind = |b: &[u8], d: &str| classify(b, d).map_err(|e| e.code);
    assert_eq!(
        kind(PNG, "text/plain"),
        Ok((AttachmentKind::Image, "image/png".into()))
    );
    assert_eq!(
        kind(b"%PDF-1.7 ...", "image/png"),
        Ok((AttachmentKind::File, "application/pdf".into()))
    );
    assert_eq!(
        kind(b"<script>alert(1)</script>", "image/png"),
        Ok((AttachmentKind::File, "text/html".into())),
        "a file, whatever the client says (served as a download)"
    );
    assert_eq!(
        kind(b"just some bytes", ""),
        Ok((AttachmentKind::File, "application/octet-stream".into()))
    );
    assert_eq!(
        kind(&elf(), "image/png"),
        Err(ErrorCode::UnsupportedMediaType)
    );
    let mut webm = vec![0x1A, 0x45, 0xDF, 0xA3, 0x42, 0x82, 0x84];
    webm.extend(b"webm");
    webm.resize(300, 0);
    assert_eq!(
        kind(&webm, "audio/webm;codecs=opus").map(|k| k.0),
        Ok(AttachmentKind::Audio)
    );
}

use natter_protocol::ws::AttachmentKind;

#[tokio::test]
async fn a_whole_file_is_stored_and_read_back_and_only_its_uploader_sends_it() {
    let dir = tempfile::tempdir().expect("dir");
    let m = media(dir.path(), 64);
    let mut png = PNG.to_vec();
    png.extend([7u8; 20]);
    let s = m
        .upload(
            1,
            &origin(10, 100, "../a photo.png", "image/png"),
            Bytes::from(png.clone()),
            5,
        )
        .await
        .expect("upload");
    assert_eq!(
        (
            s.attachment.kind,
            s.attachment.name.as_str(),
            s.attachment.size
        ),
        (AttachmentKind::Image, "a photo.png", png.len() as u64)
    );
    assert_eq!(read_all(&m, 1).await, png);
    assert!(dir.path().join("a/1").is_file() && dir.path().join("a/1.json").is_file());
    assert_eq!(m.for_send(10, 100, 1, 6).await.expect("own").id, 1);
    let code = |r: Result<Attachment, ApiError>| r.map(|_| ()).map_err(|e| e.code);
    assert_eq!(
        code(m.for_send(11, 100, 1, 6).await),
        Err(ErrorCode::AttachmentNotFound)
    );
    assert_eq!(
        code(m.for_send(10, 101, 1, 6).await),
        Err(ErrorCode::AttachmentNotFound)
    );
    let big = Bytes::from(vec![0u8; 65]);
    let err = m
        .upload(2, &origin(10, 100, "x", ""), big, 5)
        .await
        .expect_err("too big");
    assert_eq!(err.code, ErrorCode::FileTooLarge);
    m.delete(1).await.expect("delete");
    assert_eq!(
        m.read(1, false).await.map(|_| ()).map_err(|e| e.code),
        Err(ErrorCode::AttachmentNotFound)
    );
}

#[tokio::test]
async fn an_upload_in_parts_resumes_after_a_missing_part_and_joins_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let m = media(dir.path(), 16);
    let mut body = b"%PDF-1.7 ".to_vec();
    body.extend((0u8..=40).map(|i| i % 26 + b'a'));
    let up = m
        .open_upload(
            7,
            &origin(10, 100, "report.pdf", "application/pdf"),
            body.len() as u64,
            1,
        )
        .await
        .expect("open");
    assert_eq!(up.parts(), 4);
    let part = |n: u64| {
        Bytes::copy_from_slice(&body[(n * 16) as usize..((n * 16 + up.part_size(n)) as usize)])
    };
    // Parts 0 and 2 arrive; then the connection drops.
    m.put_part(&up, 2, part(2)).await.expect("part 2");
    m.put_part(&up, 0, part(0)).await.expect("part 0");
    assert_eq!(
        m.put_part(&up, 1, Bytes::from_static(b"short"))
            .await
            .map_err(|e| e.code),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(
        m.put_part(&up, 4, part(0)).await.map_err(|e| e.code),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(
        m.complete(&up, 2).await.map(|_| ()).map_err(|e| e.code),
        Err(ErrorCode::BadRequest)
    );
    // Resumed (another edge may serve it): the status says what is missing.
    let up = m.upload_of(10, 7, 2).await.expect("still open");
    assert_eq!(m.received_parts(&up).await.expect("parts"), vec![0, 2]);
    assert_eq!(
        m.upload_of(11, 7, 2).await.map_err(|e| e.code),
        Err(ErrorCode::AttachmentNotFound)
    );
    m.put_part(&up, 1, part(1)).await.expect("part 1");
    m.put_part(&up, 3, part(3)).await.expect("part 3");
    let s = m.complete(&up, 3).await.expect("complete");
    assert_eq!(s.attachment.id, 7, "the upload's id");
    assert_eq!(m.completed(10, 7).await.expect("again"), s);
    assert_eq!(
        m.completed(11, 7).await.map_err(|e| e.code),
        Err(ErrorCode::AttachmentNotFound)
    );
    assert_eq!(
        (s.attachment.content_type.as_str(), s.attachment.size),
        ("application/pdf", body.len() as u64)
    );
    assert_eq!(read_all(&m, 7).await, body);
    assert_eq!(
        m.upload_of(10, 7, 3).await.map_err(|e| e.code),
        Err(ErrorCode::AttachmentNotFound),
        "gone"
    );
    // An upload past its time is not found.
    let old = m
        .open_upload(9, &origin(10, 100, "x", ""), 3, 0)
        .await
        .expect("open");
    let later = old.created_at_ms + m.limits.upload_ttl.as_millis() as u64 + 1;
    assert_eq!(
        m.upload_of(10, 9, later).await.map_err(|e| e.code),
        Err(ErrorCode::AttachmentNotFound)
    );
}

#[test]
fn links_expire_and_cannot_be_altered() {
    let dir = tempfile::tempdir().expect("dir");
    let m = media(dir.path(), 16);
    let q = m.sign(5, false, 1_000);
    let sig = q.split("sig=").nth(1).expect("sig");
    assert!(m.verify(5, false, 1_000, sig, 999).is_ok());
    let code = |r: Result<(), ApiError>| r.map_err(|e| e.code);
    assert_eq!(
        code(m.verify(5, false, 1_000, sig, 1_001)),
        Err(ErrorCode::LinkExpired)
    );
    assert_eq!(
        code(m.verify(6, false, 1_000, sig, 999)),
        Err(ErrorCode::LinkExpired)
    );
    assert_eq!(
        code(m.verify(5, false, 2_000, sig, 999)),
        Err(ErrorCode::LinkExpired)
    );
    assert_eq!(
        code(m.verify(5, false, 1_000, "zz", 999)),
        Err(ErrorCode::LinkExpired)
    );
    assert_eq!(
        code(m.verify(5, true, 1_000, sig, 999)),
        Err(ErrorCode::LinkExpired),
        "a file's link does not open its thumbnail"
    );
    let other = Media::local(dir.path(), b"another key", MediaLimits::default()).expect("media");
    assert_eq!(
        code(other.verify(5, false, 1_000, sig, 999)),
        Err(ErrorCode::LinkExpired)
    );
}
