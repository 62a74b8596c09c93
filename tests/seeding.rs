//! The seeder, on every backend and every domain: deterministic, the same on every backend,
//! every table filled and every enumerated value present in tiny data, every check passing
//! for tiny and dev, and never a partial or doubled seeding.

use std::collections::BTreeSet;

use sea_orm::entity::prelude::async_trait;
use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use seedbed_core::Backend;
use seedbed_core::introspect::Snapshot;
use seedbed_registry::Domain;
use seedbed_seeds::table::TableOps;
use seedbed_seeds::{Account, Check, Ctx, Profile, Quiet, SeedOptions, Seeder, default_now};

use crate::util::{TestDb, backend_tests, domains, show};

pub fn options(profile: Profile, seed: u64) -> SeedOptions {
    SeedOptions::new(seed, profile, 1.0, default_now()).unwrap()
}

/// A migrated and seeded connection to `domain`.
pub async fn seeded(t: &TestDb, domain: &Domain, opts: SeedOptions) -> DatabaseConnection {
    let db = t.migrated(domain).await;
    let hash = seedbed_seeds::accounts::dev_password_hash();
    seedbed_seeds::seed(&db, domain.seeder, opts, false, &Quiet, &hash)
        .await
        .unwrap_or_else(|e| panic!("seeding {}: {e}", domain.name));
    db
}

/// Every check with violations, as `name: count (keys)`.
pub async fn failing_checks(db: &impl ConnectionTrait, domain: &Domain) -> Vec<String> {
    let checks = seedbed_seeds::checks(domain.seeder, db.get_database_backend());
    seedbed_seeds::checks::run(db, &checks)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.violations > 0)
        .map(|f| format!("{}: {} ({})", f.name, f.violations, f.sample.join(", ")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let (a, b, c) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Sqlite).await,
    );
    for domain in domains() {
        let digest = |db| async move { seedbed_seeds::digest(&db, domain.seeder).await.unwrap() };
        let first = digest(seeded(&a, domain, options(Profile::Tiny, 42)).await).await;
        let again = digest(seeded(&b, domain, options(Profile::Tiny, 42)).await).await;
        let other = digest(seeded(&c, domain, options(Profile::Tiny, 43)).await).await;
        assert_eq!(first, again, "{}: the same seed gave different data", domain.name);
        assert_ne!(first, other, "{}: another seed gave the same data", domain.name);
    }
}

backend_tests!(every_backend_holds_the_same_data);
async fn every_backend_holds_the_same_data(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        // Fixed in the domain's test file, so that every backend, SQLite included, is compared
        // with something it did not compute itself.
        let expected = crate::domain_cases::tiny_seed_7_digest(domain.name).unwrap_or_else(|| {
            panic!("no TINY_SEED_7_DIGEST for domain {0}: add it to tests/domains/{0}.rs", domain.name)
        });
        let got = seedbed_seeds::digest(&seeded(&t, domain, options(Profile::Tiny, 7)).await, domain.seeder)
            .await
            .unwrap();
        assert_eq!(
            got, expected,
            "{}: {backend:?} holds other data than the fixed tiny seed-7 digest (TINY_SEED_7_DIGEST in tests/domains/{}.rs)",
            domain.name, domain.name
        );
    }
}

backend_tests!(every_check_passes_on_tiny_and_dev);
async fn every_check_passes_on_tiny_and_dev(backend: Backend) {
    let t = TestDb::new(backend).await;
    let hash = seedbed_seeds::accounts::dev_password_hash();
    for domain in domains() {
        let db = seeded(&t, domain, options(Profile::Tiny, 42)).await;
        let failing = failing_checks(&db, domain).await;
        assert!(failing.is_empty(), "{} tiny on {backend:?}:\n  {}", domain.name, failing.join("\n  "));
        seedbed_seeds::seed(&db, domain.seeder, options(Profile::Dev, 42), true, &Quiet, &hash)
            .await
            .unwrap();
        let failing = failing_checks(&db, domain).await;
        assert!(failing.is_empty(), "{} dev on {backend:?}:\n  {}", domain.name, failing.join("\n  "));
        // The same dev data, for the realism checks: places agree, time breathes.
        let unreal = crate::realism::failures(&db, domain.name, 42).await;
        assert!(
            unreal.is_empty(),
            "{} dev on {backend:?} does not look live:\n  {}",
            domain.name,
            unreal.join("\n  ")
        );
    }
}

