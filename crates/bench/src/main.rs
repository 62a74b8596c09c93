//! `seedbed-bench`: the seeder's speed against each engine's own bulk load, bootstrap time
//! and peak memory, measured side by side in one run. See docs/performance.md.
//!
//! For each backend and profile it seeds every domain with the release `seedbed` binary (as
//! a child process, whose wall time and peak RSS are taken from the kernel), then exports
//! the seeded rows and loads them again into a fresh copy of the schema by the engine's own
//! bulk path: PostgreSQL `COPY … FROM STDIN` from files the bench wrote, MariaDB server-side
//! `LOAD DATA INFILE`, SQLite `INSERT … SELECT` from the attached seeded file (the engine
//! copying rows itself) and, on dev, one prepared single-row INSERT per row through sqlx.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::sqlx::{self, Column, ConnectOptions, Connection, Executor, Row, TypeInfo, ValueRef};
use sea_orm::{EntityTrait, PaginatorTrait};
use seedbed::DOMAINS;
use seedbed_core::Target;

struct Run {
    wall: Duration,
    max_rss_kib: i64,
}

/// The hidden first argument that turns the bench into the launcher of one measured run.
const MEASURE: &str = "__measure";

/// Runs `seedbed` with `args` and waits for it, taking its wall time and peak RSS.
///
/// The run goes through a fresh launcher process (this binary again, see [`measure`]):
/// Linux counts the peak RSS of the process image an `exec` replaces into the child's
/// `ru_maxrss`, so a child spawned straight from the bench, after the bench itself has
/// held hundreds of MiB of export files, would report the bench's peak instead of its own.
fn seedbed(binary: &Path, url: &str, prefix: &str, args: &[&str]) -> anyhow::Result<Run> {
    let out = Command::new(std::env::current_exe()?)
        .arg(MEASURE)
        .arg(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .env("SEEDBED_PREFIX", prefix)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    if !out.status.success() {
        bail!("seedbed {args:?} failed ({})", out.status);
    }
    let report = String::from_utf8_lossy(&out.stdout);
    let mut fields = report.split_whitespace().map(str::parse::<u64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(wall_us)), Some(Ok(rss))) => {
            Ok(Run { wall: Duration::from_micros(wall_us), max_rss_kib: rss as i64 })
        }
        _ => bail!("the launcher of seedbed {args:?} printed {report:?}, not `<wall µs> <peak KiB>`"),
    }
}

/// The launcher: runs `argv[0]` with the rest as arguments, and prints its wall time in
/// microseconds and its peak RSS in KiB, as the kernel reports them on `wait4`.
fn measure(argv: &[String]) -> anyhow::Result<()> {
    let Some((binary, args)) = argv.split_first() else { bail!("{MEASURE} needs a binary to run") };
    let started = Instant::now();
    let child = Command::new(binary)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("running {binary}"))?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and the pid is our own live child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if pid < 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{binary} {args:?} failed (status {status})");
    }
    println!("{} {}", wall.as_micros(), usage.ru_maxrss);
    Ok(())
}

async fn total_rows(target: &Target) -> anyhow::Result<u64> {
    let mut total = 0;
    for d in DOMAINS {
        let db = target.connect(d.name).await?;
        total += seedbed_seeds::row_counts(&db, d.seeder).await?.iter().map(|(_, n)| n).sum::<u64>();
    }
    Ok(total)
}

/// Tables of every domain, parents first: the order a bulk load must follow.
fn tables() -> Vec<(&'static str, &'static str)> {
    DOMAINS.iter().flat_map(|d| d.seeder.tables().into_iter().map(move |t| (d.name, t.name()))).collect()
}

