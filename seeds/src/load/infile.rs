//! MariaDB/MySQL's bulk path: `LOAD DATA LOCAL INFILE`, fed from this process's memory of
//! the seeding, on a connection of `mysql_async` (sqlx cannot answer a LOCAL INFILE request).
//!
//! A table's batches arrive interleaved with other tables' (parents and children are
//! generated together), while one `LOAD DATA` statement holds the connection until its last
//! row. So each table's rows are spooled, as `LOAD DATA`'s text, into an unlinked temporary
//! file of this process, and loaded with one statement once the table is complete (or before
//! the next raw statement, which may read it). One statement per table matters: with
//! `unique_checks=0, foreign_key_checks=0` InnoDB bulk-loads the first insert into an empty
//! table (MariaDB 10.6+, MDEV-24621), building the primary key and every secondary index by
//! sorting, its undo log noting only that the table was empty, so a rollback still empties
//! it. Every row is written once, as the engine's own `LOAD DATA INFILE` of a dump writes it.
//!
//! The connection is this writer's own (not pooled: nothing of its session outlives the
//! seeding), opened with the pool's options and the session settings sqlx makes, and holds
//! the domain's one transaction. The checks are off for the session; the rows obey every key
//! by construction, and `seedbed check` proves it. `LOAD DATA LOCAL` turns what would be
//! errors (a duplicate key, a value that does not fit) into warnings and goes on, so every
//! load is checked to have written every row without a warning, or the seeding fails.
//!
//! The server must allow it (`local_infile`, on by default in MariaDB, off in MySQL 8): when
//! it does not, the writer keeps sqlx and multi-row INSERTs ([`super::mysql`]).

use std::io::{Read as _, Seek as _, Write as _};
use std::sync::Arc;

use futures_util::StreamExt as _;
use mysql_async::prelude::Queryable as _;
use sea_orm::sea_query::OptionEnum;
use sea_orm::sqlx::{self, ConnectOptions as _, MySqlPool};
use sea_orm::{DbErr, Statement, Value};

use super::Batch;
use super::encode::{Encoded, Fraction, Timestamp};

/// The connection that holds the seeding's transaction.
pub(crate) struct Conn(mysql_async::Conn);

/// A table's rows spooled for its `LOAD DATA`.
pub(crate) struct Spool {
    table: &'static str,
    columns: Option<Arc<[&'static str]>>,
    file: std::fs::File,
    rows: u64,
}

/// The bytes of the spool read per message to the server.
const CHUNK: usize = 1 << 20;

fn err(context: impl std::fmt::Display, e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("{context}: {e}"))
}

/// Opens the loading connection to the server `pool` connects to and begins the
/// transaction; `None` when the server does not allow `LOAD DATA LOCAL`.
pub(crate) async fn begin(pool: &MySqlPool) -> Result<Option<Conn>, DbErr> {
    // The session as sqlx makes it (time zone, SQL mode, character set), to read and write
    // values the same way on both connections.
    let (allowed, time_zone, sql_mode): (i64, String, String) =
        sqlx::query_as("SELECT @@GLOBAL.local_infile, @@SESSION.time_zone, @@SESSION.sql_mode")
            .fetch_one(pool)
            .await
            .map_err(super::db_err)?;
    if allowed == 0 {
        return Ok(None);
    }
    let options = pool.connect_options();
    // The one getter sqlx lacks is the password's; its URL carries it, encoded.
    let url = options.to_url_lossy();
    let password =
        url.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
    let mut opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(options.get_host())
        .tcp_port(options.get_port())
        .user(Some(options.get_username()))
        .pass(password)
        .db_name(options.get_database())
        // It would otherwise move to the server's Unix socket when it finds itself on the
        // same host: the connection goes where the URL says.
        .prefer_socket(false);
    if let Some(socket) = options.get_socket() {
        opts = opts.socket(Some(socket.to_string_lossy()));
    }
    let names = match options.get_collation() {
        Some(collation) => format!("NAMES {} COLLATE {collation}", options.get_charset()),
        None => format!("NAMES {}", options.get_charset()),
    };
    let mut conn = mysql_async::Conn::new(opts).await.map_err(|e| err("connecting for the bulk load", e))?;
    conn.exec_drop(
        format!("SET time_zone = ?, sql_mode = ?, {names}, foreign_key_checks = 0, unique_checks = 0"),
        (time_zone, sql_mode),
    )
    .await
    .map_err(|e| err("setting up the bulk load's session", e))?;
    conn.query_drop("BEGIN").await.map_err(|e| err("beginning the seeding's transaction", e))?;
    Ok(Some(Conn(conn)))
}

