//! Applies and reverts one domain's migrations inside its namespace, keeping that
//! domain's history in its own table.
//!
//! sea-orm-migration provides the migration trait and the schema manager; the running is
//! done here because seedbed needs what its stock migrator does not give: a transaction per
//! migration on SQLite as well as PostgreSQL, a `fresh` that drops only the domain's own
//! namespace, refusal to act on a history this build does not know, and a history table
//! that later versions can extend.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use sea_orm_migration::MigrationTrait;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::DateTimeUtc;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};
use seedbed_core::driver_message;
use seedbed_core::introspect::{Kind, Snapshot};
use thiserror::Error;

use crate::ddl::quote;

/// Each domain's history lives in its own namespace under this name.
pub const HISTORY_TABLE: &str = "seedbed_migrations";

/// The ordered migrations of one domain.
pub struct Migrator {
    domain: &'static str,
    migrations: Vec<Box<dyn MigrationTrait>>,
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Applied {
        at: DateTimeUtc,
    },
    Pending,
    /// Applied by a build that had a migration this one lacks.
    Unknown {
        at: DateTimeUtc,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: String,
    pub state: State,
}

/// What a finished migration step did.
#[derive(Debug, Clone)]
pub struct Step {
    pub version: String,
    pub millis: u128,
    /// Whether it ran in a transaction (not on MariaDB, nor when a migration opts out).
    pub transactional: bool,
}

#[derive(Debug, Error)]
pub enum MigrateError {
    #[error(
        "the {domain} history lists {versions}, which this build of seedbed does not have: run the build that applied it, or start over with `seedbed migrate fresh --domain {domain}`"
    )]
    UnknownApplied { domain: String, versions: String },
    #[error(
        "cannot roll back {requested} migration(s) of {domain}: only {applied} applied; use -n {applied} or less (see `seedbed migrate status`)"
    )]
    TooManySteps { domain: String, requested: u32, applied: usize },
    #[error("migration {version} of {domain} failed: {detail}; {aftermath}")]
    Failed { domain: String, version: String, detail: String, aftermath: String },
    #[error("{domain}: {detail}")]
    Db { domain: String, detail: String },
}

impl Migrator {
    pub fn new(domain: &'static str, migrations: Vec<Box<dyn MigrationTrait>>) -> Self {
        Migrator { domain, migrations }
    }