async fn bulk_postgres(url: &str, src: &str, dst: &str, dir: &Path) -> anyhow::Result<Duration> {
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let mut conn = opts.connect().await?;
    let mut files = Vec::new();
    for (domain, table) in tables() {
        let file = dir.join(format!("{domain}.{table}.csv"));
        let mut out = conn
            .copy_out_raw(&format!("COPY \"{src}{domain}\".\"{table}\" TO STDOUT WITH (FORMAT csv)"))
            .await?;
        let mut bytes = Vec::new();
        use futures_util::StreamExt;
        while let Some(chunk) = out.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        std::fs::write(&file, bytes)?;
        files.push((domain, table, file));
    }
    let started = Instant::now();
    conn.execute("BEGIN").await?;
    for (domain, table, file) in &files {
        let mut copy = conn
            .copy_in_raw(&format!("COPY \"{dst}{domain}\".\"{table}\" FROM STDIN WITH (FORMAT csv)"))
            .await?;
        copy.send(std::fs::read(file)?).await?;
        copy.finish().await?;
    }
    conn.execute("COMMIT").await?;
    Ok(started.elapsed())
}

async fn bulk_mysql(url: &str, src: &str, dst: &str, dir: &Path) -> anyhow::Result<Duration> {
    let opts = sqlx::mysql::MySqlConnectOptions::from_str(url)?;
    let mut conn = opts.connect().await?;
    let mut files = Vec::new();
    for (domain, table) in tables() {
        let file = dir.join(format!("{domain}.{table}.tsv"));
        conn.execute(sqlx::AssertSqlSafe(format!(
            "SELECT * INTO OUTFILE '{}' FROM `{src}{domain}`.`{table}`",
            file.display()
        )))
        .await?;
        files.push((domain, table, file));
    }
    let started = Instant::now();
    conn.execute("BEGIN").await?;
    for (domain, table, file) in &files {
        conn.execute(sqlx::AssertSqlSafe(format!(
            "LOAD DATA INFILE '{}' INTO TABLE `{dst}{domain}`.`{table}`",
            file.display()
        )))
        .await?;
    }
    conn.execute("COMMIT").await?;
    Ok(started.elapsed())
}

/// SQLite's own fastest path: the engine copies the rows itself from the attached source.
async fn bulk_sqlite_copy(src: &Target, dst: &Target) -> anyhow::Result<Duration> {
    let mut elapsed = Duration::ZERO;
    for d in DOMAINS {
        let mut to = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dst.sqlite_path(d.name).unwrap())
            .foreign_keys(true)
            .connect()
            .await?;
        let source = src.sqlite_path(d.name).unwrap();
        to.execute(sqlx::AssertSqlSafe(format!("ATTACH DATABASE '{}' AS src", source.display()))).await?;
        let started = Instant::now();
        let mut txn = to.begin().await?;
        for t in d.seeder.tables() {
            txn.execute(sqlx::AssertSqlSafe(format!(
                "INSERT INTO main.\"{0}\" SELECT * FROM src.\"{0}\"",
                t.name()
            )))
            .await?;
        }
        txn.commit().await?;
        elapsed += started.elapsed();
    }
    Ok(elapsed)
}

/// One prepared single-row INSERT per row, in one transaction, through sqlx: what a client
/// loop reaches. Too slow for the large profile, so measured on dev only.
async fn bulk_sqlite(src: &Target, dst: &Target) -> anyhow::Result<Duration> {
    let mut elapsed = Duration::ZERO;
    for d in DOMAINS {
        let open =
            |path: PathBuf| sqlx::sqlite::SqliteConnectOptions::new().filename(path).foreign_keys(true);
        let mut from = open(src.sqlite_path(d.name).unwrap()).connect().await?;
        let mut to = open(dst.sqlite_path(d.name).unwrap()).connect().await?;
        let mut rows_by_table = Vec::new();
        for t in d.seeder.tables() {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{}\"", t.name())))
                .fetch_all(&mut from)
                .await?;
            rows_by_table.push((t.name(), rows));
        }
        let started = Instant::now();
        let mut txn = to.begin().await?;
        for (table, rows) in &rows_by_table {
            let Some(first) = rows.first() else { continue };
            let columns: Vec<String> = first.columns().iter().map(|c| format!("\"{}\"", c.name())).collect();
            let marks = vec!["?"; columns.len()].join(", ");
            let sql = format!("INSERT INTO \"{table}\" ({}) VALUES ({marks})", columns.join(", "));
            for row in rows {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for i in 0..columns.len() {
                    let raw = row.try_get_raw(i)?;
                    q = if raw.is_null() {
                        q.bind(None::<i64>)
                    } else {
                        match raw.type_info().name() {
                            "INTEGER" => q.bind(row.try_get::<i64, _>(i)?),
                            "REAL" => q.bind(row.try_get::<f64, _>(i)?),
                            "BLOB" => q.bind(row.try_get::<Vec<u8>, _>(i)?),
                            _ => q.bind(row.try_get::<String, _>(i)?),
                        }
                    };
                }
                q.execute(&mut *txn).await?;
            }
        }
        txn.commit().await?;
        elapsed += started.elapsed();
    }
    Ok(elapsed)
}

