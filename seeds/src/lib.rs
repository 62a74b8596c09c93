//! The seeder: fills every table of a domain with realistic, deterministic data that obeys
//! every business rule, checks those rules, and digests what is there.
//!
//! Each domain has a [`Seeder`]: its tables in dependency order, a generator that streams
//! rows table by table, in batches, to a writer that loads them inside one transaction, or
//! in chunks that record their progress ([`load`], [`state`]), its well-known accounts and
//! its integrity checks. Randomness comes from one seeded stream per (domain, table)
//! ([`stream::Streams`]), so the same [`SeedOptions`] give the same rows on every backend.
//! This crate is the only one that depends on `fake`.
//!
//! ```
//! use sea_orm::DbBackend;
//! use seedbed_seeds::{Profile, SeedOptions, Seeder};
//!
//! let seeder = &seedbed_seeds::draw::SEEDER;
//! let opts = SeedOptions { profile: Profile::Dev, ..Default::default() };
//! assert!(opts.count(10, 1_000) >= 1_000);
//! // Its integrity catalogue: an orphan check per foreign key, then the business rules.
//! let checks = seedbed_seeds::checks(seeder, DbBackend::Sqlite);
//! assert!(checks.len() > seeder.rules(DbBackend::Sqlite).len());
//! ```

pub mod accounts;
pub mod cells;
pub mod checks;
pub mod describe;
pub mod load;
pub mod options;
pub mod places;
pub mod reference;
pub mod rhythm;
pub mod shards;
pub mod state;
pub mod stats;
pub mod stream;
pub mod table;
pub mod text;
pub mod writer;

pub mod booking;
pub mod draw;
pub mod raffle;

use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::entity::prelude::async_trait;
use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement};
use seedbed_core::driver_message;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use accounts::{Account, DEV_PASSWORD};
pub use checks::{Check, Finding};
pub use options::{DEFAULT_SEED, OptionError, Profile, SeedOptions, default_now, parse_now};
pub use writer::{Progress, Quiet, STOPPED, Sink};

use crate::cells::{Cell, Shard};
use crate::load::{Chunking, Op, Out, Writer};
use crate::state::Recorded;
use crate::stream::Streams;
use crate::table::TableOps;

/// Everything a generator writes one cell with ([`cells`]). Rows and statements go to the
/// writer in the order they are handed over; the writer runs beside the generator.
pub struct Ctx<'a> {
    out: Out,
    pub backend: DbBackend,
    /// How the writer takes rows ([`load::Encoding`]): a sink encodes them so.
    pub encoding: load::Encoding,
    /// The cell's options: its profile and scale make its row counts.
    pub opts: SeedOptions,
    /// Which cell, of how many: its keys and unique numbers come from it.
    pub cell: Cell,
    /// The cell's own streams; [`Streams::shared`] for what every cell must draw alike.
    pub streams: Streams,
    /// Whether this cell writes the reference rows (tiers, plans, categories, catalogue):
    /// cell 0 of an unsharded seeding. Every cell knows them, to refer to them; a sharded
    /// seeding upserts them once per shard, before its cells ([`Seeder::reference`]).
    pub writes_reference: bool,
    /// Where this cell falls in the run's cells: progress starts with the first and ends
    /// with the last, tables stay prepared for their load in between.
    run: RunPlace,
    pub progress: &'a dyn Progress,
    /// The argon2 hash of [`DEV_PASSWORD`], computed once.
    pub password_hash: &'a str,
}

/// A cell's place among the cells one run writes.
#[derive(Debug, Clone, Copy)]
struct RunPlace {
    first: bool,
    last: bool,
    cells: u64,
}

impl RunPlace {
    const ALONE: RunPlace = RunPlace { first: true, last: true, cells: 1 };
}

