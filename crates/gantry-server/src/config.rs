//! Server configuration: defaults, then a TOML file, then `GANTRY_*`
//! environment variables, then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use gantry_store::S3Settings;
use serde::{Deserialize, Serialize};

/// The effective configuration of `gantry serve`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the embedded database, blobs and scratch files live.
    pub data_dir: PathBuf,
    /// Metadata database; the default is `sqlite://<data_dir>/gantry.db`.
    pub database_url: Option<String>,
    /// Blob storage: local files under `<data_dir>/blobs` by default,
    /// `file:///PATH`, or `s3://BUCKET/PREFIX`.
    pub blob_store: Option<String>,
    /// Connection settings for an `s3://` blob store.
    pub s3: S3Settings,
    /// On first start with no API key at all, this key is created as a
    /// system key with full control (for automation and tests).
    pub bootstrap_api_key: Option<String>,
    /// At first start, an administrator user with this password is created
    /// (named [`Config::bootstrap_admin_user`]) in the Administrators group.
    pub bootstrap_admin_password: Option<String>,
    /// The name of the first start's administrator user.
    pub bootstrap_admin_user: String,
    /// At first start only: whether `Everyone` is granted "View & Download
    /// Packages" on all feeds. Afterwards permissions decide.
    pub anonymous_read: bool,
    /// The largest package upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Seconds between blob sweeps.
    pub sweep_interval_secs: u64,
    /// Seconds an unreferenced blob is kept before the sweep deletes it.
    pub blob_grace_secs: u64,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// The URL clients reach this server at (`https://packages.example.com`),
    /// used in the absolute links of package protocols (NuGet service
    /// index, npm tarball URLs). Unset: taken from each request's `Host`.
    pub public_url: Option<String>,
    /// Seconds a client may take to send a request head; a keep-alive
    /// connection idle this long is closed too.
    pub header_read_timeout_secs: u64,
    /// Seconds a client may leave a request body without its next piece,
    /// or a response without taking its next piece.
    pub idle_timeout_secs: u64,
    /// Connections served at once; more wait until one closes.
    pub max_connections: usize,
    /// Addresses or networks (`10.0.0.0/8`, `::1`) of reverse proxies whose
    /// `X-Forwarded-For` names the client. From any other peer the header
    /// is ignored: the peer itself is the client.
    pub trusted_proxies: Vec<String>,
    /// Seconds a web UI session lasts without being used (8 hours).
    pub session_idle_secs: u64,
    /// Seconds a web UI session lasts at most, used or not (24 hours):
    /// a stolen session cookie does not work forever.
    pub session_max_secs: u64,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8624";

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8624)),
            data_dir: PathBuf::from("./gantry-data"),
            database_url: None,
            blob_store: None,
            s3: S3Settings::default(),
            bootstrap_api_key: None,
            bootstrap_admin_password: None,
            bootstrap_admin_user: "Admin".into(),
            anonymous_read: true,
            max_upload_bytes: 16 * 1024 * 1024 * 1024,
            sweep_interval_secs: 3600,
            blob_grace_secs: 3600,
            log_format: LogFormat::Text,
            public_url: None,
            header_read_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 4096,
            trusted_proxies: Vec::new(),
            session_idle_secs: 8 * 3600,
            session_max_secs: 24 * 3600,
        }
    }
}

/// Values given on the command line or in the environment; `None` keeps
/// the value from the file or the default.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub blob_store: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    pub s3_allow_http: Option<bool>,
    pub s3_virtual_hosted_style: Option<bool>,
    pub bootstrap_api_key: Option<String>,
    pub bootstrap_admin_password: Option<String>,
    pub bootstrap_admin_user: Option<String>,
    pub anonymous_read: Option<bool>,
    pub max_upload_bytes: Option<u64>,
    pub log_format: Option<LogFormat>,
    pub public_url: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub max_connections: Option<usize>,
}

