//! Traffic that survives faults, and the accounting at the end of a chaos run.
//!
//! A [`Pair`] is a sender and a receiver in one 1:1 channel, each a
//! [`natter_client::Session`] (discovery, reconnect with backoff, resume from
//! cursors). The sender sends with at-least-once retries under one `client_msg_id`
//! until acked, as a real client does. [`settle`] then checks, per channel: every
//! acked message is stored exactly once, seqs are gapless, and the receiver got every
//! stored message once, in order; it returns a [`Summary`] to print.

use std::time::{Duration, Instant};

use natter_client::{Client, ClientError, Session};
use natter_protocol::ErrorCode;
use natter_protocol::ws::{Attachment, MessageEvent, ServerEvent};

use crate::{System, user};

/// How long one send may take, retries included, before the run fails.
pub const SEND_PATIENCE: Duration = Duration::from_secs(60);

/// A sender and a receiver in one channel.
pub struct Pair {
    /// The sending device.
    pub sender: Session,
    /// The receiving device.
    pub receiver: Session,
    /// A client of the receiver (for history).
    pub receiver_client: Client,
    /// The sender's clients, one per edge (for uploads).
    pub sender_clients: Vec<Client>,
    /// The 1:1 channel.
    pub channel: u64,
    /// client_msg_ids sent, in order.
    pub sent: Vec<String>,
    /// client_msg_ids acked.
    pub acked: Vec<String>,
    /// What the receiver got, in arrival order.
    pub received: Vec<MessageEvent>,
    /// Longest wait for one ack (retries included).
    pub longest_send: Duration,
}

/// Signs up `n` sender/receiver pairs spread over the edges and starts their sessions.
pub async fn pairs(sys: &System, n: usize, prefix: &str) -> Vec<Pair> {
    let edges = sys.edges.len();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (s, _) = user(&sys.client(i % edges), &format!("{prefix}s{i}")).await;
        let (r, r_id) = user(&sys.client((i + 1) % edges), &format!("{prefix}r{i}")).await;
        let channel = s.open_dm(r_id).await.expect("dm").id;
        let entries = |c: &Client| -> Vec<Client> {
            (0..edges)
                .map(|e| sys.client(e).with_token(c.token().expect("token")))
                .collect()
        };
        let sender = Session::start(entries(&s), "phone").await.expect("sender");
        let receiver = Session::start(entries(&r), "phone")
            .await
            .expect("receiver");
        out.push(Pair {
            sender,
            receiver,
            receiver_client: r,
            sender_clients: entries(&s),
            channel,
            sent: Vec::new(),
            acked: Vec::new(),
            received: Vec::new(),
            longest_send: Duration::ZERO,
        });
    }
    out
}

impl Pair {
    /// Sends one message, retrying (same client_msg_id) until acked; reads what the
    /// receiver has meanwhile, so its queue never backs up.
    pub async fn send(&mut self, cmid: &str, text: &str) {
        self.send_with(cmid, text, Vec::new()).await;
    }

    /// [`Self::send`] with attachments.
    pub async fn send_with(&mut self, cmid: &str, text: &str, attachments: Vec<u64>) {
        let op = natter_protocol::ws::ClientOp::Send {
            channel: self.channel,
            client_msg_id: cmid.into(),
            text: text.into(),
            reply_to: None,
            forward: None,
            attachments,
        };
        let started = Instant::now();
        self.sent.push(cmid.to_string());
        'attempt: loop {
            assert!(
                started.elapsed() < SEND_PATIENCE,
                "send {cmid} not acked within {SEND_PATIENCE:?}"
            );
            if self.sender.connection().op(&op).await.is_err() {
                let _ = self.sender.reconnect().await;
                continue;
            }
            let wait_until = Instant::now() + Duration::from_secs(3);
            loop {
                let left = wait_until.saturating_duration_since(Instant::now());
                match self.sender.next(left).await {
                    Ok(ServerEvent::Ack { client_msg_id, .. }) if client_msg_id == cmid => {
                        break 'attempt;
                    }
                    Ok(ServerEvent::Error {
                        code,
                        client_msg_id,
                        message,
                        ..
                    }) if client_msg_id.as_deref() == Some(cmid) => {
                        assert!(code.retryable(), "send {cmid} refused: {code}: {message}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue 'attempt;
                    }
                    Ok(_) => {}
                    // No answer in time (the edge or NATS may have died): resend.
                    Err(ClientError::Timeout) => continue 'attempt,
                    Err(e) => panic!("sender session failed: {e}"),
                }
            }
        }
        self.acked.push(cmid.to_string());
        self.longest_send = self.longest_send.max(started.elapsed());
        self.drain_receiver(Duration::from_millis(1)).await;
    }

