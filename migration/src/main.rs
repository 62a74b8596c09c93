//! The migration crate's own command line, for the `sea-orm-cli migrate COMMAND` habit:
//! `cargo run --manifest-path ./migration/Cargo.toml -- up -u URL -s SCHEMA`. It delegates
//! to seedbed's runner through the start-up migrators ([`seedbed_migration::service`]), so
//! it takes the same lock and writes the same history as `seedbed migrate`.

use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use seedbed_core::Target;
use seedbed_migration::State;
use seedbed_migration::service::{DOMAINS, call};

/// Apply, revert and list the migrations of seedbed's domains (as `seedbed migrate` does).
#[derive(Debug, Parser)]
#[command(name = "migration", version, max_term_width = 100)]
struct Cli {
    /// What to do; `up` when left out, as with sea-orm-cli.
    #[arg(value_enum, default_value_t = Command::Up)]
    command: Command,
    /// Where the databases live (sqlite://DIR, postgres://…, mysql://…).
    #[arg(
        short = 'u',
        long = "database-url",
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database_url: String,
    /// The namespace of the domain to act on: `draw`, or with a prefix `ci_draw` (a
    /// PostgreSQL schema, a MariaDB database, a SQLite file stem). Every domain when left out.
    #[arg(short = 's', long = "database-schema", env = "DATABASE_SCHEMA", value_name = "SCHEMA")]
    schema: Option<String>,
    /// For up: apply at most N; for down: revert N (default 1).
    #[arg(short = 'n', long = "num", value_name = "N")]
    num: Option<u32>,
    /// Go ahead with down, fresh, refresh or reset against a database that is not on this
    /// machine, or with any command but status when --env is production.
    #[arg(long)]
    confirm: bool,
    /// The environment the database belongs to, as for `seedbed`; `production` needs --confirm
    /// for every command that writes.
    #[arg(long, env = "SEEDBED_ENV", value_name = "NAME", default_value = "development")]
    env: String,
}

impl Command {
    /// Whether it can destroy data: it reverts migrations, dropping what they made.
    fn destroys(self) -> bool {
        matches!(self, Command::Down | Command::Fresh | Command::Refresh | Command::Reset)
    }
}

/// Refuses what `seedbed migrate` would refuse (see its `--confirm`): a command that destroys
/// data off this machine or in production, and any write in production, unless confirmed.
/// Checked before anything connects, and it never prompts, so a script cannot hang on it.
fn guard(cli: &Cli, target: &Target, verb: &str) -> Result<(), (u8, String)> {
    if cli.confirm || cli.command == Command::Status {
        return Ok(());
    }
    let backup = "back up first with `seedbed backup --domain D -o FILE` (per domain)";
    let production = cli.env.eq_ignore_ascii_case("production");
    if production && cli.command.destroys() {
        return Err((
            2,
            format!("`migration {verb}` destroys data and --env is production: {backup}, then add --confirm"),
        ));
    }
    if production {
        return Err((
            2,
            format!(
                "`migration {verb}` changes the database and --env (or SEEDBED_ENV) is production: check the plan with `seedbed migrate {verb} --dry-run`, then add --confirm"
            ),
        ));
    }
    if cli.command.destroys() && !target.is_local() {
        return Err((
            2,
            format!(
                "`migration {verb}` destroys data on {}, which is not this machine: {backup}, then add --confirm",
                target.endpoint()
            ),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Command {
    Up,
    Down,
    Status,
    Fresh,
    Refresh,
    Reset,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {}", message.replace('\n', " "));
            ExitCode::from(code)
        }
    }
}

/// Exit codes as `seedbed`'s: 2 usage, 3 connection, 4 migrations.
async fn run(cli: Cli) -> Result<(), (u8, String)> {
    let target = Target::parse(&cli.database_url).map_err(|e| (2, e.to_string()))?;
    let chosen: Vec<(&str, String)> = match &cli.schema {
        None => DOMAINS.iter().map(|(name, _)| (*name, String::new())).collect(),
        Some(schema) => {
            let found =
                DOMAINS.iter().find_map(|(name, _)| Some((*name, schema.strip_suffix(name)?.to_owned())));
            let names: Vec<&str> = DOMAINS.iter().map(|(n, _)| *n).collect();
            vec![found.ok_or_else(|| {
                (
                    2,
                    format!(
                        "-s {schema} names no domain: use one of {}, or PREFIX and one of them",
                        names.join(", ")
                    ),
                )
            })?]
        }
    };
    let verb = match cli.command {
        Command::Up => "up",
        Command::Down => "down",
        Command::Status => "status",
        Command::Fresh => "fresh",
        Command::Refresh => "refresh",
        Command::Reset => "reset",
    };
    guard(&cli, &target, verb)?;
    for (domain, prefix) in chosen {
        let target = target.clone().with_prefix(&prefix).map_err(|e| (2, e.to_string()))?;
        let migrator = DOMAINS.iter().find(|(n, _)| *n == domain).map(|(_, m)| m()).expect("a domain");
        if cli.command == Command::Status
            && !target.namespace_exists(domain).await.map_err(|e| (3, format!("{domain}: {e}")))?
        {
            // A reading command creates nothing: a namespace not created yet has all pending.
            println!("{domain}: {} (not created yet)", target.describe(domain));
            for version in migrator.versions() {
                println!("  {:<8} {version}", "pending");
            }
            continue;
        }
        let db = target.connect(domain).await.map_err(|e| (3, format!("{domain}: {e}")))?;
        let (steps, status) = call(migrator, &db, verb, cli.num).await.map_err(|e| (4, e.to_string()))?;
        let _ = db.close().await;
        println!("{domain}: {}", target.describe(domain));
        for s in status {
            let state = match s.state {
                State::Applied { .. } => "applied",
                State::Pending => "pending",
                State::Failed { .. } => "FAILED",
                State::Unknown { .. } => "UNKNOWN",
                State::Started { .. } => "STARTED",
            };
            println!("  {state:<8} {}", s.version);
        }
        if verb != "status" && steps.is_empty() {
            println!("  nothing to do");
        }
        let done = if matches!(cli.command, Command::Down | Command::Reset) { "reverted" } else { "applied" };
        for step in steps {
            println!("  {done:<8} {}  ({} ms)", step.version, step.millis);
        }
    }
    Ok(())
}
