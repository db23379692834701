//! Worker-id leases against a real nats-server.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, kv};
use natter_idgen::{IdGenOptions, IdGenerator, IdgenError, timestamp_ms, worker_of};
use natter_nats::NatsServer;
use natter_nats::layout::{
    IDGEN_HWM_BUCKET, IDGEN_LEASE_BUCKET, IDGEN_LEASE_TTL, LayoutConfig, ensure,
};

async fn setup() -> (NatsServer, jetstream::Context) {
    let server = NatsServer::start().expect("nats-server");
    let client = natter_nats::connect(server.url(), "idgen-test")
        .await
        .expect("connect");
    let js = jetstream::new(client);
    ensure(&js, &LayoutConfig::default()).await.expect("layout");
    (server, js)
}

/// Renews often so that tests see a takeover quickly.
fn fast() -> IdGenOptions {
    IdGenOptions {
        renew_interval: Duration::from_millis(200),
        ..Default::default()
    }
}

async fn leases(js: &jetstream::Context) -> kv::Store {
    js.get_key_value(IDGEN_LEASE_BUCKET).await.unwrap()
}

async fn read_mark(js: &jetstream::Context, worker_id: u16) -> u64 {
    let hwm = js.get_key_value(IDGEN_HWM_BUCKET).await.unwrap();
    let value = hwm.get(worker_id.to_string()).await.unwrap().unwrap();
    std::str::from_utf8(&value).unwrap().parse().unwrap()
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Polls `cond` until it holds or `limit` passes; returns whether it held.
async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_generators_get_different_worker_ids() {
    let (_server, js) = setup().await;
    let a = IdGenerator::start(js.clone()).await.unwrap();
    let b = IdGenerator::start(js.clone()).await.unwrap();
    assert_ne!(a.worker_id(), b.worker_id());
    let (ia, ib) = (a.next_id().unwrap(), b.next_id().unwrap());
    assert_eq!(worker_of(ia), a.worker_id());
    assert_eq!(worker_of(ib), b.worker_id());
    // The lease key carries the owner token.
    let entry = leases(&js)
        .await
        .entry(a.worker_id().to_string())
        .await
        .unwrap()
        .unwrap();
    assert!(!entry.value.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_get_distinct_ids() {
    let (_server, js) = setup().await;
    let gens: Vec<Arc<IdGenerator>> =
        futures::future::try_join_all((0..8).map(|_| IdGenerator::start(js.clone())))
            .await
            .unwrap();
    let ids: HashSet<u16> = gens.iter().map(|g| g.worker_id()).collect();
    assert_eq!(ids.len(), 8, "worker ids: {ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_ids_are_unique() {
    let (_server, js) = setup().await;
    let gens: Vec<Arc<IdGenerator>> =
        futures::future::try_join_all((0..4).map(|_| IdGenerator::start(js.clone())))
            .await
            .unwrap();
    let mut seen = HashSet::new();
    let mut last = vec![0u64; gens.len()];
    for _ in 0..20_000 {
        for (i, g) in gens.iter().enumerate() {
            let id = g.next_id().unwrap();
            assert!(id > last[i], "not increasing");
            assert_eq!(worker_of(id), g.worker_id());
            assert!(seen.insert(id), "duplicate id {id}");
            last[i] = id;
        }
    }
    // And from threads at once, sharing one generator.
    let shared = Arc::clone(&gens[0]);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let g = Arc::clone(&shared);
            std::thread::spawn(move || {
                (0..10_000)
                    .map(|_| g.next_id().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for id in h.join().unwrap() {
            assert!(seen.insert(id), "duplicate id {id}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requested_worker_id_that_is_held_is_refused() {
    let (_server, js) = setup().await;
    let a = IdGenerator::start(js.clone()).await.unwrap();
    let err = IdGenerator::start_with(
        js.clone(),
        IdGenOptions {
            worker_id: Some(a.worker_id()),
            ..fast()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err, IdgenError::WorkerIdTaken(a.worker_id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_id_can_be_taken_again() {
    let (_server, js) = setup().await;
    let a = IdGenerator::start_with(js.clone(), fast()).await.unwrap();
    let w = a.worker_id();
    let mut last_a = 0;
    for _ in 0..1000 {
        last_a = a.next_id().unwrap();
    }
    a.release().await.unwrap();
    assert_eq!(a.next_id(), Err(IdgenError::Released));
    let mark = read_mark(&js, w).await;
    let ttl_ms = IDGEN_LEASE_TTL.as_millis() as u64;
    // The old holder stayed below its published mark + TTL ...
    assert!(timestamp_ms(last_a) < mark + ttl_ms);

    let b = IdGenerator::start_with(
        js.clone(),
        IdGenOptions {
            worker_id: Some(w),
            ..fast()
        },
    )
    .await
    .unwrap();
    assert_eq!(b.worker_id(), w);
    let first_b = b.next_id().unwrap();
    assert_eq!(worker_of(first_b), w);
    // ... which is where the new holder starts.
    assert!(timestamp_ms(first_b) >= mark + ttl_ms);
    assert!(first_b > last_a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_takeover_stops_the_old_generator() {
    let (_server, js) = setup().await;
    let a = IdGenerator::start_with(
        js.clone(),
        IdGenOptions {
            reacquire: false,
            ..fast()
        },
    )
    .await
    .unwrap();
    let w = a.worker_id();
    a.next_id().unwrap();

    // Another process takes the id over (as after an expiry it missed).
    let store = leases(&js).await;
    store.put(w.to_string(), "intruder".into()).await.unwrap();

    let lost = IdgenError::LeaseLost { worker_id: w };
    assert!(
        eventually(Duration::from_secs(5), || a.next_id() == Err(lost.clone())).await,
        "old generator kept issuing after the takeover"
    );
    // It stays refused and leaves the new holder's key alone.
    for _ in 0..20 {
        assert_eq!(a.next_id(), Err(lost.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(a.worker_id(), w);
    let entry = store.entry(w.to_string()).await.unwrap().unwrap();
    assert_eq!(entry.value.as_ref(), b"intruder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_lease_is_replaced_by_a_new_worker_id() {
    let (_server, js) = setup().await;
    let a = IdGenerator::start_with(js.clone(), fast()).await.unwrap();
    let w = a.worker_id();
    let mut seen: HashSet<u64> = (0..100).map(|_| a.next_id().unwrap()).collect();

    // Deleting the key stands in for an expiry: the revision changes under the holder.
    leases(&js).await.delete(w.to_string()).await.unwrap();

    let mut new_id = None;
    assert!(
        eventually(Duration::from_secs(5), || match a.next_id() {
            Ok(id) if worker_of(id) != w => {
                new_id = Some(id);
                true
            }
            Ok(id) => {
                assert!(seen.insert(id), "duplicate id {id}");
                false
            }
            Err(_) => false,
        })
        .await,
        "no new worker id leased"
    );
    let id = new_id.unwrap();
    assert_ne!(a.worker_id(), w);
    assert_eq!(worker_of(id), a.worker_id());
    for _ in 0..100 {
        assert_ne!(worker_of(a.next_id().unwrap()), w);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_water_mark_sets_the_floor() {
    let (_server, js) = setup().await;
    let hwm = js.get_key_value(IDGEN_HWM_BUCKET).await.unwrap();
    let w: u16 = 517;
    let mark = unix_ms() + 60_000;
    hwm.put(w.to_string(), mark.to_string().into())
        .await
        .unwrap();

    let g = IdGenerator::start_with(
        js.clone(),
        IdGenOptions {
            worker_id: Some(w),
            ..fast()
        },
    )
    .await
    .unwrap();
    let first = g.next_id().unwrap();
    assert_eq!(worker_of(first), w);
    let ttl_ms = IDGEN_LEASE_TTL.as_millis() as u64;
    assert!(
        timestamp_ms(first) >= mark + ttl_ms,
        "first id at {} < mark {mark} + TTL",
        timestamp_ms(first)
    );
    // The generator published its own, higher mark before issuing.
    assert!(read_mark(&js, w).await >= mark + ttl_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_high_water_mark_is_an_error() {
    let (_server, js) = setup().await;
    let hwm = js.get_key_value(IDGEN_HWM_BUCKET).await.unwrap();
    hwm.put("12", "not a number".into()).await.unwrap();
    let err = IdGenerator::start_with(
        js.clone(),
        IdGenOptions {
            worker_id: Some(12),
            ..fast()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        IdgenError::BadHighWaterMark { worker_id: 12, .. }
    ));
    // The half-taken lease was handed back.
    let entry = leases(&js).await.get("12").await.unwrap();
    assert!(entry.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_renewal_makes_ids_unavailable_until_renewed() {
    let (mut server, js) = setup().await;
    // Issue for at most 2 s after the last renewal.
    let g = IdGenerator::start_with(
        js.clone(),
        IdGenOptions {
            safety_margin: IDGEN_LEASE_TTL - Duration::from_secs(2),
            ..fast()
        },
    )
    .await
    .unwrap();
    g.next_id().unwrap();
    server.kill();
    assert!(
        eventually(Duration::from_secs(10), || matches!(
            g.next_id(),
            Err(IdgenError::Unavailable(_))
        ))
        .await,
        "kept issuing without renewals"
    );
    server.restart().unwrap();
    assert!(
        eventually(Duration::from_secs(30), || g.next_id().is_ok()).await,
        "did not recover after the server came back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_generator_frees_its_id() {
    let (_server, js) = setup().await;
    let g = IdGenerator::start_with(js.clone(), fast()).await.unwrap();
    let w = g.worker_id();
    drop(g);
    let store = leases(&js).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while store.get(w.to_string()).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "lease not freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // No renewal task brings it back.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(store.get(w.to_string()).await.unwrap().is_none());
    IdGenerator::start_with(
        js.clone(),
        IdGenOptions {
            worker_id: Some(w),
            ..fast()
        },
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_lease_expires_after_the_ttl() {
    let (_server, js) = setup().await;
    // A holder that died without releasing: its key is never rewritten.
    let w: u16 = 801;
    leases(&js)
        .await
        .create(w.to_string(), "dead-holder".into())
        .await
        .unwrap();
    let written = tokio::time::Instant::now();
    let opts = IdGenOptions {
        worker_id: Some(w),
        ..fast()
    };
    let g = loop {
        match IdGenerator::start_with(js.clone(), opts.clone()).await {
            Ok(g) => break g,
            Err(IdgenError::WorkerIdTaken(_)) => {
                assert!(written.elapsed() < IDGEN_LEASE_TTL + Duration::from_secs(5));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert!(written.elapsed() >= IDGEN_LEASE_TTL - Duration::from_millis(100));
    assert_eq!(worker_of(g.next_id().unwrap()), w);
}
