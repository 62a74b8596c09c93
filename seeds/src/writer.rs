//! Collecting generated rows: each table's rows are queued in a [`Sink`] and handed to the
//! writer ([`crate::load`]) in batches, in the order they were generated (key order).

use std::sync::Arc;

use sea_orm::{DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait, Value};

use crate::load::{Batch, Op, Out};

/// Bind parameters one statement may carry: SQLite 3.32+ allows 32,766, PostgreSQL and
/// MySQL 65,535.
pub fn bind_limit(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 32_766,
        _ => 65_535,
    }
}

/// Rows per batch at most: past a couple of thousand rows a bigger statement is no
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

/// The error the writer returns when [`Progress::stopping`] said so.
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
    names: Arc<[&'static str]>,
    values: Vec<Value>,
    rows: usize,
    batch_rows: usize,
    written: u64,
}

impl<E: EntityTrait> Sink<E> {
    pub fn new(backend: DbBackend) -> Self {
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let batch_rows = match backend {
            // COPY binds nothing: only memory bounds its batches.
            DbBackend::Postgres => MAX_BATCH_ROWS,
            _ => (bind_limit(backend) / columns.len()).clamp(1, MAX_BATCH_ROWS),
        };
        let names = columns.iter().map(|c| c.as_str()).collect();
        Sink {
            table: E::default().table_name(),
            columns,
            names,
            values: Vec::new(),
            rows: 0,
            batch_rows,
            written: 0,
        }
    }

    pub fn table(&self) -> &'static str {
        self.table
    }

    /// Rows handed to the writer so far.
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

    /// Hands every queued row to the writer, in batches of at most a full batch each; they
    /// are written in the order they were handed over.
    pub async fn flush(&mut self, out: &Out) -> Result<(), DbErr> {
        let width = self.columns.len();
        while self.rows > 0 {
            let rows = self.rows.min(self.batch_rows);
            let values = if rows == self.rows {
                std::mem::take(&mut self.values)
            } else {
                let rest = self.values.split_off(rows * width);
                std::mem::replace(&mut self.values, rest)
            };
            out.send(Op::Rows(Batch { table: self.table, columns: self.names.clone(), rows, values }))
                .await?;
            self.written += rows as u64;
            self.rows -= rows;
        }
        Ok(())
    }
}
