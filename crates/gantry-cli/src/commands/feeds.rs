//! `gantry feeds ...`: create, list and delete feeds, and read or change
//! their properties.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::client::{path_segment, Client};
use crate::error::{CliError, CliResult};
use crate::output::{joined, print_json, print_table, report, text, Table};
use crate::GlobalArgs;

/// The `feeds` commands.
#[derive(Subcommand, Debug)]
pub enum FeedsCommand {
    /// Create a feed.
    #[command(
        after_help = "Examples:\n  gantry feeds create --name=public-nuget --type=NuGet\n  gantry feeds create --name=approved --type=universal --usage=validated --description=\"Released builds\""
    )]
    Create {
        /// The new feed's name.
        #[arg(long)]
        name: String,
        /// The package type: universal (upack), nuget, npm, ...
        #[arg(long = "type")]
        feed_type: String,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// private, proxy, validated or mixed (default mixed).
        #[arg(long)]
        usage: Option<String>,
    },
    /// List the feeds you may view.
    #[command(after_help = "Examples:\n  gantry feeds list\n  gantry feeds list --json")]
    List,
    /// Delete a feed and its packages.
    #[command(after_help = "Example:\n  gantry feeds delete --name=old-nuget")]
    Delete {
        /// The feed to delete.
        #[arg(long, visible_alias = "feed")]
        name: String,
    },
    /// Read or change a feed's properties.
    #[command(
        after_help = "Examples:\n  gantry feeds properties list --feed=dev\n  gantry feeds properties set --feed=dev --property=promoteToFeed --value=approved"
    )]
    Properties {
        #[command(subcommand)]
        command: PropertiesCommand,
    },
}

/// The `feeds properties` commands.
#[derive(Subcommand, Debug)]
pub enum PropertiesCommand {
    /// Show a feed's properties.
    #[command(
        after_help = "Examples:\n  gantry feeds properties list --feed=approved\n  gantry feeds properties list --feed=approved --json"
    )]
    List {
        /// The feed (default: the source's feed).
        #[arg(long)]
        feed: Option<String>,
    },
    /// Change one property of a feed.
    #[command(
        after_help = "Settable properties: name, description, active, usage, promoteToFeed (empty clears it),\ndeploymentRecordsEnabled, allowDirectUploads, connectors (comma-separated), cacheConnectors, offline, immutableTags.\n\nExamples:\n  gantry feeds properties set --feed=public-pypi --property=active --value=false\n  gantry feeds properties set --feed=private-npm --property=connectors --value=npmjs,internal-npm\n  gantry feeds properties set --feed=dev --property=promoteToFeed --value=approved"
    )]
    Set {
        /// The feed (default: the source's feed).
        #[arg(long)]
        feed: Option<String>,
        /// The property's name (as in the feed JSON).
        #[arg(long)]
        property: String,
        /// The new value.
        #[arg(long)]
        value: String,
    },
}

/// How a property's value is read from the command line.
enum Kind {
    Text,
    Flag,
    List,
    Nullable,
}

/// The feed JSON fields `properties set` may change.
const SETTABLE: [(&str, Kind); 11] = [
    ("name", Kind::Text),
    ("description", Kind::Text),
    ("active", Kind::Flag),
    ("usage", Kind::Text),
    ("promoteToFeed", Kind::Nullable),
    ("deploymentRecordsEnabled", Kind::Flag),
    ("allowDirectUploads", Kind::Flag),
    ("connectors", Kind::List),
    ("cacheConnectors", Kind::Flag),
    ("offline", Kind::Flag),
    ("immutableTags", Kind::Flag),
];

