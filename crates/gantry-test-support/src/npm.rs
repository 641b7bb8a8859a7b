//! npm packages for tests, and the real npm client.
//!
//! [`write_package`] writes a publishable package folder, [`npm_tarball`]
//! the `.tgz` `npm pack` (npm 11) makes of it, and [`publish_document`] the
//! JSON body `npm publish` sends for it. [`NpmCli`] runs the machine's own
//! `npm` (node 20 / npm 11) with a home, configuration and cache of its own.

use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha512};

use crate::cli::clients_required;
pub use crate::cli::CliOutput;

/// The modification time `npm pack` gives every entry (node-tar's portable
/// mode): 1985-10-26T08:15:00Z.
pub const NPM_PACK_MTIME: u64 = 499_162_500;

/// The `readme` npm 11 puts in a published version without a README file.
pub const NO_README: &str = "ERROR: No README data found!";

/// The versions `npm publish` names in `_nodeVersion` and `_npmVersion`
/// (those of the machine's client, which [`publish_document`] imitates).
pub const NPM_NODE_VERSION: &str = "20.20.2";
pub const NPM_VERSION: &str = "11.19.1";

/// The `package.json` of [`write_package`] and [`npm_tarball`]: name,
/// version, description, `main: index.js`, license MIT and `dependencies`
/// (`(name, range)`, in the order given; `{}` when there are none), indented
/// by two spaces with a final newline, as `npm init` writes one.
pub fn package_json(name: &str, version: &str, dependencies: &[(&str, &str)]) -> String {
    let text = |value: &str| Value::from(value).to_string();
    let dependencies = if dependencies.is_empty() {
        "{}".to_owned()
    } else {
        let lines: Vec<String> = dependencies
            .iter()
            .map(|(dependency, range)| format!("    {}: {}", text(dependency), text(range)))
            .collect();
        format!("{{\n{}\n  }}", lines.join(",\n"))
    };
    format!(
        "{{\n  \"name\": {},\n  \"version\": {},\n  \"description\": {},\n  \"main\": \"index.js\",\n  \
         \"license\": \"MIT\",\n  \"dependencies\": {dependencies}\n}}\n",
        text(name),
        text(version),
        text(&format!("{name} {version}, a package of Gantry's tests.")),
    )
}

/// The `index.js` of [`write_package`] and [`npm_tarball`]:
/// `module.exports = "<name>@<version>";`.
pub fn index_js(name: &str, version: &str) -> String {
    format!("module.exports = {};\n", Value::from(format!("{name}@{version}")))
}

/// Writes a publishable package into `dir` (created if missing):
/// `package.json` ([`package_json`]) and `index.js` ([`index_js`]). Returns
/// `dir`, to run `npm publish` or `npm pack` in.
pub fn write_package(dir: &Path, name: &str, version: &str, dependencies: &[(&str, &str)]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    for (file, body) in [
        ("package.json", package_json(name, version, dependencies)),
        ("index.js", index_js(name, version)),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, body).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    dir.to_path_buf()
}

/// The `.tgz` `npm pack` makes of the folder [`write_package`] writes: a
/// gzip of a ustar archive holding `package/index.js` then
/// `package/package.json` (npm's order), regular files of mode 0644, no
/// owner, modified at [`NPM_PACK_MTIME`], no folder entries. The tar inside
/// is byte for byte the one npm 11 packs (node-tar's header encoding); the
/// gzip around it is not (another deflate implementation), so its
/// integrity differs from `npm pack`'s.
pub fn npm_tarball(name: &str, version: &str, dependencies: &[(&str, &str)]) -> Vec<u8> {
    let package_json = package_json(name, version, dependencies);
    let index_js = index_js(name, version);
    npm_tarball_with(&[
        ("package/index.js", index_js.as_bytes()),
        ("package/package.json", package_json.as_bytes()),
    ])
}

