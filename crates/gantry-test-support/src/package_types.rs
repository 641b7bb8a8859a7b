//! Package types as test fixtures, for tests of behaviour every type shares
//! (promotion, deployments, the packages API, authorization).
//!
//! [`TypeFixture`] is implemented by [`Universal`] (upack), [`NuGet`],
//! [`Npm`], [`Maven`] and [`Docker`]. A test written against it creates a
//! feed of the type, builds packages with the type's own builders
//! ([`crate::upack`], [`crate::nupkg_with_files`], [`crate::npm_tarball`], a
//! jar like [`crate::maven_jar`], an image like [`crate::oci_image`]),
//! publishes and
//! downloads them through the type's own protocol, and fetches them with the
//! type's real client. [`crate::type_test!`] runs one such test once per
//! type and backend.
//!
//! Identities are written once, neutrally, as `(group, name)`, and each type
//! spells them its own way ([`TypeFixture::package`]): `("acme", "hammer")`
//! is `acme`/`hammer` for upack, `Acme.Hammer` (no group) for NuGet,
//! `@acme`/`hammer` for npm, `org.acme`/`hammer` for Maven and the nested
//! repository `acme/hammer` (no group) for Docker.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::maven::{maven_pom, MavenCli};
use crate::npm::{
    index_js, npm_tarball, npm_tarball_with, npmrc_lines, package_json, publish_document, tarball_entries,
    NpmCli,
};
use crate::nuget::{nupkg_with_files, NuGetCli};
use crate::oci::{
    docker_ref, oci_layout_ref, read_oci_layout, sha256_digest, OciLayer, Skopeo, OCI_CONFIG, OCI_LAYER_GZIP,
    OCI_MANIFEST,
};
use crate::{upack, zip_with, TestApp, ADMIN_KEY};

/// A package's identity as its type writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageRef {
    /// The group (upack), scope with its `@` (npm), or "" (NuGet, or none).
    pub group: String,
    /// The name (NuGet: the id).
    pub name: String,
}

impl PackageRef {
    /// `group/name`, or the name alone without a group: what clients and
    /// `gantry --package=` take (`acme/hammer`, `@acme/hammer`, `Acme.Hammer`).
    pub fn full_name(&self) -> String {
        if self.group.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.group, self.name)
        }
    }

    /// The `group=...&name=...` query of the generic API (`name=...` alone
    /// without a group), to append `&version=...` to.
    pub fn query(&self) -> String {
        if self.group.is_empty() {
            format!("name={}", self.name)
        } else {
            format!("group={}&name={}", self.group, self.name)
        }
    }

    /// Adds `name` and, when there is one, `group` (under the field names
    /// given, e.g. `"name"`/`"group"` or `"PackageName"`/`"GroupName"`) to a
    /// JSON object; returns it for chaining.
    pub fn add_fields(&self, mut body: Value, name_field: &str, group_field: &str) -> Value {
        body[name_field] = json!(self.name);
        if !self.group.is_empty() {
            body[group_field] = json!(self.group);
        }
        body
    }
}

/// A package file built for a test, and what it was built as.
#[derive(Clone, PartialEq, Eq)]
pub struct Built {
    /// Its identity.
    pub package: PackageRef,
    /// Its version.
    pub version: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Other files the type publishes before `bytes` as parts of the same
    /// version, which a download of the version does not give: the config
    /// and layer blobs a Docker image's manifest names. Empty for the other
    /// types.
    pub parts: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Built({} {}, {}",
            self.package.full_name(),
            self.version,
            describe(&self.bytes)
        )?;
        for part in &self.parts {
            write!(f, "; {}", describe(part))?;
        }
        write!(f, ")")
    }
}

/// What a real client holds after fetching a package.
#[derive(Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The package file as the client saved it (`gantry packages download`,
    /// the `.nupkg` NuGet.exe keeps beside what it extracts).
    File(Vec<u8>),
    /// The files the client installed, by path below the package's folder
    /// (npm's `node_modules/<name>/`).
    Installed(BTreeMap<String, Vec<u8>>),
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fetched::File(bytes) => write!(f, "File({})", describe(bytes)),
            Fetched::Installed(files) => {
                let mut list = f.debug_map();
                for (path, bytes) in files {
                    list.entry(path, &describe(bytes));
                }
                list.finish()
            }
        }
    }
}

/// `N bytes, sha256 abcd…`: bytes shown so that a failed comparison stays readable.
fn describe(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("{} bytes, sha256 {}", bytes.len(), &hex_of(&digest)[..16])
}

fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// One package type, as type-independent tests use it.
///
/// Methods take `self` (fixtures are unit structs), so a test body generic
/// over the type (`ty: impl TypeFixture`) calls `ty.publish(...)` and so on.
/// Async methods are meant for the tests' current-thread runtime; their
/// futures are not required to be `Send`.
#[allow(async_fn_in_trait)] // test helpers awaited in place, never spawned
pub trait TypeFixture: Copy + std::fmt::Debug + Send + Sync + 'static {
    /// The name of the type in generated test names and messages: `upack`,
    /// `nuget`, `npm`, `maven`, `docker`.
    fn label(self) -> &'static str;

    /// The `feedType` to create a feed of this type with.
    fn feed_type(self) -> &'static str;

    /// The `packageType` the promotion and deployment APIs report.
    fn package_type(self) -> &'static str;

    /// Whether the type's packages have a group (scope): the APIs then show
    /// `groupName` even when it is empty.
    fn has_groups(self) -> bool;

    /// The identity `(group, name)` as this type writes it: upack keeps
    /// both, NuGet joins them into a dotted id in title case
    /// (`("acme", "hammer")` is `Acme.Hammer`, `("", "saw")` is `Saw`), npm
    /// makes the group a scope (`@acme`), Docker a leading segment of the
    /// repository (`acme/hammer`, no group).
    fn package(self, group: &str, name: &str) -> PackageRef;

    /// A package file of `package` `version` holding `content` (one file),
    /// built as the type's own tools build one. Different content gives
    /// different bytes; a NuGet package also differs on every build (its
    /// core-properties part has a random name, as NuGet.exe's has).
    fn build(self, package: &PackageRef, version: &str, content: &[u8]) -> Built;

    /// The package URL the generic API reports for a version.
    fn purl(self, package: &PackageRef, version: &str) -> String;

    /// A purl that selects `version` of `package` in `feed` through the
    /// packages API (`?purl=`): the one the API reports
    /// ([`TypeFixture::purl`]) for every type but Docker, whose purl names a
    /// repository by its last segment only (as the purl spec's `oci` type
    /// does), so that `acme/hammer` is selected by the `repository_url`
    /// qualifier, `{registry}/{feed}/{repository}`.
    fn selecting_purl(self, _feed: &str, package: &PackageRef, version: &str) -> String {
        self.purl(package, version)
    }

    /// The `WWW-Authenticate` challenge of a 401 answered to a read of
    /// `path` (on the type's protocol or the generic API) without
    /// credentials: `Basic realm="Gantry"`, but from Docker's registry the
    /// distribution spec's `Bearer` challenge naming its token endpoint, the
    /// service and the scope the read needs, which is how registry clients
    /// learn where to get a token.
    fn challenge(self, _app: &TestApp, _path: &str) -> String {
        "Basic realm=\"Gantry\"".into()
    }

    /// How the type's protocol (not the generic API, which answers 403 for
    /// every type) answers credentials that do not sign in, such as an
    /// unknown key: 403, but 401 with a challenge from Docker's registry, as
    /// the distribution spec has it (clients then ask the token endpoint,
    /// which refuses the credentials, and report them wrong).
    fn unknown_key_status(self) -> StatusCode {
        StatusCode::FORBIDDEN
    }

    /// The prerelease the shared seeds publish after `1.0.0` and `1.1.0`:
    /// `2.0.0-rc.1`, or for Maven (where only snapshots are not releases)
    /// `2.0.0-SNAPSHOT`. It sorts after both and is not stable.
    fn prerelease(self) -> &'static str {
        "2.0.0-rc.1"
    }

    /// A version the type refuses, written from `usual` (a word that is no
    /// SemVer, such as `one`): `usual` itself for every type but Maven and
    /// Docker, which accept any word as a version (a tag) and refuse
    /// `usual` with a `!`.
    fn invalid_version(self, usual: &'static str) -> &'static str {
        usual
    }

    /// A fragment of the server's refusal of [`TypeFixture::invalid_version`]
    /// (`one`): `SemVer` for upack and npm, `NuGet version` for NuGet,
    /// `is not a valid tag` for Docker.
    fn invalid_version_message(self) -> &'static str {
        "SemVer"
    }

    /// Whether the type compares names ignoring case (every type but
    /// Maven, whose coordinates are case-sensitive, and Docker, whose
    /// repository names are lower case by grammar and compared as written).
    fn names_ignore_case(self) -> bool {
        true
    }

    /// The history actions one [`TypeFixture::publish`] records: `added`,
    /// and for Maven `file-added` (its pom, deployed after the jar).
    fn publish_actions(self) -> &'static [&'static str] {
        &["added"]
    }

    /// The bytes the server stores for a published version, which the
    /// generic API reports as its `size`: the package file, and for NuGet
    /// the `.nuspec` it keeps beside it (served by the flat container), for
    /// Maven the pom, for Docker the config and layer ([`Built::parts`]).
    fn stored_size(self, published: &Built) -> u64 {
        published.bytes.len() as u64
    }

    /// `groupName` as the promotion API shows it: the group for grouped
    /// types (even ""), absent (`Null`) for NuGet.
    fn group_name(self, package: &PackageRef) -> Value {
        if self.has_groups() {
            json!(package.group)
        } else {
            Value::Null
        }
    }

    /// Every path the type's protocol downloads `version` from (upack: one;
    /// NuGet: the v3 flat container and the v2 `package/` URL; npm: the
    /// tarball; Docker: the manifest by tag).
    fn download_paths(self, feed: &str, package: &PackageRef, version: &str) -> Vec<String>;

    /// A path of the type's protocol that downloads the latest version
    /// (upack's `?latest`), when the protocol has one.
    fn latest_download_path(self, _feed: &str, _package: &PackageRef) -> Option<String> {
        None
    }

    /// A protocol read of the package's metadata (upack's version list,
    /// NuGet's registration index, npm's packument, Docker's tags list).
    fn metadata_path(self, feed: &str, package: &PackageRef) -> String;

    /// Adds `key` to a protocol request the way the type's clients send one
    /// (`X-ApiKey` for upack, basic auth as `api` for NuGet reads, Maven and
    /// Docker, a bearer token for npm); nothing when `key` is empty.
    fn with_key(self, request: RequestBuilder, key: &str) -> RequestBuilder;

    /// Publishes `built` to `feed` through the type's own protocol with
    /// `key` (none when empty): `POST /upack/{feed}/upload`, a NuGet push
    /// (`PUT /nuget/{feed}/`, multipart, `X-NuGet-ApiKey`), or `npm
    /// publish`'s `PUT /npm/{feed}/{name}` with the tarball attached (tag
    /// `latest`, or `next` for a prerelease as npm 11 requires), a Maven
    /// deploy (the jar, then the pom), or a Docker push (the config and layer
    /// blobs, then the manifest by tag; 201 as registries answer). Returns
    /// the status and body text (of the first refused request).
    async fn publish(self, app: &TestApp, feed: &str, key: &str, built: &Built) -> (StatusCode, String);

    /// Downloads `version` through the type's protocol (the first of
    /// [`TypeFixture::download_paths`]) as the administrator, asserting 200.
    async fn download(self, app: &TestApp, feed: &str, package: &PackageRef, version: &str) -> Vec<u8> {
        let path = &self.download_paths(feed, package, version)[0];
        let response = self
            .with_key(app.anonymous(Method::GET, path), ADMIN_KEY)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let bytes = response.bytes().await.expect("body").to_vec();
        assert_eq!(
            status,
            StatusCode::OK,
            "[{:?}] {} GET {path}: {}",
            app.backend,
            self.label(),
            String::from_utf8_lossy(&bytes)
        );
        bytes
    }

    /// Fetches `version` of `package` from `feed` with the type's real
    /// client, anonymously (the feed must be readable so): the `gantry`
    /// command line (`packages download`, see [`gantry_binary`]) for
    /// universal packages, NuGet.exe (`install`, [`NuGetCli::required`]),
    /// npm (`install`, [`NpmCli::new`]), mvn (`dependency:get`,
    /// [`MavenCli::required`]) and skopeo (`copy` to an OCI layout,
    /// [`Skopeo::required`], giving the manifest). A missing client fails
    /// the test.
    /// Compare the result with [`TypeFixture::expected_fetch`].
    async fn fetch_with_client(
        self,
        app: &TestApp,
        feed: &str,
        package: &PackageRef,
        version: &str,
    ) -> Fetched;

    /// What [`TypeFixture::fetch_with_client`] must give for `published`:
    /// its bytes, or (npm) the files of its tarball below `package/`.
    fn expected_fetch(self, published: &Built) -> Fetched {
        Fetched::File(published.bytes.clone())
    }

    /// Creates a feed of this type as the administrator.
    async fn create_feed(self, app: &TestApp, name: &str) -> Value {
        app.create_feed(name, self.feed_type()).await
    }

    /// Builds `package` `version` with `content` and publishes it to `feed`
    /// as the administrator, asserting 201; returns what was published.
    async fn publish_new(
        self,
        app: &TestApp,
        feed: &str,
        package: &PackageRef,
        version: &str,
        content: &[u8],
    ) -> Built {
        let built = self.build(package, version, content);
        let (status, body) = self.publish(app, feed, ADMIN_KEY, &built).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "[{:?}] {} publish {} {version} to {feed}: {body}",
            app.backend,
            self.label(),
            package.full_name()
        );
        built
    }
}

