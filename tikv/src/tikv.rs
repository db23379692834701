//! The TiKV backend: a [`Store`] on a TiKV cluster through `tikv-client`.
//!
//! # Why the transactional API, for everything
//! Natter's writes are conditional multi-key batches (a message, its channel
//! head and the partition's fence move together or not at all), and its reads
//! must see those batches whole. TiKV's raw API cannot give that: a raw
//! `batch_put` is atomic only within one region, and raw compare-and-swap covers
//! one key. Raw and transactional writes must also never touch the same keys,
//! so mixing the two per use would split the keyspace in two with no atomicity
//! across it. Every call therefore goes through optimistic transactions:
//! - reads run on a snapshot at a fresh timestamp (`get`, `batch_get`, `scan`);
//! - a write reads its condition keys in the transaction, compares, then locks
//!   them (`Op::Lock` mutations), so a concurrent change to any condition key
//!   is a write conflict at prewrite: the check and the write are one atomic
//!   step across regions, as the [`Store`] contract demands;
//! - single-region batches commit in one phase (`try_one_pc`), the rest in two.
//!
//! # Retries
//! Region errors (not leader, stale epoch) are retried inside `tikv-client`.
//! What it surfaces as transient (server busy, a lock it could not resolve in
//! time, gRPC failures, write conflicts) is retried here with exponential
//! backoff, after rolling the failed attempt back. A commit whose outcome is
//! unknown (a transport error or a lost reply) is neither rolled back nor
//! retried: the caller gets a non-retryable backend error, as the trait documents.
//!
//! # Key prefix
//! Every key is stored under a configurable prefix, so several deployments can
//! share one cluster; scans never leave the prefix.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use tikv_client::transaction::ResolveLocksOptions;
use tikv_client::{
    BoundRange, CheckLevel, Config, Key, KvPair, Snapshot, Timestamp, TimestampExt, Transaction,
    TransactionClient, TransactionOptions,
};

use natter_store::kv::{
    BatchOp, CasOutcome, KeyValue, ScanRange, Store, StoreError, WriteBatch, prefix_end,
};

/// Keys fetched per scan request: bounds one gRPC response (values reach ~400 KB).
const SCAN_CHUNK: usize = 128;

/// Age past which a lock whose transaction cannot be found is rolled back: above
/// tikv-client's 3 s lock TTL for transactions of our size.
const LOCK_GRACE: Duration = Duration::from_secs(4);

/// Bits of a TSO timestamp below the milliseconds.
const LOGICAL_BITS: u32 = 18;

/// How to reach a TiKV cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TikvConfig {
    /// PD endpoints (`host:port`).
    pub pd_endpoints: Vec<String>,
    /// Prefix of every key this deployment writes.
    pub prefix: Vec<u8>,
    /// TLS: CA, client certificate and key (PEM files), all or none.
    pub tls: Option<TikvTls>,
    /// Timeout of each request to PD or TiKV.
    pub timeout: Duration,
    /// How long a call keeps retrying transient errors before returning one.
    pub retry_for: Duration,
    /// How often to run MVCC garbage collection (`None` = never; another
    /// process or tool advances the cluster's GC safe point).
    pub gc_interval: Option<Duration>,
    /// History of overwritten values kept by garbage collection.
    pub gc_keep: Duration,
}

/// PEM files for mutual TLS with PD and TiKV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TikvTls {
    /// CA certificate.
    pub ca: PathBuf,
    /// Client certificate.
    pub cert: PathBuf,
    /// Client private key.
    pub key: PathBuf,
}

impl TikvConfig {
    /// Defaults for `pd_endpoints`: no prefix, no TLS, 2 s timeout, retries for
    /// 10 s, garbage collection every 10 minutes keeping 10 minutes of history.
    pub fn new(pd_endpoints: Vec<String>) -> Self {
        Self {
            pd_endpoints,
            prefix: Vec::new(),
            tls: None,
            timeout: Duration::from_secs(2),
            retry_for: Duration::from_secs(10),
            gc_interval: Some(Duration::from_secs(600)),
            gc_keep: Duration::from_secs(600),
        }
    }

    /// Parses `tikv://pd1:2379,pd2:2379` into a config with defaults.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let rest = url
            .strip_prefix("tikv://")
            .ok_or_else(|| invalid(format!("not a tikv:// URL: {url}")))?;
        let endpoints: Vec<String> = rest
            .trim_end_matches('/')
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if endpoints.is_empty() {
            return Err(invalid(format!("no PD endpoint in {url}")));
        }
        Ok(Self::new(endpoints))
    }
}

fn invalid(message: String) -> StoreError {
    StoreError::Backend {
        message,
        retryable: false,
    }
}

