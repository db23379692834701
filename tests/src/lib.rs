//! End-to-end test harness: a real nats-server, store worker and edges as child
//! processes of the test, driven by the Rust client.
//!
//! [`System::start`] starts nats-server (temp folder, free port), one store worker on
//! an embedded store in the same temp folder, and the requested number of edges,
//! and returns once they answer. Every process is killed when the `System` drops —
//! also when the test panics — and when the test process dies (Linux).
//!
//! # Layout
//! - [`System`]: the running system; kill and restart pieces of it.
//! - [`eventually`]: wait for a condition with a deadline (never a bare sleep).
//! - [`chaos`]: traffic that survives faults, and its end-of-run accounting.

pub mod chaos;
pub mod raw;
pub mod s3;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use natter_client::Client;
use natter_nats::NatsServer;
use natter_nats::server::NatsCluster;

/// The system's NATS: one server, or a 3-node cluster.
pub enum Nats {
    /// One server (replicas 1).
    Single(NatsServer),
    /// Three nodes (replicas 3).
    Cluster(NatsCluster),
}

impl Nats {
    /// What clients connect with (comma-separated for a cluster).
    pub fn url(&self) -> String {
        match self {
            Nats::Single(s) => s.url().to_string(),
            Nats::Cluster(c) => c.urls(),
        }
    }

    fn replicas(&self) -> &'static str {
        match self {
            Nats::Single(_) => "1",
            Nats::Cluster(_) => "3",
        }
    }

    /// SIGKILLs every node and starts them again on the same data and ports.
    pub fn restart(&mut self) {
        match self {
            Nats::Single(s) => s.restart().expect("nats restart"),
            Nats::Cluster(c) => {
                for i in 0..3 {
                    c.node(i).kill();
                }
                for i in 0..3 {
                    c.node(i).restart().expect("node restart");
                }
            }
        }
    }

    /// Freezes (`resume: false`, SIGSTOP) or resumes (SIGCONT) every node: its
    /// connections stay open while it answers nothing.
    pub fn freeze(&mut self, resume: bool) {
        let pids: Vec<u32> = match self {
            Nats::Single(s) => s.pid().into_iter().collect(),
            Nats::Cluster(c) => (0..3).filter_map(|i| c.node(i).pid()).collect(),
        };
        let signal = if resume { libc::SIGCONT } else { libc::SIGSTOP };
        for pid in pids {
            // SAFETY: kill(2) on our own child's pid has no memory effects.
            unsafe {
                libc::kill(pid as libc::pid_t, signal);
            }
        }
    }

    /// SIGKILLs every node.
    pub fn kill(&mut self) {
        match self {
            Nats::Single(s) => s.kill(),
            Nats::Cluster(c) => {
                for i in 0..3 {
                    c.node(i).kill();
                }
            }
        }
    }
}

/// Token key id and secret (hex) every edge of a test system shares.
pub const TEST_KEY_ID: &str = "test-1";
/// The secret of [`TEST_KEY_ID`], 32 bytes as hex.
pub const TEST_KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Partitions of the log in every system the harness starts.
pub const PARTITIONS: u32 = 4;

