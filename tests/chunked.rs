//! Seeding in chunks (`seed --chunk-rows N`, the default on a Galera node) and `seed
//! --resume`: a seeding killed outright (`kill -9`) leaves its domain visibly incomplete,
//! with exactly the rows its recorded progress names; every reader and a plain `seed` refuse
//! it, naming how to finish it; `--resume` refuses options that disagree with the recorded
//! ones, and otherwise writes the rest, giving the digest of an uninterrupted seeding.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use seedbed_core::{Backend, Target};
use seedbed_seeds::Profile;
use seedbed_seeds::state::Recorded;

use crate::util::{TestDb, backend_tests, domains, refused, show};

fn draw() -> &'static seedbed_registry::Domain {
    domains().iter().find(|d| d.name == "draw").expect("the draw domain")
}

/// The digest of draw seeded at `dev` with the default options in one transaction (on
/// SQLite: digests are the same on every backend).
pub async fn uninterrupted_digest() -> String {
    let t = TestDb::new(Backend::Sqlite).await;
    let db = crate::seeding::seeded(&t, draw(), crate::seeding::options(Profile::Dev, 42)).await;
    seedbed_seeds::digest(&db, draw().seeder).await.unwrap()
}

/// draw's recorded progress, read through `target`; `None` while there is none (or no
/// domain yet).
async fn recorded(target: &Target) -> Option<Recorded> {
    let db = target.open_existing("draw").await.ok()??;
    seedbed_seeds::state::read(&db, "draw").await.unwrap_or_else(|e| panic!("reading draw's progress: {e}"))
}

