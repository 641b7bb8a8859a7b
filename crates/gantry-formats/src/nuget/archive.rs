//! Reading a `.nupkg` (a zip with `{id}.nuspec` at its root) from a staged file.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use super::nuspec::{parse_nuspec, Nuspec, MAX_NUSPEC_BYTES};
use crate::{ziplimits, FormatError};

/// The most a `.nupkg` may declare once decompressed. nuget.org takes
/// packages up to 250 MB; Chocolatey packages that embed installers are
/// larger, but none comes near this.
pub const MAX_UNPACKED_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// What [`read_package`] takes from a `.nupkg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NupkgContents {
    /// The parsed and validated manifest.
    pub nuspec: Nuspec,
    /// The manifest as stored in the package, so it can be served unchanged.
    pub nuspec_xml: Vec<u8>,
    /// The manifest's entry name (`Newtonsoft.Json.nuspec`).
    pub nuspec_file_name: String,
}

/// Validates a NuGet package file and returns its manifest.
///
/// Refuses what is not a zip; any entry whose path would escape the
/// package's folder (absolute, `..`, a drive letter, a NUL); a package
/// without exactly one `.nuspec` at its root; a nuspec over 1 MiB or that
/// [`parse_nuspec`] refuses; and a nuspec whose file name is not its id
/// (`nuget pack` always writes `{id}.nuspec`). Only the central directory and
/// the manifest are read, never the content. Blocking: call it off the
/// async runtime. The zip bounds of [`read_package_from`] apply.
pub fn read_package(path: &Path) -> Result<NupkgContents, FormatError> {
    let file = File::open(path).map_err(|e| FormatError(format!("cannot read the package: {e}")))?;
    read_package_from(file)
}

/// [`read_package`] on any seekable reader (the fuzz target reads from
/// memory). Also refuses more than [`crate::MAX_ZIP_ENTRIES`] entries,
/// duplicate entry names, symbolic links, more than [`MAX_UNPACKED_BYTES`]
/// declared in all, and a nuspec compressed more than
/// [`crate::MAX_COMPRESSION_RATIO`] to 1.
pub fn read_package_from<R: Read + Seek>(reader: R) -> Result<NupkgContents, FormatError> {
    let not_a_zip =
        |e: &dyn std::fmt::Display| FormatError(format!("the package is not a valid .nupkg (zip) file: {e}"));
    let mut archive = ziplimits::open(reader, MAX_UNPACKED_BYTES, &not_a_zip)?;
    let mut nuspec_entry: Option<(usize, String)> = None;
    for index in 0..archive.len() {
        let entry = archive.entry(index)?;
        let name = entry.name().to_owned();
        if entry.enclosed_name().is_none() || escapes(&name) {
            return Err(FormatError(format!(
                "entry '{}' escapes the package",
                name.escape_debug()
            )));
        }
        drop(entry);
        archive.check_entry(index)?;
        if is_root_nuspec(&name) {
            if let Some((_, first)) = &nuspec_entry {
                return Err(FormatError(format!(
                    "the package contains more than one .nuspec at its root ('{}' and '{}')",
                    first.escape_debug(),
                    name.escape_debug()
                )));
            }
            nuspec_entry = Some((index, name));
        }
    }
    let (index, file_name) =
        nuspec_entry.ok_or_else(|| FormatError("the package contains no .nuspec at its root".into()))?;
    let nuspec_xml = archive.read_small_entry(
        index,
        MAX_NUSPEC_BYTES as u64,
        &|| FormatError(format!("'{}' is larger than 1 MiB", file_name.escape_debug())),
        &|e| {
            FormatError(format!(
                "cannot read '{}' from the package: {e}",
                file_name.escape_debug()
            ))
        },
    )?;
    let nuspec = parse_nuspec(&nuspec_xml)?;
    let stem = &file_name[..file_name.len() - ".nuspec".len()];
    if !stem.eq_ignore_ascii_case(&nuspec.id) {
        return Err(FormatError(format!(
            "the manifest is named '{}' but the package id is '{}'",
            file_name.escape_debug(),
            nuspec.id
        )));
    }
    Ok(NupkgContents {
        nuspec,
        nuspec_xml,
        nuspec_file_name: file_name,
    })
}

/// Whether an entry name would land outside the folder the package is
/// extracted to, reading `\` as a separator the way Windows does.
fn escapes(name: &str) -> bool {
    let name = name.replace('\\', "/");
    name.contains('\0')
        || name.starts_with('/')
        || name.contains(':') // a drive (`C:`) or an NTFS stream
        || name.split('/').any(|segment| segment == "..")
}

