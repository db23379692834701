//! `natter admin` against a running system on the secured NATS server: each question
//! the operators' CLI answers, as JSON, checked against what the test did; and the
//! `admin.*` requests are refused to an edge's NATS user.

use std::time::Duration;

use natter_tests::{Device, System, eventually, user};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Runs `natter admin --json ARGS…` as `url`'s NATS user; its JSON answer, or its
/// error output when it fails.
async fn admin(url: &str, args: &[&str]) -> Result<Value, String> {
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["admin", "--nats-url", url, "--json"]).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run natter admin");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("admin prints JSON"))
}

/// The rows of every partition's pending messages.
async fn pending(url: &str, partitions: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    for p in 0..partitions {
        let answer = admin(url, &["pending", &p.to_string()])
            .await
            .expect("pending");
        rows.extend(answer.as_array().expect("rows").iter().cloned());
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_answers_each_operator_question() {
    let mut sys = System::start_secured(BIN, 1).await;
    let url = sys.nats_url_as("admin");
    let (alice, alice_id) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let dm = alice.open_dm(bob_id).await.expect("dm").id;
    let (mut a, _) = Device::connect(&alice, "laptop").await;
    for i in 0..3 {
        a.send(dm, &format!("m{i}"), "hello").await;
    }
    let (mut b, caught_up) = Device::connect(&bob, "phone").await;
    let mut got = caught_up;
    got.extend(b.messages(3 - got.len()).await);
    b.ack(&got).await;

    // A channel: its head and members.
    let channel = admin(&url, &["channel", &dm.to_string()])
        .await
        .expect("channel");
    assert_eq!(channel["head_seq"], 3, "{channel}");
    assert_eq!(channel["members"].as_array().map(Vec::len), Some(2));

    // A user's devices and cursors: bob's phone acked seq 3 (acks are batched).
    eventually(Duration::from_secs(10), "bob's cursor reaches 3", || {
        let url = url.clone();
        async move {
            let u = admin(&url, &["user", &bob_id.to_string()])
                .await
                .expect("user");
            u["devices"][0]["device_id"] == "phone"
                && u["devices"][0]["positions"][0]["cursor"] == 3
                && u["devices"][0]["positions"][0]["head"] == 3
        }
    })
    .await;

    // Presence: bob is online on one device, held by the edge.
    let presence = admin(&url, &["presence", &bob_id.to_string()])
        .await
        .expect("presence");
    assert_eq!(presence["presence"]["online"], true, "{presence}");
    assert_eq!(presence["devices"].as_array().map(Vec::len), Some(1));

    // Edges with their connection counts (registrations renew every few seconds).
    eventually(
        Duration::from_secs(15),
        "the edge reports 2 sockets",
        || {
            let url = url.clone();
            async move {
                let edges = admin(&url, &["edges"]).await.expect("edges");
                edges.as_array().map(Vec::len) == Some(1) && edges[0]["connections"] == 2
            }
        },
    )
    .await;

    // Leases: every partition held by the live store worker.
    let leases = admin(&url, &["leases"]).await.expect("leases");
    let leases = leases.as_array().expect("rows").clone();
    assert!(!leases.is_empty());
    assert!(
        leases.iter().all(|l| l["owner_live"] == "true"),
        "{leases:?}"
    );

    // Streams: one owner's consumer per partition, and the log trimmed below what
    // the store holds at the owners' checkpoints.
    let streams = admin(&url, &["streams"]).await.expect("streams");
    let consumers: Vec<&Value> = streams
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["stream"] == "LOG" && r["consumer"] != "-")
        .collect();
    assert_eq!(consumers.len(), leases.len());
    eventually(Duration::from_secs(10), "the log is trimmed", || {
        let url = url.clone();
        async move {
            let streams = admin(&url, &["streams"]).await.expect("streams");
            streams
                .as_array()
                .expect("rows")
                .iter()
                .any(|r| r["stream"] == "LOG" && r["consumer"] == "-" && r["messages"] == 0)
        }
    })
    .await;

    // With the store worker down, acked sends wait in the log: `pending` shows them
    // (lengths, never text), and they are applied once a worker is back.
    sys.kill_worker();
    for i in 3..5 {
        a.send(dm, &format!("m{i}"), "while down").await;
    }
    let rows = pending(&url, leases.len()).await;
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["client_msg_id"].as_str())
        .collect();
    assert_eq!(ids, ["m3", "m4"], "{rows:?}");
    assert!(rows.iter().all(|r| r["text_chars"] == 10));
    assert!(!rows.iter().any(|r| r.to_string().contains("while down")));
    sys.start_worker();
    eventually(Duration::from_secs(30), "the partition drains", || {
        let url = url.clone();
        let partitions = leases.len();
        async move { pending(&url, partitions).await.is_empty() }
    })
    .await;

    // An edge's NATS user may not ask the store workers admin questions.
    let edge_url = sys.nats_url_as("edge");
    let refused = admin(&edge_url, &["user", &alice_id.to_string()]).await;
    assert!(refused.is_err(), "{refused:?}");
    let unknown = admin(&url, &["channel", "42"]).await;
    assert!(
        unknown.as_ref().is_err_and(|e| e.contains("not_found")),
        "{unknown:?}"
    );
}
