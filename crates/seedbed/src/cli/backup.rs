//! `seedbed backup` and `seedbed restore`: one domain's namespace to a file and back, through
//! each engine's own tools. This side knows the domains: it assembles each backup's manifest
//! (the history from the migration runner, the digest from the seeder) and verifies a
//! restore's scratch copy against it; `seedbed-core` does the engine work.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use seedbed_core::{Manifest, Target};

use super::args::domain_names;
use super::{DbArgs, GuardArgs, LockArgs, UsageError};
use crate::Domain;
use crate::domains::find;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The domain to back up.
    #[arg(long, value_name = "DOMAIN", value_parser = domain_names())]
    domain: String,
    /// The file to write (it must not exist): a SQLite database, a plain pg_dump script or a
    /// mariadb-dump script, by backend, each carrying a seedbed manifest.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The domain to replace with the backup's contents.
    #[arg(long, value_name = "DOMAIN", value_parser = domain_names())]
    domain: String,
    /// A file `seedbed backup` wrote of this domain, on the same backend (any --prefix).
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    input: PathBuf,
    /// Restore a backup taken by a build with migrations this one does not know (they then
    /// show as UNKNOWN in `migrate status`).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    guard: GuardArgs,
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let domain = find(&args.domain).expect("validated by the argument parser");
    target.check_backup_output(&args.output).context(domain.name)?;
    if !target.namespace_exists(domain.name).await.context(domain.name)? {
        return Err(seedbed_core::BackupError::NoNamespace { what: target.describe(domain.name) })
            .context(domain.name);
    }
    // Held while the manifest is taken and the data dumped, so that the two agree.
    let lock = args.lock.lock(&target, domain.name).await?;
    backup_locked(&target, domain, &args.output).await?;
    lock.release().await;
    say!("{}: {} backed up to {}", domain.name, target.describe(domain.name), args.output.display());
    Ok(())
}

/// Backs `domain` up to `file` (which must not exist); the caller holds the domain's lock,
/// so that the manifest and the data agree. Also what `migrate up --with-backup` runs.
pub async fn backup_locked(target: &Target, domain: &Domain, file: &std::path::Path) -> anyhow::Result<()> {
    target.check_backup_output(file).context(domain.name)?;
    let manifest = manifest(target, domain).await?;
    let removed = target.backup(domain.name, file, &manifest).await.context(domain.name)?;
    for leftover in removed {
        say!("{}: removed {}, left by a backup that did not finish", domain.name, leftover.display());
    }
    Ok(())
}

/// What this domain holds now: its applied migrations and its digest.
async fn manifest(target: &Target, domain: &Domain) -> anyhow::Result<Manifest> {
    let db = target.open(domain.name).await.context(domain.name)?;
    let read = async {
        let history = (domain.migrator)().history(&db).await?;
        if let Some(row) = history.iter().find(|r| r.error.is_some()) {
            return Err(UsageError(format!(
                "{}: migration {} failed part-way, so a backup could not be restored faithfully: see `seedbed migrate verify --domain {}` first",
                domain.name, row.version, domain.name
            ))
            .into());
        }
        let digest = manifest_digest(&db, domain, None)
            .await
            .with_context(|| format!("{}: reading its data for the backup's digest", domain.name))?;
        anyhow::Ok(Manifest {
            domain: domain.name.to_owned(),
            backend: target.backend(),
            namespace: target.namespace(domain.name),
            seedbed_version: env!("CARGO_PKG_VERSION").to_owned(),
            migrations: history.into_iter().map(|r| (r.version, r.checksum)).collect(),
            digest,
        })
    }
    .await;
    let _ = db.close().await;
    read
}

/// Marks a manifest digest taken over the namespace's raw contents (see [`manifest_digest`]).
const CONTENT_DIGEST: &str = "content-";