/// The configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads the file (if any) and applies the overrides.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_path_buf(),
                    source,
                })?
            }
            None => Config::default(),
        };
        let Overrides {
            listen,
            data_dir,
            database_url,
            blob_store,
            s3_endpoint,
            s3_region,
            s3_access_key_id,
            s3_secret_access_key,
            s3_allow_http,
            s3_virtual_hosted_style,
            bootstrap_api_key,
            bootstrap_admin_password,
            bootstrap_admin_user,
            anonymous_read,
            max_upload_bytes,
            log_format,
            public_url,
            trusted_proxies,
            max_connections,
        } = overrides;
        for (value, slot) in [
            (s3_endpoint, &mut config.s3.endpoint),
            (s3_region, &mut config.s3.region),
            (s3_access_key_id, &mut config.s3.access_key_id),
            (s3_secret_access_key, &mut config.s3.secret_access_key),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
        if let Some(v) = s3_allow_http {
            config.s3.allow_http = v;
        }
        if let Some(v) = s3_virtual_hosted_style {
            config.s3.virtual_hosted_style = v;
        }
        if let Some(v) = listen {
            config.listen = v;
        }
        if let Some(v) = data_dir {
            config.data_dir = v;
        }
        if database_url.is_some() {
            config.database_url = database_url;
        }
        if blob_store.is_some() {
            config.blob_store = blob_store;
        }
        if bootstrap_api_key.is_some() {
            config.bootstrap_api_key = bootstrap_api_key;
        }
        if bootstrap_admin_password.is_some() {
            config.bootstrap_admin_password = bootstrap_admin_password;
        }
        if let Some(v) = bootstrap_admin_user {
            config.bootstrap_admin_user = v;
        }
        if let Some(v) = anonymous_read {
            config.anonymous_read = v;
        }
        if let Some(v) = max_upload_bytes {
            config.max_upload_bytes = v;
        }
        if let Some(v) = log_format {
            config.log_format = v;
        }
        if public_url.is_some() {
            config.public_url = public_url;
        }
        if let Some(v) = trusted_proxies {
            config.trusted_proxies = v;
        }
        if let Some(v) = max_connections {
            config.max_connections = v;
        }
        crate::auth::client_address::TrustedProxies::parse(&config.trusted_proxies)
            .map_err(ConfigError::Invalid)?;
        for (name, value) in [
            ("header_read_timeout_secs", config.header_read_timeout_secs),
            ("idle_timeout_secs", config.idle_timeout_secs),
            ("max_connections", config.max_connections as u64),
            ("session_idle_secs", config.session_idle_secs),
            ("session_max_secs", config.session_max_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
            }
        }
        if let Some(url) = &mut config.public_url {
            let trimmed = url.trim_end_matches('/');
            if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "public_url '{url}' must start with http:// or https://"
                )));
            }
            *url = trimmed.to_owned();
        }
        Ok(config)
    }

    /// The limits every connection is served with.
    pub fn connection_limits(&self) -> crate::connections::ConnectionLimits {
        crate::connections::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_secs),
            max_connections: self.max_connections,
        }
    }

    /// The database URL in effect.
    pub fn effective_database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("gantry.db").display()))
    }

    /// The configuration as TOML with every secret hidden, for `gantry config show`.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = Some(gantry_store::sql::redact_url(&self.effective_database_url()));
        if shown.bootstrap_api_key.is_some() {
            shown.bootstrap_api_key = Some("********".into());
        }
        if shown.bootstrap_admin_password.is_some() {
            shown.bootstrap_admin_password = Some("********".into());
        }
        if shown.s3.secret_access_key.is_some() {
            shown.s3.secret_access_key = Some("********".into());
        }
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render configuration: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_overrides() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gantry.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/g\"\nanonymous_read = false\n",
        )
        .expect("write");
        let config = Config::load(
            Some(&path),
            Overrides {
                data_dir: Some("/override".into()),
                ..Overrides::default()
            },
        )
        .expect("loads");
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.data_dir, PathBuf::from("/override"));
        assert!(!config.anonymous_read);
    }

    #[test]
    fn public_url_is_checked_and_trimmed() {
        let load = |url: &str| {
            Config::load(
                None,
                Overrides {
                    public_url: Some(url.into()),
                    ..Overrides::default()
                },
            )
        };
        assert_eq!(
            load("https://pkgs.example.com/")
                .expect("valid")
                .public_url
                .as_deref(),
            Some("https://pkgs.example.com")
        );
        assert!(matches!(load("pkgs.example.com"), Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gantry.toml");
        std::fs::write(&path, "listn = \"x\"\n").expect("write");
        assert!(matches!(
            Config::load(Some(&path), Overrides::default()),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn secrets_are_redacted() {
        let config = Config {
            database_url: Some("postgres://g:hunter2@db/g".into()),
            bootstrap_api_key: Some("topsecretkey".into()),
            ..Config::default()
        };
        let shown = config.redacted_toml();
        assert!(
            !shown.contains("hunter2") && !shown.contains("topsecretkey"),
            "{shown}"
        );
        assert!(shown.contains("postgres://g:********@db/g"));
    }

    #[test]
    fn default_database_is_sqlite_in_data_dir() {
        let url = Config::default().effective_database_url();
        assert!(
            url.starts_with("sqlite://") && url.contains("gantry-data"),
            "{url}"
        );
    }
}