impl Conn {
    pub(crate) async fn commit(mut self) -> Result<(), DbErr> {
        self.0.query_drop("COMMIT").await.map_err(|e| err("committing", e))?;
        self.0.disconnect().await.map_err(|e| err("disconnecting after the commit", e))
    }

    pub(crate) async fn rollback(mut self) -> Result<(), DbErr> {
        self.0.query_drop("ROLLBACK").await.map_err(|e| err("rolling back", e))?;
        self.0.disconnect().await.map_err(|e| err("disconnecting after the rollback", e))
    }

    /// Runs a statement of the seeding (a summary's UPDATE, a DELETE of `--truncate`).
    pub(crate) async fn execute(&mut self, stmt: &Statement) -> Result<(), DbErr> {
        let values = stmt.values.clone().map(|v| v.0).unwrap_or_default();
        let done = if values.is_empty() {
            self.0.query_drop(&stmt.sql).await
        } else {
            let params: Vec<mysql_async::Value> =
                values.into_iter().map(param).collect::<Result<_, _>>().map_err(DbErr::Custom)?;
            self.0.exec_drop(&stmt.sql, params).await
        };
        done.map_err(|e| err("running a statement of the seeding", e))
    }

    /// Runs `sql` and returns its rows of two strings.
    pub(crate) async fn pairs(&mut self, sql: &str) -> Result<Vec<(String, String)>, DbErr> {
        self.0.query(sql).await.map_err(|e| err("reading the seeding's state", e))
    }

    /// A spool for `table`'s rows, in a temporary file that no other process can open and
    /// that disappears with this one, however it ends.
    pub(crate) fn prepare(&mut self, table: &'static str) -> Result<Spool, DbErr> {
        let dir = std::env::temp_dir();
        let mut attempt = 0u32;
        let file = loop {
            let path = dir.join(format!("seedbed-{}-{table}-{attempt}.load", std::process::id()));
            match std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
                Ok(file) => {
                    // Unlinked at once: the open file stays this process's alone.
                    let _ = std::fs::remove_file(&path);
                    break file;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => {
                    return Err(err(
                        format_args!(
                            "creating a spool file in {} (set TMPDIR to a writable directory)",
                            dir.display()
                        ),
                        e,
                    ));
                }
            }
        };
        Ok(Spool { table, columns: None, file, rows: 0 })
    }

    /// Loads the spooled rows of a table with one `LOAD DATA LOCAL INFILE`.
    pub(crate) async fn load(&mut self, mut spool: Spool) -> Result<(), DbErr> {
        let Some(columns) = spool.columns.take() else { return Ok(()) };
        let (table, rows) = (spool.table, spool.rows);
        spool.file.rewind().map_err(|e| err("reading the spool back", e))?;
        let file = spool.file;
        // The file is moved in, not the stream: the handler must be `Sync`, a boxed stream is not.
        self.0.set_infile_handler(async move { Ok::<_, mysql_async::Error>(chunks(file)) });
        let cols: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        // `binary`: the bytes go into each column as they are, as a bound parameter's do.
        let sql = format!(
            "LOAD DATA LOCAL INFILE 'seedbed:{table}' INTO TABLE `{table}` CHARACTER SET binary ({})",
            cols.join(", ")
        );
        self.0.query_drop(sql).await.map_err(|e| err("loading", e))?;
        let (written, warnings) = (self.0.affected_rows(), self.0.get_warnings());
        if written != rows || warnings > 0 {
            let first: Option<(String, u32, String)> =
                self.0.query_first("SHOW WARNINGS LIMIT 1").await.unwrap_or_default();
            let first = first.map(|(level, code, text)| format!(", the first: {level} {code}: {text}"));
            return Err(DbErr::Custom(format!(
                "LOAD DATA wrote {written} of {rows} rows with {warnings} warnings{}",
                first.unwrap_or_default()
            )));
        }
        Ok(())
    }
}

