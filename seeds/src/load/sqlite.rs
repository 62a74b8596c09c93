//! SQLite's bulk path: a table's explicit secondary indexes are dropped before its first rows
//! and created again, from the very `CREATE INDEX` text the migrations left in
//! `sqlite_master`, before the writer's next raw statement or the COMMIT. SQLite's DDL is
//! transactional, so all of it happens inside the domain's one transaction: a failed seeding
//! rolls the indexes back with the rows, and a committed one has exactly the schema its
//! migrations made. Rows go in as multi-row INSERTs of at most [`CHUNK_ROWS`] rows.
//!
//! Why (measured with the dev rows, see docs/performance.md): building an index once from
//! the loaded table is cheaper than keeping it in order row by row; and a statement is
//! prepared again whenever another one ran in between (the connection caches one), which for
//! the widest multi-row INSERTs costs more than running it: a 2,000-row, 16-column INSERT
//! takes ~16 ms to prepare and ~4 ms to run, and parent and child tables alternate batches.

use sea_orm::sea_query::OptionEnum;
use sea_orm::sqlx::sqlite::SqliteArguments;
use sea_orm::sqlx::{self, Arguments as _, Row as _, SqliteConnection};
use sea_orm::{DbBackend, DbErr, Statement, Value};

use super::encode::Encoded;
use super::{Batch, arguments, db_err, insert_sql};
use crate::options::Profile;

/// Rows per INSERT statement: small enough that preparing it again is cheap, large enough
/// that the per-statement round trip to sqlx's worker thread vanishes.
pub(crate) const CHUNK_ROWS: usize = 100;

/// Bind parameters one SQLite statement may carry (3.32+).
const BIND_LIMIT: usize = 32_766;

/// Rows per INSERT statement for a table `width` columns wide.
pub(crate) fn rows_per_insert(width: usize) -> usize {
    CHUNK_ROWS.min(BIND_LIMIT / width.max(1)).max(1)
}

/// The indexes [`prepare`] dropped, with the statements that create them again, in the
/// order the migrations created them.
#[derive(Default)]
pub(crate) struct Restore {
    indexes: Vec<(String, String)>,
}

pub(crate) async fn prepare(
    conn: &mut SqliteConnection,
    tables: &[&'static str],
    _profile: Profile,
) -> Result<Restore, DbErr> {
    let mut restore = Restore::default();
    for table in tables {
        for (name, create) in droppable_indexes(conn, table).await? {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX \"{}\"", name.replace('"', "\"\""))))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            restore.indexes.push((name, create));
        }
    }
    Ok(restore)
}

