//! The fixtures library, used as a test suite would: isolated clones of a seeded template,
//! built once however many threads and processes ask at the same time, dropped with their
//! handles, and factories whose rows keep every rule.

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{EntityTrait, PaginatorTrait};
use seedbed_core::Backend;
use seedbed_fixtures::{Domain, Fixture, Profile};

use crate::seeding::failing_checks;
use crate::util::{backend_tests, server_url};

/// Where fixtures go for `backend`: the test servers, or a SQLite directory of this run.
fn url(backend: Backend) -> String {
    server_url(backend).unwrap_or_else(|| {
        format!("sqlite://{}", std::env::temp_dir().join("seedbed-fixtures-tests").display())
    })
}

/// A seed nobody has used, so that the template does not exist yet.
fn fresh_seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    1_000_000 + (nanos ^ (std::process::id() as u64) << 20) % 1_000_000_000
}

backend_tests!(two_fixtures_do_not_see_each_other);
async fn two_fixtures_do_not_see_each_other(backend: Backend) {
    let a = Fixture::new(Domain::Draw).url(&url(backend)).acquire().await.unwrap();
    let b = Fixture::new(Domain::Draw).url(&url(backend)).acquire().await.unwrap();
    assert_ne!(a.url(), b.url());
    let before = seedbed_draw::draws::Entity::find().count(b.conn()).await.unwrap();
    let f = a.factory();
    f.draws().open().with_entry_fee(50).create().await.unwrap();
    assert_eq!(seedbed_draw::draws::Entity::find().count(a.conn()).await.unwrap(), before + 1);
    assert_eq!(
        seedbed_draw::draws::Entity::find().count(b.conn()).await.unwrap(),
        before,
        "a write leaked into another fixture"
    );
}

backend_tests!(factories_keep_every_rule);
async fn factories_keep_every_rule(backend: Backend) {
    let db = Fixture::new(Domain::Raffle)
        .and(Domain::Draw)
        .and(Domain::Booking)
        .url(&url(backend))
        .acquire()
        .await
        .unwrap();
    let f = db.factory();
    f.raffles().open().create().await.unwrap();
    let done = f.raffles().completed().boxes(6).sold(5).create().await.unwrap();
    assert_eq!((done.boxes_sold, done.winning_box_number.is_some()), (5, true));
    f.raffles().cancelled().create().await.unwrap();
    let open = f.draws().open().with_entry_fee(50).create().await.unwrap();
    let player = db.known().player().await.unwrap();
    f.participate(&player.id, open.id).await.unwrap();
    let again = f.participate(&player.id, open.id).await.unwrap_err().to_string();
    assert!(again.contains("already entered"), "{again}");
    let finished = f.draws().finished().entrants(4).create().await.unwrap();
    assert!(!finished.is_active && finished.winner_id.is_some() && finished.current_participants == 4);
    let completed = f.bookings().completed().create().await.unwrap();
    f.bookings().cancelled().create().await.unwrap();
    let requested = f.bookings().requested().create().await.unwrap();
    f.rate(completed.id, 4).await.unwrap();
    let refused = f.rate(requested.id, 5).await.unwrap_err().to_string();
    assert!(refused.contains("needs a completed booking"), "{refused}");
    for domain in [Domain::Raffle, Domain::Draw, Domain::Booking] {
        let failing = failing_checks(db.connection(domain), &domain).await;
        assert!(
            failing.is_empty(),
            "{} after the factories on {backend:?}:\n  {}",
            domain.name(),
            failing.join("\n  ")
        );
    }
}

