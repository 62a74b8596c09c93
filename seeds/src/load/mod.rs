//! The write path of a seeding: the generator hands finished batches and raw statements to a
//! writer through a bounded channel, and the writer puts them into the database, in order, on
//! one connection that holds the domain's one transaction, or, when seeding in chunks, one
//! transaction per chunk (see [`Chunking`]).
//!
//! Why a channel: generating the next batch (CPU in this process) and digesting the last
//! (the server, or SQLite's worker thread) then overlap, and the channel's depth bounds the
//! memory both sides hold. Why a connection of our own: SeaORM's `DatabaseTransaction`
//! cannot lend its driver connection, and the bulk paths (PostgreSQL `COPY`) need it; so the
//! transaction is begun with sqlx on a connection of the same pool, and every write of the
//! seeding (`--truncate`'s DELETEs included) goes through it. MariaDB/MySQL in one
//! transaction is the exception: `LOAD DATA LOCAL INFILE` needs a driver sqlx is not, so
//! there the transaction is on a connection of `mysql_async` to the same server
//! (`load/infile.rs`), where the server allows it.
//!
//! Each path (`postgres`, `mysql`, `infile`, `sqlite`) offers the same four operations on its
//! connection, inside the open transaction:
//!
//! - `prepare(conn, tables, profile) -> Restore`: called just before the first rows of
//!   `tables` go in; may change session settings, drop indexes, and so on;
//! - `write(conn, batch, &restore)`: puts a batch of rows in (`restore`: what `prepare`
//!   found and changed for that table);
//! - `execute(conn, statement)`: runs a raw statement of a generator (an UPDATE that
//!   summarises rows, a sequence move);
//! - `finish(conn, restore)`: undoes what `prepare` did (rebuilds indexes, restores
//!   settings, moves staged rows). The writer calls it before the next raw statement (which
//!   may read the tables, and needs their indexes and rows) and before COMMIT, so a committed
//!   domain always has the schema its migrations made.
//!
//! In chunks, every chunk's COMMIT makes what came before it visible for good, so no table
//! may be in the middle of its `prepare` then: the writer asks each backend to prepare no
//! table at all (`prepare(conn, &[], …)`: only the per-statement choices, such as MariaDB's
//! unchecked foreign keys; no index dropped, no staging table), and there is nothing to
//! rebuild between chunks or at the end.

mod encode;
mod infile;
mod mysql;
mod nodelay;
mod postgres;
pub mod recalc;
mod sqlite;

pub use encode::{Columns, Encoded, Encoding};

use std::sync::Arc;

use sea_orm::sqlx::{self, MySql, Postgres, Sqlite, Transaction};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement, Value};
use tokio::sync::mpsc;

use crate::options::Profile;
use crate::state::{self, Done, Recorded};
use crate::writer::{Progress, STOPPED};

/// Operations in flight between the generator and the writer: enough to keep both busy,
/// few enough that memory stays bounded (a batch of wide rows holds a few MiB).
pub const DEPTH: usize = 4;