/// Universal packages (`.upack`), `/upack/{feed}/...`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Universal;

/// NuGet packages (`.nupkg`), `/nuget/{feed}/...`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NuGet;

/// npm packages (`.tgz`), `/npm/{feed}/...`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Npm;

/// Maven artifacts (a jar and its pom), `/maven2/{feed}/...`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Maven;

/// Docker/OCI images (a manifest, its config and layer), `/v2/{feed}/...`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Docker;

impl TypeFixture for Universal {
    fn label(self) -> &'static str {
        "upack"
    }

    fn feed_type(self) -> &'static str {
        "universal"
    }

    fn package_type(self) -> &'static str {
        "upack"
    }

    fn has_groups(self) -> bool {
        true
    }

    fn package(self, group: &str, name: &str) -> PackageRef {
        PackageRef {
            group: group.into(),
            name: name.into(),
        }
    }

    fn build(self, package: &PackageRef, version: &str, content: &[u8]) -> Built {
        Built {
            package: package.clone(),
            version: version.into(),
            bytes: upack(&package.group, &package.name, version, content),
            parts: Vec::new(),
        }
    }

    fn purl(self, package: &PackageRef, version: &str) -> String {
        format!("pkg:upack/{}@{version}", package.full_name())
    }

    fn download_paths(self, feed: &str, package: &PackageRef, version: &str) -> Vec<String> {
        vec![format!(
            "/upack/{feed}/download/{}/{version}",
            package.full_name()
        )]
    }

    fn latest_download_path(self, feed: &str, package: &PackageRef) -> Option<String> {
        Some(format!("/upack/{feed}/download/{}?latest", package.full_name()))
    }

    fn metadata_path(self, feed: &str, package: &PackageRef) -> String {
        format!("/upack/{feed}/versions?{}", package.query())
    }

    fn with_key(self, request: RequestBuilder, key: &str) -> RequestBuilder {
        if key.is_empty() {
            request
        } else {
            request.header("X-ApiKey", key)
        }
    }

    async fn publish(self, app: &TestApp, feed: &str, key: &str, built: &Built) -> (StatusCode, String) {
        let request = app
            .anonymous(Method::POST, &format!("/upack/{feed}/upload"))
            .body(built.bytes.clone());
        let response = self.with_key(request, key).send().await.expect("request");
        (response.status(), response.text().await.expect("body"))
    }

    async fn fetch_with_client(
        self,
        app: &TestApp,
        feed: &str,
        package: &PackageRef,
        version: &str,
    ) -> Fetched {
        let folder = tempfile::tempdir().expect("temp dir");
        let target = folder.path().join("package.upack");
        let args = [
            format!("--source={}", app.url("")),
            "packages".into(),
            "download".into(),
            format!("--feed={feed}"),
            format!("--package={}", package.full_name()),
            format!("--version={version}"),
            format!("--output-file={}", target.display()),
            "--json".into(),
        ];
        let output = tokio::process::Command::new(gantry_binary())
            .args(&args)
            .env("XDG_CONFIG_HOME", folder.path().join("config"))
            .env_remove("GANTRY_SOURCE")
            .env_remove("GANTRY_API_KEY")
            .kill_on_drop(true)
            .output()
            .await
            .expect("gantry runs");
        let output = crate::CliOutput::from_output(&output);
        output.assert_success();
        let report: Value =
            serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {output}"));
        assert_eq!(
            report["verified"], true,
            "the client checked the SHA-256: {output}"
        );
        Fetched::File(
            std::fs::read(&target).unwrap_or_else(|e| panic!("{}: {e}: {output}", target.display())),
        )
    }
}

