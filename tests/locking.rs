//! The domain lock: `migrate`, `seed` and `bootstrap` runs started side by side queue instead
//! of interleaving, each holding it from its first read to its last write; each migration
//! applies exactly once; and a run that waits too long stops with one line that says why and
//! names the holder where the engine shows it, SQLite included.

use std::time::Duration;

use seedbed_core::introspect::Snapshot;
use seedbed_core::{Backend, DomainLock, LockError, LockKind, LockPolicy, Target};
use seedbed_migration::{HISTORY_TABLE, State};

use crate::util::{TestDb, assert_success, backend_tests, domains, show};

fn draw() -> &'static seedbed_registry::Domain {
    domains().iter().find(|d| d.name == "draw").expect("the draw domain")
}

/// Lines of `out`'s stdout that report an applied migration.
fn applied_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with("applied "))
        .map(str::to_owned)
        .collect()
}

/// Every migration of every domain applied once, and the schema the one-process way gives.
async fn assert_fully_migrated_once(t: &TestDb, outs: &[std::process::Output]) {
    let reference = TestDb::new(t.backend).await;
    for domain in domains() {
        let db = t.connect(domain.name).await;
        let status = (domain.migrator)().status(&db).await.unwrap();
        assert!(
            status.iter().all(|s| matches!(s.state, State::Applied { .. })),
            "{}: {status:?}",
            domain.name
        );
        let expected =
            Snapshot::read(&reference.migrated(domain).await).await.unwrap().without(HISTORY_TABLE);
        let actual = Snapshot::read(&db).await.unwrap().without(HISTORY_TABLE);
        let diff = expected.diff(&actual);
        assert!(
            diff.is_empty(),
            "{}: racing runs left another schema:\n  {}",
            domain.name,
            diff.join("\n  ")
        );
    }
    let everything = outs.iter().map(show).collect::<Vec<_>>().join("\n");
    for out in outs {
        assert!(out.status.success(), "a racing run failed\n{everything}");
    }
}

backend_tests!(four_processes_migrating_at_once_apply_each_migration_once);
async fn four_processes_migrating_at_once_apply_each_migration_once(backend: Backend) {
    let t = TestDb::new(backend).await;
    let up: &[&str] = &["migrate", "up"];
    let outs = t.seedbed_at_once(&[up, up, up, up]);
    assert_fully_migrated_once(&t, &outs).await;
    let applied: Vec<String> = outs.iter().flat_map(applied_lines).collect();
    let versions: usize = domains().iter().map(|d| (d.migrator)().versions().len()).sum();
    assert_eq!(
        applied.len(),
        versions,
        "each migration must be applied by exactly one process:\n{}",
        applied.join("\n")
    );
}

backend_tests!(fresh_racing_up_leaves_one_clean_history);
async fn fresh_racing_up_leaves_one_clean_history(backend: Backend) {
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up"]));
    let (fresh, up): (&[&str], &[&str]) = (&["migrate", "fresh"], &["migrate", "up"]);
    let outs = t.seedbed_at_once(&[fresh, up, fresh, up]);
    assert_fully_migrated_once(&t, &outs).await;
}

