//! `seedbed-bench`: the seeder's speed against the strongest bulk load each engine ships,
//! bootstrap time and peak memory, measured side by side in one run. See docs/performance.md.
//!
//! For each backend and profile it seeds every domain with the release `seedbed` binary (as
//! a child process, whose wall time and peak RSS are taken from the kernel), times the
//! statistics step the seeder ends with, then loads the same rows again by the engine's own
//! tools: PostgreSQL `pg_restore` of a `pg_dump -Fc` archive (data only into the migrated
//! schema, and by sections with keys and indexes built after the load), MariaDB server-side
//! `LOAD DATA INFILE` (into the migrated schema, and into tables without secondary indexes
//! that `ALTER TABLE … ADD` rebuilds), SQLite `INSERT … SELECT` from the attached seeded file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::sqlx::{self, ConnectOptions, Connection, Executor, Row};
use sea_orm::{EntityTrait, PaginatorTrait};
use seedbed_core::Target;
use seedbed_registry::DOMAINS;

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
        // A run of one domain (`--domain`) leaves the others uncreated.
        if !target.namespace_exists(d.name).await? {
            continue;
        }
        let db = target.connect(d.name).await?;
        total += seedbed_seeds::row_counts(&db, d.seeder).await?.iter().map(|(_, n)| n).sum::<u64>();
    }
    Ok(total)
}

/// Tables of every domain, parents first: the order a bulk load must follow.
fn tables() -> Vec<(&'static str, &'static str)> {
    DOMAINS.iter().flat_map(|d| d.seeder.tables().into_iter().map(move |t| (d.name, t.name()))).collect()
}

/// The time the seeder's statistics step (`seedbed_seeds::stats::analyze`, which `seed` runs
/// after each domain's commit) takes on the seeded domains: run again here, on the same rows,
/// to show its share of the seeder's time.
async fn statistics(target: &Target) -> anyhow::Result<Duration> {
    let mut took = Duration::ZERO;
    for d in DOMAINS {
        let db = target.connect(d.name).await?;
        let started = Instant::now();
        seedbed_seeds::stats::analyze(&db, d.seeder).await?;
        took += started.elapsed();
    }
    Ok(took)
}

