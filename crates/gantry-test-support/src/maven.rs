//! Maven artifacts for tests, and the real Maven client.
//!
//! [`maven_jar`] and [`maven_pom`] build a minimal artifact. [`MavenCli`]
//! runs Debian's mvn 3.8 with Debian's maven-deploy-plugin 3.0.0
//! (`deploy:deploy-file`) and maven-dependency-plugin 3.5.0
//! (`dependency:get`), which `scripts/install-maven-client` (called by
//! `scripts/test-setup`) installs and names in `GANTRY_TEST_MVN`.
//!
//! Every call runs mvn in batch mode with a settings.xml of its own, which
//! mirrors every repository but the one under test to Debian's local
//! repository (`file:///usr/share/maven-repo`, where the plugins are), so
//! mvn never reaches the network beyond the server's URL; and with a fresh
//! local repository (`-Dmaven.repo.local`), so that what a call resolves
//! really comes from the server and never from an earlier call.
//!
//! Strict checksums (`-C`, [`MavenCli::with_strict_checksums`]): Debian's
//! repository has no `.sha1`/`.md5` files, so under `-C` mvn cannot even
//! load its plugins from it. A plugin-only local repository is therefore
//! built once (both plugins run without `-C` against a `file://` scratch
//! repository, whose own artifacts are then deleted), cached in the
//! temporary folder under a name derived from the installed mvn and
//! plugins, and copied into each strict call's fresh local repository. With
//! the plugins already local, every download of a strict call is from the
//! server under test, whose checksums `-C` then checks.

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::cli::clients_required;
use crate::zip_with;

/// The variable naming mvn (`scripts/test-setup` prints it).
pub const MVN_VAR: &str = "GANTRY_TEST_MVN";

/// How long one mvn command may run before it is killed.
pub const MVN_TIMEOUT: Duration = Duration::from_mins(2);

/// The deploy plugin Debian ships (`libmaven-deploy-plugin-java`).
pub const DEPLOY_PLUGIN: &str = "org.apache.maven.plugins:maven-deploy-plugin:3.0.0";

/// The dependency plugin Debian ships (`libmaven-dependency-plugin-java`).
pub const DEPENDENCY_PLUGIN: &str = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0";

/// Debian's local Maven repository, which every repository but the one
/// under test is mirrored to.
pub const DEBIAN_MAVEN_REPO: &str = "/usr/share/maven-repo";

/// The id of the mirror of Debian's repository in the settings.xml.
const DEBIAN_MIRROR_ID: &str = "debian";

/// What a `<server>` entry of the settings.xml holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MavenCredentials {
    /// User `api`, the key as password: how Gantry's Maven feeds take keys.
    ApiKey(String),
    /// A user name and password.
    UserPassword { user: String, password: String },
}

impl MavenCredentials {
    /// User `api` with `key` as password.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self::ApiKey(key.into())
    }

    /// `user` with `password`.
    pub fn user_password(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self::UserPassword {
            user: user.into(),
            password: password.into(),
        }
    }

    /// The user name mvn sends.
    pub fn user(&self) -> &str {
        match self {
            Self::ApiKey(_) => "api",
            Self::UserPassword { user, .. } => user,
        }
    }

    /// The password mvn sends.
    pub fn password(&self) -> &str {
        match self {
            Self::ApiKey(key) => key,
            Self::UserPassword { password, .. } => password,
        }
    }
}

/// What one mvn command printed and left.
#[derive(Clone, Debug)]
pub struct MvnResult {
    /// The exit code (128 + signal when killed by one).
    pub status: i32,
    /// Standard output, ANSI colour codes removed.
    pub stdout: String,
    /// Standard error, ANSI colour codes removed.
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
    /// The fresh local repository the call ran with (kept until the
    /// [`MavenCli`] is dropped).
    pub local_repository: PathBuf,
    /// For [`MavenCli::dependency_get`]: where the artifact asked for lies
    /// in the local repository, when it is there.
    pub resolved: Option<PathBuf>,
    /// For [`MavenCli::dependency_get`]: the bytes of [`Self::resolved`].
    pub bytes: Option<Vec<u8>>,
}

impl MvnResult {
    /// Whether mvn exited with 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// Panics, showing the command and everything it printed, unless mvn
    /// exited with 0.
    pub fn expect_ok(&self) -> &Self {
        assert!(self.success(), "mvn failed: {self}");
        self
    }

    /// Panics, showing everything, if mvn exited with 0.
    pub fn expect_failure(&self) -> &Self {
        assert!(!self.success(), "mvn succeeded unexpectedly: {self}");
        self
    }

    /// The resolved artifact's bytes; panics (showing everything) when the
    /// call did not leave it in the local repository.
    pub fn artifact_bytes(&self) -> &[u8] {
        self.bytes
            .as_deref()
            .unwrap_or_else(|| panic!("mvn left no resolved artifact: {self}"))
    }

    /// Both streams, for matching messages.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for MvnResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}`\nexit status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

/// The real mvn, with a work folder of its own holding its HOME and, per
/// call, a settings.xml and a fresh local repository.
pub struct MavenCli {
    mvn: PathBuf,
    work: tempfile::TempDir,
    strict_checksums: bool,
    quiet: bool,
    calls: AtomicUsize,
}

impl MavenCli {
    /// The client named by `GANTRY_TEST_MVN`; `None` when that is unset, so
    /// that a test can skip — except on CI (`CI`) or when
    /// `GANTRY_REQUIRE_CLIENTS` is set, where a missing client fails the
    /// test as [`MavenCli::required`] does.
    pub fn from_env() -> Option<MavenCli> {
        match std::env::var(MVN_VAR) {
            Ok(mvn) if !mvn.is_empty() => Some(Self::at(PathBuf::from(mvn))),
            _ if clients_required() => Some(Self::required()),
            _ => None,
        }
    }

    /// The client named by `GANTRY_TEST_MVN`; panics when it is unset.
    pub fn required() -> MavenCli {
        match std::env::var(MVN_VAR) {
            Ok(mvn) if !mvn.is_empty() => Self::at(PathBuf::from(mvn)),
            _ => panic!(
                "{MVN_VAR} is not set: the Maven client tests need the real mvn. Run \
                 scripts/test-setup (it installs Debian's maven and plugins) and export the \
                 {MVN_VAR}=... line it prints, or run the suite with scripts/test"
            ),
        }
    }

    /// The client at `mvn`, with a fresh work folder; quiet (`-q`), without
    /// strict checksums.
    pub fn at(mvn: PathBuf) -> MavenCli {
        assert!(
            mvn.is_file(),
            "{MVN_VAR}={} names no file; run scripts/test-setup",
            mvn.display()
        );
        let work = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(work.path().join("home")).expect("mvn home");
        MavenCli {
            mvn,
            work,
            strict_checksums: false,
            quiet: true,
            calls: AtomicUsize::new(0),
        }
    }

    /// Runs every later call with `-C` (fail on a missing or wrong
    /// checksum), from a copy of the plugin-only local repository (see the
    /// module's documentation).
    #[must_use]
    pub fn with_strict_checksums(mut self, strict: bool) -> Self {
        self.strict_checksums = strict;
        self
    }

    /// Runs every later call without `-q`, so that mvn logs what it
    /// downloads and uploads.
    #[must_use]
    pub fn with_output(mut self, output: bool) -> Self {
        self.quiet = !output;
        self
    }

    /// The folder mvn runs in; [`Self::write_file`] writes below it.
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// Writes `bytes` to `name` below the work folder and returns its path.
    pub fn write_file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.work_dir().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(&path, bytes).expect("write file");
        path
    }

