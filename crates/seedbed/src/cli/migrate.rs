//! `seedbed migrate …`: apply, revert and inspect each domain's migrations.

use anyhow::Context;
use clap::{Args, Subcommand};
use sea_orm::DatabaseConnection;
use seedbed_core::{Backend, Target};
use seedbed_migration::{MigrationStatus, Migrator, State, Step};

use super::{DbArgs, DomainArgs, UsageError};
use crate::Domain;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    command: MigrateCommand,
}

#[derive(Debug, Args)]
struct Common {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    domains: DomainArgs,
}

#[derive(Debug, Subcommand)]
enum MigrateCommand {
    /// Apply pending migrations, oldest first.
    Up {
        /// Apply at most N migrations per domain.
        #[arg(short = 'n', long = "steps", value_name = "N")]
        steps: Option<u32>,
        /// PostgreSQL only: build the indexes of migrations that offer it with CREATE INDEX
        /// CONCURRENTLY, outside a transaction, so large live tables stay writable.
        #[arg(long)]
        concurrently: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Revert the newest applied migrations.
    Down {
        /// Revert N migrations per domain.
        #[arg(short = 'n', long = "steps", value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u32).range(1..))]
        steps: u32,
        /// PostgreSQL only: drop indexes with DROP INDEX CONCURRENTLY, outside a transaction.
        #[arg(long)]
        concurrently: bool,
        #[command(flatten)]
        common: Common,
    },
    /// List each domain's migrations, applied (with when) or pending.
    Status {
        #[command(flatten)]
        common: Common,
    },
    /// Drop every table and view of the domain's namespace, then apply all migrations.
    Fresh {
        #[command(flatten)]
        common: Common,
    },
    /// Revert every applied migration.
    Reset {
        #[command(flatten)]
        common: Common,
    },
    /// Revert every applied migration, then apply them all again.
    Refresh {
        #[command(flatten)]
        common: Common,
    },
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let common = match &args.command {
        MigrateCommand::Up { common, .. }
        | MigrateCommand::Down { common, .. }
        | MigrateCommand::Status { common }
        | MigrateCommand::Fresh { common }
        | MigrateCommand::Reset { common }
        | MigrateCommand::Refresh { common } => common,
    };
    let target = common.db.target()?;
    let domains = common.domains.selected()?;
    if let MigrateCommand::Up { concurrently: true, .. } | MigrateCommand::Down { concurrently: true, .. } =
        &args.command
    {
        if target.backend() != Backend::Postgres {
            return Err(UsageError(format!(
                "--concurrently builds indexes with PostgreSQL's CREATE INDEX CONCURRENTLY; {} has no such thing: leave the flag out",
                target.backend()
            ))
            .into());
        }
        seedbed_migration::ddl::set_concurrent_index_builds(true);
    }

    // Connect to every chosen domain before changing any, so that a bad URL or a missing
    // server stops the command before it has done half its work.
    let mut open = Vec::new();
    for domain in domains {
        let db = target.connect(domain.name).await.context(domain.name)?;
        open.push((domain, (domain.migrator)(), db));
    }
    if let MigrateCommand::Down { steps, .. } = &args.command {
        for (_, migrator, db) in &open {
            precheck_down(migrator, db, *steps).await?;
        }
    }

    for (domain, migrator, db) in &open {
        let steps = match &args.command {
            MigrateCommand::Up { steps, .. } => migrator.up(db, *steps).await?,
            MigrateCommand::Down { steps, .. } => migrator.down(db, *steps).await?,
            MigrateCommand::Fresh { .. } => migrator.fresh(db).await?,
            MigrateCommand::Reset { .. } => migrator.reset(db).await?,
            MigrateCommand::Refresh { .. } => migrator.refresh(db).await?,
            MigrateCommand::Status { .. } => {
                print_status(domain, &target, &migrator.status(db).await?);
                continue;
            }
        };
        print_steps(domain, &target, &args.command, &steps);
    }
    Ok(())
}

async fn precheck_down(migrator: &Migrator, db: &DatabaseConnection, steps: u32) -> anyhow::Result<()> {
    let status = migrator.status(db).await?;
    let applied = status.iter().filter(|s| matches!(s.state, State::Applied { .. })).count();
    let unknown: Vec<&str> = status
        .iter()
        .filter(|s| matches!(s.state, State::Unknown { .. }))
        .map(|s| s.version.as_str())
        .collect();
    if !unknown.is_empty() {
        return Err(seedbed_migration::MigrateError::UnknownApplied {
            domain: migrator.domain().to_owned(),
            versions: unknown.join(", "),
        }
        .into());
    }
    if steps as usize > applied {
        return Err(seedbed_migration::MigrateError::TooManySteps {
            domain: migrator.domain().to_owned(),
            requested: steps,
            applied,
        }
        .into());
    }
    Ok(())
}

fn print_steps(domain: &Domain, target: &Target, command: &MigrateCommand, steps: &[Step]) {
    let verb = match command {
        MigrateCommand::Down { .. } | MigrateCommand::Reset { .. } => "reverted",
        _ => "applied",
    };
    if steps.is_empty() {
        say!("{}: nothing to do ({})", domain.name, target.describe(domain.name));
        return;
    }
    say!("{}: {}", domain.name, target.describe(domain.name));
    for step in steps {
        let outside = if step.transactional { "" } else { ", outside a transaction" };
        say!("  {verb:<8} {}  ({} ms{outside})", step.version, step.millis);
    }
}

fn print_status(domain: &Domain, target: &Target, status: &[MigrationStatus]) {
    say!("{}: {}", domain.name, target.describe(domain.name));
    for s in status {
        match &s.state {
            State::Applied { at } => {
                say!("  applied  {}  {}", at.format("%Y-%m-%d %H:%M:%S UTC"), s.version)
            }
            State::Pending => say!("  pending  {:<23}  {}", "", s.version),
            State::Unknown { at } => say!(
                "  UNKNOWN  {}  {}  (applied, but not in this build)",
                at.format("%Y-%m-%d %H:%M:%S UTC"),
                s.version
            ),
        }
    }
}
