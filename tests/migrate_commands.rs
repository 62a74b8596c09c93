//! The migrate commands of seed 004 that seedbed lacked (issue 17, items 3 and 4), on every
//! backend: production needs --confirm to write and reads accept --env; `up --with-backup`;
//! `info`; `log`; `rehearse`; the JSON reports; the start-up migrators with replicas starting
//! together; and the migration crate's own binary, which waits for the domain's lock.

use std::process::{Command, Output};
use std::time::Duration;

use sea_orm::ConnectionTrait;
use seedbed_core::Backend;
use seedbed_migration::{HISTORY_TABLE, State};

use crate::util::{TestDb, assert_success, backend_tests, domains, run, show};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Asserts a refusal: the exit code, one line on stderr naming `needle`.
fn assert_refused(out: &Output, code: i32, needle: &str) {
    assert_eq!(out.status.code(), Some(code), "wrong exit code\n{}", show(out));
    assert_eq!(stderr(out).trim_end().lines().count(), 1, "the error must be one line\n{}", show(out));
    assert!(stderr(out).contains(needle), "the error must mention {needle:?}\n{}", show(out));
}

/// Parses stdout as the one JSON document a `--format json` run prints.
fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document: {e}\n{}", show(out)))
}

fn domain(name: &str) -> &'static seedbed::Domain {
    domains().iter().find(|d| d.name == name).expect("a registered domain")
}

/// The versions the history holds, oldest first.
async fn applied(t: &TestDb, name: &str) -> Vec<String> {
    let db = t.connect(name).await;
    let status = (domain(name).migrator)().status(&db).await.expect("a readable history");
    status.into_iter().filter(|s| matches!(s.state, State::Applied { .. })).map(|s| s.version).collect()
}

/// A directory of the test's own, removed when the value is dropped.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(t: &TestDb) -> Dir {
        let dir = std::env::temp_dir().join(format!("seedbed-{}files", t.prefix()));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

backend_tests!(production_needs_confirm_to_write_and_reading_commands_accept_env);
async fn production_needs_confirm_to_write_and_reading_commands_accept_env(backend: Backend) {
    let t = TestDb::new(backend).await;
    let refused = "--env (or SEEDBED_ENV) is production";
    assert_refused(&t.seedbed(&["migrate", "up", "--domain", "draw", "--env", "production"]), 2, refused);
    let mut by_env = t.command(&["migrate", "up", "--domain", "draw"]);
    by_env.env("SEEDBED_ENV", "production");
    assert_refused(&run(by_env), 2, refused);
    assert!(applied(&t, "draw").await.is_empty(), "a refused up applied migrations");

    let out = t.seedbed(&["migrate", "up", "--domain", "draw", "--env", "production", "--confirm"]);
    assert_success(&out);
    let versions = (domain("draw").migrator)().versions();
    assert_eq!(applied(&t, "draw").await, versions, "up --confirm in production\n{}", show(&out));

    for read in [
        &["migrate", "status"][..],
        &["migrate", "verify"],
        &["migrate", "drift"],
        &["migrate", "log"],
        &["migrate", "info", &versions[0]],
    ] {
        let mut cmd = t.command(read);
        cmd.args(["--domain", "draw", "--env", "production"]);
        assert_success(&run(cmd));
    }
    assert_refused(&t.seedbed(&["migrate", "repair", "--domain", "draw", "--env", "production"]), 2, refused);
    assert_refused(
        &t.seedbed(&["migrate", "down", "--domain", "draw", "--env", "production"]),
        2,
        "--confirm",
    );
    assert_eq!(applied(&t, "draw").await, versions, "a refused command changed the history");
}

