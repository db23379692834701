//! Chaos: the store's disk fills up and is freed again. The store worker must notice
//! at once (`/readyz` unready on its `store` check), recover by itself once there is
//! room again, and lose nothing that was acked meanwhile: every message acked by
//! JetStream while the store could not write is stored once, with gapless seqs in
//! send order, and delivered.
//!
//! The store folder (only it: NATS keeps its data on the ordinary disk) is a small
//! tmpfs the test mounts, fills with a filler file until ENOSPC, and unmounts when it
//! ends, pass or fail. Mounting needs root (as here and in CI): without it the test
//! fails, it never skips.
//!
//! Two recoveries: `natter dev` (no supervisor) reopens the store in process; a
//! `natter store-worker` process exits non-zero, and this test restarts it as
//! systemd or compose would.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use natter_client::Client;
use natter_nats::health::Readiness;
use natter_protocol::ws::MessageEvent;
use natter_tests::{Device, HEARTBEAT, System, eventually, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Size of the store's tmpfs: room for the store, small to fill.
const TMPFS_SIZE: &str = "32m";
/// How long the store may take to fail, or to recover, before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);
/// Text of the sends while the disk is full: large enough that a batch of them
/// cannot hide in the journal file's last partly used page.
fn text(cmid: &str) -> String {
    format!("{cmid} {}", "x".repeat(1_000))
}

/// A tmpfs mounted for one test; unmounted on drop, pass or fail.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of [`TMPFS_SIZE`] on `dir` (created if missing).
    fn mount(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).expect("tmpfs mount point");
        // SAFETY: geteuid(2) has no preconditions and touches no memory.
        let uid = unsafe { libc::geteuid() };
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={TMPFS_SIZE}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Self { dir: dir.into() },
            Ok(o) => panic!(
                "this test mounts a tmpfs for the store and needs root (running as uid {uid}): \
                 `mount -t tmpfs` on {} failed: {}",
                dir.display(),
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("this test needs `mount` (and root, running as uid {uid}): {e}"),
        }
    }

    /// Fills the file system with one file until it refuses more (ENOSPC).
    fn fill(&self) -> Filler {
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).expect("filler");
        // Big chunks first, then page-sized ones for the rest.
        for chunk in [vec![0xA5u8; 1 << 20], vec![0xA5u8; 4096]] {
            loop {
                match f.write(&chunk) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                    Err(e) => panic!("filling {}: {e}", path.display()),
                }
            }
        }
        let free = available(&self.dir);
        assert!(free < 4096, "{free} bytes still free after filling");
        Filler { path }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Still busy (a process of a failed test holds files there): detach it
            // now; the kernel frees it when they exit.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// The file that fills the tmpfs.
struct Filler {
    path: PathBuf,
}

impl Filler {
    /// Frees the space.
    fn remove(self) {
        std::fs::remove_file(&self.path).expect("remove the filler");
    }
}

/// Bytes free on the file system of `dir`.
fn available(dir: &Path) -> u64 {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: statvfs(3) writes only into the zeroed struct we pass; the path is a
    // valid NUL-terminated string.
    unsafe {
        let mut s: libc::statvfs = std::mem::zeroed();
        assert_eq!(libc::statvfs(c.as_ptr(), &mut s), 0, "statvfs");
        s.f_bavail * s.f_frsize
    }
}

/// `/readyz` of `base`: the HTTP status and the parsed body.
async fn readyz(base: &str) -> Option<(u16, Readiness)> {
    let r = reqwest::get(format!("{base}/readyz")).await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.ok()?))
}

/// Whether `/readyz` of `base` says not ready because of the store.
async fn store_unready(base: &str) -> bool {
    matches!(readyz(base).await, Some((503, r)) if r.checks.get("store").is_some_and(|v| v != "ok"))
}

/// Whether `/readyz` of `base` says ready, the store included.
async fn store_ready(base: &str) -> bool {
    matches!(readyz(base).await, Some((200, r)) if r.checks.get("store").is_some_and(|v| v == "ok"))
}

/// A 1:1 chat: alice sends from one device, bob receives on another.
struct Chat {
    alice: Device,
    bob: Client,
    bob_device: Device,
    channel: u64,
    /// client_msg_ids acked, in send order.
    acked: Vec<String>,
}