/// The TiKV-backed [`Store`].
pub struct TikvStore {
    client: TransactionClient,
    prefix: Vec<u8>,
    backoff: ExponentialBuilder,
    /// The garbage collection task, stopped with the store.
    gc: Option<tokio::task::AbortHandle>,
}

impl Drop for TikvStore {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            gc.abort();
        }
    }
}

/// A TSO timestamp `ago` before now.
fn timestamp_ago(ago: Duration) -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(ago)
        .as_millis() as u64;
    Timestamp::from_version(ms << LOGICAL_BITS)
}

/// Whether `e` names a transaction that neither holds its primary lock nor
/// committed: a lock orphaned by a writer that died (or failed) mid-prewrite.
/// tikv-client 0.4 never rolls such locks back on its own (its resolver only
/// handles `TxnNotFound` when it arrives unwrapped), so the store does.
fn orphaned(e: &tikv_client::Error) -> bool {
    use tikv_client::Error as E;
    match e {
        E::TxnNotFound(_) => true,
        E::KeyError(k) => k.txn_not_found.is_some(),
        E::ExtractedErrors(errors) | E::MultipleKeyErrors(errors) => errors.iter().any(orphaned),
        E::ResolveLockError(_) => true,
        _ => false,
    }
}

/// How a failed attempt ends.
enum Attempt {
    /// Nothing was written; the same call may succeed if made again.
    Retry(tikv_client::Error),
    /// Final: return this to the caller.
    Fail(StoreError),
}

impl From<tikv_client::Error> for Attempt {
    fn from(e: tikv_client::Error) -> Self {
        if transient(&e) {
            Attempt::Retry(e)
        } else {
            Attempt::Fail(backend(&e, false))
        }
    }
}

/// Whether `e` left nothing behind that a fresh attempt would trip on.
fn transient(e: &tikv_client::Error) -> bool {
    use tikv_client::Error as E;
    match e {
        E::KeyError(k) => {
            k.conflict.is_some()
                || k.locked.is_some()
                || k.txn_not_found.is_some()
                || k.commit_ts_expired.is_some()
                || !k.retryable.is_empty()
                // A lock resolver rolled this transaction back (its TTL lapsed).
                || !k.abort.is_empty()
        }
        E::ExtractedErrors(errors) | E::MultipleKeyErrors(errors) => {
            !errors.is_empty() && errors.iter().all(transient)
        }
        E::UndeterminedError(_) => false,
        E::RegionError(_)
        | E::ResolveLockError(_)
        | E::Grpc(_)
        | E::GrpcAPI(_)
        | E::Io(_)
        | E::Channel(_)
        | E::Canceled(_)
        | E::LeaderNotFound { .. }
        | E::RegionForKeyNotFound { .. }
        | E::RegionForRangeNotFound { .. }
        | E::RegionNotFoundInResponse { .. }
        | E::EntryNotFoundInRegionCache
        | E::NoCurrentRegions
        | E::TxnNotFound(_)
        | E::OnePcFailure
        | E::InternalError { .. }
        | E::StringError(_) => true,
        _ => false,
    }
}

/// Whether a failed commit may nevertheless have been applied.
fn outcome_unknown(e: &tikv_client::Error) -> bool {
    use tikv_client::Error as E;
    match e {
        E::UndeterminedError(_) | E::Grpc(_) | E::GrpcAPI(_) => true,
        E::ExtractedErrors(errors) | E::MultipleKeyErrors(errors) => {
            errors.iter().any(outcome_unknown)
        }
        _ => false,
    }
}

fn backend(e: &tikv_client::Error, retryable: bool) -> StoreError {
    StoreError::Backend {
        message: format!("tikv: {e}"),
        retryable,
    }
}

