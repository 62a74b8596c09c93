//! A chunked seeding's recorded progress: one row in the domain's own
//! [`SEED_STATE_TABLE`], saying with which options the seeding began and how far it got
//! (statements run, rows of each table), written in the same transaction as each chunk.
//!
//! Why a row per domain and not a flag: the domain is then, at any instant, either untouched
//! (no row, no rows), complete (no row: the last chunk's transaction deletes it) or visibly
//! incomplete with its exact progress (the row), whatever kills the seeding. `--resume`
//! regenerates the same stream of rows from the recorded options and skips what the row says
//! was committed; the generator is deterministic, so what was committed is exactly a prefix of
//! that stream (the first rows of each table and the first statements).
//!
//! The table is made by the seeder, before its first transaction, only when it seeds in
//! chunks; reading commands only ask whether it is there ([`read`] creates nothing).

use std::collections::BTreeMap;
use std::fmt;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use seedbed_core::SEED_STATE_TABLE;
use seedbed_core::introspect::table_exists;

use crate::cells::Shard;
use crate::options::{Profile, SeedOptions};
use crate::quote;

/// How far a seeding got: what its committed chunks hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    /// Raw statements run (the DELETEs of `--truncate`, summaries, sequence moves).
    pub statements: u64,
    /// Rows written, by table.
    pub rows: BTreeMap<String, u64>,
    /// A shard's part is all written (its last transaction says so; see [`crate::shards`]).
    pub complete: bool,
}

impl Done {
    /// Rows written in all.
    pub fn total_rows(&self) -> u64 {
        self.rows.values().sum()
    }

    /// `statements=N table=rows …`: what the state table holds.
    fn encode(&self) -> String {
        let mut out = format!("statements={}", self.statements);
        for (table, n) in &self.rows {
            out.push_str(&format!(" {table}={n}"));
        }
        // No table is called `~complete`.
        if self.complete {
            out.push_str(" ~complete=1");
        }
        out
    }

    pub(crate) fn decode(text: &str) -> Option<Done> {
        let mut done = Done::default();
        for part in text.split_whitespace() {
            let (key, n) = part.split_once('=')?;
            let n: u64 = n.parse().ok()?;
            match key {
                "statements" => done.statements = n,
                "~complete" => done.complete = n == 1,
                table => {
                    done.rows.insert(table.to_owned(), n);
                }
            }
        }
        Some(done)
    }
}

/// What the state table says about an incomplete seeding.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub opts: SeedOptions,
    /// Whether it began by emptying the domain's tables: its statements count those DELETEs.
    pub truncate: bool,
    pub chunk_rows: u64,
    /// Chunks committed so far.
    pub chunks: u64,
    pub done: Done,
    /// When the last chunk was committed, by this machine's clock (a label for people).
    pub updated: String,
}

impl fmt::Display for Recorded {
    /// One line for people: how far it got, and with which options.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rows in {} chunk(s) committed, the last at {}; profile {}, scale {}, seed {}, reference time {}",
            self.done.total_rows(),
            self.chunks,
            self.updated,
            self.opts.profile,
            self.opts.scale,
            self.opts.seed,
            self.opts.now.to_rfc3339()
        )
    }
}

/// Options a `--resume` was given on the command line; `None` where it was not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Given {
    pub seed: Option<u64>,
    pub profile: Option<Profile>,
    pub scale: Option<f64>,
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

impl Recorded {
    /// Each given option that differs from the recorded one, as `--flag given (recorded: …)`.
    pub fn disagreements(&self, given: &Given) -> Vec<String> {
        disagreements(&self.opts, given)
    }
}

/// Each given option that differs from `rec`, as `--flag given (recorded: …)`.
pub fn disagreements(rec: &SeedOptions, given: &Given) -> Vec<String> {
    {
        let mut out = Vec::new();
        if let Some(p) = given.profile.filter(|p| *p != rec.profile) {
            out.push(format!("--profile {p} (recorded: {})", rec.profile));
        }
        if let Some(s) = given.scale.filter(|s| *s != rec.scale) {
            out.push(format!("--scale {s} (recorded: {})", rec.scale));
        }
        if let Some(s) = given.seed.filter(|s| *s != rec.seed) {
            out.push(format!("--seed {s} (recorded: {})", rec.seed));
        }
        // The recorded time is in whole seconds, as the seeder uses it.
        if let Some(n) = given.now.filter(|n| n.timestamp() != rec.now.timestamp()) {
            out.push(format!("--now {} (recorded: {})", n.to_rfc3339(), rec.now.to_rfc3339()));
        }
        out
    }
}

/// The state table's DDL: text for the options, so that every backend stores them exactly
/// (a u64 seed does not fit a signed BIGINT; a scale is kept as Rust prints it, which reads
/// back to the same f64).
fn create_sql(backend: DbBackend) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         domain VARCHAR(64) NOT NULL PRIMARY KEY, \
         seed VARCHAR(20) NOT NULL, profile VARCHAR(16) NOT NULL, scale VARCHAR(32) NOT NULL, \
         reference_time VARCHAR(40) NOT NULL, truncated BIGINT NOT NULL, \
         chunk_rows BIGINT NOT NULL, chunks BIGINT NOT NULL, \
         progress TEXT NOT NULL, updated_at VARCHAR(40) NOT NULL)",
        quote(backend, SEED_STATE_TABLE)
    )
}

