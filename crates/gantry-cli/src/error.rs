//! Errors and the exit codes scripts can rely on.

use std::process::ExitCode;

/// Why a command failed; each kind has its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line or the configuration is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The server wants credentials, or refused the ones given (exit 3).
    #[error("{0}")]
    Auth(String),
    /// What the command names does not exist (exit 4).
    #[error("{0}")]
    NotFound(String),
    /// The change clashes with what the server holds (exit 5).
    #[error("{0}")]
    Conflict(String),
    /// The server refused the request as invalid, or failed (exit 6).
    #[error("{0}")]
    Server(String),
    /// The server could not be reached, or the transfer broke (exit 7).
    #[error("{0}")]
    Network(String),
    /// A local file could not be read or written (exit 1).
    #[error("{0}")]
    Io(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Io(_) => 1,
            Self::Usage(_) => 2,
            Self::Auth(_) => 3,
            Self::NotFound(_) => 4,
            Self::Conflict(_) => 5,
            Self::Server(_) => 6,
            Self::Network(_) => 7,
        })
    }

    /// The error for an HTTP answer that is not a success, with the
    /// server's reason.
    pub fn from_status(status: reqwest::StatusCode, body: &str) -> Self {
        let reason = reason_of(body);
        let message = if reason.is_empty() {
            format!("the server answered {status}")
        } else {
            format!("{reason} ({status})")
        };
        match status.as_u16() {
            401 | 403 => Self::Auth(message),
            404 => Self::NotFound(message),
            409 => Self::Conflict(message),
            _ => Self::Server(message),
        }
    }
}

/// The reason in an error body: plain text as ProGet-style endpoints send
/// it, or the `error`/`message` field of a JSON one.
fn reason_of(body: &str) -> String {
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(body) {
        for key in ["error", "message", "reason"] {
            if let Some(text) = fields.get(key).and_then(serde_json::Value::as_str) {
                return text.to_owned();
            }
        }
    }
    body.trim().chars().take(2000).collect()
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

/// A command's outcome.
pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds_with_the_servers_reason() {
        let e = CliError::from_status(reqwest::StatusCode::NOT_FOUND, "Feed 'x' was not found.");
        assert!(matches!(&e, CliError::NotFound(m) if m.starts_with("Feed 'x' was not found.")));
        let e = CliError::from_status(reqwest::StatusCode::FORBIDDEN, r#"{"error":"no"}"#);
        assert!(matches!(&e, CliError::Auth(m) if m.starts_with("no ")));
        assert!(matches!(
            CliError::from_status(reqwest::StatusCode::CONFLICT, ""),
            CliError::Conflict(_)
        ));
        assert!(matches!(
            CliError::from_status(reqwest::StatusCode::BAD_REQUEST, "bad"),
            CliError::Server(_)
        ));
    }
}
