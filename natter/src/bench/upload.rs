//! `upload`: users upload photos of the size a phone app sends (1280×960 JPEG) at
//! `--rate` uploads/s (0: closed loop, `--window` at a time per user) into their
//! 1:1 channels, and their devices wait for each photo's `attachment_processed`
//! event: uploads/s, MB/s, upload latency (request → stored, durable) and thumbnail
//! latency (stored → the worker's result reached the channel).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use natter_client::Incoming;
use natter_protocol::ws::{ServerEvent, SystemEvent};

use super::report::{Percentiles, Report, histogram};
use super::setup::BenchUser;
use super::{BenchArgs, connect_all, sample_all, usage};

/// A photo as a phone app sends it: 1280×960, JPEG quality 85, with enough detail
/// that it weighs what a real one does (a few hundred KB).
fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1280, 960, |x, y| {
        // Smooth light, plus a pseudo-random texture that JPEG cannot flatten.
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 27;
        image::Rgb([
            ((x * 255 / 1280) as u8).wrapping_add(n as u8),
            ((y * 255 / 960) as u8).wrapping_add((n >> 1) as u8),
            (128 + (n & 15)) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("a JPEG encodes");
    out
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    stored: AtomicU64,
    processed: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
}

pub(super) async fn run(
    users: &[BenchUser],
    args: &BenchArgs,
    pids: &[(String, u32)],
) -> anyhow::Result<Report> {
    let photo = Arc::new(photo());
    let pairs = users.len() / 2;
    let mut channels = Vec::with_capacity(pairs * 2);
    for i in 0..pairs {
        let ch = users[2 * i]
            .client
            .open_dm(users[2 * i + 1].profile.id)
            .await?;
        channels.push(ch.id);
        channels.push(ch.id);
    }
    let uploaders = &users[..pairs * 2];
    let conns = connect_all(uploaders).await?;
    let counters = Arc::new(Counters::default());
    // Attachment id → when it was stored; the readers take it out when processed.
    let waiting: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let upload_hist = Arc::new(Mutex::new(histogram()));
    let thumb_hist = Arc::new(Mutex::new(histogram()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    // The uploader's own device sees the event in its channel; one device per pair
    // is enough (both are in it).
    for (i, mut conn) in conns.into_iter().enumerate() {
        if i % 2 == 1 {
            continue;
        }
        let (waiting, thumb_hist, counters, stop) = (
            waiting.clone(),
            thumb_hist.clone(),
            counters.clone(),
            stop.clone(),
        );
        readers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match conn.next(Duration::from_millis(200)).await {
                    Ok(Incoming::Event(ServerEvent::Message(m))) => {
                        if let Some(SystemEvent::AttachmentProcessed { attachment }) = m.system {
                            let at = waiting.lock().expect("lock").remove(&attachment.id);
                            if let Some(at) = at {
                                let us = at.elapsed().as_micros() as u64;
                                let _ = thumb_hist.lock().expect("lock").record(us.max(1));
                                counters.processed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    Ok(Incoming::Closed { .. }) => return,
                    _ => {}
                }
            }
        }));
    }

    eprintln!(
        "uploading {} KB photos for {} s",
        photo.len() / 1000,
        args.duration_secs
    );
    let before = sample_all(pids);
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(args.duration_secs);
    let every = (args.rate > 0).then(|| Duration::from_secs_f64(1.0 / args.rate as f64));
    let mut tasks = Vec::new();
    if let Some(every) = every {
        // Open loop: one upload every `every`, from uploaders in turn.
        let mut next = tokio::time::Instant::now();
        let mut k = 0usize;
        while Instant::now() < until {
            tokio::time::sleep_until(next).await;
            next += every;
            let u = k % uploaders.len();
            k += 1;
            tasks.push(tokio::spawn(upload_one(
                uploaders[u].client.clone(),
                channels[u],
                photo.clone(),
                counters.clone(),
                waiting.clone(),
                upload_hist.clone(),
            )));
        }
    } else {
        for (u, user) in uploaders.iter().enumerate() {
            for _ in 0..args.window.max(1) {
                let (client, ch, photo, counters, waiting, hist) = (
                    user.client.clone(),
                    channels[u],
                    photo.clone(),
                    counters.clone(),
                    waiting.clone(),
                    upload_hist.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < until {
                        upload_one(
                            client.clone(),
                            ch,
                            photo.clone(),
                            counters.clone(),
                            waiting.clone(),
                            hist.clone(),
                        )
                        .await;
                    }
                }));
            }
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The worker's backlog drains within a minute or is counted as not processed.
    let settle = Instant::now() + Duration::from_secs(60);
    while !waiting.lock().expect("lock").is_empty() && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let processes = usage(pids, &before);
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        let _ = r.await;
    }
    let stored = counters.stored.load(Ordering::Relaxed);
    let processed = counters.processed.load(Ordering::Relaxed);
    let bytes = counters.bytes.load(Ordering::Relaxed);
    let mut report = Report {
        workload: "upload".into(),
        duration_secs: elapsed,
        target_rate: args.rate,
        sent: counters.sent.load(Ordering::Relaxed),
        acked: stored,
        delivered: processed,
        errors: counters.errors.load(Ordering::Relaxed),
        lost: stored.saturating_sub(processed),
        acked_per_sec: stored as f64 / elapsed,
        delivered_per_sec: processed as f64 / elapsed,
        ack_latency_ms: Percentiles::of(&upload_hist.lock().expect("lock")),
        end_to_end_latency_ms: Percentiles::of(&thumb_hist.lock().expect("lock")),
        processes,
        upload_mb_per_sec: Some(bytes as f64 / 1e6 / elapsed),
        ..Report::default()
    };
    report.cpu_per_message();
    Ok(report)
}

async fn upload_one(
    client: natter_client::Client,
    channel: u64,
    photo: Arc<Vec<u8>>,
    counters: Arc<Counters>,
    waiting: Arc<Mutex<HashMap<u64, Instant>>>,
    hist: Arc<Mutex<hdrhistogram::Histogram<u64>>>,
) {
    counters.sent.fetch_add(1, Ordering::Relaxed);
    let t0 = Instant::now();
    match client
        .upload(channel, "photo.jpg", "image/jpeg", photo.to_vec())
        .await
    {
        Ok(a) => {
            let now = Instant::now();
            waiting.lock().expect("lock").insert(a.id, now);
            let us = (now - t0).as_micros() as u64;
            let _ = hist.lock().expect("lock").record(us.max(1));
            counters.stored.fetch_add(1, Ordering::Relaxed);
            counters
                .bytes
                .fetch_add(photo.len() as u64, Ordering::Relaxed);
        }
        Err(_) => {
            counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}
