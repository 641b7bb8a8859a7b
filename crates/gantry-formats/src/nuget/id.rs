//! NuGet package ids: 1 to 100 ASCII characters matching `^\w+([.-]\w+)*$`
//! (`\w` being `[A-Za-z0-9_]`), compared case-insensitively.

use crate::FormatError;

/// The longest package id NuGet accepts.
pub const MAX_ID_LEN: usize = 100;

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Checks a NuGet package id: 1 to 100 characters of letters, digits, `_`,
/// `.` and `-`, where `.` and `-` only separate runs of the others (no
/// leading, trailing or doubled separator).
pub fn validate_id(id: &str) -> Result<(), FormatError> {
    let length = id.chars().count();
    if length == 0 || length > MAX_ID_LEN {
        return Err(FormatError(format!(
            "a NuGet package id must be 1 to {MAX_ID_LEN} characters (got {length})"
        )));
    }
    if let Some(bad) = id.chars().find(|c| !(is_word_char(*c) || matches!(c, '.' | '-'))) {
        return Err(FormatError(format!(
            "the package id '{}' contains the character {bad:?}; use ASCII letters, digits, '_', '.' and '-'",
            id.escape_debug()
        )));
    }
    let starts_or_ends_with_separator = id.starts_with(['.', '-']) || id.ends_with(['.', '-']);
    if starts_or_ends_with_separator {
        return Err(FormatError(format!(
            "the package id '{id}' must start and end with a letter, digit or '_'"
        )));
    }
    let bytes = id.as_bytes();
    if bytes
        .windows(2)
        .any(|pair| matches!(pair[0], b'.' | b'-') && matches!(pair[1], b'.' | b'-'))
    {
        return Err(FormatError(format!(
            "the package id '{id}' must not have two '.' or '-' in a row"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ids() {
        for good in [
            "a",
            "Newtonsoft.Json",
            "Microsoft.Extensions.DependencyInjection.Abstractions",
            "my-package_2",
            "_private",
            "x_",
            "1",
            "A.B-C.D",
            &"n".repeat(100),
        ] {
            assert!(validate_id(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn refuses_invalid_ids() {
        let cases = [
            ("", "1 to 100"),
            (&*"n".repeat(101), "1 to 100"),
            ("a b", "character ' '"),
            ("a/b", "character '/'"),
            ("Ünicode", "character 'Ü'"),
            ("a+b", "character '+'"),
            (".a", "start and end"),
            ("a.", "start and end"),
            ("-a", "start and end"),
            ("a-", "start and end"),
            ("a..b", "two '.' or '-'"),
            ("a.-b", "two '.' or '-'"),
            ("a--b", "two '.' or '-'"),
            ("..", "start and end"),
        ];
        for (bad, expected) in cases {
            let err = validate_id(bad).expect_err(bad);
            assert!(err.0.contains(expected), "{bad}: {err}");
        }
    }
}
