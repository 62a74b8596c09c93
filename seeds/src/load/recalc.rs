//! InnoDB's background statistics recalculation, switched off for a MariaDB/MySQL bulk load's
//! tables and back on after, and the repair of a load that was killed in between.
//!
//! Why: while a statement bulk-inserts into an empty InnoDB table (the staged path's
//! `INSERT … SELECT`), MariaDB's statistics task keeps reopening that table (`perf` shows it
//! opening a table by id and taking its metadata lock over and over: a table that grows by a
//! tenth is queued for a recalculation, and one being bulk-loaded, it seems, never stops
//! qualifying), and so burns a core for as long as the statement runs: raffle's `transactions` at
//! `large` moved in 8.1 s beside 9.1 s of CPU of that task, in 7.1 s and none with it off. On
//! two cores shared by three domains' loads that core is taken from the loads (all three
//! domains at `large`: 110 s against 91 s; docs/performance.md). The seeding ends with its
//! own `ANALYZE TABLE` ([`crate::stats`]), so nothing of value is lost.
//!
//! How: `ALTER TABLE … STATS_AUTO_RECALC = 0` (a change of the table's options only: instant)
//! on every table that does not set the option itself, before the seeding's transaction
//! begins (DDL commits), and `= DEFAULT` again after it ends, committed or rolled back. The
//! names go into [`PAUSED_STATS_TABLE`] *before* the switch, so that whatever kills the
//! seeding, that table lists every table that may be left switched off; it is dropped once
//! all are back. A command that changes the domain under its exclusive lock puts back what
//! it finds listed ([`resume`]), and a reading one reports it ([`paused`]). Every switch
//! waits at most [`LOCK_WAIT`] seconds for the table's metadata lock. Not on Galera.

use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use seedbed_core::PAUSED_STATS_TABLE;
use seedbed_core::introspect::table_exists;

/// `CREATE TABLE` of the list.
pub(crate) fn create_sql() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS `{PAUSED_STATS_TABLE}` (table_name VARCHAR(64) NOT NULL PRIMARY KEY) ENGINE=InnoDB"
    )
}

/// The domain's InnoDB tables whose statistics recalculation follows the server's setting:
/// a table that sets `STATS_AUTO_RECALC` itself (a migration's choice) is left alone, and so
/// is seedbed's own bookkeeping.
pub(crate) const DEFAULT_RECALC_SQL: &str = "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND ENGINE = 'InnoDB' \
     AND LEFT(TABLE_NAME, 8) <> 'seedbed_' \
     AND LOCATE('stats_auto_recalc', LOWER(COALESCE(CREATE_OPTIONS, ''))) = 0";

/// How long (seconds) a switch waits for a table's metadata lock, which any open
/// transaction that touched the table holds: the server's default is a day (MariaDB) or a
/// year (MySQL).
pub const LOCK_WAIT: u32 = 5;

/// `ER_LOCK_WAIT_TIMEOUT`.
pub(crate) const ER_LOCK_WAIT_TIMEOUT: u16 = 1205;

/// Bounds the session's waits for metadata locks to [`LOCK_WAIT`].
pub(crate) fn bounded_sql() -> String {
    format!("SET SESSION lock_wait_timeout = {LOCK_WAIT}")
}

/// The statement that lists a table (its name the parameter), before it is switched off.
pub(crate) fn list_sql() -> String {
    format!("INSERT IGNORE INTO `{PAUSED_STATS_TABLE}` (table_name) VALUES (?)")
}

/// The statement that takes a table (its name the parameter) off the list.
pub(crate) fn unlist_sql() -> String {
    format!("DELETE FROM `{PAUSED_STATS_TABLE}` WHERE table_name = ?")
}

/// Switches `table`'s recalculation off (`off`) or back to the server's setting.
pub(crate) fn alter_sql(table: &str, off: bool) -> String {
    let value = if off { "0" } else { "DEFAULT" };
    format!("ALTER TABLE `{}` STATS_AUTO_RECALC = {value}", table.replace('`', "``"))
}

