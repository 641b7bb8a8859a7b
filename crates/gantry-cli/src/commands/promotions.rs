//! `gantry promotions list`: the promotions the server recorded.

use clap::Subcommand;
use reqwest::Method;
use serde_json::Value;

use crate::client::Client;
use crate::commands::split_package;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_table, text, Table};
use crate::GlobalArgs;

/// The `promotions` commands.
#[derive(Subcommand, Debug)]
pub enum PromotionsCommand {
    /// List promoted package versions with their promotions, oldest first.
    #[command(
        after_help = "Examples:\n  gantry promotions list\n  gantry promotions list --from-feed=dev --to-feed=prod --since=2026-01-01\n  gantry promotions list --package=acme/hammer --version=1.2.3 --json\n  gantry promotions list --limit=100 --cursor=NEXT\n\nWith --limit, the cursor of the next page is printed on stderr (`next page: --cursor=...`)."
    )]
    List {
        /// Only promotions from this feed.
        #[arg(long)]
        from_feed: Option<String>,
        /// Only promotions to this feed.
        #[arg(long)]
        to_feed: Option<String>,
        /// Only this package: `name`, `group/name` or `@scope/name`.
        #[arg(long)]
        package: Option<String>,
        /// Only this group (instead of giving it in --package).
        #[arg(long)]
        group: Option<String>,
        /// Only this version.
        #[arg(long)]
        version: Option<String>,
        /// Only promotions at or after this ISO 8601 date.
        #[arg(long)]
        since: Option<String>,
        /// Only promotions before this ISO 8601 date.
        #[arg(long)]
        until: Option<String>,
        /// At most this many promotions (1-10000).
        #[arg(long)]
        limit: Option<u32>,
        /// The page to show: the cursor a previous --limit run printed.
        #[arg(long)]
        cursor: Option<String>,
    },
}

/// Runs a `promotions` command.
pub async fn run(global: &GlobalArgs, command: PromotionsCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    let PromotionsCommand::List {
        from_feed,
        to_feed,
        package,
        group,
        version,
        since,
        until,
        limit,
        cursor,
    } = command;
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(feed) = from_feed {
        query.push(("fromFeed", feed));
    }
    if let Some(feed) = to_feed {
        query.push(("toFeed", feed));
    }
    let (package_group, name) = match package.as_deref().map(split_package) {
        Some((group, name)) => (group, Some(name)),
        None => (None, None),
    };
    if package_group.is_some() && group.is_some() {
        return Err(CliError::Usage(
            "give the group in --package or in --group, not both".into(),
        ));
    }
    if let Some(group) = package_group.or(group) {
        query.push(("groupName", group));
    }
    if let Some(name) = name {
        query.push(("packageName", name));
    }
    for (key, value) in [
        ("version", version),
        ("since", since),
        ("until", until),
        ("limit", limit.map(|l| l.to_string())),
        ("cursor", cursor),
    ] {
        if let Some(value) = value {
            query.push((key, value));
        }
    }
    let response = client
        .send(client.request(Method::GET, "/api/promotions/list").query(&query))
        .await?;
    let next = response
        .headers()
        .get("X-Gantry-Next-Cursor")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let packages: Vec<Value> = response
        .json()
        .await
        .map_err(|e| CliError::Server(format!("the server's answer could not be read: {e}")))?;
    if global.json {
        print_json(&Value::Array(packages));
    } else {
        let mut table = Table::new(&[
            "PACKAGE", "VERSION", "TYPE", "FROM", "TO", "DATE", "USER", "COMMENTS",
        ]);
        for package in &packages {
            let full_name = match package.get("groupName").and_then(Value::as_str) {
                Some(group) if !group.is_empty() => {
                    format!("{group}/{}", text(package, "packageName"))
                }
                _ => text(package, "packageName"),
            };
            let promotions = package
                .get("promotions")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for promotion in promotions {
                table.row(vec![
                    full_name.clone(),
                    text(package, "version"),
                    text(package, "packageType"),
                    text(promotion, "fromFeed"),
                    text(promotion, "toFeed"),
                    text(promotion, "date"),
                    text(promotion, "user"),
                    text(promotion, "comments"),
                ]);
            }
        }
        print_table(&table);
    }
    if let Some(next) = next {
        eprintln!("next page: --cursor={next}");
    }
    Ok(())
}