/// `table`'s indexes that a `CREATE INDEX` made (not those of a PRIMARY KEY or UNIQUE clause,
/// which have no SQL of their own), except a UNIQUE index that a foreign key's parent key
/// needs: SQLite looks each child row's parent up through it, and fails the insert without it.
async fn droppable_indexes(conn: &mut SqliteConnection, table: &str) -> Result<Vec<(String, String)>, DbErr> {
    let created = sqlx::query(
        "SELECT m.name, m.sql, l.\"unique\", l.partial FROM sqlite_master m \
         JOIN pragma_index_list(?1) l ON l.name = m.name \
         WHERE m.type = 'index' AND m.tbl_name = ?1 AND m.sql IS NOT NULL ORDER BY m.rowid",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    if created.is_empty() {
        return Ok(Vec::new());
    }
    // Parent keys: the referenced columns of every foreign key that points at `table`.
    let references = sqlx::query(
        "SELECT m.name, f.id, lower(f.\"to\") FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND lower(f.\"table\") = lower(?1) AND f.\"to\" IS NOT NULL \
         ORDER BY m.name, f.id, f.seq",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut parent_keys: Vec<Vec<String>> = Vec::new();
    let mut last: Option<(String, i64)> = None;
    for r in &references {
        let key = (r.try_get::<String, _>(0).map_err(db_err)?, r.try_get::<i64, _>(1).map_err(db_err)?);
        let column: String = r.try_get(2).map_err(db_err)?;
        if last.as_ref() == Some(&key) {
            parent_keys.last_mut().expect("a key begun").push(column);
        } else {
            parent_keys.push(vec![column]);
            last = Some(key);
        }
    }
    let mut out = Vec::new();
    for r in created {
        let name: String = r.try_get(0).map_err(db_err)?;
        let create: String = r.try_get(1).map_err(db_err)?;
        let unique: bool = r.try_get(2).map_err(db_err)?;
        let partial: bool = r.try_get(3).map_err(db_err)?;
        if unique && !partial && !parent_keys.is_empty() {
            let mut columns: Vec<String> =
                sqlx::query("SELECT lower(name) FROM pragma_index_info(?1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_err)?
                    .iter()
                    .map(|c| c.try_get(0))
                    .collect::<Result<_, _>>()
                    .map_err(db_err)?;
            columns.sort();
            if parent_keys.iter().any(|k| {
                let mut k = k.clone();
                k.sort();
                k == columns
            }) {
                continue;
            }
        }
        out.push((name, create));
    }
    Ok(out)
}

pub(crate) async fn write(
    conn: &mut SqliteConnection,
    batch: Batch,
    _restore: &Restore,
) -> Result<(), DbErr> {
    let Encoded::Sqlite { per, chunks } = batch.data else {
        return Err(DbErr::Custom(format!("a batch of {} was not encoded for SQLite", batch.table)));
    };
    let full = insert_sql(DbBackend::Sqlite, batch.table, &batch.columns, per);
    let mut left = batch.rows;
    for args in chunks {
        let rows = left.min(per);
        // Every full chunk has the same text, so its prepared statement is reused. A shorter
        // last chunk (a parent table's rows are flushed whenever a child's batch fills) has
        // a length of its own, rarely seen again: it is not kept in the statement cache,
        // where it would evict the full chunks' statements of the tables loading beside it.
        let query = if rows == per {
            sqlx::query_with(sqlx::AssertSqlSafe(full.clone()), args)
        } else {
            let sql = insert_sql(DbBackend::Sqlite, batch.table, &batch.columns, rows);
            sqlx::query_with(sqlx::AssertSqlSafe(sql), args).persistent(false)
        };
        query.execute(&mut *conn).await.map_err(db_err)?;
        left -= rows;
    }
    Ok(())
}

/// Appends `value` to a statement's parameters, as sea-query-sqlx binds it for SQLite (so
/// the same values land as when batches were lists of `Value`s); a value it cannot bind is
/// refused rather than skipped, which would shift every later column.
pub(crate) fn bind(args: &mut SqliteArguments, value: Value) -> Result<(), String> {
    let added = match value {
        Value::Bool(b) => args.add(b),
        Value::TinyInt(i) => args.add(i),
        Value::SmallInt(i) => args.add(i),
        Value::Int(i) => args.add(i),
        Value::BigInt(i) => args.add(i),
        Value::TinyUnsigned(i) => args.add(i),
        Value::SmallUnsigned(i) => args.add(i),
        Value::Unsigned(i) => args.add(i),
        Value::BigUnsigned(i) => match i.map(i64::try_from).transpose() {
            Ok(i) => args.add(i),
            Err(_) => return Err(format!("{} does not fit SQLite's 64-bit signed integer", i.unwrap_or(0))),
        },
        Value::Float(f) => args.add(f),
        Value::Double(d) => args.add(d),
        Value::String(s) => args.add(s),
        Value::Enum(e) => args.add(match e {
            OptionEnum::Some(v) => Some(v.value.into_owned()),
            OptionEnum::None(_) => None,
        }),
        Value::Char(c) => args.add(c.map(|c| c.to_string())),
        Value::Bytes(b) => args.add(b),
        Value::ChronoDate(d) => args.add(d),
        Value::ChronoTime(t) => args.add(t),
        Value::ChronoDateTime(t) => args.add(t),
        Value::ChronoDateTimeUtc(t) => args.add(t),
        Value::Uuid(u) => args.add(u),
        Value::Decimal(d) => args.add(d.map(|d| d.to_string())),
        Value::Json(j) => args.add(j.map(|j| *j)),
        other => return Err(format!("no SQLite parameter here for {other:?}")),
    };
    added.map_err(|e| e.to_string())
}

pub(crate) async fn execute(conn: &mut SqliteConnection, stmt: &Statement) -> Result<(), DbErr> {
    let values = stmt.values.clone().map(|v| v.0).unwrap_or_default();
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.clone()), arguments(values))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn finish(conn: &mut SqliteConnection, restore: Restore) -> Result<(), DbErr> {
    for (name, create) in restore.indexes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut *conn)
            .await
            .map_err(|e| super::with_context(format_args!("creating index {name} again"), db_err(e)))?;
    }
    Ok(())
}
