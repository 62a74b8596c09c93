//! MariaDB/MySQL's bulk path. On MariaDB every INSERT of the seeding carries its own
//! `SET STATEMENT foreign_key_checks=0`: InnoDB neither looks each child row's parent up nor
//! locks it, and since the session itself never changes, nothing outlives the statement (a
//! connection that goes back to the pool after a failure holds no surprise). The rows obey
//! every foreign key by construction, and `seedbed check` proves it afterwards.
//!
//! At `large`, a table's rows first go into a staging table of the session (`CREATE
//! TEMPORARY TABLE`, which unlike other DDL does not commit the transaction) without any
//! index, and [`finish`] moves them into the empty table with one `INSERT … SELECT` under
//! `unique_checks=0, foreign_key_checks=0`: InnoDB's bulk insert into an empty table
//! (MariaDB 10.6+, MDEV-24621) then builds the primary key and every secondary index by
//! sorting, inside the transaction; its undo log only notes that the table was empty, so a
//! rollback still empties it. That is "indexes after the load" without the ALTER TABLE that
//! would commit the transaction. A duplicate key still fails the statement.
//!
//! Measured (docs/performance.md): the staging pays on big tables with random-key secondary
//! indexes (a 200k-row table: 3.0-3.4 s of server CPU against 4.1-4.2 s) and costs at `dev`
//! (2.1-2.6 s against 1.4 s for all of dev's rows), because every row is written twice.
//! Turning on the bulk insert for the batches themselves does not pay: MariaDB 10.11
//! buffers only a table's first INSERT statement that way.
//! MySQL, which has no `SET STATEMENT`, gets plain INSERTs.

use sea_orm::sea_query::OptionEnum;
use sea_orm::sqlx::mysql::MySqlArguments;
use sea_orm::sqlx::{self, Arguments as _, MySqlConnection, Row as _};
use sea_orm::{DbBackend, DbErr, Statement, Value};

use super::encode::Encoded;
use super::{Batch, arguments, db_err, insert_sql};
use crate::options::Profile;

/// How [`write`] puts a table's rows in, and what [`finish`] does with them.
pub(crate) enum Restore {
    /// MySQL: plain INSERTs.
    Plain,
    /// MariaDB: INSERTs without foreign-key checks.
    NoForeignKeyChecks,
    /// MariaDB at `large`: rows go into `staging`, and from there into `table` at the end.
    Staged { table: &'static str, staging: String },
}

/// Whether a table's rows go through a staging table at `profile`.
fn staged(profile: Profile) -> bool {
    profile == Profile::Large
}

pub(crate) async fn prepare(
    conn: &mut MySqlConnection,
    tables: &[&'static str],
    profile: Profile,
) -> Result<Restore, DbErr> {
    let version: String = sqlx::query("SELECT VERSION()")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?
        .try_get(0)
        .map_err(db_err)?;
    if !version.contains("MariaDB") {
        return Ok(Restore::Plain);
    }
    let [table] = tables else { return Ok(Restore::NoForeignKeyChecks) };
    if !staged(profile) {
        return Ok(Restore::NoForeignKeyChecks);
    }
    let staging = format!("seedbed_load_{table}");
    // A failed seeding earlier on this pooled connection may have left its staging table:
    // temporary tables are not rolled back.
    for sql in [
        format!("DROP TEMPORARY TABLE IF EXISTS `{staging}`"),
        // Aria, not InnoDB: measured cheaper for rows written once and read once, and the
        // staging needs no transaction of its own (the rows' fate is the INSERT … SELECT's).
        format!("CREATE TEMPORARY TABLE `{staging}` ENGINE=Aria SELECT * FROM `{table}` LIMIT 0"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(Restore::Staged { table, staging })
}

pub(crate) async fn write(conn: &mut MySqlConnection, batch: Batch, restore: &Restore) -> Result<(), DbErr> {
    let sql = match restore {
        Restore::Plain => insert_sql(DbBackend::MySql, batch.table, &batch.columns, batch.rows),
        Restore::NoForeignKeyChecks => format!(
            "SET STATEMENT foreign_key_checks=0 FOR {}",
            insert_sql(DbBackend::MySql, batch.table, &batch.columns, batch.rows)
        ),
        Restore::Staged { staging, .. } => insert_sql(DbBackend::MySql, staging, &batch.columns, batch.rows),
    };
    let Encoded::MySql(args) = batch.data else {
        return Err(DbErr::Custom(format!("a batch of {} was not encoded for MySQL", batch.table)));
    };
    sqlx::query_with(sqlx::AssertSqlSafe(sql), args).execute(conn).await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn execute(conn: &mut MySqlConnection, stmt: &Statement) -> Result<(), DbErr> {
    let values = stmt.values.clone().map(|v| v.0).unwrap_or_default();
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.clone()), arguments(values))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Appends `value` to a statement's parameters, as sea-query-sqlx binds it for MySQL (so
/// the same bytes reach the server as when batches were lists of `Value`s); a value it
/// cannot bind is refused rather than skipped, which would shift every later column.
pub(crate) fn bind(args: &mut MySqlArguments, value: Value) -> Result<(), String> {
    let added = match value {
        Value::Bool(b) => args.add(b),
        Value::TinyInt(i) => args.add(i),
        Value::SmallInt(i) => args.add(i),
        Value::Int(i) => args.add(i),
        Value::BigInt(i) => args.add(i),
        Value::TinyUnsigned(i) => args.add(i),
        Value::SmallUnsigned(i) => args.add(i),
        Value::Unsigned(i) => args.add(i),
        Value::BigUnsigned(i) => args.add(i),
        Value::Float(f) => args.add(f),
        Value::Double(d) => args.add(d),
        Value::String(s) => args.add(s.as_deref()),
        Value::Enum(e) => args.add(match e {
            OptionEnum::Some(v) => Some(v.value.into_owned()),
            OptionEnum::None(_) => None,
        }),
        Value::Char(c) => args.add(c.map(|c| c.to_string())),
        Value::Bytes(b) => args.add(b.as_deref()),
        Value::ChronoDate(d) => args.add(d),
        Value::ChronoTime(t) => args.add(t),
        Value::ChronoDateTime(t) => args.add(t),
        Value::ChronoDateTimeUtc(t) => args.add(t),
        Value::Uuid(u) => args.add(u),
        Value::Decimal(d) => args.add(d),
        Value::Json(j) => args.add(j.as_deref()),
        other => return Err(format!("no MySQL parameter here for {other:?}")),
    };
    added.map_err(|e| e.to_string())
}

/// Moves staged rows into their table; nothing else to undo, as no session setting changed.
pub(crate) async fn finish(conn: &mut MySqlConnection, restore: Restore) -> Result<(), DbErr> {
    let Restore::Staged { table, staging } = restore else { return Ok(()) };
    for sql in [
        format!(
            "SET STATEMENT unique_checks=0, foreign_key_checks=0 FOR INSERT INTO `{table}` SELECT * FROM `{staging}`"
        ),
        format!("DROP TEMPORARY TABLE `{staging}`"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}
