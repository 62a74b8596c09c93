//! The seeder's bulk paths change the schema only for the duration of the load: indexes
//! dropped before a table's rows go in are back, exactly as the migrations made them, once
//! the seeding commits (`migrate drift` finds nothing), and a seeding that fails in the middle
//! of the load leaves the indexes and the data as they were.

use sea_orm::ConnectionTrait;
use seedbed_core::Backend;

use crate::util::{TestDb, assert_success, backend_tests, domains, show};

/// Every profile, each at a scale that keeps the run short: what a bulk path decides by
/// profile (indexes after the load, staging) is decided the same at any scale.
const PROFILES: &[(&str, &str)] = &[("tiny", "1"), ("dev", "0.05"), ("large", "0.0005")];

backend_tests!(seeding_leaves_the_schema_the_migrations_made);
async fn seeding_leaves_the_schema_the_migrations_made(backend: Backend) {
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up"]));
    for (profile, scale) in PROFILES {
        assert_success(&t.seedbed(&["seed", "--truncate", "--profile", profile, "--scale", scale]));
        let out = t.seedbed(&["migrate", "drift"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "after `seed --profile {profile} --scale {scale}` on {backend:?} the schema differs from its migrations\n{}",
            show(&out)
        );
    }
}

backend_tests!(a_seeding_that_fails_mid_load_leaves_indexes_and_data_as_they_were);
async fn a_seeding_that_fails_mid_load_leaves_indexes_and_data_as_they_were(backend: Backend) {
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny"]));
    for domain in domains() {
        let db = t.connect(domain.name).await;
        let before = seedbed_seeds::digest(&db, domain.seeder).await.unwrap();
        // The last table is written after its parents: when it fails, their rows are in and
        // (where a bulk path drops them) their indexes are gone.
        let tables = domain.seeder.tables();
        let last = tables.last().expect("a domain has tables").name();
        for sql in failing_insert(backend, last) {
            db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        for (profile, scale) in PROFILES {
            let case = format!(
                "{} on {backend:?}, `seed --truncate --profile {profile} --scale {scale}`",
                domain.name
            );
            let out = t.seedbed(&[
                "seed",
                "--truncate",
                "--profile",
                profile,
                "--scale",
                scale,
                "--domain",
                domain.name,
            ]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success()
                    && stderr.contains("injected failure")
                    && stderr.contains("rolled back"),
                "{case}: want a failure naming the cause and the rollback\n{}",
                show(&out)
            );
        }
        for sql in no_failing_insert(backend, last) {
            db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        assert_eq!(
            seedbed_seeds::digest(&db, domain.seeder).await.unwrap(),
            before,
            "{} on {backend:?}: the failed seedings changed the data",
            domain.name
        );
        let out = t.seedbed(&["migrate", "drift", "--domain", domain.name]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{} on {backend:?}: after the failed seedings the schema differs from its migrations\n{}",
            domain.name,
            show(&out)
        );
    }
}

/// A trigger that fails every insert into `table` with "injected failure".
fn failing_insert(backend: Backend, table: &str) -> Vec<String> {
    match backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER seedbed_test_fail BEFORE INSERT ON \"{table}\" \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )],
        Backend::Postgres => vec![
            "CREATE FUNCTION seedbed_test_fail() RETURNS trigger LANGUAGE plpgsql AS \
             $$BEGIN RAISE EXCEPTION 'injected failure'; END$$"
                .to_owned(),
            format!(
                "CREATE TRIGGER seedbed_test_fail BEFORE INSERT ON \"{table}\" \
                 FOR EACH ROW EXECUTE FUNCTION seedbed_test_fail()"
            ),
        ],
        Backend::MySql => vec![format!(
            "CREATE TRIGGER seedbed_test_fail BEFORE INSERT ON `{table}` FOR EACH ROW \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'"
        )],
    }
}

/// Removes what [`failing_insert`] made.
fn no_failing_insert(backend: Backend, table: &str) -> Vec<String> {
    match backend {
        Backend::Sqlite | Backend::MySql => vec!["DROP TRIGGER seedbed_test_fail".to_owned()],
        Backend::Postgres => vec![
            format!("DROP TRIGGER seedbed_test_fail ON \"{table}\""),
            "DROP FUNCTION seedbed_test_fail()".to_owned(),
        ],
    }
}
