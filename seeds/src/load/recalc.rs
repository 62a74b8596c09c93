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
//! all are back. A command that changes the domain puts back what it finds listed
//! ([`resume`]), and a reading one reports it ([`paused`]).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
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
     AND TABLE_NAME NOT LIKE 'seedbed\\_%' AND LOWER(CREATE_OPTIONS) NOT LIKE '%stats_auto_recalc%' \
     ORDER BY TABLE_NAME";

/// The statement that lists a table (its name the parameter), before it is switched off.
pub(crate) fn list_sql() -> String {
    format!("INSERT IGNORE INTO `{PAUSED_STATS_TABLE}` (table_name) VALUES (?)")
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

/// Switches back on what a killed bulk load left switched off, drops its list, and says which
/// tables it was (empty: nothing was). For a command that changes the domain, under its lock:
/// no seeding of the domain can be under way.
pub async fn resume(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    if !has_list(db).await? {
        return Ok(Vec::new());
    }
    let tables = listed(db).await?;
    let run = |sql: String| Statement::from_string(DbBackend::MySql, sql);
    for table in &tables {
        // A table dropped since (a migration down) has nothing to put back.
        if table_exists(db, table).await? {
            db.execute_raw(run(alter_sql(table, false))).await?;
        }
    }
    // Even an empty list goes: a seeding killed between making it and filling it.
    db.execute_raw(run(drop_sql())).await?;
    Ok(tables)
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
