//! `seedbed seed`, `check`, `digest` and `bootstrap`: fill the domains with data, verify
//! their business rules, fingerprint their contents, or do all of it from scratch.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use sea_orm::DatabaseConnection;
use seedbed_core::Target;
use seedbed_migration::State;
use seedbed_seeds::accounts::dev_password_hash;
use seedbed_seeds::cells::Shard;
use seedbed_seeds::state::{Found, Given};
use seedbed_seeds::{
    DEFAULT_SEED, DEV_PASSWORD, Finding, Plan, Profile, SeedOptions, default_now, parse_now,
};

use super::signals::Watch;
use super::{DbArgs, DomainArgs, GuardArgs, LockArgs, progress};
use crate::Domain;

#[derive(Debug, Args)]
pub struct DataArgs {
    // Options rather than defaults in clap: `seed --resume` must tell what was given.
    /// How much data: tiny (a few rows per table, every state; for tests), dev (a small live
    /// deployment, ~1,000 users per domain) or large (100 × dev, for load tests) [default: dev].
    #[arg(long, value_parser = |s: &str| s.parse::<Profile>())]
    profile: Option<Profile>,
    /// Multiply the profile's row counts, e.g. 0.5 or 3 [default: 1].
    #[arg(long, value_parser = parse_scale)]
    scale: Option<f64>,
    /// The random seed: the same seed (with the same profile, scale and time) gives the same
    /// data [default: 42].
    #[arg(long)]
    seed: Option<u64>,
    /// The reference time the data is placed around (RFC 3339 or YYYY-MM-DD, from 1975-01-01
    /// to 2035-12-31) [default: 2026-01-01T00:00:00Z].
    #[arg(long, value_parser = parse_now_in_range)]
    now: Option<DateTime<Utc>>,
}

/// The reference times every backend can hold the data of: rows are placed years before and
/// after `--now`, and MariaDB's TIMESTAMP ends in January 2038. Both ends were tried on
/// MariaDB with the dev profile; the same range holds everywhere, so that one seed means
/// one data set on every backend.
const NOW_RANGE: (&str, &str) = ("1975-01-01T00:00:00Z", "2035-12-31T23:59:59Z");

fn parse_now_in_range(s: &str) -> Result<DateTime<Utc>, String> {
    let now = parse_now(s).map_err(|e| e.to_string())?;
    let bound = |t: &str| DateTime::parse_from_rfc3339(t).expect("a valid bound").with_timezone(&Utc);
    if now < bound(NOW_RANGE.0) || now > bound(NOW_RANGE.1) {
        return Err(format!(
            "{s} is outside the accepted range {} to {} (the data reaches years either side, and every backend must hold it)",
            &NOW_RANGE.0[..10],
            &NOW_RANGE.1[..10]
        ));
    }
    Ok(now)
}

fn parse_scale(s: &str) -> Result<f64, String> {
    let scale: f64 = s.parse().map_err(|_| format!("`{s}` is not a number: use e.g. 0.5 or 3"))?;
    SeedOptions::new(0, Profile::Tiny, scale, default_now()).map(|_| scale).map_err(|e| e.to_string())
}

impl DataArgs {
    fn options(&self) -> SeedOptions {
        SeedOptions::new(
            self.seed.unwrap_or(DEFAULT_SEED),
            self.profile.unwrap_or(Profile::Dev),
            self.scale.unwrap_or(1.0),
            self.now.unwrap_or_else(default_now),
        )
        .expect("validated by the argument parser")
    }