impl TikvStore {
    /// Connects to the cluster's PD endpoints.
    pub async fn connect(config: TikvConfig) -> Result<Self, StoreError> {
        let mut client_config = Config::default()
            .with_timeout(config.timeout)
            // History pages carry up to SCAN_CHUNK values of up to ~400 KB.
            .with_grpc_max_decoding_message_size(64 << 20);
        if let Some(tls) = &config.tls {
            client_config = client_config.with_security(&tls.ca, &tls.cert, &tls.key);
        }
        let client = TransactionClient::new_with_config(config.pd_endpoints.clone(), client_config)
            .await
            .map_err(|e| backend(&e, true))?;
        tracing::info!(pd = ?config.pd_endpoints, "connected to TiKV");
        let gc = config.gc_interval.map(|every| {
            let client = client.clone();
            let keep = config.gc_keep;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    // Resolves locks older than the safe point, then advances PD's
                    // GC safe point so TiKV drops versions nobody can read.
                    match client.gc(timestamp_ago(keep)).await {
                        Ok(_) => tracing::debug!("TiKV garbage collection done"),
                        Err(e) => tracing::warn!(error = %e, "TiKV garbage collection failed"),
                    }
                }
            })
            .abort_handle()
        });
        Ok(Self {
            client,
            prefix: config.prefix,
            backoff: ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(5))
                .with_max_delay(Duration::from_millis(500))
                .with_max_times(usize::MAX)
                .with_total_delay(Some(config.retry_for))
                .with_jitter(),
            gc,
        })
    }

    /// Rolls back locks in this deployment's keys that are older than
    /// [`LOCK_GRACE`] and whose transaction never committed.
    async fn clean_orphaned_locks(&self) {
        let start = self.prefix.clone();
        let range: BoundRange = match prefix_end(&self.prefix) {
            Some(end) => (Key::from(start)..Key::from(end)).into(),
            None => (Key::from(start)..).into(),
        };
        let safepoint = timestamp_ago(LOCK_GRACE);
        match self
            .client
            .cleanup_locks(range, &safepoint, ResolveLocksOptions::default())
            .await
        {
            Ok(_) => tracing::debug!("orphaned TiKV locks cleaned"),
            Err(e) => tracing::debug!(error = %e, "cleaning orphaned TiKV locks failed"),
        }
    }

    fn key(&self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + key.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(key);
        k
    }

    fn unkey(&self, key: Key) -> Vec<u8> {
        let mut k: Vec<u8> = key.into();
        k.drain(..self.prefix.len());
        k
    }

    async fn snapshot(&self) -> Result<Snapshot, tikv_client::Error> {
        let ts = self.client.current_timestamp().await?;
        Ok(self.client.snapshot(
            ts,
            TransactionOptions::new_optimistic()
                .read_only()
                .drop_check(CheckLevel::None),
        ))
    }

    async fn begin(&self) -> Result<Transaction, tikv_client::Error> {
        self.client
            .begin_with_options(
                TransactionOptions::new_optimistic()
                    .try_one_pc()
                    // Failed attempts are rolled back explicitly; never panic on drop.
                    .drop_check(CheckLevel::None),
            )
            .await
    }

    /// Runs `attempt` until it succeeds, fails for good, or attempts run out.
    async fn retry<T, F, Fut>(&self, what: &'static str, attempt: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Attempt>>,
    {
        let mut attempt = attempt;
        let attempt = || {
            let once = attempt();
            async move {
                match once.await {
                    Err(Attempt::Retry(e)) if orphaned(&e) => {
                        self.clean_orphaned_locks().await;
                        Err(Attempt::Retry(e))
                    }
                    other => other,
                }
            }
        };
        let result = attempt
            .retry(self.backoff)
            .sleep(tokio::time::sleep)
            .when(|e| matches!(e, Attempt::Retry(_)))
            .notify(|e, delay| {
                if let Attempt::Retry(e) = e {
                    tracing::debug!(call = what, error = %e, ?delay, "retrying TiKV call");
                }
            })
            .await;
        match result {
            Ok(v) => Ok(v),
            Err(Attempt::Fail(e)) => Err(e),
            Err(Attempt::Retry(e)) => Err(backend(&e, true)),
        }
    }

    /// Current values of `keys` (prefixed) read inside `txn`.
    async fn read_in(
        txn: &mut Transaction,
        keys: Vec<Vec<u8>>,
    ) -> Result<HashMap<Vec<u8>, Vec<u8>>, tikv_client::Error> {
        Ok(txn
            .batch_get(keys)
            .await?
            .map(|KvPair(k, v)| (Vec::from(k), v))
            .collect())
    }

    /// Commits `txn`; a failed attempt is rolled back so its retry (or anyone
    /// else) finds none of its locks.
    ///
    /// `commit` returns an error only before the primary key committed (the
    /// secondaries commit after it returns), so a rollback cannot undo a committed
    /// batch, except when the outcome is unknown: a transport error or a gRPC
    /// status on the way (a lost commit reply; tikv-client itself flags only
    /// transport errors as undetermined). That case is never rolled back or
    /// retried and is reported as non-retryable. Left in place, a failed
    /// prewrite's locks on other Regions name a primary that was never written:
    /// every later writer of those keys would trip on them (`TxnNotFound`) until
    /// the orphan cleanup, and each of its own failed attempts would leave more.
    async fn commit(mut txn: Transaction) -> Result<(), Attempt> {
        let e = match txn.commit().await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if outcome_unknown(&e) {
            return Err(Attempt::Fail(StoreError::Backend {
                message: format!("tikv: commit outcome unknown: {e}"),
                retryable: false,
            }));
        }
        // Rollback is idempotent; a few tries keep locks from lingering.
        for _ in 0..3 {
            match txn.rollback().await {
                Ok(()) => break,
                Err(rollback) => {
                    tracing::debug!(error = %rollback, "rollback after a failed commit")
                }
            }
        }
        Err(e.into())
    }

    async fn write_once(&self, batch: &WriteBatch) -> Result<(), Attempt> {
        let mut txn = self.begin().await?;
        if !batch.conditions().is_empty() {
            let keys: Vec<Vec<u8>> = batch
                .conditions()
                .iter()
                .map(|c| self.key(&c.key))
                .collect();
            let current = Self::read_in(&mut txn, keys.clone()).await?;
            for (c, k) in batch.conditions().iter().zip(&keys) {
                if current.get(k).map(Vec::as_slice) != c.expected.as_deref() {
                    return Err(Attempt::Fail(StoreError::ConditionFailed {
                        key: c.key.clone(),
                    }));
                }
            }
            if batch.is_empty() {
                // Nothing to write: the snapshot read above is the whole check.
                return Ok(());
            }
            // Locked condition keys turn a concurrent change into a write conflict.
            txn.lock_keys(keys).await?;
        }
        if batch.is_empty() {
            return Ok(());
        }
        for op in batch.ops() {
            match op {
                BatchOp::Put { key, value } => txn.put(self.key(key), value.clone()).await?,
                BatchOp::Delete { key } => txn.delete(self.key(key)).await?,
            }
        }
        Self::commit(txn).await
    }

    async fn cas_once(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: &Option<Vec<u8>>,
    ) -> Result<CasOutcome, Attempt> {
        let k = self.key(key);
        let mut txn = self.begin().await?;
        let current = txn.get(k.clone()).await?;
        if current.as_deref() != expected {
            return Ok(CasOutcome::Mismatch { current });
        }
        if current.is_none() && new.is_none() {
            return Ok(CasOutcome::Swapped);
        }
        // The write itself conflicts with any concurrent writer of the key.
        match new {
            Some(v) => txn.put(k, v.clone()).await?,
            None => txn.delete(k).await?,
        }
        Self::commit(txn).await?;
        Ok(CasOutcome::Swapped)
    }

    async fn scan_once(&self, range: &ScanRange, limit: usize) -> Result<Vec<KeyValue>, Attempt> {
        let start = self.key(&range.start);
        let end = match &range.end {
            Some(end) => self.key(end),
            // Unbounded stays inside the prefix; an empty prefix means the whole keyspace.
            None => prefix_end(&self.prefix).unwrap_or_default(),
        };
        let bound: BoundRange = if end.is_empty() {
            (Key::from(start)..).into()
        } else {
            (Key::from(start)..Key::from(end)).into()
        };
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let mut snapshot = self.snapshot().await?;
        let pairs: Vec<KvPair> = if range.reverse {
            snapshot.scan_reverse(bound, limit).await?.collect()
        } else {
            snapshot.scan(bound, limit).await?.collect()
        };
        Ok(pairs
            .into_iter()
            .map(|KvPair(k, v)| (self.unkey(k), v))
            .collect())
    }
}

