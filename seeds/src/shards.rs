//! Sharded seeding: one domain written by several workers at once, in this process
//! ([`seed_workers_until`]) or in several processes on several machines or cluster nodes
//! ([`seed_shard_until`]), that together write exactly the rows one worker writes.
//!
//! Shard `k` of `n` writes the cells whose index is `k - 1` modulo `n` ([`crate::cells`]).
//! The domain's state table says, at every instant, what the seeding has done, one row per
//! shard (`draw#2/4`), so that the domain is complete only once every shard's part is in and
//! the summaries over all cells have run; until then `check`, `digest` and `describe` refuse
//! it, and `seed --resume` finishes it. A shard's life:
//!
//! 1. **Open** (one short transaction, retried on a conflict with another shard's): upsert
//!    the reference rows (every cell refers to them; the upsert is idempotent, so whichever
//!    shard comes first writes them), and insert the shard's row if it is not there. From
//!    this commit on the domain is visibly incomplete, whatever happens next.
//! 2. **Write** its cells, in one transaction, or in chunks each recording its progress in its
//!    row; the last transaction records the part as written. No table is altered for the
//!    load (other shards write the same tables at the same time).
//! 3. **Finish** (one transaction, retried on a conflict): lock the shard rows; if every
//!    shard's part is written, run the summaries ([`crate::Seeder::finish`]) and delete the
//!    rows, which makes the domain complete. Two shards that finish at once take turns on the
//!    rows' locks (PostgreSQL, MariaDB), or conflict at certification and retry (Galera,
//!    where the read waits for the cluster first: `wsrep_sync_wait`); the second finds
//!    nothing left to do.
//!
//! A killed shard leaves its row as it was at its last commit; running it again (or
//! `seed --resume`) continues from there.

use std::pin::Pin;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use tokio::sync::watch;

use crate::cells::{self, Shard};
use crate::load::{Chunking, Writer};
use crate::state::{self, Done, Found, Recorded};
use crate::{Job, Plan, Progress, SeedError, SeedOptions, Seeder, quote, row_counts, write_job};

/// What a sharded seeding did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The shards this run wrote.
    pub wrote: Vec<Shard>,
    /// The shards it found written already.
    pub found_written: Vec<Shard>,
    /// Whether this run made the domain complete (ran the summaries over every cell).
    pub finished: bool,
}

/// Writes shard `shard` of `domain` with `opts`, joining a sharded seeding with the same
/// options that other processes have begun (or beginning it), and finishes the domain when
/// its part is the last one written. Run it under the domain's shared lock.
///
/// Refuses a domain holding other data, an incomplete seeding in chunks, and a sharded
/// seeding with other options or another number of shards.
#[allow(clippy::too_many_arguments)]
pub async fn seed_shard_until(
    db: &DatabaseConnection,
    seeder: &dyn Seeder,
    opts: SeedOptions,
    shard: Shard,
    chunk_rows: Option<u64>,
    progress: &dyn Progress,
    password_hash: &str,
    stop: impl Future<Output = ()>,
) -> Result<Report, SeedError> {
    let domain = seeder.domain();
    let failed = |cause: DbErr| SeedError::Db { domain: domain.to_owned(), cause };
    // A domain that holds data and no seeding under way is refused by the opening, in its
    // transaction: another shard may open the seeding between a look here and that.
    let found = state::read_job(db, domain).await.map_err(failed)?;
    let mut report = Report::default();
    match &found {
        None => {}
        Some(Found::Chunked(rec)) => {
            return Err(SeedError::Incomplete { domain: domain.to_owned(), recorded: rec.to_string() });
        }
        Some(job @ Found::Sharded { n, shards }) => {
            if *n != shard.n || job.opts() != opts {
                return Err(SeedError::OtherShards {
                    domain: domain.to_owned(),
                    shard,
                    recorded: job.to_string(),
                });
            }
            if shards.get(&shard.k).is_some_and(|r| r.done.complete) {
                report.found_written.push(shard);
            }
        }
    }
    if report.found_written.is_empty() {
        open(db, seeder, opts, &[shard], false).await?;
        let part = Part { db, seeder, opts, shard, chunk_rows, progress, password_hash };
        write_shard_retrying(part, stop).await?;
        report.wrote.push(shard);
    }
    report.finished = finish(db, seeder, opts, shard.n, progress, password_hash).await?;
    Ok(report)
}