    /// What was given on the command line.
    fn given(&self) -> Given {
        Given { seed: self.seed, profile: self.profile, scale: self.scale, now: self.now }
    }
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Empty the chosen domains' tables first (only theirs), in the same transaction (the
    /// first chunk's, in chunks); replaces an incomplete seeding.
    #[arg(long)]
    truncate: bool,
    /// Commit every N rows (at a batch's end), recording each domain's progress with each
    /// chunk, so that a seeding that stops leaves its domain visibly incomplete and
    /// resumable; 0: the whole domain in one transaction. [default: 10000 on a Galera node
    /// (`wsrep_on`), whose transaction is replicated as one write set; 0 elsewhere]
    #[arg(long, value_name = "N")]
    chunk_rows: Option<u64>,
    /// Finish the chosen domains' incomplete seedings (left by a seeding in chunks that
    /// stopped), with the options they recorded: the result is the data one uninterrupted
    /// seeding writes.
    #[arg(long, conflicts_with_all = ["truncate", "reference_only"])]
    resume: bool,
    /// Apply only the reference data every environment needs (raffle's tiers and settings,
    /// draw's categories and plans, booking's service catalogue): insert the rows that are
    /// missing and update in place those that differ, keyed by their natural key, in one
    /// transaction per domain; nothing is deleted. Safe on a live database.
    #[arg(long, conflicts_with = "truncate")]
    reference_only: bool,
    /// With --reference-only: print what would be inserted or updated, and change nothing.
    #[arg(long, requires = "reference_only")]
    dry_run: bool,
    /// Write only shard K of N of each chosen domain (its cells K-1, K-1+N, ...; see
    /// docs/scaling.md), beside the other shards' processes, on this or other machines or
    /// cluster nodes, all with the same options: together they write what one seeding
    /// writes, and the last to finish completes the domain (until then it is incomplete).
    #[arg(long, value_name = "K/N", value_parser = |s: &str| s.parse::<Shard>(),
          conflicts_with_all = ["truncate", "resume", "reference_only", "workers"])]
    shard: Option<Shard>,
    /// Write each chosen domain in N shards at once in this process, each on its own
    /// connection and transaction (SQLite, with one writer, takes them one after another).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(seedbed_seeds::cells::MAX_SHARDS)),
          conflicts_with = "reference_only")]
    workers: Option<u32>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    domains: DomainArgs,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    guard: GuardArgs,
}

/// How one domain is written.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// By this process alone, in one transaction or in chunks.
    Whole(Plan),
    /// One shard, beside other processes.
    Shard { shard: Shard, chunk_rows: Option<u64> },
    /// Every shard of `n` at once (`plan.resume`: those of the recorded sharded seeding).
    Workers { n: u32, plan: Plan },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Show how long each check took.
    #[arg(long)]
    timings: bool,
    #[command(flatten)]
    format: super::args::FormatArgs,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    domains: DomainArgs,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    #[command(flatten)]
    format: super::args::FormatArgs,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    domains: DomainArgs,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    domains: DomainArgs,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    guard: GuardArgs,
}

/// A domain's data breaks a rule or stands in the way: exit code 5.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