/// `column IN ('a', 'b')` (optionally after `column IS NULL OR`), as SQLite keeps the CHECK.
fn enumerated(expr: &str) -> Option<(String, Vec<String>)> {
    let expr = expr.split(" OR ").last()?.trim();
    let (column, list) = expr.split_once(" IN (")?;
    let values =
        list.trim_end_matches(')').split(',').map(|v| v.trim().trim_matches('\'').to_owned()).collect();
    Some((column.trim().trim_matches('"').to_owned(), values))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_fills_every_table_and_uses_every_enumerated_value() {
    let t = TestDb::new(Backend::Sqlite).await;
    for domain in domains() {
        let db = seeded(&t, domain, options(Profile::Tiny, 42)).await;
        for (table, rows) in seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap() {
            assert!(rows > 0, "{}: tiny leaves {table} empty", domain.name);
        }
        let schema = Snapshot::read(&db).await.unwrap();
        let mut missing = Vec::new();
        let mut columns = 0;
        for (table, def) in schema.base_tables() {
            for check in &def.checks {
                let Some((column, values)) = enumerated(&check.expr) else { continue };
                columns += 1;
                let rows = db
                    .query_all_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        format!(
                            "SELECT DISTINCT \"{column}\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
                        ),
                    ))
                    .await
                    .unwrap();
                let present: BTreeSet<String> =
                    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
                for v in values.iter().filter(|v| !present.contains(*v)) {
                    missing.push(format!("{table}.{column} = {v}"));
                }
            }
        }
        assert!(columns > 0, "{}: found no enumerated column to check", domain.name);
        assert!(missing.is_empty(), "{}: tiny never uses:\n  {}", domain.name, missing.join("\n  "));
    }
}

backend_tests!(seeding_a_domain_with_data_is_refused);
async fn seeding_a_domain_with_data_is_refused(backend: Backend) {
    let t = TestDb::new(backend).await;
    let out = t.seedbed(&["bootstrap", "--profile", "tiny"]);
    crate::util::assert_success(&out);
    for domain in domains() {
        let db = t.connect(domain.name).await;
        let before = seedbed_seeds::digest(&db, domain.seeder).await.unwrap();
        let out = t.seedbed(&["seed", "--profile", "tiny", "--seed", "9", "--domain", domain.name]);
        assert_eq!(out.status.code(), Some(5), "{}", show(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--truncate"), "{}", show(&out));
        assert_eq!(
            seedbed_seeds::digest(&db, domain.seeder).await.unwrap(),
            before,
            "a refused seed changed the data"
        );
        // --truncate replaces exactly that domain's data.
        crate::util::assert_success(&t.seedbed(&[
            "seed",
            "--profile",
            "tiny",
            "--seed",
            "9",
            "--truncate",
            "--domain",
            domain.name,
        ]));
        assert_ne!(seedbed_seeds::digest(&db, domain.seeder).await.unwrap(), before);
    }
}

/// A seeder that writes everything its inner seeder does, then fails before the commit.
pub struct FailsAtTheEnd(pub &'static dyn Seeder);

#[async_trait::async_trait]
impl Seeder for FailsAtTheEnd {
    fn domain(&self) -> &'static str {
        self.0.domain()
    }
    fn tables(&self) -> Vec<Box<dyn TableOps>> {
        self.0.tables()
    }
    fn schema(&self, backend: DbBackend) -> Vec<TableCreateStatement> {
        self.0.schema(backend)
    }
    fn views(&self) -> &'static [&'static str] {
        self.0.views()
    }
    fn accounts(&self) -> Vec<Account> {
        self.0.accounts()
    }
    fn rules(&self, backend: DbBackend) -> Vec<Check> {
        self.0.rules(backend)
    }
    async fn generate(&self, ctx: &Ctx<'_>) -> Result<(), DbErr> {
        self.0.generate(ctx).await?;
        Err(DbErr::Custom("injected failure after the last row".into()))
    }
}

backend_tests!(a_failed_seeding_leaves_the_domain_empty);
async fn a_failed_seeding_leaves_the_domain_empty(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = t.migrated(domain).await;
        let failing = FailsAtTheEnd(domain.seeder);
        let err = seedbed_seeds::seed(&db, &failing, options(Profile::Tiny, 42), false, &Quiet, "hash")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("injected failure") && err.to_string().contains("rolled back"),
            "{err}"
        );
        for (table, rows) in seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap() {
            assert_eq!(rows, 0, "{}: {table} kept {rows} rows of a failed seeding", domain.name);
        }
    }
}

