//! The domain lock: `migrate`, `seed` and `bootstrap` runs started side by side queue instead
//! of interleaving, each holding it from its first read to its last write; each migration
//! applies exactly once; and a run that waits too long stops with one line that says why and
//! names the holder where the engine shows it, SQLite included.

use std::time::Duration;

use seedbed_core::Backend;
use seedbed_core::introspect::Snapshot;
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
