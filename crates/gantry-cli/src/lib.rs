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
}

/// Runs a client command; the exit code says how it went (see the CLI docs).
pub async fn run(global: &GlobalArgs, command: Command) -> ExitCode {
    let result = match command {
        Command::Sources { command } => commands::sources::run(global, command).await,
        Command::Health => commands::health::run(global).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gantry: {e}");
            e.exit_code()
        }
    }
}
