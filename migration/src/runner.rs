//! Applies and reverts one domain's migrations inside its namespace, keeping that
//! domain's history in its own table.
//!
//! sea-orm-migration provides the migration trait and the schema manager; the running is
//! done here because seedbed needs what its stock migrator does not give: a transaction per
//! migration on SQLite as well as PostgreSQL, a `fresh` that drops only the domain's own
//! namespace (and refuses when something outside it depends on it), refusal to act on a
//! history this build does not know, and a history table that later versions can extend.
//!
//! A command may be killed at any instant. Where DDL is transactional (PostgreSQL, SQLite)
//! each migration and `fresh`'s emptying commit whole or not at all. Where it is not (MariaDB,
//! or PostgreSQL's concurrent index builds) the history says so first: a migration's row is
//! written as *started* before its first statement and turned into *applied* or *failed*
//! after, and `fresh` writes a marker before its first drop that it removes last. A started
//! row or a marker that outlives its command is an interruption the next command reports.

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

/// The history row (outcome `fresh`) that marks a `fresh` whose drops may not all have run.
const FRESH_MARKER: &str = "~fresh";

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

    /// Whether it asks to run in a transaction (with indexes built the ordinary way); it does
    /// on PostgreSQL and SQLite unless it opts out, never on MariaDB, whose DDL commits at once.
    pub fn uses_transaction(&self) -> bool {
        self.inner.use_transaction() != Some(false)
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
    /// Whether migrations that offer it build their indexes concurrently (PostgreSQL).
    pub(crate) concurrent_indexes: bool,
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
    /// `applied`, `failed`, `started` (running, or interrupted: see [`State::Started`]) or
    /// `reverting` (its `down` started).
    pub outcome: String,
    /// Who wrote a started row: the process id and host name, for the reader only (whether
    /// the holder lives is judged by the domain's lock, never by these).
    pub pid: Option<i64>,
    pub host: Option<String>,
    /// For a started row: the namespace's objects before the migration's first statement,
    /// one [`crate::interrupted::object_keys`] line each.
    pub before: Option<String>,
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
    /// Started outside a transaction and not finished: still running while its holder holds
    /// the domain's lock, interrupted (killed) once the lock is free.
    Started {
        at: DateTimeUtc,
        pid: Option<i64>,
        host: Option<String>,
        /// Its `down` was running, not its `up`.
        reverting: bool,
    },
}

impl State {
    /// Who started it, for messages: `pid 42 on ci-3 at 2026-…`.
    pub fn holder(&self) -> String {
        match self {
            State::Started { at, pid, host, .. } => format!(
                "pid {} on {} at {}",
                pid.map_or("?".into(), |p| p.to_string()),
                host.as_deref().unwrap_or("?"),
                at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            _ => String::new(),
        }
    }
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
    #[error("{domain}: {}", interrupted_text(version, holder, progress, domain))]
    Interrupted { domain: String, version: String, holder: String, progress: String },
    #[error("{domain}: {}", fresh_text(at, domain))]
    FreshInterrupted { domain: String, at: String },
}

fn interrupted_text(version: &str, holder: &str, progress: &str, domain: &str) -> String {
    format!(
        "{version} was interrupted (started by {holder}, which no longer holds the domain's lock); {progress}; undo it with `seedbed migrate repair --roll-back --domain {domain}` or finish it with `seedbed migrate repair --roll-forward --domain {domain}`"
    )
}

fn fresh_text(at: &str, domain: &str) -> String {
    format!(
        "a `seedbed migrate fresh` started at {at} was interrupted part-way through its drops, so the history cannot be trusted: run `seedbed migrate fresh --domain {domain}` again to finish it"
    )
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

/// How `repair` settles an interrupted migration, as the user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// Undo what it had done: it counts as pending again.
    RollBack,
    /// Run its remaining statements: it counts as applied.
    RollForward,
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
    #[error("{domain}: {}", interrupted_text(version, holder, progress, domain))]
    Interrupted { domain: String, version: String, holder: String, progress: String },
    #[error("{domain}: {}", fresh_text(at, domain))]
    FreshInterrupted { domain: String, at: String },
    #[error(
        "{domain}: `fresh` would drop what objects outside {namespace} depend on: {objects}; they are not this domain's, so nothing was dropped: drop or change them first (or keep the data with `seedbed migrate up`), then run `seedbed migrate fresh --domain {domain}` again"
    )]
    FreshBlocked { domain: String, namespace: String, objects: String },
    #[error("{domain}: cannot {action} {version}: {reason}")]
    CannotResolve { domain: String, version: String, action: &'static str, reason: String },
}