backend_tests!(json_reports_have_the_documented_shape);
async fn json_reports_have_the_documented_shape(backend: Backend) {
    let t = TestDb::new(backend).await;
    let draw = (domain("draw").migrator)();
    assert_success(&t.seedbed(&["migrate", "up", "-n", "1", "--domain", "draw"]));
    let out = t.seedbed(&["migrate", "status", "--domain", "draw", "--format", "json"]);
    assert_success(&out);
    let doc = json(&out);
    assert_eq!(doc["command"], "migrate status", "{doc:#}");
    assert_eq!(doc["backend"], backend.key(), "{doc:#}");
    let d = &doc["domains"][0];
    assert_eq!((d["domain"].as_str(), d["exists"].as_bool()), (Some("draw"), Some(true)), "{doc:#}");
    assert_eq!(
        (d["applied"].as_u64(), d["pending"].as_u64()),
        (Some(1), Some(draw.versions().len() as u64 - 1))
    );
    let first = &d["migrations"][0];
    assert_eq!(first["version"], draw.versions()[0].as_str(), "{doc:#}");
    assert_eq!(first["state"], "applied", "{doc:#}");
    assert_eq!(first["checksum"], draw.migrations()[0].checksum(), "{doc:#}");
    assert!(first["applied_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{doc:#}");
    assert!(first["execution_ms"].is_u64(), "{doc:#}");
    assert_eq!(d["migrations"][1]["state"], "pending", "{doc:#}");
    assert!(d["migrations"][1]["applied_at"].is_null(), "{doc:#}");

    // A domain not created yet: every migration pending, nothing created.
    let out = t.seedbed(&["migrate", "status", "--domain", "booking", "--format", "json"]);
    assert_eq!(json(&out)["domains"][0]["exists"], false, "{}", show(&out));

    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let out = t.seedbed(&["migrate", "verify", "--domain", "draw", "--format", "json"]);
    assert_success(&out);
    assert_eq!(json(&out)["ok"], true, "{}", show(&out));
    let out = t.seedbed(&["migrate", "drift", "--domain", "draw", "--format", "json"]);
    assert_success(&out);
    let doc = json(&out);
    assert_eq!((doc["ok"].as_bool(), doc["domains"][0]["drifted"].as_bool()), (Some(true), Some(false)));

    // Problems: still one JSON document on stdout, one line on stderr, exit 4.
    let db = t.connect("draw").await;
    db.execute_unprepared(&format!(
        "UPDATE {HISTORY_TABLE} SET checksum = '0123456789abcdef' WHERE version = '{}'",
        draw.versions()[0]
    ))
    .await
    .unwrap();
    db.execute_unprepared("CREATE TABLE by_hand (id INTEGER PRIMARY KEY)").await.unwrap();
    let out = t.seedbed(&["migrate", "verify", "--domain", "draw", "--format", "json"]);
    assert_refused(&out, 4, "1 problem(s)");
    let doc = json(&out);
    let finding = &doc["domains"][0]["findings"][0];
    assert_eq!(
        (doc["ok"].as_bool(), finding["kind"].as_str()),
        (Some(false), Some("checksum_differs")),
        "{doc:#}"
    );
    assert_eq!(finding["version"], draw.versions()[0].as_str(), "{doc:#}");
    assert!(finding["message"].as_str().unwrap().contains("repair --update-checksums"), "{doc:#}");
    let out = t.seedbed(&["migrate", "drift", "--domain", "draw", "--format", "json"]);
    assert_refused(&out, 4, "differs from its migrations");
    let doc = json(&out);
    let differences = doc["domains"][0]["differences"].as_array().unwrap();
    assert!(differences.iter().any(|d| d.as_str().unwrap().contains("by_hand")), "{doc:#}");
    db.execute_unprepared("DROP TABLE by_hand").await.unwrap();

    // check and digest: the data commands.
    assert_success(&t.seedbed(&["seed", "--profile", "tiny", "--domain", "draw"]));
    let out = t.seedbed(&["check", "--domain", "draw", "--format", "json"]);
    assert_success(&out);
    let doc = json(&out);
    let checks = doc["domains"][0]["checks"].as_array().unwrap();
    assert!(doc["ok"] == true && !checks.is_empty(), "{doc:#}");
    assert!(
        checks.iter().all(|c| c["ok"] == true && c["violations"] == 0 && c["rule"].is_string()),
        "{doc:#}"
    );
    let text = t.seedbed(&["digest", "--domain", "draw"]);
    let out = t.seedbed(&["digest", "--domain", "draw", "--format", "json"]);
    let digest = json(&out)["domains"][0]["digest"].as_str().unwrap().to_owned();
    assert_eq!(stdout(&text).split_whitespace().next(), Some(digest.as_str()), "{}", show(&out));
    // A broken rule: the report says which, and the exit code says so.
    db.execute_unprepared("UPDATE users SET coins = coins + 1 WHERE id = 'seed|player'").await.unwrap();
    let out = t.seedbed(&["check", "--domain", "draw", "--format", "json"]);
    assert_refused(&out, 5, "integrity checks failed in draw");
    let doc = json(&out);
    let failed: Vec<&serde_json::Value> =
        doc["domains"][0]["checks"].as_array().unwrap().iter().filter(|c| c["ok"] == false).collect();
    assert!(doc["ok"] == false && !failed.is_empty(), "{doc:#}");
    assert!(failed.iter().all(|c| c["violations"].as_u64() > Some(0) && c["sample"].is_array()), "{doc:#}");
}

backend_tests!(info_shows_source_checksum_status_and_sql_and_log_lists_newest_first);
async fn info_shows_source_checksum_status_and_sql_and_log_lists_newest_first(backend: Backend) {
    let t = TestDb::new(backend).await;
    let raffle = (domain("raffle").migrator)();
    let first = raffle.versions()[0].clone();
    // The SQL info shows for a migration is what a dry run of it prints.
    let dry = t.seedbed(&["migrate", "up", "-n", "1", "--dry-run", "--domain", "raffle"]);
    assert_success(&dry);
    let info = t.seedbed(&["migrate", "info", &first]);
    assert_success(&info);
    let text = stdout(&info);
    let sql_of = |s: &str| s.lines().filter(|l| l.ends_with(';')).map(str::to_owned).collect::<Vec<_>>();
    let up_part = text.split(&format!("-- down of {first}")).next().unwrap();
    assert!(!sql_of(up_part).is_empty(), "no SQL\n{}", show(&info));
    assert_eq!(sql_of(up_part), sql_of(&stdout(&dry)), "info's SQL is not the dry run's\n{}", show(&info));
    assert!(text.contains("status     pending"), "{}", show(&info));
    let source =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../migration/src/raffle/{first}.rs"));
    assert!(text.contains(&format!("source     migration/src/raffle/{first}.rs")), "{}", show(&info));
    let code = std::fs::read_to_string(&source).unwrap();
    assert!(
        text.contains(&seedbed_migration::checksum(&code)),
        "the checksum is not the file's\n{}",
        show(&info)
    );
    assert!(!t.target.namespace_exists("raffle").await.unwrap(), "info created the namespace");

    assert_success(&t.seedbed(&["migrate", "up", "--domain", "raffle"]));
    let info = t.seedbed(&["migrate", "info", &first, "--domain", "raffle"]);
    assert!(
        stdout(&info).contains("status     applied at") && stdout(&info).contains(" ms"),
        "{}",
        show(&info)
    );

    // log: newest first, failures with their error.
    let db = t.connect("raffle").await;
    db.execute_unprepared(&format!(
        "INSERT INTO {HISTORY_TABLE} (version, name, applied_at, execution_ms, checksum, outcome, error) \
         VALUES ('m20000101_000000_long_ago', 'long_ago', '2000-01-01 00:00:00', 7, 'abc', 'failed', 'boom: it broke')"
    ))
    .await
    .unwrap();
    let log = t.seedbed(&["migrate", "log", "--domain", "raffle"]);
    assert_success(&log);
    let lines: Vec<String> = stdout(&log).lines().skip(1).map(str::to_owned).collect();
    let mut expected: Vec<String> = raffle.versions().into_iter().rev().collect();
    expected.push("m20000101_000000_long_ago".into());
    let listed: Vec<&str> = lines.iter().filter_map(|l| l.split_whitespace().nth(6)).collect();
    assert_eq!(listed, expected, "not newest first\n{}", show(&log));
    let failed = lines.last().unwrap();
    assert!(
        failed.contains("FAILED") && failed.contains("7 ms") && failed.contains("error: boom: it broke"),
        "{failed}"
    );
}

backend_tests!(up_with_backup_backs_up_first_and_a_failure_names_the_restore);
async fn up_with_backup_backs_up_first_and_a_failure_names_the_restore(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = Dir::new(&t);
    let raffle = (domain("raffle").migrator)();
    let n = raffle.versions().len();
    assert_success(&t.seedbed(&["migrate", "up", "-n", &(n - 1).to_string(), "--domain", "raffle"]));
    // The last migration creates this view: a table of that name makes it fail.
    let db = t.connect("raffle").await;
    db.execute_unprepared("CREATE TABLE seller_performance (id INTEGER PRIMARY KEY)").await.unwrap();
    db.execute_unprepared("INSERT INTO seller_performance (id) VALUES (42)").await.unwrap();
    let out = t.seedbed(&[
        "migrate",
        "up",
        "--with-backup",
        "--backup-dir",
        dir.0.to_str().unwrap(),
        "--domain",
        "raffle",
    ]);
    assert_refused(&out, 4, "to get back to where it was, run `seedbed restore --domain raffle -i ");
    let file = stdout(&out)
        .lines()
        .find_map(|l| {
            l.strip_prefix("raffle: backed up to ").and_then(|l| l.strip_suffix(" before migrating"))
        })
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("no backup path printed\n{}", show(&out)));
    assert!(file.is_file() && stderr(&out).contains(&file.display().to_string()), "{}", show(&out));

    // The command it names brings the domain back to where it was, whatever the failure left.
    let restore = t.seedbed(&["restore", "--domain", "raffle", "-i", file.to_str().unwrap()]);
    assert_success(&restore);
    assert_eq!(applied(&t, "raffle").await, raffle.versions()[..n - 1].to_vec(), "{}", show(&restore));
    let db = t.connect("raffle").await;
    let history = raffle.history(&db).await.unwrap();
    assert!(history.iter().all(|r| r.error.is_none()), "the restored history holds a failure: {history:?}");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM seller_performance",
        ))
        .await
        .unwrap();
    assert_eq!(row.map(|r| r.try_get_by_index::<i32>(0).unwrap()), Some(42));

    // Success: the backup holds the domain as it was before the migrations.
    let out = t.seedbed(&["migrate", "up", "-n", "1", "--domain", "draw"]);
    assert_success(&out);
    let out = t.seedbed(&[
        "migrate",
        "up",
        "--with-backup",
        "--backup-dir",
        dir.0.to_str().unwrap(),
        "--domain",
        "draw",
    ]);
    assert_success(&out);
    let file = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("draw: backed up to ").and_then(|l| l.strip_suffix(" before migrating")))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("no backup path printed\n{}", show(&out)));
    let draw = (domain("draw").migrator)();
    assert_eq!(applied(&t, "draw").await, draw.versions());
    assert_success(&t.seedbed(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()]));
    assert_eq!(applied(&t, "draw").await, draw.versions()[..1].to_vec(), "the backup was not taken first");
    // Nothing pending: no backup is taken.
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let out = t.seedbed(&[
        "migrate",
        "up",
        "--with-backup",
        "--backup-dir",
        dir.0.to_str().unwrap(),
        "--domain",
        "draw",
    ]);
    assert!(!stdout(&out).contains("backed up"), "{}", show(&out));
}