/// Makes the state table where it is absent: a chunked seeding's first step, before its
/// first transaction (DDL would commit a MariaDB transaction), under the domain's lock.
pub async fn ensure_table(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    match db.execute_raw(Statement::from_string(backend, create_sql(backend))).await {
        Ok(_) => Ok(()),
        // Two creators at once (shard processes opening one seeding): PostgreSQL's `CREATE
        // TABLE IF NOT EXISTS` can fail the later one on the catalog's unique index ("type
        // seedbed_seeding already exists", seen in the suite). The table is there: done.
        Err(e) => match table_exists(db, SEED_STATE_TABLE).await {
            Ok(true) => Ok(()),
            _ => Err(e),
        },
    }
}

/// Whether the state table is there; creates nothing.
pub async fn table_there(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    table_exists(db, SEED_STATE_TABLE).await
}

/// The domain's incomplete seeding in chunks, if any; only reads (no table, no row: nothing
/// under way). A sharded seeding's rows are [`read_job`]'s.
pub async fn read(db: &impl ConnectionTrait, domain: &str) -> Result<Option<Recorded>, DbErr> {
    Ok(read_rows(db, domain).await?.into_iter().find(|(key, _)| key == domain).map(|(_, rec)| rec))
}

/// The key of a shard's row: `draw#2/4`.
pub fn shard_key(domain: &str, shard: Shard) -> String {
    format!("{domain}#{shard}")
}

/// What the state table says of a domain that is not complete.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// A seeding in chunks stopped part-way.
    Chunked(Recorded),
    /// A sharded seeding under way or stopped: the rows of the shards that began, by `k`.
    Sharded { n: u32, shards: BTreeMap<u32, Recorded> },
}

impl Found {
    /// The options the seeding began with.
    pub fn opts(&self) -> SeedOptions {
        match self {
            Found::Chunked(rec) => rec.opts,
            Found::Sharded { shards, .. } => shards.values().next().expect("a shard's row").opts,
        }
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Chunked(rec) => rec.fmt(f),
            Found::Sharded { n, shards } => {
                let list = |pick: &dyn Fn(Option<&Recorded>) -> bool| {
                    let ks: Vec<String> =
                        (1..=*n).filter(|k| pick(shards.get(k))).map(|k| format!("{k}/{n}")).collect();
                    if ks.is_empty() { "none".to_owned() } else { ks.join(", ") }
                };
                let rows: u64 = shards.values().map(|r| r.done.total_rows()).sum();
                let o = self.opts();
                write!(
                    f,
                    "a seeding in {n} shards: written {}; begun, not finished {}; not begun {}; {rows} rows committed; profile {}, scale {}, seed {}, reference time {}",
                    list(&|r| r.is_some_and(|r| r.done.complete)),
                    list(&|r| r.is_some_and(|r| !r.done.complete)),
                    list(&|r| r.is_none()),
                    o.profile,
                    o.scale,
                    o.seed,
                    o.now.to_rfc3339()
                )
            }
        }
    }
}

/// Whatever the state table says of `domain`: `None` when it is complete or was never
/// seeded (no table, no row); only reads.
pub async fn read_job(db: &impl ConnectionTrait, domain: &str) -> Result<Option<Found>, DbErr> {
    let mut shards = BTreeMap::new();
    let mut n_seen = None;
    for (key, rec) in read_rows(db, domain).await? {
        if key == domain {
            return Ok(Some(Found::Chunked(rec)));
        }
        let Some(shard) = key.strip_prefix(domain).and_then(|k| k.strip_prefix('#')) else { continue };
        let Ok(shard) = shard.parse::<Shard>() else { continue };
        n_seen = Some(shard.n);
        shards.insert(shard.k, rec);
    }
    Ok(n_seen.map(|n| Found::Sharded { n, shards }))
}

/// The keys of the state table's rows, in `db` (a transaction, say); the table must be there.
pub(crate) async fn read_keys(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!("SELECT domain FROM {}", quote(backend, SEED_STATE_TABLE));
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect()
}

/// Every row of the state table (which is in `domain`'s own namespace), by key.
async fn read_rows(db: &impl ConnectionTrait, domain: &str) -> Result<Vec<(String, Recorded)>, DbErr> {
    if !table_there(db).await? {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT domain, seed, profile, scale, reference_time, truncated, chunk_rows, chunks, progress, updated_at \
         FROM {} ORDER BY domain",
        quote(backend, SEED_STATE_TABLE),
    );
    let mut out = Vec::new();
    for row in db.query_all_raw(Statement::from_string(backend, sql)).await? {
        out.push(parse_row(domain, &row)?);
    }
    Ok(out)
}

