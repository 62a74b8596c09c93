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
use seedbed_seeds::{DEFAULT_SEED, DEV_PASSWORD, Finding, Profile, SeedOptions, default_now, parse_now};

use super::signals::Watch;
use super::{DbArgs, DomainArgs, GuardArgs, LockArgs, progress};
use crate::Domain;

#[derive(Debug, Args)]
pub struct DataArgs {
    /// How much data: tiny (a few rows per table, every state; for tests), dev (a small live
    /// deployment, ~1,000 users per domain) or large (100 × dev, for load tests).
    #[arg(long, default_value = "dev", value_parser = |s: &str| s.parse::<Profile>())]
    profile: Profile,
    /// Multiply the profile's row counts, e.g. 0.5 or 3.
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
    scale: f64,
    /// The random seed: the same seed (with the same profile, scale and time) gives the same data.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
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
        SeedOptions::new(self.seed, self.profile, self.scale, self.now.unwrap_or_else(default_now))
            .expect("validated by the argument parser")
    }
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Empty the chosen domains' tables first (only theirs), in the same transaction.
    #[arg(long)]
    truncate: bool,
    /// Apply only the reference data every environment needs (raffle's tiers and settings,
    /// draw's categories and plans, booking's service catalogue): insert the rows that are
    /// missing and update in place those that differ, keyed by their natural key, in one
    /// transaction per domain; nothing is deleted. Safe on a live database.
    #[arg(long, conflicts_with = "truncate")]
    reference_only: bool,
    /// With --reference-only: print what would be inserted or updated, and change nothing.
    #[arg(long, requires = "reference_only")]
    dry_run: bool,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    domains: DomainArgs,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    guard: GuardArgs,
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
) -> anyhow::Result<Vec<(&'static Domain, DatabaseConnection)>> {
    let mut out = Vec::new();
    for d in domains {
        out.push((*d, target.connect_waiting(d.name, lock.timeout()).await.context(d.name)?));
    }
    Ok(out)
}

/// Takes every chosen domain's lock before the command's first read, in registry order:
/// the same order in every command, so two commands never wait for each other in a circle.
/// Dropping the result (an error, a signal) releases them all.
async fn lock_all(
    lock: &LockArgs,
    target: &Target,
    domains: &[&'static Domain],
) -> anyhow::Result<Vec<seedbed_core::DomainLock>> {
    let mut held = Vec::new();
    for d in domains {
        held.push(lock.lock(target, d.name).await?);
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

/// Seeds one domain in its transaction, which a signal rolls back (see `signals`), then
/// gathers its planner statistics (see `seedbed_seeds::stats`). The time is the seeding's,
/// statistics included: what the user waits for.
async fn seed_one(
    domain: &'static Domain,
    db: &DatabaseConnection,
    opts: SeedOptions,
    truncate: bool,
    hash: &str,
    watch: &Watch,
    display: &progress::Display,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let bars = display.for_domain(domain.name);
    watch.seeding(domain.name);
    let seeded =
        seedbed_seeds::seed_until(db, domain.seeder, opts, truncate, &*bars, hash, watch.stopped()).await;
    match seeded {
        Ok(()) => watch.kept(domain.name),
        Err(seedbed_seeds::SeedError::Stopped { .. }) => watch.rolled_back(domain.name),
        // Rolled back too; and refused or failed, it was never under way for a stop.
        Err(_) => watch.rolled_back(domain.name),
    }
    seeded.map_err(|e| match e {
        seedbed_seeds::SeedError::NotEmpty { .. } => anyhow::Error::new(DataError(e.to_string())),
        other => anyhow::Error::new(other),
    })?;
    seedbed_seeds::stats::analyze(db, domain.seeder).await.with_context(|| {
        format!("{} was seeded and committed, but gathering its planner statistics failed", domain.name)
    })?;
    Ok(started.elapsed())
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
        let open = open_for_change(&target, &domains, &args.lock).await?;
        for (domain, db) in &open {
            require_migrated(domain, db).await?;
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
        args.guard.check_production("seed")?;
    }
    // From the first check to the last count, no other seedbed changes these domains: a
    // `migrate down` waits instead of dropping the tables being counted.
    let locks = lock_all(&args.lock, &target, &domains).await?;
    let open = open_for_change(&target, &domains, &args.lock).await?;
    for (domain, db) in &open {
        require_migrated(domain, db).await?;
    }
    watch.plan(&domains.iter().map(|d| d.name).collect::<Vec<_>>());
    let hash = dev_password_hash();
    let display = progress::Display::for_stderr();
    let results =
        each_domain(&open, |domain, db| seed_one(domain, db, opts, args.truncate, &hash, watch, &display))
            .await;
    let reported = report(results).await;
    release_all(locks).await;
    reported
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
    }
    run_checks(&open, args.timings, args.format.format).await
}

pub async fn digest(args: TargetArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let mut report = Vec::new();
    for (domain, db) in open_existing(&target, &args.domains.selected()?).await? {
        require_migrated(domain, &db).await?;
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
    let open = open_for_change(&target, &domains, &args.lock).await?;
    watch.plan(&domains.iter().map(|d| d.name).collect::<Vec<_>>());
    let hash = dev_password_hash();
    let display = progress::Display::for_stderr();
    let results = each_domain(&open, |domain, db| {
        let (hash, display) = (&hash, &display);
        async move {
            watch.migrating(domain.name);
            (domain.migrator)().fresh(db).await?;
            seed_one(domain, db, opts, false, hash, watch, display).await
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
