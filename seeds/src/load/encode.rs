//! Rows encoded for the writer's path as they are queued, so that a batch never holds a
//! `Value` per column: PostgreSQL's binary `COPY` tuples, MariaDB/MySQL's `LOAD DATA` text or the
//! binary parameters of one multi-row INSERT, SQLite's values as its C API binds them
//! ([`sqlite::Rows`]).
//!
//! Why (profile in docs/performance.md): keeping every value of a batch as a `Value`, then
//! collecting each statement's share into a new vector and converting it to the driver's
//! arguments, cost about a sixth of the seeder's CPU on SQLite (allocation and copying);
//! encoding each value once, straight from the row, does the same work once. The bytes
//! that reach the database are the ones sea-query-sqlx's conversion produced before (the
//! bind functions mirror it, variant by variant), so the data and its digest are unchanged.

use std::sync::Arc;

use sea_orm::sqlx::mysql::MySqlArguments;
use sea_orm::sqlx::postgres::PgArgumentBuffer;
use sea_orm::{ColumnTrait, ColumnType, Value};

use super::{infile, mysql, postgres, sqlite};

/// How a writer takes its rows: [`Encoded`]'s variants, before any row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Copy,
    MySql,
    LoadData,
    Sqlite,
}

/// What an encoding needs to know of a table's columns besides their values: how many there
/// are, and which are `jsonb` (PostgreSQL's binary `COPY` spells a `jsonb` value apart from a
/// `json` one, and a `Value` does not say which it is).
#[derive(Debug, Clone)]
pub struct Columns {
    jsonb: Arc<[bool]>,
}

impl Columns {
    /// The columns of an entity, in the order given.
    pub fn of<C: ColumnTrait>(columns: &[C]) -> Self {
        let jsonb = columns.iter().map(|c| matches!(c.def().get_column_type(), ColumnType::JsonBinary));
        Columns { jsonb: jsonb.collect() }
    }

    /// `width` columns, none of them `jsonb`.
    #[cfg(test)]
    pub(crate) fn plain(width: usize) -> Self {
        Columns { jsonb: vec![false; width].into() }
    }

    pub fn width(&self) -> usize {
        self.jsonb.len()
    }
}

/// A batch's rows, encoded for one write path.
#[derive(Debug)]
pub enum Encoded {
    /// PostgreSQL: the tuples of a binary `COPY … FROM STDIN`, without its header and
    /// trailer (`load/postgres.rs`): each a field count, then each field's length and bytes.
    Copy { tuples: PgArgumentBuffer, jsonb: Arc<[bool]> },
    /// MariaDB/MySQL: the parameters of one multi-row INSERT, row after row.
    MySql(MySqlArguments),
    /// MariaDB/MySQL: `LOAD DATA` text, a line per row (`load/infile.rs`).
    LoadData(Vec<u8>),
    /// SQLite: the values of each row, as they are bound.
    Sqlite(sqlite::Rows),
}

impl Encoded {
    /// An empty batch of rows of `columns`, room made for `rows` of them.
    pub(crate) fn new(encoding: Encoding, columns: &Columns, rows: usize) -> Self {
        let width = columns.width();
        match encoding {
            Encoding::Copy => {
                let mut tuples = PgArgumentBuffer::default();
                tuples.reserve(rows * width * 12);
                Encoded::Copy { tuples, jsonb: columns.jsonb.clone() }
            }
            Encoding::MySql => Encoded::MySql(MySqlArguments::default()),
            Encoding::LoadData => Encoded::LoadData(Vec::with_capacity(rows * width * 12)),
            Encoding::Sqlite => Encoded::Sqlite(sqlite::Rows::with_capacity(rows * width * 12)),
        }
    }

