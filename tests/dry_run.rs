//! `migrate … --dry-run`: prints the SQL each migration would run, changes nothing (not
//! even the history, and on SQLite not a byte of the file), and its SQL, run by hand on an
//! empty namespace, gives the schema `up` gives.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use seedbed_core::Backend;
use seedbed_core::introspect::Snapshot;
use seedbed_migration::HISTORY_TABLE;

use crate::util::{TestDb, assert_success, backend_tests, domains, show};

/// Everything a dry run must leave as it was: the schema, and the history row by row.
async fn state(db: &DatabaseConnection) -> (Snapshot, Vec<String>) {
    let snapshot = Snapshot::read(db).await.expect("introspection");
    let history = if snapshot.tables.contains_key(HISTORY_TABLE) {
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT version, checksum, execution_ms FROM {HISTORY_TABLE} ORDER BY version"),
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                let v: String = r.try_get_by_index(0).unwrap();
                let c: String = r.try_get_by_index(1).unwrap();
                let ms: i64 = r.try_get_by_index(2).unwrap();
                format!("{v} {c} {ms}")
            })
            .collect()
    } else {
        Vec::new()
    };
    (snapshot, history)
}

/// The files of a SQLite target, byte for byte; empty on servers.
fn files(t: &TestDb) -> Vec<(String, Vec<u8>)> {
    let Some(dir) = t.target.sqlite_dir_path() else { return Vec::new() };
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sqlite3"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// The statements of a dry run's output: comment lines dropped, one statement per `;` and
/// blank line.
fn statements(stdout: &str) -> Vec<String> {
    let text: String = stdout.lines().filter(|l| !l.starts_with("-- ")).map(|l| format!("{l}\n")).collect();
    text.split(";\n\n").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

backend_tests!(a_dry_run_changes_nothing);
async fn a_dry_run_changes_nothing(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let name = domain.name;
        assert_success(&t.seedbed(&["migrate", "up", "-n", "1", "--domain", name]));
        let db = t.connect(name).await;
        for args in [
            vec!["migrate", "up", "--dry-run", "--domain", name],
            vec!["migrate", "down", "--dry-run", "--domain", name],
            vec!["migrate", "reset", "--dry-run", "--domain", name],
            vec!["migrate", "refresh", "--dry-run", "--domain", name],
            vec!["migrate", "fresh", "--dry-run", "--domain", name],
        ] {
            let (before, bytes) = (state(&db).await, files(&t));
            let out = t.seedbed(&args);
            assert_success(&out);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("nothing was changed"), "{}", show(&out));
            // `up` after the first migration has SQL to show only when there is a second one (a
            // new domain starts with one).
            if args[1] != "up" || (domain.migrator)().versions().len() > 1 {
                assert!(!statements(&stdout).is_empty(), "{args:?} printed no SQL\n{}", show(&out));
            }
            let after = state(&db).await;
            let diff = before.0.diff(&after.0);
            assert!(diff.is_empty(), "{args:?} changed the schema:\n  {}", diff.join("\n  "));
            assert_eq!(before.1, after.1, "{args:?} changed the history");
            assert!(bytes == files(&t), "{args:?} changed a SQLite file");
        }
        // What down --dry-run prints is the newest applied migration's down.
        let first = &(domain.migrator)().versions()[0];
        let out = t.seedbed(&["migrate", "down", "--dry-run", "--domain", name]);
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("-- down {first}")), "{}", show(&out));
    }
    // A dry run refuses what the command would refuse.
    let out = t.seedbed(&["migrate", "down", "-n", "9", "--dry-run", "--domain", domains()[0].name]);
    assert_eq!(out.status.code(), Some(4), "{}", show(&out));
}

backend_tests!(the_sql_of_a_dry_run_builds_the_schema_up_builds);
async fn the_sql_of_a_dry_run_builds_the_schema_up_builds(backend: Backend) {
    let planned = TestDb::new(backend).await;
    let by_hand = TestDb::new(backend).await;
    let reference = TestDb::new(backend).await;
    for domain in domains() {
        let out = planned.seedbed(&["migrate", "up", "--dry-run", "--domain", domain.name]);
        assert_success(&out);
        assert!(
            !planned.target.namespace_exists(domain.name).await.unwrap(),
            "a dry run against a missing namespace created it"
        );
        let db = by_hand.connect(domain.name).await;
        if backend == Backend::Sqlite {
            // As the sqlite3 shell has it, and as the runner runs migrations.
            db.execute_unprepared("PRAGMA foreign_keys = OFF").await.unwrap();
        }
        for sql in statements(&String::from_utf8_lossy(&out.stdout)) {
            db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{}: {sql}\n{e}", domain.name));
        }
        let expected =
            Snapshot::read(&reference.migrated(domain).await).await.unwrap().without(HISTORY_TABLE);
        let actual = Snapshot::read(&db).await.unwrap();
        let diff = expected.diff(&actual);
        assert!(
            diff.is_empty(),
            "{}: the dry run's SQL gives another schema:\n  {}",
            domain.name,
            diff.join("\n  ")
        );
    }
}

backend_tests!(drift_names_each_change_made_by_hand);
async fn drift_names_each_change_made_by_hand(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        t.migrated(domain).await;
    }
    let out = t.seedbed(&["migrate", "drift"]);
    assert_success(&out);
    for domain in domains() {
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("{}: no drift", domain.name)),
            "{}",
            show(&out)
        );
    }

    // Three changes by hand to the draw domain: a column added, an index dropped, a default changed.
    let db = t.connect("draw").await;
    db.execute_unprepared("ALTER TABLE users ADD COLUMN nickname VARCHAR(40)").await.unwrap();
    let drop_index = match backend {
        Backend::MySql => "DROP INDEX idx_winners_public_recent ON winners",
        _ => "DROP INDEX idx_winners_public_recent",
    };
    db.execute_unprepared(drop_index).await.unwrap();
    match backend {
        // SQLite cannot alter a default; editing the stored definition is what "by hand" means there.
        Backend::Sqlite => {
            for sql in [
                "PRAGMA writable_schema = ON",
                "UPDATE sqlite_master SET sql = replace(sql, '\"total_wins\" integer NOT NULL DEFAULT 0', \
                 '\"total_wins\" integer NOT NULL DEFAULT 7') WHERE name = 'users'",
                "PRAGMA writable_schema = OFF",
            ] {
                db.execute_unprepared(sql).await.unwrap();
            }
        }
        _ => db
            .execute_unprepared("ALTER TABLE users ALTER COLUMN total_wins SET DEFAULT 7")
            .await
            .map(drop)
            .unwrap(),
    }
    drop(db);

    let out = t.seedbed(&["migrate", "drift", "--domain", "draw"]);
    assert_eq!(out.status.code(), Some(4), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("draw: 3 difference(s)"), "{}", show(&out));
    for needle in
        ["users.nickname: column added", "idx_winners_public_recent", "users.total_wins: default changed"]
    {
        assert!(stdout.lines().any(|l| l.contains(needle)), "drift does not name {needle:?}\n{}", show(&out));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("differs from its migrations in 3 place(s)"), "{}", show(&out));
    // The other domains are untouched, and the check changed nothing.
    assert_success(&t.seedbed(&["migrate", "drift", "--domain", "raffle", "--domain", "booking"]));
    assert_eq!(t.seedbed(&["migrate", "drift", "--domain", "draw"]).status.code(), Some(4));
}
