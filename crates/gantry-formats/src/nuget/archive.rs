//! Reading a `.nupkg` (a zip with `{id}.nuspec` at its root) from a staged file.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zip::ZipArchive;

use super::nuspec::{parse_nuspec, Nuspec, MAX_NUSPEC_BYTES};
use crate::FormatError;

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
/// async runtime.
pub fn read_package(path: &Path) -> Result<NupkgContents, FormatError> {
    let not_a_zip =
        |e: zip::result::ZipError| FormatError(format!("the package is not a valid .nupkg (zip) file: {e}"));
    let file = File::open(path).map_err(|e| FormatError(format!("cannot read the package: {e}")))?;
    let mut archive = ZipArchive::new(file).map_err(not_a_zip)?;
    let mut nuspec_entry: Option<(usize, String)> = None;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(not_a_zip)?;
        let name = entry.name().to_owned();
        if entry.enclosed_name().is_none() || escapes(&name) {
            return Err(FormatError(format!(
                "entry '{}' escapes the package",
                name.escape_debug()
            )));
        }
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
    let cannot_read = |e: &dyn std::fmt::Display| {
        FormatError(format!(
            "cannot read '{}' from the package: {e}",
            file_name.escape_debug()
        ))
    };
    let too_large = || FormatError(format!("'{}' is larger than 1 MiB", file_name.escape_debug()));
    let entry = archive.by_index(index).map_err(|e| cannot_read(&e))?;
    if entry.size() > MAX_NUSPEC_BYTES as u64 {
        return Err(too_large());
    }
    let mut nuspec_xml = Vec::new();
    entry
        .take(MAX_NUSPEC_BYTES as u64 + 1)
        .read_to_end(&mut nuspec_xml)
        .map_err(|e| cannot_read(&e))?;
    if nuspec_xml.len() > MAX_NUSPEC_BYTES {
        return Err(too_large());
    }
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
}