backend_tests!(rehearse_runs_the_pending_migrations_on_a_copy_and_drops_it);
async fn rehearse_runs_the_pending_migrations_on_a_copy_and_drops_it(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = Dir::new(&t);
    let draw = (domain("draw").migrator)();
    assert_success(&t.seedbed(&["migrate", "up", "-n", "2", "--domain", "draw"]));
    let file = dir.0.join("draw.backup");
    assert_success(&t.seedbed(&["backup", "--domain", "draw", "-o", file.to_str().unwrap()]));
    let leftovers = || async { t.target.restore_leftovers("draw").await.unwrap() };

    let out =
        t.seedbed(&["migrate", "rehearse", "--domain", "draw", "--from-backup", file.to_str().unwrap()]);
    assert_success(&out);
    let text = stdout(&out);
    for v in &draw.versions()[2..] {
        let line = text
            .lines()
            .find(|l| l.contains(v.as_str()))
            .unwrap_or_else(|| panic!("{v} not rehearsed\n{}", show(&out)));
        assert!(line.trim_start().starts_with("ok") && line.contains(" ms"), "{line}");
        assert!(line.contains("rewrote no table") || line.contains("REWROTE "), "{line}");
    }
    if backend == Backend::Sqlite {
        // Adding draws.category_id with its foreign key rebuilds the table on SQLite.
        assert!(
            text.lines().any(|l| l.contains("draw_categories") && l.contains("REWROTE draws")),
            "{}",
            show(&out)
        );
    }
    assert_eq!(applied(&t, "draw").await, draw.versions()[..2].to_vec(), "the live domain changed");
    assert!(leftovers().await.is_empty(), "the copy was left behind: {:?}", leftovers().await);

    // From a profile: seeded, then the migrations the live domain lacks run on it.
    let out = t.seedbed(&["migrate", "rehearse", "--domain", "draw", "--profile", "tiny"]);
    assert_success(&out);
    assert!(
        stdout(&out).lines().filter(|l| l.trim_start().starts_with("ok")).count()
            == draw.versions().len() - 2,
        "{}",
        show(&out)
    );
    assert!(leftovers().await.is_empty(), "the copy was left behind: {:?}", leftovers().await);

    // A failure: exit 4, the live domain untouched, the copy dropped.
    let db = t.connect("draw").await;
    db.execute_unprepared("CREATE TABLE user_preferences (id INTEGER PRIMARY KEY)").await.unwrap();
    let broken = dir.0.join("broken.backup");
    assert_success(&t.seedbed(&["backup", "--domain", "draw", "-o", broken.to_str().unwrap()]));
    let out =
        t.seedbed(&["migrate", "rehearse", "--domain", "draw", "--from-backup", broken.to_str().unwrap()]);
    assert_refused(&out, 4, "the live domain was not touched");
    assert!(stdout(&out).contains("FAILED  m20250801_000000_user_preferences"), "{}", show(&out));
    assert_eq!(applied(&t, "draw").await, draw.versions()[..2].to_vec(), "the live domain changed");
    assert!(leftovers().await.is_empty(), "the copy was left behind: {:?}", leftovers().await);
}