#[async_trait::async_trait]
impl Store for TikvStore {
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let k = self.key(key);
        self.retry("get", || {
            let k = k.clone();
            async move { Ok(self.snapshot().await?.get(k).await?) }
        })
        .await
    }

    async fn batch_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted: Vec<Vec<u8>> = keys.iter().map(|k| self.key(k)).collect();
        wanted.sort();
        wanted.dedup();
        let found = self
            .retry("batch_get", || {
                let wanted = wanted.clone();
                async move {
                    let pairs = self.snapshot().await?.batch_get(wanted).await?;
                    Ok(pairs
                        .map(|KvPair(k, v)| (Vec::from(k), v))
                        .collect::<HashMap<_, _>>())
                }
            })
            .await?;
        Ok(keys
            .iter()
            .map(|k| found.get(&self.key(k)).cloned())
            .collect())
    }

    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() && batch.conditions().is_empty() {
            return Ok(());
        }
        self.retry("write", || self.write_once(&batch)).await
    }

    async fn scan(&self, range: ScanRange, limit: usize) -> Result<Vec<KeyValue>, StoreError> {
        if limit == 0 || range.is_empty() {
            return Ok(Vec::new());
        }
        // Page in chunks so no single response grows past what gRPC accepts.
        let mut out = Vec::new();
        let mut rest = range;
        while out.len() < limit {
            let want = (limit - out.len()).min(SCAN_CHUNK);
            let page = self.retry("scan", || self.scan_once(&rest, want)).await?;
            let done = page.len() < want;
            if let Some((last, _)) = page.last() {
                rest = rest.resume_after(last);
            }
            out.extend(page);
            if done || rest.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    async fn compare_and_set(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<CasOutcome, StoreError> {
        self.retry("compare_and_set", || self.cas_once(key, expected, &new))
            .await
    }

    /// Every TiKV commit is replicated and durable when it returns: nothing to do.
    async fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Network calls never block a thread: the same handle.
    fn inline(self: std::sync::Arc<Self>) -> natter_store::SharedStore {
        self
    }
}