/// A `.tgz` laid out as [`npm_tarball`]'s, holding `entries` (`(path,
/// bytes)`) as regular files in the order given. Paths are written as
/// given, unchecked (`../x`, `/etc/x`, names without `package/` are all
/// kept): for tests of malformed packages. A path longer than 100 bytes is
/// split into the ustar prefix and name at a `/`; one that cannot be split
/// so (over 255 bytes) panics.
pub fn npm_tarball_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let header = node_tar_header(path, data.len() as u64);
        builder
            .append(&header, *data)
            .expect("append to an in-memory tar");
    }
    let tar = builder.into_inner().expect("finish an in-memory tar");
    // gzip's header as npm's (zlib, level 9): no name, no mtime, XFL 2, OS 255.
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&tar).expect("gzip in memory");
    gzip.finish().expect("gzip in memory")
}

/// The ustar header node-tar (npm 11's `npm pack`, portable mode) writes for
/// a regular file: numbers in octal ending with a space and a NUL, uid, gid
/// and owner names left empty (all NUL), the path as given.
fn node_tar_header(path: &str, size: u64) -> tar::Header {
    fn octal(field: &mut [u8], value: u64) {
        let digits = field.len() - 2;
        let text = format!("{value:0digits$o} ");
        assert!(
            text.len() < field.len(),
            "{value} does not fit a {}-byte tar field",
            field.len()
        );
        field[..text.len()].copy_from_slice(text.as_bytes());
    }
    let mut header = tar::Header::new_ustar();
    let bytes = header.as_mut_bytes();
    bytes.fill(0);
    set_raw_path(bytes, path);
    octal(&mut bytes[100..108], 0o644); // mode
    octal(&mut bytes[124..136], size);
    octal(&mut bytes[136..148], NPM_PACK_MTIME);
    bytes[156] = b'0'; // a regular file
    bytes[257..263].copy_from_slice(b"ustar\0");
    bytes[263..265].copy_from_slice(b"00");
    octal(&mut bytes[329..337], 0); // device major
    octal(&mut bytes[337..345], 0); // device minor
    bytes[148..156].fill(b' ');
    let checksum: u64 = bytes.iter().map(|&b| u64::from(b)).sum();
    bytes[148..156].fill(0);
    octal(&mut bytes[148..156], checksum);
    header
}

/// Puts `path` into the ustar name (and prefix) fields of a header byte for
/// byte, without the checks of `Header::set_path`.
fn set_raw_path(header: &mut [u8; 512], path: &str) {
    const NAME: usize = 100;
    const PREFIX: usize = 155;
    let bytes = path.as_bytes();
    if bytes.len() <= NAME {
        header[..bytes.len()].copy_from_slice(bytes);
        return;
    }
    let split = (0..bytes.len())
        .rfind(|&i| bytes[i] == b'/' && i <= PREFIX && bytes.len() - i - 1 <= NAME)
        .unwrap_or_else(|| panic!("{path:?} does not fit a ustar header (at most 155 + / + 100 bytes)"));
    header[345..345 + split].copy_from_slice(&bytes[..split]);
    header[..bytes.len() - split - 1].copy_from_slice(&bytes[split + 1..]);
}

/// The entries of a `.tgz` as `(path, bytes)`, in archive order; `None`
/// when it is not a gzipped tar.
pub fn tarball_entries(tarball: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    let mut found = Vec::new();
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).ok()?;
        found.push((path, body));
    }
    Some(found)
}

/// `sha512-<base64>`: the `dist.integrity` npm computes for a tarball.
pub fn npm_integrity(tarball: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(tarball))
    )
}

/// The lower-case hex SHA-1: the `dist.shasum` npm computes for a tarball.
pub fn npm_shasum(tarball: &[u8]) -> String {
    format!("{:x}", Sha1::digest(tarball))
}

