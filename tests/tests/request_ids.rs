//! Every HTTP answer carries an `X-Request-Id` (the id its log lines carry): the
//! caller's when it is a sane token, a fresh one otherwise, never a forged one.

use natter_tests::System;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_get_ids_and_sane_caller_ids_are_kept() {
    let sys = System::start(BIN, 1).await;
    let url = format!("{}/v1/users/1", sys.edges[0].url);
    let http = reqwest::Client::new();
    let id_of = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };

    // Even a refused request (no token) is answered with its id.
    let kept = http
        .get(&url)
        .header("x-request-id", "trace-42.a_b")
        .send()
        .await
        .expect("request");
    assert_eq!(kept.status().as_u16(), 401);
    assert_eq!(id_of(&kept).as_deref(), Some("trace-42.a_b"));

    let fresh_a = http.get(&url).send().await.expect("request");
    let fresh_b = http.get(&url).send().await.expect("request");
    let (a, b) = (id_of(&fresh_a).expect("id"), id_of(&fresh_b).expect("id"));
    assert_eq!(a.len(), 16, "{a}");
    assert_ne!(a, b, "fresh ids differ");

    // A caller's id that could forge a log line is replaced.
    let forged = http
        .get(&url)
        .header("x-request-id", "x\",\"level\":\"ERROR")
        .send()
        .await
        .expect("request");
    let id = id_of(&forged).expect("id");
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
}