/// `acme` + `hammer-drill` → `Acme.Hammer-drill`: NuGet ids are dotted and
/// conventionally capitalised.
fn nuget_id(group: &str, name: &str) -> String {
    fn capitalised(part: &str) -> String {
        let mut chars = part.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
    group
        .split('/')
        .chain(std::iter::once(name))
        .filter(|part| !part.is_empty())
        .map(capitalised)
        .collect::<Vec<_>>()
        .join(".")
}

impl TypeFixture for NuGet {
    fn label(self) -> &'static str {
        "nuget"
    }

    fn feed_type(self) -> &'static str {
        "nuget"
    }

    fn package_type(self) -> &'static str {
        "nuget"
    }

    fn has_groups(self) -> bool {
        false
    }

    fn package(self, group: &str, name: &str) -> PackageRef {
        PackageRef {
            group: String::new(),
            name: nuget_id(group, name),
        }
    }

    fn build(self, package: &PackageRef, version: &str, content: &[u8]) -> Built {
        assert!(
            package.group.is_empty(),
            "NuGet packages have no group: {package:?}"
        );
        Built {
            package: package.clone(),
            version: version.into(),
            bytes: nupkg_with_files(
                &package.name,
                version,
                &[],
                &[("lib/netstandard2.0/_._", b""), ("content/content.bin", content)],
            ),
            parts: Vec::new(),
        }
    }

    fn purl(self, package: &PackageRef, version: &str) -> String {
        format!("pkg:nuget/{}@{version}", package.name)
    }

    fn invalid_version_message(self) -> &'static str {
        "is not a valid NuGet version"
    }

    fn stored_size(self, published: &Built) -> u64 {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&published.bytes)).expect("a .nupkg");
        let nuspec = archive
            .file_names()
            .find(|name| !name.contains('/') && name.ends_with(".nuspec"))
            .map(str::to_owned)
            .expect("a .nuspec at the root");
        let nuspec = archive.by_name(&nuspec).expect("the .nuspec").size();
        published.bytes.len() as u64 + nuspec
    }

    fn download_paths(self, feed: &str, package: &PackageRef, version: &str) -> Vec<String> {
        let (id, lower) = (package.name.to_ascii_lowercase(), version.to_ascii_lowercase());
        vec![
            format!("/nuget/{feed}/v3/flatcontainer/{id}/{lower}/{id}.{lower}.nupkg"),
            format!("/nuget/{feed}/package/{}/{version}", package.name),
        ]
    }

    fn metadata_path(self, feed: &str, package: &PackageRef) -> String {
        format!(
            "/nuget/{feed}/v3/registrations/{}/index.json",
            package.name.to_ascii_lowercase()
        )
    }

    fn with_key(self, request: RequestBuilder, key: &str) -> RequestBuilder {
        if key.is_empty() {
            request
        } else {
            request.basic_auth("api", Some(key))
        }
    }

    async fn publish(self, app: &TestApp, feed: &str, key: &str, built: &Built) -> (StatusCode, String) {
        app.push_nupkg(feed, key, built.bytes.clone()).await
    }

    async fn fetch_with_client(
        self,
        app: &TestApp,
        feed: &str,
        package: &PackageRef,
        version: &str,
    ) -> Fetched {
        let cli = NuGetCli::required();
        let source = app.url(&format!("/nuget/{feed}/v3/index.json"));
        let output = cli
            .run(&[
                "install",
                &package.name,
                "-Version",
                version,
                "-Source",
                &source,
                "-OutputDirectory",
                "out",
                "-NoCache",
                "-DirectDownload",
            ])
            .await;
        output.assert_success();
        let kept: Vec<PathBuf> = crate::files_under(&cli.work_dir().join("out"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "nupkg"))
            .collect();
        assert_eq!(kept.len(), 1, "NuGet.exe keeps one .nupkg: {kept:?}\n{output}");
        Fetched::File(std::fs::read(&kept[0]).expect("read the kept .nupkg"))
    }
}