/// The listed tables.
pub(crate) fn listed_sql() -> String {
    format!("SELECT table_name FROM `{PAUSED_STATS_TABLE}` ORDER BY table_name")
}

/// Drops the list, once every table on it is back.
pub(crate) fn drop_sql() -> String {
    format!("DROP TABLE IF EXISTS `{PAUSED_STATS_TABLE}`")
}

/// The tables that a killed bulk load left with their statistics recalculation switched off,
/// in the database `db` is connected to; empty where there are none, or on another backend.
/// Only reads: creates nothing.
pub async fn paused(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    match has_list(db).await? {
        true => listed(db).await,
        false => Ok(Vec::new()),
    }
}

/// What [`resume`] found and did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resumed {
    /// Tables switched back on.
    pub back: Vec<String>,
    /// Tables still switched off: another session held the table's metadata lock past
    /// [`LOCK_WAIT`] seconds. They stay listed, for the next writing command.
    pub left: Vec<String>,
}

/// Switches back on what a killed bulk load left switched off and drops its list (all of it
/// back), on a connection of its own whose waits for a table's metadata lock are bounded.
/// For a command that changes the domain, under its exclusive lock: no seeding of the domain
/// can be under way (a shard's does, beside the others': not for a shard).
pub async fn resume(db: &DatabaseConnection) -> Result<Resumed, DbErr> {
    if !has_list(db).await? {
        return Ok(Resumed::default());
    }
    let tables = listed(db).await?;
    // Detached: its bounded waits never go back to the pool, whatever returns early.
    let mut conn = db.get_mysql_connection_pool().acquire().await.map_err(super::db_err)?.detach();
    let run = async |conn: &mut sqlx::MySqlConnection, sql: String| {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.map(|_| ())
    };
    run(&mut conn, bounded_sql()).await.map_err(super::db_err)?;
    let mut done = Resumed::default();
    for table in &tables {
        if !done.left.is_empty() {
            done.left.push(table.clone());
            continue;
        }
        match run(&mut conn, alter_sql(table, false)).await {
            Ok(()) => {}
            // A table dropped since (a migration down) has nothing to put back.
            Err(sqlx::Error::Database(e)) if server_error(&*e) == Some(ER_NO_SUCH_TABLE) => {}
            Err(sqlx::Error::Database(e)) if server_error(&*e) == Some(ER_LOCK_WAIT_TIMEOUT) => {
                done.left.push(table.clone());
                continue;
            }
            Err(e) => return Err(super::db_err(e)),
        }
        let unlist = sqlx::query(sqlx::AssertSqlSafe(unlist_sql())).bind(table);
        unlist.execute(&mut conn).await.map_err(super::db_err)?;
        done.back.push(table.clone());
    }
    if done.left.is_empty() {
        // Even an empty list goes: a seeding killed between making it and filling it.
        run(&mut conn, drop_sql()).await.map_err(super::db_err)?;
    }
    Ok(done)
}

/// `ER_NO_SUCH_TABLE`.
const ER_NO_SUCH_TABLE: u16 = 1146;

fn server_error(e: &dyn sqlx::error::DatabaseError) -> Option<u16> {
    e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|m| m.number())
}

async fn has_list(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(db.get_database_backend() == DbBackend::MySql && table_exists(db, PAUSED_STATS_TABLE).await?)
}

async fn listed(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let rows = db.query_all_raw(Statement::from_string(DbBackend::MySql, listed_sql())).await?;
    let mut tables: Vec<String> =
        rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect::<Result<_, _>>()?;
    // By bytes, whatever the server's collation orders `_` by.
    tables.sort();
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_names() {
        assert_eq!(alter_sql("a`b", true), "ALTER TABLE `a``b` STATS_AUTO_RECALC = 0");
        assert_eq!(alter_sql("users", false), "ALTER TABLE `users` STATS_AUTO_RECALC = DEFAULT");
    }
}
