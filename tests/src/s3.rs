//! An S3-compatible server for the media tests: s3s-fs (crates.io, pinned and
//! built by `./scripts/ensure-s3-server`) as a child process on a free 127.0.0.1
//! port, with a temp folder and one bucket, killed when the [`S3Server`] drops (and
//! when the test process dies). It checks every request's SigV4 signature and
//! presigned URLs' expiry.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bucket every test server has.
pub const BUCKET: &str = "natter";
/// The key pair the server accepts (no other).
pub const ACCESS_KEY_ID: &str = "natter-test";
/// The secret of [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "natter-test-secret";

/// How long the server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where `./scripts/ensure-s3-server` installs s3s-fs by default.
fn cached_binary() -> PathBuf {
    let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
    let cache = env("NATTER_TOOLS_CACHE").unwrap_or_else(|| {
        env("XDG_CACHE_HOME")
            .unwrap_or_else(|| env("HOME").unwrap_or_default().join(".cache"))
            .join("natter-tools")
    });
    cache.join(format!("s3s-fs-{VERSION}/bin/s3s-fs"))
}

/// The s3s-fs version `./scripts/ensure-s3-server` pins.
const VERSION: &str = "0.14.1";

/// `$NATTER_S3_SERVER`, else the script's install. Panics (the test fails, it is
/// not skipped) when there is none.
fn find_binary() -> PathBuf {
    let candidate = std::env::var_os("NATTER_S3_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(cached_binary);
    assert!(
        candidate.is_file(),
        "no S3 test server at {} (looked at $NATTER_S3_SERVER, then the script's \
         cache): run ./scripts/ensure-s3-server",
        candidate.display()
    );
    candidate
}

/// A running s3s-fs; killed when dropped.
pub struct S3Server {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
    /// What it printed: one line per request or stored part.
    log: Arc<Mutex<Vec<String>>>,
}

impl S3Server {
    /// Starts the server with bucket [`BUCKET`] and returns once it listens.
    /// Panics when it cannot be found or does not start in time.
    pub fn start() -> Self {
        let bin = find_binary();
        let dir = tempfile::Builder::new()
            .prefix("natter-s3-")
            .tempdir()
            .expect("temp dir");
        std::fs::write(
            dir.path().join("credentials"),
            format!("access_key_id = {ACCESS_KEY_ID}\nsecret_access_key = {SECRET_ACCESS_KEY}\n"),
        )
        .expect("credentials file");
        // A bucket is a folder of the data folder.
        std::fs::create_dir_all(dir.path().join("data").join(BUCKET)).expect("bucket");
        let log = std::fs::File::create(dir.path().join("s3s-fs.log")).expect("log");
        let mut cmd = Command::new(&bin);
        cmd.args(["--host", "127.0.0.1", "--port", "0"])
            .args([
                "--access-key",
                ACCESS_KEY_ID,
                "--secret-key",
                SECRET_ACCESS_KEY,
            ])
            .arg(dir.path().join("data"))
            // Each request's operation at debug (for [`Self::log_count`]).
            .env("RUST_LOG", "info,s3s::ops=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        natter_nats::server::kill_with_parent(&mut cmd);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        // It logs "server is running at http://127.0.0.1:PORT" once it listens.
        let stdout = child.stdout.take().expect("stdout");
        // Then a line per request or stored part, kept for [`Self::log`].
        let (tx, rx) = std::sync::mpsc::channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, url)) = line.split_once("server is running at ") {
                    let _ = tx.send(url.trim().to_string());
                }
                lines.lock().expect("log").push(line);
            }
        });
        let mut server = Self {
            child,
            url: String::new(),
            dir,
            log,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => server.url = url,
            Err(_) => panic!(
                "s3s-fs did not listen within {START_TIMEOUT:?}; it printed: {:?} {}",
                server.log.lock().expect("log"),
                std::fs::read_to_string(server.dir.path().join("s3s-fs.log")).unwrap_or_default()
            ),
        }
        server
    }

    /// How many lines it printed so far contain `needle` (e.g. `"op: UploadPart"`:
    /// parts of multipart uploads).
    pub fn log_count(&self, needle: &str) -> usize {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Its base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A file with its key pair, as `--media-s3-credentials-file` reads it.
    pub fn credentials_file(&self) -> PathBuf {
        self.dir.path().join("credentials")
    }

    /// The media store's configuration for this server.
    pub fn config(&self) -> natter_media::S3Config {
        natter_media::S3Config {
            endpoint: Some(self.url.clone()),
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            credentials: natter_media::S3Credentials {
                access_key_id: ACCESS_KEY_ID.into(),
                secret_access_key: SECRET_ACCESS_KEY.into(),
            },
            path_style: true,
            allow_http: true,
        }
    }

    /// The edge flags that put attachments in this server's bucket.
    pub fn edge_flags(&self) -> Vec<String> {
        vec![
            "--media-s3-endpoint".into(),
            self.url.clone(),
            "--media-s3-bucket".into(),
            BUCKET.into(),
            "--media-s3-credentials-file".into(),
            self.credentials_file().display().to_string(),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
