//! MariaDB/MySQL's bulk path: `LOAD DATA LOCAL INFILE` of each batch, fed from this
//! process's memory, on a connection of `mysql_async` (sqlx cannot answer a LOCAL INFILE
//! request). The server parses tab-separated text instead of a statement of thousands of
//! parameters.
//!
//! A `LOAD DATA LOCAL` into an empty table does not get the sorted build an `INSERT … SELECT`
//! gets from InnoDB's bulk insert (MDEV-24621): `LOCAL` implies `IGNORE` (the server cannot
//! stop the client's stream midway), and MariaDB inserts a `LOAD DATA`'s clustered index row
//! by row (MDEV-34703). With random keys in generation order, `large`'s big tables crawl
//! (raffle's `transactions`, 1.1M rows: 30.8 s in one `LOAD DATA LOCAL`, 8.0 s moved by
//! `INSERT … SELECT`; docs/performance.md). So at `large` a table's batches go into a staging
//! table of the session (`CREATE TEMPORARY TABLE`, which unlike other DDL does not commit the
//! transaction) without any index, and [`Conn::finish`] moves them into the empty table with
//! one `INSERT … SELECT`, which InnoDB bulk-loads: the primary key and every secondary index
//! built by sorting, inside the transaction, its undo log noting only that the table was
//! empty, so a rollback still empties it. That is "indexes after the load" without the ALTER
//! TABLE that would commit the transaction; a duplicate key fails the move.
//!
//! The connection is this writer's own (not pooled: nothing of its session outlives the
//! seeding), opened with the pool's options and the session settings sqlx makes, and holds
//! the domain's one transaction, with `foreign_key_checks=0, unique_checks=0` for the
//! session. The rows obey every key by construction, and `seedbed check` proves it. Since
//! `IGNORE` turns what would be errors (a duplicate key, a value that does not fit) into
//! warnings, every load must write every row of its batch without a warning, or the seeding
//! fails.
//!
//! The server must allow it (`local_infile`, on by default in MariaDB, off in MySQL 8): when
//! it does not, the writer keeps sqlx and multi-row INSERTs ([`super::mysql`]).

use std::io::Write as _;

use futures_util::StreamExt as _;
use mysql_async::prelude::Queryable as _;
use sea_orm::sea_query::OptionEnum;
use sea_orm::sqlx::{self, ConnectOptions as _, MySqlPool};
use sea_orm::{DbErr, Statement, Value};

use super::encode::{Encoded, Fraction, Timestamp};
use super::{Batch, recalc};
use crate::options::Profile;

/// The connection that holds the seeding's transaction.
pub(crate) struct Conn {
    conn: mysql_async::Conn,
    /// Whether this seeding switched its tables' statistics recalculation off ([`super::recalc`]),
    /// to switch it back on once the transaction ends.
    paused: bool,
}

/// Where a table's batches go, and what [`Conn::finish`] does with them.
pub(crate) enum Restore {
    /// Straight into the table.
    Direct,
    /// Into `staging`, moved into `table` at the end.
    Staged { table: &'static str, staging: String },
}

/// Whether a table's rows go through a staging table at `profile`: it pays where tables are
/// big (every row is written twice, the second time by sorting), and costs at `dev`.
fn staged(profile: Profile) -> bool {
    profile == Profile::Large
}

/// The session's ceiling for an in-memory temporary table (bytes).
const SUMS_IN_MEMORY: u64 = 256 << 20;

fn err(context: impl std::fmt::Display, e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("{context}: {e}"))
}

/// Opens the loading connection to the server `pool` connects to and begins the
/// transaction; `None` when the server does not allow `LOAD DATA LOCAL`. `sole`: this is the
/// domain's only writer (not one shard of several, whose DDL would wait for the others'
/// transactions), which may switch its tables' statistics recalculation off at `profile`s
/// that stage.
pub(crate) async fn begin(pool: &MySqlPool, profile: Profile, sole: bool) -> Result<Option<Conn>, DbErr> {
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
    // The summaries group a table by user into an in-memory temporary table; past
    // `tmp_table_size` (16 MiB by default) the server converts it to an on-disk one and
    // the grouping crawls: draw's coins at `large` (100,000 users keyed by VARCHAR(255),
    // about 1 KiB a row in memory) took 9.1 s, 2.3 s within 256 MiB (docs/performance.md).
    // A ceiling for this session alone, not an allocation: a bigger grouping still spills.
    conn.exec_drop(
        format!(
            "SET time_zone = ?, sql_mode = ?, {names}, foreign_key_checks = 0, unique_checks = 0, \
             tmp_table_size = {SUMS_IN_MEMORY}, max_heap_table_size = {SUMS_IN_MEMORY}"
        ),
        (time_zone, sql_mode),
    )
    .await
    .map_err(|e| err("setting up the bulk load's session", e))?;
    let mut conn = Conn { conn, paused: false };
    if sole && staged(profile) {
        conn.pause_statistics().await?;
    }
    conn.conn.query_drop("BEGIN").await.map_err(|e| err("beginning the seeding's transaction", e))?;
    Ok(Some(conn))
}