impl Chat {
    async fn start(edge: &str) -> Self {
        let client = Client::new(edge).with_heartbeat(HEARTBEAT);
        let (alice, _) = user(&client, "alice").await;
        let (bob, bob_id) = user(&client, "bob").await;
        let channel = alice.open_dm(bob_id).await.expect("open dm").id;
        let (alice, _) = Device::connect(&alice, "phone").await;
        let (bob_device, _) = Device::connect(&bob, "phone").await;
        Self {
            alice,
            bob,
            bob_device,
            channel,
            acked: Vec::new(),
        }
    }

    /// Sends one message and waits for its ack (JetStream has it).
    async fn send(&mut self, tag: &str) {
        let cmid = format!("{tag}-{}", self.acked.len());
        self.alice.send(self.channel, &cmid, &text(&cmid)).await;
        self.acked.push(cmid);
    }

    /// Waits until bob's history holds every acked message (the store writes).
    async fn wait_stored(&self) {
        let (bob, channel, n) = (self.bob.clone(), self.channel, self.acked.len());
        eventually(PATIENCE, "every acked message is in history", || {
            let bob = bob.clone();
            async move { bob.full_history(channel).await.is_ok_and(|h| h.len() >= n) }
        })
        .await;
    }

    /// Waits until bob's history holds every acked message, then checks each is
    /// there once, at seqs 1, 2, 3, … in send order, and that bob's device got
    /// every one (repeats of a seq are dropped, as devices do).
    async fn check_everything_stored_and_delivered(&mut self) {
        self.wait_stored().await;
        let (channel, n) = (self.channel, self.acked.len());
        let history = self.bob.full_history(channel).await.expect("history");
        let stored: Vec<(u64, &str)> = history
            .iter()
            .map(|m| (m.seq, m.client_msg_id.as_str()))
            .collect();
        let expected: Vec<(u64, &str)> = self
            .acked
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u64 + 1, c.as_str()))
            .collect();
        assert_eq!(stored, expected, "history is not every acked message once");

        let mut got: std::collections::BTreeMap<u64, MessageEvent> = Default::default();
        let deadline = Instant::now() + PATIENCE;
        while got.len() < n {
            assert!(
                Instant::now() < deadline,
                "bob's device got {} of {n} messages",
                got.len()
            );
            for m in self.bob_device.messages(1).await {
                got.entry(m.seq).or_insert(m);
            }
        }
        let delivered: Vec<(u64, &str)> = got
            .values()
            .map(|m| (m.seq, m.client_msg_id.as_str()))
            .collect();
        assert_eq!(
            delivered, expected,
            "bob's device did not get every message"
        );
    }
}

/// `natter dev` as a child process (killed on drop), its log in a file.
struct Dev {
    child: Child,
    /// Base URL of its edge (whose `/readyz` includes the store worker's checks).
    url: String,
    log: PathBuf,
}