impl TypeFixture for Npm {
    fn label(self) -> &'static str {
        "npm"
    }

    fn feed_type(self) -> &'static str {
        "npm"
    }

    fn package_type(self) -> &'static str {
        "npm"
    }

    fn has_groups(self) -> bool {
        true
    }

    fn package(self, group: &str, name: &str) -> PackageRef {
        PackageRef {
            group: if group.is_empty() {
                String::new()
            } else {
                format!("@{group}")
            },
            name: name.into(),
        }
    }

    fn build(self, package: &PackageRef, version: &str, content: &[u8]) -> Built {
        let name = package.full_name();
        let bytes = if content.is_empty() {
            npm_tarball(&name, version, &[])
        } else {
            let (index, manifest) = (index_js(&name, version), package_json(&name, version, &[]));
            npm_tarball_with(&[
                ("package/content.bin", content),
                ("package/index.js", index.as_bytes()),
                ("package/package.json", manifest.as_bytes()),
            ])
        };
        Built {
            package: package.clone(),
            version: version.into(),
            bytes,
            parts: Vec::new(),
        }
    }

    fn purl(self, package: &PackageRef, version: &str) -> String {
        let name = package.name.to_ascii_lowercase();
        match package.group.strip_prefix('@') {
            Some(scope) => format!("pkg:npm/%40{}/{name}@{version}", scope.to_ascii_lowercase()),
            None => format!("pkg:npm/{name}@{version}"),
        }
    }

    fn download_paths(self, feed: &str, package: &PackageRef, version: &str) -> Vec<String> {
        vec![format!(
            "/npm/{feed}/{}/-/{}-{version}.tgz",
            package.full_name(),
            package.name
        )]
    }

    fn metadata_path(self, feed: &str, package: &PackageRef) -> String {
        format!("/npm/{feed}/{}", package.full_name().replace('/', "%2f"))
    }

    fn with_key(self, request: RequestBuilder, key: &str) -> RequestBuilder {
        if key.is_empty() {
            request
        } else {
            request.bearer_auth(key)
        }
    }

    async fn publish(self, app: &TestApp, feed: &str, key: &str, built: &Built) -> (StatusCode, String) {
        let name = built.package.full_name();
        let tag = if built.version.contains('-') {
            "next"
        } else {
            "latest"
        };
        let document = publish_document(
            &app.url(&format!("/npm/{feed}")),
            &built.bytes,
            &name,
            &built.version,
            tag,
        );
        let request = app
            .anonymous(Method::PUT, &self.metadata_path(feed, &built.package))
            .json(&document);
        let response = self.with_key(request, key).send().await.expect("request");
        (response.status(), response.text().await.expect("body"))
    }

    async fn fetch_with_client(
        self,
        app: &TestApp,
        feed: &str,
        package: &PackageRef,
        version: &str,
    ) -> Fetched {
        let npm = NpmCli::new();
        npm.write_npmrc(&npmrc_lines(&app.url(&format!("/npm/{feed}/")), None));
        std::fs::write(
            npm.work_dir().join("package.json"),
            json!({"name": "fetch", "version": "1.0.0", "private": true}).to_string(),
        )
        .expect("write package.json");
        let spec = format!("{}@{version}", package.full_name());
        npm.run(&["install", &spec]).await.assert_success();
        let folder = npm.work_dir().join("node_modules").join(package.full_name());
        Fetched::Installed(files_below(&folder))
    }

    fn expected_fetch(self, published: &Built) -> Fetched {
        let entries = tarball_entries(&published.bytes).expect("a .tgz");
        Fetched::Installed(
            entries
                .into_iter()
                .filter_map(|(path, bytes)| path.strip_prefix("package/").map(|p| (p.to_owned(), bytes)))
                .collect(),
        )
    }
}

/// `org.acme`/`hammer`: the pom a Maven fixture deploys beside the jar.
fn maven_fixture_pom(package: &PackageRef, version: &str) -> String {
    maven_pom(&package.group, &package.name, version, "jar")
}

/// `org/acme/hammer/1.0.0/hammer-1.0.0.{extension}` below `/maven2/{feed}/`.
fn maven_file_path(feed: &str, package: &PackageRef, version: &str, extension: &str) -> String {
    format!(
        "/maven2/{feed}/{}/{name}/{version}/{name}-{version}.{extension}",
        package.group.replace('.', "/"),
        name = package.name
    )
}