impl Conn {
    pub(crate) async fn commit(mut self) -> Result<(), DbErr> {
        let committed = self.conn.query_drop("COMMIT").await.map_err(|e| err("committing", e));
        // Whatever the COMMIT's fate, the switch is undone; and a failure to undo it does not
        // undo the seeding: the list stays, and the next command that changes the domain
        // switches its tables back (and says so).
        let _ = self.resume_statistics().await;
        committed?;
        self.conn.disconnect().await.map_err(|e| err("disconnecting after the commit", e))
    }

    pub(crate) async fn rollback(mut self) -> Result<(), DbErr> {
        let rolled_back = self.conn.query_drop("ROLLBACK").await.map_err(|e| err("rolling back", e));
        let _ = self.resume_statistics().await;
        rolled_back?;
        self.conn.disconnect().await.map_err(|e| err("disconnecting after the rollback", e))
    }

    /// Lists, then switches off, the statistics recalculation of the domain's tables, before
    /// the transaction begins (each `ALTER TABLE` commits); the list ends up naming exactly
    /// the tables switched (and any that a killed seeding's list named). Each ALTER waits at
    /// most [`recalc::LOCK_WAIT`] seconds for the table's metadata lock: once another
    /// session holds one that long, the remaining tables keep their recalculation (the switch
    /// only saves CPU, and waiting would hold up the seeding and every reader queued behind
    /// the ALTER). Not on a Galera node, where each ALTER is ordered across the cluster and
    /// aborts what conflicts with it on the other nodes.
    async fn pause_statistics(&mut self) -> Result<(), DbErr> {
        let failed = |e| err("switching the tables' statistics recalculation off for the load", e);
        let wsrep: Option<(String, String)> =
            self.conn.query_first("SHOW VARIABLES LIKE 'wsrep_on'").await.map_err(failed)?;
        if wsrep.is_some_and(|(_, on)| on.eq_ignore_ascii_case("ON")) {
            return Ok(());
        }
        let tables: Vec<String> = self.conn.query(recalc::DEFAULT_RECALC_SQL).await.map_err(failed)?;
        self.conn.query_drop(recalc::create_sql()).await.map_err(failed)?;
        self.paused = true;
        self.conn.query_drop(recalc::bounded_sql()).await.map_err(failed)?;
        for table in &tables {
            // Listed first: whatever kills the seeding now, the list names the table.
            self.conn.exec_drop(recalc::list_sql(), (table,)).await.map_err(failed)?;
            match self.conn.query_drop(recalc::alter_sql(table, true)).await {
                Ok(()) => {}
                Err(mysql_async::Error::Server(e)) if e.code == recalc::ER_LOCK_WAIT_TIMEOUT => {
                    self.conn.exec_drop(recalc::unlist_sql(), (table,)).await.map_err(failed)?;
                    break;
                }
                Err(e) => return Err(failed(e)),
            }
        }
        self.conn.query_drop("SET SESSION lock_wait_timeout = DEFAULT").await.map_err(failed)
    }

    /// Switches back on what [`Conn::pause_statistics`] switched off, and drops the list,
    /// once the transaction has ended; a table whose metadata lock another session holds
    /// past [`recalc::LOCK_WAIT`] seconds stays listed, for the next writing command.
    async fn resume_statistics(&mut self) -> Result<(), DbErr> {
        if !self.paused {
            return Ok(());
        }
        let failed = |e| err("switching the tables' statistics recalculation back on", e);
        self.conn.query_drop(recalc::bounded_sql()).await.map_err(failed)?;
        let tables: Vec<String> = self.conn.query(recalc::listed_sql()).await.map_err(failed)?;
        for table in &tables {
            self.conn.query_drop(recalc::alter_sql(table, false)).await.map_err(failed)?;
            self.conn.exec_drop(recalc::unlist_sql(), (table,)).await.map_err(failed)?;
        }
        self.conn.query_drop(recalc::drop_sql()).await.map_err(failed)?;
        self.paused = false;
        Ok(())
    }