backend_tests!(replicas_starting_together_apply_each_migration_once);
async fn replicas_starting_together_apply_each_migration_once(backend: Backend) {
    let t = TestDb::new(backend).await;
    for d in domains() {
        // Ten service replicas, each with its own pool, call the start-up migrator at once.
        let mut replicas = Vec::new();
        for _ in 0..10 {
            let db = t.connect(d.name).await;
            let name = d.name;
            replicas.push(tokio::spawn(async move {
                let steps = match name {
                    "raffle" => seedbed_migration::service::raffle::Migrator::up(&db, None).await,
                    "draw" => seedbed_migration::service::draw::Migrator::up(&db, None).await,
                    _ => seedbed_migration::service::booking::Migrator::up(&db, None).await,
                };
                let _ = db.close().await;
                steps
            }));
        }
        let mut applied_by = Vec::new();
        for r in replicas {
            let steps = r.await.unwrap().unwrap_or_else(|e| panic!("{}: a replica failed: {e}", d.name));
            applied_by.extend(steps.into_iter().map(|s| s.version));
        }
        applied_by.sort();
        let mut versions = (d.migrator)().versions();
        versions.sort();
        assert_eq!(applied_by, versions, "{}: each migration must be applied exactly once", d.name);
        let db = t.connect(d.name).await;
        let findings = (d.migrator)().verify(&db).await.unwrap();
        assert!(findings.is_empty(), "{}: {findings:?}", d.name);
        assert_eq!(applied(&t, d.name).await, (d.migrator)().versions(), "{}", d.name);
    }
}