backend_tests!(every_registered_domain_gets_a_seeded_fixture_that_keeps_its_rules);
/// The fixtures iterate the registry: each registered domain, alone, gets a fixture whose
/// every table holds rows and whose every check passes.
async fn every_registered_domain_gets_a_seeded_fixture_that_keeps_its_rules(backend: Backend) {
    for domain in crate::util::domains() {
        let db = Fixture::new(*domain).url(&url(backend)).acquire().await.unwrap();
        let counts = seedbed_seeds::row_counts(db.conn(), domain.seeder).await.unwrap();
        let empty: Vec<&str> = counts.iter().filter(|(_, n)| *n == 0).map(|(t, _)| *t).collect();
        assert!(empty.is_empty(), "{domain}'s fixture on {backend:?} has empty tables: {empty:?}");
        let failing = failing_checks(db.conn(), domain).await;
        assert!(failing.is_empty(), "{domain}'s fixture on {backend:?}:\n  {}", failing.join("\n  "));
    }
}

#[test]
fn the_template_fingerprint_covers_every_registered_domain() {
    let covered: Vec<&str> = seedbed_fixtures::FINGERPRINTED_CRATES.split(',').collect();
    let mut missing: Vec<String> = ["crates/registry", "migration", "seeds"].map(String::from).to_vec();
    missing.extend(crate::util::domains().iter().map(|d| format!("crates/{}", d.name)));
    missing.retain(|dir| !covered.contains(&dir.as_str()));
    assert!(missing.is_empty(), "the fingerprint misses {missing:?}; it covers {covered:?}");
}

