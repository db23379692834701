//! Before the clock starts: accounts in bulk, tokens, edges, channels.

use std::path::Path;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use natter_client::Client;
use natter_edge::auth::Tokens;
use natter_protocol::http::Profile;
use natter_protocol::internal::{BULK_USERS_MAX, BulkUser, BulkUsersReq};

/// Requests in flight while setting up.
const CONCURRENCY: usize = 64;

/// One benchmark user: its account and a client for the edge discovery gave it.
pub struct BenchUser {
    /// The account.
    pub profile: Profile,
    /// Authenticated client on its edge.
    pub client: Client,
}

/// Makes `n` accounts named `<prefix><i>` through `admin.users.create` (no
/// per-user sign-up or password hashing), mints their tokens with the edges'
/// key, and asks discovery for each user's edge.
pub async fn users(
    nats_url: &str,
    entry: &str,
    keys_file: &Path,
    prefix: &str,
    n: usize,
) -> anyhow::Result<Vec<BenchUser>> {
    let nats = natter_nats::connect(nats_url, "natter-bench").await?;
    let started = std::time::Instant::now();
    let mut profiles = Vec::with_capacity(n);
    let names: Vec<usize> = (0..n).collect();
    for chunk in names.chunks(BULK_USERS_MAX) {
        let req = BulkUsersReq {
            users: chunk
                .iter()
                .map(|i| BulkUser {
                    username: format!("{prefix}{i}"),
                    display_name: format!("Bench {i}"),
                })
                .collect(),
            password: "bench-password".into(),
        };
        let made = natter_nats::rpc::ADMIN_USERS_CREATE
            .call(&nats, &req)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "admin.users.create: {e} (is a store worker running, and may this NATS user publish admin.>?)"
                )
            })?;
        profiles.extend(made);
    }
    eprintln!(
        "{n} accounts made in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = std::time::Instant::now();
    let tokens = Tokens::new(crate::services::load_token_keys(keys_file)?, 86_400)
        .map_err(anyhow::Error::msg)?;
    let anon = Client::new(entry).with_heartbeat(std::time::Duration::from_secs(20));
    futures::stream::iter(profiles)
        .map(|profile| {
            let tokens = &tokens;
            let anon = anon.clone();
            async move {
                // Minted here, not logged in: no session of its own (0).
                let (token, _) = tokens
                    .issue(profile.id, 0)
                    .map_err(|e| anyhow::anyhow!("minting a token: {e}"))?;
                let client = anon.with_token(&token);
                let edge = client.discover().await.context("discover")?;
                Ok::<_, anyhow::Error>(BenchUser {
                    profile,
                    client: client.with_base(&edge.http_url),
                })
            }
        })
        .buffered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await
        .inspect(|_| {
            eprintln!(
                "{n} tokens and edges in {:.1} s",
                started.elapsed().as_secs_f64()
            )
        })
}

/// 1:1 channels: user `i` with users `i+1 … i+k` (wrapping); returns
/// `(channel, a, b)` by user index.
pub async fn dms(users: &[BenchUser], k: usize) -> anyhow::Result<Vec<(u64, usize, usize)>> {
    let n = users.len();
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (1..=k.min(n.saturating_sub(1) / 2).max(1)).map(move |d| (i, (i + d) % n)))
        .filter(|(a, b)| a != b)
        .collect();
    futures::stream::iter(pairs)
        .map(|(a, b)| async move {
            let ch = users[a]
                .client
                .open_dm(users[b].profile.id)
                .await
                .context("open dm")?;
            Ok::<_, anyhow::Error>((ch.id, a, b))
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await
}

/// Groups of `size` consecutive users (the first owns it); returns
/// `(channel, member indexes)`.
pub async fn groups(users: &[BenchUser], size: usize) -> anyhow::Result<Vec<(u64, Vec<usize>)>> {
    let size = size.clamp(2, 100);
    let chunks: Vec<Vec<usize>> = (0..users.len())
        .collect::<Vec<_>>()
        .chunks(size)
        .filter(|c| c.len() >= 2)
        .map(<[usize]>::to_vec)
        .collect();
    futures::stream::iter(chunks)
        .map(|members| async move {
            let others: Vec<u64> = members[1..].iter().map(|&i| users[i].profile.id).collect();
            let g = users[members[0]]
                .client
                .create_group(&format!("bench {}", members[0]), &others)
                .await
                .context("create group")?;
            Ok::<_, anyhow::Error>((g.id, members))
        })
        .buffered(8)
        .try_collect()
        .await
}

/// Waits (up to `patience`) until the log holds nothing unapplied, so a run does not
/// measure the backlog an earlier run left; returns what was left.
pub async fn wait_drained(nats_url: &str, patience: std::time::Duration) -> anyhow::Result<u64> {
    let nats = natter_nats::connect(nats_url, "natter-bench").await?;
    let js = async_nats::jetstream::new(nats);
    let deadline = tokio::time::Instant::now() + patience;
    let mut told = false;
    loop {
        let mut stream = js
            .get_stream(natter_nats::layout::LOG_STREAM)
            .await
            .context("log stream")?;
        // What the owners have not read yet (applied entries leave the log at the
        // next checkpoint; what is delivered is applied within a batch).
        let mut left = 0;
        let mut consumers = stream.consumers();
        while let Some(c) = futures::StreamExt::next(&mut consumers).await {
            left += c.context("log consumers")?.num_pending;
        }
        if stream
            .info()
            .await
            .context("log stream info")?
            .state
            .messages
            == 0
        {
            left = 0;
        }
        if left == 0 || tokio::time::Instant::now() >= deadline {
            return Ok(left);
        }
        if !told {
            eprintln!("waiting for {left} queued batches of an earlier run to be applied");
            told = true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
