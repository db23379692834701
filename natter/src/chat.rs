//! `natter chat`: a terminal chat client on `natter-client`, for trying and
//! debugging a deployment.
//!
//! Logs in (or signs up), connects through discovery (reconnecting by itself),
//! and reads commands from stdin: `/list` channels with unread counts and
//! presence, `/open` one, `/more` history, `/dm` or `/group` to start one, `/who`
//! is in it; any other line is sent to the open channel. Live messages, typing
//! and presence changes are printed as they arrive.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use natter_client::{Client, ClientError, Session};
use natter_protocol::http::{ChannelSummary, HistoryQuery, NotifyLevel, Presence};
use natter_protocol::ws::{ClientOp, MessageEvent, MessageRef, ServerEvent, SystemEvent};
use tokio::io::AsyncBufReadExt;

/// Messages shown when a channel is opened, and per `/more`.
const PAGE: u32 = 20;

/// `natter chat` flags.
#[derive(Args)]
pub struct ChatArgs {
    /// Edge base URL (any edge: the client discovers where to connect).
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
    /// Open the 1:1 channel with this user at start (waits until they exist).
    #[arg(long)]
    to: Option<String>,
    /// This terminal's device id (its sync cursors are kept per device).
    #[arg(long)]
    device: Option<String>,
}

const HELP: &str = "commands:
  /list                 your channels (most recent first), unread counts, presence
  /open N|NAME          open channel N of /list, or by name / username
  /more                 older messages of the open channel
  /dm USER              open (or start) the 1:1 channel with USER
  /group NAME USER...   create a group with these users and open it
  /who                  members of the open channel and their presence
  /edit SEQ TEXT        replace the text of your message SEQ
  /delete SEQ           delete message SEQ for everyone (yours, or any as a group admin)
  /react SEQ EMOJI      react to message SEQ (/unreact SEQ EMOJI takes it back)
  /pin SEQ, /unpin SEQ  pin or unpin message SEQ (group owners and admins)
  /reply SEQ TEXT       reply to message SEQ
  /hide SEQ             delete message SEQ for yourself only
  /forward SEQ TO       forward message SEQ to channel TO (N of /list, a name or a username)
  /notify LEVEL         push notifications of the open channel: all, mentions, none
  /help                 this text
  /quit                 leave (Ctrl-D too)
  anything else         is sent to the open channel";

/// What the terminal shows and knows.
struct Chat {
    me: Client,
    my_id: u64,
    session: Session,
    names: HashMap<u64, String>,
    listed: Vec<ChannelSummary>,
    open: Option<Open>,
    watched: HashSet<u64>,
    reconnects_seen: u64,
    /// Messages from others replayed by catch-up, counted until `synced`.
    caught_up: Option<u64>,
    sent: u64,
    prefix: String,
}

/// The channel being shown.
struct Open {
    id: u64,
    name: String,
    /// Lowest seq shown (for `/more`).
    oldest: u64,
    /// Highest seq shown (live messages above it are printed).
    newest: u64,
}

/// Runs the chat client until stdin closes or `/quit`.
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
    let device = args
        .device
        .clone()
        .unwrap_or_else(|| format!("cli-{}", auth.user.username));
    let session = Session::start(vec![me.clone()], &device)
        .await
        .context("connecting")?;
    println!(
        "connected to edge {} as device {device} — /help lists commands",
        session.edge().edge_id
    );
    let mut chat = Chat {
        me,
        my_id: auth.user.id,
        session,
        names: HashMap::from([(auth.user.id, auth.user.display_name.clone())]),
        listed: Vec::new(),
        open: None,
        watched: HashSet::new(),
        reconnects_seen: 0,
        caught_up: Some(0),
        sent: 0,
        prefix: format!("cli-{:08x}", rand::random::<u32>()),
    };
    if let Some(to) = &args.to {
        let peer = wait_for_user(&chat.me, to).await?;
        chat.open_dm(&peer).await?;
    }
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                match chat.command(line.trim()).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => println!("! {e:#}"),
                }
            }
            ev = chat.session.next(Duration::from_secs(3600)) => match ev {
                Ok(ev) => chat.event(ev).await,
                Err(ClientError::Timeout) => {}
                Err(e) => return Err(e).context("connection lost for good"),
            }
        }
        chat.resubscribe_after_reconnect().await;
    }
    Ok(())
}

