//! `seedbed migrate …`: apply, revert and inspect each domain's migrations.

use anyhow::Context;
use clap::{Args, Subcommand};
use sea_orm::DatabaseConnection;
use seedbed_core::{Backend, Target};
use seedbed_migration::runner::short;
use seedbed_migration::{Finding, MigrateError, MigrationStatus, Migrator, Plan, Resolve, State, Step};

use super::{DbArgs, DomainArgs, GuardArgs, LockArgs, UsageError};
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
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Debug, Args)]
struct DryRun {
    /// Print the SQL each migration would run on this backend, in order, and change nothing
    /// (not even the history). Worked out in a scratch namespace that is dropped afterwards.
    #[arg(long)]
    dry_run: bool,
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
        dry: DryRun,
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
        dry: DryRun,
        #[command(flatten)]
        guard: GuardArgs,
        #[command(flatten)]
        common: Common,
    },
    /// List each domain's migrations: applied (when, how long, whether the code changed
    /// since), failed, pending, or applied by a build this one does not know.
    Status {
        #[command(flatten)]
        common: Common,
    },
    /// Check that the history can be trusted: exit 4 when an applied migration was edited
    /// since, a version is applied that this build lacks, or a migration failed part-way.
    Verify {
        #[command(flatten)]
        common: Common,
    },
    /// Compare the live schema with the one its applied migrations produce (built in a
    /// scratch namespace); exit 4 and list each difference when they differ.
    Drift {
        #[command(flatten)]
        common: Common,
    },
    /// Write a new, empty migration for a domain and register it last in its migrator.
    Generate(super::generate::GenerateArgs),
    /// After review: clear failed records and, with --update-checksums, accept edited
    /// migrations; settle a migration that was interrupted (killed outside a transaction)
    /// with --roll-back or --roll-forward. Runs DDL only for those two.
    Repair {
        /// Set the stored checksum of every applied migration to its code's.
        #[arg(long)]
        update_checksums: bool,
        /// Undo what an interrupted migration had done (drop what it created); it counts as
        /// pending again.
        #[arg(long, conflicts_with = "roll_forward")]
        roll_back: bool,
        /// Finish an interrupted migration: run the statements it had not run yet (refused
        /// when seedbed cannot tell which data statements ran).
        #[arg(long)]
        roll_forward: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Drop every table and view of the domain's namespace, then apply all migrations.
    Fresh {
        #[command(flatten)]
        dry: DryRun,
        #[command(flatten)]
        guard: GuardArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Revert every applied migration.
    Reset {
        #[command(flatten)]
        dry: DryRun,
        #[command(flatten)]
        guard: GuardArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Revert every applied migration, then apply them all again.
    Refresh {
        #[command(flatten)]
        dry: DryRun,
        #[command(flatten)]
        guard: GuardArgs,
        #[command(flatten)]
        common: Common,
    },
}

impl MigrateArgs {
    /// Whether the command reads or writes a database: all but `generate` do.
    pub fn uses_database(&self) -> bool {
        !matches!(self.command, MigrateCommand::Generate(_))
    }
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let common = match &args.command {
        MigrateCommand::Generate(_) => {
            let MigrateCommand::Generate(generate) = args.command else { unreachable!() };
            return super::generate::run(generate);
        }
        MigrateCommand::Up { common, .. }
        | MigrateCommand::Down { common, .. }
        | MigrateCommand::Status { common }
        | MigrateCommand::Verify { common }
        | MigrateCommand::Drift { common }
        | MigrateCommand::Repair { common, .. }
        | MigrateCommand::Fresh { common, .. }
        | MigrateCommand::Reset { common, .. }
        | MigrateCommand::Refresh { common, .. } => common,
    };
    let target = common.db.target()?;
    let domains = common.domains.selected()?;
    let concurrently = matches!(
        &args.command,
        MigrateCommand::Up { concurrently: true, .. } | MigrateCommand::Down { concurrently: true, .. }
    );
    if concurrently && target.backend() != Backend::Postgres {
        return Err(UsageError(format!(
            "--concurrently builds indexes with PostgreSQL's CREATE INDEX CONCURRENTLY; {} has no such thing: leave the flag out",
            target.backend()
        ))
        .into());
    }

    let plan = match &args.command {
        MigrateCommand::Up { steps, dry: DryRun { dry_run: true }, .. } => Some(Plan::Up(*steps)),
        MigrateCommand::Down { steps, dry: DryRun { dry_run: true }, .. } => Some(Plan::Down(*steps)),
        MigrateCommand::Fresh { dry: DryRun { dry_run: true }, .. } => Some(Plan::Fresh),
        MigrateCommand::Reset { dry: DryRun { dry_run: true }, .. } => Some(Plan::Reset),
        MigrateCommand::Refresh { dry: DryRun { dry_run: true }, .. } => Some(Plan::Refresh),
        _ => None,
    };
    if let Some(plan) = plan {
        return dry_run(&target, &domains, plan, concurrently).await;
    }
    let guarded = match &args.command {
        MigrateCommand::Down { guard, .. } => Some(("migrate down", guard)),
        MigrateCommand::Fresh { guard, .. } => Some(("migrate fresh", guard)),
        MigrateCommand::Reset { guard, .. } => Some(("migrate reset", guard)),
        MigrateCommand::Refresh { guard, .. } => Some(("migrate refresh", guard)),
        _ => None,
    };
    if let Some((command, guard)) = guarded {
        guard.check(&target, command, &domains)?;
    }
    match &args.command {
        MigrateCommand::Drift { .. } => return drift(&target, &domains).await,
        MigrateCommand::Status { .. } => return status(&target, &domains).await,
        _ => {}
    }

    // Connect to every chosen domain before changing any, so that a bad URL or a missing
    // server stops the command before it has done half its work.
    let mut open = Vec::new();
    if let MigrateCommand::Verify { .. } = &args.command {
        // A reading command: it creates nothing, and a domain not created yet is an error.
        for (domain, db) in super::data::open_existing(&target, &domains).await? {
            open.push((domain, (domain.migrator)().with_concurrent_indexes(concurrently), db));
        }
    } else {
        for domain in domains {
            // On SQLite, statements wait up to --lock-timeout for another program's write lock.
            let db = target.connect_waiting(domain.name, common.lock.timeout()).await.context(domain.name)?;
            open.push((domain, (domain.migrator)().with_concurrent_indexes(concurrently), db));
        }
    }
    if let MigrateCommand::Down { steps, .. } = &args.command {
        for (_, migrator, db) in &open {
            precheck_down(migrator, db, *steps).await?;
        }
    }

    // verify reports every domain before it fails.
    let mut unverified = Vec::new();
    let changes = !matches!(
        args.command,
        MigrateCommand::Status { .. } | MigrateCommand::Verify { .. } | MigrateCommand::Drift { .. }
    );
    for (domain, migrator, db) in &open {
        let lock = if changes { Some(common.lock.lock(&target, domain.name).await?) } else { None };
        let steps = match &args.command {
            MigrateCommand::Up { steps, .. } => migrator.up(db, *steps).await?,
            MigrateCommand::Down { steps, .. } => {
                // Again under the lock: the history may have changed while this one waited.
                precheck_down(migrator, db, *steps).await?;
                migrator.down(db, *steps).await?
            }
            MigrateCommand::Fresh { .. } => migrator.fresh(db).await?,
            MigrateCommand::Reset { .. } => migrator.reset(db).await?,
            MigrateCommand::Refresh { .. } => migrator.refresh(db).await?,
            MigrateCommand::Drift { .. } | MigrateCommand::Status { .. } | MigrateCommand::Generate(_) => {
                unreachable!("run above")
            }
            MigrateCommand::Verify { .. } => {
                let mut findings = migrator.verify(db).await?;
                let interrupted =
                    |f: &Finding| matches!(f, Finding::Interrupted { .. } | Finding::FreshInterrupted { .. });
                // A started row or a fresh marker whose holder still holds the lock is work in
                // progress, not a problem.
                if findings.iter().any(interrupted) && !target.lock_is_free(domain.name).await? {
                    findings.retain(|f| !interrupted(f));
                    say!(
                        "{}: another seedbed is migrating it right now; run verify again once it is done",
                        domain.name
                    );
                }
                for finding in &findings {
                    say!("{finding}");
                }
                if !findings.is_empty() {
                    unverified.push(seedbed_migration::MigrateError::Unverified {
                        domain: domain.name.to_owned(),
                        count: findings.len(),
                    });
                } else {
                    say!(
                        "{}: the history matches this build ({})",
                        domain.name,
                        target.describe(domain.name)
                    );
                }
                continue;
            }
            MigrateCommand::Repair { update_checksums, roll_back, roll_forward, .. } => {
                let how = match (roll_back, roll_forward) {
                    (true, _) => Some(Resolve::RollBack),
                    (_, true) => Some(Resolve::RollForward),
                    _ => None,
                };
                say!("{}: {}", domain.name, target.describe(domain.name));
                let settled = match how {
                    Some(Resolve::RollForward) => {
                        in_scratch(&target, domain, async |scratch| {
                            migrator.resolve(db, Resolve::RollForward, Some(scratch)).await
                        })
                        .await?
                    }
                    Some(how) => migrator.resolve(db, how, None).await?,
                    None => None,
                };
                match (&settled, how) {
                    (Some((version, done)), _) => say!("  interrupted  {version}: {done}"),
                    (None, Some(_)) => say!("  no interrupted migration to settle"),
                    (None, None) => {
                        let status = migrator.status(db).await?;
                        if let Some(s) = status.iter().find(|s| matches!(s.state, State::Started { .. })) {
                            return Err(UsageError(format!(
                                "{}: {} was interrupted (started by {}): choose `seedbed migrate repair --roll-back --domain {}` to undo what it did, or `--roll-forward` to finish it (see `seedbed migrate status`)",
                                domain.name,
                                s.version,
                                s.state.holder(),
                                domain.name
                            ))
                            .into());
                        }
                    }
                }
                let repaired = migrator.repair(db, *update_checksums).await?;
                for v in &repaired.cleared {
                    say!("  failed record cleared  {v}  (pending again)");
                }
                for v in &repaired.updated {
                    say!("  checksum updated  {v}");
                }
                if repaired.cleared.is_empty() && repaired.updated.is_empty() && settled.is_none() {
                    say!("  nothing to repair");
                }
                continue;
            }
        };
        if let Some(lock) = lock {
            lock.release().await;
        }
        print_steps(domain, &target, &args.command, &steps);
    }
    match unverified.into_iter().next() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Runs `work` on a scratch namespace for `domain`, beside the live ones under a prefix of
/// this process's own, and drops it afterwards whether `work` succeeded or not: where dry
/// runs and drift checks build the schema that migrations produce.
async fn in_scratch<T>(
    target: &Target,
    domain: &Domain,
    work: impl AsyncFnOnce(DatabaseConnection) -> Result<T, seedbed_migration::MigrateError>,
) -> anyhow::Result<T> {
    let scratch = target.clone().with_prefix(&format!("{}sbdry{}_", target.prefix(), std::process::id()))?;
    // On SQLite the scratch file may need a data directory that does not exist yet: made for
    // the scratch file only, it goes with it.
    let new_dir = scratch.sqlite_dir_path().filter(|dir| !dir.exists()).map(|dir| dir.to_owned());
    let db = scratch.connect(domain.name).await.context(domain.name)?;
    let result = work(db).await;
    let dropped = scratch.drop_namespace(domain.name).await;
    if let Some(dir) = new_dir {
        // Only an empty directory goes: whatever another process put there meanwhile stays.
        let _ = std::fs::remove_dir(dir);
    }
    let value = result?;
    dropped.with_context(|| format!("dropping the scratch namespace ({})", scratch.describe(domain.name)))?;
    Ok(value)
}

/// Prints each domain's migrations and their state, creating nothing: a domain not created
/// yet has every migration pending.
async fn status(target: &Target, domains: &[&'static Domain]) -> anyhow::Result<()> {
    for domain in domains {
        let migrator = (domain.migrator)();
        super::backup::sweep_restore_leftovers(target, domain).await?;
        match target.open_existing(domain.name).await.context(domain.name)? {
            Some(db) => match migrator.status(&db).await {
                Err(e @ MigrateError::FreshInterrupted { .. }) => {
                    say!("{}: {}", domain.name, target.describe(domain.name));
                    match target.lock_is_free(domain.name).await? {
                        true => say!("  INTERRUPTED  {e}"),
                        false => say!("  a `seedbed migrate fresh` is running on it right now"),
                    }
                }
                status => {
                    let status = status?;
                    let started = status.iter().any(|s| matches!(s.state, State::Started { .. }));
                    let free = !started || target.lock_is_free(domain.name).await?;
                    print_status(domain, target, &status, free, "");
                    if started && free {
                        for finding in migrator.verify(&db).await? {
                            if let Finding::Interrupted { .. } = finding {
                                say!("  {finding}");
                            }
                        }
                    }
                }
            },
            None => {
                let pending: Vec<MigrationStatus> = migrator
                    .migrations()
                    .iter()
                    .map(|m| MigrationStatus {
                        version: m.version().to_owned(),
                        checksum: Some(m.checksum().to_owned()),
                        state: State::Pending,
                    })
                    .collect();
                let note =
                    format!(" (not created yet: `seedbed migrate up --domain {}` creates it)", domain.name);
                print_status(domain, target, &pending, true, &note);
            }
        }
    }
    Ok(())
}

/// Lists, for each domain, how its live schema differs from what its migrations produce.
async fn drift(target: &Target, domains: &[&'static Domain]) -> anyhow::Result<()> {
    let mut drifted = None;
    for domain in domains {
        let Some(live) = target.open_existing(domain.name).await.context(domain.name)? else {
            say!("{}: {} is not created yet; nothing to compare", domain.name, target.describe(domain.name));
            continue;
        };
        let found =
            in_scratch(target, domain, async |db| (domain.migrator)().drift(&live, &db).await).await?;
        if found.is_empty() {
            say!("{}: no drift ({})", domain.name, target.describe(domain.name));
            continue;
        }
        say!(
            "{}: {} difference(s) from its migrations ({})",
            domain.name,
            found.len(),
            target.describe(domain.name)
        );
        for line in &found {
            say!("  {line}");
        }
        drifted.get_or_insert(seedbed_migration::MigrateError::Drift {
            domain: domain.name.to_owned(),
            count: found.len(),
        });
    }
    match drifted {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Prints what `plan` would run on each domain, changing nothing.
async fn dry_run(
    target: &Target,
    domains: &[&'static Domain],
    plan: Plan,
    concurrently: bool,
) -> anyhow::Result<()> {
    let command = match plan {
        Plan::Up(_) => "up",
        Plan::Down(_) => "down",
        Plan::Reset => "reset",
        Plan::Refresh => "refresh",
        Plan::Fresh => "fresh",
    };
    for domain in domains {
        // Connecting would create a namespace that does not exist yet: read it only if it does.
        let live = match target.namespace_exists(domain.name).await.context(domain.name)? {
            true => Some(target.connect(domain.name).await.context(domain.name)?),
            false => None,
        };
        let steps = in_scratch(target, domain, async |db| {
            (domain.migrator)().with_concurrent_indexes(concurrently).dry_run(live.as_ref(), db, plan).await
        })
        .await?;
        say!(
            "-- {}: dry run of `seedbed migrate {command}` against {}; nothing was changed",
            domain.name,
            target.describe(domain.name)
        );
        if steps.is_empty() {
            say!("-- nothing to do");
        }
        for step in steps {
            say!("-- {} {}", step.action, step.version);
            for sql in step.statements {
                say!("{sql};");
                say!("");
            }
        }
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

/// `lock_free`: nobody holds the domain's lock, so a started migration was interrupted.
fn print_status(domain: &Domain, target: &Target, status: &[MigrationStatus], lock_free: bool, note: &str) {
    let when = |at: &sea_orm::prelude::DateTimeUtc| at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    say!("{}: {}{note}", domain.name, target.describe(domain.name));
    for s in status {
        match &s.state {
            State::Applied { at, millis, checksum } => {
                let changed = if s.checksum_differs() {
                    format!("  CHANGED since applied (was {}): see `seedbed migrate verify`", short(checksum))
                } else {
                    String::new()
                };
                say!("  applied  {}  {:>6} ms  {}  {}{changed}", when(at), millis, short(checksum), s.version)
            }
            State::Pending => say!(
                "  pending  {:<23}  {:>9}  {}  {}",
                "",
                "",
                short(s.checksum.as_deref().unwrap_or_default()),
                s.version
            ),
            State::Failed { at, error } => say!(
                "  FAILED   {}  {:>9}  {:<12}  {}  ({error}; see `seedbed migrate verify`)",
                when(at),
                "",
                "",
                s.version
            ),
            State::Started { at, reverting, .. } => say!(
                "  {}  {}  {:>9}  {:<12}  {}  ({} by {})",
                if lock_free { "INTERRUPTED" } else { "RUNNING    " },
                when(at),
                "",
                "",
                s.version,
                if *reverting { "its down started" } else { "started" },
                s.state.holder()
            ),
            State::Unknown { at } => say!(
                "  UNKNOWN  {}  {:>9}  {:<12}  {}  (applied, but not in this build)",
                when(at),
                "",
                "",
                s.version
            ),
        }
    }
}