backend_tests!(a_run_that_waits_too_long_gives_up_with_one_line);
async fn a_run_that_waits_too_long_gives_up_with_one_line(backend: Backend) {
    let t = TestDb::new(backend).await;
    let domain = domains()[0].name;
    let held = t
        .target
        .lock_as(domain, Duration::ZERO, "seedbed test-holder on here pid 1", |_| {})
        .await
        .expect("the lock is free");
    // MariaDB shows only the holder's connection.
    let holder = match backend {
        Backend::MySql => "held by connection",
        _ => "seedbed test-holder on here pid 1",
    };

    for args in [
        vec!["migrate", "up", "--domain", domain, "--lock-timeout", "1"],
        vec!["migrate", "fresh", "--domain", domain, "--lock-timeout", "1"],
    ] {
        let out = t.seedbed(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{}", show(&out));
        assert_eq!(stderr.trim_end().lines().count(), 1, "{}", show(&out));
        assert!(
            stderr.contains("gave up after 1 s waiting for")
                && stderr.contains("--lock-timeout")
                && stderr.contains(holder),
            "{}",
            show(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("{domain}: waiting for")),
            "{}",
            show(&out)
        );
    }
    let db = t.connect(domain).await;
    let status = (domains()[0].migrator)().status(&db).await.unwrap();
    assert!(status.iter().all(|s| s.state == State::Pending), "a run went past the lock: {status:?}");

    held.release().await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", domain, "--lock-timeout", "1"]));
}

backend_tests!(three_bootstraps_at_once_all_succeed_with_one_digest);
async fn three_bootstraps_at_once_all_succeed_with_one_digest(backend: Backend) {
    let t = TestDb::new(backend).await;
    let run: &[&str] = &["bootstrap", "--profile", "tiny", "--domain", "draw"];
    let outs = t.seedbed_at_once(&[run, run, run]);
    let everything = outs.iter().map(show).collect::<Vec<_>>().join("\n");
    for out in &outs {
        assert!(out.status.success(), "a concurrent bootstrap failed\n{everything}");
    }
    let reference = TestDb::new(Backend::Sqlite).await;
    let opts = crate::seeding::options(seedbed_seeds::Profile::Tiny, seedbed_seeds::DEFAULT_SEED);
    let expected =
        seedbed_seeds::digest(&crate::seeding::seeded(&reference, draw(), opts).await, draw().seeder)
            .await
            .unwrap();
    let db = t.connect("draw").await;
    assert_eq!(
        seedbed_seeds::digest(&db, draw().seeder).await.unwrap(),
        expected,
        "three bootstraps left other data than one\n{everything}"
    );
    let failing = crate::seeding::failing_checks(&db, draw()).await;
    assert!(failing.is_empty(), "{}\n{everything}", failing.join("\n"));
}

backend_tests!(migrate_down_waits_for_a_seeding_to_its_last_read);
/// `seed` holds the lock through its counts: a `migrate down` started while it writes waits
/// (and names what it waits for), then both succeed.
async fn migrate_down_waits_for_a_seeding_to_its_last_read(backend: Backend) {
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let mut seed = t.command(&["seed", "--profile", "dev", "--domain", "draw"]);
    let seed =
        seed.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let observer = t.connect("draw").await;
    let started = std::time::Instant::now();
    while !crate::seeding::rows_being_written(&t, &observer).await {
        assert!(started.elapsed() < Duration::from_secs(120), "the seeding never started writing");
        tokio::time::sleep(crate::seeding::WRITE_POLL).await;
    }
    let down = t.seedbed(&["migrate", "down", "--domain", "draw"]);
    let seed = seed.wait_with_output().unwrap();
    let both = format!("seed:\n{}\nmigrate down:\n{}", show(&seed), show(&down));
    assert!(seed.status.success() && down.status.success(), "{both}");
    let waited = String::from_utf8_lossy(&down.stdout);
    let holder = match backend {
        // MariaDB shows only the holder's connection.
        Backend::MySql => "held by connection",
        _ => "held by seedbed seed on",
    };
    assert!(
        waited.contains("draw: waiting for") && waited.contains(holder),
        "migrate down did not say that it waited for the seeding\n{both}"
    );
    let status = (draw().migrator)().status(&observer).await.unwrap();
    assert_eq!(
        status.iter().filter(|s| s.state == State::Pending).count(),
        1,
        "the newest migration should be reverted, after the seeding: {status:?}\n{both}"
    );
}

/// Runs `args`, which must give up on the lock after 2 s with exit 4 and one line naming
/// `holder`, never exit 3 ("database is locked").
fn gives_up_naming(t: &TestDb, args: &[&str], holder: &str) {
    let out = t.seedbed(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{args:?}\n{}", show(&out));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}\n{}", show(&out));
    assert!(
        stderr.contains("gave up after 2 s waiting for draw") && stderr.contains(holder),
        "{args:?}: want the wait and the holder ({holder}) named\n{}",
        show(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_honours_the_lock_timeout_and_names_the_holder() {
    use sea_orm::sqlx::{Connection as _, sqlite::SqliteConnectOptions};
    let t = TestDb::new(Backend::Sqlite).await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let commands: [&[&str]; 3] = [
        &["seed", "--profile", "tiny", "--domain", "draw", "--lock-timeout", "2"],
        &["bootstrap", "--profile", "tiny", "--domain", "draw", "--lock-timeout", "2"],
        &["migrate", "fresh", "--domain", "draw", "--lock-timeout", "2"],
    ];

    // Another seedbed holds the domain's lock.
    let held = t
        .target
        .lock_as("draw", Duration::ZERO, "seedbed test-holder on here pid 1", |_| {})
        .await
        .expect("the lock is free");
    for args in commands {
        gives_up_naming(&t, args, "seedbed test-holder on here pid 1");
    }
    held.release().await;

    // A program outside seedbed holds SQLite's own write lock on the file.
    let path = t.target.sqlite_path("draw").unwrap();
    let mut outsider =
        sea_orm::sqlx::SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
            .await
            .unwrap();
    sea_orm::sqlx::raw_sql("BEGIN EXCLUSIVE").execute(&mut outsider).await.unwrap();
    for args in &commands[..2] {
        gives_up_naming(&t, args, "a program outside seedbed");
    }
    sea_orm::sqlx::raw_sql("ROLLBACK").execute(&mut outsider).await.unwrap();
    outsider.close().await.unwrap();
    assert_success(&t.seedbed(commands[0]));
}

/// A `seedbed` of `t` that takes the lease lock on any server, with a lease of `lease` seconds.
fn leased(t: &TestDb, args: &[&str], lease: &str) -> std::process::Command {
    let mut cmd = t.command(args);
    cmd.env("SEEDBED_LOCK", "lease").env("SEEDBED_LOCK_LEASE", lease);
    cmd
}

/// Starts `holder` (a long `seed`), waits until `observer` sees it hold draw's lock, kills it
/// with SIGKILL, and runs `taker`: it must wait for the lease to expire, take it over naming
/// the dead holder by its pid, and succeed. The killed seeding left nothing behind.
pub async fn a_killed_holder_is_taken_over(
    observer: &Target,
    mut holder: std::process::Command,
    mut taker: std::process::Command,
) -> std::process::Output {
    let mut child = holder
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {holder:?}: {e}"));
    let pid = child.id();
    let started = std::time::Instant::now();
    // The holder's own lease row, not just its session lock (taken first, and freed by the
    // server at the kill), nor a row a run before it left on a node that lags behind.
    while !lease_holder(observer).await.is_some_and(|h| h.ends_with(&format!(" pid {pid}"))) {
        if let Ok(Some(_)) = child.try_wait() {
            panic!(
                "the holder ended before it was seen holding the lock\n{}",
                show(&child.wait_with_output().unwrap())
            );
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the holder never took the lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("SIGKILL");
    let killed = child.wait_with_output().unwrap();
    assert!(
        !observer.lock_is_free("draw").await.unwrap(),
        "the lease must outlive its killed holder until it expires; the row: {:?}\nkilled holder:\n{}",
        lease_row(observer).await,
        show(&killed)
    );
    let out = taker.output().expect("the taker runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && said.contains("draw: waiting for")
            && said.contains("draw: took over the lock on")
            && said.contains(&format!("pid {pid},"))
            && said.contains("whose lease expired"),
        "want the next run to wait for the dead holder's lease, then take it over naming pid {pid}\n\
         taker:\n{}\nkilled holder:\n{}",
        show(&out),
        show(&killed)
    );
    out
}

/// Who holds draw's lease row, read straight from the lock table (through whichever node
/// `target` names); `None` while there is no row (or no table yet).
async fn lease_holder(target: &Target) -> Option<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = target.open_existing("draw").await.ok()??;
    let sql = format!("SELECT holder FROM {}", seedbed_core::LOCK_TABLE);
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.ok()??;
    row.try_get_by_index::<String>(0).ok()
}

/// The whole lease row with the server's clock, for failure messages.
async fn lease_row(target: &Target) -> Option<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = target.open_existing("draw").await.ok()??;
    let now = match db.get_database_backend() {
        sea_orm::DbBackend::MySql => "UTC_TIMESTAMP(6)",
        _ => "clock_timestamp()",
    };
    let sql = format!(
        "SELECT CONCAT(holder, ' renewed ', CAST(renewed_at AS CHAR), ' expires ', CAST(expires_at AS CHAR), ' now ', CAST({now} AS CHAR)) FROM {}",
        seedbed_core::LOCK_TABLE
    );
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.ok()??;
    row.try_get_by_index::<String>(0).ok()
}

/// The server backends under the lease lock (SQLite keeps its file lock: it is one file on
/// one machine, and the kernel frees it when its holder dies).
async fn lease_kill_and_take_over(backend: Backend) {
    let t = TestDb::new(backend).await;
    assert_success(&crate::util::run(leased(&t, &["migrate", "up", "--domain", "draw"], "2")));
    let holder = leased(&t, &["seed", "--profile", "dev", "--domain", "draw"], "2");
    let taker = leased(&t, &["seed", "--profile", "tiny", "--domain", "draw", "--lock-timeout", "60"], "2");
    a_killed_holder_is_taken_over(&t.target, holder, taker).await;
    // The killed seeding was rolled back; the taker's is the data one tiny seeding writes.
    let db = t.connect("draw").await;
    assert!(crate::seeding::failing_checks(&db, draw()).await.is_empty());
    // The lease left no trace in the schema, and reading commands see none.
    assert_success(&t.seedbed(&["migrate", "drift", "--domain", "draw"]));
    assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));
    assert!(t.target.lock_is_free("draw").await.unwrap(), "the taker released its lease");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_a_killed_holder_is_taken_over_after_its_lease_expires_postgres() {
    lease_kill_and_take_over(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_a_killed_holder_is_taken_over_after_its_lease_expires_mysql() {
    lease_kill_and_take_over(Backend::MySql).await;
}

/// Four `migrate up` with the lease taken on one server: each migration applied once, and no
/// lease left behind. (Here the session lock, taken first, queues them as well; that the
/// lease alone keeps writers apart is shown on Galera, where each node's session lock is its
/// own: `galera::three_nodes_migrating_one_domain_at_once_apply_each_migration_once`.)
async fn lease_four_processes_apply_each_migration_once(backend: Backend) {
    let t = TestDb::new(backend).await;
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = leased(&t, &["migrate", "up"], "5");
            cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            cmd.spawn().expect("seedbed runs")
        })
        .collect();
    let outs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    assert_fully_migrated_once(&t, &outs).await;
    let applied: Vec<String> = outs.iter().flat_map(applied_lines).collect();
    let versions: usize = domains().iter().map(|d| (d.migrator)().versions().len()).sum();
    assert_eq!(applied.len(), versions, "each migration must be applied once:\n{}", applied.join("\n"));
    for domain in domains() {
        assert!(
            t.target.lock_is_free(domain.name).await.unwrap(),
            "{}: a lease outlived its run",
            domain.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_four_processes_migrating_at_once_apply_each_migration_once_postgres() {
    lease_four_processes_apply_each_migration_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_four_processes_migrating_at_once_apply_each_migration_once_mysql() {
    lease_four_processes_apply_each_migration_once(Backend::MySql).await;
}

/// Under the lease lock a reading command creates nothing, and the lock table stays out of the
/// data: not in a backup, kept in place by a restore, never seen as drift.
async fn lease_leaves_no_trace_in_reads_backups_and_restores(backend: Backend) {
    let t = TestDb::new(backend).await;
    assert_success(&crate::util::run(leased(&t, &["migrate", "status", "--domain", "draw"], "5")));
    assert!(!t.target.namespace_exists("draw").await.unwrap(), "`migrate status` created the namespace");
    for args in
        [&["migrate", "up", "--domain", "draw"][..], &["seed", "--profile", "tiny", "--domain", "draw"]]
    {
        assert_success(&crate::util::run(leased(&t, args, "5")));
    }
    let digest = t.seedbed(&["digest", "--domain", "draw"]);
    assert_success(&digest);
    assert_success(&t.seedbed(&["migrate", "drift", "--domain", "draw"]));
    let dir = std::env::temp_dir().join(format!("seedbed-lease-backup-{}", t.prefix()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("draw.backup");
    let file_arg = file.to_str().unwrap();
    assert_success(&crate::util::run(leased(&t, &["backup", "--domain", "draw", "-o", file_arg], "5")));
    let dumped = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
    let restored = crate::util::run(leased(
        &t,
        &["restore", "--domain", "draw", "-i", file_arg, "--lock-timeout", "10"],
        "5",
    ));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!dumped.contains(seedbed_core::LOCK_TABLE), "the backup holds the lock table");
    assert_success(&restored);
    let after = t.seedbed(&["digest", "--domain", "draw"]);
    assert_eq!(String::from_utf8_lossy(&after.stdout), String::from_utf8_lossy(&digest.stdout));
    // (Not `drift` after the restore: on PostgreSQL a pg_dump round trip respells CHECK
    // expressions, a finding of its own, outside the lock's concern.)
    assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));
    assert!(lease_holder(&t.target).await.is_none(), "the restore left its lease row behind");
    // The next changing command finds the table where the restore kept it, and takes the lease.
    assert_success(&crate::util::run(leased(&t, &["migrate", "up", "--domain", "draw"], "5")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_leaves_no_trace_in_reads_backups_and_restores_postgres() {
    lease_leaves_no_trace_in_reads_backups_and_restores(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_leaves_no_trace_in_reads_backups_and_restores_mysql() {
    lease_leaves_no_trace_in_reads_backups_and_restores(Backend::MySql).await;
}

/// How each engine names a holder `who` to a waiting taker: MariaDB shows only connections,
/// PostgreSQL the application name, SQLite and the lease the label itself.
fn names(holder: &str, backend: Backend, lease: bool, who: &str) -> bool {
    match (backend, lease) {
        (Backend::MySql, false) => holder.contains("connection"),
        _ => holder.contains(who),
    }
}

/// Takes draw's lock, shared or not, within `timeout`; `Err(holder)` when it timed out, with
/// the holder the timeout named. Under `sever` the new holder's session lock is then cut
/// from the server's side, so that only its lease keeps others out, as on a Galera cluster
/// whose nodes each keep their own session locks.
async fn take(
    t: &TestDb,
    shared: bool,
    who: &str,
    policy: LockPolicy,
    timeout: Duration,
    sever: bool,
) -> Result<DomainLock, String> {
    let taken = if shared {
        t.target.lock_shared_with("draw", timeout, who, policy, |_| {}).await
    } else {
        t.target.lock_with("draw", timeout, who, policy, |_| {}).await
    };
    match taken {
        Ok(lock) => {
            if sever {
                sever_session_locks(t, who).await;
            }
            Ok(lock)
        }
        Err(LockError::Timeout { holder, .. }) => Err(holder),
        Err(e) => panic!("{who}: want the lock or a timeout, got: {e}"),
    }
}

/// Ends the server session that holds `who`'s session lock on draw, and waits until it is
/// gone: on PostgreSQL the one with that application name, on MariaDB the holder of draw's
/// named locks (the main lock `seedbed:<namespace>` and the shared slots `…#s1` to `…#s64`,
/// as documented; earlier holders were cut already).
async fn sever_session_locks(t: &TestDb, who: &str) {
    use sea_orm::sqlx::{self, Connection as _, Row as _};
    let url = crate::util::server_url(t.backend).expect("a server");
    let started = std::time::Instant::now();
    if t.backend == Backend::Postgres {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let ended: i64 = sqlx::query(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(who)
        .fetch_one(&mut c)
        .await
        .unwrap()
        .get(0);
        assert_eq!(ended, 1, "{who}'s lock connection");
        let left =
            || sqlx::query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1").bind(who);
        while left().fetch_one(&mut c).await.unwrap().get::<i64, _>(0) > 0 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{who}'s connection outlived its termination"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        return;
    }
    let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
    let main = format!("seedbed:{}", t.target.namespace("draw"));
    let names: Vec<String> =
        std::iter::once(main.clone()).chain((1..=64).map(|i| format!("{main}#s{i}"))).collect();
    // The connections holding any of them, in one statement.
    let sql =
        format!("SELECT CAST(CONCAT_WS(',', {}) AS CHAR)", vec!["IS_USED_LOCK(?)"; names.len()].join(", "));
    let users = async |c: &mut sqlx::MySqlConnection| -> Vec<String> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for name in &names {
            query = query.bind(name);
        }
        let ids: String = query.fetch_one(c).await.unwrap().get(0);
        ids.split(',').filter(|id| !id.is_empty()).map(str::to_owned).collect()
    };
    let ids = users(&mut c).await;
    assert_eq!(ids.len(), 1, "{who}'s lock connection: {ids:?}");
    sqlx::query(sqlx::AssertSqlSafe(format!("KILL CONNECTION {}", ids[0]))).execute(&mut c).await.unwrap();
    while !users(&mut c).await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(5), "{who}'s connection outlived its KILL");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The shards of one seeding share draw's lock; every other writer is kept out while one of
/// them holds it, and keeps them out while it holds it. `sever` makes the lease alone do it.
async fn shards_share_the_lock_and_exclude_every_other_writer(t: &TestDb, policy: LockPolicy, sever: bool) {
    let lease = policy.kind == LockKind::Lease;
    let (one, two, writer) = (
        "seedbed shard 1/2 on here pid 1",
        "seedbed shard 2/2 on here pid 2",
        "seedbed migrate up on here pid 3",
    );
    let short = Duration::from_millis(500);
    let shard_one = take(t, true, one, policy, short, sever).await.expect("a free lock is taken shared");
    let shard_two = take(t, true, two, policy, short, sever)
        .await
        .unwrap_or_else(|holder| panic!("a second shard must share the lock, but it waited for: {holder}"));

    let holder = take(t, false, writer, policy, short, sever)
        .await
        .err()
        .expect("an exclusive taker must not get in while shards hold the lock");
    assert!(
        holder.contains("shared holder") && names(&holder, t.backend, lease, one),
        "the timeout should name the shared holders: {holder}"
    );
    assert!(
        t.target.try_lock_without_creating("draw").await.unwrap().is_none(),
        "a reading command that tidies up must not pass a live shard"
    );
    assert!(!t.target.lock_is_free("draw").await.unwrap(), "a shard holds the lock");

    // The last shard keeps the writer out as well as both did.
    shard_one.release().await;
    let holder = take(t, false, writer, policy, short, sever)
        .await
        .err()
        .expect("an exclusive taker must not get in while one shard still holds the lock");
    assert!(holder.contains("shared holder"), "{holder}");
    shard_two.release().await;

    let exclusive =
        take(t, false, writer, policy, Duration::from_secs(2), sever).await.unwrap_or_else(|holder| {
            panic!("once the shards are gone the writer gets in, but it waited for: {holder}")
        });
    let holder = take(t, true, one, policy, short, sever)
        .await
        .err()
        .expect("a shard must not get in while an exclusive holder holds the lock");
    assert!(names(&holder, t.backend, lease, writer), "the timeout should name the writer: {holder}");
    exclusive.release().await;
    let shard = take(t, true, one, policy, Duration::from_secs(2), sever).await.unwrap_or_else(|holder| {
        panic!("once the writer is gone a shard gets in, but it waited for: {holder}")
    });
    shard.release().await;
    assert!(t.target.lock_is_free("draw").await.unwrap(), "released shards leave the lock free");
}

backend_tests!(shards_share_the_domain_lock_and_exclude_every_other_writer);
async fn shards_share_the_domain_lock_and_exclude_every_other_writer(backend: Backend) {
    let t = TestDb::new(backend).await;
    shards_share_the_lock_and_exclude_every_other_writer(&t, LockPolicy::default(), false).await;
}

/// Under the lease lock, with each holder's session lock cut as soon as it is taken: the
/// lease rows alone keep shards and writers apart, as across the nodes of a cluster.
async fn lease_shards_share_the_lock(backend: Backend) {
    let t = TestDb::new(backend).await;
    let policy = LockPolicy { kind: LockKind::Lease, lease: Duration::from_secs(5) };
    shards_share_the_lock_and_exclude_every_other_writer(&t, policy, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_shards_share_the_domain_lock_and_exclude_every_other_writer_postgres() {
    lease_shards_share_the_lock(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_shards_share_the_domain_lock_and_exclude_every_other_writer_mysql() {
    lease_shards_share_the_lock(Backend::MySql).await;
}
