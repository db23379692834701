//! Attachments in an S3 bucket, against a real S3-compatible server process
//! (s3s-fs, see `natter_tests::s3`, which checks every request's signature):
//! uploads whole and in parts joined by an S3 multipart upload, read back byte for
//! byte; records found; deletion; presigned URLs that answer with safe headers,
//! work until they expire and cannot be extended; and the flow of `media.rs`
//! through edges started with the `--media-s3-*` flags.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use natter_media::{FileOrigin, Media, MediaLimits, Stored};
use natter_protocol::ErrorCode;
use natter_protocol::http::UploadRequest;
use natter_protocol::ws::{AttachmentKind, ClientOp};
use natter_tests::s3::S3Server;
use natter_tests::{Device, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const MIB: usize = 1024 * 1024;
/// object_store's `WriteMultipart` sends parts of this size (S3's smallest but
/// the last): a file more than twice as large takes at least three S3 parts.
const S3_CHUNK: usize = 5 * MIB;
/// What the server logs for each part of a multipart upload it takes.
const UPLOAD_PART: &str = "op: UploadPart";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
}

/// A PNG signature and header chunk, then `n` bytes.
fn png(n: usize) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    b.extend(b"IHDR");
    b.extend((0..n).map(|i| (i % 251) as u8));
    b
}

fn origin(name: &str, declared: &str) -> FileOrigin {
    FileOrigin {
        uploader: 11,
        channel: 22,
        name: name.into(),
        declared_type: declared.into(),
    }
}

fn limits(link_ttl: Duration) -> MediaLimits {
    MediaLimits {
        max_file_bytes: 64 * MIB as u64,
        part_bytes: MIB as u64,
        link_ttl,
        upload_ttl: Duration::from_secs(3600),
        daily_bytes_per_user: 0,
    }
}

