//! Version manifests: the abbreviated ("corgi") form npm installs from.

use serde_json::{Map, Value};

/// The fields of a version manifest that the abbreviated metadata
/// (`Accept: application/vnd.npm.install-v1+json`) keeps: what an installer
/// needs to resolve, fetch and place a version.
pub const ABBREVIATED_FIELDS: &[&str] = &[
    "name",
    "version",
    "deprecated",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "bundleDependencies",
    "bundledDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "acceptDependencies",
    "bin",
    "directories",
    "dist",
    "engines",
    "cpu",
    "os",
    "libc",
    "funding",
    "license",
    "_hasShrinkwrap",
];

/// The lifecycle scripts npm runs when it installs a package.
const INSTALL_SCRIPTS: &[&str] = &["preinstall", "install", "postinstall"];

/// The abbreviated form of a version manifest: the
/// [`ABBREVIATED_FIELDS`] it has, plus `hasInstallScript: true` when
/// [`has_install_script`] says so (clients skip running scripts of versions
/// without it). A manifest that is not a JSON object abbreviates to `{}`.
pub fn abbreviate(version_manifest: &Value) -> Value {
    let mut out = Map::new();
    if let Some(manifest) = version_manifest.as_object() {
        for field in ABBREVIATED_FIELDS {
            if let Some(value) = manifest.get(*field) {
                out.insert((*field).to_owned(), value.clone());
            }
        }
    }
    if has_install_script(version_manifest) {
        out.insert("hasInstallScript".to_owned(), Value::Bool(true));
    }
    Value::Object(out)
}

/// Whether installing the version runs a script: its `scripts` has a
/// `preinstall`, `install` or `postinstall` (a non-empty one, as npm reads
/// it), or the manifest already says `hasInstallScript: true`.
pub fn has_install_script(version_manifest: &Value) -> bool {
    if version_manifest.get("hasInstallScript") == Some(&Value::Bool(true)) {
        return true;
    }
    let Some(scripts) = version_manifest.get("scripts").and_then(Value::as_object) else {
        return false;
    };
    INSTALL_SCRIPTS
        .iter()
        .filter_map(|name| scripts.get(*name))
        .any(is_truthy)
}

/// JavaScript truthiness, which is how npm tests a script's presence.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keeps_install_fields_and_drops_the_rest() {
        let manifest = json!({
            "name": "@acme/widget",
            "version": "1.0.0",
            "description": "dropped",
            "readme": "dropped",
            "main": "index.js",
            "scripts": {"test": "jest"},
            "repository": {"type": "git"},
            "_id": "@acme/widget@1.0.0",
            "_npmUser": {"name": "x"},
            "dependencies": {"left-pad": "^1.0.0"},
            "optionalDependencies": {"fsevents": "*"},
            "devDependencies": {"jest": "*"},
            "bundleDependencies": ["a"],
            "bundledDependencies": ["a"],
            "peerDependencies": {"react": ">=18"},
            "peerDependenciesMeta": {"react": {"optional": true}},
            "acceptDependencies": {"x": "1"},
            "bin": {"widget": "cli.js"},
            "directories": {},
            "dist": {"tarball": "t", "shasum": "s", "integrity": "i"},
            "engines": {"node": ">=18"},
            "cpu": ["x64"],
            "os": ["linux"],
            "libc": ["glibc"],
            "_hasShrinkwrap": false,
            "deprecated": "use v2",
            "funding": "https://example.invalid",
            "license": "MIT"
        });
        let abbreviated = abbreviate(&manifest);
        let object = abbreviated.as_object().expect("object");
        let mut kept: Vec<&str> = object.keys().map(String::as_str).collect();
        kept.sort_unstable();
        let mut expected = ABBREVIATED_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(kept, expected);
        assert_eq!(abbreviated["dist"], manifest["dist"]);
        assert!(abbreviated.get("hasInstallScript").is_none());
        assert_eq!(abbreviate(&json!("not an object")), json!({}));
        assert_eq!(
            abbreviate(&json!({"name": "a", "version": "1.0.0"})),
            json!({"name": "a", "version": "1.0.0"})
        );
    }

    #[test]
    fn install_scripts_set_has_install_script() {
        for script in ["preinstall", "install", "postinstall"] {
            let manifest = json!({"name": "a", "scripts": {script: "node build.js"}});
            assert!(has_install_script(&manifest), "{script}");
            assert_eq!(abbreviate(&manifest)["hasInstallScript"], json!(true));
            assert!(abbreviate(&manifest).get("scripts").is_none());
        }
        for scripts in [
            json!({"test": "jest", "prepare": "tsc", "prepublishOnly": "x"}),
            json!({"install": ""}),
            json!({"install": null}),
            json!("install"),
        ] {
            assert!(!has_install_script(&json!({"scripts": scripts})), "{scripts}");
        }
        assert!(!has_install_script(&json!({})));
        let declared = json!({"name": "a", "hasInstallScript": true});
        assert!(has_install_script(&declared));
        assert_eq!(abbreviate(&declared)["hasInstallScript"], json!(true));
        let declared_false = json!({"name": "a", "hasInstallScript": false});
        assert!(abbreviate(&declared_false).get("hasInstallScript").is_none());
    }
}
