//! Reports reach the operators with the content as it was: a reported message
//! deleted afterwards is still there in the report, its file is kept against the
//! media worker's collection, and only what the reporter could see can be reported.
//! Reading and resolving reports are in the audit log; an edge's NATS user reads
//! none.

use std::time::Duration;

use natter_protocol::ErrorCode;
use natter_protocol::http::{ReportReason, ReportRequest};
use natter_protocol::ws::ClientOp;
use natter_tests::{Device, System, api_code as code, eventually, user};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn of_message(channel: u64, seq: u64, note: &str) -> ReportRequest {
    ReportRequest {
        channel: Some(channel),
        seq: Some(seq),
        user: None,
        reason: ReportReason::Harassment,
        note: note.into(),
    }
}

/// `natter admin --json ARGS…` as `url`'s NATS user, as operator "olga".
fn admin(url: &str, args: &[&str]) -> Result<Value, String> {
    let out = std::process::Command::new(BIN)
        .args(["admin", "--nats-url", url, "--json", "--operator", "olga"])
        .args(args)
        .output()
        .expect("run natter admin");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_keep_what_was_reported_for_the_operators() {
    let mut sys = System::start_secured(BIN, 1).await;
    // The media worker collects unreferenced files within seconds here.
    sys.start_media_worker_with(&["--media-sweep-secs", "1", "--media-orphan-grace-secs", "1"]);
    let url = sys.nats_url_as("admin");
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, _) = user(&c, "carol").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let file = bob
        .upload(dm.id, "threat.pdf", "", b"%PDF-1.7\nnasty".to_vec())
        .await
        .expect("upload");
    let (mut b, _) = Device::connect(&bob, "bob-1").await;
    b.send_op(ClientOp::Send {
        channel: dm.id,
        client_msg_id: "m1".into(),
        text: "a nasty message".into(),
        reply_to: None,
        forward: None,
        attachments: vec![file.id],
    })
    .await
    .expect("send");
    // Acked once in the log; stored a moment later.
    let (mut a, caught_up) = Device::connect(&alice, "alice-1").await;
    let seq = match caught_up.first() {
        Some(m) => m.seq,
        None => a.messages(1).await[0].seq,
    };

    // Only what one can see, not one's own, not oneself, one thing at a time.
    assert_eq!(
        code(carol.report(&of_message(dm.id, seq, "")).await),
        Some(ErrorCode::NotAMember)
    );
    assert_eq!(
        code(bob.report(&of_message(dm.id, seq, "")).await),
        Some(ErrorCode::BadRequest)
    );
    let mut both = of_message(dm.id, seq, "");
    both.user = Some(bob_id);
    assert_eq!(code(alice.report(&both).await), Some(ErrorCode::BadRequest));
    assert_eq!(
        code(
            alice
                .report(&of_message(dm.id, seq, &"x".repeat(1001)))
                .await
        ),
        Some(ErrorCode::BadRequest)
    );

    let reported = alice
        .report(&of_message(dm.id, seq, "he keeps doing this"))
        .await
        .expect("report");
    let user_report = alice
        .report(&ReportRequest {
            channel: None,
            seq: None,
            user: Some(bob_id),
            reason: ReportReason::Spam,
            note: String::new(),
        })
        .await
        .expect("report a user");
    assert!(user_report.id > reported.id);

    // Bob deletes the message for everyone; the report keeps it, file and all.
    bob.delete_message(dm.id, seq).await.expect("delete");
    let shown = alice.message(dm.id, seq).await.expect("tombstone");
    assert!(shown.text.is_empty() && shown.attachments.is_empty());
    // Another file, never sent, is collected meanwhile: the sweep runs.
    let orphan = bob
        .upload(dm.id, "orphan.pdf", "", b"%PDF-1.7\norphan".to_vec())
        .await
        .expect("upload");
    let on_disk = |id: u64| sys.dir().join("media/a").join(id.to_string()).exists();
    eventually(Duration::from_secs(30), "the orphan collected", || {
        let gone = !on_disk(orphan.id);
        async move { gone }
    })
    .await;
    assert!(on_disk(file.id), "the reported file is kept");

    let open = admin(&url, &["reports"]).expect("reports");
    let rows = open.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{open}");
    assert_eq!(rows[0]["id"], user_report.id, "newest first");
    assert_eq!(rows[0]["target"]["User"]["username"], "bob");
    let m = &rows[1]["target"]["Message"];
    assert_eq!(m["text"], "a nasty message", "as it was: {open}");
    assert_eq!(m["attachments"][0]["name"], "threat.pdf");
    assert_eq!(rows[1]["reason"], "harassment");
    assert_eq!(rows[1]["note"], "he keeps doing this");
    assert_eq!(rows[1]["reporter"], alice.me().await.expect("me").id);

    // Resolved: gone from the open ones, there with --all; both actions audited.
    admin(
        &url,
        &[
            "resolve",
            &reported.id.to_string(),
            "--action",
            "dismissed",
            "--note",
            "deleted by the author already",
        ],
    )
    .expect("resolve");
    let open = admin(&url, &["reports"]).expect("reports");
    assert_eq!(open.as_array().map(Vec::len), Some(1));
    let all = admin(&url, &["reports", "--all"]).expect("reports");
    let resolved = &all.as_array().expect("rows")[1]["resolved"];
    assert_eq!(resolved["action"], "dismissed");
    assert_eq!(resolved["operator"], "olga");
    let audit = admin(&url, &["audit"]).expect("audit");
    let actions: Vec<&str> = audit
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec![
            "view_reports",
            "view_reports",
            "resolve_report",
            "view_reports"
        ]
    );
    // An operator deletes a message for everyone: a tombstone, like the author's.
    b.send_op(ClientOp::Send {
        channel: dm.id,
        client_msg_id: "m2".into(),
        text: "another nasty one".into(),
        reply_to: None,
        forward: None,
        attachments: Vec::new(),
    })
    .await
    .expect("send");
    let second = loop {
        let m = a.messages(1).await.remove(0);
        if m.client_msg_id == "m2" {
            break m.seq;
        }
    };
    let gone = admin(
        &url,
        &[
            "delete-message",
            &dm.id.to_string(),
            &second.to_string(),
            "--reason",
            "report 1",
        ],
    )
    .expect("delete");
    assert!(!gone["deleted"].is_null(), "{gone}");
    let shown = alice.message(dm.id, second).await.expect("tombstone");
    assert!(shown.deleted.is_some() && shown.text.is_empty());
    let audit = admin(&url, &["audit", "--limit", "1"]).expect("audit");
    assert_eq!(audit[0]["action"], "delete_message");
    assert_eq!(audit[0]["target"], format!("channel:{}/{second}", dm.id));
    // No service credential but the admin's reads them.
    assert!(admin(&sys.nats_url_as("edge"), &["reports"]).is_err());

    // Reports are limited per user: ten at once, then two a minute.
    let mut limited = false;
    for _ in 0..12 {
        if code(alice.report(&of_message(dm.id, 1, "")).await) == Some(ErrorCode::RateLimited) {
            limited = true;
            break;
        }
    }
    assert!(limited, "a flood of reports is limited");
}
