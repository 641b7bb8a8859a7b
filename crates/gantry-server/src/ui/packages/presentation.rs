//! How a version's metadata is shown: the description in lists, plain
//! `name: value` rows, and the dependencies its package type reads.

use serde_json::Value;

use crate::package_types::{DependencyRow, PackageType};

/// The text shown for a version in lists and on its page: its description
/// as its package type reads it, cut to 300 characters.
pub fn describe(package_type: &dyn PackageType, metadata: &Value) -> String {
    package_type
        .description(metadata)
        .map(|s| {
            let s = s.trim();
            match s.char_indices().nth(300) {
                Some((cut, _)) => format!("{}…", &s[..cut]),
                None => s.to_owned(),
            }
        })
        .unwrap_or_default()
}

/// Metadata fields worth showing as `name: value` lines: text, numbers,
/// flags and lists of text, by field name, leaving out the readme and the
/// fields the package type shows elsewhere.
pub fn metadata_rows(package_type: &dyn PackageType, metadata: &Value) -> Vec<(String, String)> {
    let hidden = package_type.hidden_metadata_fields();
    let Some(object) = metadata.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .filter(|(key, _)| key.as_str() != "readme" && !hidden.contains(&key.as_str()))
        .filter_map(|(key, value)| {
            let text = match value {
                Value::String(s) if !s.is_empty() => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                Value::Object(fields) if fields.values().all(Value::is_string) && !fields.is_empty() => {
                    fields
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                _ => return None,
            };
            Some((key.clone(), text))
        })
        .take(40)
        .collect()
}

/// The dependencies a version declares, as its package type reads them.
pub fn dependencies(package_type: &dyn PackageType, metadata: &Value) -> Vec<DependencyRow> {
    package_type.dependencies(metadata)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::package_types;

    #[test]
    fn descriptions_are_cut_for_lists() {
        let long = "x".repeat(400);
        for package_type in package_types::registered() {
            let describe = |metadata| describe(*package_type, &metadata);
            assert_eq!(describe(json!({"description": long})).chars().count(), 301);
            assert_eq!(describe(json!({"title": "Hammer"})), "Hammer");
            assert_eq!(describe(json!({"description": " ", "summary": "S"})), "S");
            assert_eq!(describe(json!({})), "");
        }
    }

    #[test]
    fn metadata_rows_keep_text_and_skip_nested_documents() {
        for package_type in package_types::registered() {
            let rows = metadata_rows(
                *package_type,
                &json!({"title": "T", "tags": ["a", "b"], "readme": "r", "n": 3, "nested": {"a": {"b": 1}}}),
            );
            assert_eq!(
                rows,
                [
                    ("n".to_owned(), "3".to_owned()),
                    ("tags".into(), "a, b".into()),
                    ("title".into(), "T".into())
                ]
            );
        }
    }
}
