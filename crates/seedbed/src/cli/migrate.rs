//! `seedbed migrate …`: apply, revert and inspect each domain's migrations.

use anyhow::Context;
use clap::{Args, Subcommand};
use sea_orm::DatabaseConnection;
use seedbed_core::{Backend, Target};
use seedbed_migration::runner::short;
use seedbed_migration::{Finding, MigrateError, MigrationStatus, Migrator, Plan, Resolve, State, Step};

use super::args::{EnvArgs, Format, FormatArgs, domain_names};
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
        /// First back up each domain that has migrations to apply (under the same lock as the
        /// migrations), and print the file; a failed migration then names the restore command.
        #[arg(long)]
        with_backup: bool,
        /// Where --with-backup writes its files, `{namespace}-{UTC time}.backup` each.
        #[arg(long, value_name = "DIR", default_value = ".", requires = "with_backup")]
        backup_dir: std::path::PathBuf,
        #[command(flatten)]
        dry: DryRun,
        #[command(flatten)]
        guard: GuardArgs,
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
        format: FormatArgs,
        #[command(flatten)]
        env: EnvArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Check that the history can be trusted: exit 4 when an applied migration was edited
    /// since, a version is applied that this build lacks, or a migration failed part-way.
    Verify {
        #[command(flatten)]
        format: FormatArgs,
        #[command(flatten)]
        env: EnvArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Compare the live schema with the one its applied migrations produce (built in a
    /// scratch namespace); exit 4 and list each difference when they differ.
    Drift {
        #[command(flatten)]
        format: FormatArgs,
        #[command(flatten)]
        env: EnvArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Show one migration: its source file, checksum, status and timing, and the SQL its up
    /// and down run on this backend (worked out in a scratch namespace; nothing is changed).
    Info {
        /// The migration's version, e.g. m20250701_000000_initial_schema.
        #[arg(value_name = "VERSION")]
        migration: String,
        /// The domain it belongs to (needed only when several domains have that version).
        #[arg(long, value_name = "DOMAIN", value_parser = domain_names())]
        domain: Option<String>,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        env: EnvArgs,
    },
    /// The history of each domain, newest first: every migration applied, failed or
    /// interrupted, when, how long it took, and its error.
    Log {
        #[command(flatten)]
        env: EnvArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Try the pending migrations on a copy first: restore a backup (or seed a profile) into
    /// a scratch namespace, run the pending migrations there, report each one's time and
    /// whether it rewrote a table, and drop the copy. Exit 4 if one fails.
    Rehearse(super::rehearse::RehearseArgs),
    /// Write a new, empty migration for a domain and register it last in its migrator.
    Generate(super::generate::GenerateArgs),
    /// After review: clear failed records and, with --update-checksums, accept edited
    /// migrations; settle a migration that was interrupted (killed outside a transaction)
    /// with --roll-back or --roll-forward. Runs DDL only for those two.
    Repair {
        /// Set the stored checksum of every applied migration to its code's.
        #[arg(long)]
        update_checksums: bool,
        #[command(flatten)]
        guard: GuardArgs,
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
    let common = match args.command {
        MigrateCommand::Generate(generate) => return super::generate::run(generate),
        MigrateCommand::Rehearse(rehearse) => return super::rehearse::run(rehearse).await,
        MigrateCommand::Info { migration, domain, db, env: _ } => return info(&db, &migration, domain).await,
        MigrateCommand::Log { common, env: _ } => return log(&common).await,
        ref command => command,
    };
    let common = match common {
        MigrateCommand::Generate(_)
        | MigrateCommand::Rehearse(_)
        | MigrateCommand::Info { .. }
        | MigrateCommand::Log { .. } => unreachable!("run above"),
        MigrateCommand::Up { common, .. }
        | MigrateCommand::Down { common, .. }
        | MigrateCommand::Status { common, .. }
        | MigrateCommand::Verify { common, .. }
        | MigrateCommand::Drift { common, .. }
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
    if let MigrateCommand::Up { with_backup: true, backup_dir, .. } = &args.command
        && !backup_dir.is_dir()
    {
        return Err(UsageError(format!(
            "--backup-dir {} does not exist: create it first, or choose another directory",
            backup_dir.display()
        ))
        .into());
    }
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
        MigrateCommand::Up { guard, .. } => guard.check_production("migrate up")?,
        MigrateCommand::Repair { guard, .. } => guard.check_production("migrate repair")?,
        _ => {}
    }
    match &args.command {
        MigrateCommand::Drift { format, .. } => return drift(&target, &domains, format.format).await,
        MigrateCommand::Status { format, .. } => return status(&target, &domains, format.format).await,
        _ => {}
    }
    let json =
        matches!(&args.command, MigrateCommand::Verify { format, .. } if format.format == Format::Json);

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
    let mut verified = Vec::new();
    let changes = !matches!(
        args.command,
        MigrateCommand::Status { .. } | MigrateCommand::Verify { .. } | MigrateCommand::Drift { .. }
    );
    for (domain, migrator, db) in &open {
        let lock = if changes { Some(common.lock.lock(&target, domain.name).await?) } else { None };
        if changes {
            // Before any migration: one that sets a listed table's option itself must keep it.
            super::data::resume_statistics(domain, db).await?;
        }
        let steps = match &args.command {
            MigrateCommand::Up { steps, with_backup: true, backup_dir, guard, .. } => {
                // Under the lock already: nothing changes between the backup and the first
                // migration, so the file is exactly what the migrations start from.
                let pending = migrator.pending(db).await?;
                let taken = match pending.is_empty() || *steps == Some(0) {
                    true => None,
                    false => Some(backup_before_up(&target, domain, backup_dir).await?),
                };
                match (migrator.up(db, *steps).await, taken) {
                    (Ok(steps), _) => steps,
                    (Err(e), Some(file)) => {
                        let confirm = if guard.env.eq_ignore_ascii_case("production") || !target.is_local() {
                            " --confirm"
                        } else {
                            ""
                        };
                        return Err(anyhow::Error::new(e).context(format!(
                            "{}: to get back to where it was, run `seedbed restore --domain {} -i {}{confirm}` (with the same --database-url and --prefix)",
                            domain.name,
                            domain.name,
                            file.display()
                        )));
                    }
                    (Err(e), None) => return Err(e.into()),
                }
            }
            MigrateCommand::Up { steps, .. } => migrator.up(db, *steps).await?,
            MigrateCommand::Down { steps, .. } => {
                // Again under the lock: the history may have changed while this one waited.
                precheck_down(migrator, db, *steps).await?;
                migrator.down(db, *steps).await?
            }
            MigrateCommand::Fresh { .. } => migrator.fresh(db).await?,
            MigrateCommand::Reset { .. } => migrator.reset(db).await?,
            MigrateCommand::Refresh { .. } => migrator.refresh(db).await?,
            MigrateCommand::Drift { .. }
            | MigrateCommand::Status { .. }
            | MigrateCommand::Generate(_)
            | MigrateCommand::Rehearse(_)
            | MigrateCommand::Info { .. }
            | MigrateCommand::Log { .. } => unreachable!("run above"),
            MigrateCommand::Verify { .. } => {
                let mut findings = migrator.verify(db).await?;
                let interrupted =
                    |f: &Finding| matches!(f, Finding::Interrupted { .. } | Finding::FreshInterrupted { .. });
                // A started row or a fresh marker whose holder still holds the lock is work in
                // progress, not a problem.
                let mut busy = false;
                if findings.iter().any(interrupted) && !target.lock_is_free(domain.name).await? {
                    findings.retain(|f| !interrupted(f));
                    busy = true;
                }
                verified.push(serde_json::json!({
                    "domain": domain.name,
                    "ok": findings.is_empty(),
                    "busy": busy,
                    "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
                }));
                if json {
                    if !findings.is_empty() {
                        unverified.push(seedbed_migration::MigrateError::Unverified {
                            domain: domain.name.to_owned(),
                            count: findings.len(),
                        });
                    }
                    continue;
                }
                if busy {
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
    if json {
        super::args::print_json(&serde_json::json!({
            "command": "migrate verify",
            "backend": target.backend().key(),
            "ok": unverified.is_empty(),
            "domains": verified,
        }));
    }
    match unverified.into_iter().next() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// `migrate info VERSION`: where the migration's code is, its checksum, where it stands in
/// the database (read only: nothing is created), and the SQL it runs on this backend.
async fn info(db: &DbArgs, version: &str, domain: Option<String>) -> anyhow::Result<()> {
    let target = db.target()?;
    let owners: Vec<&'static Domain> = crate::DOMAINS
        .iter()
        .filter(|d| domain.as_deref().is_none_or(|name| d.name == name))
        .filter(|d| (d.migrator)().versions().iter().any(|v| v == version))
        .collect();
    let domain = match owners.as_slice() {
        [one] => *one,
        [] => {
            let place = domain.map_or("no domain has".to_owned(), |d| format!("the {d} domain has no"));
            return Err(UsageError(format!(
                "{place} migration `{version}`: `seedbed migrate status` lists the versions"
            ))
            .into());
        }
        several => {
            let names: Vec<&str> = several.iter().map(|d| d.name).collect();
            return Err(UsageError(format!(
                "{version} is a migration of {}: choose one with --domain",
                names.join(" and ")
            ))
            .into());
        }
    };
    let migrator = (domain.migrator)();
    let migration = migrator.migrations().iter().find(|m| m.version() == version).expect("found above");
    let state = match target.open_existing(domain.name).await.context(domain.name)? {
        Some(live) => {
            let status = migrator.status(&live).await?;
            let state = status.into_iter().find(|s| s.version == version).map(|s| s.state);
            let _ = live.close().await;
            state.unwrap_or(State::Pending)
        }
        None => State::Pending,
    };
    let steps = in_scratch(&target, domain, async |scratch| migrator.statements_of(version, scratch).await)
        .await?
        .expect("a version of this migrator");
    let when = |at: &sea_orm::prelude::DateTimeUtc| at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    say!("{} {version}  ({})", domain.name, target.describe(domain.name));
    // The generator and the naming rule put every migration in its domain's folder under
    // its version's name; the checksum is taken over that file's text.
    say!("  source     migration/src/{}/{version}.rs", domain.name);
    say!("  checksum   {}", migration.checksum());
    match &state {
        State::Applied { at, millis, checksum } => {
            say!("  status     applied at {}", when(at));
            say!("  took       {millis} ms");
            if checksum != migration.checksum() {
                say!("  CHANGED    applied with checksum {}: see `seedbed migrate verify`", short(checksum));
            }
        }
        State::Pending => say!("  status     pending"),
        State::Failed { at, error } => say!("  status     FAILED at {}: {error}", when(at)),
        State::Unknown { .. } => unreachable!("a version this build has"),
        State::Started { .. } => {
            say!("  status     started by {}, not finished: see `seedbed migrate status`", state.holder())
        }
    }
    let transactional = target.backend() != Backend::MySql && migration.uses_transaction();
    say!(
        "  runs       {}",
        if transactional { "in one transaction" } else { "outside a transaction (statement by statement)" }
    );
    for step in steps {
        say!("");
        say!("-- {} of {version} on {}:", step.action, target.backend());
        if step.statements.is_empty() {
            say!("-- (no statements)");
        }
        for sql in step.statements {
            say!("{sql};");
        }
    }
    Ok(())
}

/// `migrate log`: each domain's history, newest first, read only.
async fn log(common: &Common) -> anyhow::Result<()> {
    let target = common.db.target()?;
    let when = |at: &sea_orm::prelude::DateTimeUtc| at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    for domain in common.domains.selected()? {
        let Some(db) = target.open_existing(domain.name).await.context(domain.name)? else {
            say!("{}: {} is not created yet; no history", domain.name, target.describe(domain.name));
            continue;
        };
        let mut rows = (domain.migrator)().history(&db).await?;
        let _ = db.close().await;
        rows.sort_by(|a, b| (b.applied_at, &b.version).cmp(&(a.applied_at, &a.version)));
        let started = rows.iter().any(|r| matches!(r.outcome.as_str(), "started" | "reverting"));
        let running = started && !target.lock_is_free(domain.name).await?;
        say!("{}: {}", domain.name, target.describe(domain.name));
        if rows.is_empty() {
            say!("  no migration has run yet");
        }
        for r in rows {
            let outcome = match (r.outcome.as_str(), running) {
                (_, _) if r.error.is_some() => "FAILED",
                ("started" | "reverting", true) => "RUNNING",
                ("started" | "reverting", false) => "INTERRUPTED",
                (other, _) => other,
            };
            let error = r.error.map(|e| format!("  error: {e}")).unwrap_or_default();
            say!("  {}  {outcome:<11}  {:>7} ms  {}{error}", when(&r.applied_at), r.execution_ms, r.version);
        }
    }
    Ok(())
}

/// One `verify` finding as JSON: its kind, the version it is about, and the line text
/// mode prints (which says how to fix it).
fn finding_json(finding: &Finding) -> serde_json::Value {
    let (kind, version) = match finding {
        Finding::ChecksumDiffers { version, .. } => ("checksum_differs", Some(version)),
        Finding::Unknown { version, .. } => ("unknown", Some(version)),
        Finding::Failed { version, .. } => ("failed", Some(version)),
        Finding::Interrupted { version, .. } => ("interrupted", Some(version)),
        Finding::FreshInterrupted { .. } => ("fresh_interrupted", None),
    };
    serde_json::json!({ "kind": kind, "version": version, "message": finding.to_string() })
}

/// `--with-backup`: backs `domain` up into `dir` (the caller holds its lock) and says where.
async fn backup_before_up(
    target: &Target,
    domain: &'static Domain,
    dir: &std::path::Path,
) -> anyhow::Result<std::path::PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let file = dir.join(format!("{}-{stamp}.backup", target.namespace(domain.name)));
    super::backup::backup_locked(target, domain, &file).await?;
    say!("{}: backed up to {} before migrating", domain.name, file.display());
    Ok(file)
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

/// One domain's part of `migrate status`.
struct DomainStatus {
    domain: &'static Domain,
    exists: bool,
    migrations: Vec<MigrationStatus>,
    /// Nobody holds the domain's lock: a started migration was interrupted, not running.
    lock_free: bool,
    /// A `fresh` was interrupted part-way (the error), or is running (`None` inside).
    fresh: Option<Option<String>>,
    /// Interrupted migrations, with what they had done.
    interrupted: Vec<Finding>,
}

/// Prints each domain's migrations and their state, creating nothing: a domain not created
/// yet has every migration pending.
async fn status(target: &Target, domains: &[&'static Domain], format: Format) -> anyhow::Result<()> {
    let mut report = Vec::new();
    for domain in domains {
        let migrator = (domain.migrator)();
        super::backup::sweep_restore_leftovers(target, domain, format == Format::Text).await?;
        let mut one = DomainStatus {
            domain,
            exists: true,
            migrations: Vec::new(),
            lock_free: true,
            fresh: None,
            interrupted: Vec::new(),
        };
        let existing = target.open_existing(domain.name).await.context(domain.name)?;
        if let Some(db) = &existing {
            super::data::note_paused_statistics(target, domain, db).await?;
        }
        match existing {
            Some(db) => match migrator.status(&db).await {
                Err(e @ MigrateError::FreshInterrupted { .. }) => {
                    one.lock_free = target.lock_is_free(domain.name).await?;
                    one.fresh = Some(one.lock_free.then(|| e.to_string()));
                }
                status => {
                    one.migrations = status?;
                    let started = one.migrations.iter().any(|s| matches!(s.state, State::Started { .. }));
                    one.lock_free = !started || target.lock_is_free(domain.name).await?;
                    if started && one.lock_free {
                        one.interrupted = migrator
                            .verify(&db)
                            .await?
                            .into_iter()
                            .filter(|f| matches!(f, Finding::Interrupted { .. }))
                            .collect();
                    }
                }
            },
            None => {
                one.exists = false;
                one.migrations = migrator
                    .migrations()
                    .iter()
                    .map(|m| MigrationStatus {
                        version: m.version().to_owned(),
                        checksum: Some(m.checksum().to_owned()),
                        state: State::Pending,
                    })
                    .collect();
            }
        }
        report.push(one);
    }
    if format == Format::Json {
        super::args::print_json(&status_json(target, &report));
        return Ok(());
    }
    for one in &report {
        let domain = one.domain;
        match &one.fresh {
            Some(Some(e)) => {
                say!("{}: {}", domain.name, target.describe(domain.name));
                say!("  INTERRUPTED  {e}");
            }
            Some(None) => {
                say!("{}: {}", domain.name, target.describe(domain.name));
                say!("  a `seedbed migrate fresh` is running on it right now");
            }
            None => {
                let note = match one.exists {
                    true => String::new(),
                    false => format!(
                        " (not created yet: `seedbed migrate up --domain {}` creates it)",
                        domain.name
                    ),
                };
                print_status(domain, target, &one.migrations, one.lock_free, &note);
                for finding in &one.interrupted {
                    say!("  {finding}");
                }
            }
        }
    }
    Ok(())
}

/// `migrate status --format json`: the shape docs/migrations.md documents.
fn status_json(target: &Target, report: &[DomainStatus]) -> serde_json::Value {
    use serde_json::json;
    let when = |at: &sea_orm::prelude::DateTimeUtc| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let domains: Vec<serde_json::Value> = report
        .iter()
        .map(|one| {
            let migrations: Vec<serde_json::Value> = one
                .migrations
                .iter()
                .map(|s| {
                    let mut m = json!({
                        "version": s.version,
                        "checksum": s.checksum,
                        "state": "pending",
                        "applied_at": null,
                        "execution_ms": null,
                        "applied_checksum": null,
                        "checksum_changed": s.checksum_differs(),
                        "error": null,
                    });
                    match &s.state {
                        State::Applied { at, millis, checksum } => {
                            m["state"] = json!("applied");
                            m["applied_at"] = json!(when(at));
                            m["execution_ms"] = json!(millis);
                            m["applied_checksum"] = json!(checksum);
                        }
                        State::Pending => {}
                        State::Failed { at, error } => {
                            m["state"] = json!("failed");
                            m["applied_at"] = json!(when(at));
                            m["error"] = json!(error);
                        }
                        State::Unknown { at } => {
                            m["state"] = json!("unknown");
                            m["applied_at"] = json!(when(at));
                        }
                        State::Started { at, .. } => {
                            m["state"] = json!(if one.lock_free { "interrupted" } else { "running" });
                            m["applied_at"] = json!(when(at));
                            m["error"] = json!(s.state.holder());
                        }
                    }
                    m
                })
                .collect();
            let count = |state: &str| migrations.iter().filter(|m| m["state"] == state).count();
            json!({
                "domain": one.domain.name,
                "namespace": target.namespace(one.domain.name),
                "location": target.describe(one.domain.name),
                "exists": one.exists,
                "applied": count("applied"),
                "pending": count("pending"),
                "fresh_interrupted": matches!(one.fresh, Some(Some(_))),
                "fresh_running": matches!(one.fresh, Some(None)),
                "problems": one.interrupted.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
                "migrations": migrations,
            })
        })
        .collect();
    json!({ "command": "migrate status", "backend": target.backend().key(), "domains": domains })
}

/// Lists, for each domain, how its live schema differs from what its migrations produce.
async fn drift(target: &Target, domains: &[&'static Domain], format: Format) -> anyhow::Result<()> {
    let mut drifted = None;
    let mut report = Vec::new();
    for domain in domains {
        let Some(live) = target.open_existing(domain.name).await.context(domain.name)? else {
            if format == Format::Text {
                say!(
                    "{}: {} is not created yet; nothing to compare",
                    domain.name,
                    target.describe(domain.name)
                );
            }
            report.push(serde_json::json!({
                "domain": domain.name, "exists": false, "drifted": false, "differences": []
            }));
            continue;
        };
        let found =
            in_scratch(target, domain, async |db| (domain.migrator)().drift(&live, &db).await).await?;
        report.push(serde_json::json!({
            "domain": domain.name, "exists": true, "drifted": !found.is_empty(), "differences": found
        }));
        if !found.is_empty() {
            drifted.get_or_insert(seedbed_migration::MigrateError::Drift {
                domain: domain.name.to_owned(),
                count: found.len(),
            });
        }
        if format == Format::Json {
            continue;
        }
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
    }
    if format == Format::Json {
        super::args::print_json(&serde_json::json!({
            "command": "migrate drift",
            "backend": target.backend().key(),
            "ok": drifted.is_none(),
            "domains": report,
        }));
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
