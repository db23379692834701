//! Push notification providers (work in progress).
