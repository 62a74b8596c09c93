//! A rehearsal of the pending migrations on a copy of a domain (`seedbed migrate rehearse`):
//! each one's time, and which existing tables it rewrote.
//!
//! A rewrite is what makes a migration slow and locking on a big table, so it is what a team
//! wants to know before it ships a backfill. It is read from each table's physical identity
//! before and after the migration: PostgreSQL's `pg_class.relfilenode` (a new file means the
//! table was rewritten: `ALTER COLUMN … TYPE`, a volatile default, `VACUUM FULL`), SQLite's
//! `sqlite_master.rootpage` (a new b-tree means the table was rebuilt, which is how SQLite
//! alters constraints and columns), MariaDB's InnoDB `TABLE_ID` (a copying or rebuilding
//! `ALTER TABLE` makes a new table; an instant or in-place one that keeps the rows keeps its
//! id). A table that is new, or dropped, is not counted as rewritten. Row-by-row `UPDATE`
//! backfills rewrite rows, not tables: they show in the time only.

use std::collections::BTreeMap;
use std::time::Instant;

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::{HISTORY_TABLE, MigrateError, Migrator};

/// What one pending migration did in the rehearsal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rehearsed {
    pub version: String,
    pub millis: u128,
    /// The tables that existed before it and were rewritten by it; `None` when the server
    /// would not say (MariaDB without the privilege to read InnoDB's dictionary).
    pub rewritten: Option<Vec<String>>,
    /// Why it failed; the rehearsal stops at the first failure.
    pub error: Option<String>,
}

impl Migrator {
    /// Applies the pending migrations to `db` (a copy: nobody else's data) one by one,
    /// timing each and telling which tables it rewrote. Stops at the first failure, which is
    /// the last entry; refuses a history `up` would refuse.
    pub async fn rehearse(&self, db: &DatabaseConnection) -> Result<Vec<Rehearsed>, MigrateError> {
        let mut out = Vec::new();
        for version in self.pending(db).await? {
            let before = identities(db).await.ok();
            let started = Instant::now();
            let result = self.up(db, Some(1)).await;
            let millis = started.elapsed().as_millis();
            let error = result.err().map(|e| e.to_string());
            let after = identities(db).await.ok();
            let rewritten = match (before, after) {
                (Some(before), Some(after)) => Some(
                    before
                        .iter()
                        .filter(|(table, id)| after.get(*table).is_some_and(|now| now != *id))
                        .map(|(table, _)| table.clone())
                        .collect(),
                ),
                _ => None,
            };
            let failed = error.is_some();
            out.push(Rehearsed { version, millis, rewritten, error });
            if failed {
                break;
            }
        }
        Ok(out)
    }
}

/// Each base table of the namespace (the history's aside) and its physical identity.
pub async fn identities(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<String, i64>, sea_orm_migration::DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT c.relname::text, c.relfilenode::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        }
        DbBackend::MySql => {
            "SELECT CAST(SUBSTRING_INDEX(NAME, '/', -1) AS CHAR), CAST(TABLE_ID AS SIGNED) \
             FROM information_schema.INNODB_SYS_TABLES WHERE NAME LIKE CONCAT(DATABASE(), '/%')"
        }
        _ => "SELECT name, rootpage FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        if name != HISTORY_TABLE {
            out.insert(name, row.try_get_by_index(1)?);
        }
    }
    Ok(out)
}
