//! Rows encoded for the writer's backend as they are queued, so that a batch never holds a
//! `Value` per column: PostgreSQL's `COPY` text, MariaDB/MySQL's binary parameters of one
//! multi-row INSERT, SQLite's parameters of INSERTs of [`sqlite::CHUNK_ROWS`] rows each.
//!
//! Why (profile in docs/performance.md): keeping every value of a batch as a `Value`, then
//! collecting each statement's share into a new vector and converting it to the driver's
//! arguments, cost about a sixth of the seeder's CPU on SQLite (allocation and copying);
//! encoding each value once, straight from the row, does the same work once. The bytes
//! that reach the database are the ones sea-query-sqlx's conversion produced before (the
//! bind functions mirror it, variant by variant), so the data and its digest are unchanged.

use sea_orm::sqlx::mysql::MySqlArguments;
use sea_orm::sqlx::sqlite::SqliteArguments;
use sea_orm::{DbBackend, Value};

use super::{mysql, postgres, sqlite};

/// A batch's rows, encoded for one backend.
#[derive(Debug)]
pub enum Encoded {
    /// PostgreSQL: `COPY … FROM STDIN` text, a line per row.
    Copy(String),
    /// MariaDB/MySQL: the parameters of one multi-row INSERT, row after row.
    MySql(MySqlArguments),
    /// SQLite: the parameters of INSERTs of `per` rows each (the last may have fewer).
    Sqlite { per: usize, chunks: Vec<SqliteArguments> },
}

impl Encoded {
    /// An empty batch of rows `width` columns wide, room made for `rows` of them.
    pub(crate) fn new(backend: DbBackend, width: usize, rows: usize) -> Result<Self, String> {
        Ok(match backend {
            DbBackend::Postgres => Encoded::Copy(String::with_capacity(rows * width * 12)),
            DbBackend::MySql => Encoded::MySql(MySqlArguments::default()),
            DbBackend::Sqlite => Encoded::Sqlite { per: sqlite::rows_per_insert(width), chunks: Vec::new() },
            other => return Err(format!("no row encoding for {other:?}")),
        })
    }

    /// Appends row number `row` (counted from 0 within the batch) of `width` values.
    pub(crate) fn push_row(
        &mut self,
        row: usize,
        width: usize,
        values: impl Iterator<Item = Value>,
    ) -> Result<(), String> {
        match self {
            Encoded::Copy(buf) => {
                for (i, value) in values.enumerate() {
                    if i > 0 {
                        buf.push('\t');
                    }
                    postgres::text(buf, &value)?;
                }
                buf.push('\n');
            }
            Encoded::MySql(args) => {
                for value in values {
                    mysql::bind(args, value)?;
                }
            }
            Encoded::Sqlite { per, chunks } => {
                if row.is_multiple_of(*per) {
                    let mut args = SqliteArguments::default();
                    sea_orm::sqlx::Arguments::reserve(&mut args, *per * width, 0);
                    chunks.push(args);
                }
                let args = chunks.last_mut().expect("a chunk begun at its first row");
                for value in values {
                    sqlite::bind(args, value)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::Arguments as _;

    use super::*;

    /// The rows of a batch as each backend's encoding sees them: COPY lines, or the number
    /// of parameters per statement.
    fn shape(backend: DbBackend, rows: &[Vec<Value>]) -> Vec<String> {
        let width = rows[0].len();
        let mut encoded = Encoded::new(backend, width, rows.len()).unwrap();
        for (i, row) in rows.iter().enumerate() {
            encoded.push_row(i, width, row.iter().cloned()).unwrap();
        }
        match encoded {
            Encoded::Copy(buf) => buf.lines().map(str::to_owned).collect(),
            Encoded::MySql(args) => vec![format!("{} parameters", args.len())],
            Encoded::Sqlite { chunks, .. } => {
                chunks.iter().map(|c| format!("{} parameters", c.len())).collect()
            }
        }
    }

    fn row(i: i32) -> Vec<Value> {
        vec![Value::from(i), Value::from(format!("name {i}")), Value::String(None)]
    }

    #[test]
    fn copy_text_is_a_line_per_row_with_tabs_between_columns() {
        assert_eq!(shape(DbBackend::Postgres, &[row(1), row(2)]), ["1\tname 1\t\\N", "2\tname 2\t\\N"]);
    }

    #[test]
    fn mysql_takes_every_row_of_a_batch_in_one_statement() {
        let rows: Vec<_> = (0..250).map(row).collect();
        assert_eq!(shape(DbBackend::MySql, &rows), ["750 parameters"]);
    }

    #[test]
    fn sqlite_cuts_a_batch_into_statements_of_rows_per_insert() {
        let per = sqlite::rows_per_insert(3);
        let rows: Vec<_> = (0..(2 * per + 7) as i32).map(row).collect();
        let full = format!("{} parameters", per * 3);
        assert_eq!(shape(DbBackend::Sqlite, &rows), [full.clone(), full, "21 parameters".to_owned()]);
    }

    #[test]
    fn a_value_no_backend_binds_here_is_refused_not_dropped() {
        let mut encoded = Encoded::new(DbBackend::Sqlite, 1, 1).unwrap();
        let big = Value::BigUnsigned(Some(u64::MAX));
        let refused = encoded.push_row(0, 1, std::iter::once(big));
        assert!(refused.is_err(), "u64::MAX fits no SQLite integer, yet it was bound: {refused:?}");
    }
}
