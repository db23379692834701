//! `revoke`: how fast an ended session stops working. Each user logs in (a session
//! of its own) and opens a socket with that token; then, one user after another,
//! the session is logged out and two things are timed from the logout's request:
//! until the edges' revocation list, followed here by the same code every edge
//! runs, holds the entry (what any other edge sees), and until the session's open
//! socket is closed with `token_revoked`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use natter_client::Incoming;
use natter_nats::revocations::Revocations;
use natter_protocol::ws::ServerEvent;

use super::report::{Percentiles, Report, histogram};
use super::setup::BenchUser;
use super::{BenchArgs, sample_all, usage};

/// The password `setup::users` gives every account.
const PASSWORD: &str = "bench-password";
/// How long one revocation may take before it counts as lost.
const PATIENCE: Duration = Duration::from_secs(10);

pub(super) async fn run(
    users: &[BenchUser],
    args: &BenchArgs,
    pids: &[(String, u32)],
) -> anyhow::Result<Report> {
    // Every other edge's view: the revocation list, followed into memory.
    let nats = natter_nats::connect(&args.nats_url, "natter-bench").await?;
    let js = async_nats::jetstream::new(nats);
    let list = Revocations::open(&js)
        .await
        .map_err(|e| anyhow::anyhow!("revocation list: {e}"))?;
    let seen: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let follower = {
        let seen = seen.clone();
        tokio::spawn(list.follow(move |user| {
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(user)
                .or_insert_with(Instant::now);
        }))
    };
    // A session and a socket per user.
    let mut sessions = Vec::with_capacity(users.len());
    for u in users {
        let auth = u.client.login(&u.profile.username, PASSWORD).await?;
        let client = u.client.with_token(&auth.token);
        let mut conn = client.connect(Some("revoke")).await?;
        loop {
            match conn.next(Duration::from_secs(30)).await? {
                Incoming::Event(ServerEvent::Synced { .. }) => break,
                Incoming::Closed { code, reason } => {
                    anyhow::bail!("closed while connecting: {code} {reason}")
                }
                _ => {}
            }
        }
        sessions.push((u.profile.id, client, conn));
    }
    eprintln!(
        "{} sessions open; logging them out one by one",
        sessions.len()
    );
    let every = (args.rate > 0).then(|| Duration::from_secs_f64(1.0 / args.rate as f64));
    let (mut listed, mut closed) = (histogram(), histogram());
    let (mut sent, mut on_list, mut sockets_closed, mut errors) = (0u64, 0u64, 0u64, 0u64);
    let before = sample_all(pids);
    let started = Instant::now();
    for (user, client, mut conn) in sessions {
        let t0 = Instant::now();
        sent += 1;
        if client.logout().await.is_err() {
            errors += 1;
            continue;
        }
        let deadline = t0 + PATIENCE;
        // The socket closes with the reason.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match conn.next(left).await {
                Ok(Incoming::Closed { reason, .. }) if reason == "token_revoked" => {
                    let _ = closed.record((t0.elapsed().as_micros() as u64).max(1));
                    sockets_closed += 1;
                    break;
                }
                Ok(Incoming::Closed { .. }) | Err(_) => break,
                Ok(_) => {}
            }
        }
        // The list, as another edge holds it.
        while Instant::now() < deadline {
            let at = seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&user)
                .copied();
            if let Some(at) = at {
                let _ = listed.record((at.saturating_duration_since(t0).as_micros() as u64).max(1));
                on_list += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if let Some(every) = every {
            tokio::time::sleep(every.saturating_sub(t0.elapsed())).await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let processes = usage(pids, &before);
    follower.abort();
    Ok(Report {
        workload: "revoke".into(),
        duration_secs: elapsed,
        target_rate: args.rate,
        sent,
        acked: on_list,
        delivered: sockets_closed,
        errors,
        lost: sent.saturating_sub(on_list.min(sockets_closed)),
        acked_per_sec: on_list as f64 / elapsed,
        delivered_per_sec: sockets_closed as f64 / elapsed,
        ack_latency_ms: Percentiles::of(&listed),
        end_to_end_latency_ms: Percentiles::of(&closed),
        processes,
        ..Report::default()
    })
}