/// Writes `domain` in `n` shards at once, shard `k` through `dbs[(k - 1) % dbs.len()]` (give
/// each its own pool), then finishes it; or, with `plan.resume`, finishes the sharded seeding
/// the domain records, with its options. SQLite has one writer: there the shards run one
/// after another. Run it under the domain's (exclusive) lock.
#[allow(clippy::too_many_arguments)]
pub async fn seed_workers_until(
    dbs: &[DatabaseConnection],
    seeder: &dyn Seeder,
    opts: SeedOptions,
    n: u32,
    plan: Plan,
    progress: &dyn Progress,
    password_hash: &str,
    stop: impl Future<Output = ()>,
) -> Result<Report, SeedError> {
    let domain = seeder.domain();
    let db = &dbs[0];
    let failed = |cause: DbErr| SeedError::Db { domain: domain.to_owned(), cause };
    let found = state::read_job(db, domain).await.map_err(failed)?;
    let (opts, n, truncate) = match (&found, plan.resume) {
        (Some(job @ Found::Sharded { n, .. }), true) => (job.opts(), *n, false),
        (Some(Found::Chunked(_)), true) | (None, true) => {
            return Err(SeedError::NothingToResume { domain: domain.to_owned() });
        }
        (Some(job), false) if !plan.truncate => {
            return Err(SeedError::Incomplete { domain: domain.to_owned(), recorded: job.to_string() });
        }
        (_, false) => (opts, n, plan.truncate),
    };
    if !truncate
        && !plan.resume
        && let Some((table, rows)) =
            row_counts(db, seeder).await.map_err(failed)?.into_iter().find(|(_, n)| *n > 0)
    {
        return Err(SeedError::NotEmpty { domain: domain.to_owned(), table: table.to_owned(), rows });
    }
    let all: Vec<Shard> = Shard::all(n).collect();
    open(db, seeder, opts, &all, truncate).await?;
    let written = match state::read_job(db, domain).await.map_err(failed)? {
        Some(Found::Sharded { shards, .. }) => shards,
        _ => Default::default(),
    };
    let mut report = Report::default();
    let (todo, done): (Vec<Shard>, Vec<Shard>) =
        all.iter().partition(|s| !written.get(&s.k).is_some_and(|r| r.done.complete));
    report.found_written = done;
    // One stop for every shard: each rolls back its open transaction.
    let (stopping, stopped) = watch::channel(false);
    let shard_stop = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let one_writer = db.get_database_backend() == DbBackend::Sqlite;
    let results = {
        let runs: Vec<Run<'_>> = todo
            .iter()
            .map(|s| {
                let db = &dbs[(s.k as usize - 1) % dbs.len()];
                let stop = shard_stop(stopped.clone());
                let part = Part {
                    db,
                    seeder,
                    opts,
                    shard: *s,
                    chunk_rows: plan.chunk_rows,
                    progress,
                    password_hash,
                };
                Box::pin(write_shard_retrying(part, stop)) as Pin<Box<dyn Future<Output = _>>>
            })
            .collect();
        let work = async {
            if one_writer {
                let mut out = Vec::new();
                for run in runs {
                    out.push(run.await);
                }
                out
            } else {
                join_all(runs).await
            }
        };
        let relay = async {
            stop.await;
            let _ = stopping.send(true);
            std::future::pending::<()>().await
        };
        let mut work = std::pin::pin!(work);
        let mut relay = std::pin::pin!(relay);
        std::future::poll_fn(|cx| {
            let _ = relay.as_mut().poll(cx);
            work.as_mut().poll(cx)
        })
        .await
    };
    // The first failure says what happened; the others' parts stay as they were committed.
    for (shard, result) in todo.iter().zip(results) {
        result?;
        report.wrote.push(*shard);
    }
    report.finished = finish(db, seeder, opts, n, progress, password_hash).await?;
    Ok(report)
}

/// One shard's part, under way.
type Run<'a> = Pin<Box<dyn Future<Output = Result<(), SeedError>> + 'a>>;

/// Polls every future until all are done, on this task; results in their order.
async fn join_all<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(|r| r.expect("every future finished")).collect()
}

