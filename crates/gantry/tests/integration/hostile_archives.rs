//! Hostile package files uploaded to a real server: each is refused with a
//! 400 that says why, quickly, and leaves nothing stored. The parsers' own
//! tests (in gantry-formats) cover each bound in detail; these check that
//! the refusals reach clients of every format as client errors.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use base64::Engine as _;
use flate2::write::GzEncoder;
use flate2::Compression;
use gantry_test_support::npm::npm_tarball_with;
use gantry_test_support::{zip_with, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A stored zip written entry by entry, without the zip crate's checks:
/// `(name, data, declared size)`; `entries` is the count the end records
/// declare (zip64 end records are written when it is over 65,535).
fn raw_zip(files: &[(&str, &[u8], Option<u32>)], entries: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, data, declared) in files {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let (crc, size, offset) = (crc.sum(), data.len() as u32, out.len() as u32);
        let name_len = u16::try_from(name.len()).expect("short name");
        for (record, signature) in [(&mut out, b"PK\x03\x04"), (&mut directory, b"PK\x01\x02")] {
            record.extend_from_slice(signature);
            if signature == b"PK\x01\x02" {
                record.extend_from_slice(&20_u16.to_le_bytes()); // made by
            }
            record.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // needed, flags, stored, time
            record.extend_from_slice(&crc.to_le_bytes());
            record.extend_from_slice(&size.to_le_bytes());
        }
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0_u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        directory.extend_from_slice(&declared.unwrap_or(size).to_le_bytes());
        directory.extend_from_slice(&name_len.to_le_bytes());
        directory.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name.as_bytes());
    }
    let (directory_offset, directory_len) = (out.len() as u64, directory.len() as u32);
    out.extend_from_slice(&directory);
    let zip64 = entries > 0xFFFF;
    if zip64 {
        let eocd64_offset = out.len() as u64;
        out.extend_from_slice(b"PK\x06\x06");
        out.extend_from_slice(&44_u64.to_le_bytes());
        out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&u64::from(directory_len).to_le_bytes());
        out.extend_from_slice(&directory_offset.to_le_bytes());
        out.extend_from_slice(b"PK\x06\x07\0\0\0\0");
        out.extend_from_slice(&eocd64_offset.to_le_bytes());
        out.extend_from_slice(&1_u32.to_le_bytes());
    }
    let short = if zip64 { 0xFFFF } else { entries as u16 };
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&short.to_le_bytes());
    out.extend_from_slice(&short.to_le_bytes());
    out.extend_from_slice(&directory_len.to_le_bytes());
    let offset = if zip64 { u32::MAX } else { directory_offset as u32 };
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&0_u16.to_le_bytes());
    out
}

/// A document padded with `len` spaces before its closing text.
fn padded(head: &str, len: usize, tail: &str) -> Vec<u8> {
    let mut bytes = head.as_bytes().to_vec();
    bytes.resize(head.len() + len, b' ');
    bytes.extend_from_slice(tail.as_bytes());
    bytes
}

