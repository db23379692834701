//! Account deletion: after re-authenticating, a user deletes their account; every
//! session ends on every edge (open sockets close), the profile goes, and nothing
//! they wrote stays readable through any user-facing path: history, one message,
//! its versions, quotes in replies, a fresh device's sync, user search, another
//! member's export and file links. Their messages remain as tombstones in others'
//! history; the username is held for a cooling-off period, then free. An operator
//! deletes an account on request, audited.

use std::time::Duration;

use natter_client::{Client, Incoming};
use natter_protocol::ErrorCode;
use natter_protocol::http::ExportState;
use natter_protocol::ws::{ClientOp, MessageEvent, SystemEvent};
use natter_tests::{Device, System, api_code as code, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// What only the deleted account wrote: none of it may be read afterwards.
const SECRET: &str = "zebra";

/// Every event of `channel` as `reader` reads its history, as JSON text.
async fn history_text(reader: &Client, channel: u64) -> (Vec<MessageEvent>, String) {
    let all = reader.full_history(channel).await.expect("history");
    let text = serde_json::to_string(&all).expect("json");
    (all, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_account_leaves_tombstones_and_nothing_readable() {
    let mut sys = System::start(BIN, 2).await;
    let (e0, e1) = (sys.client(0), sys.client(1));
    let (alice, alice_id) = user(&e0, "alice").await;
    let (bob, bob_id) = user(&e0, "bob").await;
    let (carol, carol_id) = user(&e0, "carol").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let group = bob
        .create_group("club", &[alice_id, carol_id])
        .await
        .expect("group");

    // Alice writes, edits, sends a file, reacts; the others reply and quote her.
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    let (mut b, _) = Device::connect(&bob, "bob-1").await;
    a.send(dm.id, "a1", &format!("{SECRET} one")).await;
    b.send(dm.id, "b1", "hello alice").await;
    alice
        .edit_message(dm.id, 1, &format!("{SECRET} one, edited"))
        .await
        .expect("edit");
    alice.react(dm.id, 2, "👍", true).await.expect("react");
    let file = alice
        .upload(
            group.id,
            "notes.pdf",
            "",
            format!("%PDF-1.7 {SECRET}").into(),
        )
        .await
        .expect("upload");
    let op = ClientOp::Send {
        channel: group.id,
        client_msg_id: "a2".into(),
        text: format!("{SECRET} two"),
        reply_to: None,
        forward: None,
        attachments: vec![file.id],
    };
    a.send_op(op).await.expect("send with a file");
    let in_group = bob
        .full_history(group.id)
        .await
        .expect("history")
        .into_iter()
        .find(|m| m.client_msg_id == "a2")
        .expect("a2 stored");
    let reply = ClientOp::Send {
        channel: group.id,
        client_msg_id: "b2".into(),
        text: "quoting alice".into(),
        reply_to: Some(in_group.seq),
        forward: None,
        attachments: Vec::new(),
    };
    b.send_op(reply).await.expect("reply");
    bob.attachment_link(group.id, in_group.seq, file.id)
        .await
        .expect("a link while she exists");

    // Her socket on the other edge, open when she deletes the account.
    let on_e1 = alice.with_base(e1.base_url());
    let mut socket = on_e1.connect(Some("alice-2")).await.expect("socket");
    assert_eq!(
        code(alice.delete_account("not-her-password").await),
        Some(ErrorCode::InvalidCredentials),
        "the password is required"
    );
    assert!(
        alice.me().await.is_ok(),
        "a refused deletion changes nothing"
    );
    let done = alice
        .delete_account("password-alice")
        .await
        .expect("deleted");
    assert_eq!(done.channels, 2);

    // Every session ends everywhere; she cannot log in again.
    assert_eq!(code(alice.me().await), Some(ErrorCode::TokenRevoked));
    eventually(Duration::from_secs(5), "the other edge refuses her", || {
        let c = on_e1.clone();
        async move { code(c.me().await) == Some(ErrorCode::TokenRevoked) }
    })
    .await;
    loop {
        match socket.next(Duration::from_secs(10)).await {
            Ok(Incoming::Closed { code, reason }) => {
                assert_eq!((code, reason.as_str()), (1008, "token_revoked"));
                break;
            }
            Ok(_) => {}
            Err(e) => panic!("her socket stayed open: {e}"),
        }
    }
    assert_eq!(
        code(e0.login("alice", "password-alice").await),
        Some(ErrorCode::InvalidCredentials)
    );

    // Her messages become tombstones in both channels (in the background).
    for channel in [dm.id, group.id] {
        eventually(
            Duration::from_secs(30),
            "her messages erased from history",
            || {
                let bob = bob.clone();
                async move { !history_text(&bob, channel).await.1.contains(SECRET) }
            },
        )
        .await;
        let (all, _) = history_text(&bob, channel).await;
        for m in all
            .iter()
            .filter(|m| m.sender == alice_id && m.system.is_none())
        {
            assert!(m.deleted.is_some(), "a tombstone: {m:?}");
            assert!(m.attachments.is_empty() && m.reactions.is_empty());
        }
        assert!(
            all.iter()
                .any(|m| m.system == Some(SystemEvent::AccountDeleted { user: alice_id })),
            "the channel was told"
        );
    }
    let dm_history = bob.full_history(dm.id).await.expect("history");
    assert!(
        dm_history[1].reactions.is_empty(),
        "her reaction to Bob's message went"
    );
    // One message, its versions, the reply's quote.
    let one = bob.message(dm.id, 1).await.expect("message");
    assert!(one.text.is_empty() && one.deleted.is_some());
    let versions = bob.message_edits(dm.id, 1).await.expect("versions");
    assert!(versions.versions.is_empty(), "{versions:?}");
    let (group_history, _) = history_text(&carol, group.id).await;
    let quoted = group_history
        .iter()
        .find(|m| m.client_msg_id == "b2")
        .and_then(|m| m.reply_to.clone())
        .expect("the reply keeps its quote");
    assert!(quoted.deleted && quoted.preview.is_empty(), "{quoted:?}");
    assert_eq!(
        code(bob.attachment_link(group.id, in_group.seq, file.id).await),
        Some(ErrorCode::MessageDeleted)
    );
    // She left the group; nobody can write to her any more.
    let members = bob.members(group.id).await.expect("members");
    assert!(
        members.members.iter().all(|m| m.user != alice_id),
        "{members:?}"
    );
    assert_eq!(
        b.send_op(ClientOp::Send {
            channel: dm.id,
            client_msg_id: "b3".into(),
            text: "still there?".into(),
            reply_to: None,
            forward: None,
            attachments: Vec::new(),
        })
        .await,
        Err(ErrorCode::Forbidden)
    );
    assert_eq!(
        code(carol.open_dm(alice_id).await),
        Some(ErrorCode::UserNotFound)
    );

    // A fresh device syncs tombstones only.
    let (_, caught_up) = Device::connect(&bob, "bob-new").await;
    let synced = serde_json::to_string(&caught_up).expect("json");
    assert!(
        !caught_up.is_empty() && !synced.contains(SECRET),
        "{synced}"
    );

    // Her profile is a deleted account; searching finds nobody.
    let profile = bob.user(alice_id).await.expect("profile");
    assert!(profile.deleted && profile.username.is_empty() && profile.display_name.is_empty());
    assert!(bob.search_users("ali").await.expect("search").is_empty());

    // Bob's export holds no trace of her text.
    bob.start_export().await.expect("export");
    eventually(Duration::from_secs(60), "bob's export ready", || {
        let c = bob.clone();
        async move {
            c.export_status()
                .await
                .is_ok_and(|s| s.state == ExportState::Ready)
        }
    })
    .await;
    let url = bob
        .export_status()
        .await
        .expect("status")
        .url
        .expect("link");
    let archive = e0
        .fetch_link(&url)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    let archive = String::from_utf8_lossy(&archive);
    assert!(archive.contains("hello alice") && !archive.contains(SECRET));

    // The username is held until the cooling-off ends, then free.
    assert_eq!(
        code(e0.signup("alice", "password-new1", "Alice II").await),
        Some(ErrorCode::UsernameTaken)
    );
    sys.kill_worker();
    sys.start_worker_with(&["--username-hold-secs", "0"]);
    sys.wait_ready().await;
    let again = e0
        .signup("alice", "password-new1", "Alice II")
        .await
        .expect("the name is free after the hold");
    assert_ne!(again.user.id, alice_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_deletes_an_account_on_request_with_an_audit_entry() {
    let sys = System::start_secured(BIN, 1).await;
    let url = sys.nats_url_as("admin");
    let c = sys.client(0);
    let (dave, _) = user(&c, "dave").await;
    let (erin, erin_id) = user(&c, "erin").await;
    let dm = dave.open_dm(erin_id).await.expect("dm");
    let (mut e, _) = Device::connect(&erin, "erin-1").await;
    e.send(dm.id, "e1", &format!("{SECRET} from erin")).await;

    let admin = |args: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(["admin", "--nats-url", &url, "--operator", "olga"])
            .args(args)
            .output()
            .expect("run natter admin");
        assert!(
            out.status.success(),
            "natter admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = admin(&["erase", "erin", "--reason", "user's written request"]);
    assert!(said.contains("deleted"), "{said}");
    eventually(Duration::from_secs(5), "erin's token refused", || {
        let erin = erin.clone();
        async move { code(erin.me().await) == Some(ErrorCode::TokenRevoked) }
    })
    .await;
    eventually(Duration::from_secs(30), "erin's message erased", || {
        let dave = dave.clone();
        async move { !history_text(&dave, dm.id).await.1.contains(SECRET) }
    })
    .await;
    // Asking again answers the same and erases nothing more.
    let again = admin(&["erase", "erin", "--reason", "asked twice"]);
    assert!(again.contains("deleted"), "{again}");
    assert!(
        !history_text(&dave, dm.id).await.1.contains(SECRET),
        "still erased"
    );
    let audit = admin(&["--json", "audit"]);
    assert!(
        audit.contains("erase_account") && audit.contains(&format!("user:{erin_id}")),
        "{audit}"
    );
    // An edge's NATS user cannot delete anyone's account.
    let out = std::process::Command::new(BIN)
        .args([
            "admin",
            "--nats-url",
            &sys.nats_url_as("edge"),
            "erase",
            "dave",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    dave.me().await.expect("still untouched");
    drop(e);
}
