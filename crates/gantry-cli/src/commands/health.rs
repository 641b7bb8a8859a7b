//! `gantry health`: is the server up, and which version is it.

use serde_json::Value;

use crate::client::Client;
use crate::error::CliResult;
use crate::output::{print_json, print_table, text, Table};
use crate::GlobalArgs;

/// Asks the server's `/health`.
pub async fn run(global: &GlobalArgs) -> CliResult<()> {
    let client = Client::from_args(global)?;
    let health: Value = client.get_json("/health").await?;
    if global.json {
        print_json(&health);
        return Ok(());
    }
    let mut table = Table::new(&["SERVER", "STATUS", "VERSION"]);
    table.row(vec![
        client.source.url.clone(),
        text(&health, "status"),
        text(&health, "version"),
    ]);
    print_table(&table);
    Ok(())
}