/// Waits until `username` exists, so two people can start in any order.
async fn wait_for_user(me: &Client, username: &str) -> anyhow::Result<String> {
    let wanted = username.to_ascii_lowercase();
    loop {
        let found = me.search_users(&wanted).await?;
        if found.iter().any(|p| p.username == wanted) {
            return Ok(wanted);
        }
        println!("waiting for user {username} to sign up…");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn when(ms: u64) -> String {
    let ago = natter_protocol::now_ms().saturating_sub(ms) / 1000;
    match ago {
        0..60 => format!("{ago}s ago"),
        60..3600 => format!("{}m ago", ago / 60),
        3600..86_400 => format!("{}h ago", ago / 3600),
        _ => format!("{}d ago", ago / 86_400),
    }
}

impl Chat {
    /// Runs one input line; `Ok(false)` = quit.
    async fn command(&mut self, line: &str) -> anyhow::Result<bool> {
        if line.is_empty() {
            return Ok(true);
        }
        let mut words = line.split_whitespace();
        match words.next().unwrap_or_default() {
            "/quit" | "/exit" => return Ok(false),
            "/help" => println!("{HELP}"),
            "/list" => self.list().await?,
            "/open" => {
                let what = words.collect::<Vec<_>>().join(" ");
                anyhow::ensure!(!what.is_empty(), "usage: /open N|NAME");
                self.open_named(&what).await?;
            }
            "/more" => self.more().await?,
            "/dm" => {
                let user = words.next().context("usage: /dm USER")?;
                self.open_dm(user).await?;
            }
            "/group" => {
                let name = words.next().context("usage: /group NAME USER...")?;
                let mut ids = Vec::new();
                for u in words {
                    ids.push(self.user_id(u).await?);
                }
                let g = self.me.create_group(name, &ids).await?;
                self.show(g.id, name.to_string()).await?;
            }
            "/who" => self.who().await?,
            "/edit" => {
                let seq = words.next().and_then(|w| w.parse().ok());
                let text = words.collect::<Vec<_>>().join(" ");
                let seq = seq
                    .filter(|_| !text.is_empty())
                    .context("usage: /edit SEQ TEXT")?;
                self.change(|channel, op_id| ClientOp::Edit {
                    channel,
                    seq,
                    text,
                    op_id,
                })
                .await?;
            }
            "/delete" => {
                let seq = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .context("usage: /delete SEQ")?;
                self.change(|channel, op_id| ClientOp::Delete {
                    channel,
                    seq,
                    op_id,
                })
                .await?;
            }
            "/reply" => {
                let seq = words.next().and_then(|w| w.parse().ok());
                let text = words.collect::<Vec<_>>().join(" ");
                let seq = seq
                    .filter(|_| !text.is_empty())
                    .context("usage: /reply SEQ TEXT")?;
                self.change(|channel, op_id| ClientOp::Send {
                    channel,
                    client_msg_id: op_id.unwrap_or_default(),
                    text,
                    reply_to: Some(seq),
                    forward: None,
                    attachments: Vec::new(),
                })
                .await?;
            }
            "/forward" => {
                let seq = words.next().and_then(|w| w.parse().ok());
                let to = words.collect::<Vec<_>>().join(" ");
                let seq = seq
                    .filter(|_| !to.is_empty())
                    .context("usage: /forward SEQ TO")?;
                let from = self
                    .open
                    .as_ref()
                    .context("no channel open: /list, /open, /dm")?
                    .id;
                let (target, name) = self.channel_named(&to).await?;
                self.sent += 1;
                self.session
                    .connection()
                    .op(&ClientOp::Send {
                        channel: target,
                        client_msg_id: format!("{}-{}", self.prefix, self.sent),
                        text: String::new(),
                        reply_to: None,
                        forward: Some(MessageRef { channel: from, seq }),
                        attachments: Vec::new(),
                    })
                    .await?;
                println!("(forwarded {seq} to {name})");
            }
            "/hide" => {
                let seq = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .context("usage: /hide SEQ")?;
                self.change(|channel, op_id| ClientOp::Hide {
                    channel,
                    seq,
                    op_id,
                })
                .await?;
            }
            "/notify" => {
                let level = match words.next() {
                    Some("all") => NotifyLevel::All,
                    Some("mentions") => NotifyLevel::Mentions,
                    Some("none") => NotifyLevel::None,
                    _ => anyhow::bail!("usage: /notify all|mentions|none"),
                };
                let open = self
                    .open
                    .as_ref()
                    .context("no channel open: /list, /open, /dm")?;
                self.me.set_notifications(open.id, level).await?;
                println!("(notifications: {level:?})");
            }
            cmd @ ("/pin" | "/unpin") => {
                let seq = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .with_context(|| format!("usage: {cmd} SEQ"))?;
                let pin = cmd == "/pin";
                self.change(|channel, op_id| ClientOp::Pin {
                    channel,
                    seq,
                    pin,
                    op_id,
                })
                .await?;
            }
            cmd @ ("/react" | "/unreact") => {
                let seq = words.next().and_then(|w| w.parse().ok());
                let (Some(seq), Some(emoji)) = (seq, words.next()) else {
                    anyhow::bail!("usage: {cmd} SEQ EMOJI");
                };
                let emoji = emoji.to_string();
                let add = cmd == "/react";
                self.change(|channel, op_id| ClientOp::React {
                    channel,
                    seq,
                    emoji,
                    add,
                    op_id,
                })
                .await?;
            }
            w if w.starts_with('/') => println!("! unknown command {w} (/help)"),
            _ => self.send(line).await?,
        }
        Ok(true)
    }

    /// Sends a change to a message of the open channel; the result shows as the
    /// channel's event (or an error line).
    async fn change(
        &mut self,
        op: impl FnOnce(u64, Option<String>) -> ClientOp,
    ) -> anyhow::Result<()> {
        let open = self
            .open
            .as_ref()
            .context("no channel open: /list, /open, /dm")?;
        self.sent += 1;
        let op = op(open.id, Some(format!("{}-{}", self.prefix, self.sent)));
        self.session.connection().op(&op).await?;
        Ok(())
    }

    async fn send(&mut self, text: &str) -> anyhow::Result<()> {
        let open = self
            .open
            .as_ref()
            .context("no channel open: /list, /open, /dm")?;
        self.sent += 1;
        let cmid = format!("{}-{}", self.prefix, self.sent);
        self.session.connection().send(open.id, &cmid, text).await?;
        Ok(())
    }

    async fn name(&mut self, user: u64) -> String {
        if let Some(n) = self.names.get(&user) {
            return n.clone();
        }
        let name = match self.me.user(user).await {
            Ok(p) => p.display_name,
            Err(_) => user.to_string(),
        };
        self.names.insert(user, name.clone());
        name
    }

    async fn user_id(&self, username: &str) -> anyhow::Result<u64> {
        let wanted = username.to_ascii_lowercase();
        self.me
            .search_users(&wanted)
            .await?
            .into_iter()
            .find(|p| p.username == wanted)
            .map(|p| p.id)
            .with_context(|| format!("no user {username}"))
    }

    async fn watch(&mut self, users: Vec<u64>) {
        let new: Vec<u64> = users
            .into_iter()
            .filter(|u| *u != self.my_id && self.watched.insert(*u))
            .collect();
        if !new.is_empty() {
            let op = ClientOp::PresenceSubscribe { users: new };
            if let Err(e) = self.session.connection().op(&op).await {
                println!("! presence: {e}");
            }
        }
    }

    /// After the session reconnected, presence subscriptions are renewed.
    async fn resubscribe_after_reconnect(&mut self) {
        if self.session.reconnects != self.reconnects_seen {
            self.reconnects_seen = self.session.reconnects;
            println!("(reconnected to edge {})", self.session.edge().edge_id);
            let users: Vec<u64> = self.watched.drain().collect();
            self.watch(users).await;
        }
    }

    async fn list(&mut self) -> anyhow::Result<()> {
        let list = self.me.channels(Some(50), None).await?;
        let peers: Vec<u64> = list.channels.iter().filter_map(|c| c.peer).collect();
        self.watch(peers).await;
        if list.channels.is_empty() {
            println!("no channels yet: /dm USER or /group NAME USER...");
        }
        for (i, c) in list.channels.iter().enumerate() {
            let current = self.open.as_ref().is_some_and(|o| o.id == c.id);
            let last = c
                .last_message
                .as_ref()
                .map(|m| format!(" — {}", m.text.chars().take(40).collect::<String>()))
                .unwrap_or_default();
            let unread = if c.unread > 0 {
                format!(" ({} unread)", c.unread)
            } else {
                String::new()
            };
            println!(
                "{}{:>2}. {}{unread}, {}{last}",
                if current { '*' } else { ' ' },
                i + 1,
                c.name,
                when(c.last_activity_at),
            );
        }
        self.listed = list.channels;
        Ok(())
    }

    async fn open_named(&mut self, what: &str) -> anyhow::Result<()> {
        let (id, name) = self.channel_named(what).await?;
        self.show(id, name).await
    }

    /// Channel N of /list, a listed channel's name, or the 1:1 channel with a username.
    async fn channel_named(&mut self, what: &str) -> anyhow::Result<(u64, String)> {
        if self.listed.is_empty() {
            self.listed = self.me.channels(Some(50), None).await?.channels;
        }
        let by_index = what
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| self.listed.get(i));
        let found = by_index.or_else(|| {
            self.listed
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(what))
        });
        match found {
            Some(c) => Ok((c.id, c.name.clone())),
            // Not a listed name: maybe a username.
            None => self.dm_with(what).await,
        }
    }

    async fn open_dm(&mut self, username: &str) -> anyhow::Result<()> {
        let (id, name) = self.dm_with(username).await?;
        self.show(id, name).await
    }

    /// The 1:1 channel with `username` (made if new), its presence watched.
    async fn dm_with(&mut self, username: &str) -> anyhow::Result<(u64, String)> {
        let id = self.user_id(username).await?;
        let channel = self.me.open_dm(id).await?;
        let name = self.name(id).await;
        self.watch(vec![id]).await;
        Ok((channel.id, name))
    }

    /// Opens `channel`: prints its latest messages and marks them read.
    async fn show(&mut self, channel: u64, name: String) -> anyhow::Result<()> {
        let page = self
            .me
            .history(
                channel,
                &HistoryQuery {
                    limit: Some(PAGE),
                    ..Default::default()
                },
            )
            .await?;
        println!("── {name} (channel {channel}) ──");
        for m in &page.messages {
            self.print(m).await;
        }
        let oldest = page.messages.first().map_or(page.head_seq + 1, |m| m.seq);
        self.open = Some(Open {
            id: channel,
            name,
            oldest,
            newest: page.head_seq,
        });
        if page.head_seq > 0 {
            self.session
                .connection()
                .read(channel, page.head_seq)
                .await?;
        }
        Ok(())
    }

    async fn more(&mut self) -> anyhow::Result<()> {
        let (id, before) = {
            let open = self.open.as_ref().context("no channel open")?;
            if open.oldest <= 1 {
                println!("(start of {})", open.name);
                return Ok(());
            }
            (open.id, open.oldest)
        };
        let page = self
            .me
            .history(
                id,
                &HistoryQuery {
                    before: Some(before),
                    limit: Some(PAGE),
                    ..Default::default()
                },
            )
            .await?;
        for m in &page.messages {
            self.print(m).await;
        }
        if let (Some(first), Some(open)) = (page.messages.first(), self.open.as_mut()) {
            open.oldest = first.seq;
        }
        Ok(())
    }

    async fn who(&mut self) -> anyhow::Result<()> {
        let id = self.open.as_ref().context("no channel open")?.id;
        let members = self.me.members(id).await?;
        let mut ids = Vec::new();
        for m in &members.members {
            let p = self.me.user(m.user).await?;
            let state = match &p.presence {
                Some(pr) if pr.online => "online".to_string(),
                Some(Presence {
                    last_seen: Some(t), ..
                }) => format!("last seen {}", when(*t)),
                _ => "offline".to_string(),
            };
            println!(
                "  {} (@{}) {:?}, {state}",
                p.display_name, p.username, m.role
            );
            self.names.insert(p.id, p.display_name);
            ids.push(m.user);
        }
        self.watch(ids).await;
        Ok(())
    }

    async fn print(&mut self, m: &MessageEvent) {
        let who = self.name(m.sender).await;
        match &m.system {
            Some(ev) => {
                let what = self.describe(ev).await;
                println!("[{}] * {who} {what}", m.seq);
            }
            None if m.hidden => println!("[{}] (deleted for you)", m.seq),
            None if m.deleted.is_some() => println!("[{}] {who}: (deleted)", m.seq),
            None => {
                let edited = if m.edits > 0 { " (edited)" } else { "" };
                let reactions: String = m
                    .reactions
                    .iter()
                    .map(|r| format!(" {}{}", r.emoji, r.count))
                    .collect();
                let quote = match &m.reply_to {
                    Some(q) if q.deleted => format!("(↪ [{}] deleted) ", q.seq),
                    Some(q) => format!(
                        "(↪ [{}] {}) ",
                        q.seq,
                        q.preview.chars().take(30).collect::<String>()
                    ),
                    None => String::new(),
                };
                let forwarded = if m.forwarded { "(forwarded) " } else { "" };
                let files: String = m
                    .attachments
                    .iter()
                    .map(|a| format!(" [{} {} B]", a.describe(), a.size))
                    .collect();
                println!(
                    "[{}] {who}: {forwarded}{quote}{}{files}{edited}{reactions}",
                    m.seq, m.text
                );
            }
        }
    }

    async fn names_of(&mut self, users: &[u64]) -> String {
        let mut names = Vec::new();
        for u in users {
            names.push(self.name(*u).await);
        }
        names.join(", ")
    }

    async fn describe(&mut self, ev: &SystemEvent) -> String {
        match ev {
            SystemEvent::GroupCreated { name, members } => {
                format!("created {name} with {}", self.names_of(members).await)
            }
            SystemEvent::MembersAdded { users } => format!("added {}", self.names_of(users).await),
            SystemEvent::MemberRemoved { user } => format!("removed {}", self.name(*user).await),
            SystemEvent::MemberLeft { .. } => "left".to_string(),
            SystemEvent::MemberBanned { user } => format!("banned {}", self.name(*user).await),
            SystemEvent::MemberUnbanned { user } => {
                format!("lifted the ban on {}", self.name(*user).await)
            }
            SystemEvent::MemberMuted { user, until: 0 } => {
                format!("unmuted {}", self.name(*user).await)
            }
            SystemEvent::MemberMuted { user, until } => {
                let left = until.saturating_sub(natter_protocol::now_ms()) / 60_000;
                format!("muted {} for {left} min", self.name(*user).await)
            }
            SystemEvent::AccountDeleted { .. } => "deleted their account".to_string(),
            SystemEvent::RetentionChanged { max_age_secs: 0 } => {
                "keeps messages as long as the server does".to_string()
            }
            SystemEvent::RetentionChanged { max_age_secs } => {
                format!("keeps messages for {} hours", max_age_secs / 3600)
            }
            SystemEvent::Renamed { name } => format!("renamed the group to {name}"),
            SystemEvent::RoleChanged { user, role } => {
                format!("made {} {role:?}", self.name(*user).await)
            }
            SystemEvent::MessageEdited { seq, text, .. } => format!("edited [{seq}]: {text}"),
            SystemEvent::MessageDeleted { seq } => format!("deleted [{seq}]"),
            SystemEvent::MessagePinned { seq } => format!("pinned [{seq}]"),
            SystemEvent::MessageUnpinned { seq } => format!("unpinned [{seq}]"),
            SystemEvent::ReactionAdded { seq, emoji } => format!("reacted {emoji} to [{seq}]"),
            SystemEvent::ReactionRemoved { seq, emoji } => {
                format!("took back {emoji} on [{seq}]")
            }
            SystemEvent::AttachmentProcessed { attachment } => {
                format!("'s {} is ready", attachment.describe())
            }
        }
    }

    async fn event(&mut self, ev: ServerEvent) {
        match ev {
            ServerEvent::Message(m) => {
                let open = self.open.as_ref().map(|o| (o.id, o.newest));
                match open {
                    Some((id, newest)) if id == m.channel && m.seq > newest => {
                        self.print(&m).await;
                        if let Some(o) = self.open.as_mut() {
                            o.newest = m.seq;
                        }
                        let _ = self.session.connection().read(m.channel, m.seq).await;
                    }
                    // Already shown from history.
                    Some((id, _)) if id == m.channel => {}
                    // Catch-up replays what this device has not acked: count it.
                    _ if m.sender != self.my_id && self.caught_up.is_some() => {
                        self.caught_up = self.caught_up.map(|n| n + 1);
                    }
                    _ if m.sender != self.my_id => {
                        let who = self.name(m.sender).await;
                        let text: String = m.text.chars().take(40).collect();
                        println!("(new in channel {}) {who}: {text}", m.channel);
                    }
                    _ => {}
                }
            }
            ServerEvent::Typing { channel, user }
                if self.open.as_ref().is_some_and(|o| o.id == channel) =>
            {
                let who = self.name(user).await;
                println!("… {who} is typing");
            }
            ServerEvent::Presence(p) => {
                let who = self.name(p.user).await;
                match (p.online, p.last_seen) {
                    (true, _) => println!("• {who} is online"),
                    (false, Some(t)) => println!("• {who} is offline (last seen {})", when(t)),
                    (false, None) => println!("• {who} is offline"),
                }
            }
            ServerEvent::Error { code, message, .. } => println!("! {code}: {message}"),
            ServerEvent::Synced { .. } => {
                if let Some(n) = self.caught_up.take() {
                    println!(
                        "(synced: {n} new messages from others while away; /list shows where)"
                    );
                }
            }
            _ => {}
        }
    }
}