/// The migration crate's binary, pointed at `t`'s namespace of `domain`.
fn migration_cli(t: &TestDb, command: &str, domain: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migration-cli"));
    cmd.env_remove("DATABASE_URL").env_remove("DATABASE_SCHEMA").env_remove("SEEDBED_ENV");
    cmd.args([command, "-u", &t.url(), "-s", &format!("{}{domain}", t.prefix())]);
    cmd
}

/// The draw domain's rows in its `users` table, as the test sees them.
async fn draw_users(t: &TestDb) -> i64 {
    let db = t.connect("draw").await;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM users",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

backend_tests!(the_migration_binary_guards_what_destroys_data_as_seedbed_does_and_runs_it_here);
/// The migration binary refuses, as `seedbed migrate` does, before it connects: a command that
/// destroys data (down, fresh, refresh, reset) off this machine or in production, and `up` in
/// production, unless `--confirm`; `status` reads anywhere. On this machine fresh, refresh and
/// reset do what sea-orm-cli's do, under the domain's lock and into seedbed's history.
async fn the_migration_binary_guards_what_destroys_data_as_seedbed_does_and_runs_it_here(backend: Backend) {
    let t = TestDb::new(backend).await;
    let versions = (domain("draw").migrator)().versions();
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    let seeded = draw_users(&t).await;
    assert!(seeded > 0, "the bootstrap seeded no users");

    // (command, extra arguments, the refusal's words)
    let production = "--env is production";
    let cases: &[(&str, &[&str], &str)] = &[
        ("down", &["--env", "production"], production),
        ("fresh", &["--env", "production"], production),
        ("refresh", &["--env", "Production"], production),
        ("reset", &["--env", "production"], production),
        ("up", &["--env", "production"], "--env (or SEEDBED_ENV) is production"),
    ];
    for (command, extra, needle) in cases {
        let mut cmd = migration_cli(&t, command, "draw");
        cmd.args(*extra);
        assert_refused(&run(cmd), 2, needle);
    }
    let mut by_env = migration_cli(&t, "fresh", "draw");
    by_env.env("SEEDBED_ENV", "production");
    assert_refused(&run(by_env), 2, production);
    let mut status = migration_cli(&t, "status", "draw");
    status.args(["--env", "production"]);
    assert_success(&run(status));
    assert_eq!(applied(&t, "draw").await, versions, "a refused command changed the history");
    assert_eq!(draw_users(&t).await, seeded, "a refused command changed the data");

    if backend != Backend::Sqlite {
        // TEST-NET-1 (RFC 5737): refused by its address alone, before any connection is tried.
        let elsewhere = t.url().replacen("127.0.0.1", "192.0.2.1", 1);
        for command in ["down", "fresh", "refresh", "reset"] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_migration-cli"));
            cmd.env_remove("DATABASE_URL").env_remove("SEEDBED_ENV");
            cmd.args([command, "-u", &elsewhere, "-s", &format!("{}draw", t.prefix())]);
            assert_refused(&run(cmd), 2, "which is not this machine");
        }
    }

    // Here, unconfirmed: fresh empties and remakes, refresh reverts and reapplies, reset reverts.
    assert_success(&run(migration_cli(&t, "fresh", "draw")));
    assert_eq!(applied(&t, "draw").await, versions, "fresh did not apply every migration");
    assert_eq!(draw_users(&t).await, 0, "fresh kept the seeded rows");
    assert_success(&t.seedbed(&["seed", "--profile", "tiny", "--domain", "draw"]));
    assert_success(&run(migration_cli(&t, "refresh", "draw")));
    assert_eq!(applied(&t, "draw").await, versions, "refresh did not reapply every migration");
    assert_eq!(draw_users(&t).await, 0, "refresh kept the seeded rows");
    assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));
    assert_success(&run(migration_cli(&t, "reset", "draw")));
    assert!(applied(&t, "draw").await.is_empty(), "reset left migrations applied");
    let mut confirmed = migration_cli(&t, "up", "draw");
    confirmed.args(["--env", "production", "--confirm"]);
    assert_success(&run(confirmed));
    assert_eq!(applied(&t, "draw").await, versions, "up --confirm in production applied nothing");
}