impl Dev {
    fn start(data: &Path, log: PathBuf) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.arg("dev")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--nats-port", "0"])
            .args(["--partitions", "4"])
            .args(["--send-rate", "100000,100000"])
            .args(["--frame-rate", "100000,100000"])
            .env("NATTER_LOG", "info,async_nats=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("dev log"));
        natter_nats::server::kill_with_parent(&mut cmd);
        let mut child = cmd.spawn().expect("spawn natter dev");
        // It prints its HTTP address once everything is ready.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("HTTP:")
                    && let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://"))
                {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let Ok(url) = rx.recv_timeout(Duration::from_secs(60)) else {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("natter dev did not start:\n{said}");
        };
        Self { child, url, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("natter dev's log:\n{}", self.log());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `natter dev` has no supervisor: the failed store is reopened in process, with
/// backoff while the disk is still full, and the partitions replay from the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn natter_dev_reopens_its_store_after_the_disk_was_full() {
    let dir = tempfile::Builder::new()
        .prefix("natter-full-disk-dev-")
        .tempdir()
        .expect("temp dir");
    let data = dir.path().join("data");
    // Dropped after `dev` (declared before it): unmounted once nothing holds it.
    let tmpfs = Tmpfs::mount(&data.join("store"));
    let dev = Dev::start(&data, dir.path().join("dev.log"));
    let mut chat = Chat::start(&dev.url).await;
    for _ in 0..5 {
        chat.send("before").await;
    }
    chat.wait_stored().await;

    let filler = tmpfs.fill();
    let filled = Instant::now();
    // Acked sends go on (the log is on another disk) until the store fails; the
    // worker must say so at once.
    send_until_unready(&mut chat, "full", || store_unready(&dev.url)).await;
    let unready_after = filled.elapsed();
    for _ in 0..20 {
        chat.send("while-full").await;
    }
    // Still failing: it reopens, and fails again, while the disk is full (a few
    // bytes may fit in the journal's last page, so a reopened store may look ready
    // for a moment before its next write fails).
    eventually(PATIENCE, "unready while the disk is still full", || {
        store_unready(&dev.url)
    })
    .await;
    assert!(
        dev.log().contains("reopening the store"),
        "natter dev did not reopen its store"
    );

    filler.remove();
    let freed = Instant::now();
    eventually(PATIENCE, "natter dev's store recovers by itself", || {
        store_ready(&dev.url)
    })
    .await;
    let ready_after = freed.elapsed();
    chat.send("after").await;
    chat.check_everything_stored_and_delivered().await;
    eprintln!(
        "natter dev, full disk: unready {unready_after:?} after the disk filled, ready again \
         {ready_after:?} after it was freed; {} acked messages stored once, in order",
        chat.acked.len()
    );
}

/// `natter store-worker` exits non-zero when its store fails (leases released) for
/// its supervisor to restart it; this test is that supervisor. While the disk is
/// still full a restarted worker fails again; once freed, it recovers and replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_worker_exits_and_its_restart_recovers_after_the_disk_was_full() {
    let mut sys = System::start(BIN, 1).await;
    // The harness keeps the store in <dir>/store: put a tmpfs there for a new
    // worker (the first one's empty store stays underneath, unused).
    sys.kill_worker();
    let tmpfs = Tmpfs::mount(&sys.dir().join("store"));
    sys.start_worker();
    let worker_url = sys.worker.as_ref().expect("worker").url.clone();
    eventually(PATIENCE, "the store worker is ready on the tmpfs", || {
        store_ready(&worker_url)
    })
    .await;
    let mut chat = Chat::start(&sys.edges[0].url).await;
    for _ in 0..5 {
        chat.send("before").await;
    }
    chat.wait_stored().await;

    let filler = tmpfs.fill();
    {
        let worker = sys.worker.as_mut().expect("worker");
        let url = worker.url.clone();
        // Unready, then gone: it stops cleanly and exits for its supervisor.
        send_until_unready(&mut chat, "full", || {
            let url = url.clone();
            async move { store_unready(&url).await || reqwest::get(&url).await.is_err() }
        })
        .await;
        let exited = Instant::now() + PATIENCE;
        while !worker.exited() {
            assert!(
                Instant::now() < exited,
                "the store worker did not exit after its store failed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            worker.log().contains("natter: the store failed"),
            "the store worker did not exit with the store's failure:\n{}",
            worker.log()
        );
    }
    // Acked with no store worker running: the log holds them.
    for _ in 0..20 {
        chat.send("while-down").await;
    }

    // Restarted while the disk is still full (as systemd would after RestartSec):
    // it cannot apply the backlog and exits again.
    sys.start_worker();
    let worker = sys.worker.as_mut().expect("worker");
    let deadline = Instant::now() + PATIENCE;
    while !worker.exited() {
        assert!(
            Instant::now() < deadline,
            "a store worker restarted on a full disk did not fail"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        worker.log().contains("natter: "),
        "the store worker restarted on a full disk exited without saying why:\n{}",
        worker.log()
    );

    filler.remove();
    let freed = Instant::now();
    sys.start_worker();
    let url = sys.worker.as_ref().expect("worker").url.clone();
    eventually(PATIENCE, "the restarted store worker is ready", || {
        store_ready(&url)
    })
    .await;
    let ready_after = freed.elapsed();
    chat.send("after").await;
    chat.check_everything_stored_and_delivered().await;
    eprintln!(
        "natter store-worker, full disk: exited, failed again when restarted on the full \
         disk, ready {ready_after:?} after a restart on the freed disk; {} acked messages \
         stored once, in order",
        chat.acked.len()
    );
    // Unmount while the system still runs would be busy: stop the worker first.
    sys.kill_worker();
    drop(tmpfs);
}

/// Sends (each acked) until `unready` says so; fails after [`PATIENCE`].
async fn send_until_unready<F, Fut>(chat: &mut Chat, tag: &str, mut unready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        chat.send(tag).await;
        if unready().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the store worker still reports its store ok after {} sends to a full disk",
            chat.acked.len()
        );
        // Give the owner a moment to write (and fail) between sends.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