/// Rows of one table, in generation order, ready to be written.
#[derive(Debug)]
pub struct Batch {
    pub table: &'static str,
    /// Column names, in the order of each row's values.
    pub columns: Arc<[&'static str]>,
    pub rows: usize,
    /// The rows, encoded for the writer's backend ([`Encoded`]).
    pub data: Encoded,
}

/// What the generator sends the writer.
#[derive(Debug)]
pub enum Op {
    Rows(Batch),
    Execute(Statement),
    /// A table's last rows were handed over: its progress ends once they are written.
    Finished(&'static str),
    /// The generator is done: the writer stops reading. When `complete`, it also undoes its
    /// `prepare`s (a stop is heeded between them); otherwise the seeding is about to be
    /// rolled back and there is nothing to rebuild.
    End {
        complete: bool,
    },
}

/// The generator's end of the channel (one per cell, all into the same writer).
#[derive(Clone)]
pub struct Out(mpsc::Sender<Op>);

impl Out {
    /// Hands `op` to the writer, waiting while the channel is full.
    pub async fn send(&self, op: Op) -> Result<(), DbErr> {
        // The writer only goes away after a failure of its own, which it reports itself.
        self.0.send(op).await.map_err(|_| DbErr::Custom(WRITER_GONE.into()))?;
        // Both sides share one task: let the writer see the batch and its finished I/O now,
        // rather than once the channel is full.
        tokio::task::yield_now().await;
        Ok(())
    }
}

/// The error a generator sees once the writer has stopped: never the cause of a failure.
pub const WRITER_GONE: &str = "the writer stopped";

/// A channel between a generator and a [`Writer`], [`DEPTH`] operations deep.
pub fn channel() -> (Out, mpsc::Receiver<Op>) {
    let (tx, rx) = mpsc::channel(DEPTH);
    (Out(tx), rx)
}

/// The transaction of one domain's seeding, on a connection of its own.
enum Conn {
    Postgres(Transaction<'static, Postgres>),
    MySql(Transaction<'static, MySql>),
    /// MariaDB/MySQL in one transaction, where the server allows `LOAD DATA LOCAL`.
    Infile(infile::Conn),
    Sqlite(Transaction<'static, Sqlite>),
}

/// What a backend's `prepare` changed, for its `finish` to undo.
enum Restore {
    Postgres(postgres::Restore),
    MySql(mysql::Restore),
    Infile(infile::Restore),
    Sqlite(sqlite::Restore),
}

/// A seeding in chunks: a COMMIT once at least `rows` rows were written since the last one
/// (at a batch's end), each chunk recording the progress so far in the domain's state table
/// in its own transaction (see [`crate::state`]).
#[derive(Debug, Clone)]
pub struct Chunking {
    /// The state row's key: the domain, or a shard's ([`state::shard_key`]).
    pub key: String,
    pub rows: u64,
    /// What each chunk records; its `done` counts what is committed, and grows.
    pub record: Recorded,
    /// What an earlier run committed (`--resume`): skipped as the same stream comes again.
    pub skip: Done,
}

/// Writes one domain's seeding in one transaction, or in chunks. Dropping it without
/// [`Writer::commit`] rolls the open transaction back (sqlx does so when the connection goes
/// back to the pool); chunks committed before stay.
pub struct Writer {
    db: DatabaseConnection,
    /// The open transaction; `None` only between a chunk's COMMIT and the next BEGIN.
    conn: Option<Conn>,
    profile: Profile,
    /// Tables prepared since the last `finish`, and what to undo.
    prepared: Vec<(&'static str, Restore)>,
    chunking: Option<Chunking>,
    /// Rows written since the last chunk's COMMIT.
    since_commit: u64,
    /// Chunks this writer committed.
    committed: u64,
    /// The domain whose state row the final COMMIT deletes: the seeding is then complete.
    clear_state: Option<&'static str>,
    /// The final COMMIT records the chunking's part as complete instead (a shard's).
    record_complete: bool,
}

/// A driver error as SeaORM reports one, so callers read it the same way as before.
pub fn db_err(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

/// `context`: `e`, keeping the driver's message in one line.
pub(crate) fn with_context(context: impl std::fmt::Display, e: DbErr) -> DbErr {
    DbErr::Custom(format!("{context}: {}", seedbed_core::driver_message(&e)))
}

impl Writer {
    /// Takes a connection from `db`'s pool and begins the transaction on it. `chunking`:
    /// commit in chunks; `clear_state`: the final COMMIT deletes that domain's state row (a
    /// chunked seeding's, or an incomplete one's that `--truncate` replaces); `sole`: the
    /// domain's only writer (not a shard), free to change its tables' options for the load
    /// ([`recalc`]).
    pub async fn begin(
        db: &DatabaseConnection,
        profile: Profile,
        chunking: Option<Chunking>,
        clear_state: Option<&'static str>,
        sole: bool,
    ) -> Result<Self, DbErr> {
        // In chunks, rows go in as they come: a chunk's COMMIT cannot wait for a table's end.
        let conn = match (db.get_database_backend(), &chunking) {
            (DbBackend::MySql, None) => {
                match infile::begin(db.get_mysql_connection_pool(), profile, sole).await? {
                    Some(conn) => Conn::Infile(conn),
                    None => Self::begin_on(db).await?,
                }
            }
            _ => Self::begin_on(db).await?,
        };
        Ok(Writer {
            db: db.clone(),
            conn: Some(conn),
            profile,
            prepared: Vec::new(),
            chunking,
            since_commit: 0,
            committed: 0,
            clear_state,
            record_complete: false,
        })
    }

    /// Makes the final COMMIT record this writer's part (a shard's) as complete, with what it
    /// wrote, rather than delete anything: the part's last transaction says it is done.
    pub fn record_complete(&mut self) {
        self.record_complete = true;
    }

    /// Locks the state rows of a sharded seeding in this transaction and says whether all of
    /// its `n` shards are written: `None` when there are no shard rows (another finished it).
    pub async fn shards_written(&mut self, domain: &str, n: u32) -> Result<Option<bool>, DbErr> {
        let sql = state::lock_shards_sql(self.db.get_database_backend());
        let rows: Vec<(String, String)> = match self.conn.as_mut().expect("an open transaction") {
            Conn::Postgres(t) => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(&mut **t).await,
            Conn::MySql(t) => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(&mut **t).await,
            Conn::Infile(c) => Ok(c.pairs(&sql).await?),
            Conn::Sqlite(t) => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(&mut **t).await,
        }
        .map_err(db_err)?;
        let mut written = 0;
        let mut any = false;
        for (key, progress) in rows {
            let Some(shard) = key.strip_prefix(domain).and_then(|k| k.strip_prefix('#')) else { continue };
            any = true;
            let complete = Done::decode(&progress).is_some_and(|d| d.complete);
            if complete && shard.parse::<crate::cells::Shard>().is_ok_and(|s| s.n == n) {
                written += 1;
            }
        }
        Ok(any.then_some(written == n))
    }

    /// How this writer takes rows: as the backend's statements bind them, or as `LOAD DATA`
    /// text.
    pub fn encoding(&self) -> Encoding {
        match self.conn.as_ref().expect("an open transaction") {
            Conn::Postgres(_) => Encoding::Copy,
            Conn::MySql(_) => Encoding::MySql,
            Conn::Infile(_) => Encoding::LoadData,
            Conn::Sqlite(_) => Encoding::Sqlite,
        }
    }

    /// Runs `sql` on this writer's connection, outside the seeding's own statements (no
    /// progress is counted): session settings.
    pub async fn session(&mut self, sql: &str) -> Result<(), DbErr> {
        match self.conn.as_mut().expect("an open transaction") {
            Conn::Postgres(t) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut **t).await.map(|_| ())
            }
            Conn::MySql(t) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut **t).await.map(|_| ())
            }
            Conn::Infile(c) => return c.execute(&Statement::from_string(DbBackend::MySql, sql)).await,
            Conn::Sqlite(t) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut **t).await.map(|_| ())
            }
        }
        .map_err(db_err)
    }

