//! Running the `gantry` binary as a client against a test server, with its
//! own configuration folder.

use std::path::{Path, PathBuf};
use tokio::process::Command;

use gantry_test_support::{TestApp, ADMIN_KEY};
use serde_json::Value;

/// The `gantry` binary with a private `XDG_CONFIG_HOME`.
pub struct GantryCli {
    config_home: tempfile::TempDir,
}

/// What one run printed, and how it exited.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "gantry failed: {self:?}");
        &self.stdout
    }

    /// Asserts success and parses stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

impl GantryCli {
    /// A client with no sources yet.
    pub fn new() -> Self {
        Self {
            config_home: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A client whose `Default` source is `app` with the admin key.
    pub async fn for_app(app: &TestApp) -> Self {
        let cli = Self::new();
        cli.run(&[
            "sources",
            "add",
            "--name=Default",
            &format!("--url={}", app.url("")),
            &format!("--api-key={ADMIN_KEY}"),
        ])
        .await
        .ok();
        cli
    }

    /// The configuration folder (`XDG_CONFIG_HOME`).
    pub fn config_home(&self) -> &Path {
        self.config_home.path()
    }

    /// The configuration file.
    pub fn config_file(&self) -> PathBuf {
        self.config_home.path().join("gantry").join("config.toml")
    }

    /// Runs `gantry ARGS` (without blocking the test's runtime, which also
    /// runs the server).
    pub async fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(args)
            .env("XDG_CONFIG_HOME", self.config_home.path())
            .env_remove("GANTRY_SOURCE")
            .env_remove("GANTRY_API_KEY")
            .output()
            .await
            .expect("gantry runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
