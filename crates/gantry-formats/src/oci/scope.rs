//! The `scope` parameter of the token endpoint, as Docker's token
//! specification writes it: `{type}:{name}:{actions}`, such as
//! `repository:acme/web:pull,push` or `registry:catalog:*`.

use std::fmt;

use super::shown;
use crate::FormatError;

/// One scope a client asks a token for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `repository:{name}:{actions}`; the actions a registry knows are
    /// `pull`, `push`, `delete` and `*`.
    Repository {
        /// The repository as the client names it (the feed first, for
        /// Gantry); not checked against the name grammar.
        name: String,
        /// The actions asked for, as given, without empty ones.
        actions: Vec<String>,
    },
    /// `registry:{name}:{actions}`, such as `registry:catalog:*`.
    Registry {
        /// The registry resource (`catalog`).
        name: String,
        /// The actions asked for, as given, without empty ones.
        actions: Vec<String>,
    },
}

impl Scope {
    /// The resource name.
    pub fn name(&self) -> &str {
        match self {
            Self::Repository { name, .. } | Self::Registry { name, .. } => name,
        }
    }

    /// The actions asked for.
    pub fn actions(&self) -> &[String] {
        match self {
            Self::Repository { actions, .. } | Self::Registry { actions, .. } => actions,
        }
    }

    /// Whether the scope asks for an action, or for all of them (`*`).
    pub fn asks_for(&self, action: &str) -> bool {
        self.actions().iter().any(|a| a == action || a == "*")
    }
}

impl fmt::Display for Scope {
    /// The scope as a token response or a `WWW-Authenticate` challenge
    /// writes it: `repository:acme/web:pull,push`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Self::Repository { .. } => "repository",
            Self::Registry { .. } => "registry",
        };
        write!(f, "{kind}:{}:{}", self.name(), self.actions().join(","))
    }
}

/// Parses a scope. The type ends at the first `:` and the actions start
/// after the last one, so a name with a `:` (`repository:host:5000/x:pull`)
/// is kept whole. A resource class (`repository(plugin):…`) is ignored.
/// Actions are split on `,`; unknown ones are kept for the caller to ignore.
pub fn parse_scope(s: &str) -> Result<Scope, FormatError> {
    let malformed = || {
        FormatError(format!(
            "'{}' is not a valid scope; a scope reads repository:{{name}}:{{actions}}",
            shown(s)
        ))
    };
    let (kind, rest) = s.split_once(':').ok_or_else(malformed)?;
    let (name, actions) = rest.rsplit_once(':').ok_or_else(malformed)?;
    if name.is_empty() {
        return Err(malformed());
    }
    let actions: Vec<String> = actions
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    let name = name.to_owned();
    let class_stripped = match kind.split_once('(') {
        Some((kind, class)) if class.ends_with(')') => kind,
        _ => kind,
    };
    match class_stripped {
        "repository" => Ok(Scope::Repository { name, actions }),
        "registry" => Ok(Scope::Registry { name, actions }),
        _ => Err(FormatError(format!(
            "the scope type '{}' is not supported; use repository or registry",
            shown(kind)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository(name: &str, actions: &[&str]) -> Scope {
        Scope::Repository {
            name: name.into(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    #[test]
    fn parses_repository_scopes() {
        assert_eq!(
            parse_scope("repository:docker/acme/web:pull,push"),
            Ok(repository("docker/acme/web", &["pull", "push"]))
        );
        assert_eq!(
            parse_scope("repository:web:pull"),
            Ok(repository("web", &["pull"]))
        );
        assert_eq!(parse_scope("repository:web:*"), Ok(repository("web", &["*"])));
        assert_eq!(
            parse_scope("repository:web:pull, delete,,"),
            Ok(repository("web", &["pull", "delete"]))
        );
        assert_eq!(parse_scope("repository:web:"), Ok(repository("web", &[])));
        assert_eq!(
            parse_scope("repository:host:5000/x:pull"),
            Ok(repository("host:5000/x", &["pull"]))
        );
        assert_eq!(
            parse_scope("repository(plugin):web:pull"),
            Ok(repository("web", &["pull"]))
        );
        assert_eq!(
            parse_scope("repository:web:pull,frobnicate"),
            Ok(repository("web", &["pull", "frobnicate"]))
        );
    }

    #[test]
    fn parses_registry_scopes() {
        let scope = parse_scope("registry:catalog:*").expect("valid");
        assert_eq!(
            scope,
            Scope::Registry {
                name: "catalog".into(),
                actions: vec!["*".into()]
            }
        );
        assert_eq!(scope.name(), "catalog");
        assert!(scope.asks_for("pull"));
        assert_eq!(scope.to_string(), "registry:catalog:*");
    }

    #[test]
    fn refuses_malformed_scopes() {
        for (bad, message) in [
            ("", "not a valid scope"),
            ("repository", "not a valid scope"),
            ("repository:web", "not a valid scope"),
            ("repository::pull", "not a valid scope"),
            ("user:web:pull", "the scope type 'user' is not supported"),
            (":web:pull", "the scope type '' is not supported"),
        ] {
            let error = parse_scope(bad).expect_err(bad);
            assert!(error.0.contains(message), "{bad}: {error}");
        }
    }

    #[test]
    fn accessors_and_display() {
        let scope = repository("acme/web", &["pull", "push"]);
        assert_eq!(scope.name(), "acme/web");
        assert_eq!(scope.actions(), ["pull", "push"]);
        assert!(scope.asks_for("push"));
        assert!(!scope.asks_for("delete"));
        assert_eq!(scope.to_string(), "repository:acme/web:pull,push");
        assert_eq!(parse_scope(&scope.to_string()), Ok(scope));
    }
}
