//! `seedbed backup` and `seedbed restore`: one domain's namespace to a file and back, through
//! each engine's own tools.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::args::domain_names;
use super::{DbArgs, GuardArgs, LockArgs};
use crate::domains::find;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The domain to back up.
    #[arg(long, value_name = "DOMAIN", value_parser = domain_names())]
    domain: String,
    /// The file to write (it must not exist): a SQLite database, a pg_dump archive or a
    /// mariadb-dump script, by backend.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The domain to replace with the backup's contents.
    #[arg(long, value_name = "DOMAIN", value_parser = domain_names())]
    domain: String,
    /// A file `seedbed backup` wrote, on the same backend and with the same --prefix.
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    input: PathBuf,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    guard: GuardArgs,
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    target.backup(&args.domain, &args.output).await.context(args.domain.clone())?;
    say!("{}: {} backed up to {}", args.domain, target.describe(&args.domain), args.output.display());
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let domain = find(&args.domain).expect("validated by the argument parser");
    args.guard.check(&target, "restore", &[domain])?;
    // Before the lock: a bad file is refused at once, and the lock would create the data
    // directory of a SQLite target.
    target.check_backup(domain.name, &args.input).await.context(domain.name)?;
    let lock = args.lock.lock(&target, domain.name).await?;
    target.restore(domain.name, &args.input).await.context(domain.name)?;
    lock.release().await;
    say!("{}: {} restored from {}", domain.name, target.describe(domain.name), args.input.display());
    Ok(())
}
