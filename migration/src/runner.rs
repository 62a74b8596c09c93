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

/// One migration, with the checksum of its source recorded in the history when it applies.
pub struct Migration {
    pub(crate) inner: Box<dyn MigrationTrait>,
    checksum: String,
}

impl Migration {
    /// `source` is the text of the migration's file (`include_str!`): the checksum is taken
    /// over it, so that editing an applied migration shows up in `seedbed migrate verify`.
    pub fn new(migration: impl MigrationTrait + 'static, source: &str) -> Self {
        Migration { inner: Box::new(migration), checksum: checksum(source) }
    }

    pub fn version(&self) -> &str {
        self.inner.name()
    }

    pub fn checksum(&self) -> &str {
        &self.checksum
    }
}

/// SHA-256 of `source` with every run of whitespace made one space: the same on every
/// platform (CRLF or LF checkouts) and for every build, unchanged by reformatting, changed
/// by any edit to the code. Changes to shared helpers are not seen; `drift` is for that.
pub fn checksum(source: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (i, word) in source.split_whitespace().enumerate() {
        if i > 0 {
            hasher.update(b" ");
        }
        hasher.update(word.as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The description part of a version: `m20250301_090000_initial_schema` → `initial_schema`.
pub fn description(version: &str) -> &str {
    let b = version.as_bytes();
    let stamped = b.len() > 17
        && b[0] == b'm'
        && b[1..9].iter().all(u8::is_ascii_digit)
        && b[9] == b'_'
        && b[10..16].iter().all(u8::is_ascii_digit)
        && b[16] == b'_';
    if stamped { &version[17..] } else { version }
}

/// The ordered migrations of one domain.
pub struct Migrator {
    pub(crate) domain: &'static str,
    pub(crate) migrations: Vec<Migration>,
}

/// One row of a domain's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub version: String,
    pub applied_at: DateTimeUtc,
    pub execution_ms: i64,
    pub checksum: String,
    /// Set when the migration failed outside a transaction, part of it applied.
    pub error: Option<String>,
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Applied {
        at: DateTimeUtc,
        millis: i64,
        /// The checksum recorded when it applied.
        checksum: String,
    },
    Pending,
    /// Failed outside a transaction (MariaDB DDL): part of it may have applied.
    Failed {
        at: DateTimeUtc,
        error: String,
    },
    /// Applied by a build that had a migration this one lacks.
    Unknown {
        at: DateTimeUtc,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: String,
    /// The checksum of this build's migration; `None` for an unknown version.
    pub checksum: Option<String>,
    pub state: State,
}

impl MigrationStatus {
    /// Applied, but from a migration whose source has changed since.
    pub fn checksum_differs(&self) -> bool {
        match (&self.state, &self.checksum) {
            (State::Applied { checksum, .. }, Some(code)) => checksum != code,
            _ => false,
        }
    }
}

/// A problem `seedbed migrate verify` finds in a history, each with its fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Finding {
    #[error(
        "{domain}: {version} was applied with checksum {}, but its code now has {}: review the change, then run `seedbed migrate repair --update-checksums --domain {domain}` (or revert the edit and write a new migration)",
        short(stored),
        short(code)
    )]
    ChecksumDiffers { domain: String, version: String, stored: String, code: String },
    #[error(
        "{domain}: {version} is applied, but this build of seedbed does not have it: run the build that applied it, or start over with `seedbed migrate fresh --domain {domain}`"
    )]
    Unknown { domain: String, version: String },
    #[error(
        "{domain}: {version} failed part-way ({error}): finish or undo what it applied by hand, then run `seedbed migrate repair --domain {domain}`, or start over with `seedbed migrate fresh --domain {domain}`"
    )]
    Failed { domain: String, version: String, error: String },
}

/// The first 12 hex digits, enough to tell checksums apart when reading.
pub fn short(checksum: &str) -> &str {
    &checksum[..checksum.len().min(12)]
}

/// What `repair` changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// Versions whose failed record was removed: they count as pending again.
    pub cleared: Vec<String>,
    /// Versions whose stored checksum was set to the code's.
    pub updated: Vec<String>,
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
    #[error(
        "migration {version} of {domain} failed part-way earlier ({error}): finish or undo what it applied by hand, then run `seedbed migrate repair --domain {domain}`, or start over with `seedbed migrate fresh --domain {domain}`"
    )]
    FailedEarlier { domain: String, version: String, error: String },
    #[error(
        "{domain}: the migration history has {count} problem(s), listed above; fix them as each line says, then run `seedbed migrate verify` again"
    )]
    Unverified { domain: String, count: usize },
    #[error(
        "{domain}: the live schema differs from its migrations in {count} place(s), listed above: undo those changes by hand, or make them a migration (see docs/migrations.md)"
    )]
    Drift { domain: String, count: usize },
    #[error("{domain}: {detail}")]
    Db { domain: String, detail: String },
}

