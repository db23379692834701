//! Discovery end to end: edges register with a TTL, `GET /v1/discover` picks the
//! least loaded live one, a draining edge sends its clients elsewhere.

use std::time::Duration;

use natter_client::{Client, Session};
use natter_protocol::ws::ServerEvent;
use natter_tests::{Device, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const WAIT: Duration = Duration::from_secs(30);

/// Waits until discovery through `client` answers with the edge at `url`.
async fn discovers(client: &Client, url: &str, what: &str) {
    let (c, u) = (client.clone(), url.to_string());
    eventually(WAIT, what, move || {
        let (c, u) = (c.clone(), u.clone());
        async move { c.discover().await.is_ok_and(|d| d.http_url == u) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_returns_the_least_loaded_live_edge_and_forgets_dead_ones() {
    let mut sys = System::start(BIN, 3).await;
    let urls: Vec<String> = sys.edges.iter().map(|e| e.url.clone()).collect();
    // Load: three sockets on edge 0, one on edge 1, none on edge 2.
    let mut held = Vec::new();
    for (i, edge) in [0, 0, 0, 1].into_iter().enumerate() {
        let (c, _) = user(&sys.client(edge), &format!("load{i}")).await;
        held.push(Device::connect(&c, "d").await.0);
    }
    let (fresh, _) = user(&sys.client(0), "fresh").await;
    discovers(&fresh, &urls[2], "edge 2, the least loaded").await;
    let d = fresh.discover().await.unwrap();
    assert!(d.ws_url.starts_with("ws://") && d.ws_url.ends_with("/v1/ws"));

    // A user sticks to the edge they used last while it is healthy.
    let (sticky, _) = user(&sys.client(0), "sticky").await;
    let (_s, _) = Device::connect(&sticky, "d").await;
    discovers(&sticky, &urls[0], "sticky user's previous edge").await;

    // Edge 2 dies: it disappears within its TTL, and edge 1 is now the least loaded.
    sys.edges[2].kill();
    discovers(&fresh, &urls[1], "edge 1 once edge 2 is gone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_edges_clients_reconnect_elsewhere_and_miss_nothing() {
    let mut sys = System::start(BIN, 3).await;
    let urls: Vec<String> = sys.edges.iter().map(|e| e.url.clone()).collect();
    let (alice, _) = user(&sys.client(1), "alice").await;
    let (bob, bob_id) = user(&sys.client(1), "bob").await;
    let channel = alice.open_dm(bob_id).await.unwrap().id;
    // Edges 1 and 2 carry load; Bob is sent to edge 0.
    let mut held = Vec::new();
    for (i, edge) in [1, 1, 2, 2].into_iter().enumerate() {
        let (c, _) = user(&sys.client(edge), &format!("load{i}")).await;
        held.push(Device::connect(&c, "d").await.0);
    }
    discovers(&bob, &urls[0], "edge 0 for bob").await;
    let entries: Vec<Client> = (0..3)
        .map(|i| sys.client(i).with_token(bob.token().unwrap()))
        .collect();
    let mut session = Session::start(entries, "bob-phone").await.unwrap();
    assert_eq!(session.edge().http_url, urls[0]);
    let mut a = Device::new(alice.with_base(&urls[1]).connect(Some("a")).await.unwrap());

    const N: u64 = 60;
    let mut got = Vec::new();
    for i in 0..N {
        if i == N / 3 {
            // SIGTERM: edge 0 drains. It stays up while its clients move, but is never
            // offered to anyone.
            sys.edges[0].terminate();
            let (b, drained) = (bob.clone(), urls[0].clone());
            eventually(
                WAIT,
                "discovery stops offering the draining edge",
                move || {
                    let (b, drained) = (b.clone(), drained.clone());
                    async move { b.discover().await.is_ok_and(|d| d.http_url != drained) }
                },
            )
            .await;
        }
        a.send(channel, &format!("m-{i}"), &format!("message {i}"))
            .await;
        // Keep reading as we go, so the session meets the drain mid-stream.
        while let Ok(ev) = session.next(Duration::from_millis(20)).await {
            if let ServerEvent::Message(m) = ev {
                got.push(m.seq);
            }
        }
    }
    while (got.len() as u64) < N {
        if let ServerEvent::Message(m) = session.next(WAIT).await.unwrap() {
            got.push(m.seq);
        }
    }
    assert_eq!(got, (1..=N).collect::<Vec<_>>());
    assert!(session.reconnects >= 1);
    assert_ne!(session.edge().http_url, sys.edges[0].url);
    // The drained edge exits once its last client left.
    let edge0 = &mut sys.edges[0];
    eventually(WAIT, "the drained edge exits", || {
        let done = edge0.exited();
        async move { done }
    })
    .await;
}