/// Opens the chosen domains for a reading command, creating nothing; refuses, naming each,
/// when any of them has not been created yet.
pub(super) async fn open_existing(
    target: &Target,
    domains: &[&'static Domain],
) -> anyhow::Result<Vec<(&'static Domain, DatabaseConnection)>> {
    let mut out = Vec::new();
    let mut absent = Vec::new();
    for d in domains {
        match target.open_existing(d.name).await.context(d.name)? {
            Some(db) => out.push((*d, db)),
            None => absent.push(*d),
        }
    }
    if absent.is_empty() {
        return Ok(out);
    }
    let names: Vec<&str> = absent.iter().map(|d| d.name).collect();
    let places: Vec<String> = absent.iter().map(|d| target.describe(d.name)).collect();
    let flags: String = match absent.len() == crate::DOMAINS.len() {
        true => String::new(),
        false => names.iter().map(|n| format!(" --domain {n}")).collect(),
    };
    Err(DataError(format!(
        "{} not created yet ({}): create {} with `seedbed migrate up{flags}` or `seedbed bootstrap{flags}` (nothing was created)",
        match names.len() {
            1 => format!("{} is", names[0]),
            _ => format!("{} are", names.join(", ")),
        },
        places.join("; "),
        if names.len() == 1 { "it" } else { "them" },
    ))
    .into())
}

/// Opens the chosen domains for a command that changes them: on SQLite each statement waits up to
/// `--lock-timeout` for another program's lock on the file.
async fn open_for_change(
    target: &Target,
    domains: &[&'static Domain],
    lock: &LockArgs,
    shared: bool,
) -> anyhow::Result<Vec<(&'static Domain, DatabaseConnection)>> {
    let mut out = Vec::new();
    for d in domains {
        let db = target.connect_waiting(d.name, lock.timeout()).await.context(d.name)?;
        match shared {
            // Other shards of the seeding may be writing: their tables are theirs to switch.
            true => note_paused_statistics(target, d, &db).await?,
            false => resume_statistics(d, &db).await?,
        }
        out.push((*d, db));
    }
    Ok(out)
}

/// Switches back what a killed seeding left switched off in `domain`, and says so. Under the
/// domain's exclusive lock: no seeding of it is under way, so what is listed was left by one
/// that was killed.
pub(super) async fn resume_statistics(domain: &Domain, db: &DatabaseConnection) -> anyhow::Result<()> {
    let done = seedbed_seeds::load::recalc::resume(db)
        .await
        .with_context(|| format!("{}: switching InnoDB statistics recalculation back on", domain.name))?;
    let tables = |t: &[String]| format!("{} table(s) ({})", t.len(), t.join(", "));
    if !done.back.is_empty() {
        say!(
            "{}: found InnoDB statistics recalculation switched off on {} by an interrupted seeding: switched back on",
            domain.name,
            tables(&done.back)
        );
    }
    if !done.left.is_empty() {
        say!(
            "{}: InnoDB statistics recalculation stays switched off on {}: another session held a table's metadata lock past a few seconds; the next `seedbed seed` or `seedbed bootstrap` tries again",
            domain.name,
            tables(&done.left)
        );
    }
    Ok(())
}

/// Says, on stderr, that a killed seeding left tables of `domain` with their InnoDB statistics
/// recalculation switched off, and what switches it back: while the domain's lock is held, a
/// seeding may be under way and the list its own. Only reads.
pub(super) async fn note_paused_statistics(
    target: &Target,
    domain: &Domain,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    let tables = seedbed_seeds::load::recalc::paused(db).await?;
    if !tables.is_empty() && target.lock_is_free(domain.name).await? {
        eprintln!(
            "note: {}: InnoDB statistics recalculation is switched off on {} table(s) ({}) by an interrupted seeding: the next `seedbed seed` or `seedbed bootstrap` of the domain switches it back on",
            domain.name,
            tables.len(),
            tables.join(", ")
        );
    }
    Ok(())
}

/// Takes every chosen domain's lock before the command's first read, in registry order:
/// the same order in every command, so two commands never wait for each other in a circle.
/// Dropping the result (an error, a signal) releases them all.
async fn lock_all(
    lock: &LockArgs,
    target: &Target,
    domains: &[&'static Domain],
) -> anyhow::Result<Vec<seedbed_core::DomainLock>> {
    lock_each(lock, target, domains, false).await
}

/// [`lock_all`], in shared mode when `shared`: beside the other shards of a sharded seeding
/// (see seedbed-core's lock).
async fn lock_each(
    lock: &LockArgs,
    target: &Target,
    domains: &[&'static Domain],
    shared: bool,
) -> anyhow::Result<Vec<seedbed_core::DomainLock>> {
    let mut held = Vec::new();
    for d in domains {
        held.push(match shared {
            true => lock.lock_shared(target, d.name).await?,
            false => lock.lock(target, d.name).await?,
        });
    }
    Ok(held)
}

async fn release_all(locks: Vec<seedbed_core::DomainLock>) {
    for lock in locks {
        lock.release().await;
    }
}

/// Refuses a domain whose migrations are not all applied.
pub(super) async fn require_migrated(domain: &Domain, db: &DatabaseConnection) -> anyhow::Result<()> {
    let status = (domain.migrator)().status(db).await?;
    // An interrupted migration is not applied either (`migrate status` says how to settle it).
    let pending = status.iter().filter(|s| matches!(s.state, State::Pending | State::Started { .. })).count();
    if pending > 0 {
        return Err(DataError(format!(
            "{} is not fully migrated ({pending} of {} migrations pending): run `seedbed migrate up --domain {}` first, or `seedbed bootstrap`",
            domain.name,
            status.len(),
            domain.name
        ))
        .into());
    }
    Ok(())
}

/// Refuses a domain that a seeding in chunks left incomplete: its data is a part of a data
/// set, which no reader should take for the whole.
pub(super) async fn require_complete(domain: &Domain, db: &DatabaseConnection) -> anyhow::Result<()> {
    if let Some(rec) = seedbed_seeds::state::read_job(db, domain.name).await? {
        return Err(DataError(format!(
            "{} is incomplete: a seeding stopped part-way or is still under way ({rec}): finish it with `seedbed seed --resume --domain {}` (or start over with `seedbed seed --truncate --domain {}`)",
            domain.name, domain.name, domain.name
        ))
        .into());
    }
    Ok(())
}

/// Rows per chunk where none is asked for: chunks where the server replicates each
/// transaction as one write set (a Galera node), one transaction elsewhere (see
/// docs/scaling.md for the measurement behind the number).
pub const GALERA_CHUNK_ROWS: u64 = 10_000;

/// How `domain` is seeded: `--chunk-rows` if given, else chunks on a Galera node only.
async fn chunk_rows(given: Option<u64>, db: &DatabaseConnection) -> Option<u64> {
    match given {
        Some(0) => None,
        Some(n) => Some(n),
        None if wsrep_on(db).await => Some(GALERA_CHUNK_ROWS),
        None => None,
    }
}

/// Whether `db` is a Galera node that replicates (`wsrep_on`); false on any other server.
async fn wsrep_on(db: &DatabaseConnection) -> bool {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::MySql {
        return false;
    }
    let sql = "SELECT CAST(@@SESSION.wsrep_on AS SIGNED)";
    match db.query_one_raw(Statement::from_string(DbBackend::MySql, sql)).await {
        Ok(Some(row)) => row.try_get_by_index::<i64>(0).is_ok_and(|on| on == 1),
        // A MySQL without the variable, or no answer: no cluster to write for.
        _ => false,
    }
}

/// Seeds one domain as `mode` says (in its transaction, which a signal rolls back; see
/// `signals`), then, once the domain is complete, gathers its planner statistics (see
/// `seedbed_seeds::stats`). The time is the seeding's, statistics included: what the user
/// waits for. `workers`: a pool per shard, for `Mode::Workers`.
#[allow(clippy::too_many_arguments)]
async fn seed_one(
    domain: &'static Domain,
    db: &DatabaseConnection,
    workers: &[DatabaseConnection],
    opts: SeedOptions,
    mode: Mode,
    hash: &str,
    watch: &Watch,
    display: &progress::Display,
) -> anyhow::Result<Duration> {
    use seedbed_seeds::SeedError;
    let started = Instant::now();
    let bars = display.for_domain(domain.name);
    match mode {
        Mode::Whole(plan) if plan.chunk_rows.is_none() && !plan.resume => watch.seeding(domain.name),
        // Shards commit their own parts: a stop leaves the domain incomplete, not as it was.
        _ => watch.seeding_in_chunks(domain.name),
    }
    let seeded = match mode {
        Mode::Whole(plan) => {
            seedbed_seeds::seed_until(db, domain.seeder, opts, plan, &*bars, hash, watch.stopped())
                .await
                .map(|()| None)
        }
        Mode::Shard { shard, chunk_rows } => seedbed_seeds::shards::seed_shard_until(
            db,
            domain.seeder,
            opts,
            shard,
            chunk_rows,
            &*bars,
            hash,
            watch.stopped(),
        )
        .await
        .map(Some),
        Mode::Workers { n, plan } => seedbed_seeds::shards::seed_workers_until(
            workers,
            domain.seeder,
            opts,
            n,
            plan,
            &*bars,
            hash,
            watch.stopped(),
        )
        .await
        .map(Some),
    };
    let complete = match &seeded {
        Ok(None) => true,
        Ok(Some(report)) => report.finished,
        Err(_) => false,
    };
    match &seeded {
        Ok(_) if complete => watch.kept(domain.name),
        Ok(_) | Err(SeedError::LeftIncomplete { .. }) => watch.left_incomplete(domain.name),
        // Rolled back (after a stop, or a failure); and refused, it was never under way.
        Err(_) => watch.rolled_back(domain.name),
    }
    let seeded = seeded.map_err(|e| match e {
        SeedError::NotEmpty { .. }
        | SeedError::Incomplete { .. }
        | SeedError::NothingToResume { .. }
        | SeedError::OtherShards { .. } => anyhow::Error::new(DataError(e.to_string())),
        other => anyhow::Error::new(other),
    })?;
    if let Some(report) = seeded {
        say_shards(domain, db, &report).await?;
    }
    if complete {
        seedbed_seeds::stats::analyze(db, domain.seeder).await.with_context(|| {
            format!("{} was seeded and committed, but gathering its planner statistics failed", domain.name)
        })?;
    }
    Ok(started.elapsed())
}

/// One line on what a sharded seeding did, and what it waits for.
async fn say_shards(
    domain: &Domain,
    db: &DatabaseConnection,
    report: &seedbed_seeds::shards::Report,
) -> anyhow::Result<()> {
    let list = |shards: &[Shard]| shards.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
    let mut line = format!("{}: ", domain.name);
    if !report.wrote.is_empty() {
        line.push_str(&format!("wrote shard(s) {}", list(&report.wrote)));
    }
    if !report.found_written.is_empty() {
        if !report.wrote.is_empty() {
            line.push_str("; ");
        }
        line.push_str(&format!("shard(s) {} already written", list(&report.found_written)));
    }
    if report.finished {
        line.push_str("; every shard is written: the domain is complete");
    } else if let Some(found) = seedbed_seeds::state::read_job(db, domain.name).await? {
        line.push_str(&format!(
            "; the domain stays incomplete until the other shards are written ({found}); `seedbed seed --resume --domain {}` writes what is missing",
            domain.name
        ));
    } else {
        line.push_str("; another shard completed the domain");
    }
    say!("{line}");
    Ok(())
}

/// Runs `work` for every domain at once, each on its own connection (and so its own
/// transaction), and waits for all of them: a domain that fails rolls back alone, the others
/// finish and keep what they committed (they share nothing, and a user who asked for three
/// domains gets every one that could be made rather than none). Results in `open`'s order.
async fn each_domain<'a, F, Fut>(
    open: &'a [(&'static Domain, DatabaseConnection)],
    work: F,
) -> Vec<(&'static Domain, &'a DatabaseConnection, anyhow::Result<Duration>)>
where
    F: Fn(&'static Domain, &'a DatabaseConnection) -> Fut,
    Fut: Future<Output = anyhow::Result<Duration>>,
{
    let runs = open.iter().map(|(domain, db)| {
        let run = work(domain, db);
        async move { (*domain, db, run.await) }
    });
    futures_util::future::join_all(runs).await
}

/// Prints each domain's counts in registry order, then the failures, if any, as one error:
/// the first failed domain's (its exit code), saying which domains were kept and which not.
async fn report(
    results: Vec<(&'static Domain, &DatabaseConnection, anyhow::Result<Duration>)>,
) -> anyhow::Result<()> {
    let mut kept = Vec::new();
    let mut failed = Vec::new();
    for (domain, db, result) in results {
        match result {
            Ok(took) => {
                print_counts(domain, db, took).await?;
                kept.push(domain.name);
            }
            Err(e) => failed.push((domain.name, e)),
        }
    }
    let mut failed = failed.into_iter();
    let Some((first_name, first)) = failed.next() else { return Ok(()) };
    let others: Vec<(&str, anyhow::Error)> = failed.collect();
    if kept.is_empty() && others.is_empty() {
        return Err(first);
    }
    let mut names = vec![first_name];
    names.extend(others.iter().map(|(n, _)| *n));
    // "not seeded" covers a refusal (the domain holds rows) as well as a rolled-back failure:
    // each domain's own message says which.
    let mut context = format!("{} not seeded", names.join(", "));
    if !kept.is_empty() {
        context.push_str(&format!(
            "; {} seeded and kept (run again with {} for the rest)",
            kept.join(", "),
            names.iter().map(|n| format!("--domain {n}")).collect::<Vec<_>>().join(" ")
        ));
    }
    for (name, e) in &others {
        context.push_str(&format!("; {name}: {}", format!("{e:#}").replace('\n', " ")));
    }
    Err(first.context(format!("{context}; {first_name}")))
}

async fn print_counts(domain: &Domain, db: &DatabaseConnection, took: Duration) -> anyhow::Result<u64> {
    let counts = seedbed_seeds::row_counts(db, domain.seeder).await?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let rate = total as f64 / took.as_secs_f64().max(1e-9);
    say!("{}: {total} rows in {:.2} s ({rate:.0} rows/s)", domain.name, took.as_secs_f64());
    for (table, n) in counts {
        say!("  {table:<28} {n:>10}");
    }
    Ok(total)
}

/// `seed --reference-only`: the reference upsert alone, under each domain's lock, one
/// transaction per domain; with `--dry-run`, it only reads, on read-only connections and
/// without a lock (a domain not created yet is refused, not created).
async fn reference_only(args: SeedArgs) -> anyhow::Result<()> {
    let now = args.data.options().now;
    let target = args.db.target()?;
    let domains = args.domains.selected()?;
    if args.dry_run {
        let open = open_existing(&target, &domains).await?;
        for (domain, db) in &open {
            require_migrated(domain, db).await?;
            require_complete(domain, db).await?;
        }
        for (domain, db) in &open {
            let outcome = seedbed_seeds::reference::apply(db, domain.seeder, now, true).await?;
            print_reference(domain, &outcome, true);
        }
        return Ok(());
    }
    args.guard.check_production("seed --reference-only")?;
    let locks = lock_all(&args.lock, &target, &domains).await?;
    let applied = async {
        let open = open_for_change(&target, &domains, &args.lock, false).await?;
        for (domain, db) in &open {
            require_migrated(domain, db).await?;
            // Its rows would be in the way of the resume's, which writes them again.
            require_complete(domain, db).await?;
        }
        for (domain, db) in &open {
            let outcome = seedbed_seeds::reference::apply(db, domain.seeder, now, false).await?;
            print_reference(domain, &outcome, false);
        }
        anyhow::Ok(())
    }
    .await;
    release_all(locks).await;
    applied
}

fn print_reference(domain: &Domain, outcome: &seedbed_seeds::reference::Outcome, dry_run: bool) {
    let (inserted, updated) = match dry_run {
        true => ("to insert", "to update"),
        false => ("inserted", "updated"),
    };
    say!(
        "{}: reference data{}: {} {inserted}, {} {updated}, {} unchanged",
        domain.name,
        if dry_run { ", dry run (nothing was changed)" } else { "" },
        outcome.inserts(),
        outcome.updates(),
        outcome.unchanged
    );
    for change in &outcome.changes {
        say!("  {change}");
    }
}

pub async fn seed(args: SeedArgs, watch: &Watch) -> anyhow::Result<()> {
    if args.reference_only {
        return reference_only(args).await;
    }
    let opts = args.data.options();
    let target = args.db.target()?;
    let domains = args.domains.selected()?;
    if args.truncate {
        args.guard.check(&target, "seed --truncate", &domains)?;
    } else {
        // Sample data has no place in production: writing it there needs saying so.
        args.guard.check_production(if args.resume { "seed --resume" } else { "seed" })?;
    }
    // From the first check to the last count, no other seedbed changes these domains: a
    // `migrate down` waits instead of dropping the tables being counted.
    // Shards of one seeding share the domain's lock with each other, and with nobody else.
    let locks = lock_each(&args.lock, &target, &domains, args.shard.is_some()).await?;
    let open = open_for_change(&target, &domains, &args.lock, args.shard.is_some()).await?;
    let mut modes = Vec::new();
    let mut pools = Vec::new();
    for (domain, db) in &open {
        require_migrated(domain, db).await?;
        let found = seedbed_seeds::state::read_job(db, domain.name).await?;
        if args.resume {
            resumable(domain, found.as_ref(), &args.data.given())?;
        }
        let chunk_rows = chunk_rows(args.chunk_rows, db).await;
        let plan = Plan { truncate: args.truncate, chunk_rows, resume: args.resume };
        let workers = match (&found, args.workers) {
            (Some(Found::Sharded { n, .. }), _) if args.resume => Some(*n),
            (_, Some(n)) if n > 1 && !args.resume => Some(n),
            _ => None,
        };
        let mode = match (args.shard, workers) {
            (Some(shard), _) => Mode::Shard { shard, chunk_rows },
            (None, Some(n)) => Mode::Workers { n, plan },
            (None, None) => Mode::Whole(plan),
        };
        // A pool per worker: each shard holds its connection for its whole part.
        let mut mine = Vec::new();
        if let Mode::Workers { n, .. } = mode
            && db.get_database_backend() != sea_orm::DbBackend::Sqlite
        {
            for _ in 0..n {
                mine.push(
                    target.connect_waiting(domain.name, args.lock.timeout()).await.context(domain.name)?,
                );
            }
        } else {
            mine.push(db.clone());
        }
        modes.push(mode);
        pools.push(mine);
    }
    watch.plan(&domains.iter().map(|d| d.name).collect::<Vec<_>>());
    let hash = dev_password_hash();
    let display = progress::Display::for_stderr();
    let at = |domain: &Domain| open.iter().position(|(d, _)| d.name == domain.name).expect("open");
    let results = each_domain(&open, |domain, db| {
        seed_one(domain, db, &pools[at(domain)], opts, modes[at(domain)], &hash, watch, &display)
    })
    .await;
    let reported = report(results).await;
    release_all(locks).await;
    reported
}

/// Checks, before anything is written, that `domain` has an incomplete seeding to resume and
/// that the options given agree with those it recorded; says what it resumes.
fn resumable(domain: &Domain, found: Option<&Found>, given: &Given) -> anyhow::Result<()> {
    let name = domain.name;
    let Some(found) = found else {
        return Err(
            DataError(seedbed_seeds::SeedError::NothingToResume { domain: name.into() }.to_string()).into()
        );
    };
    let differ = seedbed_seeds::state::disagreements(&found.opts(), given);
    if !differ.is_empty() {
        return Err(super::UsageError(format!(
            "{name}: {} disagree{} with the incomplete seeding's recorded options: run `seedbed seed --resume --domain {name}` without {} (it resumes with what was recorded), or start over with `seedbed seed --truncate --domain {name}` and the options you want (nothing was changed)",
            differ.join(", "),
            if differ.len() == 1 { "s" } else { "" },
            if differ.len() == 1 { "it" } else { "them" },
        ))
        .into());
    }
    say!("{name}: resuming ({found})");
    Ok(())
}

fn print_findings(domain: &Domain, findings: &[Finding], timings: bool) -> usize {
    let failed = findings.iter().filter(|f| f.violations > 0).count();
    say!("{}: {} checks, {failed} failed", domain.name, findings.len());
    for f in findings {
        if f.violations == 0 && timings {
            say!("  ok    {:<44} {:>7.1} ms", f.name, f.took.as_secs_f64() * 1000.0);
        } else if f.violations == 0 {
            say!("  ok    {}", f.name);
        } else {
            say!(
                "  FAIL  {}: {} violation(s), e.g. {} ({})",
                f.name,
                f.violations,
                f.sample.join(", "),
                f.rule
            );
        }
    }
    failed
}

async fn run_checks(
    open: &[(&'static Domain, DatabaseConnection)],
    timings: bool,
    format: super::args::Format,
) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    let mut report = Vec::new();
    for (domain, db) in open {
        let checks = seedbed_seeds::checks(domain.seeder, db.get_database_backend());
        let findings = seedbed_seeds::checks::run(db, &checks).await?;
        if format == super::args::Format::Json {
            if findings.iter().any(|f| f.violations > 0) {
                failed.push(domain.name);
            }
            report.push(checks_json(domain, &findings));
        } else if print_findings(domain, &findings, timings) > 0 {
            failed.push(domain.name);
        }
    }
    if format == super::args::Format::Json {
        super::args::print_json(&serde_json::json!({
            "command": "check",
            "ok": failed.is_empty(),
            "domains": report,
        }));
    }
    if !failed.is_empty() {
        return Err(DataError(format!(
            "integrity checks failed in {}: see the {} for the rule and the offending keys",
            failed.join(", "),
            if format == super::args::Format::Json {
                "failed checks in the report"
            } else {
                "FAIL lines above"
            }
        ))
        .into());
    }
    Ok(())
}

/// `check --format json`: one domain's checks, each with its rule, violations, a sample of
/// the offending keys and its time.
fn checks_json(domain: &Domain, findings: &[Finding]) -> serde_json::Value {
    let checks: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "rule": f.rule,
                "ok": f.violations == 0,
                "violations": f.violations,
                "sample": f.sample,
                "ms": (f.took.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
            })
        })
        .collect();
    serde_json::json!({
        "domain": domain.name,
        "ok": findings.iter().all(|f| f.violations == 0),
        "failed": findings.iter().filter(|f| f.violations > 0).count(),
        "checks": checks,
    })
}