impl Ctx<'_> {
    /// A sink for `E`'s rows (`expected` in this cell), announced to the progress display.
    pub fn sink<E: EntityTrait>(&self, expected: u64) -> Sink<E> {
        let sink = Sink::new(self.encoding);
        if self.run.first {
            self.progress.start(sink.table(), expected * self.run.cells);
        }
        sink
    }

    /// Queues a row, handing the batch to the writer when it is full.
    pub async fn put<E: EntityTrait>(&self, sink: &mut Sink<E>, row: &E::Model) -> Result<(), DbErr> {
        if sink.push(row) {
            sink.flush(&self.out).await?;
        }
        Ok(())
    }

    /// Queues a row of a child table whose parent rows may still be queued in `parent`:
    /// when the child's batch is full, the parent's goes first.
    pub async fn put_child<E: EntityTrait, P: EntityTrait>(
        &self,
        sink: &mut Sink<E>,
        row: &E::Model,
        parent: &mut Sink<P>,
    ) -> Result<(), DbErr> {
        if sink.push(row) {
            parent.flush(&self.out).await?;
            sink.flush(&self.out).await?;
        }
        Ok(())
    }

    /// Hands every queued row of `sink` to the writer now (parents before their children).
    pub async fn flush<E: EntityTrait>(&self, sink: &mut Sink<E>) -> Result<(), DbErr> {
        sink.flush(&self.out).await
    }

    /// Writes what is left of a table's rows (in this cell).
    pub async fn close<E: EntityTrait>(&self, sink: &mut Sink<E>) -> Result<(), DbErr> {
        sink.flush(&self.out).await?;
        if self.run.last {
            self.out.send(Op::Finished(sink.table())).await?;
        }
        Ok(())
    }

    /// Runs a raw statement after every row handed over so far, in the seeding's
    /// transaction: for summaries computed from the rows just written.
    pub async fn execute(&self, statement: Statement) -> Result<(), DbErr> {
        self.out.send(Op::Execute(statement)).await
    }

    /// MariaDB/MySQL: runs `update`, which joins each of `sums` by name, as the seeding's
    /// summaries do. Each sum is a `SELECT` of per-key figures whose first column, the key,
    /// is named `k`; its rows are first kept in a temporary table with `k` as primary key
    /// (temporary tables, unlike other DDL, do not end the transaction).
    ///
    /// Why not the correlated subqueries the other engines run, nor derived tables: inside
    /// the seeding's transaction the tables' statistics still say they are empty, and at
    /// `large` the planner ran both forms as a scan per user (minutes, measured); a join on a
    /// primary key is planned the same whatever the statistics say. The sums should read
    /// their table with `USE INDEX ()`: in key order through a secondary index (the plan the
    /// empty statistics pick, to spare a sort) every row is a random read of the clustered
    /// index, which at `large` outgrew the buffer pool (draw's coins: 150+ s, measured).
    pub async fn update_joining_sums(&self, sums: Vec<(&str, Statement)>, update: &str) -> Result<(), DbErr> {
        let run = |sql: String| Statement::from_string(self.backend, sql);
        for (name, select) in &sums {
            // A failed seeding earlier on this pooled connection may have left it behind.
            self.execute(run(format!("DROP TEMPORARY TABLE IF EXISTS `{name}`"))).await?;
            let create = format!("CREATE TEMPORARY TABLE `{name}` (PRIMARY KEY (k)) {}", select.sql);
            self.execute(Statement { sql: create, ..select.clone() }).await?;
        }
        self.execute(run(update.to_owned())).await?;
        for (name, _) in &sums {
            self.execute(run(format!("DROP TEMPORARY TABLE `{name}`"))).await?;
        }
        Ok(())
    }
}

