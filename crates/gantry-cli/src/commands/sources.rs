//! `gantry sources ...`: the servers the client talks to.

use clap::Subcommand;
use serde_json::{json, Value};

use crate::client::Client;
use crate::config::{config_path, pgutil_config_path, read_pgutil, Config, Source};
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_table, report, Table};
use crate::GlobalArgs;

/// The `sources` commands.
#[derive(Subcommand, Debug)]
pub enum SourcesCommand {
    /// Add a source (or replace the one of the same name).
    #[command(
        after_help = "Examples:\n  gantry sources add --name=Default --url=https://gantry.example --api-key=KEY\n  gantry sources add --name=ci --url=http://localhost:8624 --feed=approved --username=ci --password=PW"
    )]
    Add {
        /// The source's name; `Default` is used when --source is omitted.
        #[arg(long)]
        name: String,
        /// The server's URL.
        #[arg(long)]
        url: String,
        /// The feed commands use when --feed is omitted.
        #[arg(long)]
        feed: Option<String>,
    },
    /// List the sources (secrets are never shown).
    #[command(after_help = "Examples:\n  gantry sources list\n  gantry sources list --json")]
    List,
    /// Remove a source.
    #[command(after_help = "Example:\n  gantry sources remove --name=old")]
    Remove {
        /// The source to remove.
        #[arg(long)]
        name: String,
    },
    /// Check that a source answers and that its credentials are accepted.
    #[command(after_help = "Examples:\n  gantry sources test\n  gantry sources test --source=ci")]
    Test,
    /// Copy the sources of pgutil's configuration file into this one.
    #[command(
        name = "import-pgutil",
        after_help = "Examples:\n  gantry sources import-pgutil\n  gantry sources import-pgutil --file=/path/to/pgutil.config"
    )]
    ImportPgutil {
        /// pgutil's configuration file (default: where pgutil keeps it).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}

/// Runs a `sources` command.
pub async fn run(global: &GlobalArgs, command: SourcesCommand) -> CliResult<()> {
    let path = config_path()?;
    match command {
        SourcesCommand::Add { name, url, feed } => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(CliError::Usage(format!(
                    "--url: '{url}' must start with http:// or https://"
                )));
            }
            if global.username.is_some() && global.api_key.is_some() {
                return Err(CliError::Usage(
                    "give --api-key or --username/--password, not both".into(),
                ));
            }
            let mut config = Config::load(&path)?;
            config.upsert(Source {
                name: name.clone(),
                url,
                feed,
                api_key: global.api_key.clone(),
                username: global.username.clone(),
                password: global.password.clone(),
            });
            config.save(&path)?;
            if !global.json {
                println!("Source '{name}' saved in {}.", path.display());
            }
            Ok(())
        }
        SourcesCommand::List => {
            let config = Config::load(&path)?;
            if global.json {
                print_json(&Value::Array(config.sources.iter().map(describe).collect()));
                return Ok(());
            }
            let mut table = Table::new(&["NAME", "URL", "FEED", "AUTHENTICATION"]);
            for source in &config.sources {
                table.row(vec![
                    source.name.clone(),
                    source.url.clone(),
                    source.feed.clone().unwrap_or_default(),
                    authentication(source),
                ]);
            }
            print_table(&table);
            Ok(())
        }
        SourcesCommand::Remove { name } => {
            let mut config = Config::load(&path)?;
            if !config.remove(&name) {
                return Err(CliError::NotFound(format!("there is no source named '{name}'")));
            }
            config.save(&path)?;
            if !global.json {
                println!("Source '{name}' removed.");
            }
            Ok(())
        }
        SourcesCommand::Test => test(global).await,
        SourcesCommand::ImportPgutil { file } => {
            let file = match file {
                Some(file) => file,
                None => pgutil_config_path()?,
            };
            let imported = read_pgutil(&file)?;
            let mut config = Config::load(&path)?;
            let names: Vec<String> = imported.iter().map(|s| s.name.clone()).collect();
            for source in imported {
                config.upsert(source);
            }
            config.save(&path)?;
            report(
                global.json,
                &json!({ "imported": names }),
                &format!(
                    "Imported {} source(s) from {}: {}",
                    names.len(),
                    file.display(),
                    names.join(", ")
                ),
            );
            Ok(())
        }
    }
}

/// A source for `--json`, without its secrets.
fn describe(source: &Source) -> Value {
    json!({
        "name": source.name,
        "url": source.url,
        "feed": source.feed,
        "authentication": authentication(source),
        "username": source.username,
    })
}

fn authentication(source: &Source) -> String {
    match (&source.api_key, &source.username) {
        (Some(_), _) => "api key".into(),
        (None, Some(user)) => format!("user {user}"),
        (None, None) => "anonymous".into(),
    }
}

/// Checks the server answers, then that the credentials are accepted (the
/// feed list needs them when anonymous may not view).
async fn test(global: &GlobalArgs) -> CliResult<()> {
    let client = Client::from_args(global)?;
    let health: Value = client.get_json("/health").await?;
    let feeds: Vec<Value> = client.get_json("/api/management/feeds/list").await?;
    report(
        global.json,
        &json!({
            "source": client.source.name,
            "url": client.source.url,
            "status": health.get("status"),
            "version": health.get("version"),
            "visibleFeeds": feeds.len(),
        }),
        &format!(
            "{}: {} (Gantry {}), credentials accepted, {} feed(s) visible.",
            client.source.url,
            health.get("status").and_then(Value::as_str).unwrap_or("?"),
            health.get("version").and_then(Value::as_str).unwrap_or("?"),
            feeds.len()
        ),
    );
    Ok(())
}