/// The digest a backup's manifest carries: the domain's own digest (the one `seedbed digest`
/// prints, equal across backends) when the entities can read the schema; otherwise (a domain
/// with migrations pending, as `migrate up --with-backup` backs up) `content-` and a SHA-256
/// over every table's rows as the engine prints them, sorted. `like` is a manifest's digest
/// to compute the same kind as, when verifying a restore.
async fn manifest_digest(
    db: &sea_orm::DatabaseConnection,
    domain: &Domain,
    like: Option<&str>,
) -> Result<String, sea_orm::DbErr> {
    let raw = match like {
        Some(digest) => digest.starts_with(CONTENT_DIGEST),
        None => match seedbed_seeds::digest(db, domain.seeder).await {
            Ok(digest) => return Ok(digest),
            Err(_) => true,
        },
    };
    if !raw {
        return seedbed_seeds::digest(db, domain.seeder).await;
    }
    use sea_orm::ConnectionTrait;
    use sha2::{Digest, Sha256};
    let backend = db.get_database_backend();
    let snapshot = seedbed_core::introspect::Snapshot::read(db).await?;
    let mut h = Sha256::new();
    for (name, table) in snapshot.base_tables() {
        if name == seedbed_migration::HISTORY_TABLE || name == seedbed_core::MANIFEST_TABLE {
            continue;
        }
        let text = |c: &str| {
            let c = seedbed_core::quote(backend, c);
            match backend {
                sea_orm::DbBackend::Postgres => format!("{c}::text"),
                sea_orm::DbBackend::MySql => format!("CAST({c} AS CHAR)"),
                _ => format!("quote({c})"),
            }
        };
        let columns: Vec<String> = table.columns.iter().map(|c| text(&c.name)).collect();
        let sql = format!("SELECT {} FROM {}", columns.join(", "), seedbed_core::quote(backend, name));
        let rows = db.query_all_raw(sea_orm::Statement::from_string(backend, sql)).await?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            let mut fields = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                fields.push(row.try_get_by_index::<Option<String>>(i)?.unwrap_or_else(|| "\\N".into()));
            }
            lines.push(fields.join("\t"));
        }
        // Row order is the engine's to choose; the contents are what counts.
        lines.sort_unstable();
        h.update(format!("table {name} {}\n", lines.len()));
        for line in lines {
            h.update(line);
            h.update(b"\n");
        }
    }
    Ok(format!("{CONTENT_DIGEST}{}", h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// The backup's migrations that this build lacks, or has with other code, in words.
fn unknown_migrations(domain: &Domain, manifest: &Manifest) -> Vec<String> {
    let migrator = (domain.migrator)();
    let known: BTreeMap<&str, &str> =
        migrator.migrations().iter().map(|m| (m.version(), m.checksum())).collect();
    manifest
        .migrations
        .iter()
        .filter_map(|(version, checksum)| match known.get(version.as_str()) {
            None => Some(format!("{version} (not in this build)")),
            Some(code) if code != checksum => Some(format!("{version} (edited since)")),
            Some(_) => None,
        })
        .collect()
}

/// Checks a loaded scratch copy against the manifest: the same migrations, the same digest.
async fn verify(domain: &Domain, manifest: &Manifest, scratch: Target) -> Result<(), String> {
    let db = scratch.open(domain.name).await.map_err(|e| e.to_string())?;
    let checked = async {
        let history = (domain.migrator)().history(&db).await.map_err(|e| e.to_string())?;
        let got: Vec<(String, String)> = history.into_iter().map(|r| (r.version, r.checksum)).collect();
        if got != manifest.migrations {
            return Err(format!(
                "its history holds {} migration(s), its manifest lists {}",
                got.len(),
                manifest.migrations.len()
            ));
        }
        let digest = manifest_digest(&db, domain, Some(&manifest.digest)).await.map_err(|e| e.to_string())?;
        if digest != manifest.digest {
            return Err(format!(
                "its data's digest is {}…, its manifest says {}…",
                &digest[..12.min(digest.len())],
                &manifest.digest[..12.min(manifest.digest.len())]
            ));
        }
        Ok(())
    }
    .await;
    let _ = db.close().await;
    checked
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let domain = find(&args.domain).expect("validated by the argument parser");
    args.guard.check(&target, "restore", &[domain])?;
    // Before the lock: a bad file is refused at once, and the lock would create the data
    // directory of a SQLite target.
    let manifest = target.check_backup(domain.name, &args.input).await.context(domain.name)?;
    let unknown = unknown_migrations(domain, &manifest);
    if !unknown.is_empty() && !args.force {
        return Err(UsageError(format!(
            "{}: {} was taken by a build with migrations this one does not know: {}; nothing was changed: restore it with that build, or add --force",
            domain.name,
            args.input.display(),
            unknown.join(", ")
        ))
        .into());
    }
    if !unknown.is_empty() {
        say!(
            "{}: --force: restoring migrations this build does not know ({}); `migrate status` will list them",
            domain.name,
            unknown.join(", ")
        );
    }
    let lock = args.lock.lock(&target, domain.name).await?;
    for name in target.remove_restore_leftovers(domain.name, &lock).await.context(domain.name)? {
        say!("{}: removed {name}, left behind by an interrupted restore", domain.name);
    }
    target
        .restore(domain.name, &args.input, &lock, &|line| say!("{line}"), async |scratch| {
            verify(domain, &manifest, scratch).await
        })
        .await
        .context(domain.name)?;
    lock.release().await;
    say!("{}: {} restored from {}", domain.name, target.describe(domain.name), args.input.display());
    Ok(())
}

/// Removes the scratch namespaces a killed restore of `domain` left behind, naming each, if
/// nobody holds the domain's lock (a running restore holds it throughout). For commands that
/// only read, such as `migrate status`. Each removal is said on stdout, or (`on_stdout`
/// false: stdout carries a JSON document) on stderr.
pub async fn sweep_restore_leftovers(
    target: &Target,
    domain: &Domain,
    on_stdout: bool,
) -> anyhow::Result<()> {
    // On a server a loading session that outlived its restore may not have committed yet, so
    // look under the lock; on SQLite the lock would create a file, and nothing outlives a run.
    if target.backend() == seedbed_core::Backend::Sqlite
        && target.restore_leftovers(domain.name).await.context(domain.name)?.is_empty()
    {
        return Ok(());
    }
    // Creating nothing: a lease is taken only where the namespace has a lock table already.
    let Ok(Some(lock)) = target.try_lock_without_creating(domain.name).await else {
        return Ok(());
    };
    let removed = target.remove_restore_leftovers(domain.name, &lock).await.context(domain.name);
    lock.release().await;
    for name in removed? {
        let line = format!("{}: removed {name}, left behind by an interrupted restore", domain.name);
        match on_stdout {
            true => say!("{line}"),
            false => eprintln!("note: {line}"),
        }
    }
    Ok(())
}
