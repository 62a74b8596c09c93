//! The write path of a seeding: the generator hands finished batches and raw statements to a
//! writer through a bounded channel, and the writer puts them into the database, in order, on
//! one connection that holds the domain's one transaction.
//!
//! Why a channel: generating the next batch (CPU in this process) and digesting the last
//! (the server, or SQLite's worker thread) then overlap, and the channel's depth bounds the
//! memory both sides hold. Why a connection of our own: SeaORM's `DatabaseTransaction`
//! cannot lend its driver connection, and the bulk paths (PostgreSQL `COPY`) need it; so the
//! transaction is begun with sqlx on a connection of the same pool, and every write of the
//! seeding (`--truncate`'s DELETEs included) goes through it.
//!
//! Each backend module (`postgres`, `mysql`, `sqlite`) offers the same four operations on its
//! sqlx connection, inside the open transaction:
//!
//! - `prepare(conn, tables, profile) -> Restore`: called just before the first rows of
//!   `tables` go in; may change session settings, drop indexes, and so on;
//! - `write(conn, batch, &restore)`: puts a batch of rows in (`restore`: what `prepare`
//!   found and changed for that table);
//! - `execute(conn, statement)`: runs a raw statement of a generator (an UPDATE that
//!   summarises rows, a sequence move);
//! - `finish(conn, restore)`: undoes what `prepare` did (rebuilds indexes, restores
//!   settings). The writer calls it before the next raw statement (which may read the
//!   tables, and needs their indexes) and before COMMIT, so a committed domain always has
//!   the schema its migrations made.

mod encode;
mod mysql;
mod postgres;
mod sqlite;

pub use encode::Encoded;

use std::sync::Arc;

use sea_orm::sqlx::{self, MySql, Postgres, Sqlite, Transaction};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement, Value};
use tokio::sync::mpsc;

use crate::options::Profile;
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

/// The generator's end of the channel.
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
    Sqlite(Transaction<'static, Sqlite>),
}

/// What a backend's `prepare` changed, for its `finish` to undo.
enum Restore {
    Postgres(postgres::Restore),
    MySql(mysql::Restore),
    Sqlite(sqlite::Restore),
}

/// Writes one domain's seeding in one transaction. Dropping it without [`Writer::commit`]
/// rolls the transaction back (sqlx does so when the connection goes back to the pool).
pub struct Writer {
    conn: Conn,
    profile: Profile,
    /// Tables prepared since the last `finish`, and what to undo.
    prepared: Vec<(&'static str, Restore)>,
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
    /// Takes a connection from `db`'s pool and begins the transaction on it.
    pub async fn begin(db: &DatabaseConnection, profile: Profile) -> Result<Self, DbErr> {
        let conn = match db.get_database_backend() {
            DbBackend::Postgres => {
                Conn::Postgres(db.get_postgres_connection_pool().begin().await.map_err(db_err)?)
            }
            DbBackend::MySql => Conn::MySql(db.get_mysql_connection_pool().begin().await.map_err(db_err)?),
            DbBackend::Sqlite => Conn::Sqlite(db.get_sqlite_connection_pool().begin().await.map_err(db_err)?),
            other => return Err(DbErr::Custom(format!("no writer for {other:?}"))),
        };
        Ok(Writer { conn, profile, prepared: Vec::new() })
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
                Op::Rows(batch) => {
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
                }
                Op::Execute(stmt) => {
                    self.finish(progress).await?;
                    self.execute(&stmt).await?;
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
            let done = match (&mut self.conn, restore) {
                (Conn::Postgres(c), Restore::Postgres(r)) => postgres::finish(c, r).await,
                (Conn::MySql(c), Restore::MySql(r)) => mysql::finish(c, r).await,
                (Conn::Sqlite(c), Restore::Sqlite(r)) => sqlite::finish(c, r).await,
                _ => unreachable!("a restore of another backend"),
            };
            done.map_err(|e| with_context(format_args!("restoring {table} after its load"), e))?;
        }
        Ok(())
    }

    /// Ends the seeding: undoes what is still prepared (nothing, after a complete
    /// [`Writer::run`]), then COMMIT.
    pub async fn commit(mut self) -> Result<(), DbErr> {
        self.finish(&crate::writer::Quiet).await?;
        match self.conn {
            Conn::Postgres(t) => t.commit().await,
            Conn::MySql(t) => t.commit().await,
            Conn::Sqlite(t) => t.commit().await,
        }
        .map_err(db_err)
    }

    /// Rolls the transaction back and waits for it.
    pub async fn rollback(self) -> Result<(), DbErr> {
        match self.conn {
            Conn::Postgres(t) => t.rollback().await,
            Conn::MySql(t) => t.rollback().await,
            Conn::Sqlite(t) => t.rollback().await,
        }
        .map_err(db_err)
    }

    async fn prepare(&mut self, table: &'static str) -> Result<Restore, DbErr> {
        let tables = [table];
        let prepared = match &mut self.conn {
            Conn::Postgres(c) => postgres::prepare(c, &tables, self.profile).await.map(Restore::Postgres),
            Conn::MySql(c) => mysql::prepare(c, &tables, self.profile).await.map(Restore::MySql),
            Conn::Sqlite(c) => sqlite::prepare(c, &tables, self.profile).await.map(Restore::Sqlite),
        };
        prepared.map_err(|e| with_context(format_args!("preparing {table} for its load"), e))
    }

    /// Writes `batch`, whose table was prepared as `self.prepared[at]`.
    async fn write(&mut self, batch: Batch, at: usize) -> Result<(), DbErr> {
        match (&mut self.conn, &self.prepared[at].1) {
            (Conn::Postgres(c), Restore::Postgres(r)) => postgres::write(c, batch, r).await,
            (Conn::MySql(c), Restore::MySql(r)) => mysql::write(c, batch, r).await,
            (Conn::Sqlite(c), Restore::Sqlite(r)) => sqlite::write(c, batch, r).await,
            _ => unreachable!("a restore of another backend"),
        }
    }

    async fn execute(&mut self, stmt: &Statement) -> Result<(), DbErr> {
        match &mut self.conn {
            Conn::Postgres(c) => postgres::execute(c, stmt).await,
            Conn::MySql(c) => mysql::execute(c, stmt).await,
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