    /// `mvn deploy:deploy-file` (maven-deploy-plugin 3.0.0) of `jar` to the
    /// repository at `url` whose `<server>` id is `repository_id`
    /// (`credentials` in its entry, or no entry), as `group:artifact:version`
    /// with `pom` (or a pom the plugin generates, its packaging the jar's
    /// extension), and `extra` files as `(classifier, path)` (`-Dfiles`,
    /// `-Dclassifiers`, `-Dtypes`, the type being the file's extension), such
    /// as `("sources", sources_jar)`.
    #[allow(clippy::too_many_arguments)] // the parameters of deploy-file
    pub async fn deploy_file(
        &self,
        url: &str,
        repository_id: &str,
        credentials: Option<&MavenCredentials>,
        jar: &Path,
        pom: Option<&Path>,
        group: &str,
        artifact: &str,
        version: &str,
        extra: &[(&str, &Path)],
    ) -> MvnResult {
        let mut args = vec![
            format!("{DEPLOY_PLUGIN}:deploy-file"),
            format!("-Durl={url}"),
            format!("-DrepositoryId={repository_id}"),
            format!("-Dfile={}", jar.display()),
            format!("-DgroupId={group}"),
            format!("-DartifactId={artifact}"),
            format!("-Dversion={version}"),
        ];
        if let Some(pom) = pom {
            args.push(format!("-DpomFile={}", pom.display()));
        } else {
            args.push("-DgeneratePom=true".into());
            args.push(format!("-Dpackaging={}", extension_of(jar)));
        }
        if !extra.is_empty() {
            let files: Vec<String> = extra.iter().map(|(_, path)| path.display().to_string()).collect();
            let classifiers: Vec<&str> = extra.iter().map(|(classifier, _)| *classifier).collect();
            let types: Vec<String> = extra.iter().map(|(_, path)| extension_of(path)).collect();
            args.push(format!("-Dfiles={}", files.join(",")));
            args.push(format!("-Dclassifiers={}", classifiers.join(",")));
            args.push(format!("-Dtypes={}", types.join(",")));
        }
        let servers: Vec<(&str, &MavenCredentials)> =
            credentials.map(|c| (repository_id, c)).into_iter().collect();
        self.run(&[repository_id], &servers, &args).await
    }

    /// `mvn dependency:get` (maven-dependency-plugin 3.5.0) of
    /// `coordinates` (`group:artifact:version[:packaging[:classifier]]`,
    /// packaging `jar` by default) from the repository at `url`, passed as
    /// `-DremoteRepositories=repository_id::default::url` (3.5.0 reads
    /// `id::layout::url` or a bare URL, whose id is then `temp`), without
    /// transitive dependencies. The result holds the resolved file's path in
    /// the call's local repository and its bytes when mvn left it there.
    pub async fn dependency_get(
        &self,
        url: &str,
        repository_id: &str,
        credentials: Option<&MavenCredentials>,
        coordinates: &str,
    ) -> MvnResult {
        let args = vec![
            format!("{DEPENDENCY_PLUGIN}:get"),
            format!("-DremoteRepositories={repository_id}::default::{url}"),
            format!("-Dartifact={coordinates}"),
            "-Dtransitive=false".into(),
        ];
        let servers: Vec<(&str, &MavenCredentials)> =
            credentials.map(|c| (repository_id, c)).into_iter().collect();
        let mut result = self.run(&[repository_id], &servers, &args).await;
        let path = result.local_repository.join(local_path(coordinates));
        if path.is_file() {
            result.bytes = Some(std::fs::read(&path).expect("read resolved artifact"));
            result.resolved = Some(path);
        }
        result
    }

    /// `mvn deploy` of the project whose pom is `pom` (see
    /// [`write_jar_project`]), tests skipped (`-Dmaven.test.skip=true`),
    /// to its `distributionManagement` repository `repository_id`
    /// (`credentials` in its `<server>` entry, or no entry). Its plugins
    /// come from Debian's repository ([`PROJECT_PLUGINS`]).
    pub async fn deploy_project(
        &self,
        pom: &Path,
        repository_id: &str,
        credentials: Option<&MavenCredentials>,
    ) -> MvnResult {
        let args = vec![
            "-f".into(),
            pom.display().to_string(),
            "deploy".into(),
            "-Dmaven.test.skip=true".into(),
        ];
        let servers: Vec<(&str, &MavenCredentials)> =
            credentials.map(|c| (repository_id, c)).into_iter().collect();
        self.run(&[repository_id], &servers, &args).await
    }

    /// Runs mvn with `args` (goals and `-D` options) in batch mode, with a
    /// fresh settings.xml holding `servers` (`(id, credentials)`) and
    /// mirroring every repository but `unmirrored` to Debian's repository,
    /// and a fresh local repository (a copy of the plugin-only one under
    /// strict checksums). Waits at most [`MVN_TIMEOUT`], then kills mvn and
    /// panics.
    pub async fn run(
        &self,
        unmirrored: &[&str],
        servers: &[(&str, &MavenCredentials)],
        args: &[String],
    ) -> MvnResult {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let call = self.work_dir().join(format!("call-{n}"));
        std::fs::create_dir_all(&call).expect("call folder");
        let local = call.join("repository");
        if self.strict_checksums {
            copy_tree(&strict_template(&self.mvn).await, &local);
        } else {
            std::fs::create_dir_all(&local).expect("local repository");
        }
        let settings = call.join("settings.xml");
        std::fs::write(&settings, settings_xml(unmirrored, servers)).expect("settings.xml");
        run_mvn(&Invocation {
            mvn: &self.mvn,
            work: self.work_dir(),
            home: &self.work_dir().join("home"),
            settings: &settings,
            local: &local,
            quiet: self.quiet,
            strict: self.strict_checksums,
            args,
        })
        .await
    }
}

/// One mvn command line and where it runs.
struct Invocation<'a> {
    mvn: &'a Path,
    work: &'a Path,
    home: &'a Path,
    settings: &'a Path,
    local: &'a Path,
    quiet: bool,
    strict: bool,
    args: &'a [String],
}

