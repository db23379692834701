//! The pure Snowflake generator: no clock, no network, just the ordering rules.
//!
//! An ID is `0 | 41 bits ms since EPOCH_MS | 10 bits worker id | 12 bits sequence`,
//! so IDs sort by time first and two workers can never produce the same value.

use crate::IdgenError;

/// The IDs' epoch: 2024-01-01T00:00:00Z in unix milliseconds.
pub const EPOCH_MS: u64 = 1_704_067_200_000;
/// Bits of the per-millisecond sequence.
pub const SEQUENCE_BITS: u32 = 12;
/// Bits of the worker id.
pub const WORKER_BITS: u32 = 10;
/// Bits of the timestamp (milliseconds since [`EPOCH_MS`]).
pub const TIMESTAMP_BITS: u32 = 41;
/// Number of worker ids (`0..WORKER_COUNT`).
pub const WORKER_COUNT: u16 = 1 << WORKER_BITS;
/// IDs one worker can issue within one millisecond.
pub const SEQUENCES_PER_MS: u16 = 1 << SEQUENCE_BITS;
/// The last unix millisecond an ID can encode (in the year 2093).
pub const MAX_UNIX_MS: u64 = EPOCH_MS + ((1 << TIMESTAMP_BITS) - 1);

const WORKER_SHIFT: u32 = SEQUENCE_BITS;
const TIMESTAMP_SHIFT: u32 = SEQUENCE_BITS + WORKER_BITS;

/// A per-worker ID generator that never issues an ID less than or equal to a previous one.
#[derive(Debug, Clone)]
pub struct Snowflake {
    worker_id: u16,
    /// Unix ms of the last ID issued (or the floor, before the first one).
    last_ms: u64,
    /// Next sequence number to hand out within `last_ms`; `SEQUENCES_PER_MS` when spent.
    seq: u16,
}

impl Snowflake {
    /// A generator for `worker_id` that never issues an ID below unix ms `floor_ms`.
    ///
    /// # Errors
    /// [`IdgenError::InvalidWorkerId`] if `worker_id >= WORKER_COUNT`.
    pub fn new(worker_id: u16, floor_ms: u64) -> Result<Self, IdgenError> {
        if worker_id >= WORKER_COUNT {
            return Err(IdgenError::InvalidWorkerId(worker_id));
        }
        Ok(Self {
            worker_id,
            last_ms: floor_ms.max(EPOCH_MS),
            seq: 0,
        })
    }

    /// The worker id encoded in every ID.
    pub fn worker_id(&self) -> u16 {
        self.worker_id
    }

    /// Unix ms of the last ID issued (the floor before the first ID).
    pub fn last_ms(&self) -> u64 {
        self.last_ms
    }

    /// The unix ms the next ID would carry if issued at `now_ms` (no state change).
    pub fn peek_ms(&self, now_ms: u64) -> u64 {
        let now = now_ms.max(EPOCH_MS);
        if now > self.last_ms {
            now
        } else if self.seq >= SEQUENCES_PER_MS {
            // The millisecond is spent: borrow the next one rather than block or repeat.
            self.last_ms.saturating_add(1)
        } else {
            // The clock stepped back or stands still: keep issuing from last_ms.
            self.last_ms
        }
    }

    /// The next ID at wall-clock `now_ms` (unix ms); strictly greater than every
    /// earlier one from this generator.
    ///
    /// # Errors
    /// [`IdgenError::Exhausted`] once the 41-bit timestamp range is used up (year 2093);
    /// the state is left unchanged.
    pub fn next(&mut self, now_ms: u64) -> Result<u64, IdgenError> {
        let ms = self.peek_ms(now_ms);
        if ms > MAX_UNIX_MS {
            return Err(IdgenError::Exhausted);
        }
        let seq = if ms == self.last_ms { self.seq } else { 0 };
        self.last_ms = ms;
        self.seq = seq + 1;
        Ok(compose(ms, self.worker_id, seq))
    }
}

/// Builds an ID from its parts; `unix_ms` must lie in `EPOCH_MS..=MAX_UNIX_MS`.
fn compose(unix_ms: u64, worker_id: u16, seq: u16) -> u64 {
    ((unix_ms - EPOCH_MS) << TIMESTAMP_SHIFT)
        | (u64::from(worker_id) << WORKER_SHIFT)
        | u64::from(seq)
}

/// The unix milliseconds encoded in `id`.
pub fn timestamp_ms(id: u64) -> u64 {
    (id >> TIMESTAMP_SHIFT) + EPOCH_MS
}

/// The smallest id made at or after `unix_ms` (for ranges of ids by time).
pub fn first_id_at(unix_ms: u64) -> u64 {
    unix_ms
        .clamp(EPOCH_MS, MAX_UNIX_MS)
        .saturating_sub(EPOCH_MS)
        << TIMESTAMP_SHIFT
}

/// The worker id encoded in `id`.
pub fn worker_of(id: u64) -> u16 {
    ((id >> WORKER_SHIFT) & u64::from(WORKER_COUNT - 1)) as u16
}

