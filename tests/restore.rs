//! A restore killed at any instant (SIGTERM or SIGKILL, on a timer or while it loads) leaves
//! the domain as it was or as the backup has it, never half-made, and the scratch namespaces
//! a dead restore left are removed, and named, by the next `restore` or `migrate status`, but
//! never while another seedbed holds the domain's lock.

use std::io::BufRead as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use sea_orm::ConnectionTrait as _;
use seedbed_core::Backend;

use crate::backup::{backup, digest, files_dir};
use crate::util::{TestDb, assert_success, backend_tests, show};

#[derive(Debug, Clone, Copy)]
enum When {
    /// As soon as it says it is loading the file into its scratch namespace.
    Loading,
    After(Duration),
}

/// Starts `seedbed restore` of `file` and sends it `signal` at `when`.
fn kill_restore(t: &TestDb, file: &Path, signal: &str, when: When) {
    let mut cmd = t.command(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()]);
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    match when {
        When::Loading => {
            let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
            for line in stdout.lines() {
                if line.unwrap().contains(": loading ") {
                    break;
                }
            }
        }
        When::After(d) => std::thread::sleep(d),
    }
    let pid = child.id().to_string();
    // The child may have finished already; that is one of the outcomes the test accepts.
    let _ = std::process::Command::new("kill").args([&format!("-{signal}"), &pid]).status();
    child.wait().unwrap();
}

backend_tests!(a_killed_restore_leaves_the_old_or_the_new_domain);
async fn a_killed_restore_leaves_the_old_or_the_new_domain(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw", "--seed", "1"]));
    let a = (backup(&t, "draw", &dir, "a.backup"), digest(&t));
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw", "--seed", "2"]));
    let b = (backup(&t, "draw", &dir, "b.backup"), digest(&t));
    assert_ne!(a.1, b.1, "the two backups must differ for the test to tell them apart");

    let points =
        [When::Loading, When::After(Duration::from_millis(150)), When::After(Duration::from_millis(600))];
    let mut runs = 0;
    let mut swept = 0;
    for signal in ["TERM", "KILL"] {
        for (i, when) in points.into_iter().enumerate() {
            // Restore whichever backup the domain does not hold now.
            let before = digest(&t);
            let (file, after) = if before == a.1 { &b } else { &a };
            kill_restore(&t, file, signal, when);
            let now = digest(&t);
            assert!(
                now == before || now == *after,
                "SIGTERM/SIGKILL ({signal}) at {when:?} left the domain half-made: digest {now}, expected {before} or {after}"
            );
            runs += 1;

            // The next command on the domain removes what the dead run left, and names it.
            let left = t.target.restore_leftovers("draw").await.unwrap();
            let out = if i % 2 == 0 {
                t.seedbed(&["migrate", "status", "--domain", "draw"])
            } else {
                let (file, _) = if now == a.1 { &b } else { &a };
                t.seedbed(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()])
            };
            assert_success(&out);
            let said = String::from_utf8_lossy(&out.stdout);
            // A loader that outlived the kill may still rename or drop its own scratch between
            // the listing above and the command's sweep: every name still there is removed and
            // named, and none survives (below).
            for name in &left {
                if said.contains(&format!("removed {name}")) {
                    swept += 1;
                }
            }
            let still = t.target.restore_leftovers("draw").await.unwrap();
            assert!(still.is_empty(), "{still:?} survived the next command after {signal} at {when:?}");
            let now = digest(&t);
            assert!(now == a.1 || now == b.1, "the next command left digest {now}");
        }
    }
    assert_eq!(runs, 6, "every kill point was tried");
    eprintln!("{backend:?}: {swept} leftover namespace(s) swept by the next command");
    std::fs::remove_dir_all(dir).ok();
}

