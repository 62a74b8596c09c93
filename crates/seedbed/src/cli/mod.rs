//! The `seedbed` command line: parsing, dispatch, and turning any failure into one line on
//! stderr and an exit code a script can branch on.

/// `println!` that carries on when stdout is closed (e.g. piped into `head`): a command's
/// work must not fail, or panic, because nobody reads its report.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod args;
mod backup;
mod data;
mod docs;
mod generate;
mod migrate;
mod progress;
mod signals;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use args::{DbArgs, DomainArgs, GuardArgs, LockArgs};

/// Exit codes, documented in the README.
pub mod exit {
    /// A wrong argument, URL or option: fix the command line.
    pub const USAGE: u8 = 2;
    /// The database cannot be reached, logged into or found.
    pub const CONNECT: u8 = 3;
    /// The migration history or a migration stands in the way, or another seedbed held the
    /// domain's lock past `--lock-timeout`.
    pub const MIGRATE: u8 = 4;
    /// The data breaks a business rule, or is in the way of seeding.
    pub const DATA: u8 = 5;
    /// Anything else.
    pub const OTHER: u8 = 1;
}

/// Stand up fully migrated databases for the raffle, draw and booking domains.
#[derive(Debug, Parser)]
#[command(name = "seedbed", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply, revert and inspect each domain's migrations.
    Migrate(migrate::MigrateArgs),
    /// Fill the chosen domains with realistic, deterministic data.
    Seed(data::SeedArgs),
    /// Run the integrity checks of the chosen domains; fails if any rule is broken.
    Check(data::CheckArgs),
    /// Print a fingerprint of each domain's contents, equal for equal data on any backend.
    Digest(data::TargetArgs),
    /// Migrate from scratch, seed and check: a full local database in one command.
    Bootstrap(data::BootstrapArgs),
    /// Back up one domain to a file, through the engine's own tools.
    Backup(backup::BackupArgs),
    /// Replace one domain with a backup's contents; the file is checked before anything changes.
    Restore(backup::RestoreArgs),
    /// Regenerate the ER diagrams in docs/domains from the entities (or check them).
    Docs(docs::DocsArgs),
}

/// A mistake in the command line found after parsing, e.g. an unusable URL.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses the process arguments, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    // .env first: clap reads DATABASE_URL and SEEDBED_PREFIX from the environment.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: cannot read .env ({e}): fix or remove the file");
        return ExitCode::from(exit::USAGE);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", one_line_clap(&e));
            return ExitCode::from(exit::USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::OTHER);
        }
    };
    let ended = runtime.block_on(signals::supervise(|watch| run(cli, watch)));
    // The runtime goes before the exit: it closes every connection, which makes the servers
    // discard a transaction a second signal left open.
    drop(runtime);
    match ended {
        signals::Ended::Stopped { line, code } => {
            eprintln!("{line}");
            ExitCode::from(code)
        }
        signals::Ended::Finished(Ok(())) => ExitCode::SUCCESS,
        signals::Ended::Finished(Err(e)) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(exit_code(&e))
        }
    }
}

async fn run(cli: Cli, watch: signals::Watch) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate(args) => migrate::run(args).await,
        Command::Seed(args) => data::seed(args, &watch).await,
        Command::Check(args) => data::check(args).await,
        Command::Digest(args) => data::digest(args).await,
        Command::Bootstrap(args) => data::bootstrap(args, &watch).await,
        Command::Backup(args) => backup::backup(args).await,
        Command::Restore(args) => backup::restore(args).await,
        Command::Docs(args) => docs::run(args),
    }
}

fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.is::<UsageError>() || cause.is::<seedbed_core::TargetError>() {
            return exit::USAGE;
        }
        if let Some(e) = cause.downcast_ref::<seedbed_core::LockError>() {
            return match e {
                seedbed_core::LockError::Connect(_) => exit::CONNECT,
                _ => exit::MIGRATE,
            };
        }
        if let Some(e) = cause.downcast_ref::<seedbed_core::BackupError>() {
            use seedbed_core::BackupError::*;
            return match e {
                Connect(_) => exit::CONNECT,
                Tool { .. } | ToolMissing { .. } | Io { .. } => exit::OTHER,
                _ => exit::USAGE,
            };
        }
        if cause.is::<seedbed_core::ConnectError>() {
            return exit::CONNECT;
        }
        if cause.is::<seedbed_migration::MigrateError>() {
            return exit::MIGRATE;
        }
        if cause.is::<data::DataError>() {
            return exit::DATA;
        }
    }
    exit::OTHER
}

/// clap's usage errors span several lines; seedbed's errors are one.
fn one_line_clap(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .collect();
    format!("{}; see --help", parts.join(" "))
}