impl Migrator {
    pub fn new(domain: &'static str, migrations: Vec<Migration>) -> Self {
        Migrator { domain, migrations }
    }

    pub fn domain(&self) -> &'static str {
        self.domain
    }

    /// Versions in the order they apply.
    pub fn versions(&self) -> Vec<String> {
        self.migrations.iter().map(|m| m.version().to_owned()).collect()
    }

    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// The migrations themselves, e.g. to build a migrator with one more for a test.
    pub fn into_migrations(self) -> Vec<Migration> {
        self.migrations
    }

    pub(crate) fn db_err(&self, e: DbErr) -> MigrateError {
        MigrateError::Db { domain: self.domain.to_owned(), detail: driver_message(&e) }
    }

    /// Each known migration with its state, then any applied version this build lacks.
    pub async fn status(&self, db: &DatabaseConnection) -> Result<Vec<MigrationStatus>, MigrateError> {
        let mut history: BTreeMap<String, HistoryRow> =
            self.history(db).await?.into_iter().map(|r| (r.version.clone(), r)).collect();
        let mut out: Vec<MigrationStatus> = self
            .migrations
            .iter()
            .map(|m| {
                let state = match history.remove(m.version()) {
                    Some(row) => row_state(row),
                    None => State::Pending,
                };
                MigrationStatus {
                    version: m.version().to_owned(),
                    checksum: Some(m.checksum().to_owned()),
                    state,
                }
            })
            .collect();
        out.extend(history.into_values().map(|row| MigrationStatus {
            version: row.version,
            checksum: None,
            state: State::Unknown { at: row.applied_at },
        }));
        Ok(out)
    }

    /// Every problem in the history: edited migrations, versions this build lacks, failed
    /// records. Empty when the history can be trusted.
    pub async fn verify(&self, db: &DatabaseConnection) -> Result<Vec<Finding>, MigrateError> {
        let domain = self.domain.to_owned();
        let mut findings = Vec::new();
        for s in self.status(db).await? {
            let version = s.version.clone();
            match (&s.state, &s.checksum) {
                (State::Applied { checksum, .. }, Some(code)) if checksum != code => {
                    findings.push(Finding::ChecksumDiffers {
                        domain: domain.clone(),
                        version,
                        stored: checksum.clone(),
                        code: code.clone(),
                    })
                }
                (State::Failed { error, .. }, _) => {
                    findings.push(Finding::Failed { domain: domain.clone(), version, error: error.clone() })
                }
                (State::Unknown { .. }, _) => {
                    findings.push(Finding::Unknown { domain: domain.clone(), version })
                }
                _ => {}
            }
        }
        Ok(findings)
    }

    /// Clears failed records (their migrations count as pending again) and, with
    /// `update_checksums`, sets the stored checksum of every applied migration to its code's.
    /// It never runs DDL: what a failed migration left is for a person to clean up first.
    pub async fn repair(
        &self,
        db: &DatabaseConnection,
        update_checksums: bool,
    ) -> Result<Repaired, MigrateError> {
        let mut repaired = Repaired::default();
        let col = |c: &str| Alias::new(c);
        for s in self.status(db).await? {
            let this = Expr::col(col("version")).eq(s.version.as_str());
            let result = match &s.state {
                State::Failed { .. } => {
                    repaired.cleared.push(s.version.clone());
                    db.execute(&Query::delete().from_table(col(HISTORY_TABLE)).and_where(this).to_owned())
                        .await
                }
                State::Applied { .. } if update_checksums && s.checksum_differs() => {
                    repaired.updated.push(s.version.clone());
                    let code = s.checksum.clone().expect("a known migration");
                    let stmt = Query::update()
                        .table(col(HISTORY_TABLE))
                        .value(col("checksum"), code)
                        .and_where(this)
                        .to_owned();
                    db.execute(&stmt).await
                }
                _ => continue,
            };
            result.map_err(|e| self.db_err(e))?;
        }
        Ok(repaired)
    }

    /// Applies pending migrations in order, `steps` of them at most.
    pub async fn up(&self, db: &DatabaseConnection, steps: Option<u32>) -> Result<Vec<Step>, MigrateError> {
        let applied = self.applied_known(db, true).await?;
        let pending: Vec<&Migration> =
            self.migrations.iter().filter(|m| !applied.contains_key(m.version())).collect();
        let take = steps.map_or(pending.len(), |s| (s as usize).min(pending.len()));
        let mut done = Vec::new();
        for m in &pending[..take] {
            done.push(self.run(db, m, Direction::Up).await?);
        }
        Ok(done)
    }

    /// Reverts the last `steps` applied migrations, newest first.
    pub async fn down(&self, db: &DatabaseConnection, steps: u32) -> Result<Vec<Step>, MigrateError> {
        let applied = self.applied_known(db, true).await?;
        if steps as usize > applied.len() {
            return Err(MigrateError::TooManySteps {
                domain: self.domain.to_owned(),
                requested: steps,
                applied: applied.len(),
            });
        }
        let to_revert: Vec<&Migration> = self
            .migrations
            .iter()
            .rev()
            .filter(|m| applied.contains_key(m.version()))
            .take(steps as usize)
            .collect();
        let mut done = Vec::new();
        for m in to_revert {
            done.push(self.run(db, m, Direction::Down).await?);
        }
        Ok(done)
    }

    /// Reverts every applied migration.
    pub async fn reset(&self, db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
        let applied = self.applied_known(db, true).await?.len();
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

    /// The history, oldest version first; empty when there is no history table yet. Only reads.
    pub async fn history(&self, db: &DatabaseConnection) -> Result<Vec<HistoryRow>, MigrateError> {
        if !history_exists(db).await.map_err(|e| self.db_err(e))? {
            return Ok(Vec::new());
        }
        let stmt = Query::select()
            .columns(["version", "applied_at", "execution_ms", "checksum", "error"].map(Alias::new))
            .from(Alias::new(HISTORY_TABLE))
            .order_by(Alias::new("version"), Order::Asc)
            .to_owned();
        let rows = db.query_all(&stmt).await.map_err(|e| self.db_err(e))?;
        rows.iter()
            .map(|r| {
                Ok(HistoryRow {
                    version: r.try_get_by_index(0)?,
                    applied_at: r.try_get_by_index(1)?,
                    execution_ms: r.try_get_by_index(2)?,
                    checksum: r.try_get_by_index(3)?,
                    error: r.try_get_by_index(4)?,
                })
            })
            .collect::<Result<_, DbErr>>()
            .map_err(|e| self.db_err(e))
    }

    /// Applied versions, refusing a history that holds versions this build lacks or a
    /// migration that failed part-way.
    /// `create` makes the history table first, for commands about to write to it.
    pub(crate) async fn applied_known(
        &self,
        db: &DatabaseConnection,
        create: bool,
    ) -> Result<BTreeMap<String, HistoryRow>, MigrateError> {
        if create {
            ensure_history(db).await.map_err(|e| self.db_err(e))?;
        }
        let applied: BTreeMap<String, HistoryRow> =
            self.history(db).await?.into_iter().map(|r| (r.version.clone(), r)).collect();
        if let Some(row) = applied.values().find(|r| r.error.is_some()) {
            return Err(MigrateError::FailedEarlier {
                domain: self.domain.to_owned(),
                version: row.version.clone(),
                error: row.error.clone().unwrap_or_default(),
            });
        }
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

    /// Runs one migration and records it, in one transaction where the backend allows.
    /// Outside a transaction a failure is recorded too, since part of it may have applied.
    async fn run(
        &self,
        db: &DatabaseConnection,
        m: &Migration,
        dir: Direction,
    ) -> Result<Step, MigrateError> {
        let started = Instant::now();
        let backend = db.get_database_backend();
        let transactional = backend != DbBackend::MySql && m.inner.use_transaction() != Some(false);
        let step = |started: Instant| Step {
            version: m.version().to_owned(),
            millis: started.elapsed().as_millis(),
            transactional,
        };
        let failed = |detail: String, aftermath: String| MigrateError::Failed {
            domain: self.domain.to_owned(),
            version: m.version().to_owned(),
            detail,
            aftermath,
        };

        if !transactional {
            let before = object_names(db).await.map_err(|e| self.db_err(e))?;
            let manager = SchemaManager::new(db);
            let result = match dir {
                Direction::Up => m.inner.up(&manager).await,
                Direction::Down => m.inner.down(&manager).await,
            };
            if let Err(e) = result {
                let detail = driver_message(&e);
                let after = object_names(db).await.unwrap_or_default();
                record(db, m, Outcome::Failed { dir, error: &detail }, started)
                    .await
                    .map_err(|e| self.db_err(e))?;
                return Err(failed(detail, leftovers(backend, self.domain, &before, &after)));
            }
            record(db, m, Outcome::Done(dir), started).await.map_err(|e| self.db_err(e))?;
            return Ok(step(started));
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
                Direction::Up => m.inner.up(&manager).await?,
                Direction::Down => m.inner.down(&manager).await?,
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
            record(&txn, m, Outcome::Done(dir), started).await?;
            txn.commit().await
        }
        .await;
        if backend == DbBackend::Sqlite {
            exec_conn(db, "PRAGMA foreign_keys = ON").await.map_err(|e| self.db_err(e))?;
        }
        result
            .map(|()| step(started))
            .map_err(|e| failed(driver_message(&e), "it was rolled back and nothing changed".into()))
    }
}

fn row_state(row: HistoryRow) -> State {
    match row.error {
        Some(error) => State::Failed { at: row.applied_at, error },
        None => State::Applied { at: row.applied_at, millis: row.execution_ms, checksum: row.checksum },
    }
}

/// How a run of a migration ends, as the history records it.
enum Outcome<'a> {
    Done(Direction),
    Failed { dir: Direction, error: &'a str },
}

#[derive(Clone, Copy)]
pub(crate) enum Direction {
    Up,
    Down,
}

pub(crate) async fn exec_conn(db: &impl ConnectionTrait, sql: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.map(|_| ())
}

/// Whether the namespace has a history table, asked of the catalogue so that nothing is created.
async fn history_exists(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
        DbBackend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
        _ => {
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
        }
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [HISTORY_TABLE.into()])).await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0) > 0)
}

