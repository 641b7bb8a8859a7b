//! NuGet packages for tests, and the real NuGet client.
//!
//! [`nupkg`] builds a `.nupkg` laid out as `nuget.exe pack` (5.8) lays it out.
//! [`NuGetCli`] runs the real NuGet.exe 5.8.0 on mono, which
//! `scripts/install-nuget-client` (called by `scripts/test-setup`) installs
//! and names in `GANTRY_TEST_NUGET_EXE`.

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::cli::clients_required;
pub use crate::cli::CliOutput;
use crate::zip_with;

/// The namespace of the nuspec files NuGet.exe 5.8 writes.
pub const NUSPEC_XMLNS: &str = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";

/// The target framework the dependency group of [`nupkg`] is for.
pub const NUGET_TEST_FRAMEWORK: &str = ".NETStandard2.0";

/// The nuspec of [`nupkg`]: `id` `version` by "Gantry Tests", licensed MIT,
/// with one dependency group for .NETStandard2.0 holding `dependencies` as
/// `(id, version range)` (an empty group when there are none). Values are
/// XML-escaped. Without the byte order mark [`nupkg`] puts in front.
pub fn nuspec_xml(id: &str, version: &str, dependencies: &[(&str, &str)]) -> String {
    let (id, version) = (xml_escape(id), xml_escape(version));
    let mut group = String::new();
    if dependencies.is_empty() {
        let _ = writeln!(
            group,
            r#"      <group targetFramework="{NUGET_TEST_FRAMEWORK}" />"#
        );
    } else {
        let _ = writeln!(group, r#"      <group targetFramework="{NUGET_TEST_FRAMEWORK}">"#);
        for (dependency, range) in dependencies {
            let _ = writeln!(
                group,
                r#"        <dependency id="{}" version="{}" />"#,
                xml_escape(dependency),
                xml_escape(range)
            );
        }
        group.push_str("      </group>\n");
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="{NUSPEC_XMLNS}">
  <metadata>
    <id>{id}</id>
    <version>{version}</version>
    <authors>Gantry Tests</authors>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <license type="expression">MIT</license>
    <licenseUrl>https://licenses.nuget.org/MIT</licenseUrl>
    <description>{id} {version}, a package of Gantry's tests.</description>
    <dependencies>
{group}    </dependencies>
  </metadata>
</package>
"#
    )
}

/// A valid `.nupkg` for `id` `version` depending on `dependencies`
/// (`(id, version range)`), as NuGet.exe 5.8 packs one: in its entry order,
/// `_rels/.rels`, `{id}.nuspec` ([`nuspec_xml`], with a UTF-8 byte order
/// mark), an empty `lib/netstandard2.0/_._`, `[Content_Types].xml` and
/// `package/services/metadata/core-properties/{random}.psmdcp`.
pub fn nupkg(id: &str, version: &str, dependencies: &[(&str, &str)]) -> Vec<u8> {
    nupkg_with_files(id, version, dependencies, &[("lib/netstandard2.0/_._", b"")])
}

/// A `.nupkg` laid out as [`nupkg`]'s, holding `files` (`(path, bytes)`, in
/// the order given) between the nuspec and `[Content_Types].xml` instead of
/// the empty `lib/netstandard2.0/_._`: for packages whose content matters.
pub fn nupkg_with_files(
    id: &str,
    version: &str,
    dependencies: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Vec<u8> {
    let nuspec = format!("\u{feff}{}", nuspec_xml(id, version, dependencies));
    let psmdcp = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">
  <dc:creator>Gantry Tests</dc:creator>
  <dc:description>{id} {version}, a package of Gantry's tests.</dc:description>
  <dc:identifier>{id}</dc:identifier>
  <version>{version}</version>
  <keywords></keywords>
  <lastModifiedBy>NuGet, Version=5.8.0.6930, Culture=neutral, PublicKeyToken=31bf3856ad364e35;Unix;.NET Framework 4.7.2</lastModifiedBy>
</coreProperties>
"#,
        id = xml_escape(id),
        version = xml_escape(version),
    );
    package(&format!("{id}.nuspec"), nuspec.as_bytes(), files, &psmdcp)
}

/// A `.nupkg` laid out as [`nupkg`]'s, but whose nuspec is the entry
/// `nuspec_file_name` holding `nuspec_xml` as given (no byte order mark
/// added), and without a `lib` file: for tests of malformed packages.
pub fn nupkg_with_nuspec(nuspec_file_name: &str, nuspec_xml: &str) -> Vec<u8> {
    let psmdcp = r#"<?xml version="1.0" encoding="utf-8"?>
<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">
  <dc:creator>Gantry Tests</dc:creator>
</coreProperties>
"#;
    package(nuspec_file_name, nuspec_xml.as_bytes(), &[], psmdcp)
}

/// The OPC package around a nuspec: relationships, content types and core
/// properties, in the order NuGet.exe writes them.
fn package(nuspec_name: &str, nuspec: &[u8], files: &[(&str, &[u8])], psmdcp: &str) -> Vec<u8> {
    let psmdcp_name = format!(
        "package/services/metadata/core-properties/{:016x}{:016x}.psmdcp",
        random_u64(),
        random_u64()
    );
    let rels = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{}" Id="R{:016X}" />
  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/{psmdcp_name}" Id="R{:016X}" />
</Relationships>
"#,
        xml_escape(nuspec_name),
        random_u64(),
        random_u64()
    );
    // NuGet.exe lists a default content type for each file extension it packs.
    let mut content_types = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="_" ContentType="application/octet" />
  <Default Extension="dll" ContentType="application/octet" />
"#,
    );
    let mut listed = vec!["rels", "psmdcp", "nuspec", "_", "dll"];
    for (path, _) in files {
        if let Some((_, extension)) = path.rsplit_once('.') {
            if !extension.contains('/') && !listed.contains(&extension) {
                listed.push(extension);
                let _ = writeln!(
                    content_types,
                    r#"  <Default Extension="{}" ContentType="application/octet" />"#,
                    xml_escape(extension)
                );
            }
        }
    }
    content_types.push_str("</Types>\n");
    let mut entries: Vec<(&str, &[u8])> = vec![("_rels/.rels", rels.as_bytes()), (nuspec_name, nuspec)];
    entries.extend_from_slice(files);
    entries.push(("[Content_Types].xml", content_types.as_bytes()));
    entries.push((&psmdcp_name, psmdcp.as_bytes()));
    zip_with(&entries)
}