/// One domain's seeding, checks and digest.
#[async_trait::async_trait]
pub trait Seeder: Send + Sync {
    fn domain(&self) -> &'static str;
    /// The domain's tables, parents before children.
    fn tables(&self) -> Vec<Box<dyn TableOps>>;
    /// What the entities say about the schema: where the orphan checks come from.
    fn schema(&self, backend: DbBackend) -> Vec<TableCreateStatement>;
    /// The views, which hold no rows of their own.
    fn views(&self) -> &'static [&'static str];
    /// The documented accounts every profile contains.
    fn accounts(&self) -> Vec<Account>;
    /// The business rules, beyond foreign-key orphans.
    fn rules(&self, backend: DbBackend) -> Vec<Check>;
    /// The columns whose distribution shows the shape of the data (`seedbed describe`):
    /// status mixes, amounts, activity per user, hour, weekday and month of activity.
    fn facets(&self) -> &'static [describe::Facet] {
        &[]
    }
    /// Writes every table's rows of the cell `ctx` names ([`cells`]): nothing in them may
    /// refer to another cell's rows.
    async fn generate(&self, ctx: &Ctx<'_>) -> Result<(), DbErr>;
    /// Runs the statements that summarise the rows of every cell (balances, counts, rating
    /// averages, sequence moves), once, after the last cell.
    async fn finish(&self, _ctx: &Ctx<'_>) -> Result<(), DbErr> {
        Ok(())
    }
    /// Upserts the domain's reference data in `txn`, placed at `now` (see [`mod@reference`]):
    /// the same rows `generate` writes first; only reads and reports unless `write`. A
    /// domain without any has nothing to do.
    async fn reference(
        &self,
        _txn: &sea_orm::DatabaseTransaction,
        _now: chrono::DateTime<chrono::Utc>,
        _write: bool,
    ) -> Result<reference::Outcome, DbErr> {
        Ok(reference::Outcome::default())
    }
}

/// Why seeding did not happen.
#[derive(Debug, Error)]
pub enum SeedError {
    #[error(
        "the {domain} domain already holds data ({rows} rows in {table}): seed it again with `--truncate` (empties only {domain}'s tables), or start over with `seedbed bootstrap`"
    )]
    NotEmpty { domain: String, table: String, rows: u64 },
    #[error("seeding {domain} failed, and it was rolled back: {}", driver_message(cause))]
    Db { domain: String, cause: DbErr },
    /// The caller's `stop` came first: the transaction was rolled back, and the domain holds
    /// what it held before.
    #[error("seeding {domain} was stopped, and it was rolled back: {domain} holds what it held before")]
    Stopped { domain: String },
    /// A seeding in chunks stopped or failed after committing some: the open chunk was rolled
    /// back, and the domain is incomplete, its progress recorded.
    #[error(
        "seeding {domain} {how}; its last chunk was rolled back, and {domain} is incomplete ({recorded}): finish it with `seedbed seed --resume --domain {domain}`"
    )]
    LeftIncomplete { domain: String, how: String, recorded: String },
    /// A plain seeding of a domain that a seeding in chunks or in shards left incomplete.
    #[error(
        "the {domain} domain is incomplete: a seeding stopped part-way or is still under way ({recorded}): finish it with `seedbed seed --resume --domain {domain}`, or start over with `seedbed seed --truncate --domain {domain}`"
    )]
    Incomplete { domain: String, recorded: String },
    /// A shard of a sharded seeding whose recorded options or shard count differ.
    #[error(
        "shard {shard} of {domain} does not belong to the seeding under way ({recorded}): run its shards with the same --profile, --scale, --seed, --now and shard count, or start over with `seedbed seed --truncate --domain {domain}`"
    )]
    OtherShards { domain: String, shard: crate::cells::Shard, recorded: String },
    /// `--resume` of a domain that no seeding left incomplete.
    #[error(
        "there is nothing to resume in {domain}: no seeding of it stopped part-way (a complete or empty domain has no recorded progress); seed it with `seedbed seed --domain {domain}` (add --truncate to replace its data)"
    )]
    NothingToResume { domain: String },
}

/// How a seeding writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Plan {
    /// Empty the domain's tables first, in the seeding's (first) transaction.
    pub truncate: bool,
    /// Commit every this many rows, recording the progress (see [`state`]); `None`: the
    /// whole seeding in one transaction.
    pub chunk_rows: Option<u64>,
    /// Finish the domain's incomplete seeding, with its recorded options (the caller's are
    /// ignored: check them against [`state::read`] first) and, unless `chunk_rows` says
    /// otherwise, its chunk size.
    pub resume: bool,
}

