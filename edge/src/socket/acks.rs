//! Sends between the client's op and their `ack`: an ack waits a moment for the
//! sender's own copy of the message (which follows it through the log a few
//! milliseconds later) so both go out in one write, and seeing the own copy first
//! also answers the send (it went through the log, so it is durable).

use std::time::Duration;

use natter_protocol::ApiError;
use natter_protocol::ws::ServerEvent;
use tokio::time::Instant;

use super::conn::Conn;
use super::ops::Appending;
use super::writer::Stop;
use crate::hub::UserEvent;

/// How long an acked send's `ack` waits for the sender's own copy to go with it.
pub(super) const ACK_HOLD: Duration = Duration::from_millis(3);

/// A send between the client's op and its `ack`.
pub(super) struct Sending {
    pub(super) message_id: u64,
    pub(super) channel: u64,
    pub(super) client_msg_id: String,
    /// `"message_id":"<id>"`: finds the sender's own copy in a relayed event.
    pub(super) needle: Vec<u8>,
    /// JetStream acked it at this time (the ack then waits [`ACK_HOLD`]).
    pub(super) acked_at: Option<Instant>,
    /// Its own copy was seen (and answered it): the ack from JetStream is dropped.
    pub(super) answered: bool,
}

impl Sending {
    pub(super) fn ack(&self) -> ServerEvent {
        ServerEvent::Ack {
            client_msg_id: self.client_msg_id.clone(),
            message_id: self.message_id,
            channel: self.channel,
        }
    }
}

impl Conn {
    /// JetStream answered a send: hold its ack for its own copy, or report the error.
    pub(super) async fn appended(
        &mut self,
        message_id: u64,
        r: Result<u64, ApiError>,
    ) -> Result<(), Stop> {
        let Some(i) = self.sends.iter().position(|s| s.message_id == message_id) else {
            return Ok(());
        };
        if self.sends[i].answered {
            // Its own copy came first and answered it.
            self.sends.swap_remove(i);
            return Ok(());
        }
        match r {
            Ok(_) => self.sends[i].acked_at = Some(Instant::now()),
            Err(e) => {
                let s = self.sends.swap_remove(i);
                self.w.error(e, Some(s.client_msg_id)).await?;
            }
        }
        Ok(())
    }

    /// Writes the acks whose own copy did not come within [`ACK_HOLD`].
    pub(super) async fn acks_due(&mut self) -> Result<(), Stop> {
        let now = Instant::now();
        let mut k = 0;
        while k < self.sends.len() {
            let due = self.sends[k]
                .acked_at
                .is_some_and(|at| at + ACK_HOLD <= now);
            if due {
                let s = self.sends.remove(k);
                self.w.event(&s.ack()).await?;
            } else {
                k += 1;
            }
        }
        Ok(())
    }

    /// If `ev` is the own copy of a send not yet answered, answers it now (the own
    /// copy went through the log, so the send is durable).
    pub(super) async fn own_copy(&mut self, ev: &UserEvent) -> Result<(), Stop> {
        if !self.sends.is_empty()
            && let Some(i) = self
                .sends
                .iter()
                .position(|s| !s.answered && ev.is_in(s.channel) && ev.contains(&s.needle))
        {
            let ack = self.sends[i].ack();
            if self.sends[i].acked_at.is_some() {
                self.sends.remove(i);
            } else {
                self.sends[i].answered = true;
            }
            self.w.event(&ack).await?;
            metrics::counter!("natter_edge_acks_with_own_copy_total").increment(1);
        }
        Ok(())
    }
}

/// A send's append, with the message id it belongs to.
pub(super) async fn waiting(message_id: u64, appending: Appending) -> (u64, Result<u64, ApiError>) {
    (message_id, appending.await)
}
