//! SQLite's bulk path: a table's explicit secondary indexes are dropped before its first rows
//! and created again, from the very `CREATE INDEX` text the migrations left in
//! `sqlite_master`, before the writer's next raw statement or the COMMIT. SQLite's DDL is
//! transactional, so all of it happens inside the domain's one transaction: a failed seeding
//! rolls the indexes back with the rows, and a committed one has exactly the schema its
//! migrations made.
//!
//! Rows go in through SQLite's own C API on the writer's connection (borrowed from sqlx's
//! worker thread with `lock_handle`): one single-row INSERT prepared per batch, its
//! parameters bound straight from the batch's bytes ([`Rows`]) and stepped row after row, on
//! a thread of tokio's blocking pool so that the generator keeps the runtime's thread.
//!
//! `libsqlite3-sys` is the very crate sqlx links SQLite through (its `links = "sqlite3"` lets
//! Cargo build only one version, so an upgrade of sqlx that moves it fails to resolve rather
//! than linking two SQLites); the connection is sqlx's, opened in SQLite's multi-thread mode.
//!
//! Why (measured with the dev rows, see docs/performance.md): building an index once from
//! the loaded table is cheaper than keeping it in order row by row; and through sqlx's
//! arguments every value was an allocation of its own (an `Arc` per text or blob), bound,
//! copied and freed on sqlx's worker thread, which was four fifths of the seeding's CPU on
//! SQLite and about a third of that allocation, copying and locking, not SQLite's work.

use std::ffi::{CStr, c_int};
use std::io::Write as _;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sea_orm::sea_query::OptionEnum;
use sea_orm::sqlx::{self, Row as _, SqliteConnection};
use sea_orm::{DbBackend, DbErr, Statement, Value};

use super::encode::{Encoded, Fraction, Timestamp};
use super::{Batch, arguments, db_err, insert_sql};
use crate::options::Profile;

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
    let Encoded::Sqlite(rows) = batch.data else {
        return Err(DbErr::Custom(format!("a batch of {} was not encoded for SQLite", batch.table)));
    };
    let (table, columns) = (batch.table, batch.columns);
    let mut handle = conn.lock_handle().await.map_err(db_err)?;
    let db = Handle(handle.as_raw_handle());
    // SAFETY: sqlx's worker leaves the connection alone while `handle` is held, and
    // `off_thread` does not return (nor, dropped, let `handle` go) before `insert` is done.
    let inserted = off_thread(move || unsafe { insert(db, table, &columns, &rows) }).await;
    drop(handle);
    inserted.map_err(|f| DbErr::Custom(format!("(code: {}) {}", f.code, f.message)))
}

/// The writer's connection, lent to one thread at a time.
struct Handle(NonNull<ffi::sqlite3>);

// SAFETY: the connection is opened in SQLite's multi-thread mode (sqlx's default): it may
// move between threads as long as one uses it at a time, which `write` sees to.
unsafe impl Send for Handle {}

/// What SQLite said when a statement failed.
#[derive(Debug)]
struct Failure {
    code: c_int,
    message: String,
}

/// Runs `work` on tokio's blocking pool and waits for it. Dropped while `work` runs (the
/// seeding abandoned mid-batch), it waits for `work` to end before letting go: `work`
/// uses a connection that its caller lends only until then.
async fn off_thread(work: impl FnOnce() -> Result<(), Failure> + Send + 'static) -> Result<(), Failure> {
    struct WaitOnDrop(std::sync::mpsc::Receiver<()>);
    impl Drop for WaitOnDrop {
        fn drop(&mut self) {
            // Returns once the sender is gone: `work` ended, or never started.
            let _ = self.0.recv();
        }
    }
    let (running, ended) = std::sync::mpsc::channel::<()>();
    let _wait = WaitOnDrop(ended);
    let task = tokio::task::spawn_blocking(move || {
        let _running = running;
        work()
    });
    match task.await {
        Ok(done) => done,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Failure { code: ffi::SQLITE_INTERRUPT, message: "the write was cancelled".into() }),
    }
}

