//! The HTTP side: which server and credentials a command uses, and turning
//! answers into results.

use std::fmt::Write as _;

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use crate::config::{config_path, Config, Source, DEFAULT_SOURCE};
use crate::error::{CliError, CliResult};
use crate::GlobalArgs;

/// A server to talk to, with the credentials to use.
pub struct Client {
    http: reqwest::Client,
    /// The resolved source (URL, default feed, credentials).
    pub source: Source,
}

impl Client {
    /// The source the global options name: `--source` as a URL or a source
    /// name (default `Default`), with `--api-key`, `--username` and
    /// `--password` taking precedence over the stored credentials.
    pub fn from_args(global: &GlobalArgs) -> CliResult<Self> {
        let mut source = match global.source.as_deref() {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => Source {
                name: url.to_owned(),
                url: url.to_owned(),
                ..Source::default()
            },
            named => {
                let name = named.unwrap_or(DEFAULT_SOURCE);
                let path = config_path()?;
                Config::load(&path)?.find(name).cloned().ok_or_else(|| {
                    CliError::Usage(format!(
                        "there is no source named '{name}' in {}; add one with \
                         `gantry sources add --name={name} --url=https://...` or pass --source=URL",
                        path.display()
                    ))
                })?
            }
        };
        if let Some(key) = &global.api_key {
            source.api_key = Some(key.clone());
            source.username = None;
            source.password = None;
        }
        if let Some(user) = &global.username {
            source.username = Some(user.clone());
            source.password.clone_from(&global.password);
            source.api_key = None;
        }
        Ok(Self::new(source))
    }

    /// A client for `source` as it is.
    pub fn new(source: Source) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("gantry-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { http, source }
    }

    /// The feed a command works on: `--feed`, else the source's default feed.
    pub fn feed(&self, explicit: Option<&str>) -> CliResult<String> {
        explicit
            .map(str::to_owned)
            .or_else(|| self.source.feed.clone())
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--feed is required (source '{}' has no default feed)",
                    self.source.name
                ))
            })
    }

    /// A request to `path` (starting with `/`) on the source's server, with
    /// its credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}{path}", self.source.url.trim_end_matches('/'));
        let request = self.http.request(method, url);
        match (&self.source.api_key, &self.source.username) {
            (Some(key), _) => request.header("X-ApiKey", key),
            (None, Some(user)) => request.basic_auth(user, self.source.password.as_ref()),
            (None, None) => request,
        }
    }

    /// Sends a request; any answer but a success is an error with the
    /// server's reason.
    pub async fn send(&self, request: RequestBuilder) -> CliResult<Response> {
        let response = request.send().await.map_err(|e| self.network(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        Err(CliError::from_status(status, &body))
    }

    /// Sends a request and reads a JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> CliResult<T> {
        let response = self.send(request).await?;
        response
            .json()
            .await
            .map_err(|e| CliError::Server(format!("the server's answer could not be read: {e}")))
    }

    /// GETs `path` and reads its JSON answer.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> CliResult<T> {
        self.json(self.request(Method::GET, path)).await
    }

    /// POSTs `body` as JSON to `path` and reads the JSON answer.
    pub async fn post_json<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value) -> CliResult<T> {
        self.json(self.request(Method::POST, path).json(body)).await
    }

    /// A transport failure, naming the server.
    pub fn network(&self, e: &reqwest::Error) -> CliError {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            reason = format!("{reason}: {cause}");
            source = cause.source();
        }
        CliError::Network(format!("{}: {reason}", self.source.url))
    }
}

/// A name as one URL path segment (percent-encoding all but unreserved characters).
pub fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(path_segment("my feed/x"), "my%20feed%2Fx");
        assert_eq!(path_segment("approved-1.0_x~"), "approved-1.0_x~");
    }
}
