//! Rows encoded for the writer's backend as they are queued, so that a batch never holds a
//! `Value` per column: PostgreSQL's `COPY` text, MariaDB/MySQL's binary parameters of one
//! multi-row INSERT, SQLite's values as its C API binds them ([`sqlite::Rows`]).
//!
//! Why (profile in docs/performance.md): keeping every value of a batch as a `Value`, then
//! collecting each statement's share into a new vector and converting it to the driver's
//! arguments, cost about a sixth of the seeder's CPU on SQLite (allocation and copying);
//! encoding each value once, straight from the row, does the same work once. The bytes
//! that reach the database are the ones sea-query-sqlx's conversion produced before (the
//! bind functions mirror it, variant by variant), so the data and its digest are unchanged.

use sea_orm::sqlx::mysql::MySqlArguments;
use sea_orm::{DbBackend, Value};

use super::{mysql, postgres, sqlite};

/// A batch's rows, encoded for one backend.
#[derive(Debug)]
pub enum Encoded {
    /// PostgreSQL: `COPY … FROM STDIN` text, a line per row.
    Copy(String),
    /// MariaDB/MySQL: the parameters of one multi-row INSERT, row after row.
    MySql(MySqlArguments),
    /// SQLite: the values of each row, as they are bound.
    Sqlite(sqlite::Rows),
}

impl Encoded {
    /// An empty batch of rows `width` columns wide, room made for `rows` of them.
    pub(crate) fn new(backend: DbBackend, width: usize, rows: usize) -> Result<Self, String> {
        Ok(match backend {
            DbBackend::Postgres => Encoded::Copy(String::with_capacity(rows * width * 12)),
            DbBackend::MySql => Encoded::MySql(MySqlArguments::default()),
            DbBackend::Sqlite => Encoded::Sqlite(sqlite::Rows::with_capacity(rows * width * 12)),
            other => return Err(format!("no row encoding for {other:?}")),
        })
    }

    /// Appends a row of values.
    pub(crate) fn push_row(&mut self, values: impl Iterator<Item = Value>) -> Result<(), String> {
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
            Encoded::Sqlite(rows) => rows.push_row(values)?,
        }
        Ok(())
    }
}

impl Encoded {
    /// Drops the batch's first `rows` rows of `width` values (`--resume`: an earlier run
    /// committed them). Chunks commit at a batch's end, so what was committed is whole
    /// batches, and the writer skips those without calling this; a batch split by the
    /// committed count can only be cut where its encoding has a boundary: anywhere in `COPY`
    /// text and SQLite's rows, nowhere inside MySQL's one statement. There: refused, never
    /// written in part.
    pub(crate) fn drop_front(&mut self, rows: usize, width: usize) -> Result<(), String> {
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
            Encoded::Sqlite(held) => held.drop_front(rows, width)?,
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

    /// Encodes `rows` for `backend`, first dropping `drop` of them.
    fn encoded(backend: DbBackend, rows: &[Vec<Value>], drop: usize) -> Result<Encoded, String> {
        let width = rows[0].len();
        let mut encoded = Encoded::new(backend, width, rows.len()).unwrap();
        for row in rows {
            encoded.push_row(row.iter().cloned()).unwrap();
        }
        encoded.drop_front(drop, width)?;
        Ok(encoded)
    }

    /// The rows of a batch as each backend's encoding sees them: COPY lines, SQLite's values
    /// row by row, or the number of MySQL's parameters.
    fn shape(backend: DbBackend, rows: &[Vec<Value>]) -> Vec<String> {
        dropped(backend, rows, 0).unwrap()
    }

    /// `shape` of `rows` after dropping the first `drop`, or why not.
    fn dropped(backend: DbBackend, rows: &[Vec<Value>], drop: usize) -> Result<Vec<String>, String> {
        Ok(match encoded(backend, rows, drop)? {
            Encoded::Copy(buf) => buf.lines().map(str::to_owned).collect(),
            Encoded::MySql(args) => vec![format!("{} parameters", args.len())],
            Encoded::Sqlite(held) => held.rendered(rows[0].len()),
        })
    }

    fn row(i: i32) -> Vec<Value> {
        vec![Value::from(i), Value::from(format!("name {i}")), Value::String(None)]
    }

    fn rows(n: i32) -> Vec<Vec<Value>> {
        (0..n).map(row).collect()
    }

    #[test]
    fn copy_text_is_a_line_per_row_with_tabs_between_columns() {
        assert_eq!(shape(DbBackend::Postgres, &rows(2)), ["0\tname 0\t\\N", "1\tname 1\t\\N"]);
    }

    #[test]
    fn mysql_takes_every_row_of_a_batch_in_one_statement() {
        assert_eq!(shape(DbBackend::MySql, &rows(250)), ["750 parameters"]);
    }

    #[test]
    fn sqlite_keeps_each_value_with_its_storage_class_row_after_row() {
        assert_eq!(shape(DbBackend::Sqlite, &rows(2)), ["0|'name 0'|NULL", "1|'name 1'|NULL"]);
    }

    #[test]
    fn resuming_drops_rows_where_the_encoding_can_be_cut_and_refuses_elsewhere() {
        assert_eq!(dropped(DbBackend::Postgres, &rows(3), 2), Ok(vec!["2\tname 2\t\\N".to_owned()]));
        assert_eq!(dropped(DbBackend::Postgres, &rows(3), 0).map(|l| l.len()), Ok(3));
        assert!(dropped(DbBackend::Postgres, &rows(3), 4).is_err(), "dropped more rows than the batch holds");
        assert_eq!(
            dropped(DbBackend::Sqlite, &rows(5), 3),
            Ok(vec!["3|'name 3'|NULL".into(), "4|'name 4'|NULL".into()])
        );
        assert_eq!(dropped(DbBackend::Sqlite, &rows(5), 5), Ok(vec![]));
        assert!(dropped(DbBackend::Sqlite, &rows(5), 6).is_err(), "dropped more rows than the batch holds");
        assert!(dropped(DbBackend::MySql, &rows(5), 2).is_err(), "cut MySQL's one statement in the middle");
        assert_eq!(dropped(DbBackend::MySql, &rows(5), 0), Ok(vec!["15 parameters".to_owned()]));
    }

    #[test]
    fn a_value_no_backend_binds_here_is_refused_not_dropped() {
        let mut encoded = Encoded::new(DbBackend::Sqlite, 1, 1).unwrap();
        let big = Value::BigUnsigned(Some(u64::MAX));
        let refused = encoded.push_row(std::iter::once(big));
        assert!(refused.is_err(), "u64::MAX fits no SQLite integer, yet it was bound: {refused:?}");
    }
}