    /// Appends a row of values.
    pub(crate) fn push_row(&mut self, values: impl Iterator<Item = Value>) -> Result<(), String> {
        match self {
            Encoded::Copy { tuples, jsonb } => {
                let width = i16::try_from(jsonb.len()).map_err(|_| "a row too wide for COPY".to_owned())?;
                tuples.extend_from_slice(&width.to_be_bytes());
                let mut fields = 0;
                for value in values {
                    let Some(&is_jsonb) = jsonb.get(fields) else {
                        return Err(format!("a row of more values than its {} columns", jsonb.len()));
                    };
                    postgres::field(tuples, &value, is_jsonb)?;
                    fields += 1;
                }
                if fields != jsonb.len() {
                    return Err(format!("a row of {fields} values for {} columns", jsonb.len()));
                }
            }
            Encoded::MySql(args) => {
                for value in values {
                    mysql::bind(args, value)?;
                }
            }
            Encoded::LoadData(buf) => {
                for (i, value) in values.enumerate() {
                    if i > 0 {
                        buf.push(b'\t');
                    }
                    infile::text(buf, &value)?;
                }
                buf.push(b'\n');
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
    /// and `LOAD DATA` text and SQLite's rows, nowhere inside MySQL's one statement. There:
    /// refused, never written in part.
    pub(crate) fn drop_front(&mut self, rows: usize, width: usize) -> Result<(), String> {
        if rows == 0 {
            return Ok(());
        }
        match self {
            Encoded::Copy { tuples, .. } => {
                let end = postgres::tuples_end(tuples, rows)
                    .ok_or_else(|| format!("a batch of fewer than {rows} rows"))?;
                tuples.drain(..end);
            }
            Encoded::LoadData(buf) => {
                // Values spell a newline `\n`: a raw newline only ever ends a row.
                let end =
                    buf.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(rows - 1).map(|(at, _)| at + 1);
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

/// How many digits of a second's fraction [`Timestamp`] writes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fraction {
    /// None for a whole second, else 3, 6 or 9, as few as hold it (chrono's `%.f`).
    Shortest,
    /// Always 6 (chrono's `%.6f`: microseconds, the nanoseconds below cut off).
    Micros,
}

/// `YYYY-MM-DD{sep}HH:MM:SS` and a fraction, spelled as chrono's `%Y-%m-%d`, `%H:%M:%S` and
/// `%.f` or `%.6f` spell them, without chrono's format-string parser: that parser ran again
/// for every timestamp of every row, a tenth of the generator's time (`perf`, dev on SQLite).
/// `None` where the spelling is chrono's alone (a year outside 0..=9999, a leap second).
pub(crate) struct Timestamp {
    buf: [u8; 30],
    len: usize,
}

impl Timestamp {
    pub(crate) fn new(t: &chrono::NaiveDateTime, sep: u8, fraction: Fraction) -> Option<Self> {
        use chrono::{Datelike as _, Timelike as _};
        let (year, nanos) = (t.year(), t.nanosecond());
        if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
            return None;
        }
        let mut out = Timestamp { buf: [0; 30], len: 0 };
        out.digits(year as u32, 4);
        for (before, n) in
            [(b'-', t.month()), (b'-', t.day()), (sep, t.hour()), (b':', t.minute()), (b':', t.second())]
        {
            out.push(before);
            out.digits(n, 2);
        }
        let (value, digits) = match fraction {
            Fraction::Micros => (nanos / 1_000, 6),
            Fraction::Shortest if nanos == 0 => (0, 0),
            Fraction::Shortest if nanos % 1_000_000 == 0 => (nanos / 1_000_000, 3),
            Fraction::Shortest if nanos % 1_000 == 0 => (nanos / 1_000, 6),
            Fraction::Shortest => (nanos, 9),
        };
        if digits > 0 {
            out.push(b'.');
            out.digits(value, digits);
        }
        Some(out)
    }

    fn push(&mut self, byte: u8) {
        self.buf[self.len] = byte;
        self.len += 1;
    }

    /// `n`'s last `digits` decimal digits, zeros in front.
    fn digits(&mut self, n: u32, digits: u32) {
        for d in (0..digits).rev() {
            self.push(b'0' + (n / 10u32.pow(d) % 10) as u8);
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).expect("ASCII digits and separators")
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::Arguments as _;

    use super::*;

    /// Encodes `rows` for `backend`, first dropping `drop` of them.
    fn encoded(encoding: Encoding, rows: &[Vec<Value>], drop: usize) -> Result<Encoded, String> {
        let width = rows[0].len();
        let mut encoded = Encoded::new(encoding, &Columns::plain(width), rows.len());
        for row in rows {
            encoded.push_row(row.iter().cloned()).unwrap();
        }
        encoded.drop_front(drop, width)?;
        Ok(encoded)
    }

    /// The rows of a batch as each encoding sees them: COPY or LOAD DATA lines, SQLite's
    /// values row by row, or the number of MySQL's parameters.
    fn shape(encoding: Encoding, rows: &[Vec<Value>]) -> Vec<String> {
        dropped(encoding, rows, 0).unwrap()
    }

    /// `shape` of `rows` after dropping the first `drop`, or why not.
    fn dropped(encoding: Encoding, rows: &[Vec<Value>], drop: usize) -> Result<Vec<String>, String> {
        Ok(match encoded(encoding, rows, drop)? {
            Encoded::Copy { tuples, .. } => copy_rows(&tuples),
            Encoded::MySql(args) => vec![format!("{} parameters", args.len())],
            Encoded::LoadData(buf) => String::from_utf8(buf).unwrap().lines().map(str::to_owned).collect(),
            Encoded::Sqlite(held) => held.rendered(rows[0].len()),
        })
    }

    /// Binary COPY tuples as lines: each field `NULL`, `'text'` when it is printable, else
    /// its bytes in hex.
    fn copy_rows(mut tuples: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        let take = |n: usize, tuples: &mut &[u8]| {
            let (head, rest) = tuples.split_at(n);
            *tuples = rest;
            head.to_vec()
        };
        while !tuples.is_empty() {
            let fields = i16::from_be_bytes(take(2, &mut tuples).try_into().unwrap());
            let line: Vec<String> = (0..fields)
                .map(|_| match i32::from_be_bytes(take(4, &mut tuples).try_into().unwrap()) {
                    -1 => "NULL".to_owned(),
                    len => {
                        let bytes = take(len as usize, &mut tuples);
                        match bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                            true => format!("'{}'", String::from_utf8(bytes).unwrap()),
                            false => {
                                format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
                            }
                        }
                    }
                })
                .collect();
            lines.push(line.join("|"));
        }
        lines
    }

    fn row(i: i32) -> Vec<Value> {
        vec![Value::from(i), Value::from(format!("name {i}")), Value::String(None)]
    }

    fn rows(n: i32) -> Vec<Vec<Value>> {
        (0..n).map(row).collect()
    }

    #[test]
    fn copy_is_a_tuple_per_row_each_field_its_length_and_bytes() {
        assert_eq!(shape(Encoding::Copy, &rows(2)), ["0x00000000|'name 0'|NULL", "0x00000001|'name 1'|NULL"]);
    }

    #[test]
    fn a_copy_row_of_other_than_its_columns_width_is_refused() {
        for width in [2, 4] {
            let mut encoded = Encoded::new(Encoding::Copy, &Columns::plain(width), 1);
            let refused = encoded.push_row(row(0).into_iter());
            assert!(refused.is_err(), "a row of 3 values went into {width} columns: {refused:?}");
        }
    }

    #[test]
    fn mysql_takes_every_row_of_a_batch_in_one_statement() {
        assert_eq!(shape(Encoding::MySql, &rows(250)), ["750 parameters"]);
    }

    #[test]
    fn load_data_text_is_a_line_per_row_with_tabs_between_columns() {
        assert_eq!(shape(Encoding::LoadData, &rows(2)), ["0\tname 0\t\\N", "1\tname 1\t\\N"]);
    }

    /// One value as `LOAD DATA` text.
    fn check_load_data(value: Value, expected: &[u8]) {
        let mut buf = Vec::new();
        infile::text(&mut buf, &value).unwrap();
        assert_eq!(buf, expected, "{value:?} as LOAD DATA text: {:?}", String::from_utf8_lossy(&buf));
    }

    #[test]
    fn load_data_text_escapes_what_would_end_a_field_or_a_row_and_spells_values_as_bound() {
        check_load_data(
            Value::from("tab\there\nnew line, back\\slash, nul \0"),
            b"tab\\there\\nnew line, back\\\\slash, nul \\0",
        );
        check_load_data(Value::String(None), b"\\N");
        check_load_data(Value::from("\\N"), b"\\\\N");
        check_load_data(Value::from(true), b"1");
        check_load_data(Value::from(-7i64), b"-7");
        check_load_data(Value::from(0.1f64), b"0.1");
        check_load_data(Value::from(sea_orm::prelude::Decimal::new(12_50, 2)), b"12.50");
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap().and_hms_micro_opt(3, 4, 5, 6).unwrap();
        check_load_data(Value::from(at), b"2026-01-02 03:04:05.000006");
        check_load_data(Value::from(at.and_utc()), b"2026-01-02 03:04:05.000006");
        let id =
            sea_orm::prelude::Uuid::from_bytes([b'\t', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, b'\\']);
        check_load_data(Value::from(id), b"\\t\\0\x01\x02\x03\x04\x05\x06\x07\x08\\t\\n\x0b\x0c\x0d\\\\");
        check_load_data(Value::from(serde_json::json!({"a": "b\tc"})), b"{\"a\":\"b\\\\tc\"}");
    }

    #[test]
    fn sqlite_keeps_each_value_with_its_storage_class_row_after_row() {
        assert_eq!(shape(Encoding::Sqlite, &rows(2)), ["0|'name 0'|NULL", "1|'name 1'|NULL"]);
    }

    #[test]
    fn resuming_drops_rows_where_the_encoding_can_be_cut_and_refuses_elsewhere() {
        assert_eq!(dropped(Encoding::Copy, &rows(3), 2), Ok(vec!["0x00000002|'name 2'|NULL".to_owned()]));
        assert_eq!(dropped(Encoding::Copy, &rows(3), 0).map(|l| l.len()), Ok(3));
        assert!(dropped(Encoding::Copy, &rows(3), 4).is_err(), "dropped more rows than the batch holds");
        assert_eq!(
            dropped(Encoding::Sqlite, &rows(5), 3),
            Ok(vec!["3|'name 3'|NULL".into(), "4|'name 4'|NULL".into()])
        );
        assert_eq!(dropped(Encoding::Sqlite, &rows(5), 5), Ok(vec![]));
        assert!(dropped(Encoding::Sqlite, &rows(5), 6).is_err(), "dropped more rows than the batch holds");
        assert!(dropped(Encoding::MySql, &rows(5), 2).is_err(), "cut MySQL's one statement in the middle");
        assert_eq!(dropped(Encoding::MySql, &rows(5), 0), Ok(vec!["15 parameters".to_owned()]));
        assert_eq!(dropped(Encoding::LoadData, &rows(3), 2), Ok(vec!["2\tname 2\t\\N".to_owned()]));
        assert!(dropped(Encoding::LoadData, &rows(3), 4).is_err(), "dropped more rows than the batch holds");
    }

    #[test]
    fn a_value_no_backend_binds_here_is_refused_not_dropped() {
        let mut encoded = Encoded::new(Encoding::Sqlite, &Columns::plain(1), 1);
        let big = Value::BigUnsigned(Some(u64::MAX));
        let refused = encoded.push_row(std::iter::once(big));
        assert!(refused.is_err(), "u64::MAX fits no SQLite integer, yet it was bound: {refused:?}");
    }

    /// `Timestamp` against chrono's own spelling of the same format.
    fn check_timestamp(at: &str) {
        let t = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        for (sep, fraction, format) in [
            (b'T', Fraction::Shortest, "%Y-%m-%dT%H:%M:%S%.f"),
            (b' ', Fraction::Micros, "%Y-%m-%d %H:%M:%S%.6f"),
        ] {
            let ours = Timestamp::new(&t, sep, fraction).map(|s| s.as_str().to_owned());
            assert_eq!(ours.as_deref(), Some(t.format(format).to_string().as_str()), "{at} as {format}");
        }
    }

    #[test]
    fn timestamps_are_spelled_as_chrono_spells_them() {
        for at in [
            "2026-01-01 00:00:00",
            "1975-12-31 23:59:59.5",
            "2035-06-07 08:09:10.123",
            "2001-02-03 04:05:06.000120",
            "2001-02-03 04:05:06.000000007",
            "0007-02-03 04:05:06.987654321",
        ] {
            check_timestamp(at);
        }
        let far = chrono::NaiveDate::from_ymd_opt(12_000, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert!(
            Timestamp::new(&far, b'T', Fraction::Shortest).is_none(),
            "a five-digit year is chrono's to spell"
        );
    }
}
