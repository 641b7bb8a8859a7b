//! Sources: the servers the client talks to, kept in
//! `$XDG_CONFIG_HOME/gantry/config.toml` (`~/.config/gantry/config.toml`),
//! a file only its owner may read, since it holds keys and passwords.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};

/// The source used when `--source` is not given.
pub const DEFAULT_SOURCE: &str = "Default";

/// One server, with its default feed and credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Its name (`Default` is used when no `--source` is given).
    pub name: String,
    /// The server's base URL.
    pub url: String,
    /// The feed `--feed` defaults to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    /// An API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// A user name (with `password`), instead of a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user's password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// The configuration file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The sources, in the order they were added.
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// Where the configuration lives: `$XDG_CONFIG_HOME/gantry/config.toml`,
/// else `$HOME/.config/gantry/config.toml`.
pub fn config_path() -> CliResult<PathBuf> {
    config_dir().map(|dir| dir.join("gantry").join("config.toml"))
}

/// Where pgutil keeps its sources on this system (.NET's application data
/// folder: `$XDG_CONFIG_HOME`, else `~/.config`).
pub fn pgutil_config_path() -> CliResult<PathBuf> {
    config_dir().map(|dir| dir.join("pgutil").join("pgutil.config"))
}

fn config_dir() -> CliResult<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".config"))
        .ok_or_else(|| {
            CliError::Usage("neither XDG_CONFIG_HOME nor HOME is set: no place for the configuration".into())
        })
}

