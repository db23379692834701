//! Attachments end to end: uploads whole and in parts (resumed on another edge),
//! sends that carry them, links only members get, bytes served so that a hostile
//! file cannot run in the web app's origin, forwards, deletion, and typed refusals.

use std::time::Duration;

use natter_client::{Client, ClientError};
use natter_protocol::ErrorCode;
use natter_protocol::http::{HistoryQuery, UploadRequest};
use natter_protocol::ws::{AttachmentKind, ClientOp, MessageEvent, MessageRef};
use natter_tests::{Device, System, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn code<T: std::fmt::Debug>(r: Result<T, ClientError>) -> ErrorCode {
    match r {
        Err(ClientError::Api(e)) => e.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A real `w`×`h` PNG (a gradient).
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// What a phone leaves in a photo: an EXIF block with the location (its bytes carry
/// a marker the test looks for).
const GPS_MARKER: &[u8] = b"GPSLatitude 48.8584 N secret-home";

fn jpeg_with_location(w: u32, h: u32) -> Vec<u8> {
    use img_parts::ImageEXIF;
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 64, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(out.into_inner().into()).expect("parts");
    let mut exif = b"MM\0\x2a\0\0\0\x08\0\0".to_vec();
    exif.extend(GPS_MARKER);
    jpeg.set_exif(Some(exif.into()));
    jpeg.encoder().bytes().to_vec()
}

/// One second of silence: 8 kHz, 16-bit mono WAV.
fn wav_one_second() -> Vec<u8> {
    let data = 16_000u32;
    let mut b = Vec::new();
    b.extend(b"RIFF");
    b.extend((36 + data).to_le_bytes());
    b.extend(b"WAVEfmt ");
    b.extend(16u32.to_le_bytes());
    b.extend(1u16.to_le_bytes()); // PCM
    b.extend(1u16.to_le_bytes()); // mono
    b.extend(8_000u32.to_le_bytes());
    b.extend(16_000u32.to_le_bytes());
    b.extend(2u16.to_le_bytes());
    b.extend(16u16.to_le_bytes());
    b.extend(b"data");
    b.extend(data.to_le_bytes());
    b.resize(b.len() + data as usize, 0);
    b
}

/// A PDF of `n` bytes after its header.
fn pdf(n: u32) -> Vec<u8> {
    b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..n).map(|i| (i % 97) as u8))
        .collect()
}

/// Opens an upload in parts of `doc` as `name` in `channel`; returns it and its parts.
async fn open_parts(
    c: &Client,
    channel: u64,
    name: &str,
    doc: &[u8],
) -> (natter_protocol::http::UploadStatus, Vec<Vec<u8>>) {
    let up = c
        .open_upload(
            channel,
            &UploadRequest {
                name: name.into(),
                size: doc.len() as u64,
                content_type: None,
            },
        )
        .await
        .expect("open");
    let parts = doc
        .chunks(up.part_bytes as usize)
        .map(<[u8]>::to_vec)
        .collect();
    (up, parts)
}

fn send(channel: u64, cmid: &str, text: &str, attachments: Vec<u64>) -> ClientOp {
    ClientOp::Send {
        channel,
        client_msg_id: cmid.into(),
        text: text.into(),
        reply_to: None,
        forward: None,
        attachments,
    }
}

/// Fetches a message's attachment through a fresh link: headers and bytes.
async fn fetch(c: &Client, m: &MessageEvent, att: u64) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let link = c
        .attachment_link(m.channel, m.seq, att)
        .await
        .expect("link");
    let resp = c.fetch_link(&link.url).await.expect("fetch");
    let headers = resp.headers().clone();
    (headers, resp.bytes().await.expect("bytes").to_vec())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_with_messages_to_members_only_and_are_served_safely() {
    let sys = System::start(BIN, 2).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, carol_id) = user(&c, "carol").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    let (mut b, _) = Device::connect(&bob, "bob-1").await;

    // A photo without a caption: bob gets it in the message at once, then the media
    // worker's result as a channel event (size, thumbnail, placeholder), then its bytes.
    let photo = png(640, 480);
    let att = alice
        .upload(dm.id, "../holiday.png", "text/plain", photo.clone())
        .await
        .expect("upload");
    assert_eq!(
        (
            att.kind,
            att.content_type.as_str(),
            att.name.as_str(),
            att.size
        ),
        (
            AttachmentKind::Image,
            "image/png",
            "holiday.png",
            photo.len() as u64
        )
    );
    a.send_op(send(dm.id, "p1", "", vec![att.id]))
        .await
        .expect("send");
    // The worker may finish before or after the send is applied: either way bob
    // gets the result, in the message or as the event.
    let (got, files) = b.message_with_processed_files("p1").await;
    assert_eq!(got.text, "");
    let done = files[0].clone();
    assert_eq!(done.id, att.id);
    assert_eq!(
        (done.width, done.height, done.thumbnail),
        (Some(640), Some(480), true)
    );
    assert!(
        done.placeholder.as_deref().is_some_and(|p| p.len() >= 6),
        "{done:?}"
    );
    // History shows the message with the result, whichever was applied first.
    let shown = bob.message(dm.id, got.seq).await.expect("message");
    assert_eq!(shown.attachments, vec![done.clone()]);
    let thumb_link = bob
        .thumbnail_link(dm.id, got.seq, att.id)
        .await
        .expect("thumbnail link");
    let thumb = bob.fetch_link(&thumb_link.url).await.expect("thumbnail");
    assert_eq!(header(thumb.headers(), "content-type"), "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.expect("bytes")).expect("a jpeg");
    assert_eq!((thumb.width(), thumb.height()), (320, 240));
    let (h, bytes) = fetch(&bob, &got, att.id).await;
    assert_eq!(bytes, photo);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert!(header(&h, "content-disposition").starts_with("inline;"));
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert!(header(&h, "content-security-policy").contains("sandbox"));

    // A page that would run script is a download of opaque bytes, caption kept.
    let page = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let html = alice
        .upload(dm.id, "cute.png", "image/png", page.clone())
        .await
        .expect("upload");
    assert_eq!(html.kind, AttachmentKind::File);
    a.send_op(send(dm.id, "p2", "look", vec![html.id]))
        .await
        .expect("send");
    let got_html = b.messages(1).await.remove(0);
    assert_eq!(got_html.text, "look");
    let (h, bytes) = fetch(&bob, &got_html, html.id).await;
    assert_eq!(bytes, page);
    assert_eq!(header(&h, "content-type"), "application/octet-stream");
    assert!(header(&h, "content-disposition").starts_with("attachment;"));

    // Strangers get no link; nobody sends another's upload; links cannot be altered.
    assert_eq!(
        code(carol.attachment_link(dm.id, got.seq, att.id).await),
        ErrorCode::NotAMember
    );
    assert_eq!(
        code(bob.attachment_link(dm.id, got.seq, html.id).await),
        ErrorCode::AttachmentNotFound,
        "not a file of that message"
    );
    assert_eq!(
        b.send_op(send(dm.id, "b1", "mine", vec![att.id])).await,
        Err(ErrorCode::AttachmentNotFound)
    );
    let link = bob
        .attachment_link(dm.id, got.seq, att.id)
        .await
        .expect("link");
    let forged = link.url.replace(
        &format!("/v1/media/{}", att.id),
        &format!("/v1/media/{}", html.id),
    );
    assert_eq!(code(bob.fetch_link(&forged).await), ErrorCode::LinkExpired);
    let longer = link.url.replace("exp=", "exp=9");
    assert_eq!(code(bob.fetch_link(&longer).await), ErrorCode::LinkExpired);

    // Refusals that change nothing.
    let mut elf = vec![0x7F, b'E', b'L', b'F', 2, 1, 1];
    elf.resize(64, 0);
    assert_eq!(
        code(alice.upload(dm.id, "run.png", "image/png", elf).await),
        ErrorCode::UnsupportedMediaType
    );
    assert_eq!(
        code(
            alice
                .upload(dm.id, "big", "", vec![1; 1024 * 1024 + 1])
                .await
        ),
        ErrorCode::FileTooLarge
    );
    assert_eq!(
        code(carol.upload(dm.id, "x.png", "", png(4, 4)).await),
        ErrorCode::NotAMember
    );
    assert_eq!(
        a.send_op(send(dm.id, "p3", "", (0..11).map(|_| att.id).collect()))
            .await,
        Err(ErrorCode::TooManyAttachments)
    );

    // A large file in parts: the connection drops after two parts, the upload
    // resumes on the other edge, which reports what is missing.
    let doc = pdf(2_500_000);
    let (up, parts) = open_parts(&alice, dm.id, "report.pdf", &doc).await;
    assert_eq!(up.parts, 3);
    let part = |n: u64| parts[n as usize].clone();
    alice.upload_part(up.id, 0, part(0)).await.expect("part 0");
    alice.upload_part(up.id, 2, part(2)).await.expect("part 2");
    let alice_2 = sys.client(1).with_token(alice.token().expect("token"));
    assert_eq!(
        alice_2.upload_status(up.id).await.expect("status").received,
        vec![0, 2]
    );
    assert_eq!(
        code(alice_2.complete_upload(up.id).await),
        ErrorCode::BadRequest
    );
    assert_eq!(
        code(bob.upload_status(up.id).await),
        ErrorCode::AttachmentNotFound
    );
    alice_2
        .upload_part(up.id, 1, part(1))
        .await
        .expect("part 1");
    let pdf = alice_2.complete_upload(up.id).await.expect("complete");
    assert_eq!(
        (pdf.kind, pdf.content_type.as_str(), pdf.size),
        (AttachmentKind::File, "application/pdf", doc.len() as u64)
    );
    a.send_op(send(dm.id, "p4", "the report", vec![pdf.id]))
        .await
        .expect("send");
    let got_pdf = b.messages(1).await.remove(0);
    assert_eq!(fetch(&bob, &got_pdf, pdf.id).await.1, doc);

    // Forwarded to a group: its members read the file through the forward.
    let g = bob.create_group("pals", &[carol_id]).await.expect("group");
    b.send_op(ClientOp::Send {
        channel: g.id,
        client_msg_id: "f1".into(),
        text: String::new(),
        reply_to: None,
        forward: Some(MessageRef {
            channel: dm.id,
            seq: got.seq,
        }),
        attachments: Vec::new(),
    })
    .await
    .expect("forward");
    let fwd = carol
        .history(g.id, &HistoryQuery::default())
        .await
        .expect("history")
        .messages
        .into_iter()
        .find(|m| m.forwarded)
        .expect("the forward");
    assert_eq!(fwd.attachments, vec![done.clone()]);
    assert_eq!(fetch(&carol, &fwd, att.id).await.1, photo);

    // Deleted for everyone: the message carries no file, and no new link is given.
    alice.delete_message(dm.id, got.seq).await.expect("delete");
    assert_eq!(
        code(bob.attachment_link(dm.id, got.seq, att.id).await),
        ErrorCode::MessageDeleted
    );
    let shown = bob.message(dm.id, got.seq).await.expect("message");
    assert!(shown.attachments.is_empty() && shown.deleted.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_media_worker_strips_locations_measures_voice_notes_and_loses_no_job() {
    let mut sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    let (mut b, _) = Device::connect(&bob, "bob-1").await;

    // The worker is down while the files are uploaded and sent: their jobs wait in
    // the MEDIA stream, and the images are not served until processed.
    sys.media = None;
    let photo = jpeg_with_location(300, 200);
    assert!(photo.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER));
    let jpg = alice
        .upload(dm.id, "IMG_0001.jpg", "image/jpeg", photo)
        .await
        .expect("upload");
    let voice = alice
        .upload(dm.id, "voice.wav", "audio/wav", wav_one_second())
        .await
        .expect("upload");
    assert_eq!(
        (jpg.kind, voice.kind),
        (AttachmentKind::Image, AttachmentKind::Audio)
    );
    a.send_op(send(dm.id, "v1", "from the beach", vec![jpg.id, voice.id]))
        .await
        .expect("send");
    let got = b.messages(1).await.remove(0);
    assert!(got.attachments.iter().all(|a| !a.processed));
    match bob.attachment_link(dm.id, got.seq, jpg.id).await {
        Err(ClientError::Api(e)) => {
            assert_eq!(
                (e.code, e.retry_after_ms.is_some()),
                (ErrorCode::Unavailable, true)
            );
        }
        other => panic!("an unprocessed image must not be served: {other:?}"),
    }

    sys.start_media_worker();
    let mut done = std::collections::HashMap::new();
    while done.len() < 2 {
        let m = b.messages(1).await.remove(0);
        if let Some(natter_protocol::ws::SystemEvent::AttachmentProcessed { attachment }) = m.system
        {
            done.insert(attachment.id, attachment);
        }
    }
    let (img, audio) = (&done[&jpg.id], &done[&voice.id]);
    assert_eq!(
        (img.width, img.height, img.thumbnail),
        (Some(300), Some(200), true)
    );
    assert_eq!(audio.duration_ms, Some(1000));
    assert!(!audio.thumbnail);

    // The location is gone from what is stored and served; the picture is intact.
    let stored = std::fs::read(sys.dir().join("media/a").join(jpg.id.to_string())).expect("stored");
    assert!(!stored.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER));
    let shown = bob.message(dm.id, got.seq).await.expect("message");
    let (_, served) = fetch(&bob, &shown, jpg.id).await;
    assert!(!served.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER));
    assert_eq!(served.len() as u64, img.size);
    let decoded = image::load_from_memory(&served).expect("still a jpeg");
    assert_eq!((decoded.width(), decoded.height()), (300, 200));
    let (h, _) = fetch(&bob, &shown, voice.id).await;
    assert!(header(&h, "content-type").starts_with("audio/"));
    assert!(header(&h, "content-disposition").starts_with("inline;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_count_against_a_daily_quota_and_survive_a_killed_edge() {
    let mut sys = System::start(BIN, 0).await;
    for _ in 0..2 {
        sys.start_edge_with(&["--media-daily-mb", "2"]);
    }
    sys.wait_ready().await;
    let (c0, c1) = (sys.client(0), sys.client(1));
    let (alice, _) = user(&c0, "alice").await;
    let (bob, bob_id) = user(&c0, "bob").await;
    let (carol, carol_id) = user(&c0, "carol").await;
    let g = alice
        .create_group("crew", &[bob_id, carol_id])
        .await
        .expect("group");
    let on = |c: &Client, who: &Client| c.with_token(who.token().expect("token"));

    // 2 MiB a day, counted across both edges: the third 900 KB file is refused,
    // with the wait until the next day; another user is not affected.
    let file = || {
        png(1, 1)
            .into_iter()
            .chain(vec![7u8; 900_000])
            .collect::<Vec<u8>>()
    };
    alice.upload(g.id, "a", "", file()).await.expect("first");
    on(&c1, &alice)
        .upload(g.id, "b", "", file())
        .await
        .expect("second, on the other edge");
    match alice.upload(g.id, "c", "", file()).await {
        Err(ClientError::Api(e)) => {
            assert_eq!(e.code, ErrorCode::QuotaExceeded);
            assert!(e.retry_after_ms.is_some_and(|ms| ms <= 24 * 3600 * 1000));
        }
        other => panic!("expected quota_exceeded, got {other:?}"),
    }
    bob.upload(g.id, "d", "", file())
        .await
        .expect("bob's own quota");

    // An upload in parts whose edge is killed after the first part resumes on the
    // other: nothing received is lost, and nothing half-done is readable.
    let doc = pdf(1_900_000);
    let (up, parts) = open_parts(&carol, g.id, "plan.pdf", &doc).await;
    assert_eq!(up.parts, 2);
    let part = |n: u64| parts[n as usize].clone();
    carol.upload_part(up.id, 0, part(0)).await.expect("part 0");
    sys.edges[0].kill();
    let carol_1 = on(&c1, &carol);
    assert_eq!(
        carol_1.upload_status(up.id).await.expect("status").received,
        vec![0]
    );
    carol_1
        .upload_part(up.id, 1, part(1))
        .await
        .expect("part 1");
    let pdf = carol_1.complete_upload(up.id).await.expect("complete");
    // Completing again (the answer lost) gives the same file; nobody else's.
    assert_eq!(carol_1.complete_upload(up.id).await.expect("again"), pdf);
    assert_eq!(
        code(on(&c1, &bob).complete_upload(up.id).await),
        ErrorCode::AttachmentNotFound
    );
    let bob_1 = on(&c1, &bob);
    let (mut bd, _) = Device::connect(&bob_1, "bob-1").await;
    let (mut cd, _) = Device::connect(&carol_1, "carol-1").await;
    cd.send_op(send(g.id, "c1", "", vec![pdf.id]))
        .await
        .expect("send");
    let (m, _) = bd.message_with_processed_files("c1").await;
    assert_eq!(fetch(&bob_1, &m, pdf.id).await.1, doc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_no_message_carries_are_collected_and_forwards_keep_theirs() {
    let mut sys = System::start(BIN, 1).await;
    // Sweeps every second; a file is collected once a second old and unreferenced.
    sys.start_media_worker_with(&["--media-sweep-secs", "1", "--media-orphan-grace-secs", "1"]);
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (_carol, carol_id) = user(&c, "carol").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let g = bob.create_group("pals", &[carol_id]).await.expect("group");
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    let (mut b, _) = Device::connect(&bob, "bob-1").await;
    let upload = |name: &'static str| {
        let alice = alice.clone();
        async move {
            alice
                .upload(dm.id, name, "", png(8, 8))
                .await
                .expect("upload")
                .id
        }
    };
    let never_sent = upload("never.png").await;
    let kept = upload("kept.png").await;
    let deleted = upload("deleted.png").await;
    let forwarded = upload("forwarded.png").await;
    for (cmid, id) in [("k", kept), ("d", deleted), ("f", forwarded)] {
        a.send_op(send(dm.id, cmid, "", vec![id]))
            .await
            .expect("send");
    }
    // Their seqs (the media worker's events come in between).
    let mut seqs = std::collections::HashMap::new();
    while seqs.len() < 3 {
        let m = b.messages(1).await.remove(0);
        if m.system.is_none() {
            seqs.insert(m.client_msg_id.clone(), m.seq);
        }
    }
    b.send_op(ClientOp::Send {
        channel: g.id,
        client_msg_id: "fw".into(),
        text: String::new(),
        reply_to: None,
        forward: Some(MessageRef {
            channel: dm.id,
            seq: seqs["f"],
        }),
        attachments: Vec::new(),
    })
    .await
    .expect("forward");
    // Deleting the forwarded message leaves its file to the forward.
    alice
        .delete_message(dm.id, seqs["d"])
        .await
        .expect("delete");
    alice
        .delete_message(dm.id, seqs["f"])
        .await
        .expect("delete");

    let on_disk = |id: u64| {
        let a = sys.dir().join("media/a");
        [a.join(id.to_string()), a.join(format!("{id}.json"))]
            .iter()
            .any(|p| p.exists())
    };
    natter_tests::eventually(
        Duration::from_secs(30),
        "unreferenced files collected",
        || {
            let gone = !on_disk(never_sent) && !on_disk(deleted);
            async move { gone }
        },
    )
    .await;
    assert!(on_disk(kept) && on_disk(forwarded));
    let fwd = bob
        .history(g.id, &HistoryQuery::default())
        .await
        .expect("history")
        .messages
        .into_iter()
        .find(|m| m.forwarded)
        .expect("the forward");
    assert_eq!(fetch(&bob, &fwd, forwarded).await.1, png(8, 8));
}