/// The JSON body `npm publish` (npm 11) sends, in a `PUT <registry>/<name>`
/// (`/` of a scope encoded as `%2f`), to publish `tarball` as `name`
/// `version` under the dist-tag `tag`:
///
/// ```json
/// {"_id": name, "name": name, "description": ...,
///  "dist-tags": {tag: version},
///  "versions": {version: {<the tarball's package/package.json>, "name": name,
///     "version": version, "readme": "ERROR: No README data found!",
///     "_id": "name@version", "_nodeVersion": ..., "_npmVersion": ...,
///     "dist": {"integrity": "sha512-<base64>", "shasum": "<hex sha1>",
///              "tarball": "<registry>/<name>/-/<name>-<version>.tgz"}}},
///  "access": null,
///  "_attachments": {"<name>-<version>.tgz": {"content_type": "application/octet-stream",
///     "data": "<base64 of tarball>", "length": N}}}
/// ```
///
/// As npm does, the tarball file name and the attachment key use the full
/// name, scope included (`@scope/pkg-1.0.0.tgz`; the URL is then
/// `<registry>/@scope/pkg/-/@scope/pkg-1.0.0.tgz`). The version's manifest is
/// the `package/package.json` in `tarball` (npm sends the package.json it
/// packs) with `name` and `version` set to the ones given, so that a test can
/// make them disagree; a tarball without a readable one gives a manifest of
/// [`package_json`] without dependencies. A trailing `/` of `registry_url`
/// is dropped, as npm does.
pub fn publish_document(registry_url: &str, tarball: &[u8], name: &str, version: &str, tag: &str) -> Value {
    let mut manifest = tarball_entries(tarball)
        .and_then(|entries| {
            entries
                .into_iter()
                .find(|(path, _)| path == "package/package.json")
        })
        .and_then(|(_, body)| serde_json::from_slice::<Map<String, Value>>(&body).ok())
        .unwrap_or_else(|| {
            serde_json::from_str(&package_json(name, version, &[])).expect("package_json is JSON")
        });
    manifest.insert("name".into(), name.into());
    manifest.insert("version".into(), version.into());
    manifest.insert("readme".into(), NO_README.into());
    manifest.insert("_id".into(), format!("{name}@{version}").into());
    manifest.insert("_nodeVersion".into(), NPM_NODE_VERSION.into());
    manifest.insert("_npmVersion".into(), NPM_VERSION.into());
    let file_name = format!("{name}-{version}.tgz");
    manifest.insert(
        "dist".into(),
        json!({
            "integrity": npm_integrity(tarball),
            "shasum": npm_shasum(tarball),
            "tarball": format!("{}/{name}/-/{file_name}", registry_url.trim_end_matches('/')),
        }),
    );
    let description = manifest.get("description").cloned().unwrap_or(Value::Null);
    json!({
        "_id": name,
        "name": name,
        "description": description,
        "dist-tags": { tag: version },
        "versions": { version: manifest },
        "access": null,
        "_attachments": {
            file_name: {
                "content_type": "application/octet-stream",
                "data": base64::engine::general_purpose::STANDARD.encode(tarball),
                "length": tarball.len(),
            }
        }
    })
}

/// The lines of an `.npmrc` that point npm at `registry` (a trailing `/` is
/// added when missing) and, with a token, authenticate to it:
/// `registry=<url>` and `//<host:port/path/>:_authToken=<token>` (npm looks
/// the token up by that "nerf dart": the URL without its scheme).
pub fn npmrc_lines(registry: &str, token: Option<&str>) -> Vec<String> {
    let registry = if registry.ends_with('/') {
        registry.to_owned()
    } else {
        format!("{registry}/")
    };
    let mut lines = vec![format!("registry={registry}")];
    if let Some(token) = token {
        let nerf_dart = registry
            .split_once("://")
            .map_or(registry.as_str(), |(_, rest)| rest);
        lines.push(format!("//{nerf_dart}:_authToken={token}"));
    }
    lines
}

/// How long one npm command may run before it is killed.
pub const NPM_TIMEOUT: Duration = Duration::from_mins(3);

