//! Data export: a user's archive holds their profile, every channel and every
//! message they can see, as the API shows them; progress is visible from any edge;
//! the link is theirs alone and expires.

use std::time::Duration;

use natter_client::ClientError;
use natter_protocol::ErrorCode;
use natter_protocol::http::ExportState;
use natter_tests::{Device, System, eventually, user};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_what_the_user_can_see_behind_a_link_of_their_own() {
    let sys = System::start(BIN, 2).await;
    let (e0, e1) = (sys.client(0), sys.client(1));
    let (alice, _) = user(&e0, "alice").await;
    let (bob, bob_id) = user(&e0, "bob").await;
    let (_, carol_id) = user(&e0, "carol").await;
    let dm = alice.open_dm(bob_id).await.expect("dm");
    let g = alice
        .create_group("trip", &[bob_id, carol_id])
        .await
        .expect("group");
    let (mut a, _) = Device::connect(&alice, "alice-1").await;
    for i in 0..250 {
        a.send(dm.id, &format!("d{i}"), &format!("dm message {i}"))
            .await;
    }
    a.send(g.id, "g1", "see you at the station").await;
    // A channel Alice is not in: none of it may be in her archive.
    let other = bob
        .create_group("secret", &[carol_id])
        .await
        .expect("group");
    let (mut b, _) = Device::connect(&bob, "bob-1").await;
    b.send(other.id, "s1", "not for alice").await;

    let started = alice.start_export().await.expect("start");
    assert_eq!(started.state, ExportState::Running);
    let again = alice.start_export().await.expect("again");
    assert_eq!(again.id, started.id, "one at a time");
    // Progress and the result are seen from the other edge.
    let on_e1 = alice.with_base(e1.base_url());
    eventually(Duration::from_secs(60), "the export ready", || {
        let c = on_e1.clone();
        async move {
            c.export_status()
                .await
                .is_ok_and(|s| s.state == ExportState::Ready)
        }
    })
    .await;
    let ready = on_e1.export_status().await.expect("status");
    assert_eq!((ready.channels_done, ready.channels_total), (2, 2));
    let url = ready.url.expect("a link");
    let resp = e0.fetch_link(&url).await.expect("download");
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap_or(""),
        format!("attachment; filename=\"natter-export-{}.json\"", ready.id)
    );
    let archive: Value = serde_json::from_slice(&resp.bytes().await.expect("bytes")).expect("JSON");
    assert_eq!(archive["schema"], "natter.export.v1");
    assert_eq!(archive["profile"]["username"], "alice");
    let channels = archive["channels"].as_array().expect("channels");
    assert_eq!(channels.len(), 2);
    let texts = |id: u64| -> Vec<String> {
        channels
            .iter()
            .find(|c| c["channel"]["id"].as_str().and_then(|s| s.parse().ok()) == Some(id))
            .map(|c| {
                c["messages"]
                    .as_array()
                    .expect("messages")
                    .iter()
                    .map(|m| m["text"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let dm_texts = texts(dm.id);
    assert_eq!(dm_texts.len(), 250, "every page of history");
    assert_eq!(dm_texts[249], "dm message 249");
    assert!(texts(g.id).contains(&"see you at the station".to_string()));
    assert!(!archive.to_string().contains("not for alice"));

    // The link is Alice's archive only, and only as signed.
    let bad = url.replace(
        &format!("/{}/", alice.me().await.expect("me").id),
        &format!("/{bob_id}/"),
    );
    let refused = |r: Result<reqwest::Response, ClientError>| async move {
        match r {
            Ok(resp) => resp.status().as_u16(),
            Err(ClientError::Api(e)) => {
                assert_eq!(e.code, ErrorCode::LinkExpired);
                403
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(refused(e0.fetch_link(&bad).await).await, 403);
    let tampered = format!("{}0", url);
    assert_eq!(refused(e0.fetch_link(&tampered).await).await, 403);
    match bob.export_status().await {
        Err(ClientError::Api(e)) => assert_eq!(e.code, ErrorCode::NotFound),
        other => panic!("bob has no export: {other:?}"),
    }
}
