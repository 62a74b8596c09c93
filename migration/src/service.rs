//! Migrating at service start-up, the way SeaORM services do it: each domain has a
//! `Migrator` with sea-orm-migration's calls (`Migrator::up(&db, None).await?`, `down`,
//! `status`, `fresh`, `refresh`, `reset`), run by seedbed's runner under the domain's lock.
//!
//! Why not sea-orm-migration's `MigratorTrait` itself: its `up`, `down`, `fresh`, `refresh`
//! and `reset` could be overridden to call the runner, but the rest of the trait cannot be:
//! `install`, `get_pending_migrations`, `get_migration_with_status` and friends read and
//! create `seaql_migrations` (version and an integer time, no checksum, no outcome), and
//! their `Migration` values cannot be built outside that crate, so they would report every
//! migration pending and create a second, wrong history. A documented equivalent with the
//! same calls is honest; a half-overridden trait would not be.
//!
//! What a call does: takes the domain's lock (the one `seedbed migrate` takes: PostgreSQL
//! advisory lock, MariaDB `GET_LOCK`, SQLite lock file), waiting up to [`LOCK_WAIT`], so
//! that of ten replicas starting at once one migrates and the others wait, then find nothing
//! pending; runs the runner (the same history, checksums, transactions and refusals as the
//! command line); releases the lock. The connection must point at the domain's namespace:
//! `seedbed_core::Target::connect(domain)`, or a URL from `Target::url_for(domain)`.

use std::time::Duration;

use sea_orm_migration::sea_orm::DatabaseConnection;
use seedbed_core::{DomainLock, Target, holder_label, lock_through};

use crate::{MigrateError, MigrationStatus, Migrator, Step};

/// How long a replica waits for another that is migrating the same domain: long enough for a
/// backfill on a large table, short enough that a stuck holder is reported.
pub const LOCK_WAIT: Duration = Duration::from_secs(600);

/// What a start-up call does, on the migrator of one domain.
enum Call {
    Up(Option<u32>),
    Down(Option<u32>),
    Status,
    Fresh,
    Refresh,
    Reset,
}

/// Takes the lock through `db`, runs `call`, releases the lock.
async fn run(
    migrator: Migrator,
    db: &DatabaseConnection,
    call: Call,
) -> Result<(Vec<Step>, Vec<MigrationStatus>), MigrateError> {
    let domain = migrator.domain();
    let (lock, sqlite) =
        lock_through(db, domain, LOCK_WAIT, &holder_label(&format!("{domain} service start-up")))
            .await
            .map_err(|e| MigrateError::Db { domain: domain.to_owned(), detail: e.to_string() })?;
    // On SQLite the runner works through one connection of its own (it turns foreign keys
    // off and on around a migration, which must be the connection that runs it).
    let own = match &sqlite {
        Some(target) => Some(connect(target, domain).await?),
        None => None,
    };
    let conn = own.as_ref().unwrap_or(db);
    let result = work(&migrator, conn, call).await;
    if let Some(own) = own {
        let _ = own.close().await;
    }
    release(lock).await;
    result
}

async fn connect(target: &Target, domain: &str) -> Result<DatabaseConnection, MigrateError> {
    target
        .connect_waiting(domain, LOCK_WAIT)
        .await
        .map_err(|e| MigrateError::Db { domain: domain.to_owned(), detail: e.to_string() })
}

async fn release(lock: DomainLock) {
    lock.release().await;
}

async fn work(
    migrator: &Migrator,
    db: &DatabaseConnection,
    call: Call,
) -> Result<(Vec<Step>, Vec<MigrationStatus>), MigrateError> {
    let steps = match call {
        Call::Up(n) => migrator.up(db, n).await?,
        Call::Down(n) => {
            let applied = migrator.applied_known(db, true).await?.len() as u32;
            migrator.down(db, n.unwrap_or(applied)).await?
        }
        Call::Status => return Ok((Vec::new(), migrator.status(db).await?)),
        Call::Fresh => migrator.fresh(db).await?,
        Call::Refresh => migrator.refresh(db).await?,
        Call::Reset => migrator.reset(db).await?,
    };
    Ok((steps, Vec::new()))
}

macro_rules! domain_migrator {
    ($module:ident, $name:literal) => {
        #[doc = concat!("The ", $name, " domain's start-up migrator: see the module's documentation.")]
        pub mod $module {
            use sea_orm_migration::sea_orm::DatabaseConnection;

            use super::{Call, run};
            use crate::{MigrateError, MigrationStatus, Step};

            #[doc = concat!("`Migrator::up(&db, None).await?` on a connection to the ", $name, " namespace.")]
            pub struct Migrator;

            impl Migrator {
                /// Applies the pending migrations (at most `steps`), under the domain's lock.
                pub async fn up(
                    db: &DatabaseConnection,
                    steps: Option<u32>,
                ) -> Result<Vec<Step>, MigrateError> {
                    Ok(run(crate::$module::migrator(), db, Call::Up(steps)).await?.0)
                }

                /// Reverts the newest `steps` applied migrations (`None`: all, as in SeaORM).
                pub async fn down(
                    db: &DatabaseConnection,
                    steps: Option<u32>,
                ) -> Result<Vec<Step>, MigrateError> {
                    Ok(run(crate::$module::migrator(), db, Call::Down(steps)).await?.0)
                }

                /// Each migration and where it stands (read under the lock, so never half-way).
                pub async fn status(db: &DatabaseConnection) -> Result<Vec<MigrationStatus>, MigrateError> {
                    Ok(run(crate::$module::migrator(), db, Call::Status).await?.1)
                }

                /// Drops the namespace's tables and views, then applies every migration.
                pub async fn fresh(db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
                    Ok(run(crate::$module::migrator(), db, Call::Fresh).await?.0)
                }

                /// Reverts every applied migration, then applies them all.
                pub async fn refresh(db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
                    Ok(run(crate::$module::migrator(), db, Call::Refresh).await?.0)
                }

                /// Reverts every applied migration.
                pub async fn reset(db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
                    Ok(run(crate::$module::migrator(), db, Call::Reset).await?.0)
                }
            }
        }
    };
}

domain_migrator!(raffle, "raffle");
domain_migrator!(draw, "draw");
domain_migrator!(booking, "booking");

/// How a domain hands out its migrator.
pub type MigratorOf = fn() -> Migrator;

/// Every domain's name and migrator, in registry order: what the migration crate's own
/// binary (the `sea-orm-cli migrate` habit) chooses from.
pub const DOMAINS: [(&str, MigratorOf); 3] = [
    ("raffle", crate::raffle::migrator),
    ("draw", crate::draw::migrator),
    ("booking", crate::booking::migrator),
];

/// Runs one of the start-up calls by name on `domain`'s migrator through `db`: what the
/// binary delegates to. `status` returns the statuses, the others the steps done.
pub async fn call(
    migrator: Migrator,
    db: &DatabaseConnection,
    command: &str,
    steps: Option<u32>,
) -> Result<(Vec<Step>, Vec<MigrationStatus>), MigrateError> {
    let call = match command {
        "up" => Call::Up(steps),
        "down" => Call::Down(Some(steps.unwrap_or(1))),
        "status" => Call::Status,
        "fresh" => Call::Fresh,
        "refresh" => Call::Refresh,
        _ => Call::Reset,
    };
    run(migrator, db, call).await
}