/// So that a service whose start-up returns `Result<_, DbErr>` can `?` a start-up migrator's
/// call, as it would sea-orm-migration's.
impl From<MigrateError> for DbErr {
    fn from(e: MigrateError) -> DbErr {
        DbErr::Migration(e.to_string())
    }
}

impl Migrator {
    pub fn new(domain: &'static str, migrations: Vec<Migration>) -> Self {
        Migrator { domain, migrations, concurrent_indexes: false }
    }

    /// Asks migrations that offer it to build and drop their indexes with PostgreSQL's
    /// `CONCURRENTLY`, outside a transaction, so that a large live table is not locked against
    /// writes (`seedbed migrate … --concurrently`); off by default.
    pub fn with_concurrent_indexes(mut self, on: bool) -> Self {
        self.concurrent_indexes = on;
        self
    }

    /// Runs a migration's `up` or `down` with this migrator's options in scope.
    pub(crate) async fn apply(
        &self,
        m: &Migration,
        dir: Direction,
        manager: &SchemaManager<'_>,
    ) -> Result<(), DbErr> {
        let work = async {
            match dir {
                Direction::Up => m.inner.up(manager).await,
                Direction::Down => m.inner.down(manager).await,
            }
        };
        crate::ddl::with_concurrent_index_builds(self.concurrent_indexes, work).await
    }

