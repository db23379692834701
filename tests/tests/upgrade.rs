//! Upgrading a deployment of an earlier version in place: what its edges left in the
//! work-queue stream `MSGS` (and its durable consumers) is moved into the partition
//! log on first start and applied once, in order; batches the earlier store worker
//! had already stored are not stored again.

use std::time::Duration;

use natter_nats::{layout, subjects};
use natter_protocol::internal::{self, SendBatch, StreamSend};
use natter_store::{EmbeddedStore, Store, WriteBatch, keys, value};
use natter_tests::{Device, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_versions_work_queue_is_moved_into_the_log_on_first_start() {
    let mut sys = System::start(BIN, 1).await;
    let (alice, alice_id) = user(&sys.client(0), "alice").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let dm = alice.open_dm(bob_id).await.expect("dm").id;
    let mut a = Device::new(alice.connect(None).await.expect("connect"));
    a.send(dm, "new-1", "through the log").await;
    sys.kill_worker();

    // What an earlier version leaves: its work queue with a durable consumer per
    // partition, three batches of one partition, the first already stored.
    let nats = natter_nats::connect(&sys.nats.url(), "test")
        .await
        .expect("nats");
    let js = async_nats::jetstream::new(nats);
    let partitions = layout::read(&js).await.expect("layout").partitions;
    let p = layout::partition_of(dm, partitions);
    let stream = js
        .create_stream(async_nats::jetstream::stream::Config {
            name: layout::LEGACY_MESSAGE_STREAM.into(),
            subjects: vec![subjects::LEGACY_MESSAGES_ALL.into()],
            retention: async_nats::jetstream::stream::RetentionPolicy::WorkQueue,
            metadata: [(
                layout::PARTITIONS_METADATA_KEY.to_string(),
                partitions.to_string(),
            )]
            .into(),
            ..Default::default()
        })
        .await
        .expect("legacy stream");
    stream
        .create_consumer(layout::legacy_drain_consumer_config(p))
        .await
        .expect("legacy consumer");
    let send = |cmid: &str, id: u64| StreamSend {
        message_id: id,
        channel_id: dm,
        sender_id: alice_id,
        client_msg_id: cmid.into(),
        text: format!("left by an earlier edge: {cmid}"),
        sent_at_ms: natter_protocol::now_ms(),
        reply_to: None,
        forwarded: false,
        mentions: Vec::new(),
        attachments: Vec::new(),
    };
    let legacy = format!("msg.{p}.{dm}");
    for batch in [
        vec![send("old-0", 1)],
        vec![send("old-1", 2), send("old-2", 3)],
        vec![send("old-3", 4)],
    ] {
        js.publish(
            legacy.clone(),
            internal::encode(&SendBatch { sends: batch }).into(),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
    }
    {
        // The earlier worker had stored the first batch (stream sequence 1).
        let store = EmbeddedStore::open(sys.dir().join("store")).expect("store");
        store
            .write(WriteBatch::new().put(keys::partition_applied(p), value::encode(&1u64)))
            .await
            .expect("applied");
    }

    sys.start_worker();
    sys.wait_ready().await;
    let mut b = Device::new(bob.connect(None).await.expect("connect"));
    let got = b.messages(4).await;
    assert_eq!(
        got.iter()
            .map(|m| (m.seq, m.client_msg_id.as_str()))
            .collect::<Vec<_>>(),
        [(1, "new-1"), (2, "old-1"), (3, "old-2"), (4, "old-3")],
        "moved batches applied once, in order, after what the log held"
    );
    let history = bob.full_history(dm).await.expect("history");
    assert_eq!(history.len(), 4, "old-0 was stored by the earlier version");

    // The work queue is left empty, without its consumer.
    let mut stream = js
        .get_stream(layout::LEGACY_MESSAGE_STREAM)
        .await
        .expect("legacy stream");
    eventually(Duration::from_secs(10), "the work queue is empty", || {
        let mut stream = stream.clone();
        async move { stream.info().await.map(|i| i.state.messages).ok() == Some(0) }
    })
    .await;
    assert_eq!(stream.info().await.expect("info").state.consumer_count, 0);
    // A second start finds nothing more to move.
    sys.kill_worker();
    sys.start_worker();
    sys.wait_ready().await;
    a.send(dm, "new-2", "after the upgrade").await;
    let next = b.messages(1).await;
    assert_eq!((next[0].seq, next[0].client_msg_id.as_str()), (5, "new-2"));
}