    /// Runs a statement of the seeding (a summary's UPDATE, a DELETE of `--truncate`).
    pub(crate) async fn execute(&mut self, stmt: &Statement) -> Result<(), DbErr> {
        let values = stmt.values.clone().map(|v| v.0).unwrap_or_default();
        let done = if values.is_empty() {
            self.conn.query_drop(&stmt.sql).await
        } else {
            let params: Vec<mysql_async::Value> =
                values.into_iter().map(param).collect::<Result<_, _>>().map_err(DbErr::Custom)?;
            self.conn.exec_drop(&stmt.sql, params).await
        };
        done.map_err(|e| err("running a statement of the seeding", e))
    }

    /// Runs `sql` and returns its rows of two strings.
    pub(crate) async fn pairs(&mut self, sql: &str) -> Result<Vec<(String, String)>, DbErr> {
        self.conn.query(sql).await.map_err(|e| err("reading the seeding's state", e))
    }

    /// Makes ready for `table`'s rows: a staging table at `profile`s that stage.
    pub(crate) async fn prepare(&mut self, table: &'static str, profile: Profile) -> Result<Restore, DbErr> {
        if !staged(profile) {
            return Ok(Restore::Direct);
        }
        let staging = format!("seedbed_load_{table}");
        // Aria, not InnoDB: measured cheaper for rows written once and read once, and the
        // staging needs no transaction of its own (the rows' fate is the INSERT … SELECT's).
        // Temporary tables are not rolled back, but this connection ends with the seeding.
        let sql = format!("CREATE TEMPORARY TABLE `{staging}` ENGINE=Aria SELECT * FROM `{table}` LIMIT 0");
        self.conn.query_drop(sql).await.map_err(|e| err("creating a staging table", e))?;
        Ok(Restore::Staged { table, staging })
    }

    /// Loads a batch with one `LOAD DATA LOCAL INFILE`, its rows sent from memory.
    pub(crate) async fn write(&mut self, batch: Batch, restore: &Restore) -> Result<(), DbErr> {
        let Encoded::LoadData(text) = batch.data else {
            return Err(DbErr::Custom(format!("a batch of {} was not encoded for LOAD DATA", batch.table)));
        };
        let into = match restore {
            Restore::Direct => batch.table,
            Restore::Staged { staging, .. } => staging,
        };
        let data = bytes::Bytes::from(text);
        // The bytes are moved in, not a stream: the handler must be `Sync`, a boxed stream is not.
        self.conn.set_infile_handler(async move {
            Ok::<_, mysql_async::Error>(futures_util::stream::once(async move { Ok(data) }).boxed())
        });
        let cols: Vec<String> = batch.columns.iter().map(|c| format!("`{c}`")).collect();
        // `binary`: the bytes go into each column as they are, as a bound parameter's do.
        let sql = format!(
            "LOAD DATA LOCAL INFILE 'seedbed' INTO TABLE `{into}` CHARACTER SET binary ({})",
            cols.join(", ")
        );
        self.conn.query_drop(sql).await.map_err(|e| err("LOAD DATA", e))?;
        let (written, warnings, rows) =
            (self.conn.affected_rows(), self.conn.get_warnings(), batch.rows as u64);
        if written != rows || warnings > 0 {
            let first: Option<(String, u32, String)> =
                self.conn.query_first("SHOW WARNINGS LIMIT 1").await.unwrap_or_default();
            let first = first.map(|(level, code, text)| format!(", the first: {level} {code}: {text}"));
            return Err(DbErr::Custom(format!(
                "LOAD DATA wrote {written} of {rows} rows with {warnings} warnings{}",
                first.unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// Moves staged rows into their table.
    pub(crate) async fn finish(&mut self, restore: Restore) -> Result<(), DbErr> {
        let Restore::Staged { table, staging } = restore else { return Ok(()) };
        for sql in [
            format!("INSERT INTO `{table}` SELECT * FROM `{staging}`"),
            format!("DROP TEMPORARY TABLE `{staging}`"),
        ] {
            self.conn.query_drop(sql).await.map_err(|e| err("moving the staged rows", e))?;
        }
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