/// The per-millisecond sequence encoded in `id`.
pub fn sequence_of(id: u64) -> u16 {
    (id & u64::from(SEQUENCES_PER_MS - 1)) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: u64 = 1_763_000_000_000;

    #[test]
    fn layout_round_trips() {
        let mut g = Snowflake::new(1023, 0).unwrap();
        let id = g.next(T0).unwrap();
        assert_eq!(id >> 63, 0, "top bit must be 0");
        assert_eq!(timestamp_ms(id), T0);
        assert_eq!(worker_of(id), 1023);
        assert_eq!(sequence_of(id), 0);
        let id2 = g.next(T0).unwrap();
        assert_eq!(sequence_of(id2), 1);
        assert_eq!(id2, id + 1);
    }

    #[test]
    fn rejects_worker_out_of_range() {
        assert!(matches!(
            Snowflake::new(1024, 0),
            Err(IdgenError::InvalidWorkerId(1024))
        ));
    }

    #[test]
    fn clock_step_back_keeps_issuing_from_last_ms() {
        let mut g = Snowflake::new(3, 0).unwrap();
        let a = g.next(T0).unwrap();
        let b = g.next(T0 - 5_000).unwrap();
        assert!(b > a);
        assert_eq!(timestamp_ms(b), T0);
        let c = g.next(T0 + 1).unwrap();
        assert_eq!(timestamp_ms(c), T0 + 1);
        assert_eq!(sequence_of(c), 0);
    }

    #[test]
    fn spent_millisecond_borrows_the_next() {
        let mut g = Snowflake::new(7, 0).unwrap();
        let mut prev = 0;
        for i in 0..u64::from(SEQUENCES_PER_MS) * 2 + 3 {
            let id = g.next(T0).unwrap();
            assert!(id > prev);
            assert_eq!(timestamp_ms(id), T0 + i / u64::from(SEQUENCES_PER_MS));
            prev = id;
        }
        assert_eq!(g.last_ms(), T0 + 2);
    }

    #[test]
    fn floor_is_respected() {
        let mut g = Snowflake::new(9, T0 + 60_000).unwrap();
        assert_eq!(g.peek_ms(T0), T0 + 60_000);
        let id = g.next(T0).unwrap();
        assert_eq!(timestamp_ms(id), T0 + 60_000);
        assert_eq!(sequence_of(id), 0);
    }

    #[test]
    fn clock_before_epoch_is_clamped() {
        let mut g = Snowflake::new(0, 0).unwrap();
        let a = g.next(0).unwrap();
        assert_eq!(timestamp_ms(a), EPOCH_MS);
        assert!(g.next(0).unwrap() > a);
    }

    #[test]
    fn exhaustion_is_an_error_not_a_repeat() {
        let mut g = Snowflake::new(1, MAX_UNIX_MS).unwrap();
        let mut last = 0;
        for _ in 0..SEQUENCES_PER_MS {
            let id = g.next(0).unwrap();
            assert!(id > last);
            last = id;
        }
        assert!(matches!(g.next(0), Err(IdgenError::Exhausted)));
        assert!(matches!(
            g.next(MAX_UNIX_MS + 10),
            Err(IdgenError::Exhausted)
        ));
        assert_eq!(last >> 63, 0);
    }

    /// A clock: steps of (delta ms, IDs drawn at that reading).
    fn clock_steps() -> impl Strategy<Value = Vec<(i64, u16)>> {
        prop::collection::vec(
            (
                prop_oneof![
                    4 => -20i64..20,
                    1 => -100_000i64..100_000,
                ],
                prop_oneof![4 => 1u16..5, 1 => 4000u16..9000],
            ),
            1..40,
        )
    }

    fn run(g: &mut Snowflake, start: u64, steps: &[(i64, u16)]) -> Vec<u64> {
        let mut now = start;
        let mut out = Vec::new();
        for &(delta, n) in steps {
            now = now.saturating_add_signed(delta);
            for _ in 0..n {
                out.push(g.next(now).unwrap());
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn ids_strictly_increase_and_decode(
            worker in 0u16..WORKER_COUNT,
            floor_off in 0u64..10_000,
            steps in clock_steps(),
        ) {
            let mut g = Snowflake::new(worker, T0 + floor_off).unwrap();
            let ids = run(&mut g, T0, &steps);
            let mut prev: Option<u64> = None;
            for id in ids {
                prop_assert_eq!(id >> 63, 0);
                prop_assert_eq!(worker_of(id), worker);
                prop_assert!(timestamp_ms(id) >= T0 + floor_off);
                if let Some(p) = prev {
                    prop_assert!(id > p, "{} <= {}", id, p);
                }
                prev = Some(id);
            }
        }

        #[test]
        fn different_workers_never_collide(
            a in 0u16..WORKER_COUNT,
            b in 0u16..WORKER_COUNT,
            steps_a in clock_steps(),
            steps_b in clock_steps(),
        ) {
            prop_assume!(a != b);
            let ids_a = run(&mut Snowflake::new(a, 0).unwrap(), T0, &steps_a);
            let ids_b: std::collections::HashSet<u64> =
                run(&mut Snowflake::new(b, 0).unwrap(), T0, &steps_b).into_iter().collect();
            for id in ids_a {
                prop_assert!(!ids_b.contains(&id));
            }
        }
    }
}
