//! `log`: the floor of the durable hop alone, in the layout the edges use.
//!
//! Appends entries of `--text-bytes` at `--rate` per second to a scratch stream
//! configured as the partition log (same retention, storage and replicas, on the
//! same server, so `sync_interval` applies as it does to the log), coalescing the
//! entries of each partition while its previous append is in flight, with one
//! append in flight per partition: what the edge's publisher does, without the
//! rest of Natter. Reports appends per second, entries per append and the latency
//! from an entry's arrival to its append's ack. The scratch stream is deleted after.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use bytes::Bytes;
use hdrhistogram::Histogram;
use natter_nats::layout::{self, LayoutConfig};
use tokio::sync::Notify;

use super::BenchArgs;
use super::report::{self, Percentiles, Report};

/// Per partition: arrival times of entries not yet appended.
struct Queues {
    pending: Vec<Mutex<VecDeque<Instant>>>,
    wake: Vec<Notify>,
}

/// Runs the `log` workload.
pub(super) async fn run(args: &BenchArgs, pids: &[(String, u32)]) -> anyhow::Result<Report> {
    let nats = natter_nats::connect(&args.nats_url, "natter-bench-log").await?;
    let js = jetstream::new(nats);
    let real = layout::read(&js).await?;
    let tag = format!("{:06x}", rand::random::<u32>() & 0xFF_FFFF);
    let mut config = layout::log_stream_config(&LayoutConfig {
        partitions: real.partitions,
        ..Default::default()
    });
    config.name = format!("BENCH_LOG_{tag}");
    config.subjects = vec![format!("benchlog.{tag}.>")];
    config.description = Some("natter bench: the log's floor (deleted after the run)".into());
    // A run writes well under this; the log's own limit (16 GiB) reserved a second
    // time can exceed what JetStream has left on a fuller disk.
    config.max_bytes = 1 << 30;
    config.num_replicas = js
        .get_stream(layout::LOG_STREAM)
        .await?
        .info()
        .await?
        .config
        .num_replicas;
    js.create_stream(config.clone()).await?;
    let result = appends(&js, args, pids, real.partitions as usize, &tag).await;
    let _ = js.delete_stream(&config.name).await;
    result
}

async fn appends(
    js: &jetstream::Context,
    args: &BenchArgs,
    pids: &[(String, u32)],
    partitions: usize,
    tag: &str,
) -> anyhow::Result<Report> {
    let rate = args.rate.max(1);
    let queues = Arc::new(Queues {
        pending: (0..partitions).map(|_| Mutex::default()).collect(),
        wake: (0..partitions).map(|_| Notify::new()).collect(),
    });
    let latency = Arc::new(Mutex::new(report::histogram()));
    let appended = Arc::new(AtomicU64::new(0));
    let entries = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let payload_bytes = args.text_bytes + 64;
    let mut writers = Vec::new();
    for p in 0..partitions {
        let (js, queues, latency, appended, entries, stop) = (
            js.clone(),
            queues.clone(),
            latency.clone(),
            appended.clone(),
            entries.clone(),
            stop.clone(),
        );
        let subject = format!("benchlog.{tag}.{p}.1");
        writers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let batch: Vec<Instant> = {
                    let mut q = queues.pending[p].lock().unwrap_or_else(|e| e.into_inner());
                    q.drain(..).collect()
                };
                if batch.is_empty() {
                    let _ =
                        tokio::time::timeout(Duration::from_millis(50), queues.wake[p].notified())
                            .await;
                    continue;
                }
                let body = Bytes::from(vec![b'x'; payload_bytes * batch.len()]);
                let acked = match js.publish(subject.clone(), body).await {
                    Ok(ack) => ack.await.is_ok(),
                    Err(_) => false,
                };
                if !acked {
                    continue;
                }
                let now = Instant::now();
                let mut h = latency.lock().unwrap_or_else(|e| e.into_inner());
                for t in &batch {
                    let _ = h.record(now.duration_since(*t).as_micros().max(1) as u64);
                }
                appended.fetch_add(1, Ordering::Relaxed);
                entries.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
        }));
    }
    let before = super::sample_all(pids);
    let started = Instant::now();
    let every = Duration::from_secs_f64(1.0 / rate as f64);
    let until = started + Duration::from_secs_f64(args.duration_secs);
    let mut n: u64 = 0;
    loop {
        let due = started + every.mul_f64(n as f64);
        if due >= until {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let p = (rand::random::<u64>() % partitions as u64) as usize;
        queues.pending[p]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(due);
        queues.wake[p].notify_one();
        n += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let processes = super::usage(pids, &before);
    // What was queued last is appended within a few appends.
    let deadline = Instant::now() + Duration::from_secs(10);
    while entries.load(Ordering::Relaxed) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let h: Histogram<u64> = latency.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let done = entries.load(Ordering::Relaxed);
    let writes = appended.load(Ordering::Relaxed);
    eprintln!(
        "log floor: {:.0} appends/s, {:.1} entries per append",
        writes as f64 / elapsed,
        done as f64 / writes.max(1) as f64
    );
    Ok(Report {
        workload: "log".into(),
        channel_size: 0,
        duration_secs: elapsed,
        target_rate: rate,
        sent: n,
        acked: done,
        acked_per_sec: done as f64 / elapsed,
        log_appends_per_sec: Some(writes as f64 / elapsed),
        ack_latency_ms: Percentiles::of(&h),
        processes,
        ..Default::default()
    })
}