/// Step 1: the reference rows, and a row for each of `shards` not recorded yet (emptying the
/// domain first when `truncate`), in one short transaction.
async fn open(
    db: &DatabaseConnection,
    seeder: &dyn Seeder,
    opts: SeedOptions,
    shards: &[Shard],
    truncate: bool,
) -> Result<(), SeedError> {
    let domain = seeder.domain();
    let failed = |cause: DbErr| SeedError::Db { domain: domain.to_owned(), cause };
    state::ensure_table(db).await.map_err(failed)?;
    let backend = db.get_database_backend();
    let in_the_way = retrying(domain, async || {
        let txn = db.begin().await?;
        if truncate {
            for t in seeder.tables().iter().rev() {
                let sql = format!("DELETE FROM {}", quote(backend, t.name()));
                txn.execute_raw(Statement::from_string(backend, sql)).await?;
            }
            txn.execute_raw(state::clear(backend, domain)).await?;
        }
        // Rows first, then the seeding's rows: another shard's opening commits its reference
        // rows and its own row together, so a statement that sees the former, or runs after
        // one that did, sees the latter too (even at READ COMMITTED).
        let held = row_counts(&txn, seeder).await?.into_iter().find(|(_, n)| *n > 0);
        let recorded: Vec<String> = state::read_keys(&txn).await?;
        // No seeding under way, yet rows (a late shard of a seeding another shard has since
        // completed, say): nothing may be added to them.
        if recorded.is_empty()
            && let Some((table, rows)) = held
        {
            txn.rollback().await?;
            return Ok(Some(SeedError::NotEmpty {
                domain: domain.to_owned(),
                table: table.to_owned(),
                rows,
            }));
        }
        // A seeding another shard opened since this one looked: it must be this one's.
        if let (false, Some(job @ Found::Sharded { n, .. })) =
            (truncate, state::read_job(&txn, domain).await?)
            && let Some(mine) = shards.first()
            && (n != mine.n || job.opts() != opts)
        {
            txn.rollback().await?;
            return Ok(Some(SeedError::OtherShards {
                domain: domain.to_owned(),
                shard: *mine,
                recorded: job.to_string(),
            }));
        }
        seeder.reference(&txn, opts.now, true).await?;
        for shard in shards {
            let key = state::shard_key(domain, *shard);
            if recorded.contains(&key) {
                continue;
            }
            let rec = Recorded {
                opts,
                truncate: false,
                chunk_rows: 0,
                chunks: 0,
                done: Done::default(),
                updated: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            };
            for stmt in state::record(backend, &key, &rec) {
                txn.execute_raw(stmt).await?;
            }
        }
        txn.commit().await.map(|()| None)
    })
    .await?;
    in_the_way.map_or(Ok(()), Err)
}

/// What writing one shard's part takes.
#[derive(Clone, Copy)]
struct Part<'a> {
    db: &'a DatabaseConnection,
    seeder: &'a dyn Seeder,
    /// The seeding's options (the domain's, not a cell's).
    opts: SeedOptions,
    shard: Shard,
    chunk_rows: Option<u64>,
    progress: &'a dyn Progress,
    password_hash: &'a str,
}

/// [`write_shard`], again while its transaction loses a conflict with another shard's (an
/// InnoDB deadlock between inserts into the same index pages, a Galera certification
/// failure): the part is deterministic, and its row says what is committed already.
async fn write_shard_retrying(part: Part<'_>, stop: impl Future<Output = ()>) -> Result<(), SeedError> {
    let mut stop = std::pin::pin!(stop);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let stopped = std::sync::atomic::AtomicBool::new(false);
        let once = async {
            stop.as_mut().await;
            stopped.store(true, std::sync::atomic::Ordering::SeqCst);
        };
        match write_shard(part, once).await {
            Err(e @ (SeedError::LeftIncomplete { .. } | SeedError::Db { .. }))
                if attempt < ATTEMPTS
                    && !stopped.load(std::sync::atomic::Ordering::SeqCst)
                    && conflict_said(&e.to_string()) =>
            {
                tokio::time::sleep(backoff(attempt)).await;
            }
            other => return other,
        }
    }
}

