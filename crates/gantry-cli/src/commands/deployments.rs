//! `gantry deployments ...`: record where package versions were installed,
//! and ask where each version runs now.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::client::Client;
use crate::commands::split_package;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_table, report, text, Table};
use crate::GlobalArgs;

/// The `deployments` commands.
#[derive(Subcommand, Debug)]
pub enum DeploymentsCommand {
    /// Record that a package version was deployed to a target.
    #[command(
        after_help = "Examples:\n  gantry deployments add --feed=approved --package=app --version=1.2.3 --target=web01\n  gantry deployments add --package=@acme/ui --version=2.0.0 --target=prod-eu --application=Octopus --description=\"Release 42\""
    )]
    Add {
        /// The feed (default: the source's feed).
        #[arg(long)]
        feed: Option<String>,
        /// The package: `name`, `group/name` or `@scope/name`.
        #[arg(long)]
        package: String,
        /// The version deployed.
        #[arg(long)]
        version: String,
        /// Where it was installed (typically a server or environment name).
        #[arg(long)]
        target: String,
        /// The tool doing the deployment.
        #[arg(long, default_value = "gantry")]
        application: String,
        /// A brief summary (default: "Deployed NAME VERSION to TARGET").
        #[arg(long)]
        description: Option<String>,
        /// Who deployed (default: the caller).
        #[arg(long)]
        user: Option<String>,
        /// A link to more about the deployment (http or https).
        #[arg(long)]
        url: Option<String>,
    },
    /// List deployment records, newest first.
    #[command(
        after_help = "Examples:\n  gantry deployments list --feed=approved\n  gantry deployments list --feed=approved --package=app --target=web01 --json\n  gantry deployments list --since=2026-01-01 --limit=50"
    )]
    List {
        /// Only this feed.
        #[arg(long)]
        feed: Option<String>,
        /// Only this package (`name`, `group/name` or `@scope/name`).
        #[arg(long)]
        package: Option<String>,
        /// Only this version.
        #[arg(long)]
        version: Option<String>,
        /// Only this target.
        #[arg(long)]
        target: Option<String>,
        /// Only this application.
        #[arg(long)]
        application: Option<String>,
        /// At or after this ISO 8601 date.
        #[arg(long)]
        since: Option<String>,
        /// Before this ISO 8601 date.
        #[arg(long)]
        until: Option<String>,
        /// At most this many records.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// For one package, the version last deployed to each target.
    #[command(
        after_help = "Examples:\n  gantry deployments targets --feed=approved --package=app\n  gantry deployments targets --package=@acme/ui --json"
    )]
    Targets {
        /// The feed (default: the source's feed).
        #[arg(long)]
        feed: Option<String>,
        /// The package: `name`, `group/name` or `@scope/name`.
        #[arg(long)]
        package: String,
    },
}

/// Runs a `deployments` command.
pub async fn run(global: &GlobalArgs, command: DeploymentsCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    match command {
        DeploymentsCommand::Add {
            feed,
            package,
            version,
            target,
            application,
            description,
            user,
            url,
        } => {
            let feed = client.feed(feed.as_deref())?;
            let (group, name) = split_package(&package);
            if name.is_empty() {
                return Err(CliError::Usage("--package needs a name".into()));
            }
            let description =
                description.unwrap_or_else(|| format!("Deployed {package} {version} to {target}"));
            let mut body = Map::new();
            body.insert("FeedName".into(), json!(feed));
            body.insert("PackageName".into(), json!(name));
            body.insert("Version".into(), json!(version));
            body.insert("Target".into(), json!(target));
            body.insert("Application".into(), json!(application));
            body.insert("Description".into(), json!(description));
            for (key, value) in [("GroupName", group), ("UserName", user), ("Url", url)] {
                if let Some(value) = value {
                    body.insert(key.into(), json!(value));
                }
            }
            let recorded: Value = client
                .post_json("/api/package-deployment/", &Value::Object(body))
                .await?;
            report(
                global.json,
                &recorded,
                &format!(
                    "Deployment of {package} {version} to {target} recorded (id {}).",
                    text(&recorded, "id")
                ),
            );
            Ok(())
        }
        DeploymentsCommand::List {
            feed,
            package,
            version,
            target,
            application,
            since,
            until,
            limit,
        } => {
            let mut query: Vec<(&str, String)> = Vec::new();
            if let Some(package) = &package {
                let (group, name) = split_package(package);
                query.push(("package", name));
                if let Some(group) = group {
                    query.push(("group", group));
                }
            }
            for (key, value) in [
                ("feed", feed),
                ("version", version),
                ("target", target),
                ("application", application),
                ("since", since),
                ("until", until),
                ("limit", limit.map(|l| l.to_string())),
            ] {
                if let Some(value) = value {
                    query.push((key, value));
                }
            }
            let records: Vec<Value> = client
                .json(
                    client
                        .request(Method::GET, "/api/package-deployment/list")
                        .query(&query),
                )
                .await?;
            if global.json {
                print_json(&Value::Array(records));
                return Ok(());
            }
            let mut table = Table::new(&[
                "ID",
                "DATE",
                "FEED",
                "PACKAGE",
                "VERSION",
                "TARGET",
                "USER",
                "APPLICATION",
            ]);
            for record in &records {
                table.row(vec![
                    text(record, "id"),
                    text(record, "date"),
                    text(record, "feed"),
                    package_of(record),
                    text(record, "version"),
                    text(record, "target"),
                    text(record, "user"),
                    text(record, "application"),
                ]);
            }
            print_table(&table);
            Ok(())
        }
        DeploymentsCommand::Targets { feed, package } => {
            let feed = client.feed(feed.as_deref())?;
            let (group, name) = split_package(&package);
            let mut query = vec![("feed", feed), ("package", name)];
            if let Some(group) = group {
                query.push(("group", group));
            }
            let records: Vec<Value> = client
                .json(
                    client
                        .request(Method::GET, "/api/package-deployment/targets")
                        .query(&query),
                )
                .await?;
            if global.json {
                print_json(&Value::Array(records));
                return Ok(());
            }
            let mut table = Table::new(&["TARGET", "VERSION", "DATE", "USER", "APPLICATION"]);
            for record in &records {
                table.row(vec![
                    text(record, "target"),
                    text(record, "version"),
                    text(record, "date"),
                    text(record, "user"),
                    text(record, "application"),
                ]);
            }
            print_table(&table);
            Ok(())
        }
    }
}

/// `group/name`, or `name` when the record has no group.
fn package_of(record: &Value) -> String {
    let name = text(record, "name");
    match text(record, "group") {
        group if group.is_empty() => name,
        group => format!("{group}/{name}"),
    }
}
