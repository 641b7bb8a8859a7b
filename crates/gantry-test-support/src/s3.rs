//! A real S3-compatible server process (`s3s-fs`) for tests.
//!
//! `scripts/test-setup` installs `s3s-fs`; `GANTRY_TEST_S3S_FS` may name the
//! binary. Each server serves one temporary folder, in which buckets are
//! folders and objects files — so tests can see exactly what is stored.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The access key the test servers accept.
pub const S3_ACCESS_KEY: &str = "GANTRYTESTACCESSKEY";
/// The secret key the test servers accept.
pub const S3_SECRET_KEY: &str = "gantry-test-secret-key-0123456789";
/// The bucket every test server has.
pub const S3_BUCKET: &str = "gantry-test";

/// A running `s3s-fs`, stopped when dropped.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    root: tempfile::TempDir,
    child: Child,
}

impl S3Server {
    /// Starts a server on a free loopback port with an empty bucket [`S3_BUCKET`].
    pub fn start() -> S3Server {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join(S3_BUCKET)).expect("bucket folder");
        let port = free_port();
        let binary = std::env::var("GANTRY_TEST_S3S_FS").unwrap_or_else(|_| "s3s-fs".into());
        let child = Command::new(&binary)
            .args([
                "--access-key",
                S3_ACCESS_KEY,
                "--secret-key",
                S3_SECRET_KEY,
                "--host",
                "127.0.0.1",
            ])
            .args(["--port", &port.to_string()])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary} (run scripts/test-setup): {e}"));
        // Ready when it accepts connections.
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            assert!(
                Instant::now() < deadline,
                "s3s-fs did not start listening on {addr}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        S3Server {
            endpoint: format!("http://{addr}"),
            root,
            child,
        }
    }

    /// The folder holding the bucket's objects.
    pub fn bucket_dir(&self) -> PathBuf {
        self.root.path().join(S3_BUCKET)
    }

    /// The folder the server serves.
    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