impl Config {
    /// Reads the configuration; an absent file is an empty configuration.
    pub fn load(path: &Path) -> CliResult<Self> {
        match fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                CliError::Usage(format!("{} is not a valid configuration: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(CliError::Io(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Writes the configuration, readable by its owner only, replacing the
    /// file atomically.
    pub fn save(&self, path: &Path) -> CliResult<()> {
        let dir = path
            .parent()
            .ok_or_else(|| CliError::Io(format!("{} has no folder", path.display())))?;
        fs::create_dir_all(dir).map_err(|e| CliError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let text = toml::to_string_pretty(self).map_err(|e| CliError::Io(e.to_string()))?;
        let temp = path.with_extension("toml.tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options
            .open(&temp)
            .map_err(|e| CliError::Io(format!("cannot write {}: {e}", temp.display())))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&temp, fs::Permissions::from_mode(0o600))?;
        }
        fs::rename(&temp, path).map_err(|e| CliError::Io(format!("cannot replace {}: {e}", path.display())))
    }

    /// The source named `name` (ignoring case).
    pub fn find(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Adds a source, or replaces the one of the same name.
    pub fn upsert(&mut self, source: Source) {
        match self
            .sources
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(&source.name))
        {
            Some(existing) => *existing = source,
            None => self.sources.push(source),
        }
    }

    /// Removes a source; false when there was none of that name.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.sources.len();
        self.sources.retain(|s| !s.name.eq_ignore_ascii_case(name));
        self.sources.len() != before
    }
}

/// A pgutil configuration file, as pgutil writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PgutilConfig {
    #[serde(default)]
    sources: Vec<PgutilSource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PgutilSource {
    name: String,
    url: String,
    default_feed: Option<String>,
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    encrypted_password: Option<String>,
    encrypted_token: Option<String>,
}

/// pgutil's fixed obfuscation key: it hides secrets from a casual look at
/// the file and is not encryption; it is needed to read them back.
const PGUTIL_KEY: [u8; 16] = [
    207, 133, 227, 29, 231, 23, 59, 35, 79, 120, 240, 230, 231, 15, 243, 173,
];

/// Reads the sources of a pgutil configuration file, with their secrets.
pub fn read_pgutil(path: &Path) -> CliResult<Vec<Source>> {
    let text =
        fs::read_to_string(path).map_err(|e| CliError::Io(format!("cannot read {}: {e}", path.display())))?;
    // pgutil writes with a byte order mark on Windows.
    let config: PgutilConfig = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| CliError::Usage(format!("{} is not a pgutil configuration: {e}", path.display())))?;
    config
        .sources
        .into_iter()
        .map(|s| {
            let password = secret(s.password, s.encrypted_password.as_deref(), &s.name)?;
            let token = secret(s.token, s.encrypted_token.as_deref(), &s.name)?;
            Ok(Source {
                name: s.name,
                url: s.url,
                feed: s.default_feed.filter(|f| !f.is_empty()),
                api_key: token,
                username: s.username.filter(|u| !u.is_empty()),
                password,
            })
        })
        .collect()
}

fn secret(plain: Option<String>, obfuscated: Option<&str>, source: &str) -> CliResult<Option<String>> {
    if let Some(plain) = plain.filter(|p| !p.is_empty()) {
        return Ok(Some(plain));
    }
    let Some(obfuscated) = obfuscated else {
        return Ok(None);
    };
    reveal(obfuscated).map(Some).ok_or_else(|| {
        CliError::Usage(format!(
            "source '{source}': a pgutil secret could not be read back"
        ))
    })
}

/// Undoes pgutil's obfuscation: base64 of a 16-byte IV followed by the
/// AES-128-CBC (PKCS#7) ciphertext.
fn reveal(obfuscated: &str) -> Option<String> {
    use aes::cipher::{BlockDecryptMut, KeyIvInit};
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .decode(obfuscated)
        .ok()?;
    if data.len() < 32 {
        return None;
    }
    let (iv, ciphertext) = data.split_at(16);
    let decryptor = cbc::Decryptor::<aes::Aes128>::new_from_slices(&PGUTIL_KEY, iv).ok()?;
    let plain = decryptor
        .decrypt_padded_vec_mut::<aes::cipher::block_padding::Pkcs7>(ciphertext)
        .ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What pgutil writes for a secret, made the way it makes it.
    fn obfuscate(secret: &str, iv: [u8; 16]) -> String {
        use aes::cipher::{BlockEncryptMut, KeyIvInit};
        use base64::Engine as _;
        let encryptor = cbc::Encryptor::<aes::Aes128>::new_from_slices(&PGUTIL_KEY, &iv).expect("key and iv");
        let mut data = iv.to_vec();
        data.extend(encryptor.encrypt_padded_vec_mut::<aes::cipher::block_padding::Pkcs7>(secret.as_bytes()));
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    #[test]
    fn pgutil_sources_import_with_plain_and_obfuscated_secrets() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pgutil.config");
        let config = serde_json::json!({"sources": [
            {"name": "Default", "url": "https://proget.example", "defaultFeed": "approved",
             "encryptedToken": obfuscate("key-123", [7; 16])},
            {"name": "legacy", "url": "http://old.example", "username": "ci", "password": "pw"},
            {"name": "ops", "url": "http://ops.example", "username": "ops",
             "encryptedPassword": obfuscate("s3cret with a longer text", [1; 16])},
        ]});
        fs::write(&path, format!("\u{feff}{config}")).expect("write");
        let sources = read_pgutil(&path).expect("imported");
        assert_eq!(sources[0].api_key.as_deref(), Some("key-123"));
        assert_eq!(sources[0].feed.as_deref(), Some("approved"));
        assert_eq!(
            (sources[1].username.as_deref(), sources[1].password.as_deref()),
            (Some("ci"), Some("pw"))
        );
        assert_eq!(sources[2].password.as_deref(), Some("s3cret with a longer text"));
        assert!(reveal("bm90IGEgc2VjcmV0").is_none());
    }

    #[test]
    fn the_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gantry").join("config.toml");
        let mut config = Config::default();
        config.upsert(Source {
            name: "Default".into(),
            url: "http://localhost:8624".into(),
            api_key: Some("k".into()),
            ..Source::default()
        });
        config.upsert(Source {
            name: "default".into(),
            url: "http://other:8624".into(),
            ..Source::default()
        });
        assert_eq!(config.sources.len(), 1);
        config.save(&path).expect("saved");
        assert_eq!(Config::load(&path).expect("loaded"), config);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(config.remove("DEFAULT"));
        assert!(!config.remove("DEFAULT"));
    }
}