backend_tests!(a_dead_restores_scratch_is_removed_only_when_nobody_holds_the_domain);
/// A scratch namespace as a restore killed after its load leaves it: `migrate status`
/// removes it and says so, but not while another seedbed holds the domain's lock (that may
/// be the restore still running, on this machine or another).
async fn a_dead_restores_scratch_is_removed_only_when_nobody_holds_the_domain(backend: Backend) {
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let draw = crate::util::domains().iter().find(|d| d.name == "draw").unwrap();
    let scratch = t.target.clone().with_prefix(&format!("{}sbr_0dead0be_", t.prefix())).unwrap();
    let db = scratch.connect("draw").await.unwrap();
    (draw.migrator)().up(&db, None).await.unwrap();
    db.close().await.unwrap();
    let name = scratch.namespace("draw");
    assert_eq!(t.target.restore_leftovers("draw").await.unwrap(), vec![name.clone()]);
    // Another domain's scratch is not this domain's business.
    assert!(t.target.restore_leftovers("raffle").await.unwrap().is_empty());

    let held = t.target.lock("draw", Duration::from_secs(5), |_| {}).await.unwrap();
    let out = t.seedbed(&["migrate", "status", "--domain", "draw"]);
    assert_success(&out);
    assert_eq!(
        t.target.restore_leftovers("draw").await.unwrap(),
        vec![name.clone()],
        "status removed a scratch namespace while the domain's lock was held\n{}",
        show(&out)
    );
    held.release().await;

    let out = t.seedbed(&["migrate", "status", "--domain", "draw"]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("draw: removed {name}, left behind by an interrupted restore")),
        "{}",
        show(&out)
    );
    assert!(t.target.restore_leftovers("draw").await.unwrap().is_empty(), "{}", show(&out));
}

/// Something outside the domain that depends on its tables (PostgreSQL: a view in another
/// schema; MariaDB: a foreign key from another database) would follow the old tables aside and
/// be dropped with them, or stop their drop half-way: the restore refuses, names it, and
/// changes nothing.
async fn a_restore_that_would_break_an_outside_dependent_is_refused(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    let file = backup(&t, "draw", &dir, "draw.backup");
    let seeded = digest(&t);
    // The reporting namespace carries the test's prefix, so the test's cleanup drops it.
    let reporting = t.connect("reporting").await;
    let (draw, outside) = (t.target.namespace("draw"), t.target.namespace("reporting"));
    let (create, count, named) = match backend {
        Backend::Postgres => (
            format!("CREATE VIEW \"{outside}\".user_emails AS SELECT email FROM \"{draw}\".users"),
            format!("SELECT count(*) AS n FROM \"{outside}\".user_emails"),
            format!("view {outside}.user_emails"),
        ),
        _ => (
            format!(
                "CREATE TABLE `{outside}`.notes (user_id VARCHAR(255), CONSTRAINT fk_notes_user FOREIGN KEY (user_id) REFERENCES `{draw}`.users (id))"
            ),
            format!("SELECT count(*) AS n FROM `{outside}`.notes"),
            format!("foreign key fk_notes_user on table {outside}.notes"),
        ),
    };
    reporting.execute_unprepared(&create).await.unwrap();

    let out = t.seedbed(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&named) && stderr.contains("depend on it"), "{}", show(&out));
    assert_eq!(digest(&t), seeded, "a refused restore changed the domain");
    let still =
        reporting.query_one_raw(sea_orm::Statement::from_string(reporting.get_database_backend(), count));
    assert!(still.await.is_ok(), "the dependent outside the domain is gone");
    assert!(t.target.restore_leftovers("draw").await.unwrap().is_empty());
    reporting.close().await.unwrap();
    std::fs::remove_dir_all(dir).ok();
}

mod a_restore_that_would_break_an_outside_dependent_is_refused {
    use seedbed_core::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_restore_that_would_break_an_outside_dependent_is_refused(Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql() {
        super::a_restore_that_would_break_an_outside_dependent_is_refused(Backend::MySql).await
    }
}
