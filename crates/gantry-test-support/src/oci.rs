//! OCI images for tests, the real OCI clients, and the reference registry.
//!
//! Images: [`oci_image`] builds an image (gzip-compressed tar layers, an
//! `application/vnd.oci.image.config.v1+json` config whose `rootfs.diff_ids`
//! are the digests of the uncompressed tars, and an
//! `application/vnd.oci.image.manifest.v1+json` manifest) in pure Rust, with
//! the same bytes for the same input. [`oci_index`] puts images of several
//! platforms in an image index. [`write_oci_layout`] and
//! [`write_oci_index_layout`] write them as an OCI image layout directory,
//! which `skopeo copy oci:DIR:TAG docker://…` pushes; [`read_oci_layout`]
//! reads one back (for instance what `skopeo copy … oci:DIR:TAG` pulled).
//!
//! Clients, each found from a variable `scripts/test-setup` prints (through
//! `scripts/install-oci-clients`) and, when that is unset, skipped unless
//! clients are required (`CI`, `GANTRY_REQUIRE_CLIENTS`):
//! - [`Skopeo`] (`GANTRY_TEST_SKOPEO`, Debian's skopeo 1.9): every call runs
//!   with a policy that accepts anything, no registries.conf of the machine,
//!   and its own `HOME`, `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE` and
//!   `XDG_RUNTIME_DIR`, so no machine credentials leak in; and with
//!   `--tls-verify=false` (`--src-…`/`--dest-…` for copies), which makes
//!   skopeo speak plain http to a registry that answers https with http.
//! - [`OrasPy`] (`GANTRY_TEST_ORAS_PYTHON`, the python of a venv holding
//!   oras-py 0.2): oras-py is a library, so a small script
//!   (`oras_driver.py`, written next to each client's work folder) drives
//!   it with a JSON command and prints a JSON result.
//! - [`DockerRegistry`] (`GANTRY_TEST_DOCKER_REGISTRY`, Debian's
//!   docker-registry 2.8, the reference registry): a throw-away instance on
//!   a loopback port, optionally behind htpasswd basic authentication; the
//!   connector tests' upstream and the benchmarks' peer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Display, Write as _};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::cli::clients_required;

/// The variable naming skopeo (`scripts/test-setup` prints it).
pub const SKOPEO_VAR: &str = "GANTRY_TEST_SKOPEO";

/// The variable naming the python of the venv holding oras-py
/// (`scripts/test-setup` prints it).
pub const ORAS_PYTHON_VAR: &str = "GANTRY_TEST_ORAS_PYTHON";

/// The variable naming Debian's docker-registry (`scripts/test-setup`
/// prints it).
pub const DOCKER_REGISTRY_VAR: &str = "GANTRY_TEST_DOCKER_REGISTRY";

/// How long one skopeo or oras-py command may run before it is killed.
pub const OCI_CLIENT_TIMEOUT: Duration = Duration::from_mins(2);

/// How long [`DockerRegistryBuilder::start`] waits for the registry to answer.
pub const DOCKER_REGISTRY_START_TIMEOUT: Duration = Duration::from_secs(10);

/// The media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The media type of an OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The media type of an OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The media type of a gzip-compressed tar layer.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The media type of the empty descriptor (`{}`), the config of artifacts.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The annotation that names a tag in an OCI layout's `index.json`.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
/// The annotation oras puts a pushed file's name in.
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// The oras-py driver script, written into each [`OrasPy`]'s work folder.
const ORAS_DRIVER: &str = include_str!("oras_driver.py");

/// `sha256:` and the lower-case hex SHA-256 of `bytes`: an OCI digest.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------

/// One layer of an image: the regular files it holds, as (path, content).
/// Parent directories are added as entries of their own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OciLayer {
    /// Relative paths (`app/hello.txt`) and their contents, in tar order.
    pub files: Vec<(String, Vec<u8>)>,
}

impl OciLayer {
    /// A layer holding `files` as (path, content).
    pub fn new(files: &[(&str, &[u8])]) -> OciLayer {
        OciLayer {
            files: files.iter().map(|(p, b)| ((*p).to_owned(), b.to_vec())).collect(),
        }
    }

    /// The layer as an uncompressed tar: directories 0755 and files 0644,
    /// owned by 0:0, mtime 0, so the same files give the same bytes.
    pub fn tar(&self) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut dirs = BTreeSet::new();
        for (path, bytes) in &self.files {
            let path = path.trim_start_matches('/');
            let parts: Vec<&str> = path.split('/').collect();
            let mut parent = String::new();
            for part in &parts[..parts.len() - 1] {
                parent.push_str(part);
                parent.push('/');
                if dirs.insert(parent.clone()) {
                    let mut header = fixed_header(tar::EntryType::Directory, 0o755, 0);
                    builder
                        .append_data(&mut header, &parent, std::io::empty())
                        .expect("tar directory");
                }
            }
            let mut header = fixed_header(tar::EntryType::Regular, 0o644, bytes.len() as u64);
            builder
                .append_data(&mut header, path, bytes.as_slice())
                .expect("tar file");
        }
        builder.into_inner().expect("tar")
    }

    /// [`Self::tar`], gzip-compressed without a timestamp or file name
    /// (so the same files give the same bytes).
    pub fn tar_gz(&self) -> Vec<u8> {
        gzip(&self.tar())
    }
}

/// A tar header with fixed owner, times and mode.
fn fixed_header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

/// `bytes` gzip-compressed at the fastest level, mtime 0 and no name.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A layer with one file, `big-{seed}.bin`, of `size` pseudo-random bytes
/// (xorshift from `seed`): incompressible, so its blob is about `size`
/// bytes; for transfer tests and benchmarks.
pub fn big_layer(size: usize, seed: u64) -> OciLayer {
    OciLayer {
        files: vec![(format!("big-{seed}.bin"), pseudo_random(size, seed))],
    }
}

/// `size` pseudo-random bytes from `seed` (splitmix64).
fn pseudo_random(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(size + 8);
    while out.len() < size {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(size);
    out
}

/// An image built by [`oci_image`]: every blob and its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltImage {
    /// The manifest's bytes (`application/vnd.oci.image.manifest.v1+json`).
    pub manifest: Vec<u8>,
    /// `sha256:…` of [`Self::manifest`].
    pub manifest_digest: String,
    /// The config's bytes (`application/vnd.oci.image.config.v1+json`).
    pub config: Vec<u8>,
    /// `sha256:…` of [`Self::config`].
    pub config_digest: String,
    /// The layers as (`sha256:…`, gzip-compressed tar), in manifest order.
    pub layers: Vec<(String, Vec<u8>)>,
    /// The `sha256:…` of each layer's uncompressed tar (the config's
    /// `rootfs.diff_ids`).
    pub diff_ids: Vec<String>,
    /// (architecture, os), as in the config and an index's `platform`.
    pub platform: (String, String),
}

