//! MariaDB/MySQL's statement-by-statement path, for what cannot go through `LOAD DATA LOCAL`
//! ([`super::infile`]): a seeding in chunks (whose COMMITs cannot wait for a table's end), or
//! a server that does not allow it. Every batch is one multi-row INSERT.
//!
//! On MariaDB every INSERT carries its own `SET STATEMENT foreign_key_checks=0`: InnoDB
//! neither looks each child row's parent up nor locks it, and since the session itself never
//! changes, nothing outlives the statement (a connection that goes back to the pool after a
//! failure holds no surprise). The rows obey every foreign key by construction, and `seedbed
//! check` proves it afterwards. MySQL, which has no `SET STATEMENT`, gets plain INSERTs.
//!
//! No index is put off here: InnoDB's bulk insert into an empty table (which builds them by
//! sorting) only takes a table's first statement, and in chunks every COMMIT must leave the
//! tables whole.

use sea_orm::sea_query::OptionEnum;
use sea_orm::sqlx::mysql::MySqlArguments;
use sea_orm::sqlx::{self, Arguments as _, MySqlConnection, Row as _};
use sea_orm::{DbBackend, DbErr, Statement, Value};

use super::encode::Encoded;
use super::{Batch, arguments, db_err, insert_sql};

/// How [`write`] puts a table's rows in.
pub(crate) enum Restore {
    /// MySQL: plain INSERTs.
    Plain,
    /// MariaDB: INSERTs without foreign-key checks.
    NoForeignKeyChecks,
}

pub(crate) async fn prepare(conn: &mut MySqlConnection) -> Result<Restore, DbErr> {
    let version: String = sqlx::query("SELECT VERSION()")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?
        .try_get(0)
        .map_err(db_err)?;
    Ok(match version.contains("MariaDB") {
        true => Restore::NoForeignKeyChecks,
        false => Restore::Plain,
    })
}

pub(crate) async fn write(conn: &mut MySqlConnection, batch: Batch, restore: &Restore) -> Result<(), DbErr> {
    let sql = match restore {
        Restore::Plain => insert_sql(DbBackend::MySql, batch.table, &batch.columns, batch.rows),
        Restore::NoForeignKeyChecks => format!(
            "SET STATEMENT foreign_key_checks=0 FOR {}",
            insert_sql(DbBackend::MySql, batch.table, &batch.columns, batch.rows)
        ),
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

/// Nothing to undo: no session setting changed.
pub(crate) async fn finish(_: &mut MySqlConnection, _: Restore) -> Result<(), DbErr> {
    Ok(())
}