    /// Whether `m` runs in a transaction on `backend` under this migrator's options.
    pub(crate) fn transactional(&self, m: &Migration, backend: DbBackend) -> bool {
        let wanted = crate::ddl::with_concurrent_index_builds_sync(self.concurrent_indexes, || {
            m.inner.use_transaction()
        });
        backend != DbBackend::MySql && wanted != Some(false)
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
    /// Refuses (with [`MigrateError::FreshInterrupted`]) a namespace whose `fresh` was
    /// interrupted: no row of its history can be trusted.
    pub async fn status(&self, db: &DatabaseConnection) -> Result<Vec<MigrationStatus>, MigrateError> {
        self.refuse_interrupted_fresh(db).await?;
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
    /// records, interrupted migrations and an interrupted `fresh`. Empty when the history can
    /// be trusted. A started row counts as interrupted: call this while holding the domain's
    /// lock, or having found it free.
    pub async fn verify(&self, db: &DatabaseConnection) -> Result<Vec<Finding>, MigrateError> {
        let domain = self.domain.to_owned();
        let mut findings = Vec::new();
        let status = match self.status(db).await {
            Err(MigrateError::FreshInterrupted { domain, at }) => {
                return Ok(vec![Finding::FreshInterrupted { domain, at }]);
            }
            other => other?,
        };
        for s in status {
            let version = s.version.clone();
            match (&s.state, &s.checksum) {
                (State::Started { .. }, _) => {
                    let progress = self.progress(db, &version).await?;
                    findings.push(Finding::Interrupted {
                        domain: domain.clone(),
                        version,
                        holder: s.state.holder(),
                        progress,
                    })
                }
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

    /// The versions `up` would apply, oldest first; only reads, and refuses what `up` would.
    pub async fn pending(&self, db: &DatabaseConnection) -> Result<Vec<String>, MigrateError> {
        let applied = self.applied_known(db, false).await?;
        Ok(self.versions().into_iter().filter(|v| !applied.contains_key(v)).collect())
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
    /// It works even when the history is unknown, broken or interrupted, which is what it is
    /// for. It refuses, dropping nothing, when an object outside the namespace depends on
    /// one inside (a view or foreign key in another schema or database): other namespaces are
    /// never touched. Where DDL is transactional the emptying commits whole; on MariaDB a
    /// marker in the history says a `fresh` is under way until the last drop is done.
    pub async fn fresh(&self, db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
        self.refuse_outside_dependents(db).await?;
        empty_namespace(db).await.map_err(|e| self.db_err(e))?;
        self.up(db, None).await
    }

    /// Refuses, naming each, when objects outside the namespace depend on it.
    pub(crate) async fn refuse_outside_dependents(
        &self,
        db: &DatabaseConnection,
    ) -> Result<(), MigrateError> {
        let outside = external_dependents(db).await.map_err(|e| self.db_err(e))?;
        if outside.is_empty() {
            return Ok(());
        }
        Err(MigrateError::FreshBlocked {
            domain: self.domain.to_owned(),
            namespace: namespace_name(db).await.map_err(|e| self.db_err(e))?,
            objects: outside.join("; "),
        })
    }

    async fn refuse_interrupted_fresh(&self, db: &DatabaseConnection) -> Result<(), MigrateError> {
        if let Some(at) = fresh_marker(db).await.map_err(|e| self.db_err(e))? {
            return Err(MigrateError::FreshInterrupted {
                domain: self.domain.to_owned(),
                at: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            });
        }
        Ok(())
    }

    /// The history, oldest version first; empty when there is no history table yet. Only reads.
    pub async fn history(&self, db: &DatabaseConnection) -> Result<Vec<HistoryRow>, MigrateError> {
        if !history_exists(db).await.map_err(|e| self.db_err(e))? {
            return Ok(Vec::new());
        }
        read_history(db).await.map_err(|e| self.db_err(e))
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
        self.refuse_interrupted_fresh(db).await?;
        let applied: BTreeMap<String, HistoryRow> =
            self.history(db).await?.into_iter().map(|r| (r.version.clone(), r)).collect();
        if let Some(row) = applied.values().find(|r| is_started(r)) {
            let state = row_state(row.clone());
            return Err(MigrateError::Interrupted {
                domain: self.domain.to_owned(),
                version: row.version.clone(),
                holder: state.holder(),
                progress: self.progress(db, &row.version).await?,
            });
        }
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
    /// Outside a transaction its row is written as started before its first statement, so a
    /// kill part-way leaves evidence; a failure is recorded too, since part of it may have
    /// applied.
    async fn run(
        &self,
        db: &DatabaseConnection,
        m: &Migration,
        dir: Direction,
    ) -> Result<Step, MigrateError> {
        let started = Instant::now();
        let backend = db.get_database_backend();
        let transactional = self.transactional(m, backend);
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
        let db = &pause_hook(db, m.version());

        if !transactional {
            let before = Snapshot::read(db).await.map_err(|e| self.db_err(e))?.without(HISTORY_TABLE);
            let keys = crate::interrupted::object_keys(&before).into_iter().collect::<Vec<_>>().join("\n");
            record(db, m, Outcome::Started { dir, before: &keys }, started)
                .await
                .map_err(|e| self.db_err(e))?;
            let before: BTreeSet<String> = before.tables.into_keys().collect();
            let result = self.apply(m, dir, &SchemaManager::new(db)).await;
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
            // Invisible to others until commit, like everything else the migration does.
            record(&txn, m, Outcome::Started { dir, before: "" }, started).await?;
            self.apply(m, dir, &SchemaManager::new(&txn)).await?;
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

/// A test hook, compiled into debug builds only: with `SEEDBED_TEST_PAUSE=<version>@<n>`,
/// the process stops for good after the `n`th statement of that migration (saying so on
/// stderr), so that a test can kill it between two statements.
#[cfg(debug_assertions)]
fn pause_hook(db: &DatabaseConnection, version: &str) -> DatabaseConnection {
    let mut db = db.clone();
    let Some((v, n)) = std::env::var("SEEDBED_TEST_PAUSE").ok().and_then(|spec| {
        let (v, n) = spec.split_once('@')?;
        Some((v.to_owned(), n.parse::<usize>().ok()?))
    }) else {
        return db;
    };
    if v != version {
        return db;
    }
    let count = std::sync::atomic::AtomicUsize::new(0);
    db.set_metric_callback(move |info| {
        let sql = info.statement.to_string();
        let first = sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        // Only the migration's own statements count, not the history's or the catalogue reads.
        if info.failed
            || sql.contains(HISTORY_TABLE)
            || matches!(first.as_str(), "SELECT" | "PRAGMA" | "SHOW" | "BEGIN" | "COMMIT")
        {
            return;
        }
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == n {
            eprintln!("seedbed test hook: paused after statement {n} of {v}");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    });
    db
}

#[cfg(not(debug_assertions))]
fn pause_hook(db: &DatabaseConnection, _version: &str) -> DatabaseConnection {
    db.clone()
}

fn is_started(row: &HistoryRow) -> bool {
    matches!(row.outcome.as_str(), "started" | "reverting")
}

fn row_state(row: HistoryRow) -> State {
    if is_started(&row) {
        return State::Started {
            at: row.applied_at,
            pid: row.pid,
            host: row.host,
            reverting: row.outcome == "reverting",
        };
    }
    match row.error {
        Some(error) => State::Failed { at: row.applied_at, error },
        None => State::Applied { at: row.applied_at, millis: row.execution_ms, checksum: row.checksum },
    }
}

/// Where a run of a migration stands, as the history records it.
pub(crate) enum Outcome<'a> {
    /// Before its first statement; `before` lists the namespace's objects then.
    Started {
        dir: Direction,
        before: &'a str,
    },
    Done(Direction),
    Failed {
        dir: Direction,
        error: &'a str,
    },
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

/// The history table's columns beyond the first release's, added to an older table.
const LATER_COLUMNS: [(&str, &str); 3] =
    [("pid", "BIGINT"), ("host", "VARCHAR(255)"), ("before_objects", "TEXT")];

pub(crate) async fn ensure_history(db: &impl ConnectionTrait) -> Result<(), DbErr> {
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
        .col(col("pid").big_integer().null())
        .col(col("host").string_len(255).null())
        .col(col("before_objects").text().null())
        .to_owned();
    db.execute(&stmt).await?;
    let have = history_columns(db).await?;
    let backend = db.get_database_backend();
    for (name, ty) in LATER_COLUMNS.iter().filter(|(name, _)| !have.contains(*name)) {
        exec_conn(
            db,
            &format!(
                "ALTER TABLE {} ADD COLUMN {} {ty} NULL",
                quote(backend, HISTORY_TABLE),
                quote(backend, name)
            ),
        )
        .await?;
    }
    Ok(())
}

/// The history table's column names, from the catalogue.
async fn history_columns(db: &impl ConnectionTrait) -> Result<BTreeSet<String>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => format!("SELECT name FROM pragma_table_info('{HISTORY_TABLE}')"),
        DbBackend::Postgres => format!(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{HISTORY_TABLE}'"
        ),
        _ => format!(
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{HISTORY_TABLE}'"
        ),
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect()
}

/// Every row of the history but `fresh`'s marker, oldest version first. Reads the columns a
/// history table of an older build lacks as empty.
pub(crate) async fn read_history(db: &impl ConnectionTrait) -> Result<Vec<HistoryRow>, DbErr> {
    let have = history_columns(db).await?;
    let wanted = [
        "version",
        "applied_at",
        "execution_ms",
        "checksum",
        "error",
        "outcome",
        "pid",
        "host",
        "before_objects",
    ];
    let mut stmt = Query::select();
    for c in wanted {
        if have.contains(c) {
            stmt.column(Alias::new(c));
        } else {
            stmt.expr_as(Expr::cust("NULL"), Alias::new(c));
        }
    }
    let stmt = stmt
        .from(Alias::new(HISTORY_TABLE))
        .and_where(Expr::col(Alias::new("version")).ne(FRESH_MARKER))
        .order_by(Alias::new("version"), Order::Asc)
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryRow {
                version: r.try_get_by_index(0)?,
                applied_at: r.try_get_by_index(1)?,
                execution_ms: r.try_get_by_index(2)?,
                checksum: r.try_get_by_index(3)?,
                error: r.try_get_by_index(4)?,
                outcome: r.try_get_by_index::<Option<String>>(5)?.unwrap_or_else(|| "applied".into()),
                pid: r.try_get_by_index(6)?,
                host: r.try_get_by_index(7)?,
                before: r.try_get_by_index(8)?,
            })
        })
        .collect()
}

/// When a `fresh` was interrupted: the time its marker was written.
async fn fresh_marker(db: &impl ConnectionTrait) -> Result<Option<DateTimeUtc>, DbErr> {
    if !history_exists(db).await? {
        return Ok(None);
    }
    let stmt = Query::select()
        .column(Alias::new("applied_at"))
        .from(Alias::new(HISTORY_TABLE))
        .and_where(Expr::col(Alias::new("version")).eq(FRESH_MARKER))
        .to_owned();
    db.query_one(&stmt).await?.map(|r| r.try_get_by_index(0)).transpose()
}

/// This process's id and host name, written into a started row for whoever reads it.
fn holder() -> (i64, String) {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".into());
    (i64::from(std::process::id()), host)
}

fn now_secs() -> DateTimeUtc {
    // Whole seconds: MariaDB's TIMESTAMP keeps no fraction, and status should read the
    // same on every backend.
    DateTimeUtc::from_timestamp(chrono_now_secs(), 0).expect("a valid time")
}

pub(crate) async fn record(
    db: &impl ConnectionTrait,
    m: &Migration,
    outcome: Outcome<'_>,
    started: Instant,
) -> Result<(), DbErr> {
    let col = |c: &str| Alias::new(c);
    let this = || Expr::col(col("version")).eq(m.version());
    let now = now_secs();
    let millis = started.elapsed().as_millis() as i64;
    let (pid, host) = holder();
    let update = |outcome: &str| {
        Query::update()
            .table(col(HISTORY_TABLE))
            .value(col("outcome"), outcome)
            .value(col("applied_at"), now)
            .and_where(this())
            .to_owned()
    };
    let stmt = match outcome {
        Outcome::Started { dir: Direction::Up, before } => Query::insert()
            .into_table(col(HISTORY_TABLE))
            .columns(
                [
                    "version",
                    "name",
                    "applied_at",
                    "execution_ms",
                    "checksum",
                    "outcome",
                    "pid",
                    "host",
                    "before_objects",
                ]
                .map(col),
            )
            .values_panic([
                m.version().into(),
                description(m.version()).into(),
                now.into(),
                0i64.into(),
                m.checksum().into(),
                "started".into(),
                pid.into(),
                host.into(),
                before.into(),
            ])
            .to_owned()
            .into(),
        Outcome::Started { dir: Direction::Down, before } => update("reverting")
            .value(col("pid"), pid)
            .value(col("host"), host)
            .value(col("before_objects"), before)
            .to_owned()
            .into(),
        Outcome::Done(Direction::Up) => update("applied")
            .value(col("execution_ms"), millis)
            .value(col("error"), Option::<String>::None)
            .to_owned()
            .into(),
        Outcome::Done(Direction::Down) => StatementOrDelete::Delete(
            Query::delete().from_table(col(HISTORY_TABLE)).and_where(this()).to_owned(),
        ),
        Outcome::Failed { dir: Direction::Up, error } => {
            update("failed").value(col("error"), error).value(col("execution_ms"), millis).to_owned().into()
        }
        Outcome::Failed { dir: Direction::Down, error } => {
            update("failed").value(col("error"), format!("while reverting: {error}")).to_owned().into()
        }
    };
    match stmt {
        StatementOrDelete::Insert(s) => db.execute(&s).await,
        StatementOrDelete::Update(s) => db.execute(&s).await,
        StatementOrDelete::Delete(s) => db.execute(&s).await,
    }
    .map(|_| ())
}

enum StatementOrDelete {
    Insert(InsertStatement),
    Update(UpdateStatement),
    Delete(DeleteStatement),
}

impl From<InsertStatement> for StatementOrDelete {
    fn from(s: InsertStatement) -> Self {
        StatementOrDelete::Insert(s)
    }
}

impl From<UpdateStatement> for StatementOrDelete {
    fn from(s: UpdateStatement) -> Self {
        StatementOrDelete::Update(s)
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

/// Empties the namespace for `fresh`: every view and table but the history, then the
/// history's rows. PostgreSQL and SQLite do it in one transaction, so a kill leaves the
/// namespace as it was or empty. MariaDB commits each DROP at once, so a marker row goes in
/// first and out last: a kill in between leaves the marker for the next command to report.
async fn empty_namespace(db: &DatabaseConnection) -> Result<(), DbErr> {
    let db = &pause_hook(db, "fresh");
    let backend = db.get_database_backend();
    ensure_history(db).await?;
    let statements = drop_statements(db).await?;
    let clear = Query::delete().from_table(Alias::new(HISTORY_TABLE)).to_owned();
    if backend == DbBackend::MySql {
        let marker = Query::insert()
            .into_table(Alias::new(HISTORY_TABLE))
            .columns(["version", "name", "applied_at", "execution_ms", "checksum", "outcome"].map(Alias::new))
            .values_panic([
                FRESH_MARKER.into(),
                "fresh".into(),
                now_secs().into(),
                0i64.into(),
                "".into(),
                "fresh".into(),
            ])
            .to_owned();
        let remove_marker = Query::delete()
            .from_table(Alias::new(HISTORY_TABLE))
            .and_where(Expr::col(Alias::new("version")).eq(FRESH_MARKER))
            .to_owned();
        db.execute(&remove_marker).await?;
        db.execute(&marker).await?;
        for sql in statements {
            exec_conn(db, &sql).await?;
        }
        // One statement: the marker goes with the rest of the history.
        return db.execute(&clear).await.map(|_| ());
    }
    if backend == DbBackend::Sqlite {
        exec_conn(db, "PRAGMA foreign_keys = OFF").await?;
    }
    let result = async {
        let txn = db.begin().await?;
        for sql in statements {
            exec_conn(&txn, &sql).await?;
        }
        txn.execute(&clear).await?;
        txn.commit().await
    }
    .await;
    if backend == DbBackend::Sqlite {
        exec_conn(db, "PRAGMA foreign_keys = ON").await?;
    }
    result
}

/// The statements that empty the namespace but for the history table: every view, then
/// every table, never with CASCADE, so that a dependent outside the namespace makes a drop
/// fail rather than vanish with it. PostgreSQL drops all views, then all tables, each in one
/// statement (which takes care of foreign keys between them, cycles included); the others
/// drop one at a time, children before parents.
pub(crate) async fn drop_statements(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let snapshot = Snapshot::read(db).await?.without(HISTORY_TABLE);
    let q = |name: &str| quote(backend, name);
    let views: Vec<String> =
        snapshot.tables.iter().filter(|(_, t)| t.kind == Kind::View).map(|(name, _)| q(name)).collect();
    let mut tables = Vec::new();
    let mut remaining: BTreeMap<&String, BTreeSet<&String>> = snapshot
        .base_tables()
        .map(|(name, t)| {
            let parents = t.foreign_keys.iter().map(|fk| &fk.ref_table).filter(|p| *p != name).collect();
            (name, parents)
        })
        .collect();
    while !remaining.is_empty() {
        // A table nobody else references can go; with a cycle, a forced pick keeps this
        // finite (MariaDB and SQLite then need the cycle broken by hand; none of seedbed's
        // domains has one).
        let referenced: BTreeSet<&String> = remaining.values().flatten().copied().collect();
        let next = remaining
            .keys()
            .find(|t| !referenced.contains(*t))
            .copied()
            .unwrap_or_else(|| *remaining.keys().next().expect("not empty"));
        remaining.remove(next);
        tables.push(q(next));
    }
    // A chunked seeding's progress describes the data being dropped: it goes with it, or the
    // emptied domain would still read as incomplete.
    if seedbed_core::introspect::table_exists(db, seedbed_core::SEED_STATE_TABLE).await? {
        tables.push(q(seedbed_core::SEED_STATE_TABLE));
    }
    // A killed bulk load's list of paused tables names tables that are going.
    if seedbed_core::introspect::table_exists(db, seedbed_core::PAUSED_STATS_TABLE).await? {
        tables.push(q(seedbed_core::PAUSED_STATS_TABLE));
    }
    let mut out = Vec::new();
    if backend == DbBackend::Postgres {
        if !views.is_empty() {
            out.push(format!("DROP VIEW {}", views.join(", ")));
        }
        if !tables.is_empty() {
            out.push(format!("DROP TABLE {}", tables.join(", ")));
        }
        return Ok(out);
    }
    out.extend(views.iter().map(|v| format!("DROP VIEW {v}")));
    out.extend(tables.iter().map(|t| format!("DROP TABLE {t}")));
    Ok(out)
}

/// The namespace's own name: the schema (PostgreSQL), the database (MariaDB), `main` (SQLite).
async fn namespace_name(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT current_schema()::text",
        DbBackend::MySql => "SELECT CAST(DATABASE() AS CHAR)",
        _ => return Ok("the database file".into()),
    };
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    Ok(row.map(|r| r.try_get_by_index::<String>(0)).transpose()?.unwrap_or_default())
}

/// Objects outside the namespace that depend on something inside it, one line each naming
/// the object and what it depends on: views and foreign keys in other schemas (PostgreSQL,
/// from `pg_depend` and `pg_constraint`); foreign keys and views in other databases
/// (MariaDB, from information_schema). A SQLite domain is a file of its own: none.
pub(crate) async fn external_dependents(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT DISTINCT format('%s %I.%I (on %I)', CASE vc.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END, vn.nspname, vc.relname, c.relname) \
             FROM pg_depend d \
             JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid \
             JOIN pg_class vc ON vc.oid = r.ev_class \
             JOIN pg_namespace vn ON vn.oid = vc.relnamespace \
             JOIN pg_class c ON d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND vn.nspname <> current_schema() \
             UNION \
             SELECT format('foreign key %I on %I.%I (on %I)', con.conname, cn.nspname, cc.relname, c.relname) \
             FROM pg_constraint con \
             JOIN pg_class cc ON cc.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace \
             JOIN pg_class c ON c.oid = con.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE con.contype = 'f' AND n.nspname = current_schema() AND cn.nspname <> current_schema() \
             ORDER BY 1"
        }
        DbBackend::MySql => {
            "SELECT CAST(CONCAT('foreign key ', CONSTRAINT_NAME, ' on ', CONSTRAINT_SCHEMA, '.', TABLE_NAME, ' (on ', REFERENCED_TABLE_NAME, ')') AS CHAR) \
             FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE UNIQUE_CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_SCHEMA <> DATABASE() \
             UNION \
             SELECT CAST(CONCAT('view ', TABLE_SCHEMA, '.', TABLE_NAME) AS CHAR) \
             FROM information_schema.VIEWS \
             WHERE TABLE_SCHEMA <> DATABASE() AND VIEW_DEFINITION LIKE CONCAT('%`', REPLACE(REPLACE(DATABASE(), '_', '\\\\_'), '%', '\\\\%'), '`.%') \
             ORDER BY 1"
        }
        _ => return Ok(Vec::new()),
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect()
}
