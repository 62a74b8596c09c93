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

impl Encoded {
    /// Drops the batch's first `rows` rows (`--resume`: an earlier run committed them).
    /// Chunks commit at a batch's end, so what was committed is whole batches, and the
    /// writer skips those without calling this; a batch split by the committed count can
    /// only be cut where its encoding has a boundary: anywhere in `COPY` text, at a
    /// statement's end on SQLite, nowhere inside MySQL's one statement. Elsewhere: refused,
    /// never written in part.
    pub(crate) fn drop_front(&mut self, rows: usize) -> Result<(), String> {
        if rows == 0 {
            return Ok(());
        }
        match self {
            Encoded::Copy(buf) => {
                // Values spell a newline `\n`: a raw newline only ever ends a row.
                let end = buf.match_indices('\n').nth(rows - 1).map(|(at, _)| at + 1);
                let end = end.ok_or_else(|| format!("a batch of fewer than {rows} rows"))?;
                buf.drain(..end);
            }
            Encoded::Sqlite { per, chunks } if rows.is_multiple_of(*per) && rows / *per <= chunks.len() => {
                chunks.drain(..rows / *per);
            }
            _ => {
                return Err(format!(
                    "the earlier run committed {rows} rows of a batch that cannot be cut there"
                ));
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

    /// `shape` of a batch of `rows` rows after dropping its first `drop`, or why not.
    fn dropped(backend: DbBackend, rows: i32, drop: usize) -> Result<Vec<String>, String> {
        let mut encoded = Encoded::new(backend, 3, rows as usize).unwrap();
        for i in 0..rows {
            encoded.push_row(i as usize, 3, row(i).into_iter()).unwrap();
        }
        encoded.drop_front(drop)?;
        Ok(match encoded {
            Encoded::Copy(buf) => buf.lines().map(str::to_owned).collect(),
            Encoded::MySql(args) => vec![format!("{} parameters", args.len())],
            Encoded::Sqlite { chunks, .. } => {
                chunks.iter().map(|c| format!("{} parameters", c.len())).collect()
            }
        })
    }

    #[test]
    fn resuming_drops_rows_where_the_encoding_can_be_cut_and_refuses_elsewhere() {
        let per = sqlite::rows_per_insert(3);
        let rows = (2 * per + 7) as i32;
        assert_eq!(dropped(DbBackend::Postgres, 3, 2), Ok(vec!["2\tname 2\t\\N".to_owned()]));
        assert_eq!(dropped(DbBackend::Postgres, 3, 0).map(|l| l.len()), Ok(3));
        assert!(dropped(DbBackend::Postgres, 3, 4).is_err(), "dropped more rows than the batch holds");
        assert_eq!(
            dropped(DbBackend::Sqlite, rows, per),
            Ok(vec![format!("{} parameters", per * 3), "21 parameters".to_owned()])
        );
        assert!(dropped(DbBackend::Sqlite, rows, 1).is_err(), "cut SQLite's statement in the middle");
        assert!(dropped(DbBackend::MySql, 5, 2).is_err(), "cut MySQL's one statement in the middle");
        assert_eq!(dropped(DbBackend::MySql, 5, 0), Ok(vec!["15 parameters".to_owned()]));
    }

    #[test]
    fn a_value_no_backend_binds_here_is_refused_not_dropped() {
        let mut encoded = Encoded::new(DbBackend::Sqlite, 1, 1).unwrap();
        let big = Value::BigUnsigned(Some(u64::MAX));
        let refused = encoded.push_row(0, 1, std::iter::once(big));
        assert!(refused.is_err(), "u64::MAX fits no SQLite integer, yet it was bound: {refused:?}");
    }
}