/// A random number from the standard library's per-process random keys.
fn random_u64() -> u64 {
    RandomState::new().build_hasher().finish()
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

/// The variable naming NuGet.exe (`scripts/test-setup` prints it).
pub const NUGET_EXE_VAR: &str = "GANTRY_TEST_NUGET_EXE";

/// How long one NuGet.exe command may run before it is killed.
pub const NUGET_TIMEOUT: Duration = Duration::from_mins(2);

/// The real NuGet.exe 5.8.0 on mono, with a home and a work folder of its
/// own: a temporary HOME (where it keeps `~/.config/NuGet/NuGet.Config`,
/// `~/.nuget/packages` and its HTTP cache) so that no state is shared
/// between tests or taken from the machine.
pub struct NuGetCli {
    exe: PathBuf,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl NuGetCli {
    /// The client named by `GANTRY_TEST_NUGET_EXE`; `None` when that is unset,
    /// so that a test can skip — except on CI (`CI`) or when
    /// `GANTRY_REQUIRE_CLIENTS` is set, where a missing client fails the
    /// test as [`NuGetCli::required`] does.
    pub fn from_env() -> Option<NuGetCli> {
        match std::env::var(NUGET_EXE_VAR) {
            Ok(exe) if !exe.is_empty() => Some(Self::at(PathBuf::from(exe))),
            _ if clients_required() => Some(Self::required()),
            _ => None,
        }
    }

    /// The client named by `GANTRY_TEST_NUGET_EXE`; panics when it is unset.
    pub fn required() -> NuGetCli {
        match std::env::var(NUGET_EXE_VAR) {
            Ok(exe) if !exe.is_empty() => Self::at(PathBuf::from(exe)),
            _ => panic!(
                "{NUGET_EXE_VAR} is not set: the NuGet client tests need the real NuGet.exe. \
                 Run scripts/test-setup (it installs NuGet.exe and mono) and export the \
                 {NUGET_EXE_VAR}=... line it prints, or run the suite with scripts/test"
            ),
        }
    }

    /// The client at `exe` (a `nuget-5.8.0.exe`), with a fresh home and work folder.
    pub fn at(exe: PathBuf) -> NuGetCli {
        assert!(
            exe.is_file(),
            "{NUGET_EXE_VAR}={} names no file; run scripts/test-setup",
            exe.display()
        );
        NuGetCli {
            exe,
            home: tempfile::tempdir().expect("temp dir"),
            work: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The HOME it runs with.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The folder it runs in (relative paths in arguments are below it).
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// Where `install` and `restore` keep the packages they fetched
    /// (`NUGET_PACKAGES`).
    pub fn global_packages(&self) -> PathBuf {
        self.home().join(".nuget/packages")
    }

    /// Runs `mono nuget.exe <args> -NonInteractive` in the work folder, with
    /// only this client's own home and caches in its environment, and waits
    /// for it (at most [`NUGET_TIMEOUT`], then kills it and panics).
    pub async fn run(&self, args: &[&str]) -> CliOutput {
        let home = self.home();
        let mut command = tokio::process::Command::new("mono");
        command.arg(&self.exe).args(args);
        // Every NuGet.exe 5.8 command takes it (it is an option of their
        // common base); nothing to add to a bare `nuget.exe`.
        if !args.is_empty() && !args.iter().any(|a| a.eq_ignore_ascii_case("-NonInteractive")) {
            command.arg("-NonInteractive");
        }
        // A clean environment: no proxy, NuGet or XDG setting of the machine
        // applies; mono's ApplicationData and LocalApplicationData (NuGet's
        // config and HTTP cache) are below the temporary HOME.
        command
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("NUGET_PACKAGES", self.global_packages())
            .env("NUGET_HTTP_CACHE_PATH", home.join(".local/share/NuGet/v3-cache"))
            .env(
                "NUGET_PLUGINS_CACHE_PATH",
                home.join(".local/share/NuGet/plugins-cache"),
            )
            .env("TMPDIR", std::env::temp_dir())
            .current_dir(self.work_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let line = format!("mono {} {}", self.exe.display(), args.join(" "));
        let child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start `{line}` (is mono installed? run scripts/test-setup): {e}")
        });
        // On timeout the child is dropped, which kills it.
        let output = tokio::time::timeout(NUGET_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`{line}` did not finish within {NUGET_TIMEOUT:?}; killed"))
            .unwrap_or_else(|e| panic!("`{line}`: {e}"));
        CliOutput::from_output(&output)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).expect("entry");
                let mut body = Vec::new();
                file.read_to_end(&mut body).expect("entry body");
                (file.name().to_owned(), body)
            })
            .collect()
    }

    #[test]
    fn nupkg_has_the_nuspec_at_the_root_and_the_opc_parts() {
        let bytes = nupkg("Gantry.Demo", "1.2.3", &[("Other.Lib", "[1.0.0, )")]);
        let entries = entries(&bytes);
        let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names[..4],
            [
                "_rels/.rels",
                "Gantry.Demo.nuspec",
                "lib/netstandard2.0/_._",
                "[Content_Types].xml"
            ]
        );
        assert!(names[4].starts_with("package/services/metadata/core-properties/"));
        assert!(names[4].ends_with(".psmdcp"));
        assert_eq!(names.len(), 5);

        let nuspec = String::from_utf8(entries[1].1.clone()).expect("UTF-8");
        let nuspec = nuspec
            .strip_prefix('\u{feff}')
            .expect("a byte order mark, as NuGet.exe writes");
        assert!(nuspec.contains(&format!(r#"<package xmlns="{NUSPEC_XMLNS}">"#)));
        assert!(nuspec.contains("<id>Gantry.Demo</id>"));
        assert!(nuspec.contains("<version>1.2.3</version>"));
        assert!(nuspec.contains(r#"<license type="expression">MIT</license>"#));
        assert!(nuspec.contains(r#"<group targetFramework=".NETStandard2.0">"#));
        assert!(nuspec.contains(r#"<dependency id="Other.Lib" version="[1.0.0, )" />"#));

        let rels = String::from_utf8(entries[0].1.clone()).expect("UTF-8");
        assert!(rels.contains(r#"Target="/Gantry.Demo.nuspec""#));
        assert!(rels.contains(&format!(r#"Target="/{}""#, names[4])));
    }

    #[test]
    fn nupkg_with_files_holds_them_and_lists_their_extensions() {
        // nupkg's own layout is unchanged: no extension beyond the usual five.
        let plain = String::from_utf8(entries(&nupkg("A", "1.0.0", &[]))[3].1.clone()).expect("UTF-8");
        assert_eq!(plain.matches("<Default ").count(), 5, "{plain}");
        let bytes = nupkg_with_files("A", "1.0.0", &[], &[("content/data.bin", b"payload")]);
        let entries = entries(&bytes);
        let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names[..4],
            [
                "_rels/.rels",
                "A.nuspec",
                "content/data.bin",
                "[Content_Types].xml"
            ]
        );
        assert_eq!(entries[2].1, b"payload");
        let types = String::from_utf8(entries[3].1.clone()).expect("UTF-8");
        assert!(
            types.contains(r#"<Default Extension="bin" ContentType="application/octet" />"#),
            "{types}"
        );
        assert!(types.trim_end().ends_with("</Types>"));
    }

    #[test]
    fn nuspec_without_dependencies_has_an_empty_group_and_escapes_values() {
        let xml = nuspec_xml("A&B", "1.0.0", &[]);
        assert!(xml.contains("<id>A&amp;B</id>"));
        assert!(xml.contains(r#"<group targetFramework=".NETStandard2.0" />"#));
        assert!(!xml.contains("<dependency "));
    }

    #[test]
    fn nupkg_with_nuspec_keeps_the_given_name_and_text() {
        let bytes = nupkg_with_nuspec("nested/Bad.nuspec", "<package>");
        let entries = entries(&bytes);
        assert!(entries
            .iter()
            .any(|(name, body)| name == "nested/Bad.nuspec" && body == b"<package>"));
        assert!(!entries.iter().any(|(name, _)| name.starts_with("lib/")));
    }

    #[test]
    fn each_nupkg_has_its_own_core_properties_name() {
        let name = |bytes: &[u8]| entries(bytes)[4].0.clone();
        let first = name(&nupkg("A", "1.0.0", &[]));
        assert_ne!(first, name(&nupkg("A", "1.0.0", &[])));
        // 32 hex digits, as NuGet.exe names it.
        let stem = first
            .rsplit('/')
            .next()
            .expect("file name")
            .trim_end_matches(".psmdcp");
        assert_eq!(stem.len(), 32);
        assert!(stem.chars().all(|c| c.is_ascii_hexdigit()));
    }

    /// The real client installs a package built by [`nupkg`], with its
    /// dependency, from a folder feed: the packages are valid to NuGet.exe.
    #[tokio::test]
    async fn the_real_client_installs_nupkg_packages() {
        let Some(cli) = NuGetCli::from_env() else {
            eprintln!("skipped: {NUGET_EXE_VAR} is not set (run scripts/test-setup)");
            return;
        };
        let feed = cli.work_dir().join("feed");
        std::fs::create_dir_all(&feed).expect("feed folder");
        std::fs::write(
            feed.join("gantry.app.1.0.0.nupkg"),
            nupkg("Gantry.App", "1.0.0", &[("Gantry.Lib", "[2.0.0, )")]),
        )
        .expect("write");
        std::fs::write(
            feed.join("gantry.lib.2.1.0.nupkg"),
            nupkg("Gantry.Lib", "2.1.0", &[]),
        )
        .expect("write");

        // NuGet.exe refuses a relative folder as a source.
        let output = cli
            .run(&[
                "install",
                "Gantry.App",
                "-Source",
                feed.to_str().expect("UTF-8 path"),
                "-OutputDirectory",
                "out",
            ])
            .await;
        output.assert_success();
        // It keeps each .nupkg and extracts its files (not the nuspec).
        let out = cli.work_dir().join("out");
        for package in ["Gantry.App.1.0.0", "Gantry.Lib.2.1.0"] {
            let folder = out.join(package);
            assert!(folder.join(format!("{package}.nupkg")).is_file(), "{output}");
            assert!(folder.join("lib/netstandard2.0/_._").is_file(), "{output}");
        }
        assert!(
            cli.home().join(".config/NuGet/NuGet.Config").is_file(),
            "config in the temporary HOME"
        );

        cli.run(&["help", "-Bogus"]).await.assert_failure();
    }
}