impl BuiltImage {
    /// The config and the layers, as (digest, bytes): every blob the
    /// manifest refers to.
    pub fn blobs(&self) -> Vec<(String, Vec<u8>)> {
        let mut blobs = vec![(self.config_digest.clone(), self.config.clone())];
        blobs.extend(self.layers.iter().cloned());
        blobs
    }

    /// The manifest's descriptor (media type, digest, size).
    pub fn descriptor(&self) -> Value {
        json!({
            "mediaType": OCI_MANIFEST,
            "digest": self.manifest_digest,
            "size": self.manifest.len(),
        })
    }

    /// The manifest's descriptor with its `platform`, as in an index.
    pub fn platform_descriptor(&self) -> Value {
        let mut descriptor = self.descriptor();
        descriptor["platform"] = json!({"architecture": self.platform.0, "os": self.platform.1});
        descriptor
    }

    /// The total size of the config and the layers.
    pub fn blob_bytes(&self) -> usize {
        self.config.len() + self.layers.iter().map(|(_, b)| b.len()).sum::<usize>()
    }
}

/// Builds an image for `arch`/`os` (`amd64`/`linux`) from `layers`: each
/// layer a gzip-compressed tar ([`OciLayer::tar_gz`]), a config with
/// `architecture`, `os` and `rootfs.diff_ids` (the digests of the
/// uncompressed tars), and the manifest. The same input gives the same bytes.
pub fn oci_image(arch: &str, os: &str, layers: &[OciLayer]) -> BuiltImage {
    let mut built_layers = Vec::new();
    let mut diff_ids = Vec::new();
    for layer in layers {
        let tar = layer.tar();
        diff_ids.push(sha256_digest(&tar));
        let gz = gzip(&tar);
        built_layers.push((sha256_digest(&gz), gz));
    }
    let config = serde_json::to_vec(&json!({
        "architecture": arch,
        "os": os,
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .expect("config JSON");
    let config_digest = sha256_digest(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": built_layers
            .iter()
            .map(|(digest, bytes)| json!({"mediaType": OCI_LAYER_GZIP, "digest": digest, "size": bytes.len()}))
            .collect::<Vec<_>>(),
    }))
    .expect("manifest JSON");
    BuiltImage {
        manifest_digest: sha256_digest(&manifest),
        manifest,
        config_digest,
        config,
        layers: built_layers,
        diff_ids,
        platform: (arch.to_owned(), os.to_owned()),
    }
}

/// An image index (`application/vnd.oci.image.index.v1+json`) of `images`,
/// each with its `platform`; returns its bytes and digest.
pub fn oci_index(images: &[&BuiltImage]) -> (Vec<u8>, String) {
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": images.iter().map(|i| i.platform_descriptor()).collect::<Vec<_>>(),
    }))
    .expect("index JSON");
    let digest = sha256_digest(&index);
    (index, digest)
}

/// Writes `bytes` as the blob `digest` of the layout at `dir`.
fn write_blob(dir: &Path, digest: &str, bytes: &[u8]) {
    let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("blobs folder");
    std::fs::write(blobs.join(hex), bytes).expect("write blob");
}

/// Writes `oci-layout`, and `index.json` with `descriptor` tagged `tag`
/// (replacing an earlier entry of that tag; other tags stay).
fn write_layout_index(dir: &Path, tag: &str, mut descriptor: Value) {
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
    let path = dir.join("index.json");
    let mut manifests: Vec<Value> = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|index| index["manifests"].as_array().cloned())
        .unwrap_or_default();
    manifests.retain(|m| m["annotations"][REF_NAME_ANNOTATION] != tag);
    descriptor["annotations"] = json!({ REF_NAME_ANNOTATION: tag });
    manifests.push(descriptor);
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    std::fs::write(&path, serde_json::to_vec(&index).expect("index.json")).expect("write index.json");
}

/// Writes `image` as an OCI image layout at `dir` (created if missing):
/// `oci-layout`, its blobs and manifest under `blobs/sha256/`, and
/// `index.json` naming the manifest with the annotation
/// `org.opencontainers.image.ref.name` = `tag` — what
/// `skopeo copy oci:DIR:TAG docker://…` pushes.
pub fn write_oci_layout(dir: &Path, tag: &str, image: &BuiltImage) {
    for (digest, bytes) in image.blobs() {
        write_blob(dir, &digest, &bytes);
    }
    write_blob(dir, &image.manifest_digest, &image.manifest);
    write_layout_index(dir, tag, image.descriptor());
}

/// Writes a multi-platform image as an OCI image layout at `dir`: every
/// image's blobs and manifest, their [`oci_index`] as a blob, and
/// `index.json` naming that index blob as `tag` (as skopeo and buildah
/// write one), so that `skopeo copy --all oci:DIR:TAG docker://…` pushes
/// the index and every image. Returns the index's bytes and digest.
pub fn write_oci_index_layout(dir: &Path, tag: &str, images: &[&BuiltImage]) -> (Vec<u8>, String) {
    for image in images {
        for (digest, bytes) in image.blobs() {
            write_blob(dir, &digest, &bytes);
        }
        write_blob(dir, &image.manifest_digest, &image.manifest);
    }
    let (index, digest) = oci_index(images);
    write_blob(dir, &digest, &index);
    write_layout_index(
        dir,
        tag,
        json!({"mediaType": OCI_INDEX, "digest": digest, "size": index.len()}),
    );
    (index, digest)
}

/// An OCI image layout read back from a directory.
#[derive(Clone, Debug)]
pub struct OciLayout {
    /// `index.json`, parsed.
    pub index: Value,
    /// Every file under `blobs/sha256/`, by digest (`sha256:…`).
    pub blobs: BTreeMap<String, Vec<u8>>,
}

impl OciLayout {
    /// The descriptor `index.json` names `tag`, if any.
    pub fn tagged(&self, tag: &str) -> Option<&Value> {
        self.index["manifests"]
            .as_array()?
            .iter()
            .find(|m| m["annotations"][REF_NAME_ANNOTATION] == tag)
    }

    /// The blob `digest`; panics when the layout does not hold it.
    pub fn blob(&self, digest: &str) -> &[u8] {
        self.blobs
            .get(digest)
            .unwrap_or_else(|| panic!("the layout holds no blob {digest}"))
    }
}

