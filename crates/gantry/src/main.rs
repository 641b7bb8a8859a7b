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
    /// Check that the database and the blob store agree: every package's
    /// files stored whole with their recorded size and SHA-256, no rows
    /// pointing at nothing. Reads only. Exit code: 0 clean, 1 problems
    /// found, 2 the check could not run.
    Fsck(FsckArgs),
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

#[derive(Args)]
struct FsckArgs {
    /// The deployment to check (the settings `serve` takes).
    #[command(flatten)]
    server: ServerArgs,
    /// Check that each blob exists with its recorded size, without reading
    /// and re-hashing its bytes.
    #[arg(long)]
    quick: bool,
    /// Also count as problems the unreferenced blobs older than the grace
    /// period (`blob_grace_secs`): ones the sweep should have collected.
    #[arg(long)]
    strict: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
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
    /// Reverse proxies (addresses or networks, comma-separated) whose
    /// X-Forwarded-For names the client.
    #[arg(long, env = "GANTRY_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Option<Vec<String>>,
    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "GANTRY_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
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
            trusted_proxies: self.trusted_proxies,
            max_connections: self.max_connections,
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
        Command::Fsck(args) => return fsck(args),
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

/// `gantry fsck`: 0 when clean, 1 when problems were found, 2 when the
/// check could not run (like `diff`; clap's usage errors are 2 as well).
fn fsck(args: FsckArgs) -> ExitCode {
    let json = args.json;
    match run_fsck(args) {
        Ok(report) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => output(&format!("{text}\n")),
                    Err(e) => {
                        eprintln!("gantry fsck: {e}");
                        return ExitCode::from(2);
                    }
                }
            } else {
                output(&fsck_summary(&report));
            }
            if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("gantry fsck: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes to stdout; a closed pipe (`gantry fsck | head`) is not an error
/// worth a panic, and the exit code still tells the outcome.
fn output(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn run_fsck(args: FsckArgs) -> anyhow::Result<gantry_store::fsck::FsckReport> {
    use anyhow::Context;
    use gantry_store::sql::{redact_url, PoolSettings, SqlStore};

    let config = args.server.load()?;
    init_logging(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let url = config.effective_database_url();
        // A whole-store scan outlasts the server's 30 s statement timeout.
        let settings = PoolSettings {
            max_connections: 2,
            statement_timeout: std::time::Duration::from_hours(1),
            ..PoolSettings::default()
        };
        let meta = SqlStore::connect_existing(&url, &settings)
            .await
            .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
        let blobs = gantry_store::blob::open(
            config.blob_store.as_deref(),
            &config.s3,
            &config.data_dir,
            &config.data_dir.join("tmp"),
        )
        .await
        .context("cannot open the blob store")?;
        let options = gantry_store::fsck::FsckOptions {
            quick: args.quick,
            grace_millis: i64::try_from(config.blob_grace_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            strict: args.strict,
        };
        let report = gantry_store::fsck::fsck(&meta, &blobs, &options)
            .await
            .context("the check stopped")?;
        meta.close().await;
        Ok(report)
    })
}

/// The human summary: one line per problem, then the totals.
fn fsck_summary(report: &gantry_store::fsck::FsckReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let c = &report.checked;
    let _ = writeln!(
        out,
        "checked {} blob rows ({} used by packages), {} stored objects, {} bytes re-hashed{}",
        c.blob_rows,
        c.used_blobs,
        c.objects,
        c.bytes_hashed,
        if report.quick { " (quick: sizes only)" } else { "" }
    );
    for problem in &report.blobs {
        let users: Vec<String> = problem
            .used_by
            .iter()
            .map(|p| {
                let name = if p.group.is_empty() {
                    p.name.clone()
                } else {
                    format!("{}/{}", p.group, p.name)
                };
                format!("{}:{name}@{}", p.feed, p.version)
            })
            .collect();
        let fault = match &problem.fault {
            gantry_store::fsck::BlobFault::Missing => "missing from the blob store".to_owned(),
            gantry_store::fsck::BlobFault::SizeMismatch { recorded, stored } => {
                format!("size {stored}, recorded {recorded}")
            }
            gantry_store::fsck::BlobFault::DigestMismatch { actual } => format!("bytes hash to {actual}"),
            gantry_store::fsck::BlobFault::Claimed => "being deleted by the blob sweep".to_owned(),
            gantry_store::fsck::BlobFault::BadDigest => "not a SHA-256 digest".to_owned(),
        };
        let _ = writeln!(
            out,
            "BLOB {}: {fault}; used by {}",
            problem.sha256,
            users.join(", ")
        );
    }
    for p in &report.packages_without_files {
        let _ = writeln!(
            out,
            "PACKAGE {}:{}@{} (id {}) has no file",
            p.feed, p.name, p.version, p.package_id
        );
    }
    for p in &report.packages_without_history {
        let _ = writeln!(
            out,
            "PACKAGE {}:{}@{} (id {}) has no history event",
            p.feed, p.name, p.version, p.package_id
        );
    }
    for t in &report.dangling_dist_tags {
        let _ = writeln!(
            out,
            "DIST-TAG {}:{} {} names {}, which the feed does not hold",
            t.feed, t.name_key, t.tag, t.version
        );
    }
    let past = report.collectable_past_grace();
    let _ = writeln!(
        out,
        "{} unreferenced blobs, collectable by the sweep ({past} older than the grace period{})",
        report.collectable.len(),
        if report.strict {
            ", counted as problems"
        } else {
            ""
        }
    );
    if !report.being_collected.is_empty() {
        let _ = writeln!(
            out,
            "{} blobs are being collected by a sweep",
            report.being_collected.len()
        );
    }
    if report.is_clean() {
        let _ = writeln!(out, "clean");
    } else {
        let _ = writeln!(out, "problems: {}", report.problems);
    }
    out
}
