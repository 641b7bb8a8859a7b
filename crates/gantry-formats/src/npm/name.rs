//! npm package names: `name` or `@scope/name`.
//!
//! The rules follow npm's own validator (validate-npm-package-name): a name
//! valid for a *new* package is at most 214 characters, lower-case, made of
//! URL-safe characters, does not start with `.` or `_`, and is neither a
//! Node core module nor a reserved name. Packages published before those
//! rules existed may have capital letters or a core module's name
//! (`JSONStream`, `http`), so reading an existing package is laxer.

use crate::{FormatError, PackageId};

/// The longest full name (scope included) npm accepts.
pub const MAX_NAME_LEN: usize = 214;

/// Names npm reserves outright.
const RESERVED_NAMES: &[&str] = &["node_modules", "favicon.ico"];

/// Node's core modules (`require('module').builtinModules`, without the
/// internal `_`-prefixed ones, which the leading-underscore rule covers).
/// Names under `node:` are refused as a whole.
const CORE_MODULES: &[&str] = &[
    "assert",
    "assert/strict",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "dns/promises",
    "domain",
    "events",
    "fs",
    "fs/promises",
    "http",
    "http2",
    "https",
    "inspector",
    "inspector/promises",
    "module",
    "net",
    "os",
    "path",
    "path/posix",
    "path/win32",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "readline/promises",
    "repl",
    "stream",
    "stream/consumers",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "util/types",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// Characters npm allowed once and refuses in new names; `encodeURIComponent`
/// leaves them alone, so the URL-safety check alone would let them through.
const RETIRED_CHARACTERS: &[char] = &['~', '\'', '!', '(', ')', '*'];

/// Splits a full name into its scope (the group, `@` included) and name:
/// `@acme/widget` is group `@acme` and name `widget`; `left-pad` has no
/// group. The `/` of a scoped name may arrive URL-encoded (`@acme%2fwidget`,
/// as npm clients request it) and its `@` as `%40`.
///
/// Only the shape is checked here (one scope, one name, neither empty); the
/// characters are [`validate_new_name`]'s and `Npm::validate_id`'s business.
pub fn split_name(full: &str) -> Result<PackageId, FormatError> {
    let decoded = decode_separators(full);
    if decoded.is_empty() {
        return Err(FormatError("the package name is empty".into()));
    }
    let Some(scoped) = decoded.strip_prefix('@') else {
        if decoded.contains('/') {
            return Err(FormatError(format!(
                "the package name '{}' contains '/' but has no scope; a scoped name reads @scope/name",
                decoded.escape_debug()
            )));
        }
        return Ok(PackageId {
            group: String::new(),
            name: decoded,
        });
    };
    let Some((scope, name)) = scoped.split_once('/') else {
        return Err(FormatError(format!(
            "the package name '{}' starts with '@' but has no '/'; a scoped name reads @scope/name",
            decoded.escape_debug()
        )));
    };
    if scope.is_empty() {
        return Err(FormatError(format!(
            "the package name '{}' has an empty scope; a scoped name reads @scope/name",
            decoded.escape_debug()
        )));
    }
    if name.is_empty() {
        return Err(FormatError(format!(
            "the package name '{}' has an empty name after its scope; a scoped name reads @scope/name",
            decoded.escape_debug()
        )));
    }
    if name.contains('/') {
        return Err(FormatError(format!(
            "the package name '{}' has more than one '/'; a scoped name reads @scope/name",
            decoded.escape_debug()
        )));
    }
    Ok(PackageId {
        group: format!("@{scope}"),
        name: name.to_owned(),
    })
}

/// Turns `%2f`/`%2F` into `/` and a leading `%40` into `@`; nothing else is
/// decoded.
fn decode_separators(full: &str) -> String {
    let mut rest = full;
    let mut out = String::with_capacity(full.len());
    if rest.get(..3) == Some("%40") {
        out.push('@');
        rest = &rest[3..];
    }
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if after.get(..3).is_some_and(|h| h.eq_ignore_ascii_case("%2f")) {
            out.push('/');
            rest = &after[3..];
        } else {
            out.push('%');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The full name of a group and name: `@acme/widget`, or `widget` when the
/// group is empty. A group given without its `@` gets one.
pub fn full_name(group: &str, name: &str) -> String {
    if group.is_empty() {
        name.to_owned()
    } else if group.starts_with('@') {
        format!("{group}/{name}")
    } else {
        format!("@{group}/{name}")
    }
}

/// Checks a name for publishing a new package, by npm's rules for new
/// packages: 1 to 214 characters, no leading `.` or `_`, no leading or
/// trailing whitespace, no capital letters, not `node_modules`,
/// `favicon.ico` or a Node core module, none of `~'!()*`, and only URL-safe
/// characters (letters, digits, `-`, `.`, `_`), with the scope and name of
/// `@scope/name` checked each on its own.
pub fn validate_new_name(full: &str) -> Result<(), FormatError> {
    check_full_name(full, Rules::NewPackage)
}

/// Checks the group and name of an existing package: the rules of
/// [`validate_new_name`], except that capital letters and core module names
/// are accepted (npm packages older than those rules have them).
pub(super) fn validate_existing(id: &PackageId) -> Result<(), FormatError> {
    if !id.group.is_empty() && !id.group.starts_with('@') {
        return Err(FormatError(format!(
            "the npm scope '{}' must start with '@'",
            id.group.escape_debug()
        )));
    }
    if id.group.len() == 1 {
        return Err(FormatError("the npm scope '@' is empty".into()));
    }
    if id.name.is_empty() {
        return Err(FormatError("the package name is empty".into()));
    }
    if id.name.contains('/') || id.group.contains('/') {
        return Err(FormatError(format!(
            "the package name '{}' must not contain '/' other than between scope and name",
            full_name(&id.group, &id.name).escape_debug()
        )));
    }
    check_full_name(&full_name(&id.group, &id.name), Rules::ExistingPackage)
}

/// Which of npm's rules apply.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// Everything npm requires of a new package.
    NewPackage,
    /// Also accepts capital letters and core module names.
    ExistingPackage,
}

fn check_full_name(full: &str, rules: Rules) -> Result<(), FormatError> {
    let shown = full.escape_debug();
    if full.is_empty() {
        return Err(FormatError("the package name is empty".into()));
    }
    if full.trim() != full {
        return Err(FormatError(format!(
            "the package name '{shown}' must not start or end with whitespace"
        )));
    }
    let length = full.chars().count();
    if length > MAX_NAME_LEN {
        return Err(FormatError(format!(
            "the package name must be at most {MAX_NAME_LEN} characters, scope included (got {length})"
        )));
    }
    if full.starts_with('.') {
        return Err(FormatError(format!(
            "the package name '{shown}' must not start with '.'"
        )));
    }
    if full.starts_with('_') {
        return Err(FormatError(format!(
            "the package name '{shown}' must not start with '_'"
        )));
    }
    if rules == Rules::NewPackage && full.chars().any(char::is_uppercase) {
        return Err(FormatError(format!(
            "the package name '{shown}' must not contain capital letters; new npm packages are lower-case"
        )));
    }
    let id = split_name(full)?;
    if decode_separators(full) != full {
        return Err(FormatError(format!(
            "the package name '{shown}' must not contain '%'"
        )));
    }
    if id.group.is_empty() {
        let lower = full.to_lowercase();
        if RESERVED_NAMES.contains(&lower.as_str()) {
            return Err(FormatError(format!(
                "'{shown}' is a reserved name and cannot be a package name"
            )));
        }
        let core = lower.starts_with("node:") || CORE_MODULES.contains(&lower.as_str());
        if rules == Rules::NewPackage && core {
            return Err(FormatError(format!(
                "'{shown}' is the name of a Node.js core module and cannot be a new package name"
            )));
        }
    } else {
        check_part(&id.group[1..], "scope", full)?;
    }
    check_part(&id.name, "name", full)
}

/// Checks one part of a name (the scope without its `@`, or the name).
fn check_part(part: &str, what: &str, full: &str) -> Result<(), FormatError> {
    let shown = full.escape_debug();
    if part.starts_with('.') {
        return Err(FormatError(format!(
            "the {what} of the package name '{shown}' must not start with '.'"
        )));
    }
    if let Some(bad) = part.chars().find(|c| RETIRED_CHARACTERS.contains(c)) {
        return Err(FormatError(format!(
            "the package name '{shown}' contains {bad:?}; npm no longer accepts any of ~'!()* in names"
        )));
    }
    if let Some(bad) = part.chars().find(|c| !is_url_safe(*c)) {
        return Err(FormatError(format!(
            "the package name '{shown}' contains the character {bad:?}; npm names may only hold URL-safe characters (letters, digits, '-', '.' and '_')"
        )));
    }
    Ok(())
}

/// What `encodeURIComponent` leaves as it is, less the retired characters
/// (checked first, with their own message).
fn is_url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(group: &str, name: &str) -> PackageId {
        PackageId {
            group: group.into(),
            name: name.into(),
        }
    }

    #[test]
    fn valid_new_names() {
        for good in [
            "left-pad",
            "@acme/widget",
            "a.b_c-d",
            "example.com",
            "123numeric",
            "@jane/foo.js",
            "@types/_private",
            "test",
            &"n".repeat(MAX_NAME_LEN),
            &format!("@acme/{}", "n".repeat(MAX_NAME_LEN - 6)),
        ] {
            assert_eq!(validate_new_name(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn invalid_new_names_say_which_rule() {
        let too_long = "n".repeat(MAX_NAME_LEN + 1);
        let scoped_too_long = format!("@acme/{}", "n".repeat(MAX_NAME_LEN - 5));
        let cases = [
            ("", "empty"),
            ("Uppercase", "capital letters"),
            ("@Acme/widget", "capital letters"),
            (".hidden", "must not start with '.'"),
            ("_under", "must not start with '_'"),
            (
                "@acme/.x",
                "name of the package name '@acme/.x' must not start with '.'",
            ),
            (
                "@.acme/x",
                "scope of the package name '@.acme/x' must not start with '.'",
            ),
            ("http", "core module"),
            ("fs", "core module"),
            ("node:test", "core module"),
            ("node_modules", "reserved name"),
            ("favicon.ico", "reserved name"),
            ("a b", "character ' '"),
            (" a", "whitespace"),
            ("a\t", "whitespace"),
            ("a~b", "'~'"),
            ("crazy!", "'!'"),
            ("@acme/a(b)", "'('"),
            ("@acme/", "empty name after its scope"),
            ("@/x", "empty scope"),
            ("@acme", "has no '/'"),
            ("@acme/a/b", "more than one '/'"),
            ("a/b", "has no scope"),
            (too_long.as_str(), "at most 214"),
            (scoped_too_long.as_str(), "at most 214"),
            ("caf\u{e9}", "character '\u{e9}'"),
            ("a:b", "character ':'"),
            ("a%20b", "'%'"),
            ("@acme%2fwidget", "'%'"),
            ("a\u{0}b", "character '\\0'"),
        ];
        for (bad, expected) in cases {
            let err = validate_new_name(bad).expect_err(bad);
            assert!(err.0.contains(expected), "{bad:?}: {err}");
        }
    }

    #[test]
    fn existing_names_allow_legacy_capitals_and_core_names() {
        for (group, name) in [
            ("", "JSONStream"),
            ("", "http"),
            ("@Acme", "Widget"),
            ("", "left-pad"),
            ("@acme", "widget"),
        ] {
            assert_eq!(validate_existing(&id(group, name)), Ok(()), "{group}/{name}");
        }
        for (group, name, expected) in [
            ("", "", "empty"),
            ("@", "x", "empty"),
            ("acme", "x", "must start with '@'"),
            ("@acme", "a/b", "'/'"),
            ("@a/b", "c", "'/'"),
            ("", "..", "must not start with '.'"),
            ("@..", "x", "must not start with '.'"),
            ("@acme", "..", "must not start with '.'"),
            ("", "a b", "character ' '"),
            ("", "a\nb", "character '\\n'"),
            ("", "a\u{7f}b", "character '\\u{7f}'"),
            ("", "node_modules", "reserved"),
            ("", "a~b", "'~'"),
            ("", "_x", "'_'"),
        ] {
            let err = validate_existing(&id(group, name)).expect_err(name);
            assert!(err.0.contains(expected), "{group:?} {name:?}: {err}");
        }
    }

    #[test]
    fn split_and_full_name_round_trip() {
        for (full, group, name) in [
            ("@acme/widget", "@acme", "widget"),
            ("left-pad", "", "left-pad"),
            ("@acme%2fwidget", "@acme", "widget"),
            ("@acme%2Fwidget", "@acme", "widget"),
            ("%40acme%2fwidget", "@acme", "widget"),
        ] {
            let split = split_name(full).expect(full);
            assert_eq!(split, id(group, name), "{full}");
            let rejoined = full_name(&split.group, &split.name);
            assert_eq!(split_name(&rejoined), Ok(split), "{full}");
        }
        assert_eq!(full_name("@acme", "widget"), "@acme/widget");
        assert_eq!(full_name("", "left-pad"), "left-pad");
        assert_eq!(full_name("acme", "widget"), "@acme/widget");
        assert_eq!(split_name("a%zz"), Ok(id("", "a%zz")));
        for bad in ["", "@acme", "@/x", "@acme/", "@acme/a/b", "a/b", "a%2fb"] {
            assert!(split_name(bad).is_err(), "{bad:?}");
        }
    }
}
