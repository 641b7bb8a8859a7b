//! Running the `gantry` binary as a separate process.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::ADMIN_KEY;

/// A `gantry serve` process on `127.0.0.1:0`, killed when dropped.
pub struct TestProcess {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl TestProcess {
    /// Starts `binary serve` with `data_dir` and `database_url` and waits
    /// for its readiness line.
    pub async fn start(binary: &Path, data_dir: &Path, database_url: &str) -> TestProcess {
        Self::start_with(binary, data_dir, database_url, &[]).await
    }

    /// Like [`TestProcess::start`], with more environment variables.
    pub async fn start_with(
        binary: &Path,
        data_dir: &Path,
        database_url: &str,
        env: &[(&str, &str)],
    ) -> TestProcess {
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data_dir)
            .envs(env.iter().copied())
            .env("GANTRY_DATABASE_URL", database_url)
            .env("GANTRY_BOOTSTRAP_API_KEY", ADMIN_KEY)
            .env("GANTRY_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("gantry starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(url) = line.strip_prefix("gantry listening on http://") {
                    return url.parse::<SocketAddr>().expect("address");
                }
            }
            panic!("gantry exited before it was ready");
        })
        .await
        .expect("gantry ready within 30 s");
        TestProcess { addr: ready, child }
    }

    /// Runs `binary` with `args` (a command such as `fsck`) and the settings
    /// [`TestProcess::start_with`] gives a server — data folder, database,
    /// environment — to completion, and returns its output.
    pub async fn run_command(
        binary: &Path,
        args: &[&str],
        data_dir: &Path,
        database_url: &str,
        env: &[(&str, &str)],
    ) -> std::process::Output {
        let run = Command::new(binary)
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .envs(env.iter().copied())
            .env("GANTRY_DATABASE_URL", database_url)
            .env("GANTRY_LOG", "warn")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        tokio::time::timeout(Duration::from_mins(2), run)
            .await
            .unwrap_or_else(|_| panic!("gantry {args:?} did not finish within 120 s"))
            .expect("gantry runs")
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Sends SIGKILL: no shutdown, no cleanup.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill");
    }

    /// Sends a signal by name (`TERM`, `INT`) and waits for the exit status.
    pub async fn signal_and_wait(mut self, signal: &str) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill command");
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits within 30 s")
            .expect("exit status")
    }
}