/// The bytes of `stored` read back from the bucket (through a presigned URL).
async fn read_all(media: &Media, stored: &Stored) -> Vec<u8> {
    let url = media
        .presigned_url(stored, Duration::from_secs(60))
        .await
        .expect("sign")
        .expect("S3 presigns");
    let resp = reqwest::get(&url).await.expect("get");
    assert_eq!(resp.status(), 200, "{url}");
    let bytes = resp.bytes().await.expect("bytes").to_vec();
    assert_eq!(bytes.len() as u64, stored.attachment.size);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_whole_and_in_parts_are_kept_in_the_bucket_and_deleted() {
    let s3 = S3Server::start();
    let media = Media::s3(&s3.config(), &[7; 32], limits(Duration::from_secs(60))).expect("s3");

    // Whole: bytes and record.
    let photo = png(50_000);
    let stored = media
        .upload(
            1,
            &origin("photo.png", "image/png"),
            Bytes::from(photo.clone()),
            now_ms(),
        )
        .await
        .expect("upload");
    assert_eq!(stored.attachment.kind, AttachmentKind::Image);
    assert_eq!(read_all(&media, &stored).await, photo);
    assert_eq!(media.stored(1).await.expect("record"), Some(stored.clone()));

    // In parts, sent out of order and one of them twice, joined by a multipart
    // upload of more than one S3 part.
    let big = png(2 * S3_CHUNK + MIB / 2 + 7);
    let up = media
        .open_upload(2, &origin("big.png", ""), big.len() as u64, now_ms())
        .await
        .expect("open");
    assert_eq!(up.parts(), big.len().div_ceil(MIB) as u64);
    let part = |n: u64| {
        let start = n as usize * MIB;
        Bytes::copy_from_slice(&big[start..(start + MIB).min(big.len())])
    };
    for n in (0..up.parts()).rev() {
        media.put_part(&up, n, part(n)).await.expect("part");
    }
    media.put_part(&up, 0, part(0)).await.expect("part again");
    assert_eq!(
        media.received_parts(&up).await.expect("parts"),
        (0..up.parts()).collect::<Vec<_>>()
    );
    let parts_before = s3.log_count(UPLOAD_PART);
    let joined = media.complete(&up, now_ms()).await.expect("complete");
    let s3_parts = s3.log_count(UPLOAD_PART) - parts_before;
    assert!(
        s3_parts >= 3,
        "a {} byte file took {s3_parts} S3 part(s)",
        big.len()
    );
    assert_eq!(joined.attachment.size, big.len() as u64);
    assert_eq!(read_all(&media, &joined).await, big);
    assert_eq!(media.stored(2).await.expect("record"), Some(joined.clone()));
    // The parts went with the upload.
    assert_eq!(
        media
            .upload_of(11, up.id, now_ms())
            .await
            .map(|_| ())
            .map_err(|e| e.code),
        Err(ErrorCode::AttachmentNotFound)
    );
    assert!(media.received_parts(&up).await.expect("parts").is_empty());
    // Completing again (the answer was lost) gives the same file.
    assert_eq!(media.complete(&up, now_ms()).await.expect("again"), joined);

    // Deleted: bytes and record gone; deleting again is fine.
    media.delete(2).await.expect("delete");
    assert_eq!(media.stored(2).await.expect("record"), None);
    let url = media
        .presigned_url(&joined, Duration::from_secs(60))
        .await
        .expect("sign")
        .expect("S3 presigns");
    assert_eq!(reqwest::get(&url).await.expect("get").status(), 404);
    media.delete(2).await.expect("delete again");
    assert_eq!(
        read_all(&media, &stored).await,
        photo,
        "the other one is kept"
    );

    // The server checks signatures: a wrong secret gets nothing stored.
    let mut config = s3.config();
    config.credentials.secret_access_key = "not-the-secret".into();
    let wrong = Media::s3(&config, &[7; 32], limits(Duration::from_secs(60))).expect("s3");
    assert_eq!(
        wrong
            .upload(5, &origin("p.png", ""), Bytes::from(png(10)), now_ms())
            .await
            .map(|_| ())
            .map_err(|e| e.code),
        Err(ErrorCode::Unavailable)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_urls_answer_safely_and_work_until_they_expire() {
    let s3 = S3Server::start();
    let media = Media::s3(&s3.config(), &[7; 32], limits(Duration::from_secs(1))).expect("s3");
    let page = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let stored = media
        .upload(
            4,
            &origin("cute page.png", "image/png"),
            Bytes::from(page.clone()),
            now_ms(),
        )
        .await
        .expect("upload");
    assert_eq!(stored.attachment.kind, AttachmentKind::File);
    let http = reqwest::Client::new();

    // Valid for a minute: the bytes, as a download of opaque bytes.
    let url = media
        .presigned_url(&stored, Duration::from_secs(60))
        .await
        .expect("sign")
        .expect("S3 presigns");
    assert!(url.starts_with(s3.url()), "{url}");
    let resp = http.get(&url).send().await.expect("get");
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename*=UTF-8''cute%20page.png"
    );
    assert_eq!(resp.bytes().await.expect("bytes").to_vec(), page);

    // The expiry is part of the signature: a link altered to last longer is
    // refused.
    let altered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600");
    assert_ne!(altered, url);
    let resp = http.get(&altered).send().await.expect("get");
    assert_eq!(resp.status(), 403, "an altered link is refused");

    // Valid for 3 s: works now, and is refused (expired) within a bound. The
    // signing time has whole seconds, so it expires 2 to 3 s after signing.
    let short = media
        .presigned_url(&stored, Duration::from_secs(3))
        .await
        .expect("sign")
        .expect("S3 presigns");
    let signed_at = std::time::Instant::now();
    let resp = http.get(&short).send().await.expect("get");
    assert_eq!(resp.status(), 200, "before expiry");
    eventually(Duration::from_secs(15), "the short link expires", || {
        let (http, short) = (http.clone(), short.clone());
        async move {
            let Ok(resp) = http.get(&short).send().await else {
                return false;
            };
            resp.status() == 403 && resp.text().await.unwrap_or_default().contains("expired")
        }
    })
    .await;
    assert!(
        signed_at.elapsed() >= Duration::from_secs(1),
        "refused only once expired"
    );

    // The local folder presigns nothing: its links are the edge's.
    let dir = tempfile::tempdir().expect("dir");
    let local = Media::local(dir.path(), &[7; 32], limits(Duration::from_secs(60))).expect("local");
    assert_eq!(
        local
            .presigned_url(&stored, Duration::from_secs(60))
            .await
            .expect("none"),
        None
    );
}

fn send(channel: u64, cmid: &str, attachments: Vec<u64>) -> ClientOp {
    ClientOp::Send {
        channel,
        client_msg_id: cmid.into(),
        text: String::new(),
        reply_to: None,
        forward: None,
        attachments,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_with_the_s3_flags_keeps_files_in_the_bucket() {
    let s3 = S3Server::start();
    let mut sys = System::start(BIN, 0).await;
    let flags = s3.edge_flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    sys.start_edge_with(&flags);
    sys.start_edge_with(&flags);
    // The media worker reads and writes the same bucket.
    sys.start_media_worker_with(&flags);
    sys.wait_ready().await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    let (mut b, _) = Device::connect(&bob, "bob-1").await;

    // Whole, through one edge.
    let photo = png(5_000);
    let att = alice
        .upload(dm.id, "p.png", "image/png", photo.clone())
        .await
        .expect("upload");
    // In parts, finished on the other edge (they share the bucket): more than
    // one S3 part.
    let big = png(2 * S3_CHUNK + 1234);
    let up = alice
        .open_upload(
            dm.id,
            &UploadRequest {
                name: "big.png".into(),
                size: big.len() as u64,
                content_type: None,
            },
        )
        .await
        .expect("open");
    let alice_2 = sys.client(1).with_token(alice.token().expect("token"));
    for n in 0..up.parts {
        let start = (n * up.part_bytes) as usize;
        let end = (start + up.part_bytes as usize).min(big.len());
        let who = if n % 2 == 0 { &alice } else { &alice_2 };
        who.upload_part(up.id, n, big[start..end].to_vec())
            .await
            .expect("part");
    }
    let parts_before = s3.log_count(UPLOAD_PART);
    let joined = alice_2.complete_upload(up.id).await.expect("complete");
    assert!(s3.log_count(UPLOAD_PART) - parts_before >= 3);
    assert_eq!(joined.size, big.len() as u64);

    a.send_op(send(dm.id, "s1", vec![att.id, joined.id]))
        .await
        .expect("send");
    // Images are served once the media worker has looked at them (these two are
    // not real PNGs: they stay files without a thumbnail).
    let (got, _) = b.message_with_processed_files("s1").await;
    for (id, want) in [(att.id, &photo), (joined.id, &big)] {
        let link = bob.attachment_link(dm.id, got.seq, id).await.expect("link");
        let resp = bob.fetch_link(&link.url).await.expect("fetch");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert_eq!(&resp.bytes().await.expect("bytes").to_vec(), want);
    }
    // Nothing went to the local folder the harness also passes.
    assert!(
        !sys.dir()
            .join("media")
            .join("a")
            .join(att.id.to_string())
            .exists()
    );
}
