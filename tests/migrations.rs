//! Migrations, on every backend and every domain: each `down` undoes exactly its `up`, a
//! full round trip gives the same schema, a failure leaves no partial state where the
//! engine allows, and `fresh` stays inside its own domain.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use seedbed_core::Backend;
use seedbed_core::introspect::Snapshot;
use seedbed_migration::sea_orm_migration::prelude::*;
use seedbed_migration::{Finding, HISTORY_TABLE, MigrateError, Migration, Migrator, State, checksum};

use crate::util::{TestDb, assert_success, backend_tests, domains, show};

async fn schema(db: &DatabaseConnection) -> Snapshot {
    Snapshot::read(db).await.expect("introspection").without(HISTORY_TABLE)
}

fn assert_same(what: &str, expected: &Snapshot, actual: &Snapshot) {
    let diff = expected.diff(actual);
    assert!(diff.is_empty(), "{what}:\n  {}", diff.join("\n  "));
    assert_eq!(expected, actual, "{what}: snapshots differ in a way diff() does not describe");
}

backend_tests!(each_down_undoes_its_up);
async fn each_down_undoes_its_up(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = t.connect(domain.name).await;
        let migrator = (domain.migrator)();
        let empty = schema(&db).await;
        assert!(
            empty.tables.is_empty(),
            "{}: a new namespace is not empty: {:?}",
            domain.name,
            empty.tables.keys()
        );
        for version in migrator.versions() {
            let before = schema(&db).await;
            migrator.up(&db, Some(1)).await.unwrap();
            let after_up = schema(&db).await;
            assert_ne!(before, after_up, "{}: {version} changed nothing", domain.name);
            migrator.down(&db, 1).await.unwrap();
            assert_same(&format!("{}: down of {version} left", domain.name), &before, &schema(&db).await);
            migrator.up(&db, Some(1)).await.unwrap();
            assert_same(
                &format!("{}: {version} applied twice differs", domain.name),
                &after_up,
                &schema(&db).await,
            );
        }
        let full = schema(&db).await;
        migrator.reset(&db).await.unwrap();
        assert_same(&format!("{}: reset left", domain.name), &empty, &schema(&db).await);
        migrator.up(&db, None).await.unwrap();
        assert_same(&format!("{}: up after reset differs", domain.name), &full, &schema(&db).await);
        let status = migrator.status(&db).await.unwrap();
        assert!(status.iter().all(|s| matches!(s.state, State::Applied { .. })), "{status:?}");
    }
}

/// A migration that creates a table and then fails.
struct HalfDone;

impl MigrationName for HalfDone {
    fn name(&self) -> &str {
        "m29991231_235959_half_done"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for HalfDone {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table("half_done").col(ColumnDef::new("id").integer().primary_key()).to_owned(),
        )
        .await?;
        let conn = m.get_connection();
        conn.execute_raw(Statement::from_string(
            conn.get_database_backend(),
            "INSERT INTO no_such_table VALUES (1)",
        ))
        .await?;
        Ok(())
    }
}

