//! PostgreSQL: each batch goes in by `COPY … FROM STDIN` (text format) on the seeding's
//! connection, sent in chunks; a table's secondary indexes and its own foreign keys are
//! dropped before its first rows and made again from the catalog's own definitions
//! (`pg_get_indexdef`, `pg_get_constraintdef`; a key is validated by one join) before the next raw
//! statement or the COMMIT, inside the same transaction, so a failed seeding leaves the
//! schema as it was and a committed one has exactly the schema its migrations made.

use std::fmt::Write as _;

use sea_orm::sqlx::{self, PgConnection, Row as _};
use sea_orm::{DbErr, Statement, Value};

use super::encode::{Encoded, Fraction, Timestamp};
use super::{Batch, arguments, db_err};
use crate::options::Profile;

/// COPY data goes to the server in messages of this size: big enough that per-message costs
/// vanish.
const CHUNK: usize = 256 * 1024;

/// What [`prepare`] dropped: the statements that make it again, in order.
#[derive(Default)]
pub(crate) struct Restore {
    remake: Vec<String>,
}

/// Whether dropping and rebuilding indexes pays at `profile`: below a few thousand rows a
/// table, maintaining the index as rows go in costs less than the catalog work of dropping
/// and recreating it.
fn indexes_after_load(profile: Profile) -> bool {
    !matches!(profile, Profile::Tiny)
}

/// A table's secondary indexes (name, definition). The primary key, and any index that backs
/// a constraint (a UNIQUE constraint, or the key a foreign key refers to), stay in place.
const SECONDARY_INDEXES: &str = "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname), \
         pg_get_indexdef(x.indexrelid) \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
     JOIN pg_namespace n ON n.oid = i.relnamespace \
     WHERE x.indrelid = to_regclass(quote_ident($1)) AND NOT x.indisprimary \
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = x.indexrelid \
                       AND d.classid = 'pg_constraint'::regclass) \
     ORDER BY i.relname";

/// A table's own foreign keys (name, definition: actions, deferrability and all). A key in
/// place checks every row through a trigger as it goes in; one added to a loaded table is
/// validated by one join.
const FOREIGN_KEYS: &str = "SELECT quote_ident(c.conname), pg_get_constraintdef(c.oid) FROM pg_constraint c \
     WHERE c.conrelid = to_regclass(quote_ident($1)) AND c.contype = 'f' ORDER BY c.conname";

pub(crate) async fn prepare(
    conn: &mut PgConnection,
    tables: &[&'static str],
    profile: Profile,
) -> Result<Restore, DbErr> {
    let mut restore = Restore::default();
    if !indexes_after_load(profile) {
        return Ok(restore);
    }
    for table in tables {
        // Made again from the catalog's own definitions, in the same transaction, so that a
        // committed domain has exactly the schema its migrations made, every key validated.
        let drop_index = |name: &str| format!("DROP INDEX {name}");
        let make_index = |_: &str, definition: &str| definition.to_owned();
        restore.remake.extend(drop_listed(conn, SECONDARY_INDEXES, table, drop_index, make_index).await?);
        let drop_key = |name: &str| format!("ALTER TABLE \"{table}\" DROP CONSTRAINT {name}");
        let add_key = |name: &str, definition: &str| {
            format!("ALTER TABLE \"{table}\" ADD CONSTRAINT {name} {definition}")
        };
        restore.remake.extend(drop_listed(conn, FOREIGN_KEYS, table, drop_key, add_key).await?);
    }
    Ok(restore)
}

/// Drops each object `catalog` lists for `table` (rows of name and definition) with the
/// statement `drop` writes, and returns the statements `remake` writes to make each again.
async fn drop_listed(
    conn: &mut PgConnection,
    catalog: &'static str,
    table: &str,
    drop: impl Fn(&str) -> String,
    remake: impl Fn(&str, &str) -> String,
) -> Result<Vec<String>, DbErr> {
    let rows = sqlx::query(catalog).bind(table).fetch_all(&mut *conn).await.map_err(db_err)?;
    let mut made = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0).map_err(db_err)?;
        let definition: String = row.try_get(1).map_err(db_err)?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop(&name))).execute(&mut *conn).await.map_err(db_err)?;
        made.push(remake(&name, &definition));
    }
    Ok(made)
}

