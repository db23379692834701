//! Ended sessions, as every edge must know them without a lookup per request.
//!
//! Tokens are signed and checked by any edge on its own; to end one before it
//! expires, its session goes on a revocation list: the KV bucket `revoked` (per-key
//! TTL), which every edge follows into memory ([`Revocations::follow`]) and checks
//! each token against ([`Revocations::allows`]). Two kinds of key:
//! - `s.<session>` → the user id: one session ended (logout, or ended from another
//!   of the user's devices). Kept until the session's token would have expired.
//! - `u.<user>` → a time in ms: every token of the user issued before it is refused
//!   (log out everywhere, a password change, a suspension). Kept for a token's
//!   lifetime, after which no token from before it is left.
//!
//! The list holds only what ended within a token's lifetime, so it stays small (an
//! entry is ~40 bytes in memory; a million logouts a week is ~40 MB per edge).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures::StreamExt;

use crate::layout;
use crate::ttl_kv::{TtlKv, TtlKvError};

/// Sessions of one user ended one by one (within a token's lifetime) past which the
/// next ending ends them all instead: each costs every edge memory, so one account
/// logging in and out in a loop must not grow the list without bound.
pub const MAX_ENDED_ONE_BY_ONE: usize = 50;

/// What is known to have ended.
#[derive(Default)]
struct Ended {
    /// Ended sessions → their user.
    sessions: HashMap<u64, u64>,
    /// Users → how many of `sessions` are theirs.
    per_user: HashMap<u64, usize>,
    /// Users → tokens issued before this (ms) are refused.
    users: HashMap<u64, u64>,
}

impl Ended {
    fn end_session(&mut self, session: u64, user: u64) {
        if self.sessions.insert(session, user).is_none() {
            *self.per_user.entry(user).or_default() += 1;
        }
    }

    fn forget_session(&mut self, session: u64) -> Option<u64> {
        let user = self.sessions.remove(&session)?;
        if let Some(n) = self.per_user.get_mut(&user) {
            *n -= 1;
            if *n == 0 {
                self.per_user.remove(&user);
            }
        }
        Some(user)
    }
}

/// The revocation list: written by whoever ends a session, followed by every edge.
pub struct Revocations {
    kv: TtlKv,
    js: jetstream::Context,
    ended: RwLock<Ended>,
    loaded: AtomicBool,
}

fn session_key(session: u64) -> String {
    format!("s.{session}")
}

fn user_key(user: u64) -> String {
    format!("u.{user}")
}

impl Revocations {
    /// Opens the list (the bucket must exist: [`layout::ensure`]).
    ///
    /// # Errors
    /// The bucket's stream cannot be read.
    pub async fn open(js: &jetstream::Context) -> Result<Arc<Self>, TtlKvError> {
        Ok(Arc::new(Self {
            kv: TtlKv::open(js, layout::REVOKED_BUCKET).await?,
            js: js.clone(),
            ended: RwLock::default(),
            loaded: AtomicBool::new(false),
        }))
    }

    /// Whether a token of `user`, of session `session` (0: a token from before
    /// sessions), issued at `issued_ms`, is still good.
    pub fn allows(&self, user: u64, session: u64, issued_ms: u64) -> bool {
        let ended = self.ended.read().unwrap_or_else(|e| e.into_inner());
        let session_ended = session != 0 && ended.sessions.contains_key(&session);
        let before = ended.users.get(&user).is_some_and(|t| issued_ms < *t);
        !(session_ended || before)
    }

    /// Whether `user` has ended so many sessions one by one that the next ending
    /// should end them all ([`MAX_ENDED_ONE_BY_ONE`]).
    pub fn too_many_ended(&self, user: u64) -> bool {
        let ended = self.ended.read().unwrap_or_else(|e| e.into_inner());
        ended.per_user.get(&user).copied().unwrap_or(0) >= MAX_ENDED_ONE_BY_ONE
    }

