//! The layout against a real nats-server: idempotent setup, partition count fixed at creation.

use natter_nats::NatsServer;
use natter_nats::layout::{self, LayoutConfig};

#[tokio::test]
async fn ensure_is_idempotent_and_partitions_are_fixed_at_creation() {
    let server = NatsServer::start().expect("start nats-server");
    let client = natter_nats::connect(server.url(), "test").await.unwrap();
    let js = async_nats::jetstream::new(client);

    let first = layout::ensure(
        &js,
        &LayoutConfig {
            partitions: 8,
            replicas: 1,
            presence_shards: 2,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(first.partitions, 8);
    // A second service configured differently gets the stream's count, not its own.
    let second = layout::ensure(
        &js,
        &LayoutConfig {
            partitions: 4,
            replicas: 1,
            presence_shards: 5,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.partitions, 8);
    // The presence shard count is fixed with the stream, and its buckets exist.
    assert_eq!((first.presence_shards, second.presence_shards), (2, 2));
    for k in 0..2 {
        js.get_key_value(layout::presence_bucket(k)).await.unwrap();
        js.get_key_value(layout::last_seen_bucket(k)).await.unwrap();
    }
    js.get_key_value(layout::EDGES_BUCKET).await.unwrap();

    // Concurrent first start-ups agree too.
    let server2 = NatsServer::start().unwrap();
    let js2 =
        async_nats::jetstream::new(natter_nats::connect(server2.url(), "test").await.unwrap());
    let three = LayoutConfig {
        partitions: 3,
        replicas: 1,
        presence_shards: 5,
        ..Default::default()
    };
    let (a, b) = tokio::join!(layout::ensure(&js2, &three), layout::ensure(&js2, &three));
    assert_eq!(a.unwrap().partitions, 3);
    assert_eq!(b.unwrap().partitions, 3);
}

#[tokio::test]
async fn a_log_created_beside_an_earlier_work_queue_keeps_its_partitions() {
    let server = NatsServer::start().expect("start nats-server");
    let js = async_nats::jetstream::new(natter_nats::connect(server.url(), "test").await.unwrap());
    // What an earlier version created: the work queue, with its partition count.
    js.create_stream(async_nats::jetstream::stream::Config {
        name: layout::LEGACY_MESSAGE_STREAM.into(),
        subjects: vec![natter_nats::subjects::LEGACY_MESSAGES_ALL.into()],
        retention: async_nats::jetstream::stream::RetentionPolicy::WorkQueue,
        metadata: [
            (layout::PARTITIONS_METADATA_KEY.to_string(), "5".to_string()),
            (
                layout::PRESENCE_SHARDS_METADATA_KEY.to_string(),
                "3".to_string(),
            ),
        ]
        .into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let l = layout::ensure(&js, &LayoutConfig::default()).await.unwrap();
    assert_eq!((l.partitions, l.presence_shards), (5, 3));
    let mut log = js.get_stream(layout::LOG_STREAM).await.unwrap();
    let config = log.info().await.unwrap().config.clone();
    assert_eq!(
        config.retention,
        async_nats::jetstream::stream::RetentionPolicy::Limits
    );
    assert_eq!(
        config.discard,
        async_nats::jetstream::stream::DiscardPolicy::New,
        "a full log refuses appends, never drops entries"
    );
    assert_eq!(config.max_age, std::time::Duration::ZERO);
    assert_eq!(config.max_messages, -1);
}

#[test]
fn dropping_the_handle_kills_the_server() {
    let server = NatsServer::start().unwrap();
    let pid = server.pid().unwrap() as i32;
    drop(server);
    // SAFETY: signal 0 only checks for existence.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    assert!(!alive, "nats-server {pid} still running after drop");
}

#[test]
fn restart_keeps_port_and_data() {
    let mut server = NatsServer::start().unwrap();
    let port = server.port();
    server.restart().unwrap();
    assert_eq!(server.port(), port);
}

#[tokio::test]
async fn a_three_node_cluster_keeps_replicated_streams_available_when_a_node_dies() {
    let mut cluster = natter_nats::server::NatsCluster::start().expect("cluster");
    let client = natter_nats::connect(&cluster.urls(), "test").await.unwrap();
    let js = async_nats::jetstream::new(client);
    let cfg = LayoutConfig {
        partitions: 2,
        replicas: 3,
        presence_shards: 1,
        ..Default::default()
    };
    // The cluster elects its JetStream meta leader first.
    let layout = layout::ensure_patiently(&js, &cfg, std::time::Duration::from_secs(30))
        .await
        .expect("layout on the cluster");
    assert_eq!(layout.partitions, 2);
    let mut stream = js.get_stream(layout::LOG_STREAM).await.unwrap();
    assert_eq!(stream.info().await.unwrap().config.num_replicas, 3);

    // With one node of three down, publishes are still acked (after a re-election).
    cluster.node(0).kill();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let sent = async {
            js.publish(natter_nats::subjects::channel_log(0, 1), "x".into())
                .await?
                .await
        }
        .await;
        match sent {
            Ok(_) => break,
            Err(e) => {
                assert!(std::time::Instant::now() < deadline, "no ack: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
    cluster.node(0).restart().unwrap();
}