    pub fn domain(&self) -> &'static str {
        self.domain
    }

    /// Versions in the order they apply.
    pub fn versions(&self) -> Vec<String> {
        self.migrations.iter().map(|m| m.name().to_owned()).collect()
    }

    pub fn migrations(&self) -> &[Box<dyn MigrationTrait>] {
        &self.migrations
    }

    /// The migrations themselves, e.g. to build a migrator with one more for a test.
    pub fn into_migrations(self) -> Vec<Box<dyn MigrationTrait>> {
        self.migrations
    }

    fn db_err(&self, e: DbErr) -> MigrateError {
        MigrateError::Db { domain: self.domain.to_owned(), detail: driver_message(&e) }
    }

    /// Each known migration with its state, then any applied version this build lacks.
    pub async fn status(&self, db: &DatabaseConnection) -> Result<Vec<MigrationStatus>, MigrateError> {
        let mut applied = self.applied(db).await?;
        let mut out: Vec<MigrationStatus> = self
            .versions()
            .into_iter()
            .map(|version| {
                let state = match applied.remove(&version) {
                    Some(at) => State::Applied { at },
                    None => State::Pending,
                };
                MigrationStatus { version, state }
            })
            .collect();
        out.extend(
            applied
                .into_iter()
                .map(|(version, at)| MigrationStatus { version, state: State::Unknown { at } }),
        );
        Ok(out)
    }

    /// Applies pending migrations in order, `steps` of them at most.
    pub async fn up(&self, db: &DatabaseConnection, steps: Option<u32>) -> Result<Vec<Step>, MigrateError> {
        let applied = self.applied_known(db).await?;
        let pending: Vec<&dyn MigrationTrait> =
            self.migrations.iter().map(|m| &**m).filter(|m| !applied.contains_key(m.name())).collect();
        let take = steps.map_or(pending.len(), |s| (s as usize).min(pending.len()));
        let mut done = Vec::new();
        for m in &pending[..take] {
            let started = Instant::now();
            let transactional = self.run(db, *m, Direction::Up).await?;
            done.push(Step {
                version: m.name().to_owned(),
                millis: started.elapsed().as_millis(),
                transactional,
            });
        }
        Ok(done)
    }

    /// Reverts the last `steps` applied migrations, newest first.
    pub async fn down(&self, db: &DatabaseConnection, steps: u32) -> Result<Vec<Step>, MigrateError> {
        let applied = self.applied_known(db).await?;
        if steps as usize > applied.len() {
            return Err(MigrateError::TooManySteps {
                domain: self.domain.to_owned(),
                requested: steps,
                applied: applied.len(),
            });
        }
        let to_revert: Vec<&dyn MigrationTrait> = self
            .migrations
            .iter()
            .rev()
            .map(|m| &**m)
            .filter(|m| applied.contains_key(m.name()))
            .take(steps as usize)
            .collect();
        let mut done = Vec::new();
        for m in to_revert {
            let started = Instant::now();
            let transactional = self.run(db, m, Direction::Down).await?;
            done.push(Step {
                version: m.name().to_owned(),
                millis: started.elapsed().as_millis(),
                transactional,
            });
        }
        Ok(done)
    }

    /// Reverts every applied migration.
    pub async fn reset(&self, db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
        let applied = self.applied_known(db).await?.len();
        self.down(db, applied as u32).await
    }

    /// Reverts every applied migration, then applies them all again.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
        let mut steps = self.reset(db).await?;
        steps.extend(self.up(db, None).await?);
        Ok(steps)
    }

    /// Drops every table and view of the domain's namespace, then applies every migration.
    /// It works even when the history is unknown or broken, which is what it is for; other
    /// domains live in other namespaces and are never touched.
    pub async fn fresh(&self, db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
        drop_all(db).await.map_err(|e| self.db_err(e))?;
        self.up(db, None).await
    }

    /// Applied versions with their times; creates the history table when absent.
    async fn applied(&self, db: &DatabaseConnection) -> Result<BTreeMap<String, DateTimeUtc>, MigrateError> {
        ensure_history(db).await.map_err(|e| self.db_err(e))?;
        let stmt = Query::select()
            .columns([Alias::new("version"), Alias::new("applied_at")])
            .from(Alias::new(HISTORY_TABLE))
            .order_by(Alias::new("version"), Order::Asc)
            .to_owned();
        let rows = db.query_all(&stmt).await.map_err(|e| self.db_err(e))?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index::<String>(0)?, r.try_get_by_index::<DateTimeUtc>(1)?)))
            .collect::<Result<_, DbErr>>()
            .map_err(|e| self.db_err(e))
    }

    /// Applied versions, refusing a history that holds versions this build lacks.
    async fn applied_known(
        &self,
        db: &DatabaseConnection,
    ) -> Result<BTreeMap<String, DateTimeUtc>, MigrateError> {
        let applied = self.applied(db).await?;
        let known: BTreeSet<String> = self.versions().into_iter().collect();
        let unknown: Vec<&str> = applied.keys().filter(|v| !known.contains(*v)).map(String::as_str).collect();
        if !unknown.is_empty() {
            return Err(MigrateError::UnknownApplied {
                domain: self.domain.to_owned(),
                versions: unknown.join(", "),
            });
        }
        Ok(applied)
    }

    /// Runs one migration and records it, in one transaction where the backend allows;
    /// returns whether it did.
    async fn run(
        &self,
        db: &DatabaseConnection,
        m: &dyn MigrationTrait,
        dir: Direction,
    ) -> Result<bool, MigrateError> {
        let backend = db.get_database_backend();
        let transactional = backend != DbBackend::MySql && m.use_transaction() != Some(false);
        let failed = |detail: String, aftermath: String| MigrateError::Failed {
            domain: self.domain.to_owned(),
            version: m.name().to_owned(),
            detail,
            aftermath,
        };

        if !transactional {
            let before = object_names(db).await.map_err(|e| self.db_err(e))?;
            let manager = SchemaManager::new(db);
            let result = match dir {
                Direction::Up => m.up(&manager).await,
                Direction::Down => m.down(&manager).await,
            };
            if let Err(e) = result {
                let after = object_names(db).await.unwrap_or_default();
                return Err(failed(driver_message(&e), leftovers(backend, &before, &after)));
            }
            return record(db, m.name(), dir).await.map(|()| false).map_err(|e| self.db_err(e));
        }

        // SQLite cannot toggle foreign keys inside a transaction, and rebuilding a table
        // (how SQLite alters constraints) needs them off; they are checked before commit.
        if backend == DbBackend::Sqlite {
            exec_conn(db, "PRAGMA foreign_keys = OFF").await.map_err(|e| self.db_err(e))?;
        }
        let result = async {
            let txn = db.begin().await?;
            let manager = SchemaManager::new(&txn);
            match dir {
                Direction::Up => m.up(&manager).await?,
                Direction::Down => m.down(&manager).await?,
            }
            if backend == DbBackend::Sqlite {
                let violations =
                    txn.query_all_raw(Statement::from_string(backend, "PRAGMA foreign_key_check")).await?;
                if !violations.is_empty() {
                    return Err(DbErr::Migration(format!(
                        "{} row(s) would break a foreign key",
                        violations.len()
                    )));
                }
            }
            record(&txn, m.name(), dir).await?;
            txn.commit().await
        }
        .await;
        if backend == DbBackend::Sqlite {
            exec_conn(db, "PRAGMA foreign_keys = ON").await.map_err(|e| self.db_err(e))?;
        }
        result
            .map(|()| true)
            .map_err(|e| failed(driver_message(&e), "it was rolled back and nothing changed".into()))
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

async fn exec_conn(db: &impl ConnectionTrait, sql: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.map(|_| ())
}

async fn ensure_history(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let stmt = Table::create()
        .table(Alias::new(HISTORY_TABLE))
        .if_not_exists()
        .col(ColumnDef::new(Alias::new("version")).string_len(255).not_null().primary_key())
        .col(ColumnDef::new(Alias::new("applied_at")).timestamp_with_time_zone().not_null())
        .to_owned();
    db.execute(&stmt).await.map(|_| ())
}

async fn record(db: &impl ConnectionTrait, version: &str, dir: Direction) -> Result<(), DbErr> {
    match dir {
        Direction::Up => {
            // Whole seconds: MariaDB's TIMESTAMP keeps no fraction, and status should read
            // the same on every backend.
            let now = DateTimeUtc::from_timestamp(chrono_now_secs(), 0).expect("a valid time");
            let stmt = Query::insert()
                .into_table(Alias::new(HISTORY_TABLE))
                .columns([Alias::new("version"), Alias::new("applied_at")])
                .values_panic([version.into(), now.into()])
                .to_owned();
            db.execute(&stmt).await.map(|_| ())
        }
        Direction::Down => {
            let stmt = Query::delete()
                .from_table(Alias::new(HISTORY_TABLE))
                .and_where(Expr::col(Alias::new("version")).eq(version))
                .to_owned();
            db.execute(&stmt).await.map(|_| ())
        }
    }
}

fn chrono_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Tables and views of the namespace, for naming what a failed MariaDB migration left.
async fn object_names(db: &DatabaseConnection) -> Result<BTreeSet<String>, DbErr> {
    Ok(Snapshot::read(db).await?.tables.into_keys().collect())
}

fn leftovers(backend: DbBackend, before: &BTreeSet<String>, after: &BTreeSet<String>) -> String {
    if backend != DbBackend::MySql {
        return "it ran outside a transaction, so check the namespace by hand before running it again".into();
    }
    let created: Vec<&str> = after.difference(before).map(String::as_str).collect();
    let dropped: Vec<&str> = before.difference(after).map(String::as_str).collect();
    let mut parts = Vec::new();
    if !created.is_empty() {
        parts.push(format!("these tables stay behind: {} (drop them by hand)", created.join(", ")));
    }
    if !dropped.is_empty() {
        parts.push(format!("these tables are already gone: {}", dropped.join(", ")));
    }
    if parts.is_empty() {
        parts.push("no table was created or dropped, but any index or constraint it added stays".into());
    }
    format!(
        "MariaDB/MySQL commits DDL at once, so the statements before the failure stay applied and the history does not list it: {}; then run it again, or start over with `seedbed migrate fresh`",
        parts.join("; ")
    )
}

/// Drops every view, then every table, children before parents.
async fn drop_all(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let snapshot = Snapshot::read(db).await?;
    for (name, _) in snapshot.tables.iter().filter(|(_, t)| t.kind == Kind::View) {
        exec_conn(db, &format!("DROP VIEW {}", quote(backend, name))).await?;
    }
    let mut remaining: BTreeMap<&String, BTreeSet<&String>> = snapshot
        .base_tables()
        .map(|(name, t)| {
            let parents = t.foreign_keys.iter().map(|fk| &fk.ref_table).filter(|p| *p != name).collect();
            (name, parents)
        })
        .collect();
    while !remaining.is_empty() {
        // A table nobody else references can go; with a cycle, PostgreSQL's CASCADE and a
        // forced pick keep this finite.
        let referenced: BTreeSet<&String> = remaining.values().flatten().copied().collect();
        let next = remaining
            .keys()
            .find(|t| !referenced.contains(*t))
            .copied()
            .unwrap_or_else(|| *remaining.keys().next().expect("not empty"));
        remaining.remove(next);
        let cascade = if backend == DbBackend::Postgres { " CASCADE" } else { "" };
        exec_conn(db, &format!("DROP TABLE {}{cascade}", quote(backend, next))).await?;
    }
    Ok(())
}
