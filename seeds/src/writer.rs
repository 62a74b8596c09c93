//! Collecting generated rows: each table's rows are queued in a [`Sink`] and handed to the
//! writer ([`crate::load`]) in batches, in the order they were generated (key order).

use std::sync::Arc;

use sea_orm::{DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait};

use crate::load::{Batch, Columns, Encoded, Encoding, Op, Out};

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

/// The pending rows of one table, encoded for the backend as they are queued
/// ([`crate::load::Encoded`]): no batch holds a `Value` per column.
pub struct Sink<E: EntityTrait> {
    table: &'static str,
    encoding: Encoding,
    columns: Vec<E::Column>,
    names: Arc<[&'static str]>,
    layout: Columns,
    /// The batch being filled, and how many rows it holds.
    pending: Option<Encoded>,
    rows: usize,
    /// Batches filled and not yet handed over, oldest first.
    full: Vec<Batch>,
    batch_rows: usize,
    written: u64,
    /// The first row that could not be encoded: `flush` reports it, and nothing is written.
    error: Option<String>,
}

/// Bind parameters one statement of `encoding` may carry, if it binds any.
fn binds(encoding: Encoding) -> Option<usize> {
    match encoding {
        Encoding::Sqlite => Some(bind_limit(DbBackend::Sqlite)),
        Encoding::MySql => Some(bind_limit(DbBackend::MySql)),
        Encoding::Copy | Encoding::LoadData => None,
    }
}

impl<E: EntityTrait> Sink<E> {
    pub fn new(encoding: Encoding) -> Self {
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let batch_rows = match binds(encoding) {
            Some(limit) => (limit / columns.len()).clamp(1, MAX_BATCH_ROWS),
            // COPY and LOAD DATA bind nothing: only memory bounds their batches.
            None => MAX_BATCH_ROWS,
        };
        let names = columns.iter().map(|c| c.as_str()).collect();
        let layout = Columns::of(&columns);
        Sink {
            table: E::default().table_name(),
            encoding,
            columns,
            names,
            layout,
            pending: None,
            rows: 0,
            full: Vec::new(),
            batch_rows,
            written: 0,
            error: None,
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
    /// full batch are fine: they start the next one.
    #[must_use = "flush the sink when it is full"]
    pub fn push(&mut self, model: &E::Model) -> bool {
        let pending = match &mut self.pending {
            Some(pending) => pending,
            None => self.pending.insert(Encoded::new(self.encoding, &self.layout, self.batch_rows)),
        };
        let values = self.columns.iter().map(|c| model.get(*c));
        if let Err(e) = pending.push_row(values) {
            // A row short of a value would shift the columns of every row after it.
            self.error.get_or_insert(e);
            return true;
        }
        self.rows += 1;
        if self.rows == self.batch_rows {
            let data = self.pending.take().expect("the batch just filled");
            self.full.push(Batch { table: self.table, columns: self.names.clone(), rows: self.rows, data });
            self.rows = 0;
        }
        !self.full.is_empty()
    }

    /// Hands every queued row to the writer, in batches of at most a full batch each; they
    /// are written in the order they were handed over.
    pub async fn flush(&mut self, out: &Out) -> Result<(), DbErr> {
        if let Some(e) = self.error.take() {
            return Err(DbErr::Custom(format!("encoding a row of {}: {e}", self.table)));
        }
        if self.rows > 0 {
            let data = self.pending.take().expect("a batch begun");
            self.full.push(Batch { table: self.table, columns: self.names.clone(), rows: self.rows, data });
            self.rows = 0;
        }
        for batch in std::mem::take(&mut self.full) {
            let rows = batch.rows;
            out.send(Op::Rows(batch)).await?;
            self.written += rows as u64;
        }
        Ok(())
    }
}