/// Runs one of PostgreSQL's client tools (from the same installation as the throwaway
/// server, so that `pg_dump` is never older than the server) and waits for it.
fn pg_tool(tool: &str, url: &str, args: &[String]) -> anyhow::Result<Duration> {
    let path = seedbed_testserver::postgres_tool(tool);
    let started = Instant::now();
    // libpq reads the URL itself, password and all, as seedbed's own backup does not need to.
    let out = Command::new(&path)
        .args(args)
        .arg(format!("--dbname={url}"))
        .output()
        .with_context(|| format!("running {}", path.display()))?;
    let took = started.elapsed();
    if !out.status.success() {
        bail!("{tool} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(took)
}

/// PostgreSQL's strongest loads of the seeded rows, both from `pg_dump -Fc` archives of the
/// seeded schemas (`src`, already seeded), each into the same schema names:
/// - `pg_restore --data-only --single-transaction` into freshly migrated, empty schemas
///   (every key, index and foreign-key trigger in place, as the seeder finds them);
/// - the best path: the whole archive in its sections, pre-data (tables without keys or
///   indexes), data, post-data (keys and indexes built over the loaded rows), in one
///   transaction into schemas that do not exist yet.
async fn postgres_loads(
    binary: &Path,
    url: &str,
    src: &Target,
    dir: &Path,
    rows: u64,
) -> anyhow::Result<Vec<(&'static str, Duration)>> {
    let data = dir.join("data.dump");
    let full = dir.join("full.dump");
    let mut args: Vec<String> =
        ["-Fc", "--data-only", "--no-owner", "--no-privileges", "-f"].map(String::from).to_vec();
    args.push(data.display().to_string());
    for (domain, table) in tables() {
        args.push(format!("--table=\"{}\".\"{table}\"", src.namespace(domain)));
    }
    pg_tool("pg_dump", url, &args)?;
    let mut args: Vec<String> = ["-Fc", "--no-owner", "--no-privileges", "-f"].map(String::from).to_vec();
    args.push(full.display().to_string());
    for d in DOMAINS {
        args.push(format!("--schema=\"{}\"", src.namespace(d.name)));
    }
    pg_tool("pg_dump", url, &args)?;

    seedbed(binary, url, src.prefix(), &["migrate", "fresh"])?;
    let restore = ["--data-only", "--single-transaction", "--exit-on-error"].map(String::from).to_vec();
    let data_only = pg_tool("pg_restore", url, &[restore, vec![data.display().to_string()]].concat())?;
    let loaded = total_rows(src).await?;
    anyhow::ensure!(loaded == rows, "pg_restore --data-only wrote {loaded} rows, the seeder {rows}");

    for d in DOMAINS {
        src.drop_namespace(d.name).await?;
    }
    let sections = [
        "--section=pre-data",
        "--section=data",
        "--section=post-data",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
    ]
    .map(String::from)
    .to_vec();
    let best = pg_tool("pg_restore", url, &[sections, vec![full.display().to_string()]].concat())?;
    let loaded = total_rows(src).await?;
    anyhow::ensure!(loaded == rows, "pg_restore by sections wrote {loaded} rows, the seeder {rows}");
    Ok(vec![
        ("pg_restore --data-only --single-transaction into the migrated schema", data_only),
        ("pg_restore pre-data, data, post-data (keys and indexes after the load), one transaction", best),
    ])
}

/// One of a MariaDB table's secondary indexes or foreign keys, as `SHOW CREATE TABLE`
/// spells it: what `ALTER TABLE … ADD` takes back verbatim.
struct Secondary {
    name: String,
    definition: String,
    foreign: bool,
}

/// The secondary indexes (unique ones included) and foreign keys of `ns`.`table`.
async fn secondaries(
    conn: &mut sqlx::MySqlConnection,
    ns: &str,
    table: &str,
) -> anyhow::Result<Vec<Secondary>> {
    let row = conn.fetch_one(sqlx::AssertSqlSafe(format!("SHOW CREATE TABLE `{ns}`.`{table}`"))).await?;
    let ddl: String = row.try_get(1)?;
    let mut out = Vec::new();
    for line in ddl.lines() {
        let line = line.trim().trim_end_matches(',');
        let index =
            ["KEY ", "UNIQUE KEY ", "FULLTEXT KEY ", "SPATIAL KEY "].iter().any(|k| line.starts_with(k));
        let foreign = line.starts_with("CONSTRAINT ") && line.contains(" FOREIGN KEY ");
        if !(index || foreign) {
            continue;
        }
        let name = line.split('`').nth(1).context("an index without a name")?.to_owned();
        out.push(Secondary { name, definition: line.to_owned(), foreign });
    }
    Ok(out)
}

/// `LOAD DATA INFILE` of every table's file into the `dst` databases, in one session with
/// foreign-key and unique checks off (as a `mariadb-dump` file loads) and one transaction.
async fn load_data(
    conn: &mut sqlx::MySqlConnection,
    dst: &str,
    files: &[(&str, &str, PathBuf)],
) -> anyhow::Result<()> {
    conn.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0").await?;
    conn.execute("BEGIN").await?;
    for (domain, table, file) in files {
        conn.execute(sqlx::AssertSqlSafe(format!(
            "LOAD DATA INFILE '{}' INTO TABLE `{dst}{domain}`.`{table}`",
            file.display()
        )))
        .await?;
    }
    conn.execute("COMMIT").await?;
    Ok(())
}

/// MariaDB's strongest loads of the seeded rows (`src`), from the files `SELECT … INTO
/// OUTFILE` wrote, which the server reads itself:
/// - `LOAD DATA INFILE` into freshly migrated databases, every index in place, in one
///   session with `foreign_key_checks=0` (as a dump loads);
/// - the best path: the same into tables stripped of their secondary indexes and foreign
///   keys, then `ALTER TABLE … ADD` builds them back (InnoDB sorts and builds an index in one
///   pass). The schema is checked to be whole again afterwards.
async fn mysql_loads(
    binary: &Path,
    url: &str,
    src: &str,
    dir: &Path,
    rows: u64,
) -> anyhow::Result<Vec<(&'static str, Duration)>> {
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

    let dst = "bench_dst_";
    let dst_target = Target::parse(url)?.with_prefix(dst)?;
    seedbed(binary, url, dst, &["migrate", "fresh"])?;
    let started = Instant::now();
    load_data(&mut conn, dst, &files).await?;
    let plain = started.elapsed();
    let loaded = total_rows(&dst_target).await?;
    anyhow::ensure!(loaded == rows, "LOAD DATA wrote {loaded} rows, the seeder {rows}");
    for d in DOMAINS {
        dst_target.drop_namespace(d.name).await?;
    }

    let best = "bench_best_";
    let best_target = Target::parse(url)?.with_prefix(best)?;
    seedbed(binary, url, best, &["migrate", "fresh"])?;
    // Untimed: strip the migrated tables of their foreign keys, then of their secondary
    // indexes (a foreign key needs its index while it exists).
    let mut stripped = Vec::new();
    for (domain, table) in tables() {
        let ns = best_target.namespace(domain);
        let before = secondaries(&mut conn, &ns, table).await?;
        for foreign in [true, false] {
            let drops: Vec<String> = before
                .iter()
                .filter(|s| s.foreign == foreign)
                .map(|s| match foreign {
                    true => format!("DROP FOREIGN KEY `{}`", s.name),
                    false => format!("DROP INDEX `{}`", s.name),
                })
                .collect();
            if !drops.is_empty() {
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "ALTER TABLE `{ns}`.`{table}` {}",
                    drops.join(", ")
                )))
                .await?;
            }
        }
        stripped.push((ns, table, before));
    }
    let started = Instant::now();
    load_data(&mut conn, best, &files).await?;
    // Indexes first, then the foreign keys that use them; `USE` so that a foreign key's
    // unqualified REFERENCES names the table's own database.
    for foreign in [false, true] {
        for (ns, table, secondary) in &stripped {
            let adds: Vec<String> = secondary
                .iter()
                .filter(|s| s.foreign == foreign)
                .map(|s| format!("ADD {}", s.definition))
                .collect();
            if !adds.is_empty() {
                conn.execute(sqlx::AssertSqlSafe(format!("USE `{ns}`"))).await?;
                conn.execute(sqlx::AssertSqlSafe(format!("ALTER TABLE `{table}` {}", adds.join(", "))))
                    .await?;
            }
        }
    }
    let rebuilt = started.elapsed();
    let loaded = total_rows(&best_target).await?;
    anyhow::ensure!(loaded == rows, "LOAD DATA without indexes wrote {loaded} rows, the seeder {rows}");
    for (ns, table, before) in &stripped {
        let mut want: Vec<&str> = before.iter().map(|s| s.definition.as_str()).collect();
        let after = secondaries(&mut conn, ns, table).await?;
        let mut got: Vec<&str> = after.iter().map(|s| s.definition.as_str()).collect();
        want.sort();
        got.sort();
        anyhow::ensure!(want == got, "{ns}.{table}: rebuilt {got:?}, migrated {want:?}");
    }
    for d in DOMAINS {
        best_target.drop_namespace(d.name).await?;
    }
    Ok(vec![
        ("LOAD DATA INFILE into the migrated schema, foreign_key_checks=0, one transaction", plain),
        ("LOAD DATA INFILE without secondary indexes, then ALTER TABLE … ADD INDEX / FOREIGN KEY", rebuilt),
    ])
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
        for (label, domains) in [("draw", vec![Domain::Draw]), ("every domain", DOMAINS.to_vec())] {
            for profile in [Profile::Tiny, Profile::Dev] {
                let opts = seedbed_seeds::SeedOptions { profile, ..Default::default() };
                let hash = seedbed_seeds::accounts::dev_password_hash();
                let mut scratch = Vec::new();
                for run in 0..3 {
                    let target = Target::parse(&url)?.with_prefix(&format!("bench_scratch_{run}_"))?;
                    let started = Instant::now();
                    for d in &domains {
                        let db = target.connect(d.name()).await?;
                        (d.migrator)().up(&db, None).await?;
                        seedbed_seeds::seed(&db, d.seeder, opts, false, &seedbed_seeds::Quiet, &hash).await?;
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
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres,mysql", value_parser = ["sqlite", "postgres", "mysql", "galera"])]
    backends: Vec<String>,
    /// Measure fixture acquisition instead of the seeder.
    #[arg(long)]
    fixtures: bool,
    /// Measure the draw domain's version 1.3.0 backfill instead: seed the draw domain, revert
    /// the migration, and time `migrate up` putting it back.
    #[arg(long, conflicts_with = "fixtures")]
    backfill: bool,
    /// Measure sharded seeding instead: `seed --workers N` for each N given (e.g. 1,2,4), each
    /// into fresh namespaces, at every profile times `--scale`; backends may include `galera`
    /// (the test harness's three-node cluster, or `SEEDBED_TEST_GALERA_URLS`), seeded through
    /// its first node.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["fixtures", "backfill"])]
    workers: Vec<u32>,
    /// With --workers: multiply the profile's row counts (whole `dev` units make the cells
    /// the workers share: `dev` at scale 4 is four cells).
    #[arg(long, default_value_t = 4.0, requires = "workers")]
    scale: f64,
    /// With --workers: seed only this domain (all of them by default, at once).
    #[arg(long, requires = "workers")]
    domain: Option<String>,
}

/// Where a backend is benchmarked: SQLite files under `sqlite_dir`; for the servers, the
/// test suite's URL table: throwaway servers started for this run (durability off), or the
/// servers `SEEDBED_TEST_POSTGRES_URL` / `SEEDBED_TEST_MYSQL_URL` name.
fn bench_url(backend: &str, sqlite_dir: &Path) -> anyhow::Result<String> {
    Ok(match backend {
        "sqlite" => format!("sqlite://{}", sqlite_dir.display()),
        "postgres" => seedbed_testserver::postgres_url()?,
        "galera" => seedbed_testserver::galera_urls()?.swap_remove(0),
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
            // 1.3.0 and the two versions applied after it (1.2.0, 1.4.0); then 1.3.0 alone.
            seedbed(binary, &url, prefix, &["migrate", "down", "-n", "3", "--domain", "draw"])?;
            let run = seedbed(binary, &url, prefix, &["migrate", "up", "-n", "1", "--domain", "draw"])?;
            let target = Target::parse(&url)?.with_prefix(prefix)?;
            let db = target.connect("draw").await?;
            let draws = seedbed_draw::draws::Entity::find().count(&db).await?;
            println!("| {backend} | {profile} | {draws} | {:.2} |", run.wall.as_secs_f64());
            target.drop_namespace("draw").await?;
        }
    }
    Ok(())
}

/// `seed --workers N` for each of `workers`, side by side in one run: rows/s, and the
/// speed-up over the first entry (one worker, when the list starts with 1). A worker count
/// of 1 is the plain seeding (one transaction, with its bulk tricks); `--shard 1/1` is also
/// run, as the sharded path with one worker (no table altered for the load).
async fn sharded(
    binary: &Path,
    work: &Path,
    backends: &[String],
    profiles: &[String],
    scale: f64,
    workers: &[u32],
    domain: Option<&str>,
) -> anyhow::Result<()> {
    println!(
        "| backend | profile | scale | workers | rows | s | rows/s | peak RSS MiB | vs {} worker(s) |",
        workers[0]
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let scale_arg = scale.to_string();
    let scope: Vec<&str> = domain.map(|d| vec!["--domain", d]).unwrap_or_default();
    let mut runs: Vec<(String, Vec<String>)> =
        workers.iter().map(|n| (n.to_string(), vec!["--workers".to_owned(), n.to_string()])).collect();
    runs.push(("1 (`--shard 1/1`)".to_owned(), vec!["--shard".to_owned(), "1/1".to_owned()]));
    for backend in backends {
        let url = bench_url(backend, &work.join("sqlite"))?;
        for profile in profiles {
            let mut first = None;
            for (i, (n, how)) in runs.iter().enumerate() {
                let prefix = format!("bench_w{i}_");
                let target = Target::parse(&url)?.with_prefix(&prefix)?;
                seedbed(binary, &url, &prefix, &[&["migrate", "fresh"], &scope[..]].concat())?;
                let how: Vec<&str> = how.iter().map(String::as_str).collect();
                let args =
                    [&["seed", "--profile", profile.as_str(), "--scale", &scale_arg], &scope[..], &how[..]]
                        .concat();
                let run = seedbed(binary, &url, &prefix, &args)?;
                let rows = total_rows(&target).await?;
                let rate = rows as f64 / run.wall.as_secs_f64();
                let base = *first.get_or_insert(rate);
                println!(
                    "| {backend} | {profile} | {scale} | {n} | {rows} | {:.2} | {rate:.0} | {:.0} | {:.2} |",
                    run.wall.as_secs_f64(),
                    mib(run.max_rss_kib),
                    rate / base
                );
                for d in DOMAINS {
                    if target.namespace_exists(d.name).await? {
                        target.drop_namespace(d.name).await?;
                    }
                }
            }
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
    let Cli { profiles, backends, fixtures: fixture_mode, backfill: backfill_mode, workers, scale, domain } =
        clap::Parser::parse();
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
    if !workers.is_empty() {
        let result = sharded(&binary, &work, &backends, &profiles, scale, &workers, domain.as_deref()).await;
        std::fs::remove_dir_all(&work).ok();
        return result;
    }

    println!(
        "| backend | profile | rows | seeder s | seeder rows/s | peak RSS MiB | of which statistics s | baseline | baseline s | baseline rows/s | ratio |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
    for backend in &backends {
        let url = bench_url(backend, &work.join("sqlite"))?;
        for profile in &profiles {
            let (src, dst) = ("bench_src_", "bench_dst_");
            let src_target = Target::parse(&url)?.with_prefix(src)?;
            seedbed(&binary, &url, src, &["migrate", "fresh"])?;
            let run = seedbed(&binary, &url, src, &["seed", "--profile", profile])?;
            let rows = total_rows(&src_target).await?;
            let stats = statistics(&src_target).await?;
            let dir = work.join(format!("{backend}-{profile}"));
            std::fs::create_dir_all(&dir)?;
            #[cfg(unix)]
            std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))?;
            let loads = match backend.as_str() {
                "postgres" => postgres_loads(&binary, &url, &src_target, &dir, rows).await?,
                "mysql" => mysql_loads(&binary, &url, src, &dir, rows).await?,
                _ => {
                    let dst_target = Target::parse(&url)?.with_prefix(dst)?;
                    seedbed(&binary, &url, dst, &["migrate", "fresh"])?;
                    let took = bulk_sqlite_copy(&src_target, &dst_target).await?;
                    let loaded = total_rows(&dst_target).await?;
                    anyhow::ensure!(loaded == rows, "INSERT … SELECT wrote {loaded} rows, the seeder {rows}");
                    for d in DOMAINS {
                        dst_target.drop_namespace(d.name).await?;
                    }
                    vec![("INSERT … SELECT from the attached seeded file, one transaction", took)]
                }
            };
            let seeder_rate = rows as f64 / run.wall.as_secs_f64();
            for (method, took) in loads {
                let rate = rows as f64 / took.as_secs_f64();
                println!(
                    "| {backend} | {profile} | {rows} | {:.2} | {:.0} | {:.0} | {:.2} | {method} | {:.2} | {:.0} | {:.2} |",
                    run.wall.as_secs_f64(),
                    seeder_rate,
                    mib(run.max_rss_kib),
                    stats.as_secs_f64(),
                    took.as_secs_f64(),
                    rate,
                    seeder_rate / rate
                );
            }
            for d in DOMAINS {
                src_target.drop_namespace(d.name).await?;
            }
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    // A new user's first command: each run into a directory of its own, median of five.
    let mut boots = Vec::new();
    for n in 0..5 {
        let sqlite = format!("sqlite://{}", work.join(format!("bootstrap-{n}")).display());
        boots.push(seedbed(&binary, &sqlite, "", &["bootstrap", "--profile", "dev"])?);
    }
    let walls: Vec<Duration> = boots.iter().map(|b| b.wall).collect();
    let peak = boots.iter().map(|b| b.max_rss_kib).max().unwrap_or(0);
    println!();
    println!(
        "bootstrap --profile dev on SQLite: median of 5 {:.2} s wall (runs: {}), {:.0} MiB peak RSS",
        median(walls.clone()).as_secs_f64(),
        walls.iter().map(|w| format!("{:.2}", w.as_secs_f64())).collect::<Vec<_>>().join(", "),
        mib(peak)
    );
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}
