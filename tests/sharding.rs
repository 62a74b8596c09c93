//! Sharded seeding (`seed --shard K/N`, `seed --workers N`): shards run one after another,
//! at the same moment in separate processes, or as workers of one process, write exactly the
//! rows one seeding writes (the same digest); until the last shard is in, the domain is
//! visibly incomplete (readers refuse it, exit 5, naming `--resume`); a shard that belongs to
//! another seeding is refused; a killed sharded seeding is finished by `seed --resume`.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use seedbed_core::Backend;

use crate::util::{TestDb, assert_success, backend_tests, domains, refused, show};

/// Options with four tiny cells: every shard count up to four has cells to write.
pub const FOUR_CELLS: &[&str] = &["--profile", "tiny", "--scale", "4", "--seed", "7"];

/// `seedbed digest` of every domain (`digest  domain` lines), insisting that it succeeds.
fn digests(out: Output) -> String {
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What one uninterrupted seeding with `opts` holds, as `seedbed digest` prints it: seeded on
/// SQLite (digests are the same on every backend) into namespaces of its own.
pub async fn one_seeding(opts: &[&str], domain: Option<&str>) -> String {
    let t = TestDb::new(Backend::Sqlite).await;
    let scope: Vec<&str> = domain.map(|d| vec!["--domain", d]).unwrap_or_default();
    assert_success(&t.seedbed(&[&["bootstrap"], opts, &scope[..]].concat()));
    digests(t.seedbed(&[&["digest"], &scope[..]].concat()))
}

/// `seedbed seed` with `opts` and `extra`.
fn seed_args<'a>(opts: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    [&["seed"], opts, extra].concat()
}

/// Asserts success with every phrase of `expected` on stdout.
fn said(out: &Output, expected: &[&str], what: &str) {
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && expected.iter().all(|e| said.contains(e)),
        "{what}: want success saying {expected:?}\n{}",
        show(out)
    );
}

backend_tests!(shards_one_after_another_write_what_one_seeding_writes);
async fn shards_one_after_another_write_what_one_seeding_writes(backend: Backend) {
    let want = one_seeding(FOUR_CELLS, None).await;
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up"]));

    said(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--shard", "2/3"])),
        &["wrote shard(s) 2/3", "incomplete until the other shards are written"],
        "the first shard",
    );
    for reader in [&["check"][..], &["digest"], &["describe"]] {
        refused(
            &t.seedbed(reader),
            5,
            &["incomplete", "2/3", "seed --resume"],
            &format!("{reader:?} mid-way"),
        );
    }
    refused(
        &t.seedbed(&seed_args(FOUR_CELLS, &[])),
        5,
        &["incomplete", "--resume"],
        "a plain seed of a domain whose shards are under way",
    );
    said(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--shard", "2/3"])),
        &["2/3 already written"],
        "the same shard again",
    );
    refused(
        &t.seedbed(&["seed", "--profile", "tiny", "--scale", "4", "--seed", "8", "--shard", "1/3"]),
        5,
        &["does not belong", "seed 7"],
        "a shard with another seed",
    );
    refused(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--shard", "1/2"])),
        5,
        &["does not belong", "in 3 shards"],
        "a shard of another count",
    );
    said(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--shard", "1/3"])),
        &["wrote shard(s) 1/3"],
        "the second shard",
    );
    said(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--shard", "3/3"])),
        &["wrote shard(s) 3/3", "the domain is complete"],
        "the last shard",
    );
    assert_eq!(digests(t.seedbed(&["digest"])), want, "three shards on {backend:?} against one seeding");
    assert_success(&t.seedbed(&["check"]));
    // A late shard of the completed seeding adds nothing to the data.
    refused(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--shard", "1/3"])),
        5,
        &["already holds data"],
        "a shard after the seeding was completed",
    );
    assert_eq!(digests(t.seedbed(&["digest"])), want, "the late shard changed the data on {backend:?}");
}