/// Deeply nested JSON: `{...,"x":[[[[...]]]]}`.
fn nested_json(head: &str, depth: usize) -> Vec<u8> {
    let mut bytes = format!("{head},\"x\":").into_bytes();
    bytes.extend(std::iter::repeat_n(b'[', depth));
    bytes.extend(std::iter::repeat_n(b']', depth));
    bytes.push(b'}');
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A ustar header (written by hand: the tar crate is no dependency here).
fn ustar_header(path: &str, size: u64, kind: u8, link: &str) -> [u8; 512] {
    let mut header = [0_u8; 512];
    header[..path.len()].copy_from_slice(path.as_bytes());
    header[100..108].copy_from_slice(b"0000644\0");
    header[108..116].copy_from_slice(b"0000000\0");
    header[116..124].copy_from_slice(b"0000000\0");
    header[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = kind;
    header[157..157 + link.len()].copy_from_slice(link.as_bytes());
    header[257..265].copy_from_slice(b"ustar\x0000");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    header
}

/// A `.tgz` whose `package/package.json` is `len` bytes of spaces: one
/// compressed megabyte repeated as gzip members, as npm's reader accepts.
fn tarball_with_huge_package_json(len: u64) -> Vec<u8> {
    let mut out = gzip(&ustar_header("package/package.json", len, b'0', ""));
    let megabyte = gzip(&vec![b' '; 1 << 20]);
    for _ in 0..len >> 20 {
        out.extend_from_slice(&megabyte);
    }
    let rest = (len % (1 << 20)) as usize;
    let mut tail = vec![b' '; rest];
    tail.resize(rest.div_ceil(512) * 512 + 1024, 0);
    out.extend_from_slice(&gzip(&tail));
    out
}

/// What `npm publish` sends for `widget@1.0.0`, built here rather than with
/// the harness's `publish_document`, which would unpack the tarball.
fn npm_document(tarball: &[u8]) -> Value {
    json!({
        "_id": "widget",
        "name": "widget",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": "widget", "version": "1.0.0", "dist": {}}},
        "_attachments": {"widget-1.0.0.tgz": {
            "content_type": "application/octet-stream",
            "data": base64::engine::general_purpose::STANDARD.encode(tarball),
            "length": tarball.len(),
        }},
    })
}

/// Asserts a quick 400 whose body mentions `expected`, and nothing stored.
async fn assert_refused(
    app: &TestApp,
    feed: &str,
    what: &str,
    started: Instant,
    outcome: (StatusCode, String),
    expected: &str,
) {
    let (status, body) = outcome;
    let ctx = format!("[{:?}] {what}", app.backend);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{ctx}: {body}");
    assert!(body.contains(expected), "{ctx}: {body} should say {expected:?}");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "{ctx}: took {elapsed:?}");
    app.assert_nothing_stored(feed).await;
}

const MANIFEST: &[u8] = br#"{"name":"hammer","version":"1.0.0"}"#;

#[tokio::test]
async fn hostile_universal_packages_are_refused() {
    let link_zip = {
        // A symbolic link: Unix mode 0o120777 in the external attributes.
        let mut bytes = zip_with(&[("upack.json", MANIFEST), ("package/etc", b"/etc")]);
        let cd = bytes
            .windows(4)
            .rposition(|w| w == b"PK\x01\x02")
            .expect("last directory record");
        bytes[cd + 5] = 3; // made by Unix
        bytes[cd + 38..cd + 42].copy_from_slice(&(0o120_777_u32 << 16).to_le_bytes());
        bytes
    };
    let huge: Vec<(String, u32)> = (0..17)
        .map(|i| (format!("package/part{i}"), u32::MAX - 1))
        .collect();
    let mut huge_files: Vec<(&str, &[u8], Option<u32>)> = vec![("upack.json", MANIFEST, None)];
    huge_files.extend(
        huge.iter()
            .map(|(name, size)| (name.as_str(), &b"tiny"[..], Some(*size))),
    );
    let bomb = zip_with(&[(
        "upack.json",
        &padded(r#"{"name":"hammer","version":"1.0.0","pad":""#, 1 << 20, r#""}"#)[..1 << 20],
    )]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "an EOCD claiming a million entries",
            raw_zip(&[("upack.json", MANIFEST, None)], 1_000_000),
            "declares 1000000 entries; at most 100000 are accepted",
        ),
        (
            "two upack.json entries",
            raw_zip(
                &[
                    ("upack.json", MANIFEST, None),
                    ("upack.json", br#"{"name":"evil","version":"6.6.6"}"#, None),
                ],
                2,
            ),
            "duplicate entry names are not allowed",
        ),
        ("a manifest compressed 1000 to 1", bomb, "possible zip bomb"),
        (
            "68 GiB declared",
            raw_zip(&huge_files, huge_files.len() as u64),
            "larger than 64 GiB once decompressed",
        ),
        (
            "a ../ path",
            zip_with(&[("upack.json", MANIFEST), ("package/../../evil", b"x")]),
            "escapes its folder",
        ),
        (
            "an absolute path",
            zip_with(&[("upack.json", MANIFEST), ("/etc/cron.d/evil", b"x")]),
            "escapes its folder",
        ),
        ("a symbolic link", link_zip, "symbolic link at 'package/etc'"),
        (
            "a deeply nested upack.json (stored: deflated, it is a bomb too)",
            raw_zip(
                &[(
                    "upack.json",
                    &nested_json(r#"{"name":"hammer","version":"1.0.0""#, 100_000),
                    None,
                )],
                1,
            ),
            "recursion limit exceeded",
        ),
    ];
    for app in TestApp::each_backend().await {
        app.create_feed("tools", "universal").await;
        for (what, bytes, expected) in &cases {
            let started = Instant::now();
            let outcome = app.upload_upack("tools", ADMIN_KEY, bytes.clone()).await;
            assert_refused(&app, "tools", what, started, outcome, expected).await;
        }
    }
}

#[tokio::test]
async fn hostile_nuget_packages_are_refused() {
    let nuspec = |description: &str| {
        format!(
            r#"<?xml version="1.0"?><package><metadata><id>Acme.Hammer</id><version>1.0.0</version><authors>a</authors><description>{description}</description></metadata></package>"#
        )
    };
    let entities: Vec<String> = (1..10)
        .map(|i| format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10)))
        .collect();
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE package [<!ENTITY l0 \"lol\">{}]>{}",
        entities.concat(),
        nuspec("&l9;").split_once("?>").expect("declaration").1
    );
    let bomb = {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        writer
            .start_file("Acme.Hammer.nuspec", zip::write::SimpleFileOptions::default())
            .expect("entry");
        writer
            .write_all(nuspec(&" ".repeat(1000 * 1024)).as_bytes())
            .expect("write");
        writer.finish().expect("zip").into_inner()
    };
    let good = nuspec("Hits things.");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a nuspec with entity declarations (billion laughs)",
            zip_with(&[("Acme.Hammer.nuspec", laughs.as_bytes())]),
            "must not contain a DTD",
        ),
        (
            "two nuspecs of the same name",
            raw_zip(
                &[
                    ("Acme.Hammer.nuspec", good.as_bytes(), None),
                    ("Acme.Hammer.nuspec", nuspec("Evil.").as_bytes(), None),
                ],
                2,
            ),
            "duplicate entry names are not allowed",
        ),
        ("a nuspec compressed 1000 to 1", bomb, "possible zip bomb"),
        (
            "an EOCD claiming a million entries",
            raw_zip(&[("Acme.Hammer.nuspec", good.as_bytes(), None)], 1_000_000),
            "at most 100000 are accepted",
        ),
        (
            "a backslash path",
            zip_with(&[
                ("Acme.Hammer.nuspec", good.as_bytes()),
                ("lib\\..\\..\\evil.dll", b"MZ"),
            ]),
            "escapes the package",
        ),
    ];
    for app in TestApp::each_backend().await {
        app.create_feed("nuget", "nuget").await;
        for (what, bytes, expected) in &cases {
            let started = Instant::now();
            let outcome = app.push_nupkg("nuget", ADMIN_KEY, bytes.clone()).await;
            assert_refused(&app, "nuget", what, started, outcome, expected).await;
        }
    }
}

