//! Sessions end for real: logout, logout everywhere, ending another device's
//! session, a password change and an operator's suspension each stop the tokens
//! they concern on every edge within seconds (the revocation list the edges follow),
//! close those tokens' open sockets, and leave every other session working.

use std::time::Duration;

use natter_client::{Client, ClientError, Connection, Incoming};
use natter_protocol::ErrorCode;
use natter_protocol::ws::ServerEvent;
use natter_tests::{System, api_code as code, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// How long an edge may take to honour a revocation made on another.
const EVERY_EDGE_WITHIN: Duration = Duration::from_secs(5);

/// Logs `name` in again (a new session) through `c`, as `agent`.
async fn login(c: &Client, name: &str, password: &str) -> Client {
    let auth = c.login(name, password).await.expect("login");
    c.with_token(&auth.token)
}

/// Waits until `conn` is closed for `token_revoked` (after telling why).
async fn closed_for_revocation(conn: &mut Connection) {
    let mut told = false;
    loop {
        match conn.next(Duration::from_secs(10)).await {
            Ok(Incoming::Event(ServerEvent::Error { code, .. })) => {
                told |= code == ErrorCode::TokenRevoked;
            }
            Ok(Incoming::Closed { code, reason }) => {
                assert_eq!((code, reason.as_str()), (1008, "token_revoked"));
                assert!(told, "the socket said why before closing");
                return;
            }
            Ok(_) => {}
            Err(e) => panic!("the socket was not closed for its revoked token: {e}"),
        }
    }
}

/// Waits until `c`'s token is refused as revoked (on its edge).
async fn refused(c: &Client, what: &str) {
    eventually(EVERY_EDGE_WITHIN, what, || {
        let c = c.clone();
        async move { code(c.me().await) == Some(ErrorCode::TokenRevoked) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_and_ended_sessions_stop_their_tokens_on_every_edge() {
    let mut sys = System::start(BIN, 2).await;
    let (e0, e1) = (sys.client(0), sys.client(1));
    let (phone, _) = user(&e0, "alice").await;
    let laptop = login(&e0, "alice", "password-alice").await;
    let tablet = login(&e1, "alice", "password-alice").await;
    let (mallory, _) = user(&e0, "mallory").await;

    // The list: every session, newest first, the asking one marked.
    let listed = laptop.sessions().await.expect("sessions");
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed.iter().filter(|s| s.current).count(), 1);
    assert!(listed.windows(2).all(|w| w[0].id > w[1].id));
    let laptop_session = listed.iter().find(|s| s.current).expect("current").id;
    assert!(
        listed.iter().all(|s| s.agent.starts_with("natter-client/")),
        "{listed:?}"
    );

    // The laptop's socket is open on the other edge when the laptop logs out.
    let on_e1 = laptop.with_base(e1.base_url());
    let mut socket = on_e1.connect(Some("laptop")).await.expect("socket");
    laptop.logout().await.expect("logout");
    assert_eq!(code(laptop.me().await), Some(ErrorCode::TokenRevoked));
    refused(&on_e1, "the other edge refuses the logged-out token").await;
    closed_for_revocation(&mut socket).await;
    match on_e1.connect(Some("laptop")).await {
        Err(ClientError::Api(e)) => assert_eq!(e.code, ErrorCode::TokenRevoked),
        Err(other) => panic!("expected token_revoked, got {other}"),
        Ok(_) => panic!("a revoked token opened a socket"),
    }
    // The others still work, and the ended session is not listed.
    phone.me().await.expect("the phone still works");
    tablet.me().await.expect("the tablet still works");
    let left = phone.sessions().await.expect("sessions");
    assert!(left.iter().all(|s| s.id != laptop_session), "{left:?}");

    // Ending another device's session: only one's own.
    let tablet_session = tablet
        .sessions()
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.current)
        .expect("current")
        .id;
    assert_eq!(
        code(mallory.end_session(tablet_session).await),
        Some(ErrorCode::NotFound)
    );
    tablet.me().await.expect("a stranger cannot end it");
    phone.end_session(tablet_session).await.expect("end");
    refused(&tablet, "the tablet's session ended from the phone").await;
    phone.me().await.expect("the phone still works");

    // An edge started afterwards knows what ended before it.
    let late = sys.start_edge();
    sys.wait_ready().await;
    let on_late = |c: &Client| c.with_base(sys.client(late).base_url());
    assert_eq!(
        code(on_late(&laptop).me().await),
        Some(ErrorCode::TokenRevoked)
    );
    on_late(&phone)
        .me()
        .await
        .expect("the phone works there too");

    // Log out everywhere: every token of the user, on every edge; logging in again
    // works.
    let other = login(&e1, "alice", "password-alice").await;
    phone.logout_everywhere().await.expect("everywhere");
    refused(&phone, "the phone").await;
    refused(&other, "the session on the other edge").await;
    refused(&on_late(&other), "the same on the late edge").await;
    assert!(phone.sessions().await.is_err());
    let again = login(&e0, "alice", "password-alice").await;
    again.me().await.expect("a new login works");
    assert_eq!(again.sessions().await.expect("sessions").len(), 1);
    mallory.me().await.expect("another user is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_every_other_session() {
    let sys = System::start(BIN, 2).await;
    let (e0, e1) = (sys.client(0), sys.client(1));
    let (phone, _) = user(&e0, "bob").await;
    let laptop = login(&e1, "bob", "password-bob").await;
    let mut socket = laptop.connect(Some("laptop")).await.expect("socket");

    // The current password is required (a stolen token is not enough).
    assert_eq!(
        code(phone.change_password("guess", "a-new-password").await),
        Some(ErrorCode::InvalidCredentials)
    );
    assert_eq!(
        code(phone.change_password("password-bob", "short").await),
        Some(ErrorCode::InvalidPassword)
    );
    laptop.me().await.expect("nothing changed yet");

    let auth = phone
        .change_password("password-bob", "a-new-password")
        .await
        .expect("changed");
    let renewed = e0.with_token(&auth.token);
    renewed.me().await.expect("the new token works");
    refused(&phone, "the old token of the changing device").await;
    refused(&laptop, "the other device's token, on the other edge").await;
    closed_for_revocation(&mut socket).await;
    assert_eq!(
        code(e0.login("bob", "password-bob").await),
        Some(ErrorCode::InvalidCredentials)
    );
    login(&e1, "bob", "a-new-password")
        .await
        .me()
        .await
        .expect("new password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_suspends_and_unsuspends_an_account_with_an_audit_trail() {
    let sys = System::start_secured(BIN, 2).await;
    let url = sys.nats_url_as("admin");
    let (e0, e1) = (sys.client(0), sys.client(1));
    let (carol, _) = user(&e0, "carol").await;
    let (dave, _) = user(&e0, "dave").await;
    let on_e1 = carol.with_base(e1.base_url());
    let mut socket = on_e1.connect(Some("phone")).await.expect("socket");

    let admin = |args: &[&str]| {
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(["admin", "--nats-url", &url, "--operator", "olga"])
            .args(args);
        let out = cmd.output().expect("run natter admin");
        assert!(
            out.status.success(),
            "natter admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = admin(&["suspend", "carol", "--reason", "spam reports"]);
    assert!(said.contains("suspended"), "{said}");
    refused(&carol, "the suspended user's token").await;
    refused(&on_e1, "on the other edge too").await;
    closed_for_revocation(&mut socket).await;
    assert_eq!(
        code(e1.login("carol", "password-carol").await),
        Some(ErrorCode::AccountSuspended)
    );
    // A wrong password says nothing about the suspension.
    assert_eq!(
        code(e1.login("carol", "wrong-password").await),
        Some(ErrorCode::InvalidCredentials)
    );
    dave.me().await.expect("others are untouched");

    admin(&["unsuspend", "carol", "--reason", "appeal accepted"]);
    let back = login(&e0, "carol", "password-carol").await;
    back.me().await.expect("logs in again");
    assert_eq!(
        code(carol.me().await),
        Some(ErrorCode::TokenRevoked),
        "tokens from before the suspension stay ended"
    );

    // Both actions are in the audit log, newest first, with who, what and why.
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["admin", "--nats-url", &url, "--json", "audit"]);
    let out = cmd.output().expect("run natter admin");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = log.as_array().expect("rows");
    let seen: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default(),
                r["operator"].as_str().unwrap_or_default(),
                r["detail"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("unsuspend", "olga", "appeal accepted"),
            ("suspend", "olga", "spam reports")
        ]
    );
    // An edge's NATS user cannot suspend anyone.
    let mut cmd = std::process::Command::new(BIN);
    cmd.args([
        "admin",
        "--nats-url",
        &sys.nats_url_as("edge"),
        "suspend",
        "dave",
    ]);
    assert!(!cmd.output().expect("run").status.success());
    dave.me().await.expect("still untouched");
}