backend_tests!(a_failed_migration_leaves_no_partial_state);
async fn a_failed_migration_leaves_no_partial_state(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = t.migrated(domain).await;
        let before = schema(&db).await;
        let mut migrations = (domain.migrator)().into_migrations();
        migrations.push(Migration::new(HalfDone, "half done"));
        let migrator = Migrator::new(domain.name, migrations);

        let err = migrator.up(&db, None).await.expect_err("the broken migration must fail");
        let message = err.to_string();
        assert!(matches!(err, MigrateError::Failed { .. }), "{message}");
        assert!(message.contains("m29991231_235959_half_done"), "{message}");
        let status = migrator.status(&db).await.unwrap();
        let after = schema(&db).await;
        if backend == Backend::MySql {
            // MariaDB commits DDL at once: the error must say so and name what stayed, the
            // history must record the failure, and nothing may go on until it is repaired.
            assert!(message.contains("commits DDL at once") && message.contains("half_done"), "{message}");
            assert!(message.contains("seedbed migrate repair"), "{message}");
            assert!(after.tables.contains_key("half_done"), "{:?}", after.tables.keys());
            assert!(
                matches!(&status.last().unwrap().state, State::Failed { error, .. } if error.contains("no_such_table")),
                "the failure was not recorded: {status:?}"
            );
            let refused = migrator.up(&db, None).await.expect_err("up must refuse after a failure");
            assert!(matches!(refused, MigrateError::FailedEarlier { .. }), "{refused}");
            assert!(migrator.down(&db, 1).await.is_err(), "down must refuse after a failure");
            let findings = migrator.verify(&db).await.unwrap();
            assert!(
                matches!(findings.as_slice(), [Finding::Failed { version, .. }] if version == "m29991231_235959_half_done"),
                "{findings:?}"
            );
            db.execute_unprepared("DROP TABLE half_done").await.unwrap();
            let repaired = migrator.repair(&db, false).await.unwrap();
            assert_eq!(repaired.cleared, ["m29991231_235959_half_done"]);
            assert_eq!(migrator.status(&db).await.unwrap().last().unwrap().state, State::Pending);
            assert_same(&format!("{}: after the repair", domain.name), &before, &schema(&db).await);
        } else {
            assert_eq!(
                status.last().unwrap().state,
                State::Pending,
                "the failed migration was recorded: {status:?}"
            );
            assert!(message.contains("rolled back and nothing changed"), "{message}");
            assert_same(&format!("{}: after the failed migration", domain.name), &before, &after);
            assert!(migrator.verify(&db).await.unwrap().is_empty());
        }
    }
}

/// Whether two sources get the same checksum.
fn check_checksum(a: &str, b: &str, same: bool) {
    assert_eq!(checksum(a) == checksum(b), same, "{a:?} vs {b:?}");
}

#[test]
fn checksums_see_edits_but_not_line_endings_or_layout() {
    check_checksum("exec(m, \"CREATE TABLE t (id INT)\")", "exec(m, \"CREATE TABLE t (id INT)\")", true);
    check_checksum("a(b);\nc(d);\n", "a(b);\r\nc(d);\r\n", true);
    check_checksum("fn up() {\n    a(b);\n}", "fn up() { a(b); }", true);
    check_checksum("exec(m, \"CREATE TABLE t (id INT)\")", "exec(m, \"CREATE TABLE t (id BIGINT)\")", false);
    check_checksum(
        "one_of(\"status\", &[\"a\", \"b\"])",
        "one_of(\"status\", &[\"a\", \"b\", \"c\"])",
        false,
    );
    // A known value: the same in every build and on every platform.
    assert_eq!(
        checksum("  SELECT\t 1\n"),
        "e004ebd5b5532a4b85984a62f8ad48a81aa3460c1ca07701f386135d72cdecf5"
    );
}

#[test]
fn each_migration_is_checksummed_over_its_own_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migration/src");
    for domain in domains() {
        for m in (domain.migrator)().migrations() {
            let file = root.join(domain.name).join(format!("{}.rs", m.version()));
            let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(m.checksum(), checksum(&source), "{}", file.display());
        }
    }
}

/// A migration whose source the test pretends to edit.
struct Marker;

impl MigrationName for Marker {
    fn name(&self) -> &str {
        "m29991231_235958_marker"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Marker {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table("marker").col(ColumnDef::new("id").integer().primary_key()).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("marker").to_owned()).await
    }
}

fn with_marker(domain: &seedbed_registry::Domain, source: &str) -> Migrator {
    let mut migrations = (domain.migrator)().into_migrations();
    migrations.push(Migration::new(Marker, source));
    Migrator::new(domain.name, migrations)
}

