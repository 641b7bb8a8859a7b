//! `upack.json`, the manifest of a universal package.

use serde_json::{Map, Value};

use super::{validate_group, validate_name};
use crate::FormatError;
use gantry_core::SemVer2;

/// A validated `upack.json`. The whole document is kept (custom `_` fields
/// included) so that it can be served back unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct UpackManifest {
    /// Group ("" when none).
    pub group: String,
    /// Name.
    pub name: String,
    /// SemVer 2 version, as written.
    pub version: String,
    /// Optional display title.
    pub title: Option<String>,
    /// Optional description.
    pub description: Option<String>,
    /// Dependencies as `group/name:version-range` strings.
    pub dependencies: Vec<String>,
    /// The document as uploaded.
    pub document: Value,
}

impl UpackManifest {
    /// Parses and validates `upack.json` bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let document: Value = serde_json::from_slice(bytes)
            .map_err(|e| FormatError(format!("upack.json is not valid JSON: {e}")))?;
        let Value::Object(fields) = &document else {
            return Err(FormatError("upack.json must be a JSON object".into()));
        };
        let name = required_string(fields, "name")?;
        validate_name(&name).map_err(|e| FormatError(format!("upack.json: {e}")))?;
        let group = optional_string(fields, "group")?.unwrap_or_default();
        validate_group(&group).map_err(|e| FormatError(format!("upack.json: {e}")))?;
        let version = required_string(fields, "version")?;
        SemVer2::parse(&version).map_err(|e| FormatError(format!("upack.json: {e}")))?;
        let dependencies = match fields.get("dependencies") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|d| {
                    d.as_str().map(str::to_owned).ok_or_else(|| {
                        FormatError("upack.json: every entry of \"dependencies\" must be a string".into())
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(FormatError(
                    "upack.json: \"dependencies\" must be an array".into(),
                ))
            }
        };
        Ok(Self {
            title: optional_string(fields, "title")?,
            description: optional_string(fields, "description")?,
            group,
            name,
            version,
            dependencies,
            document,
        })
    }
}

fn required_string(fields: &Map<String, Value>, key: &str) -> Result<String, FormatError> {
    optional_string(fields, key)?
        .ok_or_else(|| FormatError(format!("upack.json is missing the required \"{key}\" property")))
}

fn optional_string(fields: &Map<String, Value>, key: &str) -> Result<Option<String>, FormatError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FormatError(format!("upack.json: \"{key}\" must be a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_manifest_and_keeps_custom_fields() {
        let m = UpackManifest::parse(
            br#"{"group":"acme/tools","name":"hammer","version":"1.2.3","title":"Hammer",
                "dependencies":["acme/nails:1.0.0"],"_ci":"build 7"}"#,
        )
        .expect("valid");
        assert_eq!(
            (m.group.as_str(), m.name.as_str(), m.version.as_str()),
            ("acme/tools", "hammer", "1.2.3")
        );
        assert_eq!(m.title.as_deref(), Some("Hammer"));
        assert_eq!(m.dependencies, ["acme/nails:1.0.0"]);
        assert_eq!(m.document["_ci"], "build 7");
    }

    #[test]
    fn refuses_bad_manifests_with_a_reason() {
        let cases: [(&[u8], &str); 7] = [
            (b"not json", "not valid JSON"),
            (b"[]", "must be a JSON object"),
            (br#"{"version":"1.0.0"}"#, "missing the required \"name\""),
            (br#"{"name":"x"}"#, "missing the required \"version\""),
            (br#"{"name":"x","version":"1.0"}"#, "SemVer"),
            (br#"{"name":"x/y","version":"1.0.0"}"#, "contains the character"),
            (
                br#"{"name":"x","version":"1.0.0","group":"/g"}"#,
                "must not start",
            ),
        ];
        for (input, expected) in cases {
            let err = UpackManifest::parse(input).expect_err("must be refused");
            assert!(err.0.contains(expected), "{err} should mention {expected}");
        }
    }
}
