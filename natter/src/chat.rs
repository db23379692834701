//! `natter chat`: a terminal chat client on `natter-client`, for trying a deployment.
//!
//! Logs in (or signs up), opens the 1:1 channel with `--to`, prints the recent
//! history, then sends each line typed and prints messages as they arrive, acking
//! them as device `--device` (default `cli-<username>`).

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use natter_client::{Client, Incoming};
use natter_protocol::http::HistoryQuery;
use natter_protocol::ws::ServerEvent;
use tokio::io::AsyncBufReadExt;

/// `natter chat` flags.
#[derive(Args)]
pub struct ChatArgs {
    /// Edge base URL.
    #[arg(long, env = "NATTER_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Your username.
    #[arg(long)]
    user: String,
    /// Your password (or NATTER_PASSWORD).
    #[arg(long, env = "NATTER_PASSWORD")]
    password: String,
    /// Create the account first (display name = username unless --display-name).
    #[arg(long)]
    signup: bool,
    /// Display name for --signup.
    #[arg(long)]
    display_name: Option<String>,
    /// Username of the person to chat with.
    #[arg(long)]
    to: String,
    /// This terminal's device id (its sync cursors are kept per device).
    #[arg(long)]
    device: Option<String>,
}

/// Runs the chat client until stdin closes.
pub async fn run(args: ChatArgs) -> anyhow::Result<()> {
    let anon = Client::new(&args.url);
    let auth = if args.signup {
        let name = args
            .display_name
            .clone()
            .unwrap_or_else(|| args.user.clone());
        anon.signup(&args.user, &args.password, &name)
            .await
            .context("sign-up")?
    } else {
        anon.login(&args.user, &args.password)
            .await
            .context("login")?
    };
    let me = anon.with_token(&auth.token);
    println!("logged in as {} ({})", auth.user.username, auth.user.id);
    // Wait for the peer to exist, so two people can start the CLI in any order.
    let peer = loop {
        let found = me.search_users(&args.to.to_ascii_lowercase()).await?;
        if let Some(p) = found
            .into_iter()
            .find(|p| p.username == args.to.to_ascii_lowercase())
        {
            break p;
        }
        println!("waiting for user {} to sign up…", args.to);
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let channel = me.open_dm(peer.id).await?;
    let names = [
        (auth.user.id, auth.user.display_name.clone()),
        (peer.id, peer.display_name.clone()),
    ];
    let name_of = |id: u64| {
        names
            .iter()
            .find(|(i, _)| *i == id)
            .map_or(id.to_string(), |(_, n)| n.clone())
    };
    let recent = me
        .history(
            channel.id,
            &HistoryQuery {
                limit: Some(20),
                ..Default::default()
            },
        )
        .await?;
    for m in &recent.messages {
        println!("[{}] {}: {}", m.seq, name_of(m.sender), m.text);
    }
    // Seqs up to here were printed from history; catch-up repeats them.
    let mut shown = recent.head_seq;
    let device = args
        .device
        .clone()
        .unwrap_or_else(|| format!("cli-{}", auth.user.username));
    let mut conn = me.connect(Some(&device)).await?;
    println!(
        "chatting with {} in channel {} — type a line and press Enter (Ctrl-D quits)",
        peer.display_name, channel.id
    );
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut counter = 0u64;
    let prefix = format!("cli-{:08x}", rand::random::<u32>());
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                if line.trim().is_empty() { continue; }
                counter += 1;
                conn.send(channel.id, &format!("{prefix}-{counter}"), &line).await?;
            }
            ev = conn.next(Duration::from_secs(3600)) => match ev {
                Ok(Incoming::Event(ServerEvent::Message(m))) => {
                    if m.channel == channel.id && m.seq > shown {
                        shown = m.seq;
                        println!("[{}] {}: {}", m.seq, name_of(m.sender), m.text);
                    }
                    // Shown (or not for this terminal): either way this device has it.
                    conn.ack(m.channel, m.seq).await?;
                }
                Ok(Incoming::Event(ServerEvent::Typing { user, .. })) => {
                    println!("… {} is typing", name_of(user));
                }
                Ok(Incoming::Event(ServerEvent::Error { code, message, .. })) => println!("! {code}: {message}"),
                Ok(Incoming::Closed { code, reason }) => anyhow::bail!("connection closed ({code} {reason})"),
                Ok(_) => {}
                Err(natter_client::ClientError::Timeout) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    conn.close(std::time::Duration::from_secs(2)).await;
    Ok(())
}