#[test]
fn bad_seeding_options_get_one_line() {
    use crate::util::{run, seedbed_command};
    for (args, needle) in [
        (vec!["seed", "--profile", "huge"], "unknown profile `huge`"),
        (vec!["seed", "--scale", "0"], "scale 0 is out of range"),
        (vec!["seed", "--scale", "1e9"], "out of range"),
        (vec!["seed", "--scale", "lots"], "`lots` is not a number"),
        (vec!["seed", "--seed=-1"], "invalid value '-1' for '--seed <SEED>'"),
        (vec!["bootstrap", "--now", "yesterday"], "cannot read `yesterday` as a time"),
    ] {
        let mut cmd = seedbed_command();
        cmd.args(&args).arg("--database-url").arg("sqlite://unused-dir").current_dir(std::env::temp_dir());
        let out = run(cmd);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(needle) && stderr.trim_end().lines().count() == 1,
            "{args:?}\n{}",
            show(&out)
        );
    }
}

backend_tests!(seeding_an_unmigrated_domain_is_refused);
async fn seeding_an_unmigrated_domain_is_refused(backend: Backend) {
    let t = TestDb::new(backend).await;
    crate::util::assert_success(&t.seedbed(&["migrate", "up", "-n", "1"]));
    let out = t.seedbed(&["seed", "--profile", "tiny"]);
    assert_eq!(out.status.code(), Some(5), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not fully migrated"), "{}", show(&out));
}

#[test]
fn the_catalogue_documents_every_rule() {
    // A rule is described in docs/seeding.md's catalogue or on its domain's own page.
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let catalogue = std::fs::read_to_string(docs.join("seeding.md")).unwrap();
    for domain in domains() {
        let page =
            std::fs::read_to_string(docs.join(format!("domains/{}.md", domain.name))).unwrap_or_default();
        for check in domain.seeder.rules(DbBackend::Sqlite) {
            let named = format!("`{}`", check.name);
            assert!(
                catalogue.contains(&named) || page.contains(&named),
                "neither docs/seeding.md nor docs/domains/{}.md describes {}",
                domain.name,
                check.name
            );
        }
    }
}

backend_tests!(an_interrupted_seeding_leaves_the_domain_empty);
/// SIGINT or SIGTERM while rows are being written, whatever disposition seedbed inherited (a
/// shell starts a background job with SIGINT ignored): the domain's transaction rolls back,
/// one line says what was kept and what was rolled back, and the exit code is 128 + the
/// signal's number.
async fn an_interrupted_seeding_leaves_the_domain_empty(backend: Backend) {
    use Inherited::*;
    for (signal, inherited, code) in [
        (libc::SIGINT, Default, 130),
        (libc::SIGINT, Ignored, 130),
        (libc::SIGTERM, Default, 143),
        (libc::SIGTERM, Ignored, 143),
    ] {
        interrupt_while_writing(backend, signal, inherited, code).await;
    }
}

/// The disposition of the stopping signal that the child inherits.
#[derive(Debug, Clone, Copy)]
enum Inherited {
    Default,
    Ignored,
}

async fn interrupt_while_writing(backend: Backend, signal: i32, inherited: Inherited, code: i32) {
    use std::os::unix::process::CommandExt as _;
    let case = format!("signal {signal}, inherited {inherited:?}, on {backend:?}");
    let t = TestDb::new(backend).await;
    crate::util::assert_success(&t.seedbed(&["migrate", "up"]));
    let mut cmd = t.command(&["seed", "--profile", "dev"]);
    let handler = match inherited {
        Inherited::Default => libc::SIG_DFL,
        Inherited::Ignored => libc::SIG_IGN,
    };
    // SAFETY: signal(2) is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(signal, handler);
            Ok(())
        });
    }
    let mut child =
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let pid = child.id() as i32;
    let started = std::time::Instant::now();
    let observer = t.connect(domains()[0].name).await;
    while !rows_being_written(&t, &observer).await {
        if child.try_wait().unwrap().is_some() {
            panic!(
                "{case}: seedbed ended before it was seen writing\n{}",
                show(&child.wait_with_output().unwrap())
            );
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "{case}: seedbed never started writing rows"
        );
        tokio::time::sleep(WRITE_POLL).await;
    }
    // SAFETY: kill(2) on the child this test started, which has not been waited for yet.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "{case}: could not signal the seeding");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{case}\n{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = if signal == libc::SIGINT { "SIGINT" } else { "SIGTERM" };
    assert!(
        stderr.trim_end().lines().count() == 1
            && stderr.starts_with(&format!("interrupted by {name}"))
            && stderr.contains("rolled back the seeding of"),
        "{case}: want one line saying what was kept and what was rolled back\n{}",
        show(&out)
    );
    // Domains are seeded at once, each in its own transaction: those committed before the
    // signal are complete, those under way are empty, none is half-filled.
    let mut interrupted = 0;
    for domain in domains() {
        let db = t.connect(domain.name).await;
        let counts = seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap();
        let empty = counts.iter().filter(|(_, n)| *n == 0).count();
        assert!(
            empty == 0 || empty == counts.len(),
            "{case}: {} half-seeded after the signal: {counts:?}",
            domain.name
        );
        if empty == counts.len() {
            interrupted += 1;
            assert!(stderr.contains(domain.name), "{case}: the line does not name {}\n{stderr}", domain.name);
        }
    }
    assert!(interrupted > 0, "{case}: every domain was complete: the signal came too late");
}