/// Inserts `rows` (`width` values each) into `table` (`columns`), [`ROWS_PER_INSERT`] rows
/// per statement execution, the statement prepared once for the batch (and once more for a
/// shorter last one).
///
/// # Safety
/// `db` is an open connection that no other thread uses until this returns.
unsafe fn insert(db: Handle, table: &str, columns: &[&str], rows: &Rows) -> Result<(), Failure> {
    let db = db.0.as_ptr();
    let width = columns.len();
    let failed = || {
        // SAFETY: `db` is open; the message is copied before the next call on it.
        unsafe {
            Failure {
                code: ffi::sqlite3_extended_errcode(db),
                message: CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy().into_owned(),
            }
        }
    };
    /// A prepared statement, finalized however `insert` ends.
    struct Prepared(*mut ffi::sqlite3_stmt);
    impl Drop for Prepared {
        fn drop(&mut self) {
            // SAFETY: prepared on this connection and finalized only here.
            unsafe { ffi::sqlite3_finalize(self.0) };
        }
    }
    let prepare = |n: usize| {
        let sql = insert_sql(DbBackend::Sqlite, table, columns, n);
        let mut stmt = ptr::null_mut();
        // SAFETY: `sql` is valid for its length; `stmt` receives the statement.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast(), sql.len() as c_int, &mut stmt, ptr::null_mut())
        };
        if rc == ffi::SQLITE_OK { Ok(Prepared(stmt)) } else { Err(failed()) }
    };
    let per = rows_per_insert(width);
    let mut at = rows.buf.as_slice();
    let mut left = rows.rows;
    let mut full: Option<Prepared> = None;
    while left > 0 {
        let n = left.min(per);
        let tail;
        let stmt = if n == per {
            match &full {
                Some(stmt) => stmt,
                None => full.insert(prepare(n)?),
            }
        } else {
            tail = prepare(n)?;
            &tail
        };
        for param in 1..=(n * width) as c_int {
            // SAFETY: the values borrow `rows.buf`, which outlives the statement (bound
            // SQLITE_STATIC: SQLite reads them in place, at the next step).
            if unsafe { bind_next(stmt.0, param, &mut at) } != ffi::SQLITE_OK {
                return Err(failed());
            }
        }
        // SAFETY: a prepared statement of this connection, every parameter bound.
        unsafe {
            if ffi::sqlite3_step(stmt.0) != ffi::SQLITE_DONE {
                return Err(failed());
            }
            ffi::sqlite3_reset(stmt.0);
        }
        left -= n;
    }
    Ok(())
}

/// Rows per execution of the INSERT for a table `width` columns wide.
fn rows_per_insert(width: usize) -> usize {
    ROWS_PER_INSERT.min(BIND_LIMIT / width.max(1)).max(1)
}

/// Rows per execution of a batch's INSERT. One row per execution redoes, per row, what
/// SQLite does once per execution: each CHECK with an `IN (…)` list builds its list into
/// an ephemeral b-tree (measured, booking at `dev --scale 10`: 3.6 s at one row, 2.4-2.8 s
/// at 25 to 100); many rows make the statement slow to prepare, once per batch.
const ROWS_PER_INSERT: usize = 32;

/// Bind parameters one SQLite statement may carry (3.32+).
const BIND_LIMIT: usize = 32_766;

/// Binds the value at the front of `at` to parameter `column` of `stmt`, and moves past it.
///
/// # Safety
/// `stmt` is a prepared statement of a connection this thread may use; the bytes of `at`
/// stay where they are until `stmt` is finalized.
unsafe fn bind_next(stmt: *mut ffi::sqlite3_stmt, column: c_int, at: &mut &[u8]) -> c_int {
    let (value, rest) = Rows::next(at);
    *at = rest;
    // SAFETY: per the function's contract.
    unsafe {
        match value {
            Stored::Null => ffi::sqlite3_bind_null(stmt, column),
            Stored::Integer(i) => ffi::sqlite3_bind_int64(stmt, column, i),
            Stored::Real(f) => ffi::sqlite3_bind_double(stmt, column, f),
            Stored::Text(t) => ffi::sqlite3_bind_text(
                stmt,
                column,
                t.as_ptr().cast(),
                t.len() as c_int,
                ffi::SQLITE_STATIC(),
            ),
            Stored::Blob(b) => ffi::sqlite3_bind_blob(
                stmt,
                column,
                b.as_ptr().cast(),
                b.len() as c_int,
                ffi::SQLITE_STATIC(),
            ),
        }
    }
}

/// A batch's rows as SQLite stores them: each value a tag byte and its bytes (an integer's or
/// a real's eight, a text's or a blob's length in four, then the bytes), row after row.
#[derive(Debug, Default)]
pub struct Rows {
    buf: Vec<u8>,
    rows: usize,
}

/// One value of [`Rows`], as it is bound.
#[derive(Debug, PartialEq)]
enum Stored<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

const NULL: u8 = 0;
const INTEGER: u8 = 1;
const REAL: u8 = 2;
const TEXT: u8 = 3;
const BLOB: u8 = 4;