    async fn begin_on(db: &DatabaseConnection) -> Result<Conn, DbErr> {
        Ok(match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut t = db.get_postgres_connection_pool().begin().await.map_err(db_err)?;
                // NULL over a Unix socket.
                let port: Option<i32> = sqlx::query_scalar("SELECT inet_client_port()")
                    .fetch_one(&mut *t)
                    .await
                    .map_err(db_err)?;
                if let Some(port) = port.and_then(|p| u16::try_from(p).ok()) {
                    nodelay::set_on_local_port(port);
                }
                Conn::Postgres(t)
            }
            DbBackend::MySql => {
                let mut t = db.get_mysql_connection_pool().begin().await.map_err(db_err)?;
                // `HOST` is `address:port` over TCP, `localhost` over a Unix socket.
                let host: Option<String> = sqlx::query_scalar(
                    "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()",
                )
                .fetch_optional(&mut *t)
                .await
                .map_err(db_err)?;
                if let Some(port) =
                    host.as_deref().and_then(|h| h.rsplit_once(':')).and_then(|(_, p)| p.parse().ok())
                {
                    nodelay::set_on_local_port(port);
                }
                Conn::MySql(t)
            }
            DbBackend::Sqlite => Conn::Sqlite(db.get_sqlite_connection_pool().begin().await.map_err(db_err)?),
            other => return Err(DbErr::Custom(format!("no writer for {other:?}"))),
        })
    }

    /// Whether it commits in chunks (or is a shard's part), recording its progress.
    pub fn chunked(&self) -> bool {
        self.chunking.is_some()
    }

    /// Chunks this writer has committed: when nonzero, a failure leaves the domain
    /// incomplete (and resumable) rather than as it was.
    pub fn committed_chunks(&self) -> u64 {
        self.committed
    }

    /// Rows of `table` still to skip, at most `rows`, taken off what is left to skip.
    fn take_skip_rows(&mut self, table: &str, rows: usize) -> usize {
        let Some(left) = self.chunking.as_mut().and_then(|c| c.skip.rows.get_mut(table)) else { return 0 };
        let skip = (*left).min(rows as u64);
        *left -= skip;
        skip as usize
    }

    /// Whether the next statement was run by an earlier run already.
    fn take_skip_statement(&mut self) -> bool {
        match self.chunking.as_mut() {
            Some(c) if c.skip.statements > 0 => {
                c.skip.statements -= 1;
                true
            }
            _ => false,
        }
    }

    /// Commits the chunk written so far, with its progress, and begins the next one.
    async fn commit_chunk(&mut self, progress: &dyn Progress) -> Result<(), DbErr> {
        if progress.stopping() {
            return Err(DbErr::Custom(STOPPED.into()));
        }
        let backend = self.db.get_database_backend();
        let chunk = self.chunking.as_mut().expect("chunks only when chunking");
        chunk.record.chunks += 1;
        chunk.record.updated = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let statements = state::record(backend, &chunk.key, &chunk.record);
        for stmt in &statements {
            self.execute(stmt).await.map_err(|e| with_context("recording the seeding's progress", e))?;
        }
        // COMMIT before the next BEGIN: the connection goes back to the pool in between, and
        // the next transaction may be on another one (nothing of the session is relied on).
        match self.conn.take().expect("an open transaction") {
            Conn::Postgres(t) => t.commit().await.map_err(db_err),
            Conn::MySql(t) => t.commit().await.map_err(db_err),
            Conn::Infile(c) => c.commit().await,
            Conn::Sqlite(t) => t.commit().await.map_err(db_err),
        }
        .map_err(|e| with_context("committing a chunk", e))?;
        self.committed += 1;
        self.conn = Some(Self::begin_on(&self.db).await?);
        self.since_commit = 0;
        Ok(())
    }

    /// Writes what arrives on `ops` until [`Op::End`], stopping before the next operation
    /// once `progress` says so. `ops` is dropped on return, so a generator still sending
    /// learns that the writer is gone.
    pub async fn run(&mut self, mut ops: mpsc::Receiver<Op>, progress: &dyn Progress) -> Result<(), DbErr> {
        while let Some(op) = ops.recv().await {
            if progress.stopping() {
                return Err(DbErr::Custom(STOPPED.into()));
            }
            match op {
                Op::Rows(mut batch) => {
                    let skip = self.take_skip_rows(batch.table, batch.rows);
                    if skip > 0 {
                        progress.advance(batch.table, skip as u64);
                        if skip == batch.rows {
                            continue;
                        }
                        batch
                            .data
                            .drop_front(skip, batch.columns.len())
                            .map_err(|e| DbErr::Custom(format!("resuming {}: {e}", batch.table)))?;
                        batch.rows -= skip;
                    }
                    let at = match self.prepared.iter().position(|(t, _)| *t == batch.table) {
                        Some(at) => at,
                        None => {
                            let restore = self.prepare(batch.table).await?;
                            self.prepared.push((batch.table, restore));
                            self.prepared.len() - 1
                        }
                    };
                    let (table, rows) = (batch.table, batch.rows);
                    self.write(batch, at)
                        .await
                        .map_err(|e| with_context(format_args!("writing {rows} rows of {table}"), e))?;
                    progress.advance(table, rows as u64);
                    if let Some(chunk) = self.chunking.as_mut() {
                        *chunk.record.done.rows.entry(table.to_owned()).or_default() += rows as u64;
                        self.since_commit += rows as u64;
                        if self.since_commit >= chunk.rows {
                            self.commit_chunk(progress).await?;
                        }
                    }
                }
                Op::Execute(stmt) => {
                    if self.take_skip_statement() {
                        continue;
                    }
                    self.finish(progress).await?;
                    self.execute(&stmt).await?;
                    if let Some(chunk) = self.chunking.as_mut() {
                        chunk.record.done.statements += 1;
                    }
                }
                Op::Finished(table) => progress.finish(table),
                Op::End { complete } => {
                    if complete {
                        self.finish(progress).await?;
                    }
                    return Ok(());
                }
            }
        }
        // The generator went away without saying it was done: nothing may be committed.
        Err(DbErr::Custom("the generator ended without finishing".into()))
    }

    /// Undoes every `prepare` since the last `finish`, latest first, stopping before the
    /// next one once `progress` says so.
    async fn finish(&mut self, progress: &dyn Progress) -> Result<(), DbErr> {
        while let Some((table, restore)) = self.prepared.pop() {
            if progress.stopping() {
                return Err(DbErr::Custom(STOPPED.into()));
            }
            let done = match (self.conn.as_mut().expect("an open transaction"), restore) {
                (Conn::Postgres(c), Restore::Postgres(r)) => postgres::finish(c, r).await,
                (Conn::MySql(c), Restore::MySql(r)) => mysql::finish(c, r).await,
                (Conn::Infile(c), Restore::Infile(r)) => c.finish(r).await,
                (Conn::Sqlite(c), Restore::Sqlite(r)) => sqlite::finish(c, r).await,
                _ => unreachable!("a restore of another backend"),
            };
            done.map_err(|e| with_context(format_args!("restoring {table} after its load"), e))?;
        }
        Ok(())
    }

    /// Ends the seeding: undoes what is still prepared (nothing, after a complete
    /// [`Writer::run`]), marks the domain complete (deletes its state row) where asked, then
    /// COMMIT.
    pub async fn commit(mut self) -> Result<(), DbErr> {
        if let Err(e) = self.seal().await {
            // Rolled back and waited for, as a failed run is: what the load switched for
            // its duration is switched back (see `recalc`).
            let _ = self.rollback().await;
            return Err(e);
        }
        match self.conn.expect("an open transaction") {
            Conn::Postgres(t) => t.commit().await.map_err(db_err),
            Conn::MySql(t) => t.commit().await.map_err(db_err),
            Conn::Infile(c) => c.commit().await,
            Conn::Sqlite(t) => t.commit().await.map_err(db_err),
        }
    }

    /// What [`Writer::commit`] does before COMMIT.
    async fn seal(&mut self) -> Result<(), DbErr> {
        self.finish(&crate::writer::Quiet).await?;
        if self.record_complete {
            let backend = self.db.get_database_backend();
            let chunk = self.chunking.as_mut().expect("a part recorded as it goes");
            chunk.record.done.complete = true;
            chunk.record.chunks += 1;
            chunk.record.updated = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string();
            for stmt in &state::record(backend, &chunk.key, &chunk.record) {
                self.execute(stmt).await.map_err(|e| with_context("recording the part as written", e))?;
            }
        }
        if let Some(domain) = self.clear_state {
            let clear = state::clear(self.db.get_database_backend(), domain);
            self.execute(&clear).await.map_err(|e| with_context("marking the seeding complete", e))?;
        }
        Ok(())
    }

    /// Rolls the transaction back and waits for it.
    pub async fn rollback(self) -> Result<(), DbErr> {
        let Some(conn) = self.conn else { return Ok(()) };
        match conn {
            Conn::Postgres(t) => t.rollback().await.map_err(db_err),
            Conn::MySql(t) => t.rollback().await.map_err(db_err),
            Conn::Infile(c) => c.rollback().await,
            Conn::Sqlite(t) => t.rollback().await.map_err(db_err),
        }
    }

    async fn prepare(&mut self, table: &'static str) -> Result<Restore, DbErr> {
        // In chunks, no table is changed for its load (see the module's documentation).
        let tables: &[&'static str] = match self.chunking {
            Some(_) => &[],
            None => &[table],
        };
        let prepared = match self.conn.as_mut().expect("an open transaction") {
            Conn::Postgres(c) => postgres::prepare(c, tables, self.profile).await.map(Restore::Postgres),
            Conn::MySql(c) => mysql::prepare(c).await.map(Restore::MySql),
            Conn::Infile(c) => c.prepare(table, self.profile).await.map(Restore::Infile),
            Conn::Sqlite(c) => sqlite::prepare(c, tables, self.profile).await.map(Restore::Sqlite),
        };
        prepared.map_err(|e| with_context(format_args!("preparing {table} for its load"), e))
    }

    /// Writes `batch`, whose table was prepared as `self.prepared[at]`.
    async fn write(&mut self, batch: Batch, at: usize) -> Result<(), DbErr> {
        match (self.conn.as_mut().expect("an open transaction"), &self.prepared[at].1) {
            (Conn::Postgres(c), Restore::Postgres(r)) => postgres::write(c, batch, r).await,
            (Conn::MySql(c), Restore::MySql(r)) => mysql::write(c, batch, r).await,
            (Conn::Infile(c), Restore::Infile(r)) => c.write(batch, r).await,
            (Conn::Sqlite(c), Restore::Sqlite(r)) => sqlite::write(c, batch, r).await,
            _ => unreachable!("a restore of another backend"),
        }
    }

    async fn execute(&mut self, stmt: &Statement) -> Result<(), DbErr> {
        match self.conn.as_mut().expect("an open transaction") {
            Conn::Postgres(c) => postgres::execute(c, stmt).await,
            Conn::MySql(c) => mysql::execute(c, stmt).await,
            Conn::Infile(c) => c.execute(stmt).await,
            Conn::Sqlite(c) => sqlite::execute(c, stmt).await,
        }
    }
}

/// A multi-row `INSERT` of `rows` rows into `batch`'s table, with `?` or `$n` placeholders.
pub(crate) fn insert_sql(backend: DbBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let q = |s: &str| match backend {
        DbBackend::MySql => format!("`{s}`"),
        _ => format!("\"{s}\""),
    };
    let cols: Vec<String> = columns.iter().map(|c| q(c)).collect();
    let width = columns.len();
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", q(table), cols.join(", "));
    sql.reserve(rows * width * 5);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// `stmt`'s values, as sqlx binds them.
pub(crate) fn arguments(values: Vec<Value>) -> sea_query_sqlx::SqlxValues {
    sea_query_sqlx::SqlxValues(sea_orm::sea_query::Values(values))
}
