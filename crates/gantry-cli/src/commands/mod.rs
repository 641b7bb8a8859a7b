//! One module per command group.

pub mod apikeys;
pub mod connectors;
pub mod deployments;
pub mod feeds;
pub mod health;
pub mod packages;
pub mod promotions;
pub mod security;
pub mod sources;

/// Splits `--package` as pgutil does: `@scope/name` and `group/name` give
/// a group and a name (the group is everything before the last `/`); a
/// plain name has no group.
pub fn split_package(package: &str) -> (Option<String>, String) {
    match package.rsplit_once('/') {
        Some((group, name)) if !group.is_empty() => (Some(group.to_owned()), name.to_owned()),
        _ => (None, package.trim_start_matches('/').to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_package;

    #[test]
    fn packages_split_into_group_and_name() {
        assert_eq!(
            split_package("@babel/runtime"),
            (Some("@babel".into()), "runtime".into())
        );
        assert_eq!(
            split_package("acme/tools/hammer"),
            (Some("acme/tools".into()), "hammer".into())
        );
        assert_eq!(split_package("Newtonsoft.Json"), (None, "Newtonsoft.Json".into()));
    }
}