/// The bytes of [`TEST_KEY_HEX`].
pub fn test_key_secret() -> Vec<u8> {
    (0..TEST_KEY_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&TEST_KEY_HEX[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Presence TTL of test systems, in seconds.
pub const PRESENCE_TTL_SECS: u64 = 3;
/// Idle timeout of test edges' sockets, in seconds (test clients beat every second).
pub const IDLE_SECS: u64 = 4;
/// Test edges drop a connection whose request headers (or body) take longer than
/// this, in seconds.
pub const HEADER_TIMEOUT_SECS: u64 = 2;
/// Partition lease TTL of test systems, in seconds.
pub const LEASE_TTL_SECS: u64 = 3;
/// Heartbeat period of test clients.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A child process killed on drop.
pub struct Proc {
    child: Child,
    /// Base URL: the API for edges, `/metrics`, `/healthz` and `/readyz` for the others.
    pub url: String,
    /// Its log file (store workers).
    log: Option<PathBuf>,
}

impl Proc {
    /// Kills the process with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (a graceful stop: an edge drains).
    pub fn terminate(&self) {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
    }

    /// Freezes the process with SIGSTOP (it keeps its sockets, and its leases lapse).
    pub fn pause(&self) {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGSTOP);
        }
    }

    /// Resumes a paused process with SIGCONT.
    pub fn resume(&self) {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGCONT);
        }
    }

    /// What the process has logged so far (store workers; empty otherwise).
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    /// The sum of a counter or gauge (all label sets) from the process's
    /// `/metrics` (processes started with a metrics port), 0 when not yet recorded.
    pub async fn metric(&self, name: &str) -> f64 {
        let Ok(r) = reqwest::get(format!("{}/metrics", self.url)).await else {
            return 0.0;
        };
        let text = r.text().await.unwrap_or_default();
        text.lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A running Natter system for one test.
pub struct System {
    bin: PathBuf,
    /// The NATS server or cluster.
    pub nats: Nats,
    dir: tempfile::TempDir,
    /// The store worker (None while killed).
    pub worker: Option<Proc>,
    /// Further store workers (TiKV systems only: the embedded store has one owner).
    pub more_workers: Vec<Proc>,
    /// The TiKV test server the store workers share (TiKV systems only).
    pub tikv: Option<natter_tikv_testserver::TestCluster>,
    /// The presence watcher.
    pub presence: Option<Proc>,
    /// The push worker.
    pub push: Option<Proc>,
    /// The media worker.
    pub media: Option<Proc>,
    /// NATS users and passwords (secured systems only).
    credentials: Vec<(&'static str, String)>,
    /// The edges, in start order.
    pub edges: Vec<Proc>,
    log_seq: u32,
}

impl System {
    /// Starts nats-server, a store worker and `edges` edges using binary `bin`
    /// (`env!("CARGO_BIN_EXE_natter-under-test")`).
    pub async fn start(bin: &str, edges: usize) -> Self {
        Self::start_on(bin, edges, false).await
    }

    /// Like [`Self::start`], on a 3-node NATS cluster with replicas 3.
    pub async fn start_cluster(bin: &str, edges: usize) -> Self {
        Self::start_on(bin, edges, true).await
    }

    /// Like [`Self::start`], on a NATS server with the shipped per-service users and
    /// permissions (`nats/config/auth.conf`); each service connects as its user.
    pub async fn start_secured(bin: &str, edges: usize) -> Self {
        Self::start_on_with(bin, edges, false, true).await
    }

    /// The NATS URL with `user`'s credentials (secured systems).
    pub fn nats_url_as(&self, user: &str) -> String {
        match self.credentials.iter().find(|(u, _)| *u == user) {
            Some((u, pw)) => self
                .nats
                .url()
                .replace("nats://", &format!("nats://{u}:{pw}@")),
            None => self.nats.url(),
        }
    }

    /// Like [`Self::start`], with the store workers on TiKV: the in-process test
    /// server (several stores and regions, with `faults` injected).
    pub async fn start_on_tikv(
        bin: &str,
        edges: usize,
        faults: natter_tikv_testserver::Faults,
    ) -> Self {
        let tikv = natter_tikv_testserver::TestCluster::start(natter_tikv_testserver::Options {
            faults,
            split_after_keys: Some(200),
            ..Default::default()
        })
        .await
        .expect("start the TiKV test server");
        Self::start_full(bin, edges, false, false, Some(tikv)).await
    }

    async fn start_on(bin: &str, edges: usize, cluster: bool) -> Self {
        Self::start_on_with(bin, edges, cluster, false).await
    }

    async fn start_on_with(bin: &str, edges: usize, cluster: bool, secured: bool) -> Self {
        Self::start_full(bin, edges, cluster, secured, None).await
    }

    async fn start_full(
        bin: &str,
        edges: usize,
        cluster: bool,
        secured: bool,
        tikv: Option<natter_tikv_testserver::TestCluster>,
    ) -> Self {
        // NATTER_KEEP_TEST_DIR=1 keeps the folder (logs, data) for a post-mortem.
        let dir = tempfile::Builder::new()
            .prefix("natter-e2e-")
            .disable_cleanup(std::env::var_os("NATTER_KEEP_TEST_DIR").is_some())
            .tempdir()
            .expect("temp dir");
        std::fs::write(
            dir.path().join("token-keys"),
            format!("{TEST_KEY_ID} {TEST_KEY_HEX}\n"),
        )
        .expect("keys");
        let credentials: Vec<(&'static str, String)> = if secured {
            natter_nats::server::AUTH_USERS
                .iter()
                .map(|u| (*u, format!("{:032x}", rand::random::<u128>())))
                .collect()
        } else {
            Vec::new()
        };
        let nats = if cluster {
            Nats::Cluster(NatsCluster::start_in(&dir.path().join("nats")).expect("nats cluster"))
        } else if secured {
            Nats::Single(
                NatsServer::start_secured_in(&dir.path().join("nats"), &credentials)
                    .expect("nats-server"),
            )
        } else {
            Nats::Single(NatsServer::start_in(&dir.path().join("nats"), None).expect("nats-server"))
        };
        let mut sys = Self {
            bin: bin.into(),
            nats,
            dir,
            worker: None,
            more_workers: Vec::new(),
            tikv,
            presence: None,
            push: None,
            media: None,
            credentials,
            edges: Vec::new(),
            log_seq: 0,
        };
        sys.start_worker();
        sys.start_presence();
        sys.start_push_worker(None);
        sys.start_media_worker();
        for _ in 0..edges {
            sys.start_edge();
        }
        sys.wait_ready().await;
        sys
    }

    /// The temp folder holding all data and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A command for `role` that also serves `/metrics`, `/healthz` and `/readyz` on
    /// a free port; the second value is that base URL (for [`Proc::url`]).
    fn command_with_metrics(&mut self, role: &str) -> (Command, String) {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], listener_port()));
        let mut cmd = self.command(role);
        cmd.env("NATTER_METRICS_LISTEN", addr.to_string());
        (cmd, format!("http://{addr}"))
    }

    fn command(&mut self, role: &str) -> Command {
        self.log_seq += 1;
        let log =
            std::fs::File::create(self.dir.path().join(format!("{role}-{}.log", self.log_seq)))
                .expect("log");
        let mut cmd = Command::new(&self.bin);
        cmd.arg(role)
            .env("NATTER_NATS_URL", self.nats_url_as(nats_user(role)))
            .env("NATTER_REPLICAS", self.nats.replicas())
            .env("NATTER_PARTITIONS", PARTITIONS.to_string())
            .env("NATTER_PRESENCE_SHARDS", "2")
            .env("NATTER_PRESENCE_TTL_SECS", PRESENCE_TTL_SECS.to_string())
            .env("NATTER_REGISTER_MS", "300")
            .env("NATTER_DRAIN_SECS", "15")
            .env("NATTER_IDLE_SECS", IDLE_SECS.to_string())
            .env("NATTER_LEASE_TTL_SECS", LEASE_TTL_SECS.to_string())
            // Sockets at debug: why a socket ended is in the log a failure prints.
            .env(
                "NATTER_LOG",
                "info,async_nats=warn,natter_edge::socket=debug",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        natter_nats::server::kill_with_parent(&mut cmd);
        cmd
    }

    /// Starts a store worker on the system's store (its folder, or TiKV).
    pub fn start_worker(&mut self) {
        self.start_worker_with(&[]);
    }

    /// Starts a store worker with extra flags (e.g. a failpoint).
    pub fn start_worker_with(&mut self, flags: &[&str]) {
        let child = self.spawn_worker(flags);
        self.worker = Some(child);
    }

    /// Starts one more store worker (TiKV systems only); returns its index in `more_workers`.
    pub fn start_another_worker(&mut self) -> usize {
        assert!(
            self.tikv.is_some(),
            "only a TiKV store is shared between workers"
        );
        let child = self.spawn_worker(&[]);
        self.more_workers.push(child);
        self.more_workers.len() - 1
    }

    fn spawn_worker(&mut self, flags: &[&str]) -> Proc {
        let store = self.dir.path().join("store");
        let pd = self.tikv.as_ref().map(|t| t.pd_endpoint());
        let (mut cmd, url) = self.command_with_metrics("store-worker");
        let log = self
            .dir
            .path()
            .join(format!("store-worker-{}.log", self.log_seq));
        match pd {
            Some(pd) => cmd.arg("--store").arg(format!("tikv://{pd}")),
            None => cmd.arg("--store-dir").arg(store),
        };
        cmd.arg("--token-keys-file")
            .arg(self.dir.path().join("token-keys"));
        cmd.args(flags);
        let child = cmd.spawn().expect("spawn store worker");
        Proc {
            child,
            url,
            log: Some(log),
        }
    }

    /// Starts the presence watcher.
    pub fn start_presence(&mut self) {
        let (mut cmd, url) = self.command_with_metrics("presence");
        let child = cmd.spawn().expect("spawn presence");
        self.presence = Some(Proc {
            child,
            url,
            log: None,
        });
    }

    /// (Re)starts the media worker, on the edges' media folder.
    pub fn start_media_worker(&mut self) {
        self.start_media_worker_with(&[]);
    }

    /// (Re)starts the media worker with extra flags (an S3 bucket's, which wins over
    /// the folder).
    pub fn start_media_worker_with(&mut self, flags: &[&str]) {
        self.media = None;
        let (mut cmd, url) = self.command_with_metrics("media-worker");
        cmd.arg("--media-dir").arg(self.dir.path().join("media"));
        cmd.args(flags);
        let child = cmd.spawn().expect("spawn media worker");
        self.media = Some(Proc {
            child,
            url,
            log: None,
        });
    }

    /// (Re)starts the push worker, with a provider config (JSON) if given.
    pub fn start_push_worker(&mut self, config: Option<&serde_json::Value>) {
        self.start_push_worker_with(config, &[]);
    }

    /// Starts the push worker with extra flags. Its targets may be on loopback (the
    /// tests' receivers), unless `config` says `allowed_networks` itself.
    pub fn start_push_worker_with(&mut self, config: Option<&serde_json::Value>, flags: &[&str]) {
        self.push = None;
        let (mut cmd, url) = self.command_with_metrics("push-worker");
        let mut c = config.cloned().unwrap_or_else(|| serde_json::json!({}));
        if c.get("allowed_networks").is_none() {
            c["allowed_networks"] = serde_json::json!(["127.0.0.0/8", "::1/128"]);
        }
        let path = self.dir.path().join(format!("push-{}.json", self.log_seq));
        std::fs::write(&path, c.to_string()).expect("push config");
        cmd.arg("--push-config").arg(path);
        cmd.args(flags);
        let child = cmd.spawn().expect("spawn push worker");
        self.push = Some(Proc {
            child,
            url,
            log: None,
        });
    }

    /// Starts one more edge on a free port; returns its index.
    pub fn start_edge(&mut self) -> usize {
        self.start_edge_on("127.0.0.1:0")
    }

    /// Starts one more edge with extra flags; returns its index.
    pub fn start_edge_with(&mut self, flags: &[&str]) -> usize {
        self.start_edge_on_with("127.0.0.1:0", flags)
    }

    /// Starts one more edge listening on `addr`; returns its index.
    pub fn start_edge_on(&mut self, addr: &str) -> usize {
        self.start_edge_on_with(addr, &[])
    }

    fn start_edge_on_with(&mut self, addr: &str, flags: &[&str]) -> usize {
        let keys = self.dir.path().join("token-keys");
        let mut cmd = self.command("edge");
        cmd.args([
            "--listen",
            addr,
            "--send-rate",
            "100000,100000",
            "--frame-rate",
            "100000,100000",
        ])
        .args(["--auth-rate", "100000,100000"])
        .args(["--header-timeout-secs", &HEADER_TIMEOUT_SECS.to_string()])
        .args(["--body-timeout-secs", &HEADER_TIMEOUT_SECS.to_string()])
        .args(flags)
        // Readiness probes log in as nobody, many times: unlimited unless a test
        // sets its own login rate.
        .args(if flags.contains(&"--login-rate") {
            &[][..]
        } else {
            &["--login-rate", "100000,100000"][..]
        })
        // Tests of presence watch users they share no channel with; the default
        // (contacts only) has a test of its own.
        .args(if flags.contains(&"--presence-visibility") {
            &[][..]
        } else {
            &["--presence-visibility", "everyone"][..]
        })
        // Tests make groups of users who never messaged each other; the default
        // (contacts only) has a test of its own.
        .args(if flags.contains(&"--group-add-policy") {
            &[][..]
        } else {
            &["--group-add-policy", "everyone"][..]
        })
        // Every edge shares one media folder, as a cluster shares its object store.
        .arg("--media-dir")
        .arg(self.dir.path().join("media"))
        .arg("--token-keys-file")
        .arg(keys);
        let mut child = cmd.spawn().expect("spawn edge");
        // The edge prints its address as the first line of stdout.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("edge did not print its address");
        let url = line.rsplit(' ').next().unwrap_or_default().to_string();
        self.edges.push(Proc {
            child,
            url,
            log: None,
        });
        self.edges.len() - 1
    }

    /// Waits until every edge answers and a store worker answers RPCs through it.
    pub async fn wait_ready(&self) {
        for edge in &self.edges {
            let client = Client::new(&edge.url);
            eventually(Duration::from_secs(90), "edge and store worker answer", || {
                let client = client.clone();
                async move {
                    // A wrong login only comes back as invalid_credentials once a
                    // store worker has answered.
                    matches!(
                        client.login("nobody_here", "not-a-password").await,
                        Err(e) if e.code() == Some(natter_protocol::ErrorCode::InvalidCredentials)
                    )
                }
            })
            .await;
        }
    }

    /// The last lines of every log the system's processes wrote (for a failure).
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for path in files {
            if path.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                out.push_str(&format!("--- {}\n", path.display()));
                for l in &lines[lines.len().saturating_sub(40)..] {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// A client for edge `i` (its connections heartbeat every second).
    pub fn client(&self, i: usize) -> Client {
        Client::new(&self.edges[i].url).with_heartbeat(HEARTBEAT)
    }

    /// SIGKILLs the store worker.
    pub fn kill_worker(&mut self) {
        if let Some(mut w) = self.worker.take() {
            w.kill();
        }
    }

    /// SIGKILLs everything (edges, store worker, nats-server), then starts it all
    /// again on the same data and addresses.
    pub async fn restart_all(&mut self) {
        let addrs: Vec<String> = self
            .edges
            .iter()
            .map(|e| e.url.trim_start_matches("http://").to_string())
            .collect();
        self.edges.clear();
        self.kill_worker();
        self.presence = None;
        self.push = None;
        self.media = None;
        self.nats.restart();
        self.start_worker();
        self.start_presence();
        self.start_push_worker(None);
        self.start_media_worker();
        // Same addresses: clients come back to the edges they knew.
        for addr in addrs {
            self.start_edge_on(&addr);
        }
        self.wait_ready().await;
    }
}

/// The NATS user a service role connects as on a secured system.
fn nats_user(role: &str) -> &'static str {
    match role {
        "edge" => "edge",
        "store-worker" => "store",
        "presence" => "presence",
        "push-worker" => "push",
        "media-worker" => "media",
        _ => "admin",
    }
}

/// A loopback port for a child process to listen on. A port bound to 0 and released
/// comes from the kernel's ephemeral range, where any other socket (another system's
/// processes start beside this one) may take it before the child binds it: a store
/// worker then exits with "address in use" and the system never becomes ready. These
/// come from below that range (which starts at 32768), each handed out once per test
/// process.
fn listener_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Test processes that run at once (nextest) start at different places.
    let start = std::process::id().wrapping_mul(7_919) % COUNT;
    for _ in 0..COUNT {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(FIRST + (start + n) % COUNT).expect("port below 32000");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {FIRST}..{}", FIRST + COUNT);
}

/// Polls `cond` until it is true, failing the test after `patience`.
pub async fn eventually<F, Fut>(patience: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + patience;
    loop {
        if cond().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {patience:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The code of an API error (None: the call succeeded); any other failure panics.
pub fn api_code<T: std::fmt::Debug>(
    r: Result<T, natter_client::ClientError>,
) -> Option<natter_protocol::ErrorCode> {
    match r {
        Err(natter_client::ClientError::Api(e)) => Some(e.code),
        Ok(_) => None,
        Err(other) => panic!("expected an API error, got {other}"),
    }
}

/// Whether `viewer` sees `user` online in their profile (None: presence not shown
/// to the viewer, or not answered yet).
pub async fn seen_online(viewer: &Client, user: u64) -> Option<bool> {
    viewer
        .user(user)
        .await
        .ok()
        .and_then(|p| p.presence)
        .map(|p| p.online)
}

/// Signs up `name` (password `password-<name>`) through `client`; returns the
/// authenticated client and the user id.
pub async fn user(client: &Client, name: &str) -> (Client, u64) {
    let auth = client
        .signup(name, &format!("password-{name}"), &name.to_uppercase())
        .await
        .expect("signup");
    (client.with_token(&auth.token), auth.user.id)
}

impl Drop for System {
    fn drop(&mut self) {
        // A failing test shows what the processes said (their logs go with the folder).
        if std::thread::panicking() {
            eprintln!("logs of the system's processes:\n{}", self.logs());
        }
        // Services first, then NATS, then the folder.
        self.edges.clear();
        self.kill_worker();
        self.more_workers.clear();
        self.presence = None;
        self.push = None;
        self.nats.kill();
        self.tikv = None;
    }
}

/// A connected device: its connection plus the events that arrived while a test was
/// waiting for something else (so none is lost to the test).
pub struct Device {
    /// The connection.
    pub conn: natter_client::Connection,
    stash: std::collections::VecDeque<natter_protocol::ws::MessageEvent>,
    others: std::collections::VecDeque<natter_protocol::ws::ServerEvent>,
}

/// How long a device waits for any one event.
pub const EVENT_WAIT: Duration = Duration::from_secs(20);

impl Device {
    /// Wraps a connection.
    pub fn new(conn: natter_client::Connection) -> Self {
        Self {
            conn,
            stash: Default::default(),
            others: Default::default(),
        }
    }

    /// Connects `client` as `device` and waits for catch-up to end; returns the device
    /// and the messages of its catch-up.
    pub async fn connect(
        client: &Client,
        device: &str,
    ) -> (Self, Vec<natter_protocol::ws::MessageEvent>) {
        let mut d = Self::new(client.connect(Some(device)).await.expect("connect"));
        let caught_up = d.synced().await;
        (d, caught_up)
    }

    fn keep(&mut self, ev: natter_protocol::ws::ServerEvent) {
        use natter_protocol::ws::ServerEvent;
        match ev {
            ServerEvent::Message(m) => self.stash.push_back(m),
            other => self.others.push_back(other),
        }
    }

    /// Waits for the `synced` event; returns the messages that came before it (the
    /// catch-up), and checks the event's count matches them.
    pub async fn synced(&mut self) -> Vec<natter_protocol::ws::MessageEvent> {
        use natter_protocol::ws::ServerEvent;
        let (_, messages) = self
            .wait_for(|e| match e {
                ServerEvent::Synced { messages, .. } => Some(*messages),
                _ => None,
            })
            .await;
        let got: Vec<_> = self.stash.drain(..).collect();
        assert_eq!(
            got.len() as u64,
            messages,
            "synced counted {messages} messages, {} arrived",
            got.len()
        );
        got
    }

    /// Waits for the first event (other than a message) for which `pick` says yes;
    /// messages meanwhile are kept for [`Self::messages`], other events are skipped.
    /// Returns the event and what `pick` made of it.
    pub async fn wait_for<T>(
        &mut self,
        mut pick: impl FnMut(&natter_protocol::ws::ServerEvent) -> Option<T>,
    ) -> (natter_protocol::ws::ServerEvent, T) {
        while let Some(ev) = self.others.pop_front() {
            if let Some(t) = pick(&ev) {
                return (ev, t);
            }
        }
        loop {
            let ev = self.conn.next_event(EVENT_WAIT).await.expect("event");
            if let Some(t) = pick(&ev) {
                return (ev, t);
            }
            if let natter_protocol::ws::ServerEvent::Message(m) = ev {
                self.stash.push_back(m);
            }
        }
    }

    /// Waits for the next `error` event; returns its code.
    pub async fn next_error(&mut self) -> natter_protocol::ErrorCode {
        self.wait_for(|e| match e {
            natter_protocol::ws::ServerEvent::Error { code, .. } => Some(*code),
            _ => None,
        })
        .await
        .1
    }

    /// Sends and waits for the ack; returns the message id. Panics on an error frame.
    pub async fn send(&mut self, channel: u64, cmid: &str, text: &str) -> u64 {
        let op = natter_protocol::ws::ClientOp::Send {
            channel,
            client_msg_id: cmid.into(),
            text: text.into(),
            reply_to: None,
            forward: None,
            attachments: Vec::new(),
        };
        match self.send_op(op).await {
            Ok(id) => id,
            Err(code) => panic!("send {cmid} failed: {code}"),
        }
    }

    /// Sends a `send` op (a reply, a forward, …) and waits for its ack (the message
    /// id) or its error (the code).
    pub async fn send_op(
        &mut self,
        op: natter_protocol::ws::ClientOp,
    ) -> Result<u64, natter_protocol::ErrorCode> {
        use natter_protocol::ws::{ClientOp, ServerEvent};
        let ClientOp::Send { client_msg_id, .. } = &op else {
            panic!("not a send: {op:?}");
        };
        let cmid = client_msg_id.clone();
        self.conn.op(&op).await.expect("send");
        loop {
            match self.conn.next_event(EVENT_WAIT).await.expect("event") {
                ServerEvent::Ack {
                    client_msg_id,
                    message_id,
                    ..
                } if client_msg_id == cmid => return Ok(message_id),
                ServerEvent::Error {
                    code,
                    client_msg_id,
                    ..
                } if client_msg_id.as_deref() == Some(cmid.as_str()) => return Err(code),
                other => self.keep(other),
            }
        }
    }

    /// The next `n` message events, in arrival order.
    pub async fn messages(&mut self, n: usize) -> Vec<natter_protocol::ws::MessageEvent> {
        use natter_protocol::ws::ServerEvent;
        let mut got: Vec<_> = Vec::new();
        while got.len() < n {
            if let Some(m) = self.stash.pop_front() {
                got.push(m);
                continue;
            }
            match self.conn.next_event(EVENT_WAIT).await {
                Ok(ServerEvent::Message(m)) => got.push(m),
                Ok(other) => self.others.push_back(other),
                Err(e) => panic!(
                    "after {} of {n} messages (seqs {:?}): {e}",
                    got.len(),
                    got.iter().map(|m| m.seq).collect::<Vec<_>>()
                ),
            }
        }
        got
    }

    /// Reads messages until the one sent as `cmid`, then until every file it carries
    /// is processed (by the message itself, or by an `attachment_processed` event
    /// before or after it: the media worker may finish before the send is applied);
    /// returns the message and its files as processed.
    pub async fn message_with_processed_files(
        &mut self,
        cmid: &str,
    ) -> (
        natter_protocol::ws::MessageEvent,
        Vec<natter_protocol::ws::Attachment>,
    ) {
        use natter_protocol::ws::SystemEvent;
        let mut done = std::collections::HashMap::new();
        let mut take = |m: &natter_protocol::ws::MessageEvent| {
            if let Some(SystemEvent::AttachmentProcessed { attachment }) = &m.system {
                done.insert(attachment.id, attachment.clone());
            }
        };
        let msg = loop {
            let m = self.messages(1).await.remove(0);
            if m.system.is_none() && m.client_msg_id == cmid {
                break m;
            }
            take(&m);
        };
        for a in msg.attachments.iter().filter(|a| a.processed) {
            done.entry(a.id).or_insert_with(|| a.clone());
        }
        while msg.attachments.iter().any(|a| !done.contains_key(&a.id)) {
            let m = self.messages(1).await.remove(0);
            if let Some(SystemEvent::AttachmentProcessed { attachment }) = m.system {
                done.insert(attachment.id, attachment);
            }
        }
        let files = msg
            .attachments
            .iter()
            .map(|a| done[&a.id].clone())
            .collect();
        (msg, files)
    }

    /// Acks the highest seq per channel of `messages`.
    pub async fn ack(&self, messages: &[natter_protocol::ws::MessageEvent]) {
        let mut top: std::collections::BTreeMap<u64, u64> = Default::default();
        for m in messages {
            let e = top.entry(m.channel).or_insert(0);
            *e = (*e).max(m.seq);
        }
        for (c, s) in top {
            self.conn.ack(c, s).await.expect("ack");
        }
    }

    /// Closes cleanly: returns once the edge has written this device's acks.
    pub async fn close(self) {
        self.conn.close(EVENT_WAIT).await;
    }
}