/// How often to ask [`rows_being_written`]: MariaDB refreshes `INNODB_TRX` only after it has
/// gone unread for 0.1 s, so a tighter loop would read the same stale, empty cache forever.
pub const WRITE_POLL: std::time::Duration = std::time::Duration::from_millis(150);

/// Whether a transaction is writing into one of `t`'s namespaces right now, as the engine
/// shows it to another session: the rows themselves stay invisible until the commit.
pub async fn rows_being_written(t: &TestDb, db: &DatabaseConnection) -> bool {
    let names: Vec<String> = domains().iter().map(|d| format!("'{}'", t.target.namespace(d.name))).collect();
    let sql = match t.backend {
        Backend::Sqlite => {
            // A rollback journal exists while a write transaction has changed pages.
            return domains().iter().any(|d| {
                let mut journal = t.target.sqlite_path(d.name).unwrap().into_os_string();
                journal.push("-journal");
                std::path::Path::new(&journal).exists()
            });
        }
        Backend::Postgres => format!(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE l.mode = 'RowExclusiveLock' AND n.nspname IN ({})",
            names.join(", ")
        ),
        Backend::MySql => format!(
            "SELECT count(*) FROM information_schema.INNODB_TRX x \
             JOIN information_schema.PROCESSLIST p ON p.ID = x.trx_mysql_thread_id \
             WHERE x.trx_rows_modified > 0 AND p.DB IN ({})",
            names.join(", ")
        ),
    };
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    row.is_some_and(|r| r.try_get_by_index::<i64>(0).unwrap() > 0)
}

