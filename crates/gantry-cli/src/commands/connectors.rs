//! `gantry connectors ...`: the upstream registries feeds proxy.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::client::path_segment;
use crate::client::Client;
use crate::error::CliResult;
use crate::output::{joined, print_json, print_table, report, text, Table};
use crate::GlobalArgs;

/// The `connectors` commands.
#[derive(Subcommand, Debug)]
pub enum ConnectorsCommand {
    /// Create a connector.
    #[command(
        after_help = "Examples:\n  gantry connectors create --name=nuget.org --type=NuGet --url=https://api.nuget.org/v3/index.json\n  gantry connectors create --name=npmjs --type=npm --url=https://registry.npmjs.org --filter=@acme/* --filter=!*-beta --timeout=60"
    )]
    Create {
        /// The new connector's name.
        #[arg(long)]
        name: String,
        /// The package type: nuget, npm, universal, ...
        #[arg(long = "type")]
        feed_type: String,
        /// The upstream's address (http or https).
        #[arg(long)]
        url: String,
        /// Seconds to wait for the upstream (1-600, default 30).
        #[arg(long)]
        timeout: Option<u32>,
        /// An include pattern, or an exclude one starting with `!`; repeat in order.
        #[arg(long = "filter")]
        filters: Vec<String>,
    },
    /// List the connectors and their health.
    #[command(after_help = "Examples:\n  gantry connectors list\n  gantry connectors list --json")]
    List,
    /// Delete a connector.
    #[command(after_help = "Example:\n  gantry connectors delete --name=nuget.org")]
    Delete {
        /// The connector to delete.
        #[arg(long, visible_alias = "connector")]
        name: String,
    },
}

/// Runs a `connectors` command.
pub async fn run(global: &GlobalArgs, command: ConnectorsCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    match command {
        ConnectorsCommand::Create {
            name,
            feed_type,
            url,
            timeout,
            filters,
        } => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            body.insert("feedType".into(), json!(feed_type));
            body.insert("url".into(), json!(url));
            if let Some(timeout) = timeout {
                body.insert("timeout".into(), json!(timeout));
            }
            if !filters.is_empty() {
                body.insert("filters".into(), json!(filters));
            }
            let connector: Value = client
                .post_json("/api/management/connectors/create", &Value::Object(body))
                .await?;
            report(
                global.json,
                &connector,
                &format!(
                    "Connector '{}' ({}) to {} created.",
                    text(&connector, "name"),
                    text(&connector, "feedType"),
                    text(&connector, "url")
                ),
            );
            Ok(())
        }
        ConnectorsCommand::List => {
            let connectors: Vec<Value> = client.get_json("/api/management/connectors/list").await?;
            if global.json {
                print_json(&Value::Array(connectors));
                return Ok(());
            }
            let mut table = Table::new(&["NAME", "TYPE", "URL", "STATUS", "FILTERS"]);
            for connector in &connectors {
                table.row(vec![
                    text(connector, "name"),
                    text(connector, "feedType"),
                    text(connector, "url"),
                    text(connector, "status"),
                    joined(connector, "filters"),
                ]);
            }
            print_table(&table);
            Ok(())
        }
        ConnectorsCommand::Delete { name } => {
            let path = format!("/api/management/connectors/delete/{}", path_segment(&name));
            client.send(client.request(Method::DELETE, &path)).await?;
            report(
                global.json,
                &json!({ "deleted": name }),
                &format!("Connector '{name}' deleted."),
            );
            Ok(())
        }
    }
}