/// Step 2: the shard's cells, after what its row says is committed already.
async fn write_shard(part: Part<'_>, stop: impl Future<Output = ()>) -> Result<(), SeedError> {
    let Part { db, seeder, opts, shard, chunk_rows, progress, password_hash } = part;
    let domain = seeder.domain();
    let failed = |cause: DbErr| SeedError::Db { domain: domain.to_owned(), cause };
    let key = state::shard_key(domain, shard);
    let Some(Found::Sharded { shards, .. }) = state::read_job(db, domain).await.map_err(failed)? else {
        return Err(failed(DbErr::Custom(format!(
            "the row of shard {shard} is gone: another run finished or replaced the seeding"
        ))));
    };
    let rec = shards.get(&shard.k).cloned().ok_or_else(|| {
        failed(DbErr::Custom(format!("the row of shard {shard} is gone: another run replaced the seeding")))
    })?;
    let rows = chunk_rows.filter(|n| *n > 0);
    let record = Recorded { chunk_rows: rows.unwrap_or(0), ..rec.clone() };
    let chunking = Chunking { key, rows: rows.unwrap_or(u64::MAX), record, skip: rec.done.clone() };
    let mut writer = Writer::begin(db, opts.profile, Some(chunking), None, false).await.map_err(failed)?;
    writer.record_complete();
    let job = Job {
        opts,
        truncate: false,
        cells: shard.cells(cells::layout(&opts).count).collect(),
        reference_in_cells: false,
        finish: false,
        resumed: true,
    };
    write_job(db, seeder, job, writer, progress, password_hash, stop).await
}

/// Step 3: when every shard's part is written, the summaries and the end of the state rows,
/// in one transaction. Whether this call made the domain complete.
async fn finish(
    db: &DatabaseConnection,
    seeder: &dyn Seeder,
    opts: SeedOptions,
    n: u32,
    progress: &dyn Progress,
    password_hash: &str,
) -> Result<bool, SeedError> {
    let domain = seeder.domain();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = async {
            let failed = |cause: DbErr| SeedError::Db { domain: domain.to_owned(), cause };
            let mut writer =
                Writer::begin(db, opts.profile, None, Some(domain), false).await.map_err(failed)?;
            if db.get_database_backend() == DbBackend::MySql {
                // On a Galera node, read what the whole cluster committed; elsewhere ignored.
                let _ = writer.session("SET SESSION wsrep_sync_wait = 1").await;
            }
            if writer.shards_written(domain, n).await.map_err(failed)? != Some(true) {
                writer.rollback().await.map_err(failed)?;
                return Ok(false);
            }
            let job = Job {
                opts,
                truncate: false,
                cells: Vec::new(),
                reference_in_cells: false,
                finish: true,
                resumed: false,
            };
            write_job(db, seeder, job, writer, progress, password_hash, std::future::pending()).await?;
            Ok(true)
        }
        .await;
        match result {
            Err(SeedError::Db { cause, .. }) if attempt < ATTEMPTS && conflict(&cause) => {
                tokio::time::sleep(backoff(attempt)).await;
            }
            other => return other,
        }
    }
}

/// Tries of a short transaction that may conflict with another shard's.
const ATTEMPTS: u32 = 10;

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(50 * u64::from(attempt))
}

/// Runs `work` (one transaction) again while it fails on a conflict with another shard's
/// transaction, up to [`ATTEMPTS`] times.
async fn retrying<T>(domain: &str, work: impl AsyncFn() -> Result<T, DbErr>) -> Result<T, SeedError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match work().await {
            Ok(done) => return Ok(done),
            Err(e) if attempt < ATTEMPTS && conflict(&e) => tokio::time::sleep(backoff(attempt)).await,
            Err(cause) => return Err(SeedError::Db { domain: domain.to_owned(), cause }),
        }
    }
}

/// Whether `e` is a conflict with a concurrent transaction, which a retry resolves: a
/// deadlock or certification failure (MariaDB 1213, Galera), a serialization failure, or a
/// duplicate key another shard inserted first.
fn conflict(e: &DbErr) -> bool {
    conflict_said(&e.to_string())
}

/// [`conflict`], from what an error says.
fn conflict_said(said: &str) -> bool {
    let m = said.to_lowercase();
    [
        "deadlock",
        "1213",
        "40001",
        "40p01",
        "could not serialize",
        "duplicate",
        "unique constraint",
        "1062",
        "23505",
    ]
    .iter()
    .any(|k| m.contains(k))
}
