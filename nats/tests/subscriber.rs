//! The receive-only subscriber connection against a real nats-server: messages with
//! and without headers reach their subscription, an ended subscription gets
//! nothing more, and after the server restarts the subscriptions are made again.

use std::time::Duration;

use natter_nats::NatsServer;
use natter_nats::subscriber::{Delivery, Subscriptions};
use tokio::sync::mpsc;

async fn next(rx: &mut mpsc::Receiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a delivery in time")
        .expect("connection open")
}

#[tokio::test]
async fn subscriptions_deliver_end_and_survive_a_server_restart() {
    let mut server = NatsServer::start().expect("nats-server");
    let (subs, mut rx) = Subscriptions::connect(server.url(), "test", Duration::from_secs(10))
        .await
        .expect("connect");
    let publisher = natter_nats::connect(server.url(), "publisher")
        .await
        .unwrap();

    let alice = subs.subscribe("user.1.>");
    let bob = subs.subscribe("user.2.>");
    subs.flush(Duration::from_secs(5)).await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Natter-Event", "messages");
    publisher
        .publish_with_headers("user.1.e", headers, "[1]".into())
        .await
        .unwrap();
    publisher
        .publish("user.3.e", "nobody's".into())
        .await
        .unwrap();
    publisher
        .publish("user.2.t", "typing".into())
        .await
        .unwrap();
    publisher.flush().await.unwrap();
    let d = next(&mut rx).await;
    assert_eq!(
        (d.sid, d.subject.as_str(), &d.payload[..]),
        (alice, "user.1.e", &b"[1]"[..])
    );
    let h = d.headers.expect("headers");
    assert_eq!(h.get("Natter-Event").map(|v| v.as_str()), Some("messages"));
    let d = next(&mut rx).await;
    assert_eq!((d.sid, &d.payload[..]), (bob, &b"typing"[..]));
    assert!(d.headers.is_none());

    // Ended: nothing more for alice; bob's next message comes next.
    subs.unsubscribe(alice);
    subs.flush(Duration::from_secs(5)).await.unwrap();
    publisher.publish("user.1.e", "late".into()).await.unwrap();
    publisher
        .publish("user.2.e", "marker".into())
        .await
        .unwrap();
    publisher.flush().await.unwrap();
    let d = next(&mut rx).await;
    assert_eq!((d.sid, &d.payload[..]), (bob, &b"marker"[..]));

    // The server restarts: the connection comes back and subscribes bob again.
    server.restart().expect("restart");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no resubscription after the restart"
        );
        if subs.flush(Duration::from_secs(2)).await.is_ok() {
            // Connected again and subscribed (SUBs go before the flush's PING).
            break;
        }
    }
    publisher.publish("user.2.e", "again".into()).await.unwrap();
    publisher.flush().await.unwrap();
    let d = next(&mut rx).await;
    assert_eq!((d.sid, &d.payload[..]), (bob, &b"again"[..]));
}