/// Every check of a domain: orphans of each foreign key, then the business rules.
pub fn checks(seeder: &dyn Seeder, backend: DbBackend) -> Vec<Check> {
    let mut all = checks::orphan_checks(backend, &seeder.schema(backend), seeder.views());
    all.extend(seeder.rules(backend));
    all
}

/// Rows per table, in the seeder's order.
pub async fn row_counts(
    db: &impl ConnectionTrait,
    seeder: &dyn Seeder,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for t in seeder.tables() {
        let sql = format!("SELECT COUNT(*) FROM {}", quote(backend, t.name()));
        let n = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        out.push((t.name(), n as u64));
    }
    Ok(out)
}

/// Seeds one domain in one transaction: either every table is filled or nothing changed.
/// Refuses a domain that holds rows, unless `truncate` empties its tables first (in the
/// same transaction).
pub async fn seed(
    db: &DatabaseConnection,
    seeder: &dyn Seeder,
    opts: SeedOptions,
    truncate: bool,
    progress: &dyn Progress,
    password_hash: &str,
) -> Result<(), SeedError> {
    let plan = Plan { truncate, ..Plan::default() };
    seed_until(db, seeder, opts, plan, progress, password_hash, std::future::pending()).await
}

/// [`seed`] as `plan` says, stopped when `stop` completes first (e.g. on a signal): the writer
/// stops before its next statement (one in flight is let finish, so the connection stays
/// usable), the open transaction is rolled back and waited for, and the result is
/// [`SeedError::Stopped`], or [`SeedError::LeftIncomplete`] once chunks were committed.
/// Once the (last) commit has begun, `stop` is no longer heeded: the commit decides.
///
/// A domain that a seeding in chunks left incomplete is refused unless `plan` truncates or
/// resumes it.
pub async fn seed_until(
    db: &DatabaseConnection,
    seeder: &dyn Seeder,
    opts: SeedOptions,
    plan: Plan,
    progress: &dyn Progress,
    password_hash: &str,
    stop: impl Future<Output = ()>,
) -> Result<(), SeedError> {
    let domain = seeder.domain();
    let failed = |cause: DbErr| SeedError::Db { domain: domain.to_owned(), cause };
    let found = state::read_job(db, domain).await.map_err(failed)?;
    let recorded = match &found {
        Some(state::Found::Chunked(rec)) => Some(rec.clone()),
        // A sharded seeding is the shards' to finish ([`shards`]); `--truncate` replaces it.
        Some(sharded) if !plan.truncate => {
            return Err(SeedError::Incomplete { domain: domain.to_owned(), recorded: sharded.to_string() });
        }
        _ => None,
    };
    let (opts, truncate, chunking) = match (&recorded, plan.resume) {
        (None, true) => return Err(SeedError::NothingToResume { domain: domain.to_owned() }),
        (Some(rec), true) => {
            let rows = plan.chunk_rows.filter(|n| *n > 0).unwrap_or(rec.chunk_rows);
            let record = Recorded { chunk_rows: rows, ..rec.clone() };
            let key = domain.to_owned();
            (rec.opts, rec.truncate, Some(Chunking { key, rows, record, skip: rec.done.clone() }))
        }
        (Some(rec), false) if !plan.truncate => {
            return Err(SeedError::Incomplete { domain: domain.to_owned(), recorded: rec.to_string() });
        }
        (_, false) => {
            let chunking = plan.chunk_rows.filter(|n| *n > 0).map(|rows| Chunking {
                key: domain.to_owned(),
                rows,
                record: Recorded {
                    opts,
                    truncate: plan.truncate,
                    chunk_rows: rows,
                    chunks: 0,
                    done: state::Done::default(),
                    updated: String::new(),
                },
                skip: state::Done::default(),
            });
            (opts, plan.truncate, chunking)
        }
    };
    if !truncate
        && !plan.resume
        && let Some((table, rows)) =
            row_counts(db, seeder).await.map_err(failed)?.into_iter().find(|(_, n)| *n > 0)
    {
        return Err(SeedError::NotEmpty { domain: domain.to_owned(), table: table.to_owned(), rows });
    }
    if chunking.is_some() {
        state::ensure_table(db).await.map_err(failed)?;
    }
    // The last COMMIT marks the domain complete: always in chunks, and when a one-transaction
    // `--truncate` replaces an incomplete seeding.
    let clear_state = (chunking.is_some() || found.is_some()).then_some(domain);
    let chunked = chunking.is_some();
    let writer = Writer::begin(db, opts.profile, chunking, clear_state, true).await.map_err(failed)?;
    let job = Job {
        opts,
        truncate,
        cells: Shard::ALL.cells(cells::layout(&opts).count).collect(),
        reference_in_cells: true,
        finish: true,
        resumed: chunked && plan.resume,
    };
    write_job(db, seeder, job, writer, progress, password_hash, stop).await
}