/// `cargo tree` of `seedbed-fixtures`' normal dependencies, `args` added, one package a line.
fn fixtures_tree(args: &[&str]) -> Vec<String> {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-p", "seedbed-fixtures", "-e", "normal", "--prefix", "none"])
        .args(args)
        .current_dir(workspace)
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo tree failed\n{}", crate::util::show(&out));
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A service's test suite that depends on `seedbed-fixtures` must not build the command line:
/// neither the `seedbed` crate nor clap or indicatif are in its dependency tree, and dotenvy
/// only as the database drivers' own dependency (sqlx-postgres and sqlx-mysql 0.9 depend on
/// it unconditionally), never through a seedbed crate.
#[test]
fn the_fixtures_depend_on_nothing_of_the_command_line() {
    let tree = fixtures_tree(&[]);
    assert!(tree.iter().any(|p| p == "seedbed-registry"), "{tree:?}");
    let cli: Vec<&String> =
        tree.iter().filter(|p| ["seedbed", "clap", "indicatif"].contains(&p.as_str())).collect();
    assert!(cli.is_empty(), "seedbed-fixtures pulls in the command line's {cli:?}:\n{tree:?}");
    if tree.iter().any(|p| p == "dotenvy") {
        let mut through = fixtures_tree(&["-i", "dotenvy", "--depth", "1"]);
        through.retain(|p| p != "dotenvy");
        through.retain(|p| !["sqlx-mysql", "sqlx-postgres"].contains(&p.as_str()));
        assert!(
            through.is_empty(),
            "dotenvy reaches seedbed-fixtures through {through:?}, not only the drivers"
        );
    }
}

backend_tests!(a_dropped_fixture_leaves_nothing_behind);
async fn a_dropped_fixture_leaves_nothing_behind(backend: Backend) {
    let db = Fixture::new(Domain::Booking).url(&url(backend)).acquire().await.unwrap();
    let location = db.location();
    assert!(location.namespace_exists("booking").await.unwrap());
    drop(db);
    let gone = !location.namespace_exists("booking").await.unwrap_or(false);
    assert!(gone, "the fixture's database outlived its handle: {}", location.describe("booking"));

    let kept = Fixture::new(Domain::Booking).url(&url(backend)).keep(true).acquire().await.unwrap();
    let location = kept.location();
    drop(kept);
    assert!(location.namespace_exists("booking").await.unwrap(), "keep(true) did not keep the database");
    // Clean up by hand what `keep` kept.
    let bare = location.clone().with_prefix("").unwrap();
    match backend {
        Backend::Postgres => {
            let admin = seedbed_core::Target::parse(&url(backend)).unwrap();
            let db = admin.connect("public").await.unwrap();
            let name = location.server_database().unwrap();
            sea_orm::ConnectionTrait::execute_unprepared(
                &db,
                &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
            )
            .await
            .unwrap();
        }
        Backend::MySql => bare.drop_namespace(&location.namespace("booking")).await.unwrap(),
        Backend::Sqlite => std::fs::remove_dir_all(location.sqlite_dir_path().unwrap()).unwrap(),
    }
}

backend_tests!(concurrent_acquisitions_build_the_template_once);
/// 16 acquisitions at once in this process, and 8 more in another process, of a template
/// that does not exist yet: one of them builds it, all of them get their own clone.
async fn concurrent_acquisitions_build_the_template_once(backend: Backend) {
    let seed = fresh_seed();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fixtures::child_acquisitions", "--ignored", "--nocapture", "--test-threads", "1"])
        .env("SEEDBED_FIXTURE_CHILD", format!("{}|{seed}", url(backend)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let acquisitions = (0..16).map(|_| async move {
        Fixture::new(Domain::Draw).url(&url(backend)).seed(seed).acquire().await.unwrap()
    });
    let fixtures = futures_join(acquisitions).await;
    let mut urls: Vec<String> = fixtures.iter().map(|f| f.url()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 16, "two acquisitions shared a database");
    let out = {
        let mut stdout = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        assert!(child.wait().unwrap().success(), "the other process failed:\n{stdout}");
        stdout
    };
    let child_built: usize = out
        .lines()
        .find_map(|l| l.split("templates built: ").nth(1))
        .unwrap_or_else(|| panic!("the other process did not report:\n{out}"))
        .trim()
        .parse()
        .unwrap();
    let here = seedbed_fixtures::templates_built(seed);
    assert_eq!(
        here + child_built,
        1,
        "the template was built {here} time(s) here and {child_built} in the other process"
    );
    drop(fixtures);
    Fixture::new(Domain::Draw).url(&url(backend)).seed(seed).forget_template().await.unwrap();
}

/// The other process of the test above; runs only when it asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by concurrent_acquisitions_build_the_template_once"]
async fn child_acquisitions() {
    let Ok(spec) = std::env::var("SEEDBED_FIXTURE_CHILD") else { return };
    let (url, seed) = spec.rsplit_once('|').unwrap();
    let seed: u64 = seed.parse().unwrap();
    let acquisitions = (0..8).map(|_| {
        let url = url.to_owned();
        async move { Fixture::new(Domain::Draw).url(&url).seed(seed).acquire().await.unwrap() }
    });
    let fixtures = futures_join(acquisitions).await;
    assert_eq!(fixtures.len(), 8);
    println!("templates built: {}", seedbed_fixtures::templates_built(seed));
}

/// Runs futures concurrently on the test's runtime and collects their outputs in order.
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_well_known_rows_are_there() {
    let db = Fixture::new(Domain::Raffle)
        .and(Domain::Draw)
        .and(Domain::Booking)
        .profile(Profile::Tiny)
        .url(&url(Backend::Sqlite))
        .acquire()
        .await
        .unwrap();
    let known = db.known();
    let (raffle, winner) = known.completed_raffle().await.unwrap();
    assert_eq!(raffle.winner_id, Some(winner.id));
    assert!(known.open_raffle().await.is_ok());
    let (draw, won) = known.finished_draw().await.unwrap();
    assert_eq!(draw.winner_id.as_deref(), Some(won.user_id.as_str()));
    let (booking, payment) = known.completed_booking().await.unwrap();
    assert_eq!((payment.booking_id, payment.amount), (booking.id, booking.price));
    assert_eq!(known.raffle_customer().await.unwrap().email, "customer@raffle.example.com");
    assert_eq!(db.accounts().len(), 9);
}

backend_tests!(two_builds_share_a_server);
/// Two builds of different code (two checkouts, or a developer and a CI runner, on one
/// server) alternate acquisitions and sweeps, each in its own process with the templates'
/// unused age set to 0 so that every sweep may remove what nobody alive uses. Both keep
/// passing; a template or copy of a live process survives the other's sweep; those of a
/// process killed with SIGKILL go with the next sweep; a finished process leaves no copies.
async fn two_builds_share_a_server(backend: Backend) {
    let seed = fresh_seed();
    // First hex digits >= 8: the old advisory key overflowed for these and fell back to 0.
    let (a, b) = (format!("{:016x}", 0x8000_0000_0000_0000u64 | seed), format!("f{seed:015x}"));
    let names = |token: &str| existing(backend, format!("sbfx_{token}"));

    // A runs, B runs: B's sweep takes A's template, which nobody alive uses.
    let a1 = BuildChild::run(backend, &a, seed, "once");
    assert_eq!(a1.built, 1, "{a1:?}");
    assert!(
        names(&a1.token).await.is_empty(),
        "A's copies outlived a finished run: {:?}",
        names(&a1.token).await
    );
    assert_eq!(
        existing(backend, a1.template.clone()).await,
        std::slice::from_ref(&a1.template),
        "A's template after A"
    );
    let b1 = BuildChild::run(backend, &b, seed, "once");
    assert_eq!(b1.built, 1, "{b1:?}");
    assert!(existing(backend, a1.template.clone()).await.is_empty(), "B's sweep left A's unused template");

    // A again, and it stays: its template is rebuilt (never copied half-made), and it sweeps B's.
    let mut a2 = BuildChild::hold(backend, &a, seed);
    assert_eq!((a2.report.built, &a2.report.template), (1, &a1.template), "{:?}", a2.report);
    assert!(existing(backend, b1.template.clone()).await.is_empty(), "A's sweep left B's unused template");
    // On a server, A also makes two spare copies in the background, which nobody is connected
    // to: wait for them, so that only A's liveness can keep them.
    let wanted = if backend == Backend::Sqlite { 1 } else { 3 };
    let mut held = names(&a2.report.token).await;
    for _ in 0..600 {
        if held.len() >= wanted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        held = names(&a2.report.token).await;
    }
    assert!(held.len() >= wanted, "A holds {held:?}, not its copy and spares");

    // B runs while A lives: A's template and copies survive B's sweep, and A keeps working.
    let b2 = BuildChild::run(backend, &b, seed, "once");
    assert_eq!(b2.built, 1, "{b2:?}");
    assert_eq!(
        existing(backend, a1.template.clone()).await,
        std::slice::from_ref(&a1.template),
        "B swept a live build's template"
    );
    let survived = names(&a2.report.token).await;
    assert!(
        held.iter().all(|n| survived.contains(n)),
        "B swept a live process's copies: {held:?} -> {survived:?}"
    );
    let again = a2.again();
    assert_eq!(again.built, 1, "A rebuilt its template although it was in use: {again:?}");

    // A is killed: the next sweep removes its copies and its template. (A statement the
    // server was running for A, such as a spare copy, finishes first: wait for it.)
    a2.kill();
    server_finished_for(backend, &a2.report.token).await;
    let b3 = BuildChild::run(backend, &b, seed, "forget");
    let left = names(&a2.report.token).await;
    assert!(left.is_empty(), "copies of a killed process survived a sweep: {left:?}");
    assert!(
        existing(backend, a1.template.clone()).await.is_empty(),
        "the template of a killed process survived a sweep"
    );
    assert!(existing(backend, b3.template.clone()).await.is_empty(), "B did not forget its template");
}

/// Waits until the server runs no statement for the process with `token` (PostgreSQL names
/// the fixtures' sessions after it), at most 60 s.
async fn server_finished_for(backend: Backend, token: &str) {
    use sea_orm::sqlx::{Connection as _, Row as _};
    if backend != Backend::Postgres {
        return;
    }
    let mut c = sea_orm::sqlx::PgConnection::connect(&url(backend)).await.unwrap();
    for _ in 0..600 {
        let busy: i64 =
            sea_orm::sqlx::query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
                .bind(format!("seedbed-fixtures {token}"))
                .fetch_one(&mut c)
                .await
                .unwrap()
                .get(0);
        if busy == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server still runs statements for the killed process {token} after 60 s");
}

/// What a build child printed.
#[derive(Debug, Default)]
struct Report {
    token: String,
    template: String,
    built: usize,
}

impl Report {
    fn read(lines: &mut impl Iterator<Item = String>, until: Option<&str>, out: &mut String) -> Report {
        let mut r = Report::default();
        for line in lines {
            out.push_str(&line);
            out.push('\n');
            if Some(line.as_str()) == until {
                break;
            }
            // libtest prints "test fixtures::build_child ... " before the child's first line.
            let line = line.rsplit_once(" ... ").map_or(line.as_str(), |(_, rest)| rest);
            if let Some((k, v)) = line.split_once(": ") {
                match k {
                    "token" => r.token = v.to_owned(),
                    "template" => r.template = v.to_owned(),
                    "built" => r.built = v.parse().unwrap(),
                    _ => {}
                }
            }
        }
        assert!(!r.token.is_empty() && !r.template.is_empty(), "the build child did not report:\n{out}");
        r
    }
}

/// Another process of this test binary running `build_child` as a build of code `fingerprint`.
struct BuildChild {
    process: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    report: Report,
    out: String,
}

impl BuildChild {
    fn spawn(backend: Backend, fingerprint: &str, seed: u64, mode: &str) -> BuildChild {
        let mut process = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "fixtures::build_child", "--ignored", "--nocapture", "--test-threads", "1"])
            .env("SEEDBED_FIXTURE_BUILD_CHILD", format!("{}|{seed}|{mode}", url(backend)))
            .env(seedbed_fixtures::FINGERPRINT_ENV, fingerprint)
            .env(seedbed_fixtures::TTL_ENV, "0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap();
        let lines = std::io::BufRead::lines(std::io::BufReader::new(process.stdout.take().unwrap()));
        BuildChild { process, lines, report: Report::default(), out: String::new() }
    }

    /// Runs a child to its end; it must succeed.
    fn run(backend: Backend, fingerprint: &str, seed: u64, mode: &str) -> Report {
        let mut child = Self::spawn(backend, fingerprint, seed, mode);
        let mut lines = child.lines.by_ref().map_while(Result::ok);
        let report = Report::read(&mut lines, None, &mut child.out);
        let status = child.process.wait().unwrap();
        assert!(status.success(), "the build child ({mode}, {fingerprint}) failed:\n{}", child.out);
        report
    }

    /// Starts a child that acquires a fixture and holds it until told.
    fn hold(backend: Backend, fingerprint: &str, seed: u64) -> BuildChild {
        let mut child = Self::spawn(backend, fingerprint, seed, "hold");
        let mut lines = child.lines.by_ref().map_while(Result::ok);
        child.report = Report::read(&mut lines, Some("ready"), &mut child.out);
        child
    }

    /// Has the holding child acquire again and check the fixture it holds.
    fn again(&mut self) -> Report {
        use std::io::Write;
        writeln!(self.process.stdin.as_mut().unwrap(), "again").unwrap();
        let mut lines = self.lines.by_ref().map_while(Result::ok);
        Report::read(&mut lines, Some("ready"), &mut self.out)
    }

    fn kill(&mut self) {
        self.process.kill().unwrap(); // SIGKILL
        self.process.wait().unwrap();
    }
}

impl Drop for BuildChild {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The other process of `two_builds_share_a_server`; runs only when it asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by two_builds_share_a_server"]
async fn build_child() {
    let Ok(spec) = std::env::var("SEEDBED_FIXTURE_BUILD_CHILD") else { return };
    let mut parts = spec.split('|');
    let (url, seed, mode) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let seed: u64 = seed.parse().unwrap();
    println!("token: {}", seedbed_fixtures::process_token());
    let db = acquire_and_check(url, seed).await;
    println!("template: {}", db.template_name());
    println!("built: {}", seedbed_fixtures::templates_built(seed));
    match mode {
        "hold" => {
            println!("ready");
            for line in std::io::stdin().lines() {
                if line.unwrap() == "again" {
                    drop(acquire_and_check(url, seed).await);
                    let (draw, _) = db.known().finished_draw().await.expect("the held fixture still answers");
                    assert!(draw.winner_id.is_some());
                    println!("token: {}", seedbed_fixtures::process_token());
                    println!("template: {}", db.template_name());
                    println!("built: {}", seedbed_fixtures::templates_built(seed));
                    println!("ready");
                }
            }
        }
        "forget" => {
            drop(db);
            Fixture::new(Domain::Draw).url(url).seed(seed).forget_template().await.unwrap();
        }
        _ => {}
    }
}

async fn acquire_and_check(url: &str, seed: u64) -> seedbed_fixtures::Db {
    let db = Fixture::new(Domain::Draw).url(url).seed(seed).acquire().await.unwrap();
    let (draw, winner) = db.known().finished_draw().await.unwrap();
    assert_eq!(draw.winner_id.as_deref(), Some(winner.user_id.as_str()));
    db
}

/// The databases (SQLite: directories) whose names start with `start`, on `backend`'s
/// fixtures server or directory (templates included).
async fn existing(backend: Backend, start: String) -> Vec<String> {
    let start = start.as_str();
    use sea_orm::sqlx::{Connection as _, Row as _};
    let like = format!("{}%", start.replace('_', "\\_"));
    let mut names: Vec<String> = match backend {
        Backend::Sqlite => {
            let dir =
                seedbed_core::Target::parse(&url(backend)).unwrap().sqlite_dir_path().unwrap().to_owned();
            [dir.clone(), dir.join("templates")]
                .iter()
                .flat_map(|d| std::fs::read_dir(d).into_iter().flatten().flatten())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with(start))
                .collect()
        }
        Backend::Postgres => {
            let mut c = sea_orm::sqlx::PgConnection::connect(&url(backend)).await.unwrap();
            let rows = sea_orm::sqlx::query("SELECT datname::text FROM pg_database WHERE datname LIKE $1")
                .bind(&like)
                .fetch_all(&mut c)
                .await
                .unwrap();
            rows.iter().map(|r| r.get(0)).collect()
        }
        Backend::MySql => {
            let mut c = sea_orm::sqlx::MySqlConnection::connect(&url(backend)).await.unwrap();
            let rows = sea_orm::sqlx::query(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
            )
            .bind(&like)
            .fetch_all(&mut c)
            .await
            .unwrap();
            rows.iter().map(|r| r.get(0)).collect()
        }
    };
    names.sort();
    // A MariaDB template is one database per domain: report it once, by its name.
    if backend == Backend::MySql {
        for n in &mut names {
            if n.starts_with("sbtpl_") {
                n.truncate(22);
            }
        }
        names.dedup();
    }
    names
}

/// A template removed behind a running process's back (by hand, or by a sweep of a process
/// that could not see it) is rebuilt by the next acquisition, which never copies what is
/// left. SQLite only: on a server, the process's ready spares would serve the next
/// acquisition without touching the template.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_removed_by_hand_is_rebuilt_not_copied() {
    let seed = fresh_seed();
    let fixture = || Fixture::new(Domain::Draw).url(&url(Backend::Sqlite)).seed(seed);
    let first = fixture().acquire().await.unwrap();
    let template = seedbed_core::Target::parse(&url(Backend::Sqlite))
        .unwrap()
        .sqlite_dir_path()
        .unwrap()
        .join("templates")
        .join(first.template_name());
    drop(first);
    // Half of it goes: the domain's file, the marker stays.
    std::fs::remove_file(template.join("draw.sqlite3")).unwrap();
    let again = fixture().acquire().await.unwrap();
    assert_eq!(seedbed_fixtures::templates_built(seed), 2, "the template was not rebuilt");
    assert!(again.known().finished_draw().await.is_ok(), "the rebuilt fixture lacks its data");
    drop(again);
    fixture().forget_template().await.unwrap();
}

/// Twelve lowercase hex digits, as a fixtures process token is, of nobody alive.
fn foreign_token(salt: u64) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(salt);
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// On a Galera cluster (`nodes`; written through the first, swept through the last): copies of
/// two "foreign" processes, whose liveness locks this node cannot see (held on another node),
/// live as their heartbeat rows say. (On one MariaDB server the lock alone decides.)
/// The one with a fresh heartbeat survives a sweep; the one with a stale heartbeat is removed.
pub async fn a_foreign_copy_lives_exactly_as_long_as_its_heartbeat(nodes: &[String]) {
    use sea_orm::sqlx::{Connection as _, Row as _};
    let (fresh, stale) = (foreign_token(1), foreign_token(2));
    let (fresh_copy, stale_copy) = (format!("sbfx_{fresh}_0"), format!("sbfx_{stale}_0"));
    let mut c = sea_orm::sqlx::MySqlConnection::connect(&nodes[0]).await.unwrap();
    // What a foreign holder writes: its heartbeat rows first, then its copies.
    for sql in [
        "CREATE DATABASE IF NOT EXISTS `sbfx_live` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin".to_owned(),
        "CREATE TABLE IF NOT EXISTS `sbfx_live`.`holders` (token VARCHAR(32) NOT NULL PRIMARY KEY, \
         host VARCHAR(255) NOT NULL, pid BIGINT NOT NULL, beat_at DATETIME(6) NOT NULL) ENGINE=InnoDB"
            .to_owned(),
        format!(
            "INSERT INTO `sbfx_live`.`holders` VALUES ('{fresh}', 'seedbed-fixtures on elsewhere pid 7', 7, UTC_TIMESTAMP(6))"
        ),
        format!(
            "INSERT INTO `sbfx_live`.`holders` VALUES ('{stale}', 'seedbed-fixtures on elsewhere pid 8', 8, \
             DATE_SUB(UTC_TIMESTAMP(6), INTERVAL 1 HOUR))"
        ),
        format!("CREATE DATABASE `{fresh_copy}`"),
        format!("CREATE DATABASE `{stale_copy}`"),
    ] {
        sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
    }
    let sweeper = nodes.last().unwrap();
    let removed = seedbed_fixtures::sweep(sweeper).await.expect("a sweep");
    let mut s = sea_orm::sqlx::MySqlConnection::connect(sweeper).await.unwrap();
    let exists = async |s: &mut sea_orm::sqlx::MySqlConnection, name: &str| {
        let n: i64 =
            sea_orm::sqlx::query("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
                .bind(name)
                .fetch_one(s)
                .await
                .unwrap()
                .get(0);
        n > 0
    };
    let (fresh_left, stale_left) = (exists(&mut s, &fresh_copy).await, exists(&mut s, &stale_copy).await);
    // Tidy up before judging, so that a failure leaves nothing for the next run.
    for sql in [
        format!("DROP DATABASE IF EXISTS `{fresh_copy}`"),
        format!("DROP DATABASE IF EXISTS `{stale_copy}`"),
        format!("DELETE FROM `sbfx_live`.`holders` WHERE token IN ('{fresh}', '{stale}')"),
    ] {
        let _ = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
    }
    assert!(
        fresh_left && !stale_left,
        "want the copy of the holder with a fresh heartbeat kept ({fresh_copy}: {}) and the stale one's removed \
         ({stale_copy}: {}); the sweep through {} removed {removed:?}",
        if fresh_left { "kept" } else { "REMOVED" },
        if stale_left { "KEPT" } else { "removed" },
        sweeper.rsplit('@').next().unwrap_or_default()
    );
}
