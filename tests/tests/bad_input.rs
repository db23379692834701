//! Bad input gets a typed error and changes nothing; the processes never fall over.

use std::time::Duration;

use natter_client::{Client, Connection, Incoming};
use natter_protocol::ErrorCode;
use natter_protocol::http::HistoryQuery;
use natter_protocol::ws::ServerEvent;
use natter_tests::{HEADER_TIMEOUT_SECS, System, TEST_KEY_ID, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");
const WAIT: Duration = Duration::from_secs(20);

async fn error_code(conn: &mut Connection) -> (ErrorCode, Option<String>) {
    loop {
        match conn.next(WAIT).await.expect("event") {
            Incoming::Event(ServerEvent::Error {
                code,
                client_msg_id,
                ..
            }) => return (code, client_msg_id),
            Incoming::Event(_) => {}
            other => panic!("expected an error frame, got {other:?}"),
        }
    }
}

fn token(user_id: u64, exp: u64, kid: &str, secret: &[u8]) -> String {
    #[derive(serde::Serialize)]
    struct Claims {
        sub: String,
        exp: u64,
        iat: u64,
    }
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.into());
    let claims = Claims {
        sub: user_id.to_string(),
        exp,
        iat: exp.saturating_sub(3600),
    };
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_typed_errors_and_store_nothing() {
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let (carol, _) = user(&sys.client(0), "carol").await;
    let channel = alice.open_dm(bob_id).await.unwrap().id;
    let mut a = alice.connect(None).await.unwrap();

    let cases: Vec<(String, ErrorCode)> = vec![
        ("not json".into(), ErrorCode::InvalidFrame),
        ("[1,2,3]".into(), ErrorCode::InvalidFrame),
        (r#"{"op":"dance"}"#.into(), ErrorCode::UnknownOp),
        (r#"{"text":"no op"}"#.into(), ErrorCode::InvalidFrame),
        (
            format!(r#"{{"op":"send","channel":"{channel}","text":"no id"}}"#),
            ErrorCode::InvalidFrame,
        ),
        (
            format!(r#"{{"op":"send","channel":"{channel}","client_msg_id":"c"}}"#),
            ErrorCode::InvalidFrame,
        ),
        (
            r#"{"op":"send","channel":"abc","client_msg_id":"c","text":"x"}"#.into(),
            ErrorCode::InvalidFrame,
        ),
        (
            format!(r#"{{"op":"ack","channel":"{channel}"}}"#),
            ErrorCode::InvalidFrame,
        ),
        (
            format!(r#"{{"op":"ack","channel":"{channel}","seq":-1}}"#),
            ErrorCode::InvalidFrame,
        ),
        (r#"{"op":"read","seq":1}"#.into(), ErrorCode::InvalidFrame),
        (
            r#"{"op":"typing","channel":null}"#.into(),
            ErrorCode::InvalidFrame,
        ),
    ];
    for (frame, expected) in cases {
        a.raw_text(frame.clone()).await.unwrap();
        assert_eq!(error_code(&mut a).await.0, expected, "frame {frame:?}");
    }
    a.raw_binary(vec![0xc1, 0xff]).await.unwrap();
    assert_eq!(error_code(&mut a).await.0, ErrorCode::InvalidFrame);

    let sends: Vec<(&str, String, ErrorCode)> = vec![
        ("empty", String::new(), ErrorCode::MessageEmpty),
        ("too-long", "a".repeat(100_000), ErrorCode::MessageTooLong),
        (
            "too-long-emoji",
            "😀".repeat(100_000),
            ErrorCode::MessageTooLong,
        ),
        ("bad id!", "x".into(), ErrorCode::InvalidClientMsgId),
    ];
    for (cmid, text, expected) in sends {
        a.send(channel, cmid, &text).await.unwrap();
        assert_eq!(
            error_code(&mut a).await,
            (expected, Some(cmid.to_string())),
            "send {cmid}"
        );
    }
    // A stranger's channel, and a channel that does not exist.
    let mut c = carol.connect(None).await.unwrap();
    c.send(channel, "intruder", "hi").await.unwrap();
    assert_eq!(error_code(&mut c).await.0, ErrorCode::NotAMember);
    c.send(12345, "nowhere", "hi").await.unwrap();
    assert_eq!(error_code(&mut c).await.0, ErrorCode::NotAMember);
    c.read(channel, 1).await.unwrap();
    assert_eq!(error_code(&mut c).await.0, ErrorCode::NotAMember);
    c.typing(channel).await.unwrap();
    assert_eq!(error_code(&mut c).await.0, ErrorCode::NotAMember);
    // Acks for a stranger's channel are ignored: no error, nothing stored.
    c.ack(channel, 5).await.unwrap();
    assert_eq!(
        carol
            .history(channel, &HistoryQuery::default())
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::NotAMember)
    );

    // Nothing was stored; the connection still works and the limit itself is accepted.
    let page = bob
        .history(channel, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!((page.head_seq, page.messages.len()), (0, 0));
    let longest = "😀".repeat(99_999);
    a.send(channel, "longest", &longest).await.unwrap();
    loop {
        match a.next_event(WAIT).await.unwrap() {
            ServerEvent::Message(m) => {
                assert_eq!((m.seq, m.text.chars().count()), (1, 99_999));
                break;
            }
            ServerEvent::Error { code, .. } => panic!("99,999 characters refused: {code}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_and_bad_http_bodies_are_refused() {
    let sys = System::start(BIN, 1).await;
    let anon = sys.client(0);
    let (alice, alice_id) = user(&anon, "alice").await;
    let secret = natter_tests::test_key_secret();

    let forged = anon.with_token(&token(
        alice_id,
        now_secs() + 600,
        TEST_KEY_ID,
        b"not-the-secret-not-the-secret-00",
    ));
    let expired = anon.with_token(&token(alice_id, now_secs() - 600, TEST_KEY_ID, &secret));
    let unknown_kid = anon.with_token(&token(alice_id, now_secs() + 600, "retired", &secret));
    let garbage = anon.with_token("garbage");
    for (client, code) in [
        (&forged, ErrorCode::TokenInvalid),
        (&expired, ErrorCode::TokenExpired),
        (&unknown_kid, ErrorCode::TokenInvalid),
        (&garbage, ErrorCode::TokenInvalid),
        (&anon, ErrorCode::TokenInvalid),
    ] {
        assert_eq!(client.me().await.unwrap_err().code(), Some(code));
        assert_eq!(
            client.connect(None).await.err().and_then(|e| e.code()),
            Some(code)
        );
    }
    // A token signed right works.
    let good = anon.with_token(&token(alice_id, now_secs() + 600, TEST_KEY_ID, &secret));
    assert_eq!(good.me().await.unwrap().id, alice_id);
    assert_eq!(alice.me().await.unwrap().username, "alice");

    // Malformed bodies and parameters.
    let r: Result<serde_json::Value, _> = anon.post_raw("/v1/signup", b"{not json".to_vec()).await;
    assert_eq!(r.unwrap_err().code(), Some(ErrorCode::BadRequest));
    let r: Result<serde_json::Value, _> = anon
        .post_raw("/v1/signup", br#"{"username":"x"}"#.to_vec())
        .await;
    assert_eq!(r.unwrap_err().code(), Some(ErrorCode::BadRequest));
    assert_eq!(
        alice.user(u64::MAX).await.unwrap_err().code(),
        Some(ErrorCode::UserNotFound)
    );
    assert_eq!(
        alice.open_dm(alice_id).await.unwrap_err().code(),
        Some(ErrorCode::CannotDmSelf)
    );
    assert_eq!(
        alice.open_dm(777).await.unwrap_err().code(),
        Some(ErrorCode::UserNotFound)
    );
    let r = alice.connect(Some("bad device id!")).await;
    assert_eq!(
        r.err().and_then(|e| e.code()),
        Some(ErrorCode::InvalidDeviceId)
    );
    let unknown: Result<serde_json::Value, _> = anon.post_raw("/v1/nope", b"{}".to_vec()).await;
    assert_eq!(unknown.unwrap_err().code(), Some(ErrorCode::NotFound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_sign_up_log_in_and_edit_profiles() {
    let sys = System::start(BIN, 1).await;
    let anon: Client = sys.client(0);
    let auth = anon.signup("Alice_1", "password-1", "Alice").await.unwrap();
    assert_eq!(auth.user.username, "alice_1");
    // Usernames are unique case-insensitively.
    assert_eq!(
        anon.signup("ALICE_1", "password-2", "Other")
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::UsernameTaken)
    );
    assert_eq!(
        anon.signup("a!", "password-2", "X")
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::InvalidUsername)
    );
    assert_eq!(
        anon.signup("shorty", "short", "X")
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::InvalidPassword)
    );
    assert_eq!(
        anon.signup("longname", "password-2", &"n".repeat(65))
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::InvalidProfile)
    );

    // Unknown user and wrong password: the same error.
    let wrong = anon.login("alice_1", "password-x").await.unwrap_err();
    let unknown = anon.login("nobody", "password-x").await.unwrap_err();
    assert_eq!(wrong.code(), Some(ErrorCode::InvalidCredentials));
    assert_eq!(unknown.code(), wrong.code());
    let again = anon.login("ALICE_1", "password-1").await.unwrap();
    assert_eq!(again.user.id, auth.user.id);

    let alice = anon.with_token(&again.token);
    let update = natter_protocol::http::UpdateProfileRequest {
        display_name: Some("Alice A.".into()),
        status_text: Some("busy".into()),
        ..Default::default()
    };
    let p = alice.update_me(&update).await.unwrap();
    assert_eq!(
        (p.display_name.as_str(), p.status_text.as_str()),
        ("Alice A.", "busy")
    );
    let (bob, _) = user(&anon, "bob").await;
    assert_eq!(bob.user(auth.user.id).await.unwrap().status_text, "busy");
    let found = bob.search_users("ALI").await.unwrap();
    assert_eq!(
        found
            .iter()
            .map(|p| p.username.as_str())
            .collect::<Vec<_>>(),
        vec!["alice_1"]
    );

    // Both sides opening the 1:1 channel at once get one channel.
    let (x, y) = tokio::join!(
        alice.open_dm(bob.me().await.unwrap().id),
        bob.open_dm(auth.user.id)
    );
    assert_eq!(x.unwrap().id, y.unwrap().id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_closed_and_a_reading_one_stays() {
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    // No heartbeats at all: the edge closes it after its idle timeout.
    let silent = alice.with_heartbeat(Duration::from_secs(3600));
    let mut s = silent.connect(Some("silent")).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        match s
            .next(Duration::from_secs(natter_tests::IDLE_SECS * 3))
            .await
            .unwrap()
        {
            Incoming::Closed { code, reason } => {
                assert_eq!((code, reason.as_str()), (1001, "idle_timeout"));
                break;
            }
            Incoming::Event(_) => {}
            other => panic!("expected a close, got {other:?}"),
        }
    }
    assert!(started.elapsed() >= Duration::from_secs(natter_tests::IDLE_SECS - 1));
    // A heartbeating socket outlives the same span.
    let mut live = alice.connect(Some("live")).await.unwrap();
    assert!(matches!(
        live.next(WAIT).await,
        Ok(Incoming::Event(ServerEvent::Synced { .. }))
    ));
    // Nothing arrives for twice the idle timeout, and in particular no close.
    assert!(matches!(
        live.next(Duration::from_secs(natter_tests::IDLE_SECS * 2))
            .await,
        Err(natter_client::ClientError::Timeout)
    ));
    live.op(&natter_protocol::ws::ClientOp::Ping {})
        .await
        .unwrap();
    loop {
        match live.next(WAIT).await.unwrap() {
            Incoming::Event(ServerEvent::Pong {}) => break,
            Incoming::Event(_) => {}
            other => panic!("the heartbeating socket ended: {other:?}"),
        }
    }
}

/// Reads until the peer closes; `None` if it is still open after `patience`.
async fn closed_within(stream: &mut tokio::net::TcpStream, patience: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(
            tokio::time::Instant::from_std(started + patience),
            stream.read(&mut buf),
        )
        .await
        {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            // A 408 before the close is fine too.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_and_silent_connections_are_dropped_while_others_are_served() {
    use tokio::io::AsyncWriteExt;
    let sys = System::start(BIN, 1).await;
    let addr = sys.edges[0].url.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: natter\r\nX-Slow: 1")
        .await
        .expect("partial headers");
    let mut silent = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    // Others are served meanwhile.
    let (anon, _) = user(&sys.client(0), "notslowed").await;
    anon.me().await.expect("served while two connections stall");
    let limit = Duration::from_secs(HEADER_TIMEOUT_SECS + 5);
    let slow_closed = closed_within(&mut slow, limit).await;
    let silent_closed = closed_within(&mut silent, limit).await;
    assert!(slow_closed.is_some(), "a half-sent request is dropped");
    // A body trickled a byte at a time is cut off too (headers were on time).
    let mut trickle = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    trickle
        .write_all(
            b"POST /v1/login HTTP/1.1\r\nHost: natter\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .expect("headers and a byte");
    let trickle_closed = closed_within(&mut trickle, limit).await;
    assert!(
        trickle_closed.is_some(),
        "a body not sent in time is dropped"
    );
    assert!(
        silent_closed.is_some(),
        "a connection that sends nothing is dropped"
    );
}

/// The whole HTTP/1.1 response to `GET path`, lowercased (the connection closes
/// after it; empty when the edge closed it unanswered).
async fn http_get(addr: &str, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: natter\r\nConnection: close\r\n\r\n");
    natter_tests::raw::http(addr, None, &request)
        .await
        .to_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_is_served_under_a_strict_csp_and_unknown_paths_are_typed_404s() {
    let sys = System::start(BIN, 1).await;
    let addr = sys.edges[0].url.trim_start_matches("http://").to_string();
    let page = http_get(&addr, "/").await;
    assert!(page.starts_with("http/1.1 200"), "{page}");
    assert!(page.contains("content-type: text/html"));
    assert!(page.contains(
        "content-security-policy: default-src 'self'; script-src 'self'; style-src 'self';"
    ));
    assert!(page.contains("x-content-type-options: nosniff"));
    // Metrics are for operators (`--metrics-listen`), not on the public listener.
    for path in ["/nope.js", "/v1/nope", "/v1/push/webpush-key", "/metrics"] {
        let r = http_get(&addr, path).await;
        assert!(r.starts_with("http/1.1 404"), "{path}: {r}");
        assert!(r.contains("\"code\":\"not_found\""), "{path}: {r}");
        assert!(!r.contains("natter_edge"), "{path}: {r}");
    }
}

/// The body of an HTTP/1.1 response as [`http_get`] returns it.
fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_edge_serves_its_openapi_document_and_refuses_plain_socket_gets_with_json() {
    let sys = System::start(BIN, 2).await;
    sys.wait_ready().await;
    for edge in &sys.edges {
        let addr = edge.url.trim_start_matches("http://").to_string();
        let r = http_get(&addr, "/v1/openapi.json").await;
        assert!(r.starts_with("http/1.1 200"), "{r}");
        assert!(r.contains("content-type: application/json"), "{r}");
        let doc: serde_json::Value = serde_json::from_str(body(&r)).expect("JSON document");
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1"))
        );
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(doc["paths"]["/v1/openapi.json"].is_object());
        // The protocol version, without a token.
        let r = http_get(&addr, "/v1/version").await;
        assert!(r.starts_with("http/1.1 200"), "{r}");
        let v: serde_json::Value = serde_json::from_str(body(&r)).expect("JSON");
        assert_eq!(v["protocol"], natter_protocol::PROTOCOL_VERSION);
    }

    // A GET of the socket that is no upgrade: a typed JSON error, as documented.
    let addr = sys.edges[0].url.trim_start_matches("http://").to_string();
    let r = http_get(&addr, "/v1/ws").await;
    assert!(r.starts_with("http/1.1 401"), "{r}");
    assert!(r.contains("\"code\":\"token_invalid\""), "{r}");
    let (alice, _) = user(&sys.client(0), "alice").await;
    let token = alice.token().expect("token");
    // `http_get` lowercases the response, not the request: the token goes as is.
    let r = http_get(&addr, &format!("/v1/ws?token={token}")).await;
    assert!(r.starts_with("http/1.1 400"), "{r}");
    assert!(r.contains("content-type: application/json"), "{r}");
    assert!(r.contains("\"code\":\"bad_request\""), "{r}");
}

/// Every declared RPC has a handler: a request that does not decode gets
/// `bad_request` from the service that answers it (an undeclared subject gets
/// `not_found`, so a declaration without a handler shows here), and nothing falls
/// over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_declared_rpc_is_answered_and_a_garbage_request_is_bad_request() {
    use natter_nats::rpc;
    use natter_protocol::internal::{RpcReply, decode_reply};

    let sys = System::start(BIN, 1).await;
    let nats = async_nats::connect(sys.nats.url()).await.expect("nats");
    let garbage = || b"\xc1 not msgpack".to_vec().into();
    let ask = |subject: String| {
        let nats = nats.clone();
        async move {
            // Presence shards and partition owners may still be starting: ask until
            // someone answers, within a deadline.
            let deadline = tokio::time::Instant::now() + WAIT;
            loop {
                match tokio::time::timeout(
                    Duration::from_secs(2),
                    nats.request(subject.clone(), garbage()),
                )
                .await
                {
                    Ok(Ok(msg)) => {
                        let reply: RpcReply<()> = decode_reply(&msg.payload);
                        return reply.expect_err("garbage is refused").code;
                    }
                    _ if tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    other => panic!("{subject}: no answer ({other:?})"),
                }
            }
        }
    };
    for subject in rpc::STORE_WORKER_SUBJECTS {
        assert_eq!(
            ask(subject.to_string()).await,
            ErrorCode::BadRequest,
            "{subject}"
        );
    }
    assert_eq!(
        ask(rpc::PRESENCE_QUERY.subject_of(0)).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        ask(rpc::CURSOR_MOVES.subject_of(0)).await,
        ErrorCode::BadRequest
    );
    assert_eq!(ask("rpc.no.such".into()).await, ErrorCode::NotFound);
    // Still answering real requests.
    let (alice, _) = user(&sys.client(0), "alice").await;
    assert!(alice.channels(None, None).await.is_ok());
}

/// The store worker's resident memory, in KiB: `VmRSS` now or `VmHWM` (the peak).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("memory field")
}

/// A flood of logins (no account needed) cannot take the store worker's memory:
/// password hashes (~19 MiB each) run a bounded number at a time, and the rest wait
/// briefly and are told `unavailable`. Before the bound, 260 parallel logins took
/// 4 GB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_logins_is_bounded_in_memory_and_told_to_retry() {
    const FLOOD: usize = 40;
    let mut sys = System::start(BIN, 1).await;
    sys.kill_worker();
    sys.start_worker_with(&["--password-hashes", "1", "--password-hash-wait-ms", "100"]);
    sys.wait_ready().await;
    let pid = sys.worker.as_ref().expect("worker").pid();
    let before = memory_kib(pid, "VmRSS");
    let anon = sys.client(0);
    let tries = (0..FLOOD).map(|i| {
        let anon = anon.clone();
        async move { anon.login(&format!("nobody{i}"), "wrong-password").await }
    });
    let mut busy = 0;
    for r in futures::future::join_all(tries).await {
        match r {
            Err(natter_client::ClientError::Api(e)) if e.code == ErrorCode::Unavailable => {
                busy += 1
            }
            Err(natter_client::ClientError::Api(e)) => {
                assert_eq!(e.code, ErrorCode::InvalidCredentials, "{e}");
            }
            other => panic!("a login answered {other:?}"),
        }
    }
    assert!(busy > 0, "every one of {FLOOD} parallel logins was hashed");
    // One hash at a time: its memory and the process's own, far below 40 × 19 MiB.
    let grew_mib = memory_kib(pid, "VmHWM").saturating_sub(before) / 1024;
    assert!(grew_mib < 150, "the store worker grew by {grew_mib} MiB");
    // And it still serves: a sign-up after the flood.
    let (alice, _) = user(&anon, "alice").await;
    assert!(alice.channels(None, None).await.is_ok());
}

/// The status line of a WebSocket upgrade to `addr` with `token`, sent with
/// `origin` (none: no `Origin` header, as an app would).
async fn upgrade_status(addr: &str, token: &str, origin: Option<&str>) -> String {
    match natter_tests::raw::RawSocket::open(addr, token, origin).await {
        Ok(_) => "HTTP/1.1 101 Switching Protocols".into(),
        Err(status) => status,
    }
}

/// A page from a foreign origin cannot open a socket with a user's token (a site
/// that got hold of one, or a browser extension's page); the edge's own web app,
/// allowed origins and apps without an `Origin` can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_from_foreign_web_origins_are_refused() {
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let token = alice.token().expect("token").to_string();
    let addr = sys.edges[0].url.trim_start_matches("http://").to_string();
    for (origin, expected) in [
        (None, "101"),
        (Some(format!("http://{addr}")), "101"),
        (Some("https://evil.example".to_string()), "403"),
        (Some(format!("http://{addr}.evil.example")), "403"),
        (Some("null".to_string()), "403"),
    ] {
        let status = upgrade_status(&addr, &token, origin.as_deref()).await;
        assert!(
            status.starts_with("HTTP/1.1 ") && status[9..].starts_with(expected),
            "origin {origin:?}: {status}"
        );
    }
}

/// One account cannot hold an edge with sockets: past `--max-sockets-per-user`
/// (20 by default) a new socket is refused with `rate_limited` until one closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_per_user_are_bounded_on_an_edge() {
    const MAX: usize = 20;
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let mut open = Vec::new();
    for i in 0..MAX {
        open.push(
            alice
                .connect(Some(&format!("d{i}")))
                .await
                .unwrap_or_else(|e| panic!("socket {i}: {e}")),
        );
    }
    match alice.connect(Some("one-too-many")).await {
        Err(natter_client::ClientError::Api(e)) => assert_eq!(e.code, ErrorCode::RateLimited),
        Ok(_) => panic!("socket {} accepted", MAX + 1),
        Err(e) => panic!("unexpected: {e}"),
    }
    // Another user is not affected; and once one of Alice's closes, she may open one.
    let (bob, _) = user(&sys.client(0), "bob").await;
    bob.connect(None).await.expect("bob's socket");
    open.pop()
        .expect("a socket")
        .close(Duration::from_secs(5))
        .await;
    natter_tests::eventually(WAIT, "a place freed", || {
        let alice = alice.clone();
        async move { alice.connect(Some("again")).await.is_ok() }
    })
    .await;
}

/// One account cannot store device ids without bound: past 100, registering a new
/// device removes the one registered first (so nobody is locked out either).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_per_user_are_bounded_by_removing_the_oldest() {
    use natter_protocol::http::{PushPlatform, PushTarget};
    let sys = System::start(BIN, 1).await;
    let (alice, _) = user(&sys.client(0), "alice").await;
    let hook = PushTarget {
        platform: PushPlatform::Webhook,
        token: "https://hooks.example/alice".into(),
        p256dh: None,
        auth: None,
    };
    for i in 0..=100 {
        alice
            .register_push(&format!("d{i:03}"), hook.clone())
            .await
            .unwrap_or_else(|e| panic!("device {i}: {e}"));
    }
    let ids: Vec<String> = alice
        .devices()
        .await
        .expect("devices")
        .devices
        .into_iter()
        .map(|d| d.device_id)
        .collect();
    assert_eq!(ids.len(), 100, "{ids:?}");
    assert!(!ids.contains(&"d000".to_string()), "the oldest was removed");
    assert!(ids.contains(&"d100".to_string()) && ids.contains(&"d001".to_string()));
}

/// An edge holds at most `--max-connections` connections (sockets included): one
/// more is closed as soon as it is accepted, and once one ends a new one is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_bounded_per_edge() {
    let mut sys = System::start(BIN, 1).await;
    let i = sys.start_edge_with(&["--max-connections", "3"]);
    // Signed up through the first edge: only the sockets count on this one.
    let (signed_up, _) = user(&sys.client(0), "alice").await;
    let alice = sys.client(i).with_token(signed_up.token().expect("token"));
    let mut sockets = Vec::new();
    for d in 0..3 {
        sockets.push(
            alice
                .connect(Some(&format!("d{d}")))
                .await
                .expect("a socket within the bound"),
        );
    }
    let addr = sys.edges[i].url.trim_start_matches("http://").to_string();
    // One more is closed without an answer (a full request gets no response).
    let over = http_get(&addr, "/healthz").await;
    assert!(
        over.is_empty(),
        "a connection over the bound was served: {over}"
    );
    sockets
        .pop()
        .expect("a socket")
        .close(Duration::from_secs(5))
        .await;
    natter_tests::eventually(WAIT, "a connection served again", || {
        let addr = addr.clone();
        async move {
            http_get(&addr, "/healthz")
                .await
                .starts_with("http/1.1 200")
        }
    })
    .await;
}

/// A login from `source` (a loopback address) to `addr`; the HTTP status line.
async fn login_from(source: &str, addr: &str, username: &str, password: &str) -> String {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let request = format!(
        "POST /v1/login HTTP/1.1\r\nHost: natter\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    natter_tests::raw::http(addr, Some(source), &request)
        .await
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Password guessing against one user from one address is slowed (login attempts
/// per username and address), without locking the user out: the same user from
/// another address, and another user from the same one, still log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_is_slowed_per_user_and_address_without_locking_out() {
    let mut sys = System::start(BIN, 1).await;
    let i = sys.start_edge_with(&["--login-rate", "6,10"]);
    user(&sys.client(0), "victim").await;
    user(&sys.client(0), "bystander").await;
    let addr = sys.edges[i].url.trim_start_matches("http://").to_string();
    for n in 0..10 {
        let status = login_from("127.0.0.1", &addr, "victim", "wrong-guess").await;
        assert!(status.contains(" 401"), "guess {n}: {status}");
    }
    let limited = login_from("127.0.0.1", &addr, "Victim", "wrong-guess").await;
    assert!(limited.contains(" 429"), "the 11th guess: {limited}");
    let elsewhere = login_from("127.0.0.2", &addr, "victim", "password-victim").await;
    assert!(
        elsewhere.contains(" 200"),
        "the user from another address: {elsewhere}"
    );
    let other = login_from("127.0.0.1", &addr, "bystander", "password-bystander").await;
    assert!(
        other.contains(" 200"),
        "another user from the same address: {other}"
    );
}