/// Maven's differences from the other types, each made here rather than in
/// the tests:
///
/// - every artifact has a groupId: `("acme", "hammer")` is `org.acme`/`hammer`,
///   and `("", "saw")`, which other types write without a group, is
///   `saw`/`saw` (the `junit:junit` convention);
/// - a version is two files (the jar, then its pom) deployed by separate
///   `PUT`s; [`TypeFixture::build`] gives the jar (what a download gives),
///   and the pom, derived from the identity, is deployed with it;
/// - only snapshots are not releases ([`TypeFixture::prerelease`]), any word
///   is a version ([`TypeFixture::invalid_version`]), coordinates are
///   case-sensitive ([`TypeFixture::names_ignore_case`]), and the pom's
///   arrival is a history entry of its own ([`TypeFixture::publish_actions`]);
/// - the protocol has no "latest" download.
impl TypeFixture for Maven {
    fn label(self) -> &'static str {
        "maven"
    }

    fn feed_type(self) -> &'static str {
        "maven"
    }

    fn package_type(self) -> &'static str {
        "maven"
    }

    fn has_groups(self) -> bool {
        true
    }

    fn package(self, group: &str, name: &str) -> PackageRef {
        PackageRef {
            group: if group.is_empty() {
                name.to_owned()
            } else {
                format!("org.{group}")
            },
            name: name.into(),
        }
    }

    fn build(self, package: &PackageRef, version: &str, content: &[u8]) -> Built {
        // Like maven_jar (the manifest names the version, so versions
        // differ), with the content as a resource.
        let manifest = format!(
            "Manifest-Version: 1.0\r\nCreated-By: Gantry tests\r\nImplementation-Title: {}\r\n\
             Implementation-Version: {version}\r\nImplementation-Vendor-Id: {}\r\n\r\n",
            package.name, package.group
        );
        Built {
            package: package.clone(),
            version: version.into(),
            bytes: zip_with(&[
                ("META-INF/MANIFEST.MF", manifest.as_bytes()),
                ("content.bin", content),
            ]),
            parts: Vec::new(),
        }
    }

    fn purl(self, package: &PackageRef, version: &str) -> String {
        format!("pkg:maven/{}/{}@{version}", package.group, package.name)
    }

    fn prerelease(self) -> &'static str {
        // `2.0.0-rc.1` is a release to Maven (stable, `<release>` in
        // maven-metadata.xml): its prereleases are snapshots.
        "2.0.0-SNAPSHOT"
    }

    fn invalid_version(self, usual: &'static str) -> &'static str {
        // Maven versions are free-form (`one` is one); a `!` is refused.
        match usual {
            "one" => "one!",
            "not-semver" => "not-semver!",
            other => panic!("no invalid Maven version made from {other:?}"),
        }
    }

    fn invalid_version_message(self) -> &'static str {
        "contains the character '!'"
    }

    fn names_ignore_case(self) -> bool {
        false
    }

    fn publish_actions(self) -> &'static [&'static str] {
        // The jar creates the version, the pom is a file added to it.
        &["added", "file-added"]
    }

    fn stored_size(self, published: &Built) -> u64 {
        // The jar and the pom deployed with it.
        (published.bytes.len() + maven_fixture_pom(&published.package, &published.version).len()) as u64
    }

    fn download_paths(self, feed: &str, package: &PackageRef, version: &str) -> Vec<String> {
        vec![maven_file_path(feed, package, version, "jar")]
    }

    fn metadata_path(self, feed: &str, package: &PackageRef) -> String {
        format!(
            "/maven2/{feed}/{}/{}/maven-metadata.xml",
            package.group.replace('.', "/"),
            package.name
        )
    }

    fn with_key(self, request: RequestBuilder, key: &str) -> RequestBuilder {
        // As mvn sends a <server>'s credentials: basic auth, user `api`.
        if key.is_empty() {
            request
        } else {
            request.basic_auth("api", Some(key))
        }
    }

    async fn publish(self, app: &TestApp, feed: &str, key: &str, built: &Built) -> (StatusCode, String) {
        let pom = maven_fixture_pom(&built.package, &built.version);
        let mut answer = (StatusCode::CREATED, String::new());
        for (extension, body) in [("jar", built.bytes.clone()), ("pom", pom.into_bytes())] {
            let path = maven_file_path(feed, &built.package, &built.version, extension);
            let request = app.anonymous(Method::PUT, &path).body(body);
            let response = self.with_key(request, key).send().await.expect("request");
            answer = (response.status(), response.text().await.expect("body"));
            if !answer.0.is_success() {
                // mvn stops at the first refused file: so does the fixture.
                break;
            }
        }
        answer
    }

    async fn fetch_with_client(
        self,
        app: &TestApp,
        feed: &str,
        package: &PackageRef,
        version: &str,
    ) -> Fetched {
        let mvn = MavenCli::required();
        let coordinates = format!("{}:{}:{version}", package.group, package.name);
        let result = mvn
            .dependency_get(
                &app.url(&format!("/maven2/{feed}/")),
                "gantry",
                None,
                &coordinates,
            )
            .await;
        result.expect_ok();
        Fetched::File(result.artifact_bytes().to_vec())
    }
}

/// `("acme", "hammer")` → `acme/hammer`, `("", "saw")` → `saw`: a Docker
/// repository, lower case, the group a leading path segment.
fn docker_repository(group: &str, name: &str) -> String {
    group
        .split('/')
        .chain(std::iter::once(name))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("/")
        .to_ascii_lowercase()
}

