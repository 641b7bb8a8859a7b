//! Gantry's command line client. Its commands and flags are pgutil's, so a
//! script written for ProGet moves over by changing the program name:
//! `gantry packages promote --feed=dev --to-feed=prod --package=app --version=1.2.3`.
//!
//! Each command group is a module of [`commands`]; they share the source
//! resolution and HTTP handling of [`client`], the exit codes of
//! [`error`], and the table/JSON printing of [`output`].

pub mod client;
pub mod commands;
pub mod config;
pub mod error;
pub mod output;
pub mod progress;

use std::process::ExitCode;

use clap::{Args, Subcommand};

pub use error::{CliError, CliResult};

/// Options every client command takes.
#[derive(Args, Clone, Debug, Default)]
pub struct GlobalArgs {
    /// A source name from the configuration, or a server URL (default: the source named Default).
    #[arg(long, global = true, env = "GANTRY_SOURCE")]
    pub source: Option<String>,
    /// An API key, instead of the source's credentials.
    #[arg(long, global = true, env = "GANTRY_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// A user name (with --password), instead of the source's credentials.
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// The password for --username.
    #[arg(long, global = true, hide_env_values = true)]
    pub password: Option<String>,
    /// Print JSON (stable field names) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The client commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Manage the servers (sources) the client talks to.
    #[command(
        after_help = "Examples:\n  gantry sources add --name=Default --url=https://gantry.example --api-key=KEY --feed=approved\n  gantry sources list\n  gantry sources test\n  gantry sources import-pgutil"
    )]
    Sources {
        #[command(subcommand)]
        command: commands::sources::SourcesCommand,
    },
    /// Show whether the server is up, and its version.
    #[command(
        after_help = "Examples:\n  gantry health\n  gantry health --source=https://gantry.example --json"
    )]
    Health,
    /// Work with packages: list, download, upload, delete, status, promote, history.
    #[command(
        after_help = "Examples:\n  gantry packages list --feed=approved\n  gantry packages download --feed=approved --package=acme/hammer --version=1.2.3\n  gantry packages promote --feed=dev --to-feed=prod --package=acme/hammer --version=1.2.3"
    )]
    Packages {
        #[command(subcommand)]
        command: commands::packages::PackagesCommand,
    },
    /// Show the promotions of packages between feeds.
    #[command(
        after_help = "Examples:\n  gantry promotions list --to-feed=prod\n  gantry promotions list --package=acme/hammer --json"
    )]
    Promotions {
        #[command(subcommand)]
        command: commands::promotions::PromotionsCommand,
    },
    /// Record deployments of packages, and see where each version runs.
    #[command(
        after_help = "Examples:\n  gantry deployments add --feed=approved --package=app --version=1.2.3 --target=web01\n  gantry deployments targets --feed=approved --package=app"
    )]
    Deployments {
        #[command(subcommand)]
        command: commands::deployments::DeploymentsCommand,
    },
    /// Create, list and delete feeds; read and change their properties.
    #[command(
        after_help = "Examples:\n  gantry feeds create --name=public-nuget --type=NuGet\n  gantry feeds properties set --feed=public-nuget --property=active --value=false"
    )]
    Feeds {
        #[command(subcommand)]
        command: commands::feeds::FeedsCommand,
    },
    /// Create, list and delete connectors to upstream registries.
    #[command(
        after_help = "Examples:\n  gantry connectors create --name=npmjs --type=npm --url=https://registry.npmjs.org\n  gantry connectors list"
    )]
    Connectors {
        #[command(subcommand)]
        command: commands::connectors::ConnectorsCommand,
    },
    /// Create, list and delete API keys.
    #[command(
        after_help = "Examples:\n  gantry apikeys create feed --feed=approved --permissions=view,add --name=publisher\n  gantry apikeys list"
    )]
    Apikeys {
        #[command(subcommand)]
        command: commands::apikeys::ApiKeysCommand,
    },
    /// Manage users, groups and permissions.
    #[command(
        after_help = "Examples:\n  gantry security users create --username=jsmith --password=S3cret-pw\n  gantry security permissions add --task=\"Promote Packages\" --group=Developers --feed=approved"
    )]
    Security {
        #[command(subcommand)]
        command: commands::security::SecurityCommand,
    },
}

/// Runs a client command; the exit code says how it went (see the CLI docs).
pub async fn run(global: &GlobalArgs, command: Command) -> ExitCode {
    let result = match command {
        Command::Sources { command } => commands::sources::run(global, command).await,
        Command::Health => commands::health::run(global).await,
        Command::Packages { command } => commands::packages::run(global, command).await,
        Command::Promotions { command } => commands::promotions::run(global, command).await,
        Command::Deployments { command } => commands::deployments::run(global, command).await,
        Command::Feeds { command } => commands::feeds::run(global, command).await,
        Command::Connectors { command } => commands::connectors::run(global, command).await,
        Command::Apikeys { command } => commands::apikeys::run(global, command).await,
        Command::Security { command } => commands::security::run(global, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gantry: {e}");
            e.exit_code()
        }
    }
}