/// The file's bytes, [`CHUNK`] at a time. Read on the runtime's thread: the spool was just
/// written, and is read from the page cache.
fn chunks(file: std::fs::File) -> mysql_async::InfileData {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut chunk = vec![0; CHUNK];
        match file.read(&mut chunk) {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(bytes::Bytes::from(chunk)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed()
}

impl Spool {
    /// Appends a batch of rows encoded as `LOAD DATA` text.
    pub(crate) fn write(&mut self, batch: Batch) -> Result<(), DbErr> {
        let Encoded::LoadData(text) = batch.data else {
            return Err(DbErr::Custom(format!("a batch of {} was not encoded for LOAD DATA", batch.table)));
        };
        match &self.columns {
            Some(columns) if **columns != *batch.columns => {
                return Err(DbErr::Custom(format!("batches of {} with different columns", batch.table)));
            }
            Some(_) => {}
            None => self.columns = Some(batch.columns.clone()),
        }
        self.file.write_all(&text).map_err(|e| err("spooling rows to a temporary file", e))?;
        self.rows += batch.rows as u64;
        Ok(())
    }
}

/// A value as a parameter of a raw statement, as sqlx binds it for MySQL.
fn param(value: Value) -> Result<mysql_async::Value, String> {
    use chrono::{Datelike as _, Timelike as _};
    use mysql_async::Value as M;
    fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> M) -> M {
        v.map(f).unwrap_or(M::NULL)
    }
    let datetime = |t: chrono::NaiveDateTime| {
        M::Date(
            t.year() as u16,
            t.month() as u8,
            t.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            t.nanosecond() / 1_000,
        )
    };
    Ok(match value {
        Value::Bool(b) => opt(b, |b| M::Int(b as i64)),
        Value::TinyInt(i) => opt(i, |i| M::Int(i.into())),
        Value::SmallInt(i) => opt(i, |i| M::Int(i.into())),
        Value::Int(i) => opt(i, |i| M::Int(i.into())),
        Value::BigInt(i) => opt(i, M::Int),
        Value::TinyUnsigned(i) => opt(i, |i| M::UInt(i.into())),
        Value::SmallUnsigned(i) => opt(i, |i| M::UInt(i.into())),
        Value::Unsigned(i) => opt(i, |i| M::UInt(i.into())),
        Value::BigUnsigned(i) => opt(i, M::UInt),
        Value::Float(f) => opt(f, M::Float),
        Value::Double(d) => opt(d, M::Double),
        Value::String(s) => opt(s, |s| M::Bytes(s.into_bytes())),
        Value::Char(c) => opt(c, |c| M::Bytes(c.to_string().into_bytes())),
        Value::Bytes(b) => opt(b, M::Bytes),
        Value::Decimal(d) => opt(d, |d| M::Bytes(d.to_string().into_bytes())),
        Value::Json(j) => opt(j, |j| M::Bytes(j.to_string().into_bytes())),
        Value::Uuid(u) => opt(u, |u| M::Bytes(u.as_bytes().to_vec())),
        Value::ChronoDate(d) => {
            opt(d, |d| M::Date(d.year() as u16, d.month() as u8, d.day() as u8, 0, 0, 0, 0))
        }
        Value::ChronoDateTime(t) => opt(t, datetime),
        Value::ChronoDateTimeUtc(t) => opt(t, |t| datetime(t.naive_utc())),
        other => return Err(format!("no MySQL parameter here for {other:?}")),
    })
}

/// Appends `value` to a row of `LOAD DATA` text (tabs between fields, `\N` for NULL,
/// backslash escapes), spelled as the server spells what sqlx binds for MySQL, so that the
/// stored values, and the digest, are the same as with bound parameters.
pub(crate) fn text(buf: &mut Vec<u8>, value: &Value) -> Result<(), String> {
    fn escaped(buf: &mut Vec<u8>, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\\' => buf.extend_from_slice(b"\\\\"),
                b'\t' => buf.extend_from_slice(b"\\t"),
                b'\n' => buf.extend_from_slice(b"\\n"),
                0 => buf.extend_from_slice(b"\\0"),
                b => buf.push(b),
            }
        }
    }
    macro_rules! plain {
        ($x:expr) => {
            match $x {
                Some(x) => {
                    let _ = write!(buf, "{x}");
                }
                None => buf.extend_from_slice(b"\\N"),
            }
        };
    }
    let datetime =
        |buf: &mut Vec<u8>, t: &chrono::NaiveDateTime| match Timestamp::new(t, b' ', Fraction::Micros) {
            Some(s) => buf.extend_from_slice(s.as_str().as_bytes()),
            None => {
                let _ = write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f"));
            }
        };
    match value {
        Value::Bool(b) => plain!(b.map(u8::from)),
        Value::TinyInt(x) => plain!(x),
        Value::SmallInt(x) => plain!(x),
        Value::Int(x) => plain!(x),
        Value::BigInt(x) => plain!(x),
        Value::TinyUnsigned(x) => plain!(x),
        Value::SmallUnsigned(x) => plain!(x),
        Value::Unsigned(x) => plain!(x),
        Value::BigUnsigned(x) => plain!(x),
        Value::Float(x) => plain!(x),
        Value::Double(x) => plain!(x),
        Value::Decimal(x) => plain!(x),
        Value::String(s) => match s {
            Some(s) => escaped(buf, s.as_bytes()),
            None => buf.extend_from_slice(b"\\N"),
        },
        Value::Enum(e) => match e {
            OptionEnum::Some(v) => escaped(buf, v.value.as_bytes()),
            OptionEnum::None(_) => buf.extend_from_slice(b"\\N"),
        },
        Value::Char(c) => match c {
            Some(c) => escaped(buf, c.encode_utf8(&mut [0; 4]).as_bytes()),
            None => buf.extend_from_slice(b"\\N"),
        },
        Value::Bytes(b) => match b {
            Some(b) => escaped(buf, b),
            None => buf.extend_from_slice(b"\\N"),
        },
        Value::Uuid(u) => match u {
            Some(u) => escaped(buf, u.as_bytes()),
            None => buf.extend_from_slice(b"\\N"),
        },
        Value::Json(j) => match j {
            Some(j) => escaped(buf, j.to_string().as_bytes()),
            None => buf.extend_from_slice(b"\\N"),
        },
        Value::ChronoDateTime(t) => match t {
            Some(t) => datetime(buf, t),
            None => buf.extend_from_slice(b"\\N"),
        },
        Value::ChronoDateTimeUtc(t) => match t {
            Some(t) => datetime(buf, &t.naive_utc()),
            None => buf.extend_from_slice(b"\\N"),
        },
        Value::ChronoDate(d) => plain!(d.map(|d| d.format("%Y-%m-%d"))),
        Value::ChronoTime(t) => plain!(t.map(|t| t.format("%H:%M:%S%.6f"))),
        other => return Err(format!("no LOAD DATA text here for {other:?}")),
    }
    Ok(())
}
