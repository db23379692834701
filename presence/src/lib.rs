//! Presence (work in progress).