backend_tests!(workers_write_what_one_seeding_writes);
async fn workers_write_what_one_seeding_writes(backend: Backend) {
    let want = one_seeding(FOUR_CELLS, None).await;
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up"]));
    said(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--workers", "3"])),
        &["the domain is complete"],
        "three workers",
    );
    assert_eq!(digests(t.seedbed(&["digest"])), want, "three workers on {backend:?} against one seeding");
    // More workers than cells: some have nothing to write.
    said(
        &t.seedbed(&seed_args(FOUR_CELLS, &["--workers", "6", "--truncate"])),
        &["the domain is complete"],
        "six workers, replacing the data",
    );
    assert_eq!(digests(t.seedbed(&["digest"])), want, "six workers on {backend:?} against one seeding");
    assert_success(&t.seedbed(&["check"]));
}

/// Three processes, one shard each, started at the same moment (`on(k)` runs shard k's).
pub fn shards_at_once(on: &dyn Fn(usize, &[&str]) -> Command) -> Vec<Output> {
    let children: Vec<_> = (0..3)
        .map(|k| {
            let shard = format!("{}/3", k + 1);
            let mut cmd = on(k, &seed_args(FOUR_CELLS, &["--shard", &shard, "--lock-timeout", "120"]));
            cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
        })
        .collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for out in &outs {
        assert_success(out);
    }
    let completed = |domain: &str| {
        outs.iter()
            .filter(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l.starts_with(&format!("{domain}: ")) && l.contains("the domain is complete"))
            })
            .count()
    };
    for d in domains() {
        assert_eq!(
            completed(d.name),
            1,
            "{}: exactly one shard completes the domain\n{}",
            d.name,
            outs.iter().map(show).collect::<String>()
        );
    }
    outs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_in_processes_at_once_write_what_one_seeding_writes() {
    let want = one_seeding(FOUR_CELLS, None).await;
    for backend in [Backend::Postgres, Backend::MySql] {
        let t = TestDb::new(backend).await;
        assert_success(&t.seedbed(&["migrate", "up"]));
        shards_at_once(&|_, args| t.command(args));
        assert_eq!(digests(t.seedbed(&["digest"])), want, "three shard processes on {backend:?}");
    }
}

backend_tests!(a_killed_sharded_seeding_is_finished_by_resume);
/// `kill -9` of `seed --workers 2` once both shards have begun: draw is incomplete, and
/// `seed --resume` finishes it into the data of one seeding.
async fn a_killed_sharded_seeding_is_finished_by_resume(backend: Backend) {
    // Forty tiny cells: long enough to be killed part-way, short enough for the suite.
    let opts: &[&str] = &["--profile", "tiny", "--scale", "40", "--seed", "3"];
    let want = one_seeding(opts, Some("draw")).await;
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let mut seeding = t.command(&seed_args(opts, &["--domain", "draw", "--workers", "2"]));
    let mut child = seeding
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {seeding:?}: {e}"));
    let started = Instant::now();
    loop {
        let db = t.connect("draw").await;
        let found = seedbed_seeds::state::read_job(&db, "draw").await.unwrap();
        if matches!(found, Some(seedbed_seeds::state::Found::Sharded { ref shards, .. }) if shards.len() == 2)
        {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            panic!(
                "the seeding ended before it was seen under way\n{}",
                show(&child.wait_with_output().unwrap())
            );
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the shards never began");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL");
    let killed = child.wait_with_output().unwrap();
    refused(
        &t.seedbed(&["check", "--domain", "draw"]),
        5,
        &["incomplete", "seed --resume"],
        "check after the kill",
    );
    let resumed = t.seedbed(&["seed", "--resume", "--domain", "draw", "--lock-timeout", "60"]);
    said(&resumed, &["resuming (a seeding in 2 shards", "the domain is complete"], "the resume");
    assert_eq!(
        digests(t.seedbed(&["digest", "--domain", "draw"])),
        want,
        "killed and resumed on {backend:?}\n--- killed ---\n{}",
        show(&killed)
    );
}
