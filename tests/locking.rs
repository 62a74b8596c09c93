//! The domain lock: `migrate` and `seed` runs started side by side queue instead of
//! interleaving, each migration applies exactly once, and a run that waits too long stops
//! with one line that says why.

use std::time::Duration;

use seedbed_core::Backend;
use seedbed_core::introspect::Snapshot;
use seedbed_migration::{HISTORY_TABLE, State};

use crate::util::{TestDb, assert_success, backend_tests, domains, show};

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
    let held = t.target.lock(domain, Duration::ZERO, |_| {}).await.expect("the lock is free");

    for args in [
        vec!["migrate", "up", "--domain", domain, "--lock-timeout", "1"],
        vec!["migrate", "fresh", "--domain", domain, "--lock-timeout", "1"],
    ] {
        let out = t.seedbed(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{}", show(&out));
        assert_eq!(stderr.trim_end().lines().count(), 1, "{}", show(&out));
        assert!(
            stderr.contains("gave up after 1 s waiting for") && stderr.contains("--lock-timeout"),
            "{}",
            show(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("waiting for another seedbed"),
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