pub async fn check(args: CheckArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let open = open_existing(&target, &args.domains.selected()?).await?;
    for (domain, db) in &open {
        require_migrated(domain, db).await?;
        require_complete(domain, db).await?;
        note_paused_statistics(&target, domain, db).await?;
    }
    run_checks(&open, args.timings, args.format.format).await
}

pub async fn digest(args: TargetArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let mut report = Vec::new();
    let open = open_existing(&target, &args.domains.selected()?).await?;
    // Every domain refused before any digest is printed: a script reads all or nothing.
    for (domain, db) in &open {
        require_migrated(domain, db).await?;
        require_complete(domain, db).await?;
    }
    for (domain, db) in open {
        let digest = seedbed_seeds::digest(&db, domain.seeder).await?;
        match args.format.format {
            super::args::Format::Text => say!("{digest}  {}", domain.name),
            super::args::Format::Json => {
                report.push(serde_json::json!({ "domain": domain.name, "digest": digest }))
            }
        }
    }
    if args.format.format == super::args::Format::Json {
        super::args::print_json(&serde_json::json!({ "command": "digest", "domains": report }));
    }
    Ok(())
}

pub async fn bootstrap(args: BootstrapArgs, watch: &Watch) -> anyhow::Result<()> {
    let started = Instant::now();
    let opts = args.data.options();
    let target = args.db.target()?;
    let domains = args.domains.selected()?;
    args.guard.check(&target, "bootstrap", &domains)?;
    // fresh, seed, counts and checks under the locks: another bootstrap starting meanwhile
    // waits for all of it, instead of dropping tables this one is reading.
    let locks = lock_all(&args.lock, &target, &domains).await?;
    let open = open_for_change(&target, &domains, &args.lock, false).await?;
    watch.plan(&domains.iter().map(|d| d.name).collect::<Vec<_>>());
    let hash = dev_password_hash();
    let display = progress::Display::for_stderr();
    let results = each_domain(&open, |domain, db| {
        let (hash, display) = (&hash, &display);
        async move {
            watch.migrating(domain.name);
            (domain.migrator)().fresh(db).await?;
            let plan = Plan { chunk_rows: chunk_rows(None, db).await, ..Plan::default() };
            seed_one(domain, db, std::slice::from_ref(db), opts, Mode::Whole(plan), hash, watch, display)
                .await
        }
    })
    .await;
    report(results).await?;
    run_checks(&open, false, super::args::Format::Text).await?;
    release_all(locks).await;
    say!("");
    say!(
        "Bootstrapped {} in {:.2} s (profile {}, scale {}, seed {}, reference time {}).",
        open.iter().map(|(d, _)| d.name).collect::<Vec<_>>().join(", "),
        started.elapsed().as_secs_f64(),
        opts.profile,
        opts.scale,
        opts.seed,
        opts.now.to_rfc3339()
    );
    for (domain, _) in &open {
        say!("  {:<8} {}", domain.name, target.describe(domain.name));
    }
    say!("Well-known accounts (password `{DEV_PASSWORD}`):");
    for (domain, _) in &open {
        for a in domain.seeder.accounts() {
            say!("  {:<8} {:<9} {:<32} {}", a.domain, a.role, a.email, a.note);
        }
    }
    Ok(())
}