/// Runs mvn with only its own home, settings and local repository: the
/// machine's `~/.m2`, `/etc/maven/settings.xml` (replaced by an empty
/// global settings file), `.mavenrc`, `MAVEN_OPTS` and proxies never apply.
async fn run_mvn(call: &Invocation<'_>) -> MvnResult {
    let global = call.work.join("global-settings.xml");
    if !global.is_file() {
        std::fs::write(&global, "<settings/>\n").expect("global settings");
    }
    let mut args: Vec<String> = vec!["-B".into()];
    if call.quiet {
        args.push("-q".into());
    }
    if call.strict {
        args.push("-C".into());
    }
    args.extend([
        "-Dstyle.color=never".into(),
        "-s".into(),
        call.settings.display().to_string(),
        "-gs".into(),
        global.display().to_string(),
        format!("-Dmaven.repo.local={}", call.local.display()),
    ]);
    args.extend(call.args.iter().cloned());
    let mut command = tokio::process::Command::new(call.mvn);
    command.args(&args).env_clear();
    command
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("HOME", call.home)
        .env("LANG", "C.UTF-8")
        // No ~/.mavenrc or /etc/mavenrc; Java's user.home (read from the
        // password database, not HOME) moved to the private home too.
        .env("MAVEN_SKIP_RC", "1")
        .env("MAVEN_OPTS", format!("-Duser.home={}", call.home.display()))
        .env("TMPDIR", std::env::temp_dir());
    if let Some(java_home) = std::env::var_os("JAVA_HOME") {
        command.env("JAVA_HOME", java_home);
    }
    command
        .current_dir(call.work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let line = format!("{} {}", call.mvn.display(), args.join(" "));
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{line}` (run scripts/test-setup): {e}"));
    // On timeout the child is dropped, which kills it (mvn execs java).
    let output = tokio::time::timeout(MVN_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`{line}` did not finish within {MVN_TIMEOUT:?}; killed"))
        .unwrap_or_else(|e| panic!("`{line}`: {e}"));
    let output = crate::CliOutput::from_output(&output);
    MvnResult {
        status: output.status,
        stdout: strip_ansi(&output.stdout),
        stderr: strip_ansi(&output.stderr),
        command: line,
        local_repository: call.local.to_path_buf(),
        resolved: None,
        bytes: None,
    }
}

/// The settings.xml of one call: batch, online, no proxies; a mirror of
/// every repository but `unmirrored` (the repository under test) to
/// Debian's repository; a `<server>` per entry of `servers`.
pub fn settings_xml(unmirrored: &[&str], servers: &[(&str, &MavenCredentials)]) -> String {
    let mut mirror_of = String::from("*");
    for id in unmirrored {
        let _ = write!(mirror_of, ",!{id}");
    }
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <interactiveMode>false</interactiveMode>
  <offline>false</offline>
  <proxies/>
  <mirrors>
    <mirror>
      <id>{DEBIAN_MIRROR_ID}</id>
      <name>Debian's local Maven repository</name>
      <mirrorOf>{}</mirrorOf>
      <url>file://{DEBIAN_MAVEN_REPO}</url>
    </mirror>
  </mirrors>
  <servers>
"#,
        xml_escape(&mirror_of)
    );
    for (id, credentials) in servers {
        let _ = write!(
            xml,
            "    <server>\n      <id>{}</id>\n      <username>{}</username>\n      <password>{}</password>\n    </server>\n",
            xml_escape(id),
            xml_escape(credentials.user()),
            xml_escape(credentials.password())
        );
    }
    xml.push_str("  </servers>\n</settings>\n");
    xml
}

/// A minimal jar for `group:artifact:version`: a zip holding
/// `META-INF/MANIFEST.MF` (naming the artifact and version, so versions
/// differ in bytes) and one class-like file (`{group as path}/Main.class`,
/// the class file magic and a few bytes).
pub fn maven_jar(group: &str, artifact: &str, version: &str) -> Vec<u8> {
    let manifest = format!(
        "Manifest-Version: 1.0\r\nCreated-By: Gantry tests\r\nImplementation-Title: {artifact}\r\n\
         Implementation-Version: {version}\r\nImplementation-Vendor-Id: {group}\r\n\r\n"
    );
    let class_path = format!("{}/Main.class", group.replace('.', "/"));
    let mut class = vec![0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x00, 0x00, 0x3D];
    class.extend_from_slice(format!("{group}:{artifact}:{version}").as_bytes());
    zip_with(&[
        ("META-INF/MANIFEST.MF", manifest.as_bytes()),
        (&class_path, &class),
    ])
}

/// A minimal pom for `group:artifact:version` with `packaging`.
pub fn maven_pom(group: &str, artifact: &str, version: &str, packaging: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{}</groupId>
  <artifactId>{}</artifactId>
  <version>{}</version>
  <packaging>{}</packaging>
  <description>{} {}, an artifact of Gantry's tests.</description>
</project>
"#,
        xml_escape(group),
        xml_escape(artifact),
        xml_escape(version),
        xml_escape(packaging),
        xml_escape(artifact),
        xml_escape(version)
    )
}

/// Where `group:artifact:version[:packaging[:classifier]]` lies in a
/// repository: `group/as/path/artifact/version/artifact-version[-classifier].ext`,
/// the extension being what Maven's artifact handler gives the packaging
/// (`jar` for `maven-plugin`, `test-jar`, `ejb`, `ejb-client`,
/// `java-source`, `javadoc`; the packaging itself otherwise).
pub fn local_path(coordinates: &str) -> PathBuf {
    let parts: Vec<&str> = coordinates.split(':').collect();
    assert!(
        (3..=5).contains(&parts.len()),
        "coordinates are group:artifact:version[:packaging[:classifier]], not {coordinates}"
    );
    let (group, artifact, version) = (parts[0], parts[1], parts[2]);
    let packaging = parts.get(3).copied().unwrap_or("jar");
    let extension = match packaging {
        "maven-plugin" | "test-jar" | "ejb" | "ejb-client" | "java-source" | "javadoc" => "jar",
        other => other,
    };
    let classifier = parts
        .get(4)
        .filter(|c| !c.is_empty())
        .map(|c| format!("-{c}"))
        .unwrap_or_default();
    PathBuf::from(group.replace('.', "/"))
        .join(artifact)
        .join(version)
        .join(format!("{artifact}-{version}{classifier}.{extension}"))
}

/// The plugins a jar project's `deploy` runs, pinned to the versions
/// Debian ships (`libmaven-resources-plugin-java`,
/// `libmaven-compiler-plugin-java`, `libsurefire-java`,
/// `libmaven-jar-plugin-java`, `libmaven-install-plugin-java`,
/// `libmaven-deploy-plugin-java`; `scripts/install-maven-client` installs
/// them), so that mvn finds each in Debian's repository.
pub const PROJECT_PLUGINS: [(&str, &str); 6] = [
    ("maven-resources-plugin", "3.3.0"),
    ("maven-compiler-plugin", "3.10.1"),
    ("maven-surefire-plugin", "2.22.3"),
    ("maven-jar-plugin", "3.3.0"),
    ("maven-install-plugin", "3.1.0"),
    ("maven-deploy-plugin", "3.0.0"),
];

/// Writes a one-class jar project into `dir`: `pom.xml` (packaging `jar`,
/// Java 11, [`PROJECT_PLUGINS`] pinned, `distributionManagement` naming
/// the repository `repository_id` at `url` for releases and snapshots) and
/// `src/main/java/{group as path}/Greeter.java` (the group is its Java
/// package, so it must be a valid package name). Returns the pom's path;
/// `mvn deploy` leaves the jar in `target/{artifact}-{version}.jar`.
pub fn write_jar_project(
    dir: &Path,
    group: &str,
    artifact: &str,
    version: &str,
    repository_id: &str,
    url: &str,
) -> PathBuf {
    let mut plugins = String::new();
    for (plugin, plugin_version) in PROJECT_PLUGINS {
        let _ = write!(
            plugins,
            "\n        <plugin>\n          <groupId>org.apache.maven.plugins</groupId>\n          \
             <artifactId>{plugin}</artifactId>\n          <version>{plugin_version}</version>\n        </plugin>"
        );
    }
    let repository = format!(
        "<id>{}</id>\n      <url>{}</url>",
        xml_escape(repository_id),
        xml_escape(url)
    );
    let pom = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{}</groupId>
  <artifactId>{}</artifactId>
  <version>{}</version>
  <packaging>jar</packaging>
  <description>A one-class project of Gantry's tests.</description>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <maven.compiler.release>11</maven.compiler.release>
  </properties>
  <distributionManagement>
    <repository>
      {repository}
    </repository>
    <snapshotRepository>
      {repository}
    </snapshotRepository>
  </distributionManagement>
  <build>
    <pluginManagement>
      <plugins>{plugins}
      </plugins>
    </pluginManagement>
  </build>
</project>
"#,
        xml_escape(group),
        xml_escape(artifact),
        xml_escape(version),
    );
    let package = group.replace('.', "/");
    let source = dir.join("src/main/java").join(&package).join("Greeter.java");
    std::fs::create_dir_all(source.parent().expect("parent")).expect("source folder");
    std::fs::write(
        &source,
        format!(
            "package {group};\n\npublic final class Greeter {{\n    public static String greet(String name) {{\n        \
             return \"Hello, \" + name + \"!\";\n    }}\n}}\n"
        ),
    )
    .expect("Greeter.java");
    let path = dir.join("pom.xml");
    std::fs::write(&path, pom).expect("pom.xml");
    path
}

/// One release of an artifact as a test deploys it: a jar ([`maven_jar`])
/// and its pom ([`maven_pom`], packaging `jar`), and where they lie in a
/// feed's maven2 layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MavenArtifact {
    /// The groupId (`org.acme`).
    pub group: String,
    /// The artifactId (`widget`).
    pub artifact: String,
    /// The version (`1.0`).
    pub version: String,
    /// The jar's bytes.
    pub jar: Vec<u8>,
    /// The pom.
    pub pom: String,
}

impl MavenArtifact {
    /// `group:artifact:version` with a fresh jar and pom.
    pub fn new(group: &str, artifact: &str, version: &str) -> Self {
        Self {
            group: group.into(),
            artifact: artifact.into(),
            version: version.into(),
            jar: maven_jar(group, artifact, version),
            pom: maven_pom(group, artifact, version, "jar"),
        }
    }

    /// `group:artifact:version`, as `dependency:get` takes it.
    pub fn coordinates(&self) -> String {
        format!("{}:{}:{}", self.group, self.artifact, self.version)
    }

    /// `/maven2/{feed}/{group as path}/{artifact}`: the artifact's folder,
    /// which holds its `maven-metadata.xml`.
    pub fn artifact_dir(&self, feed: &str) -> String {
        format!(
            "/maven2/{feed}/{}/{}",
            self.group.replace('.', "/"),
            self.artifact
        )
    }

    /// `/maven2/{feed}/.../{artifact}/maven-metadata.xml`.
    pub fn metadata_path(&self, feed: &str) -> String {
        format!("{}/maven-metadata.xml", self.artifact_dir(feed))
    }

    /// `/maven2/{feed}/.../{version}/{artifact}-{version}.{extension}`:
    /// the jar (`"jar"`), the pom (`"pom"`) or a checksum (`"jar.sha1"`).
    pub fn path(&self, feed: &str, extension: &str) -> String {
        format!(
            "{}/{version}/{}-{version}.{extension}",
            self.artifact_dir(feed),
            self.artifact,
            version = self.version
        )
    }

    /// The `PUT`s of a plain upload (`curl -T`, no checksums, no
    /// metadata): the jar, then the pom, with `ADMIN_KEY`. Each request is
    /// `'static`, so that a test may send them from tasks of its own.
    pub fn put_requests(&self, app: &crate::TestApp, feed: &str) -> [reqwest::RequestBuilder; 2] {
        [
            app.admin(reqwest::Method::PUT, &self.path(feed, "jar"))
                .body(self.jar.clone()),
            app.admin(reqwest::Method::PUT, &self.path(feed, "pom"))
                .body(self.pom.clone()),
        ]
    }

    /// Sends [`Self::put_requests`] in order, stopping at the first that is
    /// refused; returns the last answer's status and body.
    pub async fn put(&self, app: &crate::TestApp, feed: &str) -> (reqwest::StatusCode, String) {
        send_in_order(self.put_requests(app, feed)).await
    }
}

/// Sends `requests` one after the other, stopping at the first that is
/// refused (as mvn does); returns the last answer's status and body.
pub async fn send_in_order(
    requests: impl IntoIterator<Item = reqwest::RequestBuilder>,
) -> (reqwest::StatusCode, String) {
    let mut answer = (reqwest::StatusCode::NO_CONTENT, String::new());
    for request in requests {
        let response = request.send().await.expect("request");
        answer = (response.status(), response.text().await.expect("body"));
        if !answer.0.is_success() {
            break;
        }
    }
    answer
}

/// What a client reads from an artifact's `maven-metadata.xml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactMetadata {
    /// `<latest>`.
    pub latest: Option<String>,
    /// `<release>`.
    pub release: Option<String>,
    /// Each `<version>` of `<versions>`, in the document's order.
    pub versions: Vec<String>,
    /// `<lastUpdated>`.
    pub last_updated: Option<String>,
}

