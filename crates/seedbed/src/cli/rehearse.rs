//! `seedbed migrate rehearse`: the pending migrations tried on a copy of a domain (a backup
//! restored, or a profile seeded, into a scratch namespace beside the live one), each one
//! timed and checked for table rewrites, then the copy dropped. The live namespace is only
//! read; its lock is held throughout, so that nobody migrates it meanwhile and a copy a
//! killed rehearsal left behind is recognised (and swept) like a killed restore's.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use seedbed_core::Target;
use seedbed_migration::{MigrateError, Rehearsed};
use seedbed_seeds::{DEFAULT_SEED, Profile, SeedOptions, default_now};

use super::args::domain_names;
use super::{DbArgs, GuardArgs, LockArgs, UsageError};
use crate::Domain;
use crate::domains::find;

#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// The domain to rehearse on.
    #[arg(long, value_name = "DOMAIN", value_parser = domain_names())]
    domain: String,
    /// A file `seedbed backup` wrote of this domain on this backend (a production subset,
    /// say): the copy to run the pending migrations on.
    #[arg(long, value_name = "FILE", required_unless_present = "profile", conflicts_with = "profile")]
    from_backup: Option<PathBuf>,
    /// Instead of a backup: seed this profile (tiny, dev, large) into the copy, at the
    /// migrations the live domain has applied.
    #[arg(long, value_name = "PROFILE", value_parser = |s: &str| s.parse::<Profile>())]
    profile: Option<Profile>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    guard: GuardArgs,
}

pub async fn run(args: RehearseArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let domain = find(&args.domain).expect("validated by the argument parser");
    // It writes scratch namespaces on the server, however briefly.
    args.guard.check_production("migrate rehearse")?;
    if let Some(file) = &args.from_backup {
        // Before the lock: a bad file is refused at once, creating nothing.
        let manifest = target.check_backup(domain.name, file).await.context(domain.name)?;
        let known = (domain.migrator)().versions();
        let unknown: Vec<&str> = manifest
            .migrations
            .iter()
            .map(|(v, _)| v.as_str())
            .filter(|v| !known.iter().any(|k| k == v))
            .collect();
        if !unknown.is_empty() {
            return Err(UsageError(format!(
                "{}: {} holds migrations this build does not know ({}), so there is nothing to rehearse: use the build that wrote it",
                domain.name,
                file.display(),
                unknown.join(", ")
            ))
            .into());
        }
    }
    let lock = args.lock.lock(&target, domain.name).await?;
    for name in target.remove_restore_leftovers(domain.name, &lock).await.context(domain.name)? {
        say!("{}: removed {name}, left behind by an interrupted restore or rehearsal", domain.name);
    }
    let scratch = match &args.from_backup {
        Some(file) => {
            say!("{}: loading {} into a scratch copy", domain.name, file.display());
            target.load_scratch(domain.name, file, &lock).await.context(domain.name)?
        }
        None => target.scratch_target(),
    };
    let rehearsed = on_copy(&target, &scratch, domain, args.profile).await;
    let dropped = scratch.drop_namespace(domain.name).await;
    lock.release().await;
    let rehearsed = rehearsed?;
    dropped.with_context(|| format!("dropping the scratch copy {}", scratch.describe(domain.name)))?;
    report(domain, &target, &rehearsed)
}

/// Brings the copy where the live domain is (seeding it, for a profile), then rehearses.
async fn on_copy(
    live: &Target,
    scratch: &Target,
    domain: &'static Domain,
    profile: Option<Profile>,
) -> anyhow::Result<Vec<Rehearsed>> {
    let migrator = (domain.migrator)();
    let db = scratch.connect(domain.name).await.context(domain.name)?;
    if let Some(profile) = profile {
        let applied: Vec<String> = match live.open_existing(domain.name).await.context(domain.name)? {
            Some(live_db) => {
                let history = migrator.history(&live_db).await;
                let _ = live_db.close().await;
                history?.into_iter().map(|r| r.version).collect()
            }
            None => Vec::new(),
        };
        // This build's seeder fills this build's schema only. So the copy gets every
        // migration and the profile's data, then the migrations the live domain has not
        // applied are reverted: what is rehearsed is their `up` on the data left, which is
        // what they will meet (less what only they would have created).
        let n = migrator.versions().iter().take_while(|v| applied.contains(v)).count();
        let total = migrator.versions().len();
        migrator.up(&db, None).await?;
        say!("{}: seeding the {profile} profile into a scratch copy", domain.name);
        let opts = SeedOptions::new(DEFAULT_SEED, profile, 1.0, default_now()).expect("a valid profile");
        let hash = seedbed_seeds::accounts::dev_password_hash();
        seedbed_seeds::seed(&db, domain.seeder, opts, false, &seedbed_seeds::Quiet, &hash)
            .await
            .with_context(|| format!("{}: seeding the scratch copy", domain.name))?;
        if total > n {
            say!("{}: reverting the {} migration(s) the live domain has not applied", domain.name, total - n);
            migrator.down(&db, (total - n) as u32).await?;
        }
    }
    let rehearsed = migrator.rehearse(&db).await;
    let _ = db.close().await;
    Ok(rehearsed?)
}

fn report(domain: &Domain, target: &Target, rehearsed: &[Rehearsed]) -> anyhow::Result<()> {
    say!("{}: rehearsal on a copy of {}; the copy is dropped", domain.name, target.describe(domain.name));
    if rehearsed.is_empty() {
        say!("  nothing pending");
    }
    for r in rehearsed {
        let rewrote = match &r.rewritten {
            None => "whether it rewrote a table cannot be read on this server".to_owned(),
            Some(t) if t.is_empty() => "rewrote no table".to_owned(),
            Some(t) => format!("REWROTE {}", t.join(", ")),
        };
        match &r.error {
            None => say!("  ok      {}  {:>7} ms  {rewrote}", r.version, r.millis),
            Some(e) => say!("  FAILED  {}  {:>7} ms  {e}", r.version, r.millis),
        }
    }
    if let Some(failed) = rehearsed.iter().find(|r| r.error.is_some()) {
        return Err(MigrateError::Failed {
            domain: domain.name.to_owned(),
            version: failed.version.clone(),
            detail: "in the rehearsal".into(),
            aftermath: "the live domain was not touched: fix the migration, then rehearse again".into(),
        }
        .into());
    }
    Ok(())
}
