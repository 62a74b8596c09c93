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
mod describe;
mod docs;
mod dotenv;
mod generate;
mod migrate;
mod new_domain;
mod progress;
mod rehearse;
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
    /// Show the shape of each domain's data: row counts, and charts of the columns that matter.
    Describe(describe::DescribeArgs),
    /// Migrate from scratch, seed and check: a full local database in one command.
    Bootstrap(data::BootstrapArgs),
    /// Back up one domain to a file, through the engine's own tools.
    Backup(backup::BackupArgs),
    /// Replace one domain with a backup's contents; the file is checked before anything changes.
    Restore(backup::RestoreArgs),
    /// Regenerate the ER diagrams in docs/domains from the entities (or check them).
    Docs(docs::DocsArgs),
    /// Scaffold a new domain (entities, migrations, seeder, rule, tests, page) and register it.
    NewDomain(new_domain::NewDomainArgs),
}

/// A mistake in the command line found after parsing, e.g. an unusable URL.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses the process arguments, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    limit_malloc_arenas();
    // .env first: clap reads DATABASE_URL and SEEDBED_PREFIX from the environment.
    let url_given = std::env::var_os("DATABASE_URL").is_some()
        || std::env::args_os()
            .any(|a| a == "--database-url" || a.to_string_lossy().starts_with("--database-url="));
    let dotenv_problem = dotenv::load();
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
    if let Some(problem) = dotenv_problem {
        // The file is needed only for a URL that nothing else gives.
        if cli.command.uses_database() && !url_given {
            eprintln!("error: {problem}; fix or remove that, or set DATABASE_URL in the environment");
            return ExitCode::from(exit::USAGE);
        }
        eprintln!("warning: {problem}, and was skipped; fix or remove that");
    }
    // A holder whose lease was taken over no longer holds its domain: it stops at once, and
    // the server rolls back whatever transaction it had open.
    seedbed_core::on_lease_lost(|line| {
        eprintln!("error: {line}");
        std::process::exit(i32::from(exit::MIGRATE));
    });
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
            eprintln!("error: {}", scrub(&format!("{e:#}").replace('\n', " ")));
            ExitCode::from(exit_code(&e))
        }
    }
}

/// glibc gives every thread that allocates an arena of its own (up to eight per core), and
/// each keeps what was freed in it. A seeding's writers run on whichever of tokio's blocking
/// threads is free, beside sqlx's worker threads, so at `large` a SQLite seeding held a
/// dozen arenas of freed pages. Two are enough for a process that computes on two threads
/// (measured, SQLite `seed --profile dev --scale 10`, three runs alternated: peak RSS 58-65
/// MiB with the default, 45-47 MiB with two, the same times). `MALLOC_ARENA_MAX` still wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in `main`, before this process starts a thread.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    }
}

/// The last guard before an error is printed (the typed errors mask passwords already, but
/// a driver may quote what it was given): masks the user part and password parameters of
/// every URL-shaped word, then the database password wherever it still appears.
fn scrub(message: &str) -> String {
    let words: Vec<String> = message
        .split(' ')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let Some(at) = lower.find("://").or_else(|| lower.find("password=")) else {
                return word.to_owned();
            };
            // Start at the scheme, past any quote or bracket around the URL.
            let start = word[..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
                .map_or(0, |i| i + 1);
            format!("{}{}", &word[..start], seedbed_core::redact_str(&word[start..]))
        })
        .collect();
    let mut out = words.join(" ");
    for secret in known_passwords() {
        // Masking a one- or two-letter password would garble every message that holds
        // those letters, and hides nothing worth hiding.
        if secret.len() >= 3 {
            out = out.replace(&secret, "***");
        }
    }
    out
}

/// The database password as given by --database-url or DATABASE_URL, as typed and decoded.
fn known_passwords() -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    let mut urls: Vec<String> = std::env::var("DATABASE_URL").ok().into_iter().collect();
    for (i, arg) in args.iter().enumerate() {
        if arg == "--database-url" {
            urls.extend(args.get(i + 1).cloned());
        } else if let Some(url) = arg.strip_prefix("--database-url=") {
            urls.push(url.to_owned());
        }
    }
    let mut secrets = Vec::new();
    for target in urls.iter().filter_map(|u| seedbed_core::Target::parse(u).ok()) {
        secrets.extend(target.server_url().and_then(|u| u.password()).map(str::to_owned));
        secrets.extend(target.password());
        // A password equal to the user name (postgres:postgres) is shown as the user anyway;
        // masking it would only turn every mention of the user into `***`.
        let user = target.user().unwrap_or_default();
        secrets.retain(|s| *s != user);
    }
    secrets
}

impl Command {
    /// Whether the command reads or writes a database (and so wants its URL).
    fn uses_database(&self) -> bool {
        match self {
            Command::Docs(_) | Command::NewDomain(_) => false,
            Command::Migrate(args) => args.uses_database(),
            _ => true,
        }
    }
}

async fn run(cli: Cli, watch: signals::Watch) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate(args) => migrate::run(args).await,
        Command::Seed(args) => data::seed(args, &watch).await,
        Command::Check(args) => data::check(args).await,
        Command::Digest(args) => data::digest(args).await,
        Command::Describe(args) => describe::run(args).await,
        Command::Bootstrap(args) => data::bootstrap(args, &watch).await,
        Command::Backup(args) => backup::backup(args).await,
        Command::Restore(args) => backup::restore(args).await,
        Command::Docs(args) => docs::run(args),
        Command::NewDomain(args) => new_domain::run(args),
    }
}

fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.is::<UsageError>() || cause.is::<seedbed_core::TargetError>() {
            return exit::USAGE;
        }
        // `fresh` refusing to touch what another namespace depends on: the input's to fix.
        if let Some(seedbed_migration::MigrateError::FreshBlocked { .. }) = cause.downcast_ref() {
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