/// Docker's differences from the other types, each made here rather than
/// in the tests:
///
/// - repositories have no group: `("acme", "hammer")` is the nested
///   repository `acme/hammer` (the group a path segment, as NuGet makes it
///   a dotted prefix), `("", "saw")` is `saw`; names are lower case;
/// - a version is a tag, and its files are a whole image: a config and one
///   layer (a gzip-compressed tar holding `content.bin` = the content)
///   pushed as blobs ([`Built::parts`]), then the manifest pushed by tag;
///   [`TypeFixture::build`] gives the manifest, which is what a download
///   by tag gives and what the packages API serves and hashes;
/// - the config labels the image with its version, so two versions of the
///   same content are two images, as two versions are two files for every
///   other type;
/// - any word is a tag ([`TypeFixture::invalid_version`]); names are lower
///   case by grammar and compared as written
///   ([`TypeFixture::names_ignore_case`]);
/// - the protocol has no "latest" download (the `latest` tag is a tag like
///   any other).
impl TypeFixture for Docker {
    fn label(self) -> &'static str {
        "docker"
    }

    fn feed_type(self) -> &'static str {
        "docker"
    }

    fn package_type(self) -> &'static str {
        "docker"
    }

    fn has_groups(self) -> bool {
        false
    }

    fn package(self, group: &str, name: &str) -> PackageRef {
        PackageRef {
            group: String::new(),
            name: docker_repository(group, name),
        }
    }

    fn build(self, package: &PackageRef, version: &str, content: &[u8]) -> Built {
        assert!(
            package.group.is_empty(),
            "Docker repositories have no group: {package:?}"
        );
        let layer = OciLayer::new(&[("content.bin", content)]);
        let (tar, layer) = (layer.tar(), layer.tar_gz());
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {
                "org.opencontainers.image.title": package.name,
                "org.opencontainers.image.version": version,
            }},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&tar)]},
        }))
        .expect("config JSON");
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256_digest(&config), "size": config.len()},
            "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": sha256_digest(&layer), "size": layer.len()}],
        }))
        .expect("manifest JSON");
        Built {
            package: package.clone(),
            version: version.into(),
            bytes: manifest,
            parts: vec![config, layer],
        }
    }

    fn purl(self, package: &PackageRef, version: &str) -> String {
        // As the server writes it (gantry_formats::oci): the last segment
        // of the repository, the tag as a qualifier.
        let last = package.name.rsplit('/').next().unwrap_or_default();
        format!("pkg:oci/{last}?tag={version}")
    }

    fn selecting_purl(self, feed: &str, package: &PackageRef, version: &str) -> String {
        // The registry's host is not checked: any name of it will do.
        format!(
            "{}&repository_url=registry.example/{feed}/{}",
            self.purl(package, version),
            package.name
        )
    }

    fn challenge(self, app: &TestApp, path: &str) -> String {
        let Some(rest) = path.strip_prefix("/v2/") else {
            // The generic API challenges as it does for every type.
            return "Basic realm=\"Gantry\"".into();
        };
        let repository = ["/manifests/", "/tags/", "/blobs/"]
            .iter()
            .find_map(|endpoint| rest.rfind(endpoint).map(|at| &rest[..at]))
            .unwrap_or_else(|| panic!("no repository in {path}"));
        format!(
            "Bearer realm=\"http://{0}/v2/token\",service=\"{0}\",scope=\"repository:{repository}:pull\"",
            app.addr
        )
    }

    fn unknown_key_status(self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn invalid_version(self, usual: &'static str) -> &'static str {
        // Any word is a tag (`one` is one); a `!` is refused.
        match usual {
            "one" => "one!",
            "not-semver" => "not-semver!",
            other => panic!("no invalid Docker tag made from {other:?}"),
        }
    }

    fn invalid_version_message(self) -> &'static str {
        "is not a valid tag"
    }

    fn names_ignore_case(self) -> bool {
        // Repository names are lower case by grammar, compared as written.
        false
    }

    fn stored_size(self, published: &Built) -> u64 {
        // The manifest, the config and the layer.
        (published.bytes.len() + published.parts.iter().map(Vec::len).sum::<usize>()) as u64
    }

    fn download_paths(self, feed: &str, package: &PackageRef, version: &str) -> Vec<String> {
        vec![format!("/v2/{feed}/{}/manifests/{version}", package.name)]
    }

    fn metadata_path(self, feed: &str, package: &PackageRef) -> String {
        format!("/v2/{feed}/{}/tags/list", package.name)
    }

    fn with_key(self, request: RequestBuilder, key: &str) -> RequestBuilder {
        // As docker and skopeo send credentials: basic auth, user `api`.
        if key.is_empty() {
            request
        } else {
            request.basic_auth("api", Some(key))
        }
    }

    async fn publish(self, app: &TestApp, feed: &str, key: &str, built: &Built) -> (StatusCode, String) {
        let repository = format!("/v2/{feed}/{}", built.package.name);
        // The blobs first, each in one `POST ?digest=`; a client stops at
        // the first refused one: so does the fixture.
        for blob in &built.parts {
            let path = format!("{repository}/blobs/uploads/?digest={}", sha256_digest(blob));
            let request = app.anonymous(Method::POST, &path).body(blob.clone());
            let response = self.with_key(request, key).send().await.expect("request");
            let answer = (response.status(), response.text().await.expect("body"));
            if !answer.0.is_success() {
                return answer;
            }
        }
        let request = app
            .anonymous(Method::PUT, &format!("{repository}/manifests/{}", built.version))
            .header("Content-Type", OCI_MANIFEST)
            .body(built.bytes.clone());
        let response = self.with_key(request, key).send().await.expect("request");
        (response.status(), response.text().await.expect("body"))
    }

    async fn fetch_with_client(
        self,
        app: &TestApp,
        feed: &str,
        package: &PackageRef,
        version: &str,
    ) -> Fetched {
        let skopeo = Skopeo::required();
        let layout = skopeo.layout_dir();
        let source = docker_ref(app.addr, &format!("{feed}/{}:{version}", package.name));
        skopeo
            .copy(
                &source,
                &oci_layout_ref(&layout, version),
                &["--preserve-digests"],
            )
            .await
            .expect_ok();
        let pulled = read_oci_layout(&layout);
        let descriptor = pulled
            .tagged(version)
            .unwrap_or_else(|| panic!("skopeo tagged no {version} in {}", pulled.index));
        let digest = descriptor["digest"].as_str().expect("a digest");
        Fetched::File(pulled.blob(digest).to_vec())
    }
}

