//! A short run of every `natter bench` workload against a test system: it runs,
//! and nothing acked is lost or duplicated. (Speed is never asserted here; the
//! benchmark suite measures it.)

use natter_tests::System;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn bench(sys: &System, workload: &[&str]) -> serde_json::Value {
    let json = sys.dir().join(format!("bench-{}.json", workload[0]));
    let out = std::process::Command::new(BIN)
        .arg("bench")
        .args(["--url", &sys.edges[0].url])
        .args(["--nats-url", &sys.nats.url()])
        .arg("--token-keys-file")
        .arg(sys.dir().join("token-keys"))
        .arg("--workload")
        .args(workload)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run natter bench");
    assert!(
        out.status.success(),
        "natter bench {workload:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{}", String::from_utf8_lossy(&out.stdout));
    serde_json::from_slice(&std::fs::read(json).expect("json report")).expect("json")
}

fn assert_clean(r: &serde_json::Value) {
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["duplicates"], 0, "{r}");
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["acked"], r["sent"], "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_runs_and_loses_nothing() {
    let sys = System::start(BIN, 2).await;
    let dm = bench(&sys, &["dm", "--users", "40", "--duration-secs", "3"]);
    assert_clean(&dm);
    assert!(dm["acked"].as_u64() > Some(0));
    assert_eq!(
        dm["delivered"].as_u64(),
        dm["acked"].as_u64().map(|a| a * 2)
    );

    let group = bench(
        &sys,
        &[
            "group",
            "--users",
            "30",
            "--group-size",
            "10",
            "--duration-secs",
            "3",
        ],
    );
    assert_clean(&group);
    assert_eq!(
        group["delivered"].as_u64(),
        group["acked"].as_u64().map(|a| a * 10)
    );

    let mixed = bench(
        &sys,
        &[
            "mixed",
            "--users",
            "40",
            "--duration-secs",
            "3",
            "--rate",
            "400",
        ],
    );
    assert_clean(&mixed);
    assert_eq!(
        mixed["delivered"].as_u64(),
        mixed["acked"].as_u64().map(|a| a * 2)
    );
    let ops = &mixed["ops"];
    for kind in ["send", "reply", "react", "edit", "read"] {
        assert!(ops[kind].as_u64() > Some(0), "no {kind} in {ops}");
    }

    let sync = bench(&sys, &["sync", "--users", "20", "--sync-messages", "300"]);
    assert_clean(&sync);
    assert_eq!(sync["delivered"], 300);

    // Photos: every one stored is processed (its thumbnail event reaches the channel).
    let upload = bench(
        &sys,
        &[
            "upload",
            "--users",
            "4",
            "--duration-secs",
            "2",
            "--rate",
            "4",
        ],
    );
    assert_clean(&upload);
    assert!(upload["acked"].as_u64() > Some(0));
    assert_eq!(upload["delivered"], upload["acked"]);

    let idle = bench(&sys, &["idle", "--users", "50", "--duration-secs", "1"]);
    assert_eq!(idle["workload"], "idle");
}