/// The largest text or blob a parameter may hold here (SQLite's default limit is 1e9 bytes).
const MAX_LEN: usize = i32::MAX as usize;

impl Rows {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Rows { buf: Vec::with_capacity(bytes), rows: 0 }
    }

    /// Appends a row of `values`, each stored as sea-query-sqlx's binding stores it (so the
    /// data and its digest are those of the INSERTs through sqlx); a value it cannot bind is
    /// refused rather than skipped, which would shift every later column.
    pub(crate) fn push_row(&mut self, values: impl Iterator<Item = Value>) -> Result<(), String> {
        for value in values {
            self.push(value)?;
        }
        self.rows += 1;
        Ok(())
    }

    fn push(&mut self, value: Value) -> Result<(), String> {
        let b = &mut self.buf;
        match value {
            Value::Bool(v) => Self::integer(b, v.map(i64::from)),
            Value::TinyInt(v) => Self::integer(b, v.map(i64::from)),
            Value::SmallInt(v) => Self::integer(b, v.map(i64::from)),
            Value::Int(v) => Self::integer(b, v.map(i64::from)),
            Value::BigInt(v) => Self::integer(b, v),
            Value::TinyUnsigned(v) => Self::integer(b, v.map(i64::from)),
            Value::SmallUnsigned(v) => Self::integer(b, v.map(i64::from)),
            Value::Unsigned(v) => Self::integer(b, v.map(i64::from)),
            Value::BigUnsigned(v) => match v.map(i64::try_from).transpose() {
                Ok(v) => Self::integer(b, v),
                Err(_) => {
                    return Err(format!("{} does not fit SQLite's 64-bit signed integer", v.unwrap_or(0)));
                }
            },
            Value::Float(v) => Self::real(b, v.map(f64::from)),
            Value::Double(v) => Self::real(b, v),
            Value::String(v) => Self::bytes(b, TEXT, v.as_deref().map(str::as_bytes))?,
            Value::Enum(OptionEnum::Some(v)) => Self::bytes(b, TEXT, Some(v.value.as_bytes()))?,
            Value::Enum(OptionEnum::None(_)) => b.push(NULL),
            Value::Char(v) => Self::bytes(b, TEXT, v.map(|c| c.to_string()).as_deref().map(str::as_bytes))?,
            Value::Bytes(v) => Self::bytes(b, BLOB, v.as_deref())?,
            Value::Uuid(v) => Self::bytes(b, BLOB, v.as_ref().map(|u| u.as_bytes().as_slice()))?,
            // As sqlx's chrono encodings write them, without a String each.
            Value::ChronoDate(v) => Self::text(b, v.map(|d| d.format("%F")))?,
            Value::ChronoTime(v) => Self::text(b, v.map(|t| t.format("%T%.f")))?,
            Value::ChronoDateTime(Some(t)) => match Timestamp::new(&t, b' ', Fraction::Shortest) {
                Some(s) => Self::bytes(b, TEXT, Some(s.as_str().as_bytes()))?,
                None => Self::text(b, Some(t.format("%F %T%.f")))?,
            },
            Value::ChronoDateTime(None) => b.push(NULL),
            Value::ChronoDateTimeUtc(Some(t)) => {
                match Timestamp::new(&t.naive_utc(), b'T', Fraction::Shortest) {
                    Some(s) => {
                        let at = Self::open_text(b);
                        b.extend_from_slice(s.as_str().as_bytes());
                        b.extend_from_slice(b"+00:00");
                        Self::close_text(b, at)?;
                    }
                    None => Self::text(b, Some(t.format("%Y-%m-%dT%H:%M:%S%.f%:z")))?,
                }
            }
            Value::ChronoDateTimeUtc(None) => b.push(NULL),
            Value::Decimal(v) => Self::text(b, v)?,
            Value::Json(v) => match v {
                None => b.push(NULL),
                Some(j) => {
                    let at = Self::open_text(b);
                    serde_json::to_writer(&mut *b, &*j).map_err(|e| e.to_string())?;
                    Self::close_text(b, at)?;
                }
            },
            other => return Err(format!("no SQLite parameter here for {other:?}")),
        }
        Ok(())
    }

    fn integer(b: &mut Vec<u8>, v: Option<i64>) {
        match v {
            None => b.push(NULL),
            Some(v) => {
                b.push(INTEGER);
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
    }

    fn real(b: &mut Vec<u8>, v: Option<f64>) {
        match v {
            None => b.push(NULL),
            Some(v) => {
                b.push(REAL);
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
    }

    fn bytes(b: &mut Vec<u8>, tag: u8, v: Option<&[u8]>) -> Result<(), String> {
        match v {
            None => b.push(NULL),
            Some(v) if v.len() > MAX_LEN => return Err(format!("a value of {} bytes is too long", v.len())),
            Some(v) => {
                b.push(tag);
                b.extend_from_slice(&(v.len() as u32).to_le_bytes());
                b.extend_from_slice(v);
            }
        }
        Ok(())
    }

    /// A text written by its `Display`.
    fn text(b: &mut Vec<u8>, v: Option<impl std::fmt::Display>) -> Result<(), String> {
        match v {
            None => b.push(NULL),
            Some(v) => {
                let at = Self::open_text(b);
                write!(b, "{v}").map_err(|e| e.to_string())?;
                Self::close_text(b, at)?;
            }
        }
        Ok(())
    }

    /// Begins a text whose length is not known yet; returns where its length goes.
    fn open_text(b: &mut Vec<u8>) -> usize {
        b.push(TEXT);
        b.extend_from_slice(&[0; 4]);
        b.len() - 4
    }

    fn close_text(b: &mut [u8], at: usize) -> Result<(), String> {
        let len = b.len() - at - 4;
        if len > MAX_LEN {
            return Err(format!("a value of {len} bytes is too long"));
        }
        b[at..at + 4].copy_from_slice(&(len as u32).to_le_bytes());
        Ok(())
    }

    /// The value at the front of `at`, and what follows it. `at` was written by `push`.
    fn next(at: &[u8]) -> (Stored<'_>, &[u8]) {
        let word = |at: &[u8]| -> [u8; 8] { at[1..9].try_into().expect("eight bytes") };
        match at[0] {
            NULL => (Stored::Null, &at[1..]),
            INTEGER => (Stored::Integer(i64::from_le_bytes(word(at))), &at[9..]),
            REAL => (Stored::Real(f64::from_le_bytes(word(at))), &at[9..]),
            tag => {
                let len = u32::from_le_bytes(at[1..5].try_into().expect("four bytes")) as usize;
                let (value, rest) = at[5..].split_at(len);
                (if tag == TEXT { Stored::Text(value) } else { Stored::Blob(value) }, rest)
            }
        }
    }

    /// The rows held, a line each, values as SQLite's `quote()` spells them (for tests).
    #[cfg(test)]
    pub(crate) fn rendered(&self, width: usize) -> Vec<String> {
        let mut at = self.buf.as_slice();
        (0..self.rows)
            .map(|_| {
                let row: Vec<String> = (0..width)
                    .map(|_| {
                        let (value, rest) = Self::next(at);
                        at = rest;
                        match value {
                            Stored::Null => "NULL".to_owned(),
                            Stored::Integer(i) => i.to_string(),
                            Stored::Real(f) => format!("{f:?}"),
                            Stored::Text(t) => {
                                format!("'{}'", String::from_utf8_lossy(t).replace('\'', "''"))
                            }
                            Stored::Blob(b) => {
                                format!("X'{}'", b.iter().map(|b| format!("{b:02X}")).collect::<String>())
                            }
                        }
                    })
                    .collect();
                row.join("|")
            })
            .collect()
    }

    /// Drops the first `rows` rows of `width` values each.
    pub(crate) fn drop_front(&mut self, rows: usize, width: usize) -> Result<(), String> {
        if rows > self.rows {
            return Err(format!("a batch of fewer than {rows} rows"));
        }
        let mut at = self.buf.as_slice();
        for _ in 0..rows * width {
            at = Self::next(at).1;
        }
        let cut = self.buf.len() - at.len();
        self.buf.drain(..cut);
        self.rows -= rows;
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{NaiveDate, TimeZone as _, Utc};
    use sea_orm::sea_query::{Enum, OptionEnum};
    use sea_orm::sqlx::{Connection as _, Executor as _};

    use super::*;

    /// Every kind of value a seeder binds, with its edge cases.
    fn values() -> Vec<Value> {
        let date = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let at = |h, m, s, nano| date.and_hms_nano_opt(h, m, s, nano).unwrap();
        let name: sea_orm::sea_query::EnumTypeName = Arc::<str>::from("status");
        vec![
            Value::Bool(Some(true)),
            Value::Bool(Some(false)),
            Value::TinyInt(Some(-128)),
            Value::SmallInt(Some(-300)),
            Value::Int(Some(i32::MIN)),
            Value::BigInt(Some(i64::MIN)),
            Value::TinyUnsigned(Some(255)),
            Value::SmallUnsigned(Some(65_535)),
            Value::Unsigned(Some(u32::MAX)),
            Value::BigUnsigned(Some(i64::MAX as u64)),
            Value::Float(Some(0.1)),
            Value::Double(Some(-1.0e-300)),
            Value::String(Some("it's \"quoted\", ünïcode\n".into())),
            Value::String(Some(String::new())),
            Value::Enum(OptionEnum::Some(Box::new(Enum { type_name: name.clone(), value: "active".into() }))),
            Value::Enum(OptionEnum::None(name)),
            Value::Char(Some('é')),
            Value::Bytes(Some(vec![0, 1, 255])),
            Value::Uuid(Some(sea_orm::prelude::Uuid::from_u128(0x0191_67ee_f800_7286_ad62_03f1_3285_8710))),
            Value::ChronoDate(Some(date)),
            Value::ChronoTime(Some(at(7, 5, 9, 0).time())),
            Value::ChronoTime(Some(at(23, 59, 59, 120_000_000).time())),
            Value::ChronoDateTime(Some(at(0, 0, 0, 0))),
            Value::ChronoDateTime(Some(at(12, 30, 1, 1))),
            Value::ChronoDateTimeUtc(Some(Utc.from_utc_datetime(&at(0, 0, 0, 0)))),
            Value::ChronoDateTimeUtc(Some(Utc.from_utc_datetime(&at(9, 8, 7, 654_000_000)))),
            Value::ChronoDateTimeUtc(Some(Utc.from_utc_datetime(&at(9, 8, 7, 654_321_000)))),
            Value::ChronoDateTimeUtc(Some(Utc.from_utc_datetime(&at(9, 8, 7, 1)))),
            Value::Decimal(Some("12.30".parse().unwrap())),
            Value::Decimal(Some("-0.000001".parse().unwrap())),
            Value::Json(Some(Box::new(serde_json::json!({"a": [1, "b", null], "z": {"é": 0.5}})))),
            Value::String(None),
            Value::Int(None),
            Value::Uuid(None),
            Value::Json(None),
            Value::ChronoDateTimeUtc(None),
        ]
    }

    /// What a table column of no affinity holds, row by row: SQLite's storage class and
    /// literal of each value.
    async fn stored(conn: &mut SqliteConnection, table: &str) -> Vec<(i64, String, String)> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT k, typeof(v), quote(v) FROM {table} ORDER BY k")))
            .fetch_all(conn)
            .await
            .unwrap()
    }

    #[test]
    fn rows_store_every_value_as_sqlx_binds_it() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
            // No declared type: no affinity converts what is bound.
            conn.execute(
                "CREATE TABLE through_sqlx (k INTEGER, v); CREATE TABLE through_rows (k INTEGER, v)",
            )
            .await
            .unwrap();
            let mut rows = Rows::default();
            for (k, value) in values().into_iter().enumerate() {
                let k = Value::BigInt(Some(k as i64));
                sqlx::query_with(
                    "INSERT INTO through_sqlx (k, v) VALUES (?, ?)",
                    arguments(vec![k.clone(), value.clone()]),
                )
                .execute(&mut conn)
                .await
                .unwrap();
                rows.push_row([k, value].into_iter()).unwrap();
            }
            let n = rows.rows;
            let batch = Batch {
                table: "through_rows",
                columns: Arc::from(["k", "v"]),
                rows: n,
                data: Encoded::Sqlite(rows),
            };
            write(&mut conn, batch, &Restore::default()).await.unwrap();
            let (want, got) =
                (stored(&mut conn, "through_sqlx").await, stored(&mut conn, "through_rows").await);
            assert_eq!(got.len(), values().len());
            for (want, got) in want.iter().zip(&got) {
                assert_eq!(got, want, "value {} is stored otherwise than sqlx stores it", want.0);
            }
        });
    }

    #[test]
    fn a_failed_row_names_the_constraint_and_leaves_the_connection_usable() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
            conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v <> 'bad'))")
                .await
                .unwrap();
            let mut rows = Rows::default();
            for (k, v) in [(1, "good"), (2, "bad")] {
                rows.push_row([Value::from(k), Value::from(v)].into_iter()).unwrap();
            }
            let batch =
                Batch { table: "t", columns: Arc::from(["k", "v"]), rows: 2, data: Encoded::Sqlite(rows) };
            let failed = write(&mut conn, batch, &Restore::default()).await.unwrap_err().to_string();
            assert!(failed.contains("CHECK constraint failed"), "{failed}");
            let left: i64 = sqlx::query_scalar("SELECT count(*) FROM t").fetch_one(&mut conn).await.unwrap();
            assert_eq!(left, 0, "the failed statement's rows stay out");
        });
    }
}