impl ArtifactMetadata {
    /// Reads the elements above from `xml` (a plain scan: the documents
    /// are Maven's, without comments or CDATA).
    pub fn parse(xml: &str) -> Self {
        let versions = xml_element(xml, "versions")
            .map(|list| xml_elements(list, "version"))
            .unwrap_or_default();
        Self {
            latest: xml_element(xml, "latest").map(str::to_owned),
            release: xml_element(xml, "release").map(str::to_owned),
            versions: versions.into_iter().map(str::to_owned).collect(),
            last_updated: xml_element(xml, "lastUpdated").map(str::to_owned),
        }
    }
}

/// `xml` without its `<lastUpdated>` element: what stays the same when
/// the same versions are deployed at another moment.
pub fn without_last_updated(xml: &str) -> String {
    match (xml.find("<lastUpdated>"), xml.find("</lastUpdated>")) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{}", &xml[..start], &xml[end + "</lastUpdated>".len()..])
        }
        _ => xml.to_owned(),
    }
}

/// The text of the first `<tag>...</tag>` of `xml`.
fn xml_element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    xml_elements(xml, tag).into_iter().next()
}

/// The text of every `<tag>...</tag>` of `xml`, in order.
fn xml_elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(after[..end].trim());
        rest = &after[end + close.len()..];
    }
    found
}

/// The plugin-only local repository strict calls start from: built once
/// per installation of mvn and its plugins, cached in the temporary folder.
async fn strict_template(mvn: &Path) -> PathBuf {
    static TEMPLATE: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| build_strict_template(mvn.to_path_buf()))
        .await
        .clone()
}

/// The marker of a complete plugin-only repository.
const TEMPLATE_MARKER: &str = ".gantry-plugin-repository";

/// The group of the scratch artifact the plugin-only repository is built with.
const SEED_GROUP: &str = "gantry-plugin-seed";

/// Builds the plugin-only local repository (or finds it built): runs
/// deploy-file (with a classifier file, as tests do) and dependency:get
/// without `-C` against a scratch `file://` repository, so that both
/// plugins and everything they load are resolved from Debian's repository
/// into a fresh local repository; deletes the scratch artifact from it; and
/// moves it into place (several test processes may build it at once: the
/// first to finish wins).
async fn build_strict_template(mvn: PathBuf) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    let canonical = std::fs::canonicalize(&mvn).unwrap_or_else(|_| mvn.clone());
    canonical.hash(&mut hasher);
    for plugin in [DEPLOY_PLUGIN, DEPENDENCY_PLUGIN] {
        let mut parts = plugin.split(':');
        let (group, artifact, version) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let jar = Path::new(DEBIAN_MAVEN_REPO).join(local_path(&format!("{group}:{artifact}:{version}")));
        let meta = std::fs::metadata(&jar).unwrap_or_else(|e| {
            panic!(
                "{} is missing ({e}): run scripts/install-maven-client",
                jar.display()
            )
        });
        (meta.len(), meta.modified().ok()).hash(&mut hasher);
    }
    for dir in [DEBIAN_MAVEN_REPO, "/usr/share/maven/lib"] {
        std::fs::metadata(dir)
            .ok()
            .and_then(|m| m.modified().ok())
            .hash(&mut hasher);
    }
    let target =
        std::env::temp_dir().join(format!("gantry-maven-plugin-repository-{:016x}", hasher.finish()));
    if target.join(TEMPLATE_MARKER).is_file() {
        return target;
    }

    let scratch = tempfile::Builder::new()
        .prefix("gantry-maven-plugin-build-")
        .tempdir_in(std::env::temp_dir())
        .expect("temp dir");
    let work = scratch.path();
    let home = work.join("home");
    let local = work.join("repository");
    let remote = work.join("remote");
    for dir in [&home, &local, &remote] {
        std::fs::create_dir_all(dir).expect("folder");
    }
    let seed_id = "gantry-seed";
    let settings = work.join("settings.xml");
    std::fs::write(&settings, settings_xml(&[seed_id], &[])).expect("settings.xml");
    let jar = work.join("seed.jar");
    std::fs::write(&jar, maven_jar(SEED_GROUP, "seed", "1.0")).expect("seed jar");
    let pom = work.join("seed.pom");
    std::fs::write(&pom, maven_pom(SEED_GROUP, "seed", "1.0", "jar")).expect("seed pom");
    let url = format!("file://{}", remote.display());
    let steps: [Vec<String>; 2] = [
        vec![
            format!("{DEPLOY_PLUGIN}:deploy-file"),
            format!("-Durl={url}"),
            format!("-DrepositoryId={seed_id}"),
            format!("-Dfile={}", jar.display()),
            format!("-DpomFile={}", pom.display()),
            format!("-Dfiles={}", jar.display()),
            "-Dclassifiers=sources".into(),
            "-Dtypes=jar".into(),
        ],
        vec![
            format!("{DEPENDENCY_PLUGIN}:get"),
            format!("-DremoteRepositories={seed_id}::default::{url}"),
            format!("-Dartifact={SEED_GROUP}:seed:1.0"),
            "-Dtransitive=false".into(),
        ],
    ];
    for args in &steps {
        run_mvn(&Invocation {
            mvn: &mvn,
            work,
            home: &home,
            settings: &settings,
            local: &local,
            quiet: true,
            strict: false,
            args,
        })
        .await
        .expect_ok();
    }
    std::fs::remove_dir_all(local.join(SEED_GROUP)).expect("remove the scratch artifact");
    std::fs::write(
        local.join(TEMPLATE_MARKER),
        "plugins for mvn -C, built by gantry-test-support\n",
    )
    .expect("marker");
    if std::fs::rename(&local, &target).is_err() {
        // Another process finished first (or an incomplete leftover is in
        // the way: replace it).
        if !target.join(TEMPLATE_MARKER).is_file() {
            let _ = std::fs::remove_dir_all(&target);
            std::fs::rename(&local, &target).expect("move the plugin-only repository into place");
        }
    }
    target
}