    /// Uploads `bytes` for this pair's channel, whole or in parts, as a client on a
    /// bad connection does: a failed call moves to the next edge, an upload in parts
    /// resumes from what the server says it has, and completing is retried.
    pub async fn upload(&self, name: &str, bytes: &[u8], in_parts: bool) -> Attachment {
        let started = Instant::now();
        let mut edge = 0;
        let retry = |e: ClientError, what: &str, edge: &mut usize| {
            assert!(
                started.elapsed() < SEND_PATIENCE,
                "{what} of {name} failed for {SEND_PATIENCE:?}: {e}"
            );
            let retryable = match &e {
                ClientError::Api(api) => api.code.retryable(),
                _ => true,
            };
            assert!(retryable, "{what} of {name} refused: {e}");
            *edge = (*edge + 1) % self.sender_clients.len();
        };
        if !in_parts {
            loop {
                let c = &self.sender_clients[edge];
                match c.upload(self.channel, name, "", bytes.to_vec()).await {
                    Ok(a) => return a,
                    Err(e) => retry(e, "upload", &mut edge),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let req = natter_protocol::http::UploadRequest {
            name: name.into(),
            size: bytes.len() as u64,
            content_type: None,
        };
        let up = loop {
            match self.sender_clients[edge]
                .open_upload(self.channel, &req)
                .await
            {
                Ok(up) => break up,
                Err(e) => retry(e, "open", &mut edge),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let parts: Vec<&[u8]> = bytes.chunks(up.part_bytes as usize).collect();
        loop {
            let c = &self.sender_clients[edge];
            let have = match c.upload_status(up.id).await {
                Ok(s) => s.received,
                // Completed on an edge that died before it answered: completing
                // again gives the same file.
                Err(ClientError::Api(api)) if api.code == ErrorCode::AttachmentNotFound => {
                    match c.complete_upload(up.id).await {
                        Ok(a) => return a,
                        Err(e) => {
                            retry(e, "complete after a lost answer", &mut edge);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    }
                }
                Err(e) => {
                    retry(e, "status", &mut edge);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let mut failed = None;
            for (n, part) in parts.iter().enumerate() {
                if have.contains(&(n as u64)) {
                    continue;
                }
                if let Err(e) = c.upload_part(up.id, n as u64, part.to_vec()).await {
                    failed = Some(e);
                    break;
                }
            }
            let done = match failed {
                Some(e) => Err(e),
                None => c.complete_upload(up.id).await,
            };
            match done {
                Ok(a) => return a,
                Err(e) => retry(e, "part or complete", &mut edge),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Takes whatever the receiver has within `wait`.
    pub async fn drain_receiver(&mut self, wait: Duration) {
        while let Ok(ev) = self.receiver.next(wait).await {
            if let ServerEvent::Message(m) = ev {
                self.received.push(m);
            }
        }
    }
}

/// The result of one chaos scenario.
#[derive(Debug, Default)]
pub struct Summary {
    /// The scenario.
    pub scenario: String,
    /// Messages sent (distinct client_msg_ids).
    pub sent: usize,
    /// Acked.
    pub acked: usize,
    /// Stored (in history).
    pub stored: usize,
    /// Delivered to receivers.
    pub delivered: usize,
    /// Stored more than once, or delivered more than once.
    pub duplicates: usize,
    /// Acked but not stored, or stored but not delivered.
    pub lost: usize,
    /// Repeats the receivers' sessions dropped by seq after reconnecting.
    pub resent_after_reconnect: u64,
    /// Reconnections of all sessions.
    pub reconnects: u64,
    /// Longest wait for one ack, retries included (how long the fault was felt).
    pub recovery: Duration,
}

impl Summary {
    /// Prints the summary as one table row (run tests with `--nocapture` to see it).
    pub fn print(&self) {
        println!(
            "chaos | {:<40} | sent {:>5} | acked {:>5} | stored {:>5} | delivered {:>5} | dup {} | lost {} | resent-after-reconnect {} | reconnects {} | recovery {:?}",
            self.scenario,
            self.sent,
            self.acked,
            self.stored,
            self.delivered,
            self.duplicates,
            self.lost,
            self.resent_after_reconnect,
            self.reconnects,
            self.recovery
        );
    }

    /// Panics unless nothing was lost or duplicated.
    pub fn assert_clean(&self) {
        assert_eq!(
            (self.lost, self.duplicates),
            (0, 0),
            "losses or duplicates: {self:?}"
        );
        assert_eq!(self.acked, self.sent, "{self:?}");
    }
}

/// Waits for every acked message to be stored and delivered, then accounts.
pub async fn settle(scenario: &str, pairs: &mut [Pair]) -> Summary {
    let mut sum = Summary {
        scenario: scenario.to_string(),
        ..Default::default()
    };
    for p in pairs.iter_mut() {
        // Stored: wait until history holds every acked message.
        let deadline = Instant::now() + SEND_PATIENCE;
        // Through the edge the receiver is on now: the one it started on may be dead.
        let reader = p.receiver_client.with_base(&p.receiver.edge().http_url);
        let history = loop {
            let h = reader.full_history(p.channel).await.unwrap_or_default();
            let stored: std::collections::HashSet<&str> =
                h.iter().map(|m| m.client_msg_id.as_str()).collect();
            if p.acked.iter().all(|c| stored.contains(c.as_str())) || Instant::now() > deadline {
                break h;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // Delivered: wait until the receiver has every stored message.
        let deadline = Instant::now() + SEND_PATIENCE;
        while p.received.len() < history.len() && Instant::now() < deadline {
            p.drain_receiver(Duration::from_millis(200)).await;
        }
        let mut counts = std::collections::HashMap::<&str, usize>::new();
        // System events (a file processed) carry no client_msg_id of their own.
        for m in history.iter().filter(|m| m.system.is_none()) {
            *counts.entry(m.client_msg_id.as_str()).or_default() += 1;
        }
        let seqs: Vec<u64> = history.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            (1..=history.len() as u64).collect::<Vec<_>>(),
            "gapless seqs in channel {}",
            p.channel
        );
        let got: Vec<u64> = p.received.iter().map(|m| m.seq).collect();
        sum.sent += p.sent.len();
        sum.acked += p.acked.len();
        sum.stored += history.len();
        sum.delivered += got.len();
        sum.duplicates += counts.values().filter(|c| **c > 1).count();
        sum.duplicates += got.windows(2).filter(|w| w[1] <= w[0]).count();
        sum.lost += p
            .acked
            .iter()
            .filter(|c| !counts.contains_key(c.as_str()))
            .count();
        sum.lost += seqs.len().saturating_sub(got.len());
        assert!(
            got.iter().zip(&seqs).all(|(a, b)| a == b),
            "receiver order differs from history in channel {}",
            p.channel
        );
        sum.resent_after_reconnect += p.receiver.duplicates_dropped;
        sum.reconnects += p.sender.reconnects + p.receiver.reconnects;
        sum.recovery = sum.recovery.max(p.longest_send);
    }
    sum
}
