//! Deployment tracking: recording which package version went to which
//! target, from download headers or the API, the same way for every format.

use axum::http::HeaderMap;
use gantry_store::time::{now_millis, to_millis};
use gantry_store::{DeploymentRecord, FeedRecord, NewDeployment, PackageRecord};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::events::Event;
use crate::state::AppState;

/// The longest application, target or user name accepted.
const MAX_NAME: usize = 200;
/// The longest description accepted.
const MAX_DESCRIPTION: usize = 4000;
/// The longest URL accepted.
const MAX_URL: usize = 2000;

/// What a client says about a deployment, before validation.
#[derive(Clone, Debug, Default)]
pub struct DeploymentInput {
    /// The tool (required).
    pub application: Option<String>,
    /// What it was (required).
    pub description: Option<String>,
    /// Where it went (required).
    pub target: Option<String>,
    /// Who; defaults to the caller.
    pub user_name: Option<String>,
    /// A link to more (http or https).
    pub url: Option<String>,
    /// When, ISO 8601; defaults to now.
    pub date: Option<String>,
}

/// A deployment that passed validation.
#[derive(Clone, Debug)]
pub struct ValidDeployment {
    application: String,
    description: String,
    target: String,
    user_name: Option<String>,
    url: Option<String>,
    at: i64,
}

fn text(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

impl DeploymentInput {
    /// The required fields that are missing, by the names `prefix` gives them.
    pub fn missing(&self, names: [&'static str; 3]) -> Vec<&'static str> {
        [&self.application, &self.description, &self.target]
            .iter()
            .zip(names)
            .filter(|(value, _)| text(value.as_ref()).is_none())
            .map(|(_, name)| name)
            .collect()
    }

    /// Checks every field; the error names the field and what is wrong.
    /// `names` are the required fields' names as the client sent them.
    pub fn validate(&self, names: [&'static str; 3]) -> Result<ValidDeployment, String> {
        let missing = self.missing(names);
        if !missing.is_empty() {
            return Err(format!("{} is required.", missing.join(", ")));
        }
        let field = |value: &Option<String>, name: &str, max: usize| -> Result<String, String> {
            let value = text(value.as_ref()).unwrap_or_default();
            if value.chars().count() > max {
                return Err(format!("{name} must be at most {max} characters."));
            }
            if value.chars().any(char::is_control) && name != "Description" {
                return Err(format!("{name} must not contain control characters."));
            }
            Ok(value.to_owned())
        };
        let application = field(&self.application, names[0], MAX_NAME)?;
        let description = field(&self.description, names[1], MAX_DESCRIPTION)?;
        let target = field(&self.target, names[2], MAX_NAME)?;
        let user_name = match text(self.user_name.as_ref()) {
            Some(_) => Some(field(&self.user_name, "UserName", MAX_NAME)?),
            None => None,
        };
        let url = match text(self.url.as_ref()) {
            Some(url) => {
                let lower = url.to_ascii_lowercase();
                if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.len() > MAX_URL {
                    return Err(format!(
                        "Url must be an http or https URL of at most {MAX_URL} characters."
                    ));
                }
                Some(url.to_owned())
            }
            None => None,
        };
        let at = match text(self.date.as_ref()) {
            Some(date) => OffsetDateTime::parse(date, &Rfc3339)
                .map(to_millis)
                .map_err(|e| format!("Date '{date}' is not an ISO 8601 date with a time zone: {e}."))?,
            None => now_millis(),
        };
        Ok(ValidDeployment {
            application,
            description,
            target,
            user_name,
            url,
            at,
        })
    }
}

/// Records a validated deployment of `package` (in `feed`) and announces it.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    package: &PackageRecord,
    valid: ValidDeployment,
) -> ApiResult<DeploymentRecord> {
    let record = state
        .meta()
        .record_deployment(&NewDeployment {
            feed_name: feed.settings.name.clone(),
            package_type: feed.settings.feed_type.package_type().to_owned(),
            group: package.group.clone(),
            name: package.name.clone(),
            version: package.version.clone(),
            key: package.key.clone(),
            application: valid.application,
            description: valid.description,
            target: valid.target,
            user: valid.user_name.unwrap_or_else(|| caller.user_name().to_owned()),
            url: valid.url,
            at: valid.at,
        })
        .await?;
    tracing::info!(id = record.id, package = %record.name, version = %record.version, target = %record.target, "deployment recorded");
    state.events().publish(Event::Deployed {
        deployment: record.clone(),
    });
    Ok(record)
}

/// The `X-ProGet-Deployment-*` headers of a download, if any was sent.
pub fn from_headers(headers: &HeaderMap) -> Option<DeploymentInput> {
    let get = |suffix: &str| {
        headers
            .get(format!("x-proget-deployment-{suffix}"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let input = DeploymentInput {
        application: get("application"),
        description: get("description"),
        target: get("target"),
        user_name: get("username"),
        url: get("url"),
        date: get("date"),
    };
    let any = [
        &input.application,
        &input.description,
        &input.target,
        &input.user_name,
        &input.url,
        &input.date,
    ]
    .iter()
    .any(|v| v.is_some());
    any.then_some(input)
}

/// The header names of the required fields, for messages.
pub const HEADER_NAMES: [&str; 3] = [
    "X-ProGet-Deployment-Application",
    "X-ProGet-Deployment-Description",
    "X-ProGet-Deployment-Target",
];

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["Application", "Description", "Target"];

    fn input() -> DeploymentInput {
        DeploymentInput {
            application: Some("BuildMaster".into()),
            description: Some("release 12".into()),
            target: Some("web01".into()),
            ..DeploymentInput::default()
        }
    }

    #[test]
    fn valid_input_passes_and_defaults_the_date() {
        let valid = input().validate(NAMES).expect("valid");
        assert!(valid.at > 0);
        assert_eq!(valid.target, "web01");
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(DeploymentInput, &str)> = vec![
            (
                DeploymentInput {
                    target: None,
                    ..input()
                },
                "Target is required",
            ),
            (
                DeploymentInput {
                    application: Some("  ".into()),
                    ..input()
                },
                "Application is required",
            ),
            (
                DeploymentInput {
                    date: Some("yesterday".into()),
                    ..input()
                },
                "Date 'yesterday'",
            ),
            (
                DeploymentInput {
                    url: Some("ftp://x".into()),
                    ..input()
                },
                "Url must be",
            ),
            (
                DeploymentInput {
                    target: Some("x".repeat(201)),
                    ..input()
                },
                "Target must be at most 200",
            ),
            (
                DeploymentInput {
                    target: Some("a\nb".into()),
                    ..input()
                },
                "control characters",
            ),
        ];
        for (case, expected) in cases {
            let err = case.validate(NAMES).expect_err("refused");
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    #[test]
    fn dates_with_zones_are_read() {
        let valid = DeploymentInput {
            date: Some("2026-01-02T03:04:05Z".into()),
            ..input()
        }
        .validate(NAMES)
        .expect("valid");
        assert_eq!(valid.at, 1_767_323_045_000);
    }
}
