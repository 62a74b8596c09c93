//! PostgreSQL: each batch goes in by `COPY … FROM STDIN` (binary format) on the seeding's
//! connection, sent in chunks; a table's secondary indexes, its own foreign keys and its
//! primary key and unique constraints (with the foreign keys that refer to them) are
//! dropped before its first rows and made again from the catalog's own definitions
//! (`pg_get_indexdef`, `pg_get_constraintdef`; a key is validated by one join) before the next raw
//! statement or the COMMIT, inside the same transaction, so a failed seeding leaves the
//! schema as it was and a committed one has exactly the schema its migrations made.

use sea_orm::sea_query::OptionEnum;
use sea_orm::sqlx::postgres::PgArgumentBuffer;
use sea_orm::sqlx::{self, PgConnection, Row as _};
use sea_orm::{DbErr, Statement, Value};

use super::encode::Encoded;
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

/// A table's primary key and unique constraints that nothing depends on but foreign keys of
/// tables in its own schema (name, definition, plain name): those are dropped with them and
/// made again after. A view that leans on a primary key (a `GROUP BY` on it), or a foreign
/// key from elsewhere, keeps the key in place.
const KEYS: &str = "SELECT quote_ident(c.conname), pg_get_constraintdef(c.oid), c.conname::text \
     FROM pg_constraint c \
     WHERE c.conrelid = to_regclass(quote_ident($1)) AND c.contype IN ('p', 'u') \
       AND NOT EXISTS (SELECT 1 FROM pg_depend d \
         WHERE ((d.refclassid = 'pg_constraint'::regclass AND d.refobjid = c.oid) \
             OR (d.refclassid = 'pg_class'::regclass AND d.refobjid = c.conindid)) \
           AND NOT (d.classid = 'pg_class'::regclass AND d.objid = c.conindid) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint f JOIN pg_class r ON r.oid = f.conrelid \
             WHERE d.classid = 'pg_constraint'::regclass AND f.oid = d.objid AND f.contype = 'f' \
               AND r.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = c.conrelid))) \
     ORDER BY c.conname";

/// The foreign keys of other tables that refer to the keys named `$2` of table `$1`
/// (qualified table, name, definition).
const REFERRERS: &str = "SELECT quote_ident(n.nspname) || '.' || quote_ident(r.relname), quote_ident(f.conname), \
         pg_get_constraintdef(f.oid) \
     FROM pg_constraint f JOIN pg_class r ON r.oid = f.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace \
     WHERE f.contype = 'f' AND f.confrelid = to_regclass(quote_ident($1)) AND f.conrelid <> f.confrelid \
       AND f.conindid IN (SELECT k.conindid FROM pg_constraint k \
                          WHERE k.conrelid = f.confrelid AND k.conname = ANY($2)) \
     ORDER BY 1, 2";

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
        let indexes = drop_listed(conn, SECONDARY_INDEXES, table, drop_index, make_index).await?;
        let drop_constraint = |name: &str| format!("ALTER TABLE \"{table}\" DROP CONSTRAINT {name}");
        let add_constraint = |name: &str, definition: &str| {
            format!("ALTER TABLE \"{table}\" ADD CONSTRAINT {name} {definition}")
        };
        let own_foreign_keys =
            drop_listed(conn, FOREIGN_KEYS, table, drop_constraint, add_constraint).await?;
        // The primary key too: a random key (a UUID) maintained row by row took COPY twice as
        // long as the rows alone and one sorted build after (docs/performance.md). The
        // foreign keys that refer to it go first, and come back last, validated.
        let (keys, referrers) = drop_keys(conn, table).await?;
        restore.remake.extend(keys.into_iter().chain(indexes).chain(own_foreign_keys).chain(referrers));
    }
    Ok(restore)
}