/// The machine's `npm` (and the `node` it runs on), isolated: a temporary
/// HOME holding its user configuration (`$HOME/.npmrc`, see
/// [`NpmCli::write_npmrc`]), an empty global configuration (the machine's
/// `/usr/etc/npmrc` does not apply), its cache (`$HOME/.npm`) and its global
/// prefix (`$HOME/.npm-global`, so `-g` never touches the machine), and a
/// temporary project folder it runs in. Nothing is shared between
/// instances or taken from the machine's environment but `PATH`.
pub struct NpmCli {
    npm: PathBuf,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl NpmCli {
    /// The `npm` on `PATH`, with a fresh home and project folder; panics
    /// when `npm` or `node` is not on `PATH`.
    pub fn new() -> NpmCli {
        let npm = on_path("npm").unwrap_or_else(|| {
            panic!("npm is not on PATH: the npm client tests need node 20+ and npm 11 (Debian: apt-get install npm)")
        });
        assert!(
            on_path("node").is_some(),
            "node is not on PATH ({} needs it): the npm client tests need node 20+",
            npm.display()
        );
        let cli = NpmCli {
            npm,
            home: tempfile::tempdir().expect("temp dir"),
            work: tempfile::tempdir().expect("temp dir"),
            env: Vec::new(),
        };
        cli.write_npmrc(&[]);
        std::fs::write(cli.global_config(), "").expect("write the global npmrc");
        cli
    }

    /// [`NpmCli::new`] when `npm` and `node` are on `PATH`; otherwise `None`
    /// so that a test can skip — except on CI (`CI`) or when
    /// `GANTRY_REQUIRE_CLIENTS` is set, where it panics as `new` does.
    pub fn from_env() -> Option<NpmCli> {
        if clients_required() || (on_path("npm").is_some() && on_path("node").is_some()) {
            Some(Self::new())
        } else {
            None
        }
    }

    /// The HOME it runs with.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The project folder it runs in ([`NpmCli::run`]).
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// Its user configuration (`npm_config_userconfig`): `$HOME/.npmrc`.
    pub fn userconfig(&self) -> PathBuf {
        self.home().join(".npmrc")
    }

    /// Its global configuration (`npm_config_globalconfig`), empty.
    pub fn global_config(&self) -> PathBuf {
        self.home().join(".npmrc-global")
    }

    /// Its cache (`npm_config_cache`): `$HOME/.npm`.
    pub fn cache_dir(&self) -> PathBuf {
        self.home().join(".npm")
    }

    /// Replaces its user configuration with `lines` (see [`npmrc_lines`]).
    pub fn write_npmrc(&self, lines: &[String]) {
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(self.userconfig(), text).expect("write the user npmrc");
    }

    /// Sets an environment variable for the commands it runs, replacing one
    /// of its defaults of the same name (`npm_config_loglevel=warn`,
    /// `npm_config_audit=false`, `npm_config_fund=false`,
    /// `npm_config_update_notifier=false`). npm ranks the environment above
    /// the `.npmrc` files and below command-line flags, so a flag
    /// (`--loglevel=silly`) overrides the defaults too.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(existing, _)| existing != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// Runs `npm <args>` in the project folder; see [`NpmCli::run_in`].
    pub async fn run(&self, args: &[&str]) -> CliOutput {
        self.run_in(self.work_dir(), args).await
    }

    /// Runs `npm <args>` in `dir`, with only this client's home,
    /// configuration and cache in its environment, and waits for it (at
    /// most [`NPM_TIMEOUT`], then kills it and panics).
    pub async fn run_in(&self, dir: &Path, args: &[&str]) -> CliOutput {
        let mut command = self.command(&self.npm.display().to_string());
        command.args(args);
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let line = format!("npm {} (in {})", args.join(" "), dir.display());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{line}` with {}: {e}", self.npm.display()));
        // On timeout the child is dropped, which kills it.
        let output = tokio::time::timeout(NPM_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`{line}` did not finish within {NPM_TIMEOUT:?}; killed"))
            .unwrap_or_else(|e| panic!("`{line}`: {e}"));
        CliOutput::from_output(&output)
    }
}

impl NpmCli {
    /// A command for `program` with this client's environment (home,
    /// configuration, cache) and nothing else of the machine's but `PATH`;
    /// for running npm through a wrapper such as `script` (a pseudo-terminal).
    pub fn command(&self, program: &str) -> tokio::process::Command {
        let home = self.home();
        let mut command = tokio::process::Command::new(program);
        command
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", home)
            .env("TMPDIR", std::env::temp_dir())
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("NO_UPDATE_NOTIFIER", "1")
            .env("npm_config_userconfig", self.userconfig())
            .env("npm_config_globalconfig", self.global_config())
            .env("npm_config_cache", self.cache_dir())
            .env("npm_config_prefix", home.join(".npm-global"))
            .env("npm_config_update_notifier", "false")
            .env("npm_config_fund", "false")
            .env("npm_config_audit", "false")
            .env("npm_config_loglevel", "warn");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command.current_dir(self.work_dir());
        command
    }
}

impl Default for NpmCli {
    fn default() -> Self {
        Self::new()
    }
}

/// The first executable file named `program` in a folder of `PATH`.
fn on_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

/// A throw-away Verdaccio (the npm registry `bench/install-verdaccio`
/// installs; its path is `GANTRY_TEST_VERDACCIO`, printed by
/// `scripts/test-setup`) on 127.0.0.1 with a free port, its own storage
/// folder, no uplinks, and one htpasswd user ([`Verdaccio::USER`]) who may
/// publish. Killed when stopped or dropped.
pub struct Verdaccio {
    child: Option<tokio::process::Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Verdaccio {
    /// The user that may publish, and its password.
    pub const USER: &'static str = "tester";
    pub const PASSWORD: &'static str = "gantry-tests";

    /// The Verdaccio executable (`GANTRY_TEST_VERDACCIO`), when set.
    pub fn bin() -> Option<PathBuf> {
        std::env::var_os("GANTRY_TEST_VERDACCIO")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    /// [`Verdaccio::start`] when `GANTRY_TEST_VERDACCIO` is set; otherwise
    /// `None` so that a test can skip — except on CI (`CI`) or when
    /// `GANTRY_REQUIRE_CLIENTS` is set, where it panics.
    pub async fn from_env() -> Option<Verdaccio> {
        match Self::bin() {
            Some(bin) => Some(Self::start(&bin).await),
            None if clients_required() => {
                panic!("GANTRY_TEST_VERDACCIO is not set: run scripts/test-setup and export what it prints")
            }
            None => None,
        }
    }

    /// Starts Verdaccio (`node <bin>`) and waits until it answers `/-/ping`.
    pub async fn start(bin: &Path) -> Verdaccio {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha1::digest(Self::PASSWORD));
        std::fs::write(
            dir.path().join("htpasswd"),
            format!("{}:{{SHA}}{digest}:autocreated\n", Self::USER),
        )
        .expect("write htpasswd");
        let config = format!(
            "storage: {storage}\n\
             auth:\n  htpasswd:\n    file: {htpasswd}\n    max_users: -1\n\
             uplinks: {{}}\n\
             packages:\n  '@*/*':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n\
             \x20 '**':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n\
             listen: 127.0.0.1:{port}\n\
             log: {{ type: stdout, format: pretty, level: warn }}\n",
            storage = dir.path().join("storage").display(),
            htpasswd = dir.path().join("htpasswd").display(),
        );
        let config_path = dir.path().join("config.yaml");
        std::fs::write(&config_path, config).expect("write config.yaml");
        let log = std::fs::File::create(dir.path().join("verdaccio.log")).expect("log file");
        let log_err = log.try_clone().expect("log file");
        let child = tokio::process::Command::new("node")
            .arg(bin)
            .arg("--config")
            .arg(&config_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Verdaccio ({}): {e}", bin.display()));
        let verdaccio = Verdaccio {
            child: Some(child),
            port,
            dir,
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            let answered = client
                .get(verdaccio.url("/-/ping"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if answered {
                return verdaccio;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "Verdaccio did not answer on port {port} within 30 s: {}",
            std::fs::read_to_string(verdaccio.dir.path().join("verdaccio.log")).unwrap_or_default()
        );
    }

    /// The registry URL with `path` appended (`url("/")` is the registry root).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `.npmrc` lines pointing npm at this Verdaccio as its user.
    pub fn npmrc(&self) -> Vec<String> {
        let auth =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", Self::USER, Self::PASSWORD));
        vec![
            format!("registry={}", self.url("/")),
            format!("//127.0.0.1:{}/:_auth={auth}", self.port),
        ]
    }

    /// Kills it and waits until it is gone.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(tarball: &[u8]) -> Vec<(String, u32, u64, tar::EntryType)> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
        archive
            .entries()
            .expect("a tar")
            .map(|entry| {
                let entry = entry.expect("entry");
                let header = entry.header();
                (
                    String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                    header.mode().expect("mode"),
                    header.mtime().expect("mtime"),
                    header.entry_type(),
                )
            })
            .collect()
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("gzip");
        out
    }

    #[test]
    fn the_tarball_holds_package_json_and_index_js_as_npm_pack_does() {
        let tarball = npm_tarball("left-pad", "1.3.0", &[("other", "^2.0.0")]);
        // gzip, no file name, no time, maximum compression, unknown OS: npm's header.
        assert_eq!(tarball[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
        let entries = tarball_entries(&tarball).expect("a .tgz");
        let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["package/index.js", "package/package.json"]);
        let manifest: Value = serde_json::from_slice(&entries[1].1).expect("package.json is JSON");
        assert_eq!(manifest["name"], "left-pad");
        assert_eq!(manifest["version"], "1.3.0");
        assert_eq!(manifest["main"], "index.js");
        assert_eq!(manifest["license"], "MIT");
        assert_eq!(manifest["dependencies"], json!({"other": "^2.0.0"}));
        assert_eq!(entries[0].1, b"module.exports = \"left-pad@1.3.0\";\n");
        for (_, mode, mtime, kind) in headers(&tarball) {
            assert_eq!(
                (mode, mtime, kind),
                (0o644, NPM_PACK_MTIME, tar::EntryType::Regular)
            );
        }
    }

    #[test]
    fn the_publish_document_describes_the_tarball() {
        let tarball = npm_tarball("left-pad", "1.3.0", &[("other", "^2.0.0")]);
        let document = publish_document(
            "http://127.0.0.1:1/npm/feed/",
            &tarball,
            "left-pad",
            "1.3.0",
            "beta",
        );
        let version = &document["versions"]["1.3.0"];
        let sha512 = base64::engine::general_purpose::STANDARD
            .decode(
                version["dist"]["integrity"]
                    .as_str()
                    .expect("integrity")
                    .strip_prefix("sha512-")
                    .expect("a sha512 integrity"),
            )
            .expect("base64");
        assert_eq!(sha512, Sha512::digest(&tarball).to_vec());
        assert_eq!(version["dist"]["shasum"], format!("{:x}", Sha1::digest(&tarball)));
        assert_eq!(
            version["dist"]["tarball"],
            "http://127.0.0.1:1/npm/feed/left-pad/-/left-pad-1.3.0.tgz"
        );
        let attachment = &document["_attachments"]["left-pad-1.3.0.tgz"];
        let data = base64::engine::general_purpose::STANDARD
            .decode(attachment["data"].as_str().expect("data"))
            .expect("base64");
        assert_eq!(data, tarball);
        assert_eq!(attachment["length"], tarball.len());
        assert_eq!(attachment["content_type"], "application/octet-stream");
        assert_eq!(document["_id"], "left-pad");
        assert_eq!(document["name"], "left-pad");
        assert_eq!(document["dist-tags"], json!({"beta": "1.3.0"}));
        assert_eq!(document["access"], Value::Null);
        assert_eq!(document["description"], version["description"]);
        assert_eq!(version["_id"], "left-pad@1.3.0");
        assert_eq!(version["dependencies"], json!({"other": "^2.0.0"}));
        assert_eq!(version["main"], "index.js");
        assert_eq!(version["license"], "MIT");
    }

    #[test]
    fn a_scoped_publish_document_keeps_the_scope_in_file_names_as_npm_does() {
        let tarball = npm_tarball("@scope/pkg", "2.0.0", &[]);
        let document = publish_document("http://r", &tarball, "@scope/pkg", "2.0.0", "latest");
        assert_eq!(
            document["versions"]["2.0.0"]["dist"]["tarball"],
            "http://r/@scope/pkg/-/@scope/pkg-2.0.0.tgz"
        );
        assert!(document["_attachments"]["@scope/pkg-2.0.0.tgz"].is_object());
        assert_eq!(document["versions"]["2.0.0"]["dependencies"], json!({}));
    }

    #[test]
    fn the_publish_document_says_what_it_is_told_even_against_the_tarball() {
        let tarball = npm_tarball_with(&[("package/index.js", b"")]);
        let document = publish_document("http://r", &tarball, "b", "2.0.0", "latest");
        assert_eq!(document["versions"]["2.0.0"]["name"], "b");
        let tarball = npm_tarball("a", "1.0.0", &[]);
        let document = publish_document("http://r", &tarball, "b", "2.0.0", "latest");
        assert_eq!(document["versions"]["2.0.0"]["name"], "b");
        assert_eq!(document["versions"]["2.0.0"]["version"], "2.0.0");
    }

    #[test]
    fn tarball_with_keeps_unsafe_and_long_paths() {
        let long = format!("package/{}/{}", "d".repeat(120), "f".repeat(90));
        let tarball = npm_tarball_with(&[
            ("../escape.js", b"1"),
            ("/abs.js", b"2"),
            (long.as_str(), b"3"),
            ("not-package/package.json", b"{}"),
        ]);
        let entries = tarball_entries(&tarball).expect("a .tgz");
        let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "../escape.js",
                "/abs.js",
                long.as_str(),
                "not-package/package.json"
            ]
        );
        assert_eq!(entries[2].1, b"3");
    }

    #[test]
    fn npmrc_lines_name_the_token_by_its_nerf_dart() {
        assert_eq!(
            npmrc_lines("http://127.0.0.1:8080/npm/feed", Some("t0k")),
            [
                "registry=http://127.0.0.1:8080/npm/feed/",
                "//127.0.0.1:8080/npm/feed/:_authToken=t0k"
            ]
        );
        assert_eq!(npmrc_lines("http://h/", None), ["registry=http://h/"]);
    }

    /// The wrapper's npm reads its own `.npmrc`, not the machine's, and
    /// `npm pack` of a [`write_package`] folder gives the entries, contents
    /// and metadata of [`npm_tarball`].
    #[tokio::test]
    async fn the_real_npm_is_isolated_and_packs_what_npm_tarball_builds() {
        let Some(cli) = NpmCli::from_env() else {
            eprintln!("skipped: npm or node is not on PATH");
            return;
        };
        cli.run(&["--version"]).await.assert_success();
        cli.write_npmrc(&npmrc_lines("http://127.0.0.1:9/isolated", Some("secret")));
        let output = cli.run(&["config", "get", "registry"]).await;
        output.assert_success();
        assert_eq!(output.stdout.trim(), "http://127.0.0.1:9/isolated/", "{output}");
        let output = cli.run(&["config", "get", "cache"]).await;
        assert_eq!(Path::new(output.stdout.trim()), cli.cache_dir(), "{output}");
        // Nothing of the machine's configuration (e.g. an unknown `nodedir`).
        assert!(!output.stderr.contains("nodedir"), "{output}");

        let folder = write_package(
            &cli.work_dir().join("pkg"),
            "@scope/demo",
            "1.2.3",
            &[("dep", "^1.0.0")],
        );
        let output = cli.run_in(&folder, &["pack", "--pack-destination", ".."]).await;
        output.assert_success();
        let packed =
            std::fs::read(cli.work_dir().join("scope-demo-1.2.3.tgz")).expect("npm pack wrote the tarball");
        let built = npm_tarball("@scope/demo", "1.2.3", &[("dep", "^1.0.0")]);
        assert_eq!(tarball_entries(&packed), tarball_entries(&built));
        assert_eq!(headers(&packed), headers(&built));
        assert_eq!(packed[..10], built[..10]);
        // The tar inside is npm's, byte for byte.
        assert_eq!(gunzip(&packed), gunzip(&built));
    }
}