/// Waits until `target` reads `want` as draw's progress: a Galera node applies what another
/// committed a moment later (readers elsewhere may lag; the seeder reads its progress only
/// after taking the lease, whose commit waits for every write set ordered before it).
async fn until_seen(target: &Target, want: Option<&Recorded>, what: &str) {
    let started = Instant::now();
    loop {
        let seen = recorded(target).await;
        if seen.as_ref() == want {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{what}: want {want:?}, still see {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Rows per table, as the recorded progress counts them (tables it does not name: 0).
async fn counts(db: &DatabaseConnection) -> Vec<(&'static str, u64)> {
    seedbed_seeds::row_counts(db, draw().seeder).await.unwrap()
}

/// The scenario, for any backend or cluster: `on(node, args)` is a `seedbed` command through
/// that node (one server: the same for every node), `nodes[node]` reads draw's namespace
/// through it. The seeding (through node 0) gets `seed_args` too, and is killed once
/// `min_chunks` chunks are committed; readers go through node 1, the resume through node 2.
pub async fn killed_then_resumed(
    nodes: [&Target; 3],
    on: &dyn Fn(usize, &[&str]) -> Command,
    seed_args: &[&str],
    min_chunks: u64,
) {
    let want = uninterrupted_digest().await;
    let ok = |out: Output, what: &str| {
        assert!(out.status.success(), "{what} failed\n{}", show(&out));
        out
    };
    ok(on(0, &["migrate", "up", "--domain", "draw"]).output().unwrap(), "migrate up");

    // kill -9 once some chunks are in.
    let mut args = vec!["seed", "--domain", "draw", "--profile", "dev"];
    args.extend_from_slice(seed_args);
    let mut seeding = on(0, &args);
    let mut child = seeding
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {seeding:?}: {e}"));
    let observer = nodes[0];
    let started = Instant::now();
    while recorded(observer).await.is_none_or(|r| r.chunks < min_chunks) {
        if let Ok(Some(_)) = child.try_wait() {
            panic!(
                "the seeding ended before {min_chunks} chunk(s) were seen committed\n{}",
                show(&child.wait_with_output().unwrap())
            );
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no chunk was committed in 120 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    let killed = child.wait_with_output().unwrap();

    // Visibly incomplete, with exactly the rows its progress names.
    let rec = recorded(observer).await.expect("a killed chunked seeding leaves its progress");
    let db = observer.open_existing("draw").await.unwrap().expect("draw exists");
    let expected: Vec<(&str, u64)> = counts(&db)
        .await
        .iter()
        .map(|(table, _)| (*table, rec.done.rows.get(*table).copied().unwrap_or(0)))
        .collect();
    assert_eq!(
        counts(&db).await,
        expected,
        "the rows are not what the progress says ({rec})\n{}",
        show(&killed)
    );
    assert!(rec.done.total_rows() > 0, "killed after {min_chunks} chunks, yet no rows recorded: {rec}");
    drop(db);
    until_seen(nodes[1], Some(&rec), "the readers' node after the kill").await;

    // Every reader refuses, naming the way out; so does a plain seeding.
    let finish = "seedbed seed --resume --domain draw";
    for args in [
        &["check", "--domain", "draw"][..],
        &["digest", "--domain", "draw"][..],
        &["describe", "--domain", "draw"][..],
    ] {
        refused(&on(1, args).output().unwrap(), 5, &["draw is incomplete", finish], &format!("{args:?}"));
    }
    refused(
        &on(1, &["seed", "--domain", "draw", "--profile", "dev"]).output().unwrap(),
        5,
        &["incomplete", finish, "--truncate"],
        "a plain seed of an incomplete domain",
    );
    // --resume with options other than the recorded ones: refused, nothing changed.
    refused(
        &on(1, &["seed", "--resume", "--domain", "draw", "--profile", "tiny", "--seed", "7"])
            .output()
            .unwrap(),
        2,
        &["--profile tiny (recorded: dev)", "--seed 7 (recorded: 42)"],
        "a resume with other options",
    );
    assert_eq!(recorded(observer).await.as_ref(), Some(&rec), "a refused resume changed the progress");

    // The resume, through another node where there are several: the uninterrupted data.
    let out = ok(
        on(2, &["seed", "--resume", "--domain", "draw", "--lock-timeout", "120"]).output().unwrap(),
        "resume",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("draw: resuming ("), "{}", show(&out));
    assert_eq!(recorded(nodes[2]).await, None, "a finished resume leaves no progress behind");
    until_seen(nodes[1], None, "the readers' node after the resume").await;
    let digest = ok(on(1, &["digest", "--domain", "draw"]).output().unwrap(), "digest");
    assert_eq!(
        String::from_utf8_lossy(&digest.stdout),
        format!("{want}  draw\n"),
        "the resumed data differs from an uninterrupted seeding's (killed after {rec})"
    );
    ok(on(1, &["check", "--domain", "draw"]).output().unwrap(), "check after the resume");
    // The bookkeeping is no part of the schema.
    ok(on(1, &["migrate", "drift", "--domain", "draw"]).output().unwrap(), "drift after the resume");
    // Nothing left to resume now.
    refused(
        &on(1, &["seed", "--resume", "--domain", "draw"]).output().unwrap(),
        5,
        &["nothing to resume in draw"],
        "a resume of a complete domain",
    );
}

backend_tests!(a_killed_chunked_seeding_is_incomplete_until_resumed);
async fn a_killed_chunked_seeding_is_incomplete_until_resumed(backend: Backend) {
    let t = TestDb::new(backend).await;
    let target = &t.target;
    killed_then_resumed([target, target, target], &|_, args| t.command(args), &["--chunk-rows", "500"], 3)
        .await;
}

/// draw migrated and left incomplete by a chunked seeding that failed after its first chunks.
async fn left_incomplete(t: &TestDb) -> DatabaseConnection {
    let db = t.migrated(draw()).await;
    let hash = seedbed_seeds::accounts::dev_password_hash();
    let opts = crate::seeding::options(Profile::Tiny, 42);
    let plan = seedbed_seeds::Plan { chunk_rows: Some(5), ..Default::default() };
    let failing = crate::seeding::FailsAtTheEnd(draw().seeder);
    let err = seedbed_seeds::seed_until(
        &db,
        &failing,
        opts,
        plan,
        &seedbed_seeds::Quiet,
        &hash,
        std::future::pending(),
    )
    .await
    .expect_err("the seeder fails");
    assert!(
        matches!(err, seedbed_seeds::SeedError::LeftIncomplete { .. })
            && err.to_string().contains("injected failure")
            && err.to_string().contains("seedbed seed --resume --domain draw"),
        "{err}"
    );
    assert!(recorded(&t.target).await.is_some(), "no progress recorded for an incomplete domain");
    db
}

backend_tests!(truncate_replaces_an_incomplete_seeding);
/// `--truncate` in one transaction over an incomplete domain: the old progress goes with the
/// old rows, in the same transaction.
async fn truncate_replaces_an_incomplete_seeding(backend: Backend) {
    let t = TestDb::new(backend).await;
    let db = left_incomplete(&t).await;
    let out =
        t.seedbed(&["seed", "--truncate", "--domain", "draw", "--profile", "tiny", "--chunk-rows", "0"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(recorded(&t.target).await, None, "--truncate left the old progress");
    assert!(crate::seeding::failing_checks(&db, draw()).await.is_empty());
}

backend_tests!(fresh_takes_an_incomplete_seedings_progress_with_its_rows);
/// `migrate fresh` (and so `bootstrap`) empties an incomplete domain: no progress is left to
/// make the empty domain read as incomplete.
async fn fresh_takes_an_incomplete_seedings_progress_with_its_rows(backend: Backend) {
    let t = TestDb::new(backend).await;
    drop(left_incomplete(&t).await);
    let out = t.seedbed(&["migrate", "fresh", "--domain", "draw"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(recorded(&t.target).await, None, "fresh left the progress of the rows it dropped");
    let out = t.seedbed(&["seed", "--domain", "draw", "--profile", "tiny"]);
    assert!(out.status.success(), "a plain seed after fresh\n{}", show(&out));
}