/// Reads the OCI image layout at `dir` (`index.json` and every blob);
/// panics when it has no `index.json`. Each blob's digest is checked
/// against its content.
pub fn read_oci_layout(dir: &Path) -> OciLayout {
    let index = std::fs::read(dir.join("index.json"))
        .unwrap_or_else(|e| panic!("{}: no index.json: {e}", dir.display()));
    let index: Value = serde_json::from_slice(&index).expect("index.json is JSON");
    let mut blobs = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("blobs/sha256")) {
        for entry in entries {
            let entry = entry.expect("blob entry");
            let bytes = std::fs::read(entry.path()).expect("read blob");
            let digest = format!("sha256:{}", entry.file_name().to_string_lossy());
            assert_eq!(
                sha256_digest(&bytes),
                digest,
                "blob {} of {}",
                digest,
                dir.display()
            );
            blobs.insert(digest, bytes);
        }
    }
    OciLayout { index, blobs }
}

/// `docker://{registry}/{name}`: a skopeo reference to `name`
/// (`feed/acme/web:1.0` or `feed/acme/web@sha256:…`) on the registry at
/// `registry` (`127.0.0.1:PORT`).
pub fn docker_ref(registry: impl Display, name: &str) -> String {
    format!("docker://{registry}/{name}")
}

/// `oci:{dir}:{tag}`: a skopeo reference to `tag` of the layout at `dir`.
pub fn oci_layout_ref(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.display())
}

// ---------------------------------------------------------------------------
// Running a client
// ---------------------------------------------------------------------------

/// What one client command (skopeo, or the oras-py driver) printed.
#[derive(Clone, Debug)]
pub struct OciCommandOutput {
    /// The exit code (128 + signal when killed by one).
    pub status: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
}