backend_tests!(the_migration_binary_runs_up_status_and_down_under_the_lock);
async fn the_migration_binary_runs_up_status_and_down_under_the_lock(backend: Backend) {
    let t = TestDb::new(backend).await;
    let draw = (domain("draw").migrator)();
    // While another holds the domain's lock, `up` waits and changes nothing.
    t.connect("draw").await;
    let held = t.target.lock("draw", Duration::ZERO, |_| {}).await.expect("a free lock");
    let mut cmd = migration_cli(&t, "up", "draw");
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(applied(&t, "draw").await.is_empty(), "up ran while the lock was held by another");
    held.release().await;
    let out = child.wait_with_output().unwrap();
    assert_success(&out);
    assert_eq!(applied(&t, "draw").await, draw.versions(), "{}", show(&out));

    let out = run(migration_cli(&t, "status", "draw"));
    assert_success(&out);
    let listed = stdout(&out).lines().filter(|l| l.trim_start().starts_with("applied")).count();
    assert_eq!(listed, draw.versions().len(), "{}", show(&out));

    let out = run(migration_cli(&t, "down", "draw"));
    assert_success(&out);
    let n = draw.versions().len();
    assert_eq!(applied(&t, "draw").await, draw.versions()[..n - 1].to_vec(), "{}", show(&out));
    // The same history as the command line: seedbed's verify trusts it.
    assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));

    // status reads: a namespace not created yet stays uncreated.
    let out = run(migration_cli(&t, "status", "booking"));
    assert_success(&out);
    assert!(stdout(&out).contains("not created yet"), "{}", show(&out));
    assert!(
        !t.target.namespace_exists("booking").await.unwrap(),
        "status created the namespace\n{}",
        show(&out)
    );

    let out = run(migration_cli(&t, "up", "lottery"));
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("names no domain"), "{}", show(&out));
}