/// Whether an entry is a `.nuspec` at the root of the package.
fn is_root_nuspec(name: &str) -> bool {
    !name.contains(['/', '\\'])
        && name.len() >= ".nuspec".len()
        && name
            .get(name.len() - ".nuspec".len()..)
            .is_some_and(|extension| extension.eq_ignore_ascii_case(".nuspec"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_with(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let mut writer = zip::ZipWriter::new(file.reopen().expect("reopen"));
        for (name, body) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(body).expect("write");
        }
        writer.finish().expect("finish");
        file
    }

    const NUSPEC: &[u8] = br#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Acme.Hammer</id>
    <version>1.2.0-beta+abc</version>
    <authors>Acme</authors>
    <description>Hits things.</description>
  </metadata>
</package>"#;

    fn read_err(entries: &[(&str, &[u8])]) -> String {
        let file = zip_with(entries);
        read_package(file.path()).expect_err("refused").0
    }

    #[test]
    fn reads_a_valid_package() {
        let file = zip_with(&[
            ("_rels/.rels", b"<Relationships/>"),
            ("Acme.Hammer.nuspec", NUSPEC),
            ("lib/net8.0/Acme.Hammer.dll", b"MZ"),
            ("[Content_Types].xml", b"<Types/>"),
        ]);
        let contents = read_package(file.path()).expect("valid");
        assert_eq!(contents.nuspec.id, "Acme.Hammer");
        assert_eq!(contents.nuspec.version, "1.2.0-beta+abc");
        assert_eq!(contents.nuspec_xml, NUSPEC);
        assert_eq!(contents.nuspec_file_name, "Acme.Hammer.nuspec");
        let file = zip_with(&[("acme.hammer.NUSPEC", NUSPEC)]);
        assert_eq!(
            read_package(file.path())
                .expect("case-insensitive")
                .nuspec_file_name,
            "acme.hammer.NUSPEC"
        );
    }

    #[test]
    fn refuses_missing_duplicate_and_nested_nuspecs() {
        assert_eq!(
            read_err(&[("lib/a.dll", b"MZ")]),
            "the package contains no .nuspec at its root"
        );
        assert!(
            read_err(&[("Acme.Hammer.nuspec", NUSPEC), ("Other.nuspec", NUSPEC)])
                .contains("more than one .nuspec")
        );
        assert_eq!(
            read_err(&[("content/Acme.Hammer.nuspec", NUSPEC)]),
            "the package contains no .nuspec at its root"
        );
    }

    #[test]
    fn refuses_escaping_entries() {
        for name in [
            "../evil.txt",
            "/etc/x",
            "lib/../../evil",
            "..\\evil.txt",
            "C:\\evil",
            "c:/evil",
            "a\0b",
        ] {
            let err = read_err(&[("Acme.Hammer.nuspec", NUSPEC), (name, b"x")]);
            assert!(err.contains("escapes the package"), "{name:?}: {err}");
        }
    }

    #[test]
    fn refuses_bad_nuspecs() {
        let err = read_err(&[("Acme.Hammer.nuspec", b"<package><metadata>")]);
        assert!(err.contains("not valid XML"), "{err}");
        assert_eq!(
            read_err(&[("Other.nuspec", NUSPEC)]),
            "the manifest is named 'Other.nuspec' but the package id is 'Acme.Hammer'"
        );
        let mut big =
            b"<package><metadata><id>Acme.Hammer</id><version>1.0.0</version><description>".to_vec();
        big.resize(MAX_NUSPEC_BYTES + 10, b'x');
        big.extend_from_slice(b"</description></metadata></package>");
        assert_eq!(
            read_err(&[("Acme.Hammer.nuspec", &big)]),
            "'Acme.Hammer.nuspec' is larger than 1 MiB"
        );
    }

    #[test]
    fn refuses_what_is_not_a_zip() {
        let mut not_zip = tempfile::NamedTempFile::new().expect("temp file");
        not_zip.write_all(b"just text").expect("write");
        let err = read_package(not_zip.path()).expect_err("not zip").0;
        assert!(
            err.starts_with("the package is not a valid .nupkg (zip) file: "),
            "{err}"
        );
    }

    mod hostile {
        use std::io::{Cursor, Write};
        use std::time::Duration;

        use zip::write::SimpleFileOptions;

        use super::super::*;
        use super::NUSPEC;
        use crate::ziplimits::tests::{raw_zip, read_counted, RawEnd, RawEntry};

        fn read(bytes: Vec<u8>) -> (Result<NupkgContents, FormatError>, u64, Duration) {
            read_counted(bytes, read_package_from)
        }

        fn refusal(bytes: Vec<u8>) -> String {
            let (outcome, _, elapsed) = read(bytes);
            assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
            outcome.expect_err("refused").0
        }

        #[test]
        fn a_million_entries_claimed_are_refused_before_the_directory_is_read() {
            let bytes = raw_zip(
                &[RawEntry::file("Acme.Hammer.nuspec", NUSPEC)],
                RawEnd {
                    zip64: true,
                    declared_entries: Some(1_000_000),
                },
            );
            let (outcome, read_bytes, elapsed) = read(bytes);
            assert_eq!(
                outcome.expect_err("refused").0,
                "the package's zip declares 1000000 entries; at most 100000 are accepted"
            );
            assert!(read_bytes < 4096, "read {read_bytes} bytes");
            assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
        }

        #[test]
        fn refuses_duplicate_entries() {
            // The zip crate keeps one of two same-named entries silently, so
            // a second nuspec (or a second copy of a dll) would go unseen.
            let evil = String::from_utf8_lossy(NUSPEC).replace("Hits things.", "Evil.");
            let bytes = raw_zip(
                &[
                    RawEntry::file("Acme.Hammer.nuspec", NUSPEC),
                    RawEntry::file("Acme.Hammer.nuspec", evil.as_bytes()),
                ],
                RawEnd::default(),
            );
            let err = refusal(bytes);
            assert!(err.contains("duplicate entry names are not allowed"), "{err}");
        }

        #[test]
        fn refuses_a_nuspec_compressed_like_a_bomb() {
            let mut nuspec = NUSPEC.to_vec();
            let at = nuspec
                .windows(12)
                .position(|w| w == b"Hits things.")
                .expect("description");
            nuspec.splice(at..at, std::iter::repeat_n(b' ', 1000 * 1024));
            let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
            writer
                .start_file("Acme.Hammer.nuspec", SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(&nuspec).expect("write");
            let bytes = writer.finish().expect("finish").into_inner();
            let (outcome, read_bytes, _) = read(bytes);
            assert_eq!(
                outcome.expect_err("refused").0,
                "'Acme.Hammer.nuspec' is compressed more than 100 to 1; refusing it as a possible zip bomb"
            );
            assert!(read_bytes < 16 * 1024, "read {read_bytes} bytes");
        }

        #[test]
        fn refuses_more_than_8_gib_declared() {
            let mut entries = vec![RawEntry::file("Acme.Hammer.nuspec", NUSPEC)];
            for name in ["lib/a.dll", "lib/b.dll", "lib/c.dll"] {
                entries.push(RawEntry {
                    declared_size: Some(u32::MAX - 4096),
                    ..RawEntry::file(name, b"MZ")
                });
            }
            assert_eq!(
                refusal(raw_zip(&entries, RawEnd::default())),
                "the package is larger than 8 GiB once decompressed"
            );
            entries.pop();
            assert!(read(raw_zip(&entries, RawEnd::default())).0.is_ok());
        }

        #[test]
        fn refuses_symbolic_links() {
            let link = RawEntry {
                symlink: true,
                ..RawEntry::file("lib/net8.0/x.dll", b"/etc/passwd")
            };
            let err = refusal(raw_zip(
                &[RawEntry::file("Acme.Hammer.nuspec", NUSPEC), link],
                RawEnd::default(),
            ));
            assert!(err.contains("symbolic link at 'lib/net8.0/x.dll'"), "{err}");
        }

        #[test]
        fn refuses_a_nuspec_with_entity_declarations() {
            let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE package [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<package><metadata><id>Acme.Hammer</id><version>1.0.0</version><description>&lol9;</description></metadata></package>"#;
            let err = refusal(raw_zip(
                &[RawEntry::file("Acme.Hammer.nuspec", laughs)],
                RawEnd::default(),
            ));
            assert_eq!(err, "the .nuspec must not contain a DTD (<!DOCTYPE>)");
        }

        #[test]
        fn refuses_overlong_versions() {
            let long = format!("1.0.0-{}", "a".repeat(300));
            let nuspec = String::from_utf8_lossy(NUSPEC).replace("1.2.0-beta+abc", &long);
            let err = refusal(raw_zip(
                &[RawEntry::file("Acme.Hammer.nuspec", nuspec.as_bytes())],
                RawEnd::default(),
            ));
            assert!(err.contains("longer than 256 characters"), "{err}");
        }
    }
}