/// Drops `table`'s primary key and unique constraints ([`KEYS`]) and, first, the foreign keys
/// of other tables that refer to them; returns the statements that make the keys again and,
/// apart, those that make the foreign keys again (to run once every key is back).
async fn drop_keys(conn: &mut PgConnection, table: &str) -> Result<(Vec<String>, Vec<String>), DbErr> {
    let keys: Vec<(String, String, String)> =
        sqlx::query_as(KEYS).bind(table).fetch_all(&mut *conn).await.map_err(db_err)?;
    if keys.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let names: Vec<&str> = keys.iter().map(|(_, _, plain)| plain.as_str()).collect();
    let referrers: Vec<(String, String, String)> =
        sqlx::query_as(REFERRERS).bind(table).bind(&names).fetch_all(&mut *conn).await.map_err(db_err)?;
    let mut remake_referrers = Vec::with_capacity(referrers.len());
    for (child, name, definition) in referrers {
        let drop = format!("ALTER TABLE {child} DROP CONSTRAINT {name}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut *conn).await.map_err(db_err)?;
        remake_referrers.push(format!("ALTER TABLE {child} ADD CONSTRAINT {name} {definition}"));
    }
    let mut remake_keys = Vec::with_capacity(keys.len());
    for (name, definition, _) in keys {
        let drop = format!("ALTER TABLE \"{table}\" DROP CONSTRAINT {name}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut *conn).await.map_err(db_err)?;
        remake_keys.push(format!("ALTER TABLE \"{table}\" ADD CONSTRAINT {name} {definition}"));
    }
    Ok((remake_keys, remake_referrers))
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
    let Encoded::Copy { tuples, .. } = batch.data else {
        return Err(DbErr::Custom(format!("a batch of {} was not encoded for PostgreSQL", batch.table)));
    };
    let columns: Vec<String> = batch.columns.iter().map(|c| format!("\"{c}\"")).collect();
    let sql = format!("COPY \"{}\" ({}) FROM STDIN (FORMAT binary)", batch.table, columns.join(", "));
    let mut copy = conn.copy_in_raw(&sql).await.map_err(db_err)?;
    // COPY's data messages need not end at a tuple: the server joins them.
    copy.send(HEADER).await.map_err(db_err)?;
    for chunk in tuples.chunks(CHUNK) {
        copy.send(chunk).await.map_err(db_err)?;
    }
    copy.send(TRAILER).await.map_err(db_err)?;
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

/// What opens a binary `COPY`'s data: the signature, no flags, no header extension.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// What ends it: a tuple of -1 fields.
const TRAILER: &[u8] = &(-1i16).to_be_bytes();

/// Seconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00:00 UTC).
const PG_EPOCH_SECS: i64 = 946_684_800;

/// Appends `value` as a field of binary `COPY`: its length (-1 for NULL), then the bytes the
/// column type's receive function reads, those of a bound parameter. The server parses
/// nothing: text `COPY` spent as long again turning timestamps, numerics and UUIDs back from
/// their spelling (docs/performance.md). `jsonb`: the column is `jsonb` (a version byte
/// before the text), not `json`.
///
/// An integer goes in at its own width, as the entity's column type has it (`i16` a
/// `smallint`, `i32` an `integer`, `i64` a `bigint`), and a timestamp, with or without time
/// zone, as microseconds since 2000 of its UTC reading, the fraction below a microsecond cut
/// off as text `COPY` read it: the same stored values, and digests, as before.
pub(crate) fn field(buf: &mut PgArgumentBuffer, value: &Value, jsonb: bool) -> Result<(), String> {
    fn put(buf: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
        let len = i32::try_from(bytes.len()).map_err(|_| "a value too long for COPY".to_owned())?;
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(bytes);
        Ok(())
    }
    fn micros(t: &chrono::NaiveDateTime) -> i64 {
        use chrono::Timelike as _;
        (t.and_utc().timestamp() - PG_EPOCH_SECS) * 1_000_000 + i64::from(t.nanosecond() / 1_000)
    }
    if !value.is_some() {
        buf.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    }
    match value {
        Value::Bool(Some(b)) => put(buf, &[u8::from(*b)]),
        Value::TinyInt(Some(x)) => put(buf, &i16::from(*x).to_be_bytes()),
        Value::SmallInt(Some(x)) => put(buf, &x.to_be_bytes()),
        Value::Int(Some(x)) => put(buf, &x.to_be_bytes()),
        Value::BigInt(Some(x)) => put(buf, &x.to_be_bytes()),
        Value::TinyUnsigned(Some(x)) => put(buf, &i16::from(*x).to_be_bytes()),
        Value::SmallUnsigned(Some(x)) => put(buf, &i32::from(*x).to_be_bytes()),
        Value::Unsigned(Some(x)) => put(buf, &i64::from(*x).to_be_bytes()),
        Value::BigUnsigned(Some(x)) => {
            let x = i64::try_from(*x).map_err(|_| format!("{x} does not fit a bigint"))?;
            put(buf, &x.to_be_bytes())
        }
        Value::Float(Some(x)) => put(buf, &x.to_be_bytes()),
        Value::Double(Some(x)) => put(buf, &x.to_be_bytes()),
        Value::Uuid(Some(u)) => put(buf, u.as_bytes()),
        Value::String(Some(s)) => put(buf, s.as_bytes()),
        Value::Char(Some(c)) => put(buf, c.encode_utf8(&mut [0; 4]).as_bytes()),
        Value::Enum(OptionEnum::Some(e)) => put(buf, e.value.as_bytes()),
        Value::Bytes(Some(b)) => put(buf, b),
        Value::ChronoDateTimeUtc(Some(t)) => put(buf, &micros(&t.naive_utc()).to_be_bytes()),
        Value::ChronoDateTime(Some(t)) => put(buf, &micros(t).to_be_bytes()),
        Value::ChronoDate(Some(d)) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
            let days = i32::try_from((*d - epoch).num_days()).map_err(|_| format!("{d} is out of range"))?;
            put(buf, &days.to_be_bytes())
        }
        Value::ChronoTime(Some(t)) => {
            use chrono::Timelike as _;
            let us = i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1_000);
            put(buf, &us.to_be_bytes())
        }
        // Written in place, its length filled in after.
        Value::Json(Some(j)) => {
            let at = buf.len();
            buf.extend_from_slice(&[0; 4]);
            if jsonb {
                buf.push(1);
            }
            serde_json::to_writer(&mut **buf, j).map_err(|e| e.to_string())?;
            patch_len(buf, at)
        }
        // sqlx's own binary numeric: digits in base 10,000, the scale as the value has it.
        Value::Decimal(Some(d)) => {
            let at = buf.len();
            buf.extend_from_slice(&[0; 4]);
            match sqlx::Encode::<sqlx::Postgres>::encode_by_ref(d, buf).map_err(|e| e.to_string())? {
                sqlx::encode::IsNull::No => patch_len(buf, at),
                sqlx::encode::IsNull::Yes => Err(format!("sqlx spelled {d} as NULL")),
            }
        }
        other => Err(format!("COPY has no binary form here for {other:?}")),
    }
}

/// Writes the length of the field whose 4-byte length starts at `at` and runs to the end.
fn patch_len(buf: &mut [u8], at: usize) -> Result<(), String> {
    let len = i32::try_from(buf.len() - at - 4).map_err(|_| "a value too long for COPY".to_owned())?;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Where the first `rows` tuples of `tuples` end, or `None` when it holds fewer (or is cut
/// short).
pub(crate) fn tuples_end(tuples: &[u8], rows: usize) -> Option<usize> {
    let read = |at: usize, n: usize| tuples.get(at..at + n);
    let mut at = 0;
    for _ in 0..rows {
        let fields = i16::from_be_bytes(read(at, 2)?.try_into().ok()?);
        at += 2;
        for _ in 0..fields {
            let len = i32::from_be_bytes(read(at, 4)?.try_into().ok()?);
            at += 4;
            if len > 0 {
                read(at, len as usize)?;
                at += len as usize;
            }
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `value` as a field of binary COPY, its length first.
    fn check(value: Value, jsonb: bool, expected: &[u8]) {
        let mut buf = PgArgumentBuffer::default();
        field(&mut buf, &value, jsonb).unwrap();
        assert_eq!(&buf[..], expected, "{value:?} as a field of binary COPY");
    }

    /// A field of `bytes`, its length first.
    fn len_and(bytes: &[u8]) -> Vec<u8> {
        [&(bytes.len() as i32).to_be_bytes()[..], bytes].concat()
    }

    #[test]
    fn binary_fields_are_a_length_then_the_bytes_a_bound_parameter_carries() {
        check(Value::String(None), false, &[0xff, 0xff, 0xff, 0xff]);
        check(Value::Decimal(None), false, &[0xff, 0xff, 0xff, 0xff]);
        check(Value::from(true), false, &len_and(&[1]));
        check(Value::from(-2i16), false, &len_and(&[0xff, 0xfe]));
        check(Value::from(258i32), false, &len_and(&[0, 0, 1, 2]));
        check(Value::from(-1i64), false, &len_and(&[0xff; 8]));
        check(Value::from(0.5f64), false, &len_and(&0.5f64.to_be_bytes()));
        check(Value::from("tab\tand\nnew line"), false, &len_and(b"tab\tand\nnew line"));
        let id = sea_orm::prelude::Uuid::from_bytes([7; 16]);
        check(Value::from(id), false, &len_and(&[7; 16]));
        check(Value::from(serde_json::json!({"k": 1})), false, &len_and(b"{\"k\":1}"));
        check(Value::from(serde_json::json!({"k": 1})), true, &len_and(b"\x01{\"k\":1}"));
        // 1234.50: two digits in base 10,000 (1234, 5000), the first of weight 0, positive,
        // shown with 2 decimals.
        let d = sea_orm::prelude::Decimal::new(123_450, 2);
        check(Value::from(d), false, &len_and(&[0, 2, 0, 0, 0, 0, 0, 2, 0x04, 0xd2, 0x13, 0x88]));
    }

    #[test]
    fn timestamps_are_microseconds_since_2000_cut_below_the_microsecond() {
        use chrono::TimeZone as _;
        let at = |secs, nanos| chrono::Utc.timestamp_opt(secs, nanos).unwrap();
        let micros = |us: i64| len_and(&us.to_be_bytes());
        check(Value::from(at(PG_EPOCH_SECS, 0)), false, &micros(0));
        check(Value::from(at(PG_EPOCH_SECS + 1, 2_999)), false, &micros(1_000_002));
        // Before 2000 the cut goes down, as text COPY read `.000000` of 23:59:59.0000009.
        check(Value::from(at(PG_EPOCH_SECS - 1, 900)), false, &micros(-1_000_000));
        check(Value::from(at(PG_EPOCH_SECS - 1, 900).naive_utc()), false, &micros(-1_000_000));
        let day = chrono::NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
        check(Value::from(day), false, &len_and(&(-1i32).to_be_bytes()));
    }

    #[test]
    fn tuples_end_after_each_rows_fields_null_or_not() {
        let mut buf = PgArgumentBuffer::default();
        for row in [[Value::from(1i32), Value::String(None)], [Value::from(2i32), Value::from("two")]] {
            buf.extend_from_slice(&2i16.to_be_bytes());
            for v in &row {
                field(&mut buf, v, false).unwrap();
            }
        }
        let first = 2 + (4 + 4) + 4;
        assert_eq!(tuples_end(&buf, 0), Some(0));
        assert_eq!(tuples_end(&buf, 1), Some(first));
        assert_eq!(tuples_end(&buf, 2), Some(buf.len()));
        assert_eq!(tuples_end(&buf, 3), None, "a third row in a batch of two");
        assert_eq!(tuples_end(&buf[..buf.len() - 1], 2), None, "a row cut short");
    }
}