/// What one writing puts in, once its checks are passed: the seeding of a whole domain, a
/// shard's part ([`shards`]), or the summaries that finish a sharded one.
pub(crate) struct Job {
    /// The domain's options (each cell's follow from them).
    pub opts: SeedOptions,
    /// Empty the domain's tables first.
    pub truncate: bool,
    /// The cells to write, in order.
    pub cells: Vec<Cell>,
    /// Cell 0 writes the reference rows (else they are upserted before: a sharded seeding).
    pub reference_in_cells: bool,
    /// Run [`Seeder::finish`] after the cells.
    pub finish: bool,
    /// It continues a part some of which is committed: a failure leaves it incomplete.
    pub resumed: bool,
}

/// Writes `job` through `writer` and commits, or rolls back when `stop` completes first or
/// anything fails (see [`seed_until`]).
pub(crate) async fn write_job(
    db: &DatabaseConnection,
    seeder: &dyn Seeder,
    job: Job,
    mut writer: Writer,
    progress: &dyn Progress,
    password_hash: &str,
    stop: impl Future<Output = ()>,
) -> Result<(), SeedError> {
    let domain = seeder.domain();
    let failed = |cause: DbErr| SeedError::Db { domain: domain.to_owned(), cause };
    let Job { opts, truncate, cells, reference_in_cells, finish, resumed } = job;
    let chunked = writer.chunked();
    let backend = db.get_database_backend();
    let watched = Stoppable { inner: progress, stopping: AtomicBool::new(false) };
    let (out, ops) = load::channel();
    let layout = cells::layout(&opts);
    // The whole domain: for the DELETEs of `--truncate` and the summaries after the cells.
    let ctx = Ctx {
        out: out.clone(),
        backend,
        encoding: writer.encoding(),
        opts,
        cell: Cell::ONLY,
        streams: Streams::new(opts.seed),
        writes_reference: false,
        run: RunPlace::ALONE,
        progress: &watched,
        password_hash,
    };
    let generate = async {
        let mut generated = Ok(());
        if truncate {
            for t in seeder.tables().iter().rev() {
                let sql = format!("DELETE FROM {}", quote(backend, t.name()));
                generated = ctx.execute(Statement::from_string(backend, sql)).await;
                if generated.is_err() {
                    break;
                }
            }
        }
        for (i, cell) in cells.iter().enumerate() {
            if generated.is_err() {
                break;
            }
            let run = RunPlace { first: i == 0, last: i + 1 == cells.len(), cells: cells.len() as u64 };
            let cell_ctx = Ctx {
                out: out.clone(),
                opts: layout.cell,
                cell: *cell,
                streams: Streams::for_cell(opts.seed, cell.index),
                writes_reference: reference_in_cells && cell.is_first(),
                run,
                ..ctx
            };
            generated = seeder.generate(&cell_ctx).await;
        }
        if generated.is_ok() && finish {
            generated = seeder.finish(&ctx).await;
        }
        // Whatever happened, the writer stops reading here; it is gone if it failed.
        let _ = ctx.out.send(Op::End { complete: generated.is_ok() }).await;
        generated
    };
    let (generated, written) =
        until(join(generate, writer.run(ops, &watched)), stop, &watched.stopping).await;
    // Chunks are committed (by this run or an earlier one): a failure leaves the domain
    // incomplete, and says how far it got.
    let incomplete = chunked && (writer.committed_chunks() > 0 || resumed);
    let left_incomplete = async |how: String| match state::read_job(db, domain).await {
        Ok(Some(found)) => {
            SeedError::LeftIncomplete { domain: domain.to_owned(), how, recorded: found.to_string() }
        }
        Ok(None) => SeedError::LeftIncomplete {
            domain: domain.to_owned(),
            how,
            recorded: "no progress recorded".into(),
        },
        Err(e) => failed(e),
    };
    if watched.stopping.load(Ordering::SeqCst) {
        writer.rollback().await.map_err(failed)?;
        if incomplete {
            return Err(left_incomplete("was stopped".into()).await);
        }
        return Err(SeedError::Stopped { domain: domain.to_owned() });
    }
    // The first real cause: a generator that lost its writer only says so.
    let outcome = match (written, generated) {
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(())) => Ok(()),
    };
    if let Err(e) = outcome {
        // The rollback's own failure would hide the cause; the pool discards the connection.
        let _ = writer.rollback().await;
        if incomplete {
            return Err(left_incomplete(format!("failed: {}", driver_message(&e))).await);
        }
        return Err(failed(e));
    }
    let committed = writer.committed_chunks();
    match writer.commit().await {
        Ok(()) => Ok(()),
        Err(e) if chunked && (committed > 0 || resumed) => {
            Err(left_incomplete(format!("failed at its last commit: {}", driver_message(&e))).await)
        }
        Err(e) => Err(failed(e)),
    }
}