fn parse_row(domain: &str, row: &sea_orm::QueryResult) -> Result<(String, Recorded), DbErr> {
    let text = |i: usize| row.try_get_by_index::<String>(i);
    let int = |i: usize| row.try_get_by_index::<i64>(i);
    let bad = |what: &str, value: &str| {
        DbErr::Custom(format!(
            "{domain}'s {SEED_STATE_TABLE} row holds {what} `{value}`, which this seedbed cannot read: start over with `seedbed seed --truncate --domain {domain}`"
        ))
    };
    let (seed, profile, scale, now) = (text(1)?, text(2)?, text(3)?, text(4)?);
    let opts = SeedOptions::new(
        seed.parse().map_err(|_| bad("the seed", &seed))?,
        profile.parse().map_err(|_| bad("the profile", &profile))?,
        scale.parse().map_err(|_| bad("the scale", &scale))?,
        crate::parse_now(&now).map_err(|_| bad("the reference time", &now))?,
    )
    .map_err(|e| bad("an option", &e.to_string()))?;
    let progress = text(8)?;
    Ok((
        text(0)?,
        Recorded {
            opts,
            truncate: int(5)? != 0,
            chunk_rows: int(6)? as u64,
            chunks: int(7)? as u64,
            done: Done::decode(&progress).ok_or_else(|| bad("the progress", &progress))?,
            updated: text(9)?,
        },
    ))
}

/// The statements that record `rec` as the progress of `domain` (or of a shard's key),
/// replacing any earlier row: run in the transaction of the chunk they describe.
pub(crate) fn record(backend: DbBackend, domain: &str, rec: &Recorded) -> [Statement; 2] {
    let table = quote(backend, SEED_STATE_TABLE);
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let values: Vec<Value> = vec![
        domain.into(),
        rec.opts.seed.to_string().into(),
        rec.opts.profile.name().into(),
        rec.opts.scale.to_string().into(),
        rec.opts.now.to_rfc3339().into(),
        i64::from(rec.truncate).into(),
        (rec.chunk_rows as i64).into(),
        (rec.chunks as i64).into(),
        rec.done.encode().into(),
        rec.updated.clone().into(),
    ];
    let marks: Vec<String> = (1..=values.len()).map(p).collect();
    [
        Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM {table} WHERE domain = {}", p(1)),
            [domain.into()],
        ),
        Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO {table} (domain, seed, profile, scale, reference_time, truncated, chunk_rows, chunks, progress, updated_at) VALUES ({})",
                marks.join(", ")
            ),
            values,
        ),
    ]
}

/// The statement that marks `domain` complete, a sharded seeding's rows included: run in the
/// transaction of its last chunk. (The table is in the domain's own namespace: it holds no
/// other domain's rows.)
pub(crate) fn clear(backend: DbBackend, _domain: &str) -> Statement {
    Statement::from_string(backend, format!("DELETE FROM {}", quote(backend, SEED_STATE_TABLE)))
}

/// The shard rows of a sharded seeding, locked for the transaction that may finish it (two
/// finishing shards then take turns; on Galera their DELETEs conflict instead, and one retries).
pub(crate) fn lock_shards_sql(backend: DbBackend) -> String {
    let lock = if backend == DbBackend::Sqlite { "" } else { " FOR UPDATE" };
    format!("SELECT domain, progress FROM {} ORDER BY domain{lock}", quote(backend, SEED_STATE_TABLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_back_as_written() {
        let check = |done: Done, text: &str| {
            assert_eq!(done.encode(), text, "encoding {done:?}");
            assert_eq!(Done::decode(text), Some(done), "decoding {text:?}");
        };
        check(Done::default(), "statements=0");
        check(
            Done {
                statements: 3,
                rows: [("users".into(), 2000), ("draws".into(), 17)].into(),
                complete: false,
            },
            "statements=3 draws=17 users=2000",
        );
        check(
            Done { statements: 0, rows: [("users".into(), 5)].into(), complete: true },
            "statements=0 users=5 ~complete=1",
        );
        assert_eq!(Done::decode("statements=x"), None, "a count that is no number");
        assert_eq!(Done::decode("users"), None, "a table without its count");
    }

    #[test]
    fn only_options_given_and_different_disagree() {
        let rec = Recorded {
            opts: SeedOptions { profile: Profile::Dev, scale: 2.0, ..Default::default() },
            truncate: false,
            chunk_rows: 100,
            chunks: 1,
            done: Done::default(),
            updated: String::new(),
        };
        let check =
            |given: Given, expected: &[&str]| assert_eq!(rec.disagreements(&given), expected, "{given:?}");
        check(Given::default(), &[]);
        check(Given { profile: Some(Profile::Dev), scale: Some(2.0), seed: Some(42), now: None }, &[]);
        check(
            Given { profile: Some(Profile::Tiny), seed: Some(7), ..Default::default() },
            &["--profile tiny (recorded: dev)", "--seed 7 (recorded: 42)"],
        );
        check(Given { scale: Some(3.0), ..Default::default() }, &["--scale 3 (recorded: 2)"]);
    }
}