    /// Whether the list was read to its end once (until then no token can be
    /// trusted).
    pub fn loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Ends session `session` of `user`; `ttl` is how long its token could still
    /// be used. In force here at once, on other edges when they see it (ms).
    ///
    /// # Errors
    /// JetStream failed: nothing was ended.
    pub async fn end_session(
        &self,
        user: u64,
        session: u64,
        ttl: Duration,
    ) -> Result<(), TtlKvError> {
        self.kv
            .put(
                &session_key(session),
                Bytes::from(user.to_string()),
                ttl.max(Duration::from_secs(1)),
            )
            .await?;
        self.apply(&session_key(session), Some(user.to_string().as_bytes()));
        Ok(())
    }

    /// Ends every session of `user` whose token was issued before `at_ms`; `ttl` is
    /// the tokens' lifetime.
    ///
    /// # Errors
    /// JetStream failed: nothing was ended.
    pub async fn end_all_before(
        &self,
        user: u64,
        at_ms: u64,
        ttl: Duration,
    ) -> Result<(), TtlKvError> {
        let value = at_ms.to_string();
        self.kv
            .put(
                &user_key(user),
                Bytes::from(value.clone()),
                ttl.max(Duration::from_secs(1)),
            )
            .await?;
        self.apply(&user_key(user), Some(value.as_bytes()));
        Ok(())
    }

    /// Takes one entry (None: deleted or expired); returns the user it concerns.
    fn apply(&self, key: &str, value: Option<&[u8]>) -> Option<u64> {
        let number = |b: &[u8]| std::str::from_utf8(b).ok()?.parse::<u64>().ok();
        let (kind, id) = key.split_once('.')?;
        let id: u64 = id.parse().ok()?;
        let mut ended = self.ended.write().unwrap_or_else(|e| e.into_inner());
        match (kind, value.and_then(number)) {
            ("s", Some(user)) => {
                ended.end_session(id, user);
                Some(user)
            }
            ("s", None) => ended.forget_session(id),
            ("u", Some(at)) => {
                let t = ended.users.entry(id).or_insert(0);
                *t = (*t).max(at);
                Some(id)
            }
            ("u", None) => ended.users.remove(&id).map(|_| id),
            _ => None,
        }
    }

    /// Follows the bucket for as long as the task lives, calling `ended(user)` for
    /// each user a new entry concerns (to close their sockets).
    pub async fn follow(self: Arc<Self>, ended: impl Fn(u64) + Send + Sync) {
        loop {
            if let Err(e) = self.follow_once(&ended).await {
                tracing::warn!(error = %e, "revocation list watch failed; restarting");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn follow_once(
        &self,
        ended: &(impl Fn(u64) + Send + Sync),
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let store = self.js.get_key_value(layout::REVOKED_BUCKET).await?;
        // An empty bucket yields nothing to a watcher: it is read to its end now.
        let mut stream = self
            .js
            .get_stream(layout::kv_stream_name(layout::REVOKED_BUCKET))
            .await?;
        if stream.info().await?.state.messages == 0 {
            self.loaded.store(true, Ordering::Release);
        }
        let mut watch = store.watch_with_history(">").await?;
        while let Some(entry) = watch.next().await {
            let entry = entry?;
            let value = match entry.operation {
                kv::Operation::Put => Some(&entry.value[..]),
                kv::Operation::Delete | kv::Operation::Purge => None,
            };
            if let Some(user) = self.apply(&entry.key, value)
                && value.is_some()
            {
                ended(user);
            }
            if entry.delta == 0 || entry.seen_current {
                self.loaded.store(true, Ordering::Release);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_ended_are_counted_per_user_and_forgotten_with_their_entries() {
        let mut e = Ended::default();
        for s in 0..3 {
            e.end_session(s, 7);
        }
        e.end_session(1, 7);
        e.end_session(10, 8);
        assert_eq!((e.per_user[&7], e.per_user[&8]), (3, 1));
        assert_eq!(e.forget_session(0), Some(7));
        assert_eq!(e.forget_session(0), None);
        assert_eq!(e.forget_session(10), Some(8));
        assert_eq!(e.per_user.get(&8), None);
        assert_eq!(e.per_user[&7], 2);
    }
}
