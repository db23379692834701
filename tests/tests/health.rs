//! `/healthz` and `/readyz` on every service: ready once NATS is connected and the
//! service has done its work once (edge registered, store worker renewing its
//! leases and reading its store); an edge that drains and a store worker that lost
//! NATS turn unready while their process stays up.

use std::time::Duration;

use natter_nats::health::Readiness;
use natter_tests::{Device, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// `/readyz` of `base`: the HTTP status and the parsed body.
async fn readyz(base: &str) -> Option<(u16, Readiness)> {
    let r = reqwest::get(format!("{base}/readyz")).await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.ok()?))
}

async fn until_ready(name: &str, base: &str, checks: &[&str]) {
    eventually(Duration::from_secs(20), &format!("{name} is ready"), || {
        let base = base.to_string();
        async move {
            matches!(readyz(&base).await, Some((200, r)) if r.ready
                && checks.iter().all(|c| r.checks.get(*c).is_some_and(|v| v == "ok")))
        }
    })
    .await;
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200, "{name} /healthz");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_reports_ready_and_unready() {
    let mut sys = System::start(BIN, 1).await;
    let edge = sys.edges[0].url.clone();
    let worker = sys.worker.as_ref().expect("worker").url.clone();
    until_ready("the edge", &edge, &["nats", "discovery", "draining"]).await;
    until_ready("the store worker", &worker, &["nats", "leases", "store"]).await;
    let presence = sys.presence.as_ref().expect("presence").url.clone();
    until_ready("the presence watcher", &presence, &["nats"]).await;
    let push = sys.push.as_ref().expect("push").url.clone();
    until_ready("the push worker", &push, &["nats"]).await;

    // An edge told to stop drains (it waits for its client to move): 503 with the
    // reason while it still serves.
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (_device, _) = Device::connect(&alice, "d").await;
    sys.edges[0].terminate();
    eventually(
        Duration::from_secs(10),
        "the draining edge is unready",
        || {
            let edge = edge.clone();
            async move {
                matches!(readyz(&edge).await, Some((503, r)) if !r.ready
                && r.checks.get("draining").is_some_and(|v| v == "draining"))
            }
        },
    )
    .await;
    // A NATS server gone: the store worker says so (its process is still up).
    sys.nats.kill();
    eventually(Duration::from_secs(20), "the store worker is unready", || {
        let worker = worker.clone();
        async move {
            matches!(readyz(&worker).await, Some((503, r)) if r.checks.get("nats").is_some_and(|v| v != "ok"))
        }
    })
    .await;
    let health = reqwest::get(format!("{worker}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
}

/// A frozen nats-server keeps its TCP connections open, so "connected" says
/// nothing: every service's `/readyz` asks it for a round trip with a deadline, and
/// turns unready within seconds of the freeze and ready again after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_nats_server_makes_every_readyz_fail_until_it_resumes() {
    let mut sys = System::start(BIN, 1).await;
    let edge = sys.edges[0].url.clone();
    let worker = sys.worker.as_ref().expect("worker").url.clone();
    until_ready("the edge", &edge, &["nats"]).await;
    until_ready("the store worker", &worker, &["nats"]).await;
    sys.nats.freeze(false);
    for (name, base) in [("the edge", &edge), ("the store worker", &worker)] {
        eventually(Duration::from_secs(10), &format!("{name} unready"), || {
            let base = base.clone();
            async move {
                matches!(readyz(&base).await, Some((503, r))
                    if r.checks.get("nats").is_some_and(|v| v != "ok"))
            }
        })
        .await;
    }
    sys.nats.freeze(true);
    until_ready("the edge", &edge, &["nats"]).await;
    until_ready("the store worker", &worker, &["nats"]).await;
}

/// `natter dev` says it is running only once every service answers: a sign-up
/// right after the line succeeds, and its `/readyz` includes the store worker's
/// checks (before, the API was served a few milliseconds before the store worker
/// answered, and a first sign-up could meet `unavailable`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn natter_dev_says_running_only_when_every_service_answers() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = std::process::Command::new(BIN)
        .args([
            "dev",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--nats-port",
            "0",
        ])
        .arg("--data")
        .arg(dir.path().join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("natter dev");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().expect("stdout");
    let _child = Kill(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("Natter is running") {
                let _ = tx.send(());
            }
        }
    });
    tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(120)))
        .await
        .expect("waiting")
        .expect("natter dev said it is running");
    let base = format!("http://127.0.0.1:{port}");
    let client = natter_client::Client::new(&base);
    client
        .signup("first", "password-first", "First")
        .await
        .expect("the first sign-up right after the line");
    let (status, ready) = readyz(&base).await.expect("readyz");
    assert_eq!(status, 200, "{ready:?}");
    for check in ["nats", "discovery", "leases", "store"] {
        assert_eq!(
            ready.checks.get(check).map(String::as_str),
            Some("ok"),
            "{check}: {ready:?}"
        );
    }
}