/// Copies the tree at `from` to `to` (created), without the template's marker.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let (source, name) = (entry.path(), entry.file_name());
        if name == TEMPLATE_MARKER {
            continue;
        }
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&source, &to.join(&name));
        } else {
            std::fs::copy(&source, to.join(&name)).expect("copy file");
        }
    }
}

/// The extension of a file name (`jar` when it has none).
fn extension_of(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("jar")
        .to_owned()
}

/// The text without ANSI escape sequences (mvn 3.8 prints colour resets even
/// in batch mode).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! The harness against a tiny maven2 repository of the test's own
    //! (`Repo`, raw HTTP/1.1 on tokio), which also records what mvn 3.8.7
    //! (wagon-http) sends, for whoever builds the server side. Observed, and
    //! asserted below:
    //!
    //! - **deploy-file, release**: `PUT` the main file, its `.sha1`, its
    //!   `.md5`; the same for the pom; then for each `-Dfiles` file (the
    //!   sources jar). Only then `GET maven-metadata.xml` (artifact level;
    //!   404 for a new artifact; when it exists its `.sha1` is fetched too),
    //!   and `PUT maven-metadata.xml` + `.sha1` + `.md5`: mvn merges what it
    //!   read with the new version and uploads the merge (`<latest>` and
    //!   `<release>` = the version just deployed), so a server must
    //!   generate its own metadata. No `.sha256`/`.sha512` are uploaded.
    //!   A generated pom (no `-DpomFile`) leaves out `<packaging>jar`.
    //! - **deploy-file, snapshot** (`1.2.0-SNAPSHOT`): first `GET
    //!   1.2.0-SNAPSHOT/maven-metadata.xml` (for the build number), then the
    //!   files under timestamped names (`demo-lib-1.2.0-20261203.142252-1.jar`),
    //!   then `GET` of the artifact-level metadata, then `PUT` of the
    //!   version-level and the artifact-level metadata, each with
    //!   `.sha1`/`.md5`.
    //! - **Headers of uploads**: every `PUT` carries `Expect: 100-continue`,
    //!   a `Content-Length` (never chunked) and `Authorization: Basic`
    //!   preemptively (from the `<server>` entry). The body follows the
    //!   server's `100 Continue`; a server that sends a final status
    //!   instead gets no body. Everything goes over one kept-alive
    //!   connection.
    //! - **When auth is sent**: up front on every `PUT`. A `GET` carries it
    //!   only once credentials have been sent in the same transfer session
    //!   (a whole deploy; each file dependency:get resolves, pom and jar
    //!   separately), whatever the TCP connection (wagon pools them): the
    //!   metadata read after a deploy's uploads has it, a snapshot deploy's
    //!   first metadata read does not. dependency:get asks anonymously, and
    //!   after a `401` with a `Basic` challenge repeats that `GET` with the
    //!   `<server>` credentials (without a `<server>` it fails, naming the
    //!   401). It starts anonymously again for the jar after the pom; the
    //!   `.sha1` read after a file goes with credentials.
    //! - **Without a `<server>` entry** a deploy sends no credentials: the
    //!   `PUT` of the jar and of the pom each get a 401 (no body sent),
    //!   then mvn fails.
    //! - **dependency:get** (`-Dtransitive=false`, release): `GET` pom,
    //!   pom `.sha1`, jar, jar `.sha1`; a missing pom is only a warning; the
    //!   `.md5` is asked for only when the `.sha1` is missing. No metadata
    //!   for a release. For a snapshot: `GET 1.2.0-SNAPSHOT/maven-metadata.xml`
    //!   and its `.sha1`, then the timestamped pom and jar.
    //! - **Checksums**: without `-C` a missing or wrong checksum is a
    //!   warning. With `-C`, a missing one fails ("Checksum validation
    //!   failed, no checksums available"), and a wrong one fails after mvn
    //!   downloads the file and its `.sha1` a second time ("Checksum
    //!   validation failed, expected ... but is actually ...").

    use std::net::SocketAddr;
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Mutex};

    use base64::Engine as _;
    use sha1::{Digest, Sha1};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    const REPOSITORY_ID: &str = "gantry-test";
    const USER: &str = "api";
    const SECRET: &str = "secret";

    /// One request the repository answered.
    #[derive(Clone, Debug)]
    struct Seen {
        connection: usize,
        method: String,
        path: String,
        headers: Vec<(String, String)>,
        continued: bool,
        status: u16,
    }

    impl Seen {
        fn header(&self, name: &str) -> Option<&str> {
            header(&self.headers, name)
        }
    }

    impl std::fmt::Display for Seen {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "#{} {} {} -> {}{}{}{}{}",
                self.connection,
                self.method,
                self.path,
                self.status,
                if self.header("authorization").is_some() {
                    " [auth]"
                } else {
                    ""
                },
                self.header("expect")
                    .map(|e| format!(" [expect {e}]"))
                    .unwrap_or_default(),
                if self.continued { " [100 sent]" } else { "" },
                self.header("content-length")
                    .map(|l| format!(" [length {l}]"))
                    .or_else(|| self.header("transfer-encoding").map(|t| format!(" [{t}]")))
                    .unwrap_or_default(),
            )
        }
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    struct State {
        root: PathBuf,
        log: Mutex<Vec<Seen>>,
        auth_reads: AtomicBool,
    }

    /// A maven2 repository at `http://127.0.0.1:PORT/maven2/`: PUT stores
    /// the body under its path (Basic `api:secret` required, `Expect:
    /// 100-continue` answered), GET and HEAD serve stored files (anonymously
    /// unless `auth_reads`), 404 otherwise.
    struct Repo {
        dir: tempfile::TempDir,
        addr: SocketAddr,
        state: Arc<State>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Repo {
        async fn start() -> Repo {
            let dir = tempfile::tempdir().expect("temp dir");
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("address");
            let state = Arc::new(State {
                root: dir.path().to_path_buf(),
                log: Mutex::new(Vec::new()),
                auth_reads: AtomicBool::new(false),
            });
            let shared = Arc::clone(&state);
            let task = tokio::spawn(async move {
                let mut connections = 0;
                while let Ok((stream, _)) = listener.accept().await {
                    connections += 1;
                    tokio::spawn(serve(stream, connections, Arc::clone(&shared)));
                }
            });
            Repo {
                dir,
                addr,
                state,
                task,
            }
        }

        fn url(&self) -> String {
            format!("http://{}/maven2", self.addr)
        }

        /// The requests so far, and forgets them.
        fn take(&self) -> Vec<Seen> {
            let seen = std::mem::take(&mut *self.state.log.lock().expect("log"));
            eprintln!("--- requests ---");
            for request in &seen {
                eprintln!("{request}");
            }
            seen
        }

        fn path(&self, relative: &str) -> PathBuf {
            self.dir.path().join(relative)
        }

        fn read(&self, relative: &str) -> Vec<u8> {
            std::fs::read(self.path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
        }

        fn put(&self, relative: &str, bytes: &[u8]) {
            let path = self.path(relative);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
            std::fs::write(path, bytes).expect("write");
        }
    }

    impl Drop for Repo {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    async fn serve(stream: TcpStream, connection: usize, state: Arc<State>) {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{SECRET}"))
        );
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let mut parts = line.split_whitespace();
            let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
                return;
            };
            let (method, target) = (method.to_owned(), target.to_owned());
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
            }
            let path = target.split('?').next().unwrap_or_default().to_owned();
            let has_body = header(&headers, "content-length").is_some_and(|l| l != "0")
                || header(&headers, "transfer-encoding").is_some();
            let close = header(&headers, "connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
            let mut seen = Seen {
                connection,
                method: method.clone(),
                path: path.clone(),
                headers: headers.clone(),
                continued: false,
                status: 0,
            };
            let file = path
                .strip_prefix("/maven2/")
                .filter(|p| !p.is_empty() && p.split('/').all(|s| !s.is_empty() && s != "." && s != ".."))
                .map(|p| state.root.join(p));
            let needs_auth = method == "PUT" || state.auth_reads.load(Ordering::SeqCst);
            let authorized = header(&headers, "authorization") == Some(expected.as_str());
            let (status, body): (u16, Vec<u8>) = if needs_auth && !authorized {
                seen.status = 401;
                state.log.lock().expect("log").push(seen);
                // The body (if any) is not read: answer and close.
                let _ = write
                    .write_all(
                        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"gantry-test\"\r\n\
                          Content-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
                return;
            } else if let Some(file) = file {
                match method.as_str() {
                    "PUT" => {
                        if header(&headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
                        {
                            seen.continued = true;
                            if write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.is_err() {
                                return;
                            }
                        }
                        let Some(bytes) = read_body(&mut reader, &headers).await else {
                            return;
                        };
                        std::fs::create_dir_all(file.parent().expect("parent")).expect("folders");
                        std::fs::write(&file, bytes).expect("store");
                        (201, Vec::new())
                    }
                    "GET" | "HEAD" if file.is_file() => (200, std::fs::read(&file).expect("read")),
                    "GET" | "HEAD" => (404, Vec::new()),
                    _ => (405, Vec::new()),
                }
            } else {
                (404, Vec::new())
            };
            // A body not read (a 404 or 405 with one) leaves the connection unusable.
            let close = close || (method != "PUT" && has_body);
            seen.status = status;
            state.log.lock().expect("log").push(seen);
            let reason = match status {
                200 => "OK",
                201 => "Created",
                404 => "Not Found",
                _ => "Method Not Allowed",
            };
            let mut response = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\n{}\r\n",
                body.len(),
                if close { "Connection: close\r\n" } else { "" }
            )
            .into_bytes();
            if method != "HEAD" {
                response.extend_from_slice(&body);
            }
            if write.write_all(&response).await.is_err() || close {
                return;
            }
        }
    }

    /// The request body: `Content-Length` bytes, or chunks.
    async fn read_body<R: AsyncBufReadExt + Unpin>(
        reader: &mut R,
        headers: &[(String, String)],
    ) -> Option<Vec<u8>> {
        if header(headers, "transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
            let mut body = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).await.ok()?;
                let size = usize::from_str_radix(line.trim().split(';').next()?.trim(), 16).ok()?;
                if size == 0 {
                    // Trailers, up to an empty line.
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.ok()? == 0 || line.trim().is_empty() {
                            return Some(body);
                        }
                    }
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader.read_exact(&mut body[start..]).await.ok()?;
                let mut crlf = [0; 2];
                reader.read_exact(&mut crlf).await.ok()?;
            }
        }
        let length: usize = header(headers, "content-length").map_or(Some(0), |l| l.parse().ok())?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await.ok()?;
        Some(body)
    }

    fn sha1_hex(bytes: &[u8]) -> String {
        format!("{:x}", Sha1::digest(bytes))
    }

    fn skip() -> Option<MavenCli> {
        let cli = MavenCli::from_env();
        if cli.is_none() {
            eprintln!("skipped: {MVN_VAR} is not set (scripts/test-setup installs mvn and prints it)");
        }
        cli
    }

    fn key() -> MavenCredentials {
        MavenCredentials::api_key(SECRET)
    }

    const GROUP: &str = "org.gantry.demo";
    const ARTIFACT: &str = "demo-lib";
    const BASE: &str = "org/gantry/demo/demo-lib";

    #[tokio::test]
    async fn maven_deploy_file_and_dependency_get_round_trip() {
        let Some(cli) = skip() else { return };
        let repo = Repo::start().await;
        let jar = maven_jar(GROUP, ARTIFACT, "1.0.0");
        let pom = maven_pom(GROUP, ARTIFACT, "1.0.0", "jar");
        let sources = zip_with(&[("org/gantry/demo/Main.java", b"class Main {}\n")]);
        let jar_path = cli.write_file("demo-lib-1.0.0.jar", &jar);
        let pom_path = cli.write_file("demo-lib-1.0.0.pom", &pom);
        let sources_path = cli.write_file("demo-lib-1.0.0-sources.jar", &sources);

        cli.deploy_file(
            &repo.url(),
            REPOSITORY_ID,
            Some(&key()),
            &jar_path,
            Some(&pom_path),
            GROUP,
            ARTIFACT,
            "1.0.0",
            &[("sources", &sources_path)],
        )
        .await
        .expect_ok();
        let seen = repo.take();
        let order: Vec<String> = seen.iter().map(|s| format!("{} {}", s.method, s.path)).collect();
        let v = format!("/maven2/{BASE}/1.0.0/demo-lib-1.0.0");
        let m = format!("/maven2/{BASE}/maven-metadata.xml");
        // The artifacts first (main file, pom, then the -Dfiles), each with
        // its checksums; then the metadata is read, merged and written.
        let mut expected = Vec::new();
        for file in [format!("{v}.jar"), format!("{v}.pom"), format!("{v}-sources.jar")] {
            for suffix in ["", ".sha1", ".md5"] {
                expected.push(format!("PUT {file}{suffix}"));
            }
        }
        expected.push(format!("GET {m}"));
        for suffix in ["", ".sha1", ".md5"] {
            expected.push(format!("PUT {m}{suffix}"));
        }
        assert_eq!(order, expected, "the requests of deploy-file, in order");
        for put in seen.iter().filter(|s| s.method == "PUT") {
            assert_eq!(put.status, 201, "{put}");
            assert!(
                put.header("authorization").is_some(),
                "credentials up front: {put}"
            );
            assert!(put.continued, "Expect: 100-continue: {put}");
            assert!(put.header("content-length").is_some(), "a Content-Length: {put}");
        }
        let metadata_read = seen.iter().find(|s| s.method == "GET").expect("a metadata read");
        assert_eq!(metadata_read.status, 404, "{metadata_read}");
        assert!(
            metadata_read.header("authorization").is_some(),
            "the uploads' credentials go with the metadata read too: {metadata_read}"
        );
        assert!(
            seen.iter().all(|s| s.connection == seen[0].connection),
            "one kept-alive connection"
        );
        assert_eq!(repo.read(&format!("{BASE}/1.0.0/demo-lib-1.0.0.jar")), jar);
        assert_eq!(
            repo.read(&format!("{BASE}/1.0.0/demo-lib-1.0.0.pom")),
            pom.as_bytes()
        );
        assert_eq!(
            repo.read(&format!("{BASE}/1.0.0/demo-lib-1.0.0.jar.sha1")),
            sha1_hex(&jar).as_bytes(),
            "the .sha1 is the bare hex digest"
        );
        let metadata = String::from_utf8(repo.read(&format!("{BASE}/maven-metadata.xml"))).expect("UTF-8");
        assert!(metadata.contains("<release>1.0.0</release>"), "{metadata}");

        // Back, each from a fresh local repository: the jar, the pom, the sources.
        let got = cli
            .dependency_get(
                &repo.url(),
                REPOSITORY_ID,
                None,
                &format!("{GROUP}:{ARTIFACT}:1.0.0"),
            )
            .await;
        got.expect_ok();
        assert_eq!(got.artifact_bytes(), jar);
        assert!(got
            .resolved
            .as_ref()
            .expect("path")
            .starts_with(&got.local_repository));
        let seen = repo.take();
        let order: Vec<String> = seen.iter().map(|s| format!("{} {}", s.method, s.path)).collect();
        // The pom first (a 404 there would only be a warning), then the
        // jar, each followed by its .sha1.
        assert_eq!(
            order,
            [
                format!("GET {v}.pom"),
                format!("GET {v}.pom.sha1"),
                format!("GET {v}.jar"),
                format!("GET {v}.jar.sha1")
            ]
        );
        assert!(seen.iter().all(|s| s.header("authorization").is_none()));
        let got = cli
            .dependency_get(
                &repo.url(),
                REPOSITORY_ID,
                None,
                &format!("{GROUP}:{ARTIFACT}:1.0.0:pom"),
            )
            .await;
        assert_eq!(got.expect_ok().artifact_bytes(), pom.as_bytes());
        let got = cli
            .dependency_get(
                &repo.url(),
                REPOSITORY_ID,
                Some(&key()),
                &format!("{GROUP}:{ARTIFACT}:1.0.0:jar:sources"),
            )
            .await;
        assert_eq!(got.expect_ok().artifact_bytes(), sources);
        repo.take();

        // A second version, its pom generated by the plugin: mvn merges the
        // metadata it read and uploads the merge.
        let jar2 = maven_jar(GROUP, ARTIFACT, "1.1.0");
        let jar2_path = cli.write_file("demo-lib-1.1.0.jar", &jar2);
        cli.deploy_file(
            &repo.url(),
            REPOSITORY_ID,
            Some(&key()),
            &jar2_path,
            None,
            GROUP,
            ARTIFACT,
            "1.1.0",
            &[],
        )
        .await
        .expect_ok();
        let seen = repo.take();
        // The existing metadata is read with its .sha1, after the artifacts.
        let reads: Vec<String> = seen
            .iter()
            .filter(|s| s.method == "GET")
            .map(|s| format!("{} -> {}", s.path, s.status))
            .collect();
        assert_eq!(reads, [format!("{m} -> 200"), format!("{m}.sha1 -> 200")]);
        assert_eq!(seen.iter().filter(|s| s.method == "PUT").count(), 9);
        let metadata = String::from_utf8(repo.read(&format!("{BASE}/maven-metadata.xml"))).expect("UTF-8");
        for wanted in [
            "<version>1.0.0</version>",
            "<version>1.1.0</version>",
            "<release>1.1.0</release>",
        ] {
            assert!(metadata.contains(wanted), "{wanted} in {metadata}");
        }
        let generated =
            String::from_utf8(repo.read(&format!("{BASE}/1.1.0/demo-lib-1.1.0.pom"))).expect("UTF-8");
        // A generated pom names the coordinates and leaves out the default
        // packaging (jar).
        assert!(generated.contains("<version>1.1.0</version>"), "{generated}");
        assert!(!generated.contains("<packaging>"), "{generated}");

        // A snapshot.
        let snapshot = maven_jar(GROUP, ARTIFACT, "1.2.0-SNAPSHOT");
        let snapshot_path = cli.write_file("demo-lib-1.2.0-SNAPSHOT.jar", &snapshot);
        cli.deploy_file(
            &repo.url(),
            REPOSITORY_ID,
            Some(&key()),
            &snapshot_path,
            None,
            GROUP,
            ARTIFACT,
            "1.2.0-SNAPSHOT",
            &[],
        )
        .await
        .expect_ok();
        let seen = repo.take();
        let got = cli
            .dependency_get(
                &repo.url(),
                REPOSITORY_ID,
                None,
                &format!("{GROUP}:{ARTIFACT}:1.2.0-SNAPSHOT"),
            )
            .await;
        assert_eq!(got.expect_ok().artifact_bytes(), snapshot);
        let seen_get = repo.take();
        // Deploying a snapshot starts with reading its version's metadata
        // (anonymously: nothing has been sent with credentials yet), for
        // the build number; the files get timestamped names; both
        // metadata files are written at the end.
        let snapshots = format!("/maven2/{BASE}/1.2.0-SNAPSHOT");
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path.as_str(), seen[0].status),
            ("GET", format!("{snapshots}/maven-metadata.xml").as_str(), 404)
        );
        assert!(seen[0].header("authorization").is_none(), "{}", seen[0]);
        let timestamped = |s: &Seen| {
            s.path
                .strip_prefix(&format!("{snapshots}/demo-lib-1.2.0-"))
                .is_some_and(|rest| !rest.starts_with("SNAPSHOT") && rest.contains("-1."))
        };
        let puts: Vec<&Seen> = seen.iter().filter(|s| s.method == "PUT").collect();
        assert_eq!(
            puts.len(),
            12,
            "jar, pom and two metadata files, each with .sha1 and .md5"
        );
        assert!(puts[..6].iter().all(|s| timestamped(s)), "timestamped names");
        assert_eq!(puts[6].path, format!("{snapshots}/maven-metadata.xml"));
        assert_eq!(puts[9].path, m);
        let snapshot_metadata =
            String::from_utf8(repo.read(&format!("{BASE}/1.2.0-SNAPSHOT/maven-metadata.xml")))
                .expect("UTF-8");
        assert!(
            snapshot_metadata.contains("<buildNumber>1</buildNumber>"),
            "{snapshot_metadata}"
        );
        // Getting it: the version's metadata (and its .sha1), then the
        // timestamped pom and jar; the local repository has it under the
        // -SNAPSHOT name too.
        assert_eq!(seen_get[0].path, format!("{snapshots}/maven-metadata.xml"));
        assert_eq!(seen_get[1].path, format!("{snapshots}/maven-metadata.xml.sha1"));
        assert!(seen_get[2..].iter().all(timestamped), "timestamped names");
    }

    #[tokio::test]
    async fn maven_reads_are_anonymous_until_challenged() {
        let Some(cli) = skip() else { return };
        let repo = Repo::start().await;
        let jar = maven_jar(GROUP, ARTIFACT, "2.0.0");
        repo.put(&format!("{BASE}/2.0.0/demo-lib-2.0.0.jar"), &jar);
        repo.put(
            &format!("{BASE}/2.0.0/demo-lib-2.0.0.jar.sha1"),
            sha1_hex(&jar).as_bytes(),
        );
        let pom = maven_pom(GROUP, ARTIFACT, "2.0.0", "jar");
        repo.put(&format!("{BASE}/2.0.0/demo-lib-2.0.0.pom"), pom.as_bytes());
        repo.put(
            &format!("{BASE}/2.0.0/demo-lib-2.0.0.pom.sha1"),
            sha1_hex(pom.as_bytes()).as_bytes(),
        );
        repo.state.auth_reads.store(true, Ordering::SeqCst);
        let coordinates = format!("{GROUP}:{ARTIFACT}:2.0.0");

        let refused = cli
            .dependency_get(&repo.url(), REPOSITORY_ID, None, &coordinates)
            .await;
        refused.expect_failure();
        assert!(refused.output().contains("401"), "{refused}");
        let seen = repo.take();
        assert!(seen
            .iter()
            .all(|s| s.status == 401 && s.header("authorization").is_none()));

        let got = cli
            .dependency_get(&repo.url(), REPOSITORY_ID, Some(&key()), &coordinates)
            .await;
        assert_eq!(got.expect_ok().artifact_bytes(), jar);
        // Each file (pom, jar) is first asked for anonymously; after the
        // 401 the same GET is repeated with the credentials.
        let seen = repo.take();
        for (i, request) in seen.iter().enumerate() {
            if request.status == 401 {
                assert!(request.header("authorization").is_none(), "{request}");
                let next = &seen[i + 1];
                assert_eq!(next.path, request.path, "the same read again: {next}");
                assert!(next.header("authorization").is_some(), "{next}");
            } else {
                assert!(request.header("authorization").is_some(), "{request}");
                assert_eq!(request.status, 200, "{request}");
            }
        }
        for file in ["pom", "jar"] {
            let path = format!("/maven2/{BASE}/2.0.0/demo-lib-2.0.0.{file}");
            assert!(
                seen.iter().any(|s| s.path == path && s.status == 401),
                "{path} challenged"
            );
        }

        // A deploy without a <server> entry sends no credentials and fails
        // on the first PUT's 401, before sending its body.
        let jar_path = cli.write_file("anonymous.jar", &jar);
        let refused = cli
            .deploy_file(
                &repo.url(),
                REPOSITORY_ID,
                None,
                &jar_path,
                None,
                GROUP,
                ARTIFACT,
                "2.1.0",
                &[],
            )
            .await;
        refused.expect_failure();
        assert!(refused.output().contains("401"), "{refused}");
        let seen = repo.take();
        let puts: Vec<&Seen> = seen.iter().filter(|s| s.method == "PUT").collect();
        assert!(!puts.is_empty());
        assert!(puts
            .iter()
            .all(|s| s.status == 401 && !s.continued && s.header("authorization").is_none()));
        assert!(!repo.path(&format!("{BASE}/2.1.0")).exists());
    }

    #[tokio::test]
    async fn maven_strict_checksums_need_the_servers_checksums() {
        let Some(cli) = skip() else { return };
        let strict = MavenCli::required().with_strict_checksums(true);
        let repo = Repo::start().await;
        let jar = maven_jar(GROUP, ARTIFACT, "3.0.0");
        let jar_path = strict.write_file("demo-lib-3.0.0.jar", &jar);
        // Deploying under -C works: the plugins come from the plugin-only
        // local repository, not from Debian's (checksum-less) repository.
        strict
            .deploy_file(
                &repo.url(),
                REPOSITORY_ID,
                Some(&key()),
                &jar_path,
                None,
                GROUP,
                ARTIFACT,
                "3.0.0",
                &[],
            )
            .await
            .expect_ok();
        let coordinates = |v: &str| format!("{GROUP}:{ARTIFACT}:{v}");
        let got = strict
            .dependency_get(&repo.url(), REPOSITORY_ID, None, &coordinates("3.0.0"))
            .await;
        assert_eq!(got.expect_ok().artifact_bytes(), jar);
        assert!(
            !got.local_repository.join(TEMPLATE_MARKER).exists(),
            "a copy, without the marker"
        );

        // No checksum on the server: only a warning without -C.
        let bare = maven_jar(GROUP, ARTIFACT, "3.1.0");
        repo.put(&format!("{BASE}/3.1.0/demo-lib-3.1.0.jar"), &bare);
        let refused = strict
            .dependency_get(&repo.url(), REPOSITORY_ID, None, &coordinates("3.1.0"))
            .await;
        refused.expect_failure();
        assert!(
            refused
                .output()
                .contains("Checksum validation failed, no checksums available"),
            "{refused}"
        );
        let got = cli
            .dependency_get(&repo.url(), REPOSITORY_ID, None, &coordinates("3.1.0"))
            .await;
        assert_eq!(got.expect_ok().artifact_bytes(), bare);
        let seen = repo.take();
        assert!(
            seen.iter().any(|s| s.path.ends_with("demo-lib-3.1.0.jar.md5")),
            "without a .sha1 mvn asks for the .md5"
        );

        // A wrong checksum.
        let wrong = maven_jar(GROUP, ARTIFACT, "3.2.0");
        repo.put(&format!("{BASE}/3.2.0/demo-lib-3.2.0.jar"), &wrong);
        repo.put(
            &format!("{BASE}/3.2.0/demo-lib-3.2.0.jar.sha1"),
            sha1_hex(b"other").as_bytes(),
        );
        let refused = strict
            .dependency_get(&repo.url(), REPOSITORY_ID, None, &coordinates("3.2.0"))
            .await;
        refused.expect_failure();
        assert!(
            refused.output().contains("Checksum validation failed, expected"),
            "{refused}"
        );
        assert!(refused.resolved.is_none(), "nothing is kept: {refused}");
        // mvn downloads the jar and its .sha1 a second time before giving up.
        let jar_reads = repo
            .take()
            .iter()
            .filter(|s| s.path.ends_with("demo-lib-3.2.0.jar"))
            .count();
        assert_eq!(jar_reads, 2);
    }

    #[test]
    fn settings_mirror_all_but_the_repository_under_test() {
        let xml = settings_xml(
            &["feed"],
            &[
                ("feed", &MavenCredentials::api_key("k&y")),
                ("other", &MavenCredentials::user_password("u", "p")),
            ],
        );
        assert!(xml.contains("<mirrorOf>*,!feed</mirrorOf>"), "{xml}");
        assert!(xml.contains("<url>file:///usr/share/maven-repo</url>"), "{xml}");
        assert!(
            xml.contains("<id>feed</id>\n      <username>api</username>\n      <password>k&amp;y</password>")
        );
        assert!(xml.contains("<id>other</id>\n      <username>u</username>\n      <password>p</password>"));
    }

    #[test]
    fn local_paths_follow_the_maven2_layout() {
        assert_eq!(local_path("a.b:c:1.0"), PathBuf::from("a/b/c/1.0/c-1.0.jar"));
        assert_eq!(local_path("a.b:c:1.0:pom"), PathBuf::from("a/b/c/1.0/c-1.0.pom"));
        assert_eq!(
            local_path("a:c:1.0:jar:sources"),
            PathBuf::from("a/c/1.0/c-1.0-sources.jar")
        );
        assert_eq!(
            local_path("a:c:1.0:maven-plugin"),
            PathBuf::from("a/c/1.0/c-1.0.jar")
        );
    }

    #[test]
    fn maven_jar_has_a_manifest_and_a_class() {
        let bytes = maven_jar("a.b", "c", "1.0");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        assert_eq!(names, ["META-INF/MANIFEST.MF", "a/b/Main.class"]);
        let mut class = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name("a/b/Main.class").expect("class"), &mut class)
            .expect("read");
        assert_eq!(class[..4], [0xCA, 0xFE, 0xBA, 0xBE]);
        assert_ne!(maven_jar("a.b", "c", "1.0"), maven_jar("a.b", "c", "1.1"));
    }

    #[test]
    fn artifact_metadata_is_read_and_compared_without_last_updated() {
        let xml = "<metadata modelVersion=\"1.1.0\">\n  <groupId>a</groupId>\n  <artifactId>c</artifactId>\n  \
                   <versioning>\n    <latest>1.10</latest>\n    <release>1.10</release>\n    <versions>\n      \
                   <version>1.9</version>\n      <version>1.10</version>\n    </versions>\n    \
                   <lastUpdated>20261203101500</lastUpdated>\n  </versioning>\n</metadata>\n";
        let read = ArtifactMetadata::parse(xml);
        assert_eq!(read.latest.as_deref(), Some("1.10"));
        assert_eq!(read.release.as_deref(), Some("1.10"));
        assert_eq!(read.versions, ["1.9", "1.10"]);
        assert_eq!(read.last_updated.as_deref(), Some("20261203101500"));
        let later = xml.replace("20261203101500", "20261203101501");
        assert_ne!(xml, later);
        assert_eq!(without_last_updated(xml), without_last_updated(&later));
        assert!(!without_last_updated(xml).contains("lastUpdated"));
    }

    #[test]
    fn a_jar_project_pins_debians_plugins() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pom = write_jar_project(
            dir.path(),
            "org.acme.app",
            "greeter",
            "1.0",
            "feed",
            "http://h/maven2/feed/",
        );
        let xml = std::fs::read_to_string(&pom).expect("pom");
        for (plugin, version) in PROJECT_PLUGINS {
            assert!(
                xml.contains(&format!(
                    "<artifactId>{plugin}</artifactId>\n          <version>{version}</version>"
                )),
                "{plugin} {version} in {xml}"
            );
        }
        assert_eq!(
            xml.matches("<id>feed</id>").count(),
            2,
            "releases and snapshots: {xml}"
        );
        assert!(dir
            .path()
            .join("src/main/java/org/acme/app/Greeter.java")
            .is_file());
    }

    #[test]
    fn ansi_codes_are_removed() {
        assert_eq!(
            strip_ansi("\u{1b}[0m\u{1b}[0m[ERROR] x\u{1b}[1;31m!"),
            "[ERROR] x!"
        );
    }
}
