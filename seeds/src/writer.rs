//! Writing generated rows: each table's rows go out as multi-row INSERTs as large as the
//! backend's bind-parameter limit allows, in the order they were generated (key order).

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait, Statement, Value,
};

/// Bind parameters one statement may carry: SQLite 3.32+ allows 32,766, PostgreSQL and
/// MySQL 65,535.
pub fn bind_limit(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 32_766,
        _ => 65_535,
    }
}

/// Rows per statement at most: past a couple of thousand rows a bigger statement is no
/// faster, and a batch of JSON-heavy rows already holds megabytes.
pub const MAX_BATCH_ROWS: usize = 2_000;

/// Where progress goes: a progress bar per table on a terminal, nothing otherwise.
pub trait Progress: Send + Sync {
    /// A table is about to be written, `expected` rows or so.
    fn start(&self, table: &str, expected: u64);
    /// `rows` more rows of `table` were written.
    fn advance(&self, table: &str, rows: u64);
    fn finish(&self, table: &str);
    /// Whether the writing should stop before its next statement: a statement is never
    /// abandoned half-sent, which would leave the connection unable to roll back.
    fn stopping(&self) -> bool {
        false
    }
}

/// The error a [`Sink`] returns when [`Progress::stopping`] said so.
pub const STOPPED: &str = "stopped before the next batch";

/// Reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: &str, _: u64) {}
    fn finish(&self, _: &str) {}
}

/// The pending rows of one table.
pub struct Sink<E: EntityTrait> {
    table: &'static str,
    columns: Vec<E::Column>,
    backend: DbBackend,
    values: Vec<Value>,
    rows: usize,
    batch_rows: usize,
    full_batch_sql: String,
    written: u64,
}

impl<E: EntityTrait> Sink<E> {
    pub fn new(backend: DbBackend) -> Self {
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let batch_rows = (bind_limit(backend) / columns.len()).clamp(1, MAX_BATCH_ROWS);
        let table = E::default().table_name();
        let mut sink = Sink {
            table,
            columns,
            backend,
            values: Vec::new(),
            rows: 0,
            batch_rows,
            full_batch_sql: String::new(),
            written: 0,
        };
        sink.full_batch_sql = sink.insert_sql(batch_rows);
        sink
    }

    pub fn table(&self) -> &'static str {
        self.table
    }

    /// Rows written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Queues a row; true when a full batch is waiting to be flushed. Rows queued past a
    /// full batch are fine: `flush` splits them.
    #[must_use = "flush the sink when it is full"]
    pub fn push(&mut self, model: &E::Model) -> bool {
        if self.values.is_empty() {
            self.values.reserve(self.batch_rows * self.columns.len());
        }
        for c in &self.columns {
            self.values.push(model.get(*c));
        }
        self.rows += 1;
        self.rows >= self.batch_rows
    }

    /// Writes every queued row, in statements of at most a full batch each.
    pub async fn flush(&mut self, db: &impl ConnectionTrait, progress: &dyn Progress) -> Result<(), DbErr> {
        let width = self.columns.len();
        let mut values = std::mem::take(&mut self.values).into_iter();
        while self.rows > 0 {
            if progress.stopping() {
                return Err(DbErr::Custom(STOPPED.into()));
            }
            let rows = self.rows.min(self.batch_rows);
            let sql =
                if rows == self.batch_rows { self.full_batch_sql.clone() } else { self.insert_sql(rows) };
            let batch: Vec<Value> = values.by_ref().take(rows * width).collect();
            db.execute_raw(Statement::from_sql_and_values(self.backend, sql, batch)).await.map_err(|e| {
                DbErr::Custom(format!(
                    "writing {rows} rows of {}: {}",
                    self.table,
                    seedbed_core::driver_message(&e)
                ))
            })?;
            self.written += rows as u64;
            self.rows -= rows;
            progress.advance(self.table, rows as u64);
        }
        Ok(())
    }

    fn insert_sql(&self, rows: usize) -> String {
        let q = |s: &str| match self.backend {
            DbBackend::MySql => format!("`{s}`"),
            _ => format!("\"{s}\""),
        };
        let cols: Vec<String> = self.columns.iter().map(|c| q(c.as_str())).collect();
        let width = self.columns.len();
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", q(self.table), cols.join(", "));
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
                match self.backend {
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
}
