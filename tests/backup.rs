//! `seedbed backup` and `seedbed restore`: a round trip gives the same digest on every
//! backend, and a missing, foreign, truncated or broken file changes nothing.

use std::path::PathBuf;

use seedbed_core::Backend;

use crate::util::{TestDb, assert_success, backend_tests, show};

fn digest(t: &TestDb) -> String {
    let out = t.seedbed(&["digest", "--domain", "draw"]);
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A directory of the test's own for backup files.
fn files_dir(t: &TestDb) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seedbed-backups-{}", t.prefix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_refused(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", show(out));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{}", show(out));
    assert!(stderr.contains(needle), "the error must mention {needle:?}\n{}", show(out));
}

backend_tests!(backup_fresh_restore_gives_the_same_digest);
async fn backup_fresh_restore_gives_the_same_digest(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    let file = dir.join("draw.backup");
    let file_arg = file.to_str().unwrap();
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    let seeded = digest(&t);

    assert_success(&t.seedbed(&["backup", "--domain", "draw", "-o", file_arg]));
    assert_success(&t.seedbed(&["migrate", "fresh", "--domain", "draw"]));
    assert_ne!(digest(&t), seeded, "fresh should have emptied the domain");
    let out = t.seedbed(&["restore", "--domain", "draw", "-i", file_arg]);
    assert_success(&out);
    assert_eq!(digest(&t), seeded, "the restored domain differs from the backed-up one");
    assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));

    // A second backup never overwrites the first.
    let before = std::fs::read(&file).unwrap();
    assert_refused(&t.seedbed(&["backup", "--domain", "draw", "-o", file_arg]), "already exists");
    assert!(std::fs::read(&file).unwrap() == before, "the existing backup was overwritten");
    std::fs::remove_dir_all(dir).ok();
}

backend_tests!(a_bad_backup_file_changes_nothing);
async fn a_bad_backup_file_changes_nothing(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    let seeded = digest(&t);
    let good = dir.join("good.backup");
    assert_success(&t.seedbed(&["backup", "--domain", "draw", "-o", good.to_str().unwrap()]));
    let bytes = std::fs::read(&good).unwrap();

    let garbage = dir.join("garbage.backup");
    std::fs::write(&garbage, "this is not a backup\n").unwrap();
    let truncated = dir.join("truncated.backup");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let missing = dir.join("missing.backup");
    for (file, needle) in [
        (&missing, "does not exist"),
        (&garbage, "is not a seedbed backup"),
        (&truncated, "is not a seedbed backup"),
    ] {
        let out = t.seedbed(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()]);
        assert_refused(&out, needle);
        assert_eq!(digest(&t), seeded, "a refused restore of {} changed the domain", file.display());
    }
    if backend == Backend::Postgres {
        let mut cmd = t.command(&["restore", "--domain", "draw", "-i", good.to_str().unwrap()]);
        cmd.env("SEEDBED_PREFIX", format!("{}x", t.prefix()));
        assert_refused(&crate::util::run(cmd), "restore it with the --prefix it was taken with");
    }
    std::fs::remove_dir_all(dir).ok();
}
