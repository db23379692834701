//! Every service stops on SIGTERM by itself (no SIGKILL needed), promptly.

use std::time::Duration;

use natter_tests::{System, eventually};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_exits_on_sigterm() {
    let mut sys = System::start(BIN, 1).await;
    let mut procs = vec![
        ("edge", sys.edges.remove(0)),
        ("store worker", sys.worker.take().expect("worker")),
        ("presence watcher", sys.presence.take().expect("presence")),
        ("push worker", sys.push.take().expect("push")),
    ];
    for (_, p) in &procs {
        p.terminate();
    }
    for (name, p) in procs.iter_mut() {
        eventually(
            Duration::from_secs(20),
            &format!("the {name} exits"),
            || {
                let done = p.exited();
                async move { done }
            },
        )
        .await;
    }
}
