//! Rate limits (governor): sends and typing notices per user, frames per connection,
//! sign-up and login attempts per IP address, and login attempts per username from
//! one address (password guessing; keyed on both, so nobody can lock a user out
//! from elsewhere). Exceeding one gives `rate_limited` with `retry_after_ms`. The
//! keyed limiters forget idle keys every minute ([`Limiters::forget_idle`]), so
//! addresses and usernames that come and go hold no memory.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use natter_protocol::ApiError;

/// Configurable rates: (per second, burst).
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Sends per user, across all of the user's sockets on this edge.
    pub sends_per_user: (u32, u32),
    /// Frames of any kind per connection.
    pub frames_per_connection: (u32, u32),
    /// Sign-up and login attempts per client IP address.
    pub auth_per_ip: (u32, u32),
    /// Typing notices per user.
    pub typing_per_user: (u32, u32),
    /// Login attempts per (username, client address), per minute and burst.
    pub logins_per_user_and_ip: (u32, u32),
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            sends_per_user: (50, 200),
            frames_per_connection: (200, 400),
            auth_per_ip: (20, 200),
            typing_per_user: (1, 5),
            logins_per_user_and_ip: (6, 10),
        }
    }
}

fn quota((per_second, burst): (u32, u32)) -> Quota {
    let nz = |v: u32| NonZeroU32::new(v.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(nz(per_second)).allow_burst(nz(burst))
}

pub(crate) struct Limiters {
    sends: DefaultKeyedRateLimiter<u64>,
    auth: DefaultKeyedRateLimiter<IpAddr>,
    logins: DefaultKeyedRateLimiter<(String, IpAddr)>,
    typing: DefaultKeyedRateLimiter<u64>,
    reports: DefaultKeyedRateLimiter<u64>,
    frames: Quota,
}

impl Limiters {
    pub(crate) fn new(l: &RateLimits) -> Self {
        Self {
            sends: DefaultKeyedRateLimiter::keyed(quota(l.sends_per_user)),
            auth: DefaultKeyedRateLimiter::keyed(quota(l.auth_per_ip)),
            logins: DefaultKeyedRateLimiter::keyed({
                let (per_minute, burst) = l.logins_per_user_and_ip;
                let nz = |v: u32| NonZeroU32::new(v.max(1)).unwrap_or(NonZeroU32::MIN);
                Quota::per_minute(nz(per_minute)).allow_burst(nz(burst))
            }),
            typing: DefaultKeyedRateLimiter::keyed(quota(l.typing_per_user)),
            // Reports are read by people: a handful at once, then two a minute.
            reports: DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN)),
            ),
            frames: quota(l.frames_per_connection),
        }
    }

    pub(crate) fn send(&self, user_id: u64) -> Result<(), ApiError> {
        self.sends
            .check_key(&user_id)
            .map_err(|n| limited(n.wait_time_from(DefaultClock::default().now())))
    }

    pub(crate) fn typing(&self, user_id: u64) -> Result<(), ApiError> {
        self.typing
            .check_key(&user_id)
            .map_err(|n| limited(n.wait_time_from(DefaultClock::default().now())))
    }

    pub(crate) fn auth(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.auth
            .check_key(&ip)
            .map_err(|n| limited(n.wait_time_from(DefaultClock::default().now())))
    }

    /// A report by `user_id`.
    pub(crate) fn report(&self, user_id: u64) -> Result<(), ApiError> {
        self.reports
            .check_key(&user_id)
            .map_err(|n| limited(n.wait_time_from(DefaultClock::default().now())))
    }

    /// A login attempt for `username` (as typed; compared case-insensitively) from
    /// `ip`.
    pub(crate) fn login(&self, username: &str, ip: IpAddr) -> Result<(), ApiError> {
        self.logins
            .check_key(&(username.to_ascii_lowercase(), ip))
            .map_err(|n| limited(n.wait_time_from(DefaultClock::default().now())))
    }

    /// Drops the state of keys whose limits are back to full (idle ones).
    pub(crate) fn forget_idle(&self) {
        self.sends.retain_recent();
        self.auth.retain_recent();
        self.logins.retain_recent();
        self.typing.retain_recent();
        self.reports.retain_recent();
    }

    /// A limiter for one connection's frames.
    pub(crate) fn connection(&self) -> DefaultDirectRateLimiter {
        DefaultDirectRateLimiter::direct(self.frames)
    }
}

pub(crate) fn check_frame(limiter: &DefaultDirectRateLimiter) -> Result<(), ApiError> {
    limiter
        .check()
        .map_err(|n| limited(n.wait_time_from(DefaultClock::default().now())))
}

fn limited(wait: std::time::Duration) -> ApiError {
    ApiError::rate_limited(wait.as_millis().max(1) as u64)
}