/// Runs `command` (described as `line`) with a timeout of
/// [`OCI_CLIENT_TIMEOUT`], after which it is killed and the test panics.
async fn run_with_timeout(mut command: tokio::process::Command, line: String) -> OciCommandOutput {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{line}` (run scripts/test-setup): {e}"));
    // On timeout the child is dropped, which kills it.
    let output = tokio::time::timeout(OCI_CLIENT_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`{line}` did not finish within {OCI_CLIENT_TIMEOUT:?}; killed"))
        .unwrap_or_else(|e| panic!("`{line}`: {e}"));
    let output = crate::CliOutput::from_output(&output);
    OciCommandOutput {
        status: output.status,
        stdout: output.stdout,
        stderr: output.stderr,
        command: line,
    }
}

/// A client binary from `var`: `None` when unset (so that the test can
/// skip), unless clients are required, when it panics with `how`.
fn client_from_env(var: &str, how: &str) -> Option<PathBuf> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ if clients_required() => Some(client_required(var, how)),
        _ => None,
    }
}

/// The client binary named by `var`; panics (saying `how` to get it)
/// when unset.
fn client_required(var: &str, how: &str) -> PathBuf {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "{var}={} names no file; run scripts/test-setup",
                path.display()
            );
            path
        }
        _ => panic!(
            "{var} is not set: {how}. Run scripts/test-setup (it calls \
             scripts/install-oci-clients) and export the {var}=... line it prints, or run \
             the suite with scripts/test"
        ),
    }
}

/// `PATH` of the test process, or a default.
fn path_var() -> std::ffi::OsString {
    std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into())
}

// ---------------------------------------------------------------------------
// skopeo
// ---------------------------------------------------------------------------

/// What one skopeo command printed.
#[derive(Clone, Debug)]
pub struct SkopeoResult {
    /// The exit code (128 + signal when killed by one).
    pub status: i32,
    /// Standard output (for `inspect --raw`, the manifest's exact bytes).
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
}

impl SkopeoResult {
    /// Whether skopeo exited with 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// Panics, showing the command and what it printed, unless skopeo
    /// exited with 0.
    pub fn expect_ok(&self) -> &Self {
        assert!(self.success(), "skopeo failed: {self}");
        self
    }

    /// Panics, showing everything, if skopeo exited with 0.
    pub fn expect_failure(&self) -> &Self {
        assert!(!self.success(), "skopeo succeeded unexpectedly: {self}");
        self
    }

    /// Both streams, for matching messages.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Standard output parsed as JSON (`inspect`, `list-tags`); panics
    /// when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self}"))
    }
}

impl std::fmt::Display for SkopeoResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}`\nexit status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

impl From<OciCommandOutput> for SkopeoResult {
    fn from(o: OciCommandOutput) -> Self {
        SkopeoResult {
            status: o.status,
            stdout: o.stdout,
            stderr: o.stderr,
            command: o.command,
        }
    }
}

/// `user:password` for `--creds`, `--src-creds` and `--dest-creds`.
pub fn skopeo_creds(user: &str, password: &str) -> String {
    format!("{user}:{password}")
}

/// The real skopeo, with a work folder of its own holding its policy, an
/// empty registries.conf, an empty auth file, `HOME`, `DOCKER_CONFIG`,
/// `XDG_RUNTIME_DIR` and temporary files.
#[derive(Debug)]
pub struct Skopeo {
    binary: PathBuf,
    work: tempfile::TempDir,
    debug: bool,
    layouts: AtomicUsize,
}

impl Skopeo {
    /// The client named by `GANTRY_TEST_SKOPEO`; `None` when that is unset,
    /// so that a test can skip — except on CI (`CI`) or when
    /// `GANTRY_REQUIRE_CLIENTS` is set, where a missing client fails the
    /// test as [`Skopeo::required`] does.
    pub fn from_env() -> Option<Skopeo> {
        client_from_env(SKOPEO_VAR, SKOPEO_HOW).map(Self::at)
    }

    /// The client named by `GANTRY_TEST_SKOPEO`; panics when it is unset.
    pub fn required() -> Skopeo {
        Self::at(client_required(SKOPEO_VAR, SKOPEO_HOW))
    }

    /// The client at `skopeo`, with a fresh work folder.
    pub fn at(skopeo: PathBuf) -> Skopeo {
        assert!(
            skopeo.is_file(),
            "{SKOPEO_VAR}={} names no file; run scripts/test-setup",
            skopeo.display()
        );
        let work = tempfile::tempdir().expect("temp dir");
        let root = work.path();
        for dir in ["home", "docker", "registries.d", "tmp", "layouts"] {
            std::fs::create_dir_all(root.join(dir)).expect("skopeo folder");
        }
        std::fs::create_dir_all(root.join("run")).expect("runtime dir");
        std::fs::set_permissions(
            root.join("run"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("runtime dir mode");
        std::fs::write(
            root.join("policy.json"),
            br#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .expect("policy.json");
        // No search registries, mirrors or blocks of the machine.
        std::fs::write(root.join("registries.conf"), b"").expect("registries.conf");
        std::fs::write(root.join("containers.conf"), b"").expect("containers.conf");
        std::fs::write(root.join("auth.json"), br#"{"auths":{}}"#).expect("auth.json");
        Skopeo {
            binary: skopeo,
            work,
            debug: false,
            layouts: AtomicUsize::new(0),
        }
    }

    /// Runs every later call with `--debug`, so that skopeo logs each
    /// request it makes (on stderr).
    #[must_use]
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// The work folder.
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// A fresh, empty folder below the work folder, for an OCI layout.
    pub fn layout_dir(&self) -> PathBuf {
        let n = self.layouts.fetch_add(1, Ordering::SeqCst) + 1;
        let dir = self.work_dir().join(format!("layouts/{n}"));
        std::fs::create_dir_all(&dir).expect("layout folder");
        dir
    }

    /// `skopeo copy --src-tls-verify=false --dest-tls-verify=false
    /// {extra} {src} {dst}`; `extra` such as `--all`,
    /// `--preserve-digests`, `--dest-creds user:pass`
    /// ([`skopeo_creds`]), `--format oci`.
    pub async fn copy(&self, src: &str, dst: &str, extra: &[&str]) -> SkopeoResult {
        let mut args: Vec<String> = vec![
            "copy".into(),
            "--src-tls-verify=false".into(),
            "--dest-tls-verify=false".into(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.push(src.into());
        args.push(dst.into());
        self.run(&args).await
    }

    /// `skopeo inspect --tls-verify=false [--raw] [--creds user:pass]
    /// {image_ref}`: with `raw` the manifest's exact bytes on stdout,
    /// otherwise skopeo's JSON summary (`Digest`, `Architecture`, `Layers`…).
    pub async fn inspect(&self, image_ref: &str, raw: bool, creds: Option<(&str, &str)>) -> SkopeoResult {
        let mut args: Vec<String> = vec!["inspect".into(), "--tls-verify=false".into()];
        if raw {
            args.push("--raw".into());
        }
        push_creds(&mut args, "--creds", creds);
        args.push(image_ref.into());
        self.run(&args).await
    }

    /// `skopeo list-tags --tls-verify=false [--creds user:pass]
    /// {repository_ref}` (`docker://host/feed/repo`).
    pub async fn list_tags(&self, repository_ref: &str, creds: Option<(&str, &str)>) -> SkopeoResult {
        let mut args: Vec<String> = vec!["list-tags".into(), "--tls-verify=false".into()];
        push_creds(&mut args, "--creds", creds);
        args.push(repository_ref.into());
        self.run(&args).await
    }

    /// `skopeo delete --tls-verify=false [--creds user:pass] {image_ref}`.
    pub async fn delete(&self, image_ref: &str, creds: Option<(&str, &str)>) -> SkopeoResult {
        let mut args: Vec<String> = vec!["delete".into(), "--tls-verify=false".into()];
        push_creds(&mut args, "--creds", creds);
        args.push(image_ref.into());
        self.run(&args).await
    }

    /// Runs skopeo with `args` after the global options (`--policy`,
    /// `--registries.d`, `--debug` when asked), in a clean environment: only
    /// `PATH`, and `HOME`, `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME`,
    /// `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, `CONTAINERS_REGISTRIES_CONF`,
    /// `CONTAINERS_CONF` and `TMPDIR` in the work folder. Waits at most
    /// [`OCI_CLIENT_TIMEOUT`], then kills skopeo and panics.
    pub async fn run(&self, args: &[String]) -> SkopeoResult {
        let root = self.work_dir();
        let mut full: Vec<String> = vec![
            "--policy".into(),
            root.join("policy.json").display().to_string(),
            "--registries.d".into(),
            root.join("registries.d").display().to_string(),
        ];
        if self.debug {
            full.push("--debug".into());
        }
        full.extend(args.iter().cloned());
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .args(&full)
            .env_clear()
            .env("PATH", path_var())
            .env("LANG", "C.UTF-8")
            .env("HOME", root.join("home"))
            .env("XDG_RUNTIME_DIR", root.join("run"))
            .env("XDG_CONFIG_HOME", root.join("home/.config"))
            .env("DOCKER_CONFIG", root.join("docker"))
            .env("REGISTRY_AUTH_FILE", root.join("auth.json"))
            .env("CONTAINERS_REGISTRIES_CONF", root.join("registries.conf"))
            .env("CONTAINERS_CONF", root.join("containers.conf"))
            .env("TMPDIR", root.join("tmp"))
            .current_dir(root);
        let line = format!("{} {}", self.binary.display(), full.join(" "));
        run_with_timeout(command, line).await.into()
    }
}

/// How to get skopeo, for messages.
const SKOPEO_HOW: &str = "the OCI client tests need Debian's skopeo";

/// Appends `flag user:pass` when there are credentials.
fn push_creds(args: &mut Vec<String>, flag: &str, creds: Option<(&str, &str)>) {
    if let Some((user, password)) = creds {
        args.push(flag.into());
        args.push(skopeo_creds(user, password));
    }
}

// ---------------------------------------------------------------------------
// oras-py
// ---------------------------------------------------------------------------

/// Which of oras-py's auth backends a call uses, and with what credentials.
/// oras-py's backend must match the registry's challenge: `token` follows a
/// `Bearer realm=…` challenge (asking the realm for a token, with the
/// credentials as basic auth, or anonymously without), `basic` answers a
/// `Basic` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrasAuth {
    /// `"token"` or `"basic"`.
    pub backend: &'static str,
    /// User name and password, if any.
    pub credentials: Option<(String, String)>,
}

impl OrasAuth {
    /// The token backend without credentials (anonymous tokens).
    pub fn anonymous() -> OrasAuth {
        OrasAuth {
            backend: "token",
            credentials: None,
        }
    }

    /// The token backend with `user` and `password`.
    pub fn token(user: &str, password: &str) -> OrasAuth {
        OrasAuth {
            backend: "token",
            credentials: Some((user.into(), password.into())),
        }
    }

    /// The basic backend with `user` and `password`.
    pub fn basic(user: &str, password: &str) -> OrasAuth {
        OrasAuth {
            backend: "basic",
            credentials: Some((user.into(), password.into())),
        }
    }

    /// The `auth` field of a driver command.
    fn to_json(&self) -> Value {
        match &self.credentials {
            Some((user, password)) => {
                json!({"backend": self.backend, "username": user, "password": password})
            }
            None => json!({"backend": self.backend}),
        }
    }
}

/// One file an oras push uploads as a layer; its name becomes the layer's
/// title annotation (and the file name a pull writes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrasFile {
    /// The file name (no folders).
    pub name: String,
    /// Its content.
    pub bytes: Vec<u8>,
    /// The layer's media type.
    pub media_type: String,
}

/// What an oras push sends: see [`OrasPy::push`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrasPush {
    /// `feed/repo:tag` (or `feed/repo@sha256:…`).
    pub target: String,
    /// The layers.
    pub files: Vec<OrasFile>,
    /// The manifest's `artifactType`.
    pub artifact_type: Option<String>,
    /// The config's media type (its content is always `{}`); by default
    /// [`OCI_EMPTY`] when there is an artifact type, otherwise oras-py's
    /// `application/vnd.unknown.config.v1+json`.
    pub config_media_type: Option<String>,
    /// The digest of a manifest in the same repository the pushed one
    /// refers to (its `subject`).
    pub subject: Option<String>,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
    /// Uploads blobs in chunks (POST, PATCH, PUT) rather than POST + PUT.
    pub chunked: bool,
}

impl OrasPush {
    /// A push to `target` (`feed/repo:tag`) of no file yet.
    pub fn new(target: &str) -> OrasPush {
        OrasPush {
            target: target.into(),
            ..OrasPush::default()
        }
    }

    /// Adds a file `name` holding `bytes` as a layer of `media_type`.
    #[must_use]
    pub fn file(mut self, name: &str, bytes: impl Into<Vec<u8>>, media_type: &str) -> Self {
        self.files.push(OrasFile {
            name: name.into(),
            bytes: bytes.into(),
            media_type: media_type.into(),
        });
        self
    }

    /// Sets the manifest's `artifactType`.
    #[must_use]
    pub fn artifact_type(mut self, artifact_type: &str) -> Self {
        self.artifact_type = Some(artifact_type.into());
        self
    }

    /// Sets the config's media type.
    #[must_use]
    pub fn config_media_type(mut self, media_type: &str) -> Self {
        self.config_media_type = Some(media_type.into());
        self
    }

    /// Makes the manifest refer to the manifest `digest` (its `subject`).
    #[must_use]
    pub fn subject(mut self, digest: &str) -> Self {
        self.subject = Some(digest.into());
        self
    }

    /// Adds a manifest annotation.
    #[must_use]
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Uploads in chunks (or not).
    #[must_use]
    pub fn chunked(mut self, chunked: bool) -> Self {
        self.chunked = chunked;
        self
    }
}

/// One HTTP request the oras-py session made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrasRequest {
    /// `GET`, `HEAD`, `POST`, `PUT`, `PATCH`…
    pub method: String,
    /// The full URL.
    pub url: String,
    /// The answer's status.
    pub status: u16,
    /// The scheme of the `Authorization` header sent (`Basic`, `Bearer`),
    /// empty when none.
    pub auth: String,
}

/// What one oras-py driver command printed and left.
#[derive(Clone, Debug)]
pub struct OrasResult {
    /// The driver's exit code (0 when the command worked).
    pub status: i32,
    /// Standard output: one JSON object.
    pub stdout: String,
    /// Standard error: oras-py's log, and the traceback of a failure.
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
    /// The parsed result (`Null` when stdout was not JSON): always `ok`
    /// and `requests`; for a push `digest` (of the manifest bytes sent),
    /// `docker_content_digest`, `location`, `manifest` (the text sent);
    /// for a pull `files` and `manifest`; for `manifest` `content_type`,
    /// `digest`, `manifest` (text); for `referrers` `index`; on failure
    /// `error` and `error_type`.
    pub value: Value,
    /// For a pull: the files written, by path relative to the output folder.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl OrasResult {
    /// Whether the command worked.
    pub fn success(&self) -> bool {
        self.status == 0 && self.value["ok"] == true
    }

    /// Panics, showing everything, unless the command worked.
    pub fn expect_ok(&self) -> &Self {
        assert!(self.success(), "oras-py failed: {self}");
        self
    }

    /// Panics, showing everything, if the command worked.
    pub fn expect_failure(&self) -> &Self {
        assert!(!self.success(), "oras-py succeeded unexpectedly: {self}");
        self
    }

    /// The result's `digest` (a push's manifest, or a fetched manifest);
    /// panics when there is none.
    pub fn digest(&self) -> &str {
        self.value["digest"]
            .as_str()
            .unwrap_or_else(|| panic!("no digest in the result: {self}"))
    }

    /// The failure's message, empty when none.
    pub fn error(&self) -> &str {
        self.value["error"].as_str().unwrap_or_default()
    }

    /// Every HTTP request the oras-py session made, in order.
    pub fn requests(&self) -> Vec<OrasRequest> {
        self.value["requests"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|r| OrasRequest {
                        method: r[0].as_str().unwrap_or_default().to_owned(),
                        url: r[1].as_str().unwrap_or_default().to_owned(),
                        status: r[2].as_u64().unwrap_or_default() as u16,
                        auth: r[3].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl std::fmt::Display for OrasResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}`\nexit status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

/// oras-py 0.2, driven by `oras_driver.py` with the venv's python, with a
/// work folder of its own (its `HOME`, so no `~/.docker/config.json` of the
/// machine is read; the files it pushes; the folders pulls write to).
/// oras-py's own retries (5, with long back-off) are off unless
/// [`OrasPy::with_retries`] says otherwise.
#[derive(Debug)]
pub struct OrasPy {
    python: PathBuf,
    work: tempfile::TempDir,
    retries: u32,
    calls: AtomicUsize,
}

/// How to get oras-py, for messages.
const ORAS_HOW: &str = "the OCI client tests need oras-py in a virtualenv";

impl OrasPy {
    /// The client named by `GANTRY_TEST_ORAS_PYTHON`; `None` when that is
    /// unset, so that a test can skip — except on CI (`CI`) or when
    /// `GANTRY_REQUIRE_CLIENTS` is set, where a missing client fails the
    /// test as [`OrasPy::required`] does.
    pub fn from_env() -> Option<OrasPy> {
        client_from_env(ORAS_PYTHON_VAR, ORAS_HOW).map(Self::at)
    }

    /// The client named by `GANTRY_TEST_ORAS_PYTHON`; panics when unset.
    pub fn required() -> OrasPy {
        Self::at(client_required(ORAS_PYTHON_VAR, ORAS_HOW))
    }

    /// The venv python at `python`, with a fresh work folder holding the
    /// driver script.
    pub fn at(python: PathBuf) -> OrasPy {
        assert!(
            python.exists(),
            "{ORAS_PYTHON_VAR}={} names no file; run scripts/test-setup",
            python.display()
        );
        let work = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(work.path().join("home")).expect("oras home");
        std::fs::write(work.path().join("oras_driver.py"), ORAS_DRIVER).expect("driver script");
        OrasPy {
            python,
            work,
            retries: 0,
            calls: AtomicUsize::new(0),
        }
    }

    /// Lets oras-py retry each failed request `retries` times (sleeping 1,
    /// 3, 9… seconds).
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The work folder.
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// A fresh folder for one call.
    fn call_dir(&self) -> PathBuf {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let dir = self.work_dir().join(format!("call-{n}"));
        std::fs::create_dir_all(&dir).expect("call folder");
        dir
    }

    /// Pushes `push` to the registry at `registry` (`127.0.0.1:PORT`) with
    /// oras-py's `Registry.push`: each file a layer (HEAD, then POST + PUT,
    /// or chunks), the config `{}`, then the manifest, with the
    /// `artifactType` and `subject` asked for.
    pub async fn push(&self, registry: impl Display, push: &OrasPush, auth: &OrasAuth) -> OrasResult {
        let dir = self.call_dir();
        let files: Vec<Value> = push
            .files
            .iter()
            .map(|file| {
                assert!(
                    !file.name.contains('/') && !file.name.contains(':'),
                    "oras file names have no folder or colon: {}",
                    file.name
                );
                let path = dir.join(&file.name);
                std::fs::write(&path, &file.bytes).expect("write file to push");
                json!({"path": path, "media_type": file.media_type})
            })
            .collect();
        self.run(json!({
            "op": "push",
            "registry": registry.to_string(),
            "target": push.target,
            "files": files,
            "artifact_type": push.artifact_type,
            "config_media_type": push.config_media_type,
            "subject": push.subject,
            "annotations": push.annotations,
            "chunked": push.chunked,
            "auth": auth.to_json(),
        }))
        .await
    }

    /// Pulls `target` (`feed/repo:tag`) from the registry at `registry`
    /// with oras-py's `Registry.pull`; the result's `files` holds what it
    /// wrote (each layer under its title).
    pub async fn pull(&self, registry: impl Display, target: &str, auth: &OrasAuth) -> OrasResult {
        let outdir = self.call_dir().join("out");
        std::fs::create_dir_all(&outdir).expect("pull folder");
        let mut result = self
            .run(json!({
                "op": "pull",
                "registry": registry.to_string(),
                "target": target,
                "outdir": outdir,
                "auth": auth.to_json(),
            }))
            .await;
        result.files = files_below(&outdir);
        result
    }

    /// Fetches the manifest `target` (`feed/repo:tag` or `feed/repo@sha256:…`)
    /// through oras-py's session and auth: the result's `manifest` is its
    /// text, `digest` the digest of its bytes.
    pub async fn manifest(&self, registry: impl Display, target: &str, auth: &OrasAuth) -> OrasResult {
        self.run(json!({
            "op": "manifest",
            "registry": registry.to_string(),
            "target": target,
            "auth": auth.to_json(),
        }))
        .await
    }

    /// `GET /v2/{repo}/referrers/{digest}` (`target` is `feed/repo@sha256:…`)
    /// through oras-py's session and auth, optionally filtered by
    /// `artifact_type`: the result's `index` is the answer.
    pub async fn referrers(
        &self,
        registry: impl Display,
        target: &str,
        artifact_type: Option<&str>,
        auth: &OrasAuth,
    ) -> OrasResult {
        self.run(json!({
            "op": "referrers",
            "registry": registry.to_string(),
            "target": target,
            "artifact_type": artifact_type,
            "auth": auth.to_json(),
        }))
        .await
    }

    /// Runs the driver with `command` (see `oras_driver.py`; `insecure` and
    /// `retries` are added when missing), in a clean environment (`PATH`,
    /// and `HOME` and `TMPDIR` in the work folder; no proxies, no
    /// `ORAS_USER`/`ORAS_PASS`). Waits at most [`OCI_CLIENT_TIMEOUT`], then
    /// kills it and panics.
    pub async fn run(&self, mut command: Value) -> OrasResult {
        if command.get("insecure").is_none() {
            command["insecure"] = json!(true);
        }
        if command.get("retries").is_none() {
            command["retries"] = json!(self.retries);
        }
        let script = self.work_dir().join("oras_driver.py");
        let argument = command.to_string();
        let mut process = tokio::process::Command::new(&self.python);
        process
            .arg(&script)
            .arg(&argument)
            .env_clear()
            .env("PATH", path_var())
            .env("LANG", "C.UTF-8")
            .env("HOME", self.work_dir().join("home"))
            .env("TMPDIR", self.work_dir())
            .env("PYTHONNOUSERSITE", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .current_dir(self.work_dir());
        let line = format!("{} {} '{argument}'", self.python.display(), script.display());
        let output = run_with_timeout(process, line).await;
        let value = output
            .stdout
            .lines()
            .last()
            .and_then(|last| serde_json::from_str(last).ok())
            .unwrap_or(Value::Null);
        OrasResult {
            status: output.status,
            stdout: output.stdout,
            stderr: output.stderr,
            command: output.command,
            value,
            files: BTreeMap::new(),
        }
    }
}

/// Every file below `dir`, by relative path (with `/`).
fn files_below(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("below the root");
                out.insert(
                    relative.to_string_lossy().into_owned(),
                    std::fs::read(&path).expect("read pulled file"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------------------
// docker-registry
// ---------------------------------------------------------------------------

/// How to get docker-registry, for messages.
const DOCKER_REGISTRY_HOW: &str = "the OCI tests need Debian's docker-registry (the reference registry)";

/// One line of docker-registry's access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRequest {
    /// `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// The client's `User-Agent`.
    pub user_agent: String,
}

impl std::fmt::Display for RegistryRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.path, self.status)
    }
}

/// How a [`DockerRegistry`] starts; from [`DockerRegistry::from_env`],
/// [`DockerRegistry::required`] or [`DockerRegistry::at`].
#[derive(Clone, Debug)]
pub struct DockerRegistryBuilder {
    binary: PathBuf,
    basic_auth: Option<(String, String)>,
    storage: Option<PathBuf>,
}

impl DockerRegistryBuilder {
    /// Puts the registry behind htpasswd basic authentication with one
    /// user (its bcrypt hash from `htpasswd -Bbn`).
    #[must_use]
    pub fn with_basic_auth(mut self, user: &str, password: &str) -> Self {
        self.basic_auth = Some((user.into(), password.into()));
        self
    }

    /// Stores blobs and manifests in `dir` (kept after the registry stops,
    /// so that another can serve the same content) instead of a temporary
    /// folder.
    #[must_use]
    pub fn with_storage(mut self, dir: &Path) -> Self {
        self.storage = Some(dir.to_path_buf());
        self
    }

    /// Starts the registry on a free loopback port (`http.addr`
    /// `127.0.0.1:0`; the port is read from its `listening on` log line)
    /// and waits until `GET /v2/` answers (200, or 401 behind
    /// authentication), at most [`DOCKER_REGISTRY_START_TIMEOUT`]; panics,
    /// showing its log, when it does not.
    pub fn start(self) -> DockerRegistry {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = self.storage.clone().unwrap_or_else(|| dir.path().join("storage"));
        std::fs::create_dir_all(&storage).expect("storage folder");
        let mut config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {storage:?}\n  delete:\n    enabled: true\n  \
             maintenance:\n    uploadpurging:\n      enabled: false\n\
             http:\n  addr: 127.0.0.1:0\n  secret: gantry-test-secret\n",
            storage = storage.display().to_string(),
        );
        if let Some((user, password)) = &self.basic_auth {
            let output = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("htpasswd (apache2-utils; run scripts/test-setup)");
            assert!(output.status.success(), "htpasswd failed: {output:?}");
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, output.stdout).expect("htpasswd file");
            let _ = write!(
                config,
                "auth:\n  htpasswd:\n    realm: gantry-test\n    path: {:?}\n",
                htpasswd.display().to_string()
            );
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, &config).expect("config.yml");
        let mut child = Command::new(&self.binary)
            .arg("serve")
            .arg(&config_path)
            // No REGISTRY_* overrides of the machine.
            .env_clear()
            .env("PATH", path_var())
            .env("HOME", dir.path())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} (run scripts/test-setup): {e}",
                    self.binary.display()
                )
            });
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<SocketAddr>();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for stream in [Box::new(stdout) as Box<dyn Read + Send>, Box::new(stderr)] {
            let log = Arc::clone(&log);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = listening_addr(&line) {
                        let _ = tx.send(addr);
                    }
                    log.lock().expect("log lock").push(line);
                }
            });
        }
        let mut registry = DockerRegistry {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            basic_auth: self.basic_auth,
            storage,
            child,
            log,
            marks: AtomicUsize::new(0),
            _dir: dir,
        };
        let deadline = Instant::now() + DOCKER_REGISTRY_START_TIMEOUT;
        loop {
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(50)) {
                registry.addr = addr;
                break;
            }
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!(
                    "docker-registry exited ({status}) before listening:\n{}",
                    registry.log().join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not log `listening on` within {DOCKER_REGISTRY_START_TIMEOUT:?}:\n{}",
                registry.log().join("\n")
            );
        }
        loop {
            if matches!(http_status(registry.addr, "/v2/"), Some(200 | 401)) {
                return registry;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry on {} did not answer GET /v2/ within {DOCKER_REGISTRY_START_TIMEOUT:?}:\n{}",
                registry.addr,
                registry.log().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The address of a `level=info msg="listening on 127.0.0.1:PORT"` line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("listening on ")? + "listening on ".len()..];
    let end = rest
        .find(|c: char| c == '"' || c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The status of a plain `GET path` (HTTP/1.0) to `addr`, if it answers.
fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// A running docker-registry (the reference registry, Debian's 2.8),
/// killed when dropped.
pub struct DockerRegistry {
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    basic_auth: Option<(String, String)>,
    storage: PathBuf,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    marks: AtomicUsize,
    _dir: tempfile::TempDir,
}

impl DockerRegistry {
    /// The registry named by `GANTRY_TEST_DOCKER_REGISTRY`, to configure
    /// and start; `None` when that is unset, so that a test can skip —
    /// except on CI (`CI`) or when `GANTRY_REQUIRE_CLIENTS` is set, where it
    /// fails as [`DockerRegistry::required`] does.
    pub fn from_env() -> Option<DockerRegistryBuilder> {
        client_from_env(DOCKER_REGISTRY_VAR, DOCKER_REGISTRY_HOW).map(Self::at)
    }

    /// The registry named by `GANTRY_TEST_DOCKER_REGISTRY`; panics when
    /// that is unset.
    pub fn required() -> DockerRegistryBuilder {
        Self::at(client_required(DOCKER_REGISTRY_VAR, DOCKER_REGISTRY_HOW))
    }

    /// The registry binary at `binary`, without authentication and with a
    /// temporary storage folder.
    pub fn at(binary: PathBuf) -> DockerRegistryBuilder {
        DockerRegistryBuilder {
            binary,
            basic_auth: None,
            storage: None,
        }
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The user and password of its basic authentication, if any.
    pub fn basic_auth(&self) -> Option<(&str, &str)> {
        self.basic_auth.as_ref().map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The folder it stores blobs and manifests in.
    pub fn storage(&self) -> &Path {
        &self.storage
    }

    /// Every line it has logged so far (application log and access log).
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    /// The requests it has served so far, from its access log, in order
    /// (after [`Self::sync_log`], so that none is missing).
    pub fn requests(&self) -> Vec<RegistryRequest> {
        let mark = self.sync_log();
        let log = self.log.lock().expect("log lock");
        log[..mark]
            .iter()
            .filter_map(|line| parse_access_line(line))
            .filter(|r| !r.path.starts_with(LOG_MARK))
            .collect()
    }

    /// Forgets the log so far (after [`Self::sync_log`]), so that
    /// [`Self::requests`] shows only what comes next.
    pub fn clear_log(&self) {
        let mark = self.sync_log();
        self.log.lock().expect("log lock").drain(..=mark);
    }

    /// Waits until the log holds every request answered so far: the access
    /// log of a request is written after its answer, and read from a pipe,
    /// so right after a client exits its last lines may still be on their
    /// way. Makes a marker request (`GET /v2/?gantry-log-mark=N`) and
    /// waits for its line; returns that line's index in the log.
    pub fn sync_log(&self) -> usize {
        let n = self.marks.fetch_add(1, Ordering::SeqCst);
        let path = format!("{LOG_MARK}{n}");
        let answered = http_status(self.addr, &path);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(i) = self
                .log
                .lock()
                .expect("log lock")
                .iter()
                .position(|line| parse_access_line(line).is_some_and(|r| r.path == path))
            {
                return i;
            }
            assert!(
                Instant::now() < deadline,
                "the marker request {path} ({answered:?}) did not reach docker-registry's access log"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The path of the marker requests of [`DockerRegistry::sync_log`].
const LOG_MARK: &str = "/v2/?gantry-log-mark=";

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A combined-log-format line:
/// `127.0.0.1 - - [date] "GET /v2/ HTTP/1.1" 200 2 "" "skopeo/1.9.3"`.
fn parse_access_line(line: &str) -> Option<RegistryRequest> {
    if !line.starts_with("127.0.0.1 ") {
        return None;
    }
    let mut quoted = line.split('"');
    let _prefix = quoted.next()?;
    let request = quoted.next()?;
    let after = quoted.next()?;
    let mut parts = request.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let status = after.split_whitespace().next()?.parse().ok()?;
    let user_agent = line
        .trim_end()
        .strip_suffix('"')
        .and_then(|l| l.rsplit_once('"'))
        .map(|(_, ua)| ua.to_owned())
        .unwrap_or_default();
    Some(RegistryRequest {
        method,
        path,
        status,
        user_agent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_layers() -> Vec<OciLayer> {
        vec![
            OciLayer::new(&[("etc/motd", b"hello\n"), ("etc/app/config.toml", b"x = 1\n")]),
            OciLayer::new(&[("app/run.sh", b"#!/bin/sh\necho hi\n")]),
        ]
    }

    #[test]
    fn images_are_deterministic_and_consistent() {
        let a = oci_image("amd64", "linux", &two_layers());
        let b = oci_image("amd64", "linux", &two_layers());
        assert_eq!(a, b);
        assert_eq!(a.manifest_digest, sha256_digest(&a.manifest));
        assert_eq!(a.config_digest, sha256_digest(&a.config));
        let config: Value = serde_json::from_slice(&a.config).expect("config JSON");
        assert_eq!(config["architecture"], "amd64");
        assert_eq!(config["os"], "linux");
        for ((digest, gz), diff_id) in a.layers.iter().zip(&a.diff_ids) {
            assert_eq!(&sha256_digest(gz), digest);
            // gzip with mtime 0.
            assert_eq!(gz[..2], [0x1f, 0x8b]);
            assert_eq!(gz[4..8], [0, 0, 0, 0]);
            let mut tar = Vec::new();
            flate2::read::GzDecoder::new(gz.as_slice())
                .read_to_end(&mut tar)
                .expect("gunzip");
            assert_eq!(&sha256_digest(&tar), diff_id);
        }
        assert_eq!(config["rootfs"]["diff_ids"], json!(a.diff_ids));
        let manifest: Value = serde_json::from_slice(&a.manifest).expect("manifest JSON");
        assert_eq!(manifest["mediaType"], OCI_MANIFEST);
        assert_eq!(manifest["config"]["digest"], a.config_digest.as_str());
        assert_eq!(manifest["layers"][1]["digest"], a.layers[1].0.as_str());
        assert_ne!(
            oci_image("arm64", "linux", &two_layers()).manifest_digest,
            a.manifest_digest
        );
    }

    #[test]
    fn layers_hold_their_files_and_parent_directories() {
        let tar = two_layers()[0].tar();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                let header = e.header();
                (
                    e.path().expect("path").display().to_string(),
                    header.mode().expect("mode"),
                    header.mtime().expect("mtime"),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("etc/".to_owned(), 0o755, 0),
                ("etc/motd".to_owned(), 0o644, 0),
                ("etc/app/".to_owned(), 0o755, 0),
                ("etc/app/config.toml".to_owned(), 0o644, 0),
            ]
        );
    }

    #[test]
    fn big_layers_do_not_compress() {
        let layer = big_layer(1 << 20, 7);
        assert_eq!(layer.files[0].1.len(), 1 << 20);
        assert_eq!(big_layer(1 << 20, 7), layer);
        assert_ne!(big_layer(1 << 20, 8), layer);
        assert!(layer.tar_gz().len() > 1 << 20);
    }

    #[test]
    fn layouts_name_their_tags() {
        let dir = tempfile::tempdir().expect("temp dir");
        let amd = oci_image("amd64", "linux", &two_layers());
        let arm = oci_image("arm64", "linux", &two_layers()[..1]);
        write_oci_layout(dir.path(), "1.0", &amd);
        write_oci_layout(dir.path(), "1.1", &arm);
        write_oci_layout(dir.path(), "1.0", &amd);
        let (index, index_digest) = write_oci_index_layout(dir.path(), "multi", &[&amd, &arm]);
        let layout = read_oci_layout(dir.path());
        assert_eq!(layout.index["manifests"].as_array().map(Vec::len), Some(3));
        assert_eq!(
            layout.tagged("1.0").expect("1.0")["digest"],
            amd.manifest_digest.as_str()
        );
        assert_eq!(layout.tagged("multi").expect("multi")["mediaType"], OCI_INDEX);
        assert_eq!(layout.blob(&index_digest), index.as_slice());
        let parsed: Value = serde_json::from_slice(&index).expect("index JSON");
        assert_eq!(parsed["manifests"][1]["platform"]["architecture"], "arm64");
        assert_eq!(layout.blob(&arm.manifest_digest), arm.manifest.as_slice());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("oci-layout")).expect("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#
        );
    }

    #[test]
    fn access_log_lines_are_parsed() {
        let line = r#"127.0.0.1 - - [03/Dec/2026:18:54:08 +0000] "HEAD /v2/feed/acme/web/blobs/sha256:ab HTTP/1.1" 404 157 "" "skopeo/1.9.3""#;
        assert_eq!(
            parse_access_line(line),
            Some(RegistryRequest {
                method: "HEAD".into(),
                path: "/v2/feed/acme/web/blobs/sha256:ab".into(),
                status: 404,
                user_agent: "skopeo/1.9.3".into(),
            })
        );
        assert_eq!(
            parse_access_line("time=\"…\" level=info msg=\"listening on 127.0.0.1:1\""),
            None
        );
        assert_eq!(
            listening_addr(r#"time="x" level=info msg="listening on 127.0.0.1:43081" go.version=go1.19.8"#),
            Some(SocketAddr::from(([127, 0, 0, 1], 43081)))
        );
    }
}