/// A trigger that refuses every row of `table` in the domain `db` is connected to: a failure
/// injected deep into a domain's seeding, after its parent tables were written.
async fn refuse_rows_of(db: &DatabaseConnection, backend: Backend, table: &str) {
    let statements = match backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER sbt_refuse BEFORE INSERT ON \"{table}\" BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )],
        Backend::Postgres => vec![
            "CREATE FUNCTION sbt_refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER sbt_refuse BEFORE INSERT ON \"{table}\" FOR EACH ROW EXECUTE FUNCTION sbt_refuse()"
            ),
        ],
        Backend::MySql => vec![format!(
            "CREATE TRIGGER sbt_refuse BEFORE INSERT ON `{table}` FOR EACH ROW \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'"
        )],
    };
    for sql in statements {
        db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

backend_tests!(a_failure_in_one_domain_rolls_back_that_domain_only);
/// Domains are seeded at once, each in its own transaction: one failing deep into its
/// seeding (its last table refuses rows) rolls back alone, the error names it, and the other
/// domains are seeded, committed and whole.
async fn a_failure_in_one_domain_rolls_back_that_domain_only(backend: Backend) {
    let t = TestDb::new(backend).await;
    crate::util::assert_success(&t.seedbed(&["migrate", "up"]));
    let failing = &domains()[1];
    let last = failing.seeder.tables().last().expect("a domain with tables").name();
    refuse_rows_of(&t.connect(failing.name).await, backend, last).await;

    let out = t.seedbed(&["seed", "--profile", "tiny"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "seeding went through a table that refuses rows\n{}", show(&out));
    assert!(
        stderr.trim_end().lines().count() == 1
            && stderr.contains(&format!("seeding {} failed, and it was rolled back", failing.name))
            && stderr.contains("injected failure"),
        "want one line naming {} as failed and rolled back, with the cause\n{}",
        failing.name,
        show(&out)
    );
    for domain in domains() {
        let db = t.connect(domain.name).await;
        let counts = seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap();
        if domain.name == failing.name {
            assert!(
                counts.iter().all(|(_, n)| *n == 0),
                "{} failed on {backend:?} but kept rows: {counts:?}\n{}",
                domain.name,
                show(&out)
            );
        } else {
            assert!(
                counts.iter().all(|(_, n)| *n > 0),
                "{} did not fail on {backend:?} but is not fully seeded: {counts:?}\n{}",
                domain.name,
                show(&out)
            );
            assert!(
                stderr.contains(domain.name),
                "the line does not say {} was seeded and kept\n{}",
                domain.name,
                show(&out)
            );
            let failing_checks = failing_checks(&db, domain).await;
            assert!(failing_checks.is_empty(), "{} on {backend:?}: {failing_checks:?}", domain.name);
        }
    }
}

backend_tests!(seeding_leaves_planner_statistics_for_every_table);
/// `seed` ends each domain with the engine's statistics gathered (`seedbed_seeds::stats`),
/// so the first queries on fresh data are planned for the rows that are there: PostgreSQL's
/// `last_analyze` and `reltuples`, MariaDB's persistent InnoDB statistics, SQLite's
/// `sqlite_stat1`, for every table that holds rows.
async fn seeding_leaves_planner_statistics_for_every_table(backend: Backend) {
    let t = TestDb::new(backend).await;
    crate::util::assert_success(&t.seedbed(&["migrate", "up"]));
    crate::util::assert_success(&t.seedbed(&["seed", "--profile", "tiny"]));
    for domain in domains() {
        let db = t.connect(domain.name).await;
        let ns = t.target.namespace(domain.name);
        let mut without = Vec::new();
        for (table, rows) in seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap() {
            if rows == 0 {
                continue;
            }
            let sql = match backend {
                Backend::Sqlite => format!("SELECT count(*) FROM sqlite_stat1 WHERE tbl = '{table}'"),
                Backend::Postgres => format!(
                    "SELECT count(*) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
                     WHERE s.schemaname = '{ns}' AND s.relname = '{table}' \
                     AND s.last_analyze IS NOT NULL AND c.reltuples > 0"
                ),
                Backend::MySql => format!(
                    "SELECT count(*) FROM mysql.innodb_table_stats \
                     WHERE database_name = '{ns}' AND table_name = '{table}' AND n_rows > 0"
                ),
            };
            // No sqlite_stat1 at all is no statistics either.
            let found = match db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await {
                Ok(row) => row.is_some_and(|r| r.try_get_by_index::<i64>(0).unwrap() > 0),
                Err(e) if backend == Backend::Sqlite && e.to_string().contains("no such table") => false,
                Err(e) => panic!("reading the statistics of {ns}.{table}: {e}"),
            };
            if !found {
                without.push(format!("{table} ({rows} rows)"));
            }
        }
        assert!(
            without.is_empty(),
            "{} on {backend:?}: after `seed`, no planner statistics for {}",
            domain.name,
            without.join(", ")
        );
    }
}