/// Runs both futures to their ends, on this task: the writer waits on the database while
/// the generator computes.
async fn join<A, B>(a: impl Future<Output = A>, b: impl Future<Output = B>) -> (A, B) {
    tokio::join!(a, b)
}

/// Passes progress on, and tells the writer to stop once `stopping` is set.
struct Stoppable<'a> {
    inner: &'a dyn Progress,
    stopping: AtomicBool,
}

impl Progress for Stoppable<'_> {
    fn start(&self, table: &str, expected: u64) {
        self.inner.start(table, expected);
    }
    fn advance(&self, table: &str, rows: u64) {
        self.inner.advance(table, rows);
    }
    fn finish(&self, table: &str) {
        self.inner.finish(table);
    }
    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// Runs `work` to its end, setting `stopping` when `stop` completes first (`work` then ends
/// soon, at its next statement).
async fn until<T>(work: impl Future<Output = T>, stop: impl Future<Output = ()>, stopping: &AtomicBool) -> T {
    let (mut work, mut stop) = (std::pin::pin!(work), std::pin::pin!(stop));
    std::future::poll_fn(|cx| {
        if !stopping.load(Ordering::SeqCst) && stop.as_mut().poll(cx).is_ready() {
            stopping.store(true, Ordering::SeqCst);
        }
        work.as_mut().poll(cx)
    })
    .await
}

/// The digest of a domain's contents: equal for equal data, whatever the backend.
pub async fn digest(db: &DatabaseConnection, seeder: &dyn Seeder) -> Result<String, DbErr> {
    let mut tables = Vec::new();
    for t in seeder.tables() {
        tables.push(t.digest(db).await?);
    }
    tables.sort_by(|a, b| a.table.cmp(&b.table));
    let mut h = Sha256::new();
    for t in &tables {
        t.feed(&mut h);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

pub(crate) use seedbed_core::quote;