backend_tests!(the_history_records_evidence_and_verify_trusts_only_it);
async fn the_history_records_evidence_and_verify_trusts_only_it(backend: Backend) {
    let t = TestDb::new(backend).await;
    let domain = &domains()[1];
    let db = t.connect(domain.name).await;
    let v1 = with_marker(domain, "create marker (id)");
    v1.up(&db, None).await.unwrap();
    let history = v1.history(&db).await.unwrap();
    assert_eq!(history.len(), v1.versions().len(), "{history:?}");
    for (row, m) in history.iter().zip(v1.migrations()) {
        assert_eq!((row.version.as_str(), row.checksum.as_str()), (m.version(), m.checksum()));
        assert!(row.execution_ms >= 0 && row.error.is_none(), "{row:?}");
    }
    assert!(v1.verify(&db).await.unwrap().is_empty());

    // The same version, edited after it was applied.
    let v2 = with_marker(domain, "create marker (id, name)");
    let findings = v2.verify(&db).await.unwrap();
    assert!(
        matches!(findings.as_slice(), [Finding::ChecksumDiffers { version, .. }] if version == "m29991231_235958_marker"),
        "{findings:?}"
    );
    assert!(v2.status(&db).await.unwrap().last().unwrap().checksum_differs());
    let repaired = v2.repair(&db, true).await.unwrap();
    assert_eq!(repaired.updated, ["m29991231_235958_marker"]);
    assert!(v2.verify(&db).await.unwrap().is_empty());
    assert!(!v1.verify(&db).await.unwrap().is_empty(), "the old code now differs from the history");

    // The build without the marker does not know it.
    let without = (domain.migrator)();
    let findings = without.verify(&db).await.unwrap();
    assert!(matches!(findings.as_slice(), [Finding::Unknown { .. }]), "{findings:?}");
}

backend_tests!(fresh_stays_inside_its_domain);
async fn fresh_stays_inside_its_domain(backend: Backend) {
    let t = TestDb::new(backend).await;
    // Every domain, plus a namespace seedbed does not know.
    let mut namespaces: Vec<&str> = domains().iter().map(|d| d.name).collect();
    namespaces.push("neighbour");
    for domain in domains() {
        t.migrated(domain).await;
    }
    for domain in domains() {
        for ns in &namespaces {
            let db = t.connect(ns).await;
            db.execute_unprepared("CREATE TABLE IF NOT EXISTS marker (id INTEGER PRIMARY KEY)")
                .await
                .unwrap();
            db.execute_unprepared("DELETE FROM marker").await.unwrap();
            db.execute_unprepared("INSERT INTO marker (id) VALUES (7)").await.unwrap();
        }
        let out = t.seedbed(&["migrate", "fresh", "--domain", domain.name]);
        assert_success(&out);
        for ns in &namespaces {
            let db = t.connect(ns).await;
            let has_marker = db.execute_unprepared("SELECT id FROM marker").await.is_ok();
            if *ns == domain.name {
                assert!(!has_marker, "fresh --domain {} kept a table it does not own", domain.name);
                let status = (domain.migrator)().status(&db).await.unwrap();
                assert!(status.iter().all(|s| matches!(s.state, State::Applied { .. })), "{}", show(&out));
            } else {
                assert!(
                    has_marker,
                    "fresh --domain {} dropped the marker table of {ns}\n{}",
                    domain.name,
                    show(&out)
                );
            }
        }
    }
}

/// `--concurrently` builds and drops the draw domain's performance indexes with PostgreSQL's
/// CONCURRENTLY (which only works outside a transaction) and ends in the same schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_indexes_can_be_built_concurrently() {
    let reference = TestDb::new(Backend::Postgres).await;
    let t = TestDb::new(Backend::Postgres).await;
    for domain in domains() {
        let expected = schema(&reference.migrated(domain).await).await;
        let out = t.seedbed(&["migrate", "up", "--concurrently", "--domain", domain.name]);
        assert_success(&out);
        let db = t.connect(domain.name).await;
        assert_same(&format!("{}: up --concurrently", domain.name), &expected, &schema(&db).await);
        let invalid = invalid_indexes(&db).await;
        assert_eq!(invalid, 0, "invalid indexes left");
        if domain.name == "draw" {
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("performance_indexes  (")
                    && String::from_utf8_lossy(&out.stdout).contains("outside a transaction"),
                "the index migration did not run outside a transaction\n{}",
                show(&out)
            );
        }
        let steps = (domain.migrator)().versions().len().to_string();
        assert_success(&t.seedbed(&[
            "migrate",
            "down",
            "--concurrently",
            "-n",
            &steps,
            "--domain",
            domain.name,
        ]));
        assert!(schema(&db).await.tables.is_empty(), "{}: down --concurrently left tables", domain.name);
    }
}

