//! Running `nats-server` as a child process: the test harness and `natter dev`.
//!
//! [`NatsServer::start`] starts a JetStream-enabled server on a free port in a fresh
//! temp folder, with the settings of the shipped `config/single.conf`
//! (`sync_interval: always`). The process is killed, and the folder removed, when the
//! handle drops — also when a test panics — and, on Linux, when the process that
//! started it dies.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shipped single-node config (JetStream, fsync before ack).
pub const SINGLE_NODE_CONFIG: &str = include_str!("../config/single.conf");
/// The shipped per-service users and permissions (included by secured configs).
pub const AUTH_CONFIG: &str = include_str!("../config/auth.conf");
/// The services that have a NATS user in [`AUTH_CONFIG`], and the admin.
pub const AUTH_USERS: [&str; 6] = ["edge", "store", "presence", "push", "media", "admin"];

/// The shipped configs of the three cluster nodes.
pub const CLUSTER_NODE_CONFIGS: [&str; 3] = [
    include_str!("../config/cluster-node-1.conf"),
    include_str!("../config/cluster-node-2.conf"),
    include_str!("../config/cluster-node-3.conf"),
];

/// Failures finding or starting `nats-server`.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No usable binary was found.
    #[error(
        "no nats-server 2.11 or later found (looked at $NATTER_NATS_SERVER, {local}, PATH); \
         run ./scripts/ensure-nats-server"
    )]
    NotFound {
        /// The project-local install location that was tried.
        local: String,
    },
    /// Spawning or talking to the process failed.
    #[error("nats-server: {0}")]
    Io(#[from] std::io::Error),
    /// The server did not report its listening port in time.
    #[error("nats-server did not start within {0:?}: {1}")]
    StartTimeout(Duration, String),
}

/// Where `./scripts/ensure-nats-server` installs the pinned PyPI build.
pub fn project_local_binary() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/nats-server/bin/nats-server")
}

/// Finds a `nats-server` of version 2.11 or later: `$NATTER_NATS_SERVER`, then the
/// project-local install, then `PATH`.
///
/// # Errors
/// [`ServerError::NotFound`] when none is usable.
pub fn find_binary() -> Result<PathBuf, ServerError> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("NATTER_NATS_SERVER") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(project_local_binary());
    candidates.push(PathBuf::from("nats-server"));
    candidates
        .into_iter()
        .find(|c| version_of(c).is_some_and(|(major, minor)| (major, minor) >= (2, 11)))
        .ok_or_else(|| ServerError::NotFound {
            local: project_local_binary().display().to_string(),
        })
}