/// Every file below `folder`, by its path relative to it (with `/`).
fn files_below(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    crate::files_under(folder)
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(folder)
                .expect("below the folder")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (relative, bytes)
        })
        .collect()
}

/// The `gantry` binary the universal fixture fetches with: the one named by
/// `GANTRY_TEST_GANTRY_BIN`, or `NEXTEST_BIN_EXE_gantry` (set by nextest),
/// or else `gantry` in the target folder the running test binary was built
/// into (`target/debug/deps/<test>` → `target/debug/gantry`, which cargo
/// builds before the `gantry` crate's integration tests). Panics when none
/// exists.
pub fn gantry_binary() -> PathBuf {
    let named = ["GANTRY_TEST_GANTRY_BIN", "NEXTEST_BIN_EXE_gantry"]
        .iter()
        .find_map(|var| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from));
    let path = named.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut dir = exe.parent().expect("the test binary's folder").to_path_buf();
        if dir.ends_with("deps") {
            dir.pop();
        }
        dir.join(format!("gantry{}", std::env::consts::EXE_SUFFIX))
    });
    assert!(
        path.is_file(),
        "the gantry binary is not at {} (build it with `cargo build -p gantry`, \
         or name it in GANTRY_TEST_GANTRY_BIN)",
        path.display()
    );
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_spells_the_identity_its_way() {
        assert_eq!(Universal.package("acme", "hammer").full_name(), "acme/hammer");
        assert_eq!(NuGet.package("acme", "hammer").full_name(), "Acme.Hammer");
        assert_eq!(NuGet.package("", "saw").full_name(), "Saw");
        assert_eq!(Npm.package("acme", "hammer").full_name(), "@acme/hammer");
        assert_eq!(
            Npm.package("", "saw"),
            PackageRef {
                group: String::new(),
                name: "saw".into()
            }
        );
        assert_eq!(Npm.package("acme", "hammer").query(), "group=@acme&name=hammer");
        assert_eq!(NuGet.package("acme", "hammer").query(), "name=Acme.Hammer");
        assert_eq!(Maven.package("acme", "hammer").full_name(), "org.acme/hammer");
        assert_eq!(Maven.package("", "saw").full_name(), "saw/saw");
        assert_eq!(
            Docker.package("acme", "hammer"),
            PackageRef {
                group: String::new(),
                name: "acme/hammer".into()
            }
        );
        assert_eq!(Docker.package("", "Saw").full_name(), "saw");
        assert_eq!(Docker.package("acme", "hammer").query(), "name=acme/hammer");
    }

    #[test]
    fn purls_are_the_types_own() {
        assert_eq!(
            Universal.purl(&Universal.package("acme", "hammer"), "1.0.0"),
            "pkg:upack/acme/hammer@1.0.0"
        );
        assert_eq!(
            NuGet.purl(&NuGet.package("acme", "hammer"), "1.0.0"),
            "pkg:nuget/Acme.Hammer@1.0.0"
        );
        assert_eq!(
            Npm.purl(&Npm.package("acme", "hammer"), "1.0.0"),
            "pkg:npm/%40acme/hammer@1.0.0"
        );
        assert_eq!(Npm.purl(&Npm.package("", "saw"), "0.5.0"), "pkg:npm/saw@0.5.0");
        assert_eq!(
            Maven.purl(&Maven.package("acme", "hammer"), "1.0.0"),
            "pkg:maven/org.acme/hammer@1.0.0"
        );
        assert_eq!(
            Docker.purl(&Docker.package("acme", "hammer"), "1.0.0"),
            "pkg:oci/hammer?tag=1.0.0"
        );
    }

    #[test]
    fn different_content_builds_different_files() {
        fn differs(ty: impl TypeFixture) {
            let package = ty.package("acme", "hammer");
            assert_ne!(
                ty.build(&package, "1.0.0", b"a").bytes,
                ty.build(&package, "1.0.0", b"b").bytes,
                "{ty:?}"
            );
        }
        differs(Universal);
        differs(NuGet);
        differs(Npm);
        differs(Maven);
        differs(Docker);
        // An image per version, even of the same content.
        let package = Docker.package("acme", "hammer");
        let (one, two) = (
            Docker.build(&package, "1.0.0", b"a"),
            Docker.build(&package, "1.1.0", b"a"),
        );
        assert_ne!(one.bytes, two.bytes);
        assert_eq!(one.parts[1], two.parts[1], "the same layer");
        assert_eq!(
            Docker.stored_size(&one),
            (one.bytes.len() + one.parts[0].len() + one.parts[1].len()) as u64
        );
        let package = Npm.package("acme", "hammer");
        let built = Npm.build(&package, "1.0.0", b"payload");
        let Fetched::Installed(files) = Npm.expected_fetch(&built) else {
            panic!("npm installs files");
        };
        assert_eq!(files["content.bin"], b"payload");
        assert!(files.contains_key("package.json") && files.contains_key("index.js"));
    }
}