/// Runs a `feeds` command.
pub async fn run(global: &GlobalArgs, command: FeedsCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    match command {
        FeedsCommand::Create {
            name,
            feed_type,
            description,
            usage,
        } => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            body.insert("feedType".into(), json!(feed_type));
            if let Some(description) = description {
                body.insert("description".into(), json!(description));
            }
            if let Some(usage) = usage {
                body.insert("usage".into(), json!(usage));
            }
            let feed: Value = client
                .post_json("/api/management/feeds/create", &Value::Object(body))
                .await?;
            report(
                global.json,
                &feed,
                &format!(
                    "Feed '{}' ({}) created.",
                    text(&feed, "name"),
                    text(&feed, "feedType")
                ),
            );
            Ok(())
        }
        FeedsCommand::List => {
            let feeds: Vec<Value> = client.get_json("/api/management/feeds/list").await?;
            if global.json {
                print_json(&Value::Array(feeds));
                return Ok(());
            }
            let mut table = Table::new(&["NAME", "TYPE", "USAGE", "ACTIVE", "PROMOTE TO", "CONNECTORS"]);
            for feed in &feeds {
                table.row(vec![
                    text(feed, "name"),
                    text(feed, "feedType"),
                    text(feed, "usage"),
                    text(feed, "active"),
                    text(feed, "promoteToFeed"),
                    joined(feed, "connectors"),
                ]);
            }
            print_table(&table);
            Ok(())
        }
        FeedsCommand::Delete { name: feed } => {
            let path = format!("/api/management/feeds/delete/{}", path_segment(&feed));
            client.send(client.request(Method::DELETE, &path)).await?;
            report(
                global.json,
                &json!({ "deleted": feed }),
                &format!("Feed '{feed}' deleted."),
            );
            Ok(())
        }
        FeedsCommand::Properties {
            command: PropertiesCommand::List { feed },
        } => {
            let feed = client.feed(feed.as_deref())?;
            let path = format!("/api/management/feeds/get/{}", path_segment(&feed));
            let info: Value = client.get_json(&path).await?;
            if global.json {
                print_json(&info);
                return Ok(());
            }
            let mut table = Table::new(&["PROPERTY", "VALUE"]);
            if let Value::Object(fields) = &info {
                for (key, value) in fields {
                    let shown = match value {
                        Value::Array(_) => joined(&info, key),
                        _ => text(&info, key),
                    };
                    table.row(vec![key.clone(), shown]);
                }
            }
            print_table(&table);
            Ok(())
        }
        FeedsCommand::Properties {
            command:
                PropertiesCommand::Set {
                    feed,
                    property,
                    value,
                },
        } => {
            let feed = client.feed(feed.as_deref())?;
            let (field, parsed) = property_value(&property, &value)?;
            let mut body = Map::new();
            body.insert(field.to_owned(), parsed);
            let path = format!("/api/management/feeds/update/{}", path_segment(&feed));
            let info: Value = client.post_json(&path, &Value::Object(body)).await?;
            report(
                global.json,
                &info,
                &format!("Property {field} of feed '{feed}' updated."),
            );
            Ok(())
        }
    }
}

/// The JSON field and value for `properties set`.
fn property_value(property: &str, value: &str) -> CliResult<(&'static str, Value)> {
    let Some((field, kind)) = SETTABLE
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(property))
    else {
        let names: Vec<&str> = SETTABLE.iter().map(|(name, _)| *name).collect();
        return Err(CliError::Usage(format!(
            "--property: '{property}' cannot be set; settable properties: {}",
            names.join(", ")
        )));
    };
    let parsed = match kind {
        Kind::Text => json!(value),
        Kind::Nullable if value.trim().is_empty() => Value::Null,
        Kind::Nullable => json!(value.trim()),
        Kind::Flag => match value.trim().to_ascii_lowercase().as_str() {
            "true" => json!(true),
            "false" => json!(false),
            _ => {
                return Err(CliError::Usage(format!(
                    "--value: {field} must be true or false, not '{value}'"
                )))
            }
        },
        Kind::List => json!(value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()),
    };
    Ok((field, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_typed() {
        assert_eq!(
            property_value("Active", "FALSE").ok(),
            Some(("active", json!(false)))
        );
        assert_eq!(
            property_value("connectors", "a, b,,c").ok(),
            Some(("connectors", json!(["a", "b", "c"])))
        );
        assert_eq!(
            property_value("promoteToFeed", "").ok(),
            Some(("promoteToFeed", Value::Null))
        );
        assert!(matches!(property_value("dropPath", "x"), Err(CliError::Usage(_))));
        assert!(matches!(
            property_value("offline", "maybe"),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn names_are_escaped_in_paths() {}
}