/// `(major, minor)` as printed by `nats-server --version` ("nats-server: v2.15.1").
fn version_of(binary: &Path) -> Option<(u32, u32)> {
    let out = Command::new(binary).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text.trim().rsplit('v').next()?;
    let mut parts = v.trim().split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// A running `nats-server` child process; killed when dropped.
pub struct NatsServer {
    child: Option<Child>,
    url: String,
    port: u16,
    store_dir: PathBuf,
    /// Temp folder owned by this handle (None when the caller chose the folder).
    _temp: Option<tempfile::TempDir>,
    args: Vec<String>,
    binary: PathBuf,
    work_dir: PathBuf,
}

impl NatsServer {
    /// Starts a JetStream server on a free loopback port in a new temp folder.
    ///
    /// # Errors
    /// Fails if no binary is found or it does not come up within 10 s.
    pub fn start() -> Result<Self, ServerError> {
        let temp = tempfile::Builder::new().prefix("natter-nats-").tempdir()?;
        let dir = temp.path().to_path_buf();
        let mut server = Self::start_in(&dir, None)?;
        server._temp = Some(temp);
        Ok(server)
    }

    /// Starts a JetStream server keeping its data under `dir` (kept after drop), on
    /// `port` (None: a free one).
    ///
    /// # Errors
    /// Fails if no binary is found or it does not come up within 10 s.
    pub fn start_in(dir: &Path, port: Option<u16>) -> Result<Self, ServerError> {
        Self::start_with(dir, SINGLE_NODE_CONFIG, port, Vec::new())
    }

    /// Starts a single node with the shipped per-service users ([`AUTH_CONFIG`]), with
    /// `passwords` for them (user → password) written into its config.
    ///
    /// # Errors
    /// Fails if no binary is found or it does not come up within 10 s.
    pub fn start_secured_in(dir: &Path, passwords: &[(&str, String)]) -> Result<Self, ServerError> {
        let mut auth = AUTH_CONFIG.to_string();
        for (user, pw) in passwords {
            let var = format!("$NATTER_NATS_{}_PASSWORD", user.to_ascii_uppercase());
            auth = auth.replace(&var, &format!("\"{pw}\""));
        }
        Self::start_with(
            dir,
            &format!("{SINGLE_NODE_CONFIG}\n{auth}"),
            None,
            Vec::new(),
        )
    }

    /// Starts a server from `config` (text) with extra command-line flags; flags
    /// override the config's listen address and store folder.
    fn start_with(
        dir: &Path,
        config_text: &str,
        port: Option<u16>,
        extra: Vec<String>,
    ) -> Result<Self, ServerError> {
        let binary = find_binary()?;
        std::fs::create_dir_all(dir)?;
        let config = dir.join("nats-server.conf");
        std::fs::write(&config, config_text)?;
        let store_dir = dir.join("jetstream");
        let mut args = vec![
            "-c".to_string(),
            config.display().to_string(),
            "-a".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.map_or("-1".to_string(), |p| p.to_string()),
            "-sd".into(),
            store_dir.display().to_string(),
        ];
        args.extend(extra);
        let mut server = Self {
            child: None,
            url: String::new(),
            port: 0,
            store_dir,
            _temp: None,
            args,
            binary,
            work_dir: dir.to_path_buf(),
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> Result<(), ServerError> {
        let ports_dir = self.work_dir.join("ports");
        let _ = std::fs::remove_dir_all(&ports_dir);
        std::fs::create_dir_all(&ports_dir)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.work_dir.join("nats-server.log"))?;
        let mut cmd = Command::new(&self.binary);
        cmd.args(&self.args)
            .arg("--ports_file_dir")
            .arg(&ports_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        kill_with_parent(&mut cmd);
        let child = cmd.spawn()?;
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(port) = read_ports_file(&ports_dir, pid) {
                self.port = port;
                self.url = format!("nats://127.0.0.1:{port}");
                // Pin the port so that a restart comes back on the same address.
                if let Some(i) = self.args.iter().position(|a| a == "-p") {
                    self.args[i + 1] = port.to_string();
                }
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(ServerError::StartTimeout(
                    Duration::ZERO,
                    format!("exited with {status}; see {}", self.log_path().display()),
                ));
            }
            if Instant::now() > deadline {
                return Err(ServerError::StartTimeout(
                    Duration::from_secs(10),
                    self.log_path().display().to_string(),
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The client URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store folder.
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.work_dir.join("nats-server.log")
    }

    /// The child's process id, if running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server with SIGKILL (no clean shutdown) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data after [`kill`](Self::kill).
    ///
    /// # Errors
    /// Fails if it does not come back within 10 s.
    pub fn restart(&mut self) -> Result<(), ServerError> {
        self.kill();
        self.spawn()
    }

    /// Waits for the process to exit (for `natter dev`, which runs it in the foreground).
    ///
    /// # Errors
    /// Fails if the process cannot be waited on.
    pub fn wait(&mut self) -> Result<std::process::ExitStatus, ServerError> {
        match self.child.as_mut() {
            Some(c) => Ok(c.wait()?),
            None => Err(ServerError::Io(std::io::Error::other("not running"))),
        }
    }
}

/// A 3-node JetStream cluster on loopback, from the shipped cluster configs (their
/// host-specific lines — store folder, HTTP port, the users file — left out).
pub struct NatsCluster {
    nodes: Vec<NatsServer>,
    _temp: Option<tempfile::TempDir>,
}

/// Starts of a test cluster before giving up (see [`NatsCluster::start_in`]).
const CLUSTER_START_ATTEMPTS: u32 = 3;

/// Free loopback ports (bound then released: a tiny window for another process).
fn free_ports(n: usize) -> Result<Vec<u16>, ServerError> {
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(listeners
        .iter()
        .filter_map(|l| l.local_addr().ok().map(|a| a.port()))
        .collect())
}

impl NatsCluster {
    /// Starts three nodes under `dir` (`node-1`…`node-3`), each with JetStream.
    ///
    /// # Errors
    /// Fails if a node does not come up.
    pub fn start_in(dir: &Path) -> Result<Self, ServerError> {
        // A released port can be taken by another process before its node binds it
        // (tests run side by side): start again on fresh ports a few times.
        let mut attempt = 1;
        loop {
            match Self::start_once(dir) {
                Ok(c) => return Ok(c),
                Err(e) if attempt < CLUSTER_START_ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "cluster did not start; again on fresh ports");
                    for i in 1..=3 {
                        let _ = std::fs::remove_dir_all(dir.join(format!("node-{i}")));
                    }
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn start_once(dir: &Path) -> Result<Self, ServerError> {
        let client = free_ports(3)?;
        let routes_ports = free_ports(3)?;
        let routes = routes_ports
            .iter()
            .map(|p| format!("nats-route://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut nodes = Vec::with_capacity(3);
        for i in 0..3 {
            // Keep everything but the lines bound to a host layout.
            let config: String = CLUSTER_NODE_CONFIGS[i]
                .lines()
                .filter(|l| {
                    let t = l.trim_start();
                    // The loopback test cluster runs open; `start_secured_in` tests the
                    // shipped users and permissions.
                    !t.starts_with("store_dir")
                        && !t.starts_with("http:")
                        && !t.starts_with("include")
                })
                .collect::<Vec<_>>()
                .join("\n");
            let extra = vec![
                "--cluster".into(),
                format!("nats://127.0.0.1:{}", routes_ports[i]),
                "--routes".into(),
                routes.clone(),
            ];
            nodes.push(NatsServer::start_with(
                &dir.join(format!("node-{}", i + 1)),
                &config,
                Some(client[i]),
                extra,
            )?);
        }
        Ok(Self { nodes, _temp: None })
    }

    /// Starts three nodes in a new temp folder.
    ///
    /// # Errors
    /// Fails if a node does not come up.
    pub fn start() -> Result<Self, ServerError> {
        let temp = tempfile::Builder::new()
            .prefix("natter-cluster-")
            .tempdir()?;
        let mut c = Self::start_in(temp.path())?;
        c._temp = Some(temp);
        Ok(c)
    }

    /// Every node's client URL, comma-separated (what clients connect with).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| n.url().to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Node `i` (0-based).
    pub fn node(&mut self, i: usize) -> &mut NatsServer {
        &mut self.nodes[i]
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `<ports_dir>/nats-server_<pid>.ports` (JSON written once listening).
fn read_ports_file(dir: &Path, pid: u32) -> Option<u16> {
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().ends_with(&format!("_{pid}.ports")) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        let url = json.get("nats")?.get(0)?.as_str()?;
        return url.rsplit(':').next()?.parse().ok();
    }
    None
}

/// Makes the child die with the process that spawned it (Linux), so that a test run
/// killed mid-way leaves no server behind. Linux ties this to the spawning
/// *thread*: spawn from a thread that outlives the child (not tokio's
/// `spawn_blocking`, whose idle threads exit after 10 s).
pub fn kill_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}
