//! Dry runs (the SQL a migrate command would run, in order, without changing the database)
//! and drift (how the live schema differs from what its applied migrations produce).
//!
//! A migration is Rust, not a SQL file, and some of its statements depend on what it reads
//! (SQLite table rebuilds read the stored definition, MariaDB index fix-ups read the
//! catalogue). So a dry run replays the database's applied migrations into a scratch
//! namespace, then runs the command's migrations there while SeaORM's per-connection
//! statement callback records every statement that is not a read. The live namespace is
//! only read; the scratch namespace is the caller's to drop.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseConnection, DbBackend};
use seedbed_core::driver_message;

use seedbed_core::introspect::Snapshot;

use crate::ddl::quote;
use crate::runner::{Direction, drop_statements, exec_conn};
use crate::{HISTORY_TABLE, HistoryRow, MigrateError, Migration, Migrator};

/// The commands a dry run can stand in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Up(Option<u32>),
    Down(u32),
    Reset,
    Refresh,
    Fresh,
}

/// One step of a dry run: a migration's statements, or the drops `fresh` starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    /// `up`, `down`, or `drop` (for `fresh`'s emptying of the namespace).
    pub action: &'static str,
    /// The migration's version; for `drop`, the namespace's objects.
    pub version: String,
    pub statements: Vec<String>,
}

/// Statements recorded while a migration runs in the scratch namespace; `None` between
/// recordings.
pub(crate) type Log = Arc<Mutex<Option<Vec<String>>>>;

/// Makes `scratch` record every statement that is not a read into the returned log, while
/// the log is `Some`.
pub(crate) fn recording(scratch: &mut DatabaseConnection) -> Log {
    let log: Log = Arc::default();
    let sink = log.clone();
    scratch.set_metric_callback(move |info| {
        let mut log = sink.lock().expect("the statement log");
        if let Some(statements) = log.as_mut() {
            let sql = info.statement.to_string();
            if !info.failed && !is_read(&sql) {
                statements.push(sql);
            }
        }
    });
    log
}

/// Whether a statement only reads: those are how a migration looks, not what it does.
fn is_read(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
    matches!(first.as_str(), "SELECT" | "WITH" | "PRAGMA" | "SHOW" | "EXPLAIN")
}

impl Migrator {
    /// The SQL `plan` would run against `live` (`None`: a namespace that does not exist
    /// yet), worked out in `scratch`, an empty namespace on the same backend. Refuses what
    /// the command itself would refuse.
    pub async fn dry_run(
        &self,
        live: Option<&DatabaseConnection>,
        mut scratch: DatabaseConnection,
        plan: Plan,
    ) -> Result<Vec<PlannedStep>, MigrateError> {
        let log = recording(&mut scratch);
        let scratch = &scratch;
        let mut steps = Vec::new();
        if plan == Plan::Fresh {
            if let Some(live) = live {
                self.refuse_outside_dependents(live).await?;
            }
            self.replay_applied(None, scratch).await?;
            let drops = match live {
                Some(live) => {
                    let mut drops = drop_statements(live).await.map_err(|e| self.db_err(e))?;
                    // The history's rows go in the same transaction (after a marker, on MariaDB).
                    drops.push(format!("DELETE FROM {}", quote(live.get_database_backend(), HISTORY_TABLE)));
                    drops
                }
                None => Vec::new(),
            };
            if !drops.is_empty() {
                steps.push(PlannedStep {
                    action: "drop",
                    version: "everything in the namespace".into(),
                    statements: drops,
                });
            }
            for m in &self.migrations {
                steps.push(self.record(scratch, &log, m, Direction::Up).await?);
            }
            return Ok(steps);
        }

        let applied = self.replay_applied(live, scratch).await?;
        let applied_newest_first =
            || self.migrations.iter().rev().filter(|m| applied.contains_key(m.version()));
        let pending = || self.migrations.iter().filter(|m| !applied.contains_key(m.version()));
        match plan {
            Plan::Up(n) => {
                let take = n.map_or(usize::MAX, |n| n as usize);
                for m in pending().take(take) {
                    steps.push(self.record(scratch, &log, m, Direction::Up).await?);
                }
            }
            Plan::Down(n) => {
                if n as usize > applied.len() {
                    return Err(MigrateError::TooManySteps {
                        domain: self.domain.to_owned(),
                        requested: n,
                        applied: applied.len(),
                    });
                }
                for m in applied_newest_first().take(n as usize) {
                    steps.push(self.record(scratch, &log, m, Direction::Down).await?);
                }
            }
            Plan::Reset | Plan::Refresh => {
                for m in applied_newest_first() {
                    steps.push(self.record(scratch, &log, m, Direction::Down).await?);
                }
                if plan == Plan::Refresh {
                    for m in &self.migrations {
                        steps.push(self.record(scratch, &log, m, Direction::Up).await?);
                    }
                }
            }
            Plan::Fresh => unreachable!("handled above"),
        }
        Ok(steps)
    }