pub(crate) async fn finish(conn: &mut PgConnection, restore: Restore) -> Result<(), DbErr> {
    for statement in restore.remake {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn write(conn: &mut PgConnection, batch: Batch, _restore: &Restore) -> Result<(), DbErr> {
    let Encoded::Copy(text) = batch.data else {
        return Err(DbErr::Custom(format!("a batch of {} was not encoded for PostgreSQL", batch.table)));
    };
    let columns: Vec<String> = batch.columns.iter().map(|c| format!("\"{c}\"")).collect();
    let sql = format!("COPY \"{}\" ({}) FROM STDIN", batch.table, columns.join(", "));
    let mut copy = conn.copy_in_raw(&sql).await.map_err(db_err)?;
    // COPY's data messages need not end at a row: the server joins them.
    for chunk in text.as_bytes().chunks(CHUNK) {
        copy.send(chunk).await.map_err(db_err)?;
    }
    copy.finish().await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn execute(conn: &mut PgConnection, stmt: &Statement) -> Result<(), DbErr> {
    let values = stmt.values.clone().map(|v| v.0).unwrap_or_default();
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.clone()), arguments(values))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// `value` in COPY's text format: `\N` for NULL, backslash escapes for the characters COPY
/// gives a meaning (backslash, tab, newline, carriage return).
pub(crate) fn text(buf: &mut String, value: &Value) -> Result<(), String> {
    fn escaped(buf: &mut String, s: &str) {
        for c in s.chars() {
            match c {
                '\\' => buf.push_str("\\\\"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                c => buf.push(c),
            }
        }
    }
    fn float(buf: &mut String, x: f64) {
        if x.is_nan() {
            buf.push_str("NaN");
        } else if x.is_infinite() {
            buf.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        } else {
            let _ = write!(buf, "{x}");
        }
    }
    macro_rules! plain {
        ($x:expr) => {
            match $x {
                Some(x) => {
                    let _ = write!(buf, "{x}");
                }
                None => buf.push_str("\\N"),
            }
        };
    }
    match value {
        Value::Bool(b) => buf.push_str(match b {
            Some(true) => "t",
            Some(false) => "f",
            None => "\\N",
        }),
        Value::TinyInt(x) => plain!(x),
        Value::SmallInt(x) => plain!(x),
        Value::Int(x) => plain!(x),
        Value::BigInt(x) => plain!(x),
        Value::TinyUnsigned(x) => plain!(x),
        Value::SmallUnsigned(x) => plain!(x),
        Value::Unsigned(x) => plain!(x),
        Value::BigUnsigned(x) => plain!(x),
        Value::Float(x) => match x {
            Some(x) => float(buf, *x as f64),
            None => buf.push_str("\\N"),
        },
        Value::Double(x) => match x {
            Some(x) => float(buf, *x),
            None => buf.push_str("\\N"),
        },
        Value::Uuid(x) => plain!(x.map(|u| u.hyphenated())),
        Value::Decimal(x) => plain!(x),
        Value::String(s) => match s {
            Some(s) => escaped(buf, s),
            None => buf.push_str("\\N"),
        },
        Value::Char(c) => match c {
            Some(c) => escaped(buf, c.encode_utf8(&mut [0; 4])),
            None => buf.push_str("\\N"),
        },
        Value::Json(j) => match j {
            Some(j) => escaped(buf, &j.to_string()),
            None => buf.push_str("\\N"),
        },
        Value::ChronoDateTimeUtc(t) => match t {
            Some(t) => match Timestamp::new(&t.naive_utc(), b' ', Fraction::Micros) {
                Some(s) => {
                    buf.push_str(s.as_str());
                    buf.push_str("+00");
                }
                None => {
                    let _ = write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
                }
            },
            None => buf.push_str("\\N"),
        },
        Value::ChronoDateTime(t) => plain!(t.map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f"))),
        Value::ChronoDate(d) => plain!(d.map(|d| d.format("%Y-%m-%d"))),
        Value::ChronoTime(t) => plain!(t.map(|t| t.format("%H:%M:%S%.6f"))),
        Value::Bytes(b) => match b {
            Some(b) => {
                buf.push_str("\\\\x");
                for byte in b {
                    let _ = write!(buf, "{byte:02x}");
                }
            }
            None => buf.push_str("\\N"),
        },
        other => return Err(format!("COPY has no text form here for {other:?}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(values: &[Value]) -> String {
        let mut buf = String::new();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                buf.push('\t');
            }
            text(&mut buf, v).unwrap();
        }
        buf
    }

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        assert_eq!(
            line(&[
                Value::from("a\tb\nc\\d\re"),
                Value::String(None),
                Value::from(true),
                Value::from(serde_json::json!({"k": "v\n"})),
                Value::from(vec![0u8, 255]),
            ]),
            "a\\tb\\nc\\\\d\\re\t\\N\tt\t{\"k\":\"v\\\\n\"}\t\\\\x00ff"
        );
    }

    #[test]
    fn copy_text_spells_times_in_utc_to_the_microsecond() {
        use chrono::TimeZone;
        let t = chrono::Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
        assert_eq!(line(&[Value::from(t)]), "2023-11-14 22:13:20.123456+00");
    }
}