#[tokio::test]
async fn hostile_npm_tarballs_are_refused() {
    let nested = nested_json(r#"{"name":"widget","version":"1.0.0""#, 100_000);
    let symlink = {
        let mut tar = ustar_header("package/package.json", 0, b'2', "/etc/passwd").to_vec();
        tar.extend_from_slice(&[0; 1024]);
        gzip(&tar)
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a 100 MB package.json",
            tarball_with_huge_package_json(100_000_000),
            "package.json is larger than 1 MiB",
        ),
        (
            "a deeply nested package.json",
            npm_tarball_with(&[("package/package.json", &nested)]),
            "recursion limit exceeded",
        ),
        (
            "a ../ path",
            npm_tarball_with(&[
                ("package/package.json", br#"{"name":"widget","version":"1.0.0"}"#),
                ("package/../../evil", b"x"),
            ]),
            "escapes its folder",
        ),
        ("a symbolic link", symlink, "symbolic link"),
    ];
    for app in TestApp::each_backend().await {
        app.create_feed("npm", "npm").await;
        for (what, tarball, expected) in &cases {
            let document = npm_document(tarball);
            let started = Instant::now();
            let response = app
                .admin(Method::PUT, "/npm/npm/widget")
                .json(&document)
                .send()
                .await
                .expect("request");
            let outcome = (response.status(), response.text().await.expect("body"));
            assert_refused(&app, "npm", what, started, outcome, expected).await;
        }
    }
}
