//! MariaDB/MySQL: each batch as one multi-row INSERT on the seeding's connection. The first
//! working version (today's statements on the new path); bulk-load tuning belongs here.

use sea_orm::sqlx::{self, MySqlConnection};
use sea_orm::{DbBackend, DbErr, Statement};

use super::{Batch, arguments, db_err, insert_sql};
use crate::options::Profile;

/// What [`prepare`] changed: nothing yet.
pub(crate) struct Restore;

pub(crate) async fn prepare(
    _conn: &mut MySqlConnection,
    _tables: &[&'static str],
    _profile: Profile,
) -> Result<Restore, DbErr> {
    Ok(Restore)
}

pub(crate) async fn write(conn: &mut MySqlConnection, batch: Batch, _restore: &Restore) -> Result<(), DbErr> {
    let sql = insert_sql(DbBackend::MySql, batch.table, &batch.columns, batch.rows);
    sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments(batch.values))
        .execute(conn)
        .await
        .map_err(db_err)?;
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

pub(crate) async fn finish(_conn: &mut MySqlConnection, _restore: Restore) -> Result<(), DbErr> {
    Ok(())
}
