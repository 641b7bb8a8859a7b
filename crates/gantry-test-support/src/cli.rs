//! What the real-client wrappers ([`crate::NuGetCli`], [`crate::NpmCli`])
//! share: the output of one command, and how its exit status is read.

/// What a client command printed, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliOutput {
    /// The exit code (128 + signal when killed by one).
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// Whether it exited with 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// Panics, showing both streams, unless it exited with 0.
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "the client failed: {self}");
        self
    }

    /// Panics, showing both streams, if it exited with 0.
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "the client succeeded unexpectedly: {self}");
        self
    }

    /// The output of a finished process.
    pub fn from_output(output: &std::process::Output) -> CliOutput {
        CliOutput {
            status: exit_code(output.status),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for CliOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// The exit code, or 128 + the signal that ended the process.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}

/// Whether a missing client must fail a test rather than skip it: on CI
/// (`CI`) or when `GANTRY_REQUIRE_CLIENTS` is set (to anything but empty,
/// `0` or `false`).
pub(crate) fn clients_required() -> bool {
    ["CI", "GANTRY_REQUIRE_CLIENTS"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false")))
}