    /// The statements `version`'s up and then its down run on this backend, worked out in
    /// `scratch` (an empty namespace on the same backend) after the migrations before it:
    /// what `seedbed migrate info` shows. `None` when this migrator has no such version.
    pub async fn statements_of(
        &self,
        version: &str,
        mut scratch: DatabaseConnection,
    ) -> Result<Option<[PlannedStep; 2]>, MigrateError> {
        let Some(at) = self.migrations.iter().position(|m| m.version() == version) else {
            return Ok(None);
        };
        let log = recording(&mut scratch);
        let earlier: BTreeSet<String> =
            self.migrations[..at].iter().map(|m| m.version().to_owned()).collect();
        self.replay_versions(&earlier, &scratch).await?;
        let m = &self.migrations[at];
        let up = self.record(&scratch, &log, m, Direction::Up).await?;
        let down = self.record(&scratch, &log, m, Direction::Down).await?;
        Ok(Some([up, down]))
    }

    /// Each difference between the live schema and the one its applied migrations produce
    /// (worked out in `scratch`, an empty namespace on the same backend), one line each:
    /// tables, columns, types, nullability, defaults, comments, indexes, keys and checks
    /// added, missing or changed by hand. The history table itself is left out.
    pub async fn drift(
        &self,
        live: &DatabaseConnection,
        scratch: &DatabaseConnection,
    ) -> Result<Vec<String>, MigrateError> {
        self.replay_applied(Some(live), scratch).await?;
        let read = |db| async move {
            Snapshot::read(db).await.map(|s| s.without(HISTORY_TABLE)).map_err(|e| self.db_err(e))
        };
        let expected = read(scratch).await?;
        let actual = read(live).await?;
        Ok(expected.diff(&actual))
    }

    /// Brings `scratch` to what `live`'s applied migrations produce (leaves it empty for
    /// `None`), with SQLite's foreign keys off as the runner has them around a migration,
    /// and returns `live`'s history. Refuses a history the real command would refuse.
    async fn replay_applied(
        &self,
        live: Option<&DatabaseConnection>,
        scratch: &DatabaseConnection,
    ) -> Result<BTreeMap<String, HistoryRow>, MigrateError> {
        if scratch.get_database_backend() == DbBackend::Sqlite {
            exec_conn(scratch, "PRAGMA foreign_keys = OFF").await.map_err(|e| self.db_err(e))?;
        }
        let Some(live) = live else { return Ok(BTreeMap::new()) };
        let applied = self.applied_known(live, false).await?;
        self.replay_versions(&applied.keys().cloned().collect(), scratch).await?;
        Ok(applied)
    }

    /// Applies the migrations named in `versions` to `scratch`, in order, recording nothing.
    pub(crate) async fn replay_versions(
        &self,
        versions: &BTreeSet<String>,
        scratch: &DatabaseConnection,
    ) -> Result<(), MigrateError> {
        if scratch.get_database_backend() == DbBackend::Sqlite {
            exec_conn(scratch, "PRAGMA foreign_keys = OFF").await.map_err(|e| self.db_err(e))?;
        }
        for m in self.migrations.iter().filter(|m| versions.contains(m.version())) {
            self.apply(m, Direction::Up, &SchemaManager::new(scratch))
                .await
                .map_err(|e| self.dry_failed(m, e))?;
        }
        Ok(())
    }

    pub(crate) async fn record(
        &self,
        scratch: &DatabaseConnection,
        log: &Log,
        m: &Migration,
        dir: Direction,
    ) -> Result<PlannedStep, MigrateError> {
        *log.lock().expect("the statement log") = Some(Vec::new());
        let result = self.apply(m, dir, &SchemaManager::new(scratch)).await;
        let statements = log.lock().expect("the statement log").take().unwrap_or_default();
        result.map_err(|e| self.dry_failed(m, e))?;
        let action = match dir {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        Ok(PlannedStep { action, version: m.version().to_owned(), statements })
    }

    fn dry_failed(&self, m: &Migration, e: DbErr) -> MigrateError {
        MigrateError::Failed {
            domain: self.domain.to_owned(),
            version: m.version().to_owned(),
            detail: driver_message(&e),
            aftermath: "it failed in the dry run's scratch namespace, and nothing was changed".into(),
        }
    }
}
