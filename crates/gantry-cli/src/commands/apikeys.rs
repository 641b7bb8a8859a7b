//! `gantry apikeys ...`: create, list and delete API keys. A new key's
//! secret is printed once, when it is created; lists never show secrets.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::client::Client;
use crate::error::{CliError, CliResult};
use crate::output::{joined, print_json, print_table, report, text, Table};
use crate::GlobalArgs;

/// The `apikeys` commands.
#[derive(Subcommand, Debug)]
pub enum ApiKeysCommand {
    /// Create a key; the key itself is the only thing printed (or `key` in --json).
    #[command(
        after_help = "Examples:\n  gantry apikeys create feed --feed=dev --permissions=view,add\n  gantry apikeys create system --apis=feeds\n  gantry apikeys create personal --user=jsmith"
    )]
    Create {
        #[command(subcommand)]
        command: CreateCommand,
    },
    /// List the keys (never their secrets).
    #[command(after_help = "Examples:\n  gantry apikeys list\n  gantry apikeys list --json")]
    List,
    /// Delete a key.
    #[command(after_help = "Example:\n  gantry apikeys delete --id=12")]
    Delete {
        /// The key's id (see `gantry apikeys list`).
        #[arg(long)]
        id: i64,
    },
}

/// The kinds of key `apikeys create` makes.
#[derive(Subcommand, Debug)]
pub enum CreateCommand {
    /// A system key: the listed system APIs on every feed.
    #[command(
        after_help = "Examples:\n  gantry apikeys create system --name=ci --apis=feeds\n  KEY=$(gantry apikeys create system --name=admin-bot --expiration=2027-01-01)"
    )]
    System {
        #[command(flatten)]
        common: KeyOptions,
        /// Comma-separated system APIs: full-control, feeds (default full-control).
        #[arg(long, default_value = "full-control")]
        apis: String,
    },
    /// A feed key: package permissions on one feed.
    #[command(
        after_help = "Examples:\n  gantry apikeys create feed --feed=approved --permissions=view,add --name=publisher\n  gantry apikeys create feed --feed=internal-npm"
    )]
    Feed {
        #[command(flatten)]
        common: KeyOptions,
        /// The feed the key works on.
        #[arg(long)]
        feed: Option<String>,
        /// A feed group (not supported by Gantry yet; the server says so).
        #[arg(long)]
        group: Option<String>,
        /// Comma-separated permissions: view, add, promote, delete (default all).
        #[arg(long, default_value = "view,add,promote,delete")]
        permissions: String,
    },
    /// A personal key: acts as a user.
    #[command(
        after_help = "Examples:\n  gantry apikeys create personal --user=jsmith --name=laptop\n  gantry apikeys create personal --username=jsmith --password=PW"
    )]
    Personal {
        #[command(flatten)]
        common: KeyOptions,
        /// The user the key acts as (default: the signed-in user).
        #[arg(long)]
        user: Option<String>,
    },
}

/// Options every kind of key takes.
#[derive(Args, Debug)]
pub struct KeyOptions {
    /// A secret of your own (16-256 characters); generated otherwise.
    #[arg(long)]
    key: Option<String>,
    /// The key's display name.
    #[arg(long)]
    name: Option<String>,
    /// Free text.
    #[arg(long)]
    description: Option<String>,
    /// Expiry, ISO 8601 (UTC when no offset is given).
    #[arg(long)]
    expiration: Option<String>,
}

/// Runs an `apikeys` command.
pub async fn run(global: &GlobalArgs, command: ApiKeysCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    match command {
        ApiKeysCommand::Create { command } => {
            let body = create_body(command)?;
            let created: Value = client
                .post_json("/api/api-keys/create", &Value::Object(body))
                .await?;
            report(global.json, &created, &text(&created, "key"));
            Ok(())
        }
        ApiKeysCommand::List => {
            let mut keys: Vec<Value> = client.get_json("/api/api-keys/list").await?;
            // Lists never carry secrets; drop one should a server send it.
            for key in &mut keys {
                if let Value::Object(fields) = key {
                    fields.remove("key");
                }
            }
            if global.json {
                print_json(&Value::Array(keys));
                return Ok(());
            }
            let mut table = Table::new(&["ID", "TYPE", "NAME", "FOR", "GRANTS", "EXPIRATION"]);
            for key in &keys {
                let scope = match (text(key, "feed"), text(key, "user")) {
                    (feed, _) if !feed.is_empty() => format!("feed {feed}"),
                    (_, user) if !user.is_empty() => format!("user {user}"),
                    _ => "all feeds".to_owned(),
                };
                let grants = [joined(key, "systemApis"), joined(key, "packagePermissions")]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(",");
                table.row(vec![
                    text(key, "id"),
                    text(key, "type"),
                    text(key, "displayName"),
                    scope,
                    grants,
                    text(key, "expiration"),
                ]);
            }
            print_table(&table);
            Ok(())
        }
        ApiKeysCommand::Delete { id } => {
            client
                .send(
                    client
                        .request(Method::POST, "/api/api-keys/delete")
                        .query(&[("id", id)]),
                )
                .await?;
            report(
                global.json,
                &json!({ "deleted": id }),
                &format!("API key {id} deleted."),
            );
            Ok(())
        }
    }
}

/// The `/api/api-keys/create` body for a `create` command.
fn create_body(command: CreateCommand) -> CliResult<Map<String, Value>> {
    let mut body = Map::new();
    let common = match command {
        CreateCommand::System { common, apis } => {
            body.insert("type".into(), json!("system"));
            body.insert("systemApis".into(), json!(list("--apis", &apis)?));
            common
        }
        CreateCommand::Feed {
            common,
            feed,
            group,
            permissions,
        } => {
            if feed.is_some() == group.is_some() {
                return Err(CliError::Usage(
                    "give either --feed or --group (but not both)".into(),
                ));
            }
            body.insert("type".into(), json!("feed"));
            if let Some(feed) = feed {
                body.insert("feed".into(), json!(feed));
            }
            if let Some(group) = group {
                body.insert("feedGroup".into(), json!(group));
            }
            body.insert(
                "packagePermissions".into(),
                json!(list("--permissions", &permissions)?),
            );
            common
        }
        CreateCommand::Personal { common, user } => {
            body.insert("type".into(), json!("personal"));
            if let Some(user) = user {
                body.insert("user".into(), json!(user));
            }
            common
        }
    };
    for (field, value) in [
        ("key", common.key),
        ("displayName", common.name),
        ("description", common.description),
        ("expiration", common.expiration),
    ] {
        if let Some(value) = value {
            body.insert(field.into(), json!(value));
        }
    }
    Ok(body)
}

/// A comma-separated option as a list; empty is a usage error.
fn list(option: &str, value: &str) -> CliResult<Vec<String>> {
    let items: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if items.is_empty() {
        return Err(CliError::Usage(format!("{option} needs at least one value")));
    }
    Ok(items)
}
