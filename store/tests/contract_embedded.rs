//! Runs the shared store contract against the embedded fjall backend.

use std::sync::Arc;

use natter_store::failpoint::LoseUnsyncedTail;
use natter_store::kv::{Durability, Store, WriteBatch};
use natter_store::{EmbeddedStore, SharedStore, contract, keys, value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_passes_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path()).expect("open");
    contract::run_all(&store).await;
    // Running twice on the same store proves the checks don't collide.
    contract::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_put_if_absent_race_with_spawned_tasks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: SharedStore = Arc::new(EmbeddedStore::open(dir.path()).expect("open"));
    contract::put_if_absent_race_spawned(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synced_data_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        store
            .write(
                WriteBatch::new()
                    .put(keys::user(1), value::encode(&"ann"))
                    .put(keys::message(9, 1), b"hello".to_vec())
                    .durability(Durability::Sync),
            )
            .await
            .expect("write");
        let swapped = store
            .compare_and_set(&keys::channel_head(9), None, Some(value::encode(&1u64)))
            .await
            .expect("cas");
        assert_eq!(swapped, natter_store::CasOutcome::Swapped);
    }
    let store = EmbeddedStore::open(dir.path()).expect("reopen");
    let name: String = value::decode(
        &store
            .get(&keys::user(1))
            .await
            .expect("get")
            .expect("present"),
    )
    .expect("decode");
    assert_eq!(name, "ann");
    assert_eq!(
        store.get(&keys::message(9, 1)).await.expect("get"),
        Some(b"hello".to_vec())
    );
    let head: u64 = value::decode(
        &store
            .get(&keys::channel_head(9))
            .await
            .expect("get")
            .expect("present"),
    )
    .expect("decode");
    assert_eq!(head, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failpoint_wrapper_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner: SharedStore = Arc::new(EmbeddedStore::open(dir.path()).expect("open"));
    let store = LoseUnsyncedTail::new(inner);
    contract::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failpoint_wrapper_loses_exactly_the_unsynced_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let inner: SharedStore = Arc::new(EmbeddedStore::open(dir.path()).expect("open"));
        let store = LoseUnsyncedTail::new(inner);
        let buffered = |k: u64| {
            WriteBatch::new()
                .put(keys::message(9, k), vec![k as u8])
                .durability(Durability::Buffered)
        };
        store.write(buffered(1)).await.expect("write");
        store.write(buffered(2)).await.expect("write");
        store.sync().await.expect("checkpoint");
        store.write(buffered(3)).await.expect("write");
        assert_eq!(
            store.get(&keys::message(9, 3)).await.expect("get"),
            Some(vec![3]),
            "visible before the checkpoint"
        );
        // Dropped without a sync: the process "dies" here.
    }
    let store = EmbeddedStore::open(dir.path()).expect("reopen");
    let kept = store
        .scan(natter_store::ScanRange::prefix(keys::messages_of(9)), 10)
        .await
        .expect("scan");
    assert_eq!(
        kept.iter().map(|(_, v)| v[0]).collect::<Vec<_>>(),
        vec![1, 2],
        "the synced prefix survives, the unsynced tail is gone"
    );
}

#[tokio::test]
async fn second_open_of_same_dir_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = EmbeddedStore::open(dir.path()).expect("open");
    // fjall locks the directory; a second open must be an error, not a panic.
    let err = EmbeddedStore::open(dir.path())
        .err()
        .expect("directory is locked");
    assert!(
        matches!(err, natter_store::StoreError::Backend { .. }),
        "{err}"
    );
}