fn draw() -> &'static seedbed_registry::Domain {
    domains().iter().find(|d| d.name == "draw").expect("the draw domain")
}

/// The namespace `{prefix}a_reporting` beside the test's domains: another team's, which
/// `fresh` must never touch. Its name sorts first, so the test's cleanup drops it before the
/// domains it depends on.
fn reporting(t: &TestDb) -> String {
    format!("{}a_reporting", t.prefix())
}

/// Runs `fresh` on draw (and its dry run) while `dependent` (SQL run on the server) makes
/// objects outside the namespace depend on draw's `users`: `fresh` must refuse with exit 2 on
/// one line, naming each of `objects`, and drop nothing.
async fn check_fresh_refuses(t: &TestDb, dependent: &[String], objects: &[String]) {
    let draw = draw();
    let db = t.migrated(draw).await;
    let before = schema(&db).await;
    let server = t.connect("a_reporting").await;
    for sql in dependent {
        server.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    for dry in [true, false] {
        let mut args = vec!["migrate", "fresh", "--domain", "draw"];
        args.extend(dry.then_some("--dry-run"));
        let out = t.seedbed(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} went ahead\n{}", show(&out));
        for object in objects {
            assert!(stderr.contains(object.as_str()), "{args:?} did not name {object}\n{}", show(&out));
        }
        assert!(stderr.contains("nothing was dropped"), "{}", show(&out));
        assert_eq!(stderr.trim().lines().count(), 1, "{}", show(&out));
    }
    assert_same("draw after the refused fresh", &before, &schema(&db).await);
    let status = (draw.migrator)().status(&db).await.unwrap();
    assert!(status.iter().all(|s| matches!(s.state, State::Applied { .. })), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_refuses_a_view_in_another_schema_postgres() {
    let t = TestDb::new(Backend::Postgres).await;
    let (reporting, draw) = (reporting(&t), format!("{}draw", t.prefix()));
    check_fresh_refuses(
        &t,
        &[
            format!("CREATE VIEW \"{reporting}\".user_names AS SELECT id FROM \"{draw}\".users"),
            format!("CREATE TABLE \"{reporting}\".audits AS SELECT id AS user_id FROM \"{draw}\".users WHERE false"),
            format!(
                "ALTER TABLE \"{reporting}\".audits ADD CONSTRAINT fk_audits_user FOREIGN KEY (user_id) REFERENCES \"{draw}\".users (id)"
            ),
        ],
        &[
            format!("view {reporting}.user_names (on users)"),
            format!("foreign key fk_audits_user on {reporting}.audits (on users)"),
        ],
    )
    .await;
    let server = t.connect("a_reporting").await;
    server
        .execute_unprepared(&format!("SELECT * FROM \"{reporting}\".user_names"))
        .await
        .expect("the view survives");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_refuses_a_foreign_key_from_another_database_mysql() {
    let t = TestDb::new(Backend::MySql).await;
    let (reporting, draw) = (reporting(&t), format!("{}draw", t.prefix()));
    check_fresh_refuses(
        &t,
        &[
            // The same type as users.id, whatever the migration made it.
            format!("CREATE TABLE `{reporting}`.audits AS SELECT id AS user_id FROM `{draw}`.users WHERE 1 = 0"),
            format!(
                "ALTER TABLE `{reporting}`.audits ADD CONSTRAINT fk_audits_user FOREIGN KEY (user_id) REFERENCES `{draw}`.users (id)"
            ),
        ],
        &[format!("foreign key fk_audits_user on {reporting}.audits (on users)")],
    )
    .await;
}

/// Starts `seedbed args` with the debug-build hook that stops it for good after the `n`th
/// statement of `version` (or of `fresh`'s drops), and returns it once it says it stopped
/// there: a command frozen between two statements, still holding the domain's lock.
fn pause_after(t: &TestDb, args: &[&str], version: &str, n: usize) -> std::process::Child {
    use std::io::BufRead;
    let mut cmd = t.command(args);
    cmd.env("SEEDBED_TEST_PAUSE", format!("{version}@{n}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stderr = std::io::BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.expect("stderr");
        if line.contains("paused after statement") {
            return child;
        }
        seen.push(line);
    }
    panic!("{args:?} ended before statement {n} of {version}: {:?}\n{}", child.wait(), seen.join("\n"));
}

/// The same, killed there with SIGKILL.
fn kill_after(t: &TestDb, args: &[&str], version: &str, n: usize) {
    let mut child = pause_after(t, args, version, n);
    child.kill().expect("kill -9");
    child.wait().expect("the killed seedbed");
}

fn code_and_text(out: &std::process::Output) -> (Option<i32>, String) {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// After a kill: `verify` exits 4 naming the interrupted migration and what it had created,
/// `status` says INTERRUPTED, `up` refuses, and plain `repair` asks for a choice.
fn check_reported_interrupted(t: &TestDb, domain: &str, version: &str, created: &str) {
    let (code, text) = code_and_text(&t.seedbed(&["migrate", "verify", "--domain", domain]));
    assert_eq!(code, Some(4), "{text}");
    assert!(text.contains(&format!("{version} was interrupted")) && text.contains(created), "{text}");
    assert!(text.contains("repair --roll-back") && text.contains("--roll-forward"), "{text}");
    let (code, text) = code_and_text(&t.seedbed(&["migrate", "status", "--domain", domain]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("INTERRUPTED") && text.contains(version), "{text}");
    let (code, text) = code_and_text(&t.seedbed(&["migrate", "up", "--domain", domain]));
    assert_eq!(code, Some(4), "up went past an interrupted migration: {text}");
    let (code, text) = code_and_text(&t.seedbed(&["migrate", "repair", "--domain", domain]));
    assert_eq!(code, Some(2), "{text}");
}

/// `up` then `drift` and `verify` are clean.
fn check_up_without_drift(t: &TestDb, domain: &str) {
    assert_success(&t.seedbed(&["migrate", "up", "--domain", domain]));
    assert_success(&t.seedbed(&["migrate", "drift", "--domain", domain]));
    assert_success(&t.seedbed(&["migrate", "verify", "--domain", domain]));
}

const DRAW_INITIAL: &str = "m20250701_000000_initial_schema";

backend_tests!(a_migration_killed_between_statements_is_reported_and_repaired);
async fn a_migration_killed_between_statements_is_reported_and_repaired(backend: Backend) {
    for how in ["--roll-back", "--roll-forward"] {
        let t = TestDb::new(backend).await;
        // Statements 1-4 create sessions, users and users' two indexes; draws comes later.
        let mut running = pause_after(&t, &["migrate", "up", "--domain", "draw"], DRAW_INITIAL, 3);
        if backend == Backend::MySql {
            // Its holder still holds the lock: work in progress, not an interruption.
            let (code, text) = code_and_text(&t.seedbed(&["migrate", "status", "--domain", "draw"]));
            assert!(code == Some(0) && text.contains("RUNNING") && !text.contains("INTERRUPTED"), "{text}");
            let (code, text) = code_and_text(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));
            assert!(code == Some(0) && text.contains("migrating it right now"), "{text}");
        }
        running.kill().expect("kill -9");
        running.wait().expect("the killed seedbed");
        let db = t.connect("draw").await;
        if backend == Backend::MySql {
            check_reported_interrupted(&t, "draw", DRAW_INITIAL, "created table sessions, table users");
            let out = t.seedbed(&["migrate", "repair", how, "--domain", "draw"]);
            assert_success(&out);
            let tables = schema(&db).await.tables.into_keys().collect::<Vec<_>>();
            match how {
                "--roll-back" => assert!(tables.is_empty(), "roll-back left {tables:?}\n{}", show(&out)),
                _ => assert!(tables.contains(&"draws".to_owned()), "roll-forward did not finish: {tables:?}"),
            }
        } else {
            // One transaction per migration: the kill undid all of it.
            assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));
            let status = (draw().migrator)().status(&db).await.unwrap();
            assert!(status.iter().all(|s| s.state == State::Pending), "{status:?}");
            assert!(schema(&db).await.tables.is_empty());
        }
        check_up_without_drift(&t, "draw");
    }
}

/// PostgreSQL runs a migration outside a transaction when asked to build its indexes
/// concurrently: killed between two index builds, it is reported and settled like MariaDB's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_index_build_killed_part_way_is_repaired_postgres() {
    let version = "m20250701_000100_performance_indexes";
    for how in ["--roll-back", "--roll-forward"] {
        let t = TestDb::new(Backend::Postgres).await;
        assert_success(&t.seedbed(&["migrate", "up", "-n", "1", "--domain", "draw"]));
        // Each index is a DO block (dropping an invalid leftover) and a CREATE INDEX.
        kill_after(&t, &["migrate", "up", "--concurrently", "--domain", "draw"], version, 4);
        check_reported_interrupted(
            &t,
            "draw",
            version,
            "created index draws.idx_draws_active_drawtime, index participations.idx_participations_userid",
        );
        let db = t.connect("draw").await;
        // As a build killed during CREATE INDEX CONCURRENTLY leaves it: there, but INVALID.
        db.execute_unprepared(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_participations_userid'::regclass",
        )
        .await
        .unwrap();
        assert_success(&t.seedbed(&["migrate", "repair", how, "--domain", "draw"]));
        check_up_without_drift(&t, "draw");
        let invalid = invalid_indexes(&db).await;
        assert_eq!(invalid, 0, "{how} left an invalid index");
    }
}

backend_tests!(a_fresh_killed_during_its_drops_is_never_up_to_date);
async fn a_fresh_killed_during_its_drops_is_never_up_to_date(backend: Backend) {
    let t = TestDb::new(backend).await;
    let draw = draw();
    let db = t.migrated(draw).await;
    let before = schema(&db).await;
    kill_after(&t, &["migrate", "fresh", "--domain", "draw"], "fresh", 1);
    if backend == Backend::MySql {
        for command in ["up", "verify"] {
            let (code, text) = code_and_text(&t.seedbed(&["migrate", command, "--domain", "draw"]));
            assert_eq!(code, Some(4), "{command} after a killed fresh: {text}");
            assert!(text.contains("fresh") && text.contains("interrupted"), "{text}");
            assert!(text.contains("seedbed migrate fresh --domain draw"), "{text}");
        }
        let (_, text) = code_and_text(&t.seedbed(&["migrate", "status", "--domain", "draw"]));
        assert!(text.contains("INTERRUPTED") && !text.contains("applied  "), "{text}");
        assert_success(&t.seedbed(&["migrate", "fresh", "--domain", "draw"]));
    } else {
        // One transaction: the kill left draw as it was.
        assert_same("draw after a killed fresh", &before, &schema(&db).await);
        assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));
    }
    check_up_without_drift(&t, "draw");
    assert_same("draw after fresh", &before, &schema(&db).await);
}

/// A `down` killed part-way on MariaDB: reported as interrupted; a roll-back refuses (what the
/// down dropped cannot be put back), a roll-forward finishes the down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_killed_part_way_is_finished_by_rolling_forward_mysql() {
    let t = TestDb::new(Backend::MySql).await;
    let last = (draw().migrator)().versions().last().cloned().expect("a migration");
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    kill_after(&t, &["migrate", "down", "--domain", "draw"], &last, 2);
    check_reported_interrupted(&t, "draw", &last, "so far its down created nothing and removed");
    let (code, text) = code_and_text(&t.seedbed(&["migrate", "repair", "--roll-back", "--domain", "draw"]));
    assert!(code == Some(4) && text.contains("--roll-forward to finish the down"), "{text}");
    assert_success(&t.seedbed(&["migrate", "repair", "--roll-forward", "--domain", "draw"]));
    let db = t.connect("draw").await;
    let status = (draw().migrator)().status(&db).await.unwrap();
    assert_eq!(status.last().map(|s| &s.state), Some(&State::Pending), "{status:?}");
    check_up_without_drift(&t, "draw");
}

/// How many of the current PostgreSQL schema's indexes are INVALID (a concurrent build that
/// did not finish leaves one).
async fn invalid_indexes(db: &sea_orm::DatabaseConnection) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT i.indisvalid",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}