fn mib(kib: i64) -> f64 {
    kib as f64 / 1024.0
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Fixture acquisition against migrating and seeding the same from scratch.
async fn fixtures(backends: &[String]) -> anyhow::Result<()> {
    use seedbed_fixtures::{Domain, Fixture, Profile};
    println!(
        "| backend | domains | profile | from scratch (median of 3) | acquire, back to back (median of 20) | speed-up | acquire, paced (median of 10) | speed-up | rollback mode, back to back (median of 20) | speed-up |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let dir = std::env::temp_dir().join(format!("seedbed-bench-fixtures-{}", std::process::id()));
    for backend in backends {
        let url = bench_url(backend, &dir)?;
        for (label, domains) in
            [("draw", vec![Domain::Draw]), ("all three", vec![Domain::Raffle, Domain::Draw, Domain::Booking])]
        {
            for profile in [Profile::Tiny, Profile::Dev] {
                let opts = seedbed_seeds::SeedOptions { profile, ..Default::default() };
                let hash = seedbed_seeds::accounts::dev_password_hash();
                let mut scratch = Vec::new();
                for run in 0..3 {
                    let target = Target::parse(&url)?.with_prefix(&format!("bench_scratch_{run}_"))?;
                    let started = Instant::now();
                    for d in &domains {
                        let domain = seedbed::domains::find(d.name()).unwrap();
                        let db = target.connect(d.name()).await?;
                        (domain.migrator)().up(&db, None).await?;
                        seedbed_seeds::seed(&db, domain.seeder, opts, false, &seedbed_seeds::Quiet, &hash)
                            .await?;
                    }
                    scratch.push(started.elapsed());
                    for d in &domains {
                        target.drop_namespace(d.name()).await?;
                    }
                }
                let fixture = || {
                    let mut f = Fixture::new(domains[0]).profile(profile).url(&url);
                    for d in &domains[1..] {
                        f = f.and(*d);
                    }
                    f
                };
                drop(fixture().acquire().await?); // builds the template if this is its first use
                let mut acquire = Vec::new();
                for _ in 0..20 {
                    let started = Instant::now();
                    let db = fixture().acquire().await?;
                    acquire.push(started.elapsed());
                    drop(db);
                }
                // Paced: as in a suite whose tests take longer than a background copy, so
                // that a spare is ready when the next test asks.
                let pause = if profile == Profile::Dev {
                    Duration::from_millis(2500)
                } else {
                    Duration::from_millis(500)
                };
                let mut paced = Vec::new();
                for _ in 0..10 {
                    tokio::time::sleep(pause).await;
                    let started = Instant::now();
                    let db = fixture().acquire().await?;
                    paced.push(started.elapsed());
                    drop(db);
                }
                // Rollback mode: a transaction on a shared copy, made by the first acquisition
                // and reused by every later one.
                drop(fixture().transactional().await?);
                let mut rollback = Vec::new();
                for _ in 0..20 {
                    let started = Instant::now();
                    let db = fixture().transactional().await?;
                    rollback.push(started.elapsed());
                    drop(db);
                }
                let (s, a, p, r) = (median(scratch), median(acquire), median(paced), median(rollback));
                println!(
                    "| {backend} | {label} | {} | {:.1} ms | {:.1} ms | {:.0}× | {:.1} ms | {:.0}× | {:.2} ms | {:.0}× |",
                    profile.name(),
                    s.as_secs_f64() * 1000.0,
                    a.as_secs_f64() * 1000.0,
                    s.as_secs_f64() / a.as_secs_f64(),
                    p.as_secs_f64() * 1000.0,
                    s.as_secs_f64() / p.as_secs_f64(),
                    r.as_secs_f64() * 1000.0,
                    s.as_secs_f64() / r.as_secs_f64()
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// Measures the seeder against each engine's own bulk load (default), or fixture acquisition
/// against seeding from scratch (`--fixtures`). Reproducible commands: docs/performance.md.
#[derive(clap::Parser)]
#[command(name = "seedbed-bench")]
struct Cli {
    /// Profiles to seed, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "dev,large", value_parser = ["tiny", "dev", "large"])]
    profiles: Vec<String>,
    /// Backends to measure, comma separated; PostgreSQL and MariaDB on throwaway servers (see `bench_url`).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres,mysql", value_parser = ["sqlite", "postgres", "mysql"])]
    backends: Vec<String>,
    /// Measure fixture acquisition instead of the seeder.
    #[arg(long)]
    fixtures: bool,
    /// Measure the draw domain's version 1.3.0 backfill instead: seed the draw domain, revert
    /// the migration, and time `migrate up` putting it back.
    #[arg(long, conflicts_with = "fixtures")]
    backfill: bool,
}

/// Where a backend is benchmarked: SQLite files under `sqlite_dir`; for the servers, the
/// test suite's URL table: throwaway servers started for this run (durability off), or the
/// servers `SEEDBED_TEST_POSTGRES_URL` / `SEEDBED_TEST_MYSQL_URL` name.
fn bench_url(backend: &str, sqlite_dir: &Path) -> anyhow::Result<String> {
    Ok(match backend {
        "sqlite" => format!("sqlite://{}", sqlite_dir.display()),
        "postgres" => seedbed_testserver::postgres_url()?,
        _ => seedbed_testserver::mysql_url()?,
    })
}

/// Version 1.3.0 on a draw domain seeded before it: how long its `up` (categories, a nullable
/// column, the batched backfill, NOT NULL, key and index) takes.
async fn backfill(
    binary: &Path,
    work: &Path,
    backends: &[String],
    profiles: &[String],
) -> anyhow::Result<()> {
    println!("| backend | profile | draws | migrate up of draw_categories (s) |");
    println!("| --- | --- | ---: | ---: |");
    for backend in backends {
        let url = bench_url(backend, &work.join("sqlite"))?;
        for profile in profiles {
            let prefix = "bench_backfill_";
            seedbed(binary, &url, prefix, &["migrate", "fresh", "--domain", "draw"])?;
            seedbed(binary, &url, prefix, &["seed", "--domain", "draw", "--profile", profile])?;
            seedbed(binary, &url, prefix, &["migrate", "down", "--domain", "draw"])?;
            let run = seedbed(binary, &url, prefix, &["migrate", "up", "--domain", "draw"])?;
            let target = Target::parse(&url)?.with_prefix(prefix)?;
            let db = target.connect("draw").await?;
            let draws = seedbed_draw::draws::Entity::find().count(&db).await?;
            println!("| {backend} | {profile} | {draws} | {:.2} |", run.wall.as_secs_f64());
            target.drop_namespace("draw").await?;
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some(MEASURE) {
        return measure(&argv[2..]);
    }
    let Cli { profiles, backends, fixtures: fixture_mode, backfill: backfill_mode } = clap::Parser::parse();
    if fixture_mode {
        return fixtures(&backends).await;
    }
    let binary = std::env::current_exe()?.with_file_name("seedbed");
    if !binary.exists() {
        bail!(
            "{} is missing: build it first with `cargo build --release -p seedbed -p seedbed-bench`",
            binary.display()
        );
    }
    let work = std::env::temp_dir().join(format!("seedbed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    #[cfg(unix)]
    std::fs::set_permissions(&work, std::os::unix::fs::PermissionsExt::from_mode(0o777))?;
    if backfill_mode {
        let result = backfill(&binary, &work, &backends, &profiles).await;
        std::fs::remove_dir_all(&work).ok();
        return result;
    }

    println!(
        "| backend | profile | rows | seeder s | seeder rows/s | peak RSS MiB | engine bulk load | bulk s | bulk rows/s | ratio |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
    for backend in &backends {
        let url = bench_url(backend, &work.join("sqlite"))?;
        let method = match backend.as_str() {
            "sqlite" => "INSERT … SELECT from the attached copy, one transaction",
            "postgres" => "COPY FROM STDIN (CSV files)",
            _ => "LOAD DATA INFILE (server-side files)",
        };
        for profile in &profiles {
            let (src, dst) = ("bench_src_", "bench_dst_");
            let src_target = Target::parse(&url)?.with_prefix(src)?;
            let dst_target = Target::parse(&url)?.with_prefix(dst)?;
            seedbed(&binary, &url, src, &["migrate", "fresh"])?;
            let run = seedbed(&binary, &url, src, &["seed", "--profile", profile])?;
            let rows = total_rows(&src_target).await?;
            seedbed(&binary, &url, dst, &["migrate", "fresh"])?;
            let dir = work.join(format!("{backend}-{profile}"));
            std::fs::create_dir_all(&dir)?;
            #[cfg(unix)]
            std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))?;
            let mut loads = match backend.as_str() {
                "postgres" => vec![(method, bulk_postgres(&url, src, dst, &dir).await?)],
                "mysql" => vec![(method, bulk_mysql(&url, src, dst, &dir).await?)],
                _ => vec![(method, bulk_sqlite_copy(&src_target, &dst_target).await?)],
            };
            if backend == "sqlite" && profile != "large" {
                let again = Target::parse(&url)?.with_prefix("bench_row_")?;
                seedbed(&binary, &url, "bench_row_", &["migrate", "fresh"])?;
                loads.push((
                    "prepared INSERT per row (sqlx), one transaction",
                    bulk_sqlite(&src_target, &again).await?,
                ));
                anyhow::ensure!(total_rows(&again).await? == rows, "the row-by-row load lost rows");
                for d in DOMAINS {
                    again.drop_namespace(d.name).await?;
                }
            }
            let loaded = total_rows(&dst_target).await?;
            anyhow::ensure!(loaded == rows, "the bulk load wrote {loaded} rows, the seeder {rows}");
            let seeder_rate = rows as f64 / run.wall.as_secs_f64();
            for (method, bulk) in loads {
                let bulk_rate = rows as f64 / bulk.as_secs_f64();
                println!(
                    "| {backend} | {profile} | {rows} | {:.2} | {:.0} | {:.0} | {method} | {:.2} | {:.0} | {:.2} |",
                    run.wall.as_secs_f64(),
                    seeder_rate,
                    mib(run.max_rss_kib),
                    bulk.as_secs_f64(),
                    bulk_rate,
                    seeder_rate / bulk_rate
                );
            }
            for d in DOMAINS {
                src_target.drop_namespace(d.name).await?;
                dst_target.drop_namespace(d.name).await?;
            }
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    let sqlite = format!("sqlite://{}", work.join("bootstrap").display());
    let boot = seedbed(&binary, &sqlite, "", &["bootstrap", "--profile", "dev"])?;
    println!();
    println!(
        "bootstrap --profile dev on SQLite: {:.2} s wall, {:.0} MiB peak RSS",
        boot.wall.as_secs_f64(),
        mib(boot.max_rss_kib)
    );
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}