async fn ensure_history(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let col = |c: &str| ColumnDef::new(Alias::new(c));
    let stmt = Table::create()
        .table(Alias::new(HISTORY_TABLE))
        .if_not_exists()
        .col(col("version").string_len(255).not_null().primary_key())
        .col(col("name").string_len(255).not_null())
        .col(col("applied_at").timestamp_with_time_zone().not_null())
        .col(col("execution_ms").big_integer().not_null())
        .col(col("checksum").string_len(64).not_null())
        .col(col("outcome").string_len(16).not_null())
        .col(col("error").text().null())
        .to_owned();
    db.execute(&stmt).await.map(|_| ())
}

async fn record(
    db: &impl ConnectionTrait,
    m: &Migration,
    outcome: Outcome<'_>,
    started: Instant,
) -> Result<(), DbErr> {
    let col = |c: &str| Alias::new(c);
    let this = || Expr::col(col("version")).eq(m.version());
    // Whole seconds: MariaDB's TIMESTAMP keeps no fraction, and status should read the
    // same on every backend.
    let now = DateTimeUtc::from_timestamp(chrono_now_secs(), 0).expect("a valid time");
    let millis = started.elapsed().as_millis() as i64;
    let insert = |outcome: &str, error: Option<&str>| {
        Query::insert()
            .into_table(col(HISTORY_TABLE))
            .columns(
                ["version", "name", "applied_at", "execution_ms", "checksum", "outcome", "error"].map(col),
            )
            .values_panic([
                m.version().into(),
                description(m.version()).into(),
                now.into(),
                millis.into(),
                m.checksum().into(),
                outcome.into(),
                error.map(str::to_owned).into(),
            ])
            .to_owned()
    };
    match outcome {
        Outcome::Done(Direction::Up) => db.execute(&insert("applied", None)).await.map(|_| ()),
        Outcome::Done(Direction::Down) => {
            let stmt = Query::delete().from_table(col(HISTORY_TABLE)).and_where(this()).to_owned();
            db.execute(&stmt).await.map(|_| ())
        }
        Outcome::Failed { dir: Direction::Up, error } => {
            db.execute(&insert("failed", Some(error))).await.map(|_| ())
        }
        Outcome::Failed { dir: Direction::Down, error } => {
            let stmt = Query::update()
                .table(col(HISTORY_TABLE))
                .value(col("outcome"), "failed")
                .value(col("error"), format!("while reverting: {error}"))
                .value(col("applied_at"), now)
                .and_where(this())
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

fn leftovers(
    backend: DbBackend,
    domain: &str,
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
) -> String {
    let repair = format!(
        "the history records it as failed, so later commands refuse until you run `seedbed migrate repair --domain {domain}` (or `seedbed migrate fresh --domain {domain}`)"
    );
    if backend != DbBackend::MySql {
        return format!("it ran outside a transaction, so check the namespace by hand; {repair}");
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
        "MariaDB/MySQL commits DDL at once, so the statements before the failure stay applied: {}; {repair}",
        parts.join("; ")
    )
}

/// Drops every view, then every table, children before parents.
async fn drop_all(db: &DatabaseConnection) -> Result<(), DbErr> {
    for sql in drop_statements(db).await? {
        exec_conn(db, &sql).await?;
    }
    Ok(())
}

/// The statements that empty the namespace: every view, then every table, children first.
pub(crate) async fn drop_statements(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let snapshot = Snapshot::read(db).await?;
    let mut out = Vec::new();
    for (name, _) in snapshot.tables.iter().filter(|(_, t)| t.kind == Kind::View) {
        out.push(format!("DROP VIEW {}", quote(backend, name)));
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
        out.push(format!("DROP TABLE {}{cascade}", quote(backend, next)));
    }
    Ok(out)
}
