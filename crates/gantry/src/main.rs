//! `gantry`: the package repository server and its command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use gantry_server::{Config, LogFormat, Overrides, Server};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "gantry",
    version,
    about = "Gantry: a package repository with promotion between feeds, and its command line client"
)]
struct Cli {
    #[command(flatten)]
    global: gantry_cli::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (by default on 127.0.0.1:8624 with data in ./gantry-data).
    Serve(ServerArgs),
    /// Copy this deployment (its database and blobs) to another one, with
    /// every id and history record, then verify row counts and blob digests.
    /// Safe to run again: it resumes where an interrupted run stopped.
    Migrate(MigrateArgs),
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  gantry completions bash > ~/.local/share/bash-completion/completions/gantry\n  gantry completions zsh > ~/.zfunc/_gantry\n  gantry completions fish > ~/.config/fish/completions/gantry.fish"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    #[command(flatten)]
    Client(gantry_cli::Command),
}

#[derive(Args)]
struct MigrateArgs {
    /// The source: the deployment these settings describe.
    #[command(flatten)]
    source: ServerArgs,
    /// The target database (postgres://... or sqlite://PATH).
    #[arg(long = "to", value_name = "DATABASE_URL")]
    to: String,
    /// The target blob store (s3://BUCKET/PREFIX or file:///PATH); S3
    /// connection settings are the --s3-* ones.
    #[arg(long = "to-blobs", value_name = "BLOB_STORE_URL")]
    to_blobs: String,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (file, then environment, then flags), secrets hidden.
    Show(ServerArgs),
}

/// Settings shared by `serve` and `config show`. Each may also come from
/// the environment; a flag wins over the environment, which wins over the file.
#[derive(Args)]
struct ServerArgs {
    /// TOML configuration file.
    #[arg(long, env = "GANTRY_CONFIG")]
    config: Option<PathBuf>,
    /// Address and port to listen on.
    #[arg(long, env = "GANTRY_LISTEN")]
    listen: Option<SocketAddr>,
    /// Folder for the embedded database, blobs and scratch files.
    #[arg(long, env = "GANTRY_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Metadata database URL (sqlite://PATH or postgres://...).
    #[arg(long, env = "GANTRY_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Blob store URL (file:///PATH or s3://BUCKET/PREFIX).
    #[arg(long, env = "GANTRY_BLOB_STORE")]
    blob_store: Option<String>,
    /// S3 endpoint URL, for S3-compatible servers.
    #[arg(long, env = "GANTRY_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, env = "GANTRY_S3_REGION")]
    s3_region: Option<String>,
    /// S3 access key id.
    #[arg(long, env = "GANTRY_S3_ACCESS_KEY_ID")]
    s3_access_key_id: Option<String>,
    /// S3 secret access key.
    #[arg(long, env = "GANTRY_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    s3_secret_access_key: Option<String>,
    /// Allow plain HTTP to the S3 endpoint.
    #[arg(long, env = "GANTRY_S3_ALLOW_HTTP")]
    s3_allow_http: Option<bool>,
    /// Use virtual-hosted-style S3 addressing instead of path style.
    #[arg(long, env = "GANTRY_S3_VIRTUAL_HOSTED_STYLE")]
    s3_virtual_hosted_style: Option<bool>,
    /// A system API key with full control, created at first start when no key exists.
    #[arg(long, env = "GANTRY_BOOTSTRAP_API_KEY", hide_env_values = true)]
    bootstrap_api_key: Option<String>,
    /// At first start, create an administrator user with this password.
    #[arg(long, env = "GANTRY_BOOTSTRAP_ADMIN_PASSWORD", hide_env_values = true)]
    bootstrap_admin_password: Option<String>,
    /// The name of that administrator user (default Admin).
    #[arg(long, env = "GANTRY_BOOTSTRAP_ADMIN_USER")]
    bootstrap_admin_user: Option<String>,
    /// At first start only: whether Everyone may view and download packages.
    #[arg(long, env = "GANTRY_ANONYMOUS_READ")]
    anonymous_read: Option<bool>,
    /// Largest package upload accepted, in bytes.
    #[arg(long, env = "GANTRY_MAX_UPLOAD_BYTES")]
    max_upload_bytes: Option<u64>,
    /// Log format: text or json.
    #[arg(long, env = "GANTRY_LOG_FORMAT", value_parser = parse_log_format)]
    log_format: Option<LogFormat>,
    /// The URL clients reach this server at, for absolute links in package
    /// protocols (default: each request's Host).
    #[arg(long, env = "GANTRY_PUBLIC_URL")]
    public_url: Option<String>,
}

fn parse_log_format(raw: &str) -> Result<LogFormat, String> {
    match raw {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("'{other}' is not a log format: use text or json")),
    }
}

impl ServerArgs {
    fn load(self) -> anyhow::Result<Config> {
        let overrides = Overrides {
            listen: self.listen,
            data_dir: self.data_dir,
            database_url: self.database_url,
            blob_store: self.blob_store,
            s3_endpoint: self.s3_endpoint,
            s3_region: self.s3_region,
            s3_access_key_id: self.s3_access_key_id,
            s3_secret_access_key: self.s3_secret_access_key,
            s3_allow_http: self.s3_allow_http,
            s3_virtual_hosted_style: self.s3_virtual_hosted_style,
            bootstrap_api_key: self.bootstrap_api_key,
            bootstrap_admin_password: self.bootstrap_admin_password,
            bootstrap_admin_user: self.bootstrap_admin_user,
            anonymous_read: self.anonymous_read,
            max_upload_bytes: self.max_upload_bytes,
            log_format: self.log_format,
            public_url: self.public_url,
        };
        Ok(Config::load(self.config.as_deref(), overrides)?)
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("GANTRY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Client(command) => return client(&cli.global, command),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "gantry",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Serve(args) => serve(args),
        Command::Migrate(args) => migrate(args),
        Command::Config {
            command: ConfigCommand::Show(args),
        } => args.load().map(|config| {
            print!("{}", config.redacted_toml());
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gantry: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a client command; it never reads the server's configuration.
fn client(global: &gantry_cli::GlobalArgs, command: gantry_cli::Command) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(gantry_cli::run(global, command)),
        Err(e) => {
            eprintln!("gantry: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let config = args.load()?;
    init_logging(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        // Scripts and tests wait for this line to know the server is ready.
        println!("gantry listening on http://{}", server.local_addr()?);
        server.serve(gantry_server::shutdown_signal()).await
    })
}

fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let config = args.source.load()?;
    init_logging(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let report = gantry_server::migration::run(&config, &args.to, &args.to_blobs, &mut |line| {
            eprintln!("migrate: {line}");
        })
        .await?;
        for (table, rows, _) in &report.tables {
            println!("{table}: {rows} rows");
        }
        println!(
            "blobs: {} copied, {} verified",
            report.blobs_copied, report.blobs_verified
        );
        Ok(())
    })
}
