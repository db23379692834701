//! `migrate::copy_all` moves a whole embedded store into TiKV (the test server)
//! and back, byte for byte.

use natter_store::kv::{Store, WriteBatch};
use natter_store::{EmbeddedStore, keys, migrate, value};
use natter_tikv::{TikvConfig, TikvStore};
use natter_tikv_testserver::{Options, TestCluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_to_tikv_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = EmbeddedStore::open(dir.path().join("a")).expect("open");
    // A store's worth of rows across tables, with values up to 400 KB.
    for chunk in 0..10u64 {
        let mut batch = WriteBatch::new();
        for i in 0..100u64 {
            let seq = chunk * 100 + i + 1;
            batch = batch
                .put(
                    keys::message(7, seq),
                    value::encode(&format!("message {seq}")),
                )
                .put(keys::user(seq), value::encode(&format!("user {seq}")));
        }
        source.write(batch).await.expect("seed");
    }
    let big = vec![0xAB; 400 * 1024];
    source
        .write(WriteBatch::new().put(keys::message(8, 1), big.clone()))
        .await
        .expect("big");

    let server = TestCluster::start(Options {
        split_after_keys: Some(300),
        ..Options::default()
    })
    .await
    .expect("server");
    let mut config = TikvConfig::new(vec![server.pd_endpoint()]);
    config.prefix = b"migrated/".to_vec();
    let tikv = TikvStore::connect(config).await.expect("connect");
    assert!(migrate::is_empty(&tikv).await.expect("empty check"));

    let mut batches = 0;
    let copied = migrate::copy_all(&source, &tikv, |_| batches += 1)
        .await
        .expect("copy to tikv");
    assert_eq!(copied.keys, 2001);
    assert!(batches > 1, "copied in pages");
    assert!(server.region_count() > 3, "the copy crossed regions");
    assert_eq!(migrate::verify(&source, &tikv).await, Ok(copied));
    assert_eq!(
        tikv.get(&keys::message(8, 1)).await.expect("get"),
        Some(big)
    );

    let back = EmbeddedStore::open(dir.path().join("b")).expect("open");
    let returned = migrate::copy_all(&tikv, &back, |_| {})
        .await
        .expect("copy back");
    assert_eq!(returned, copied);
    assert_eq!(migrate::verify(&source, &back).await, Ok(copied));

    // A difference is found and named.
    back.write(WriteBatch::new().delete(keys::user(500)))
        .await
        .expect("delete");
    let err = migrate::verify(&source, &back).await.expect_err("differs");
    assert!(err.contains("differ"), "{err}");
}
