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

backend_tests!(each_backend_writes_through_its_bulk_path);
/// The path a writer takes, by backend and by whether it commits in chunks: a slower path
/// taken silently (a server refusing `LOAD DATA LOCAL`, a driver failing to connect) would
/// keep every other test green.
async fn each_backend_writes_through_its_bulk_path(backend: Backend) {
    use seedbed_seeds::load::{Chunking, Encoding, Writer};
    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up"]));
    let db = t.connect(domains()[0].name).await;
    let chunks = Chunking {
        key: domains()[0].name.to_owned(),
        rows: 1_000,
        record: seedbed_seeds::state::Recorded {
            opts: Default::default(),
            truncate: false,
            chunk_rows: 1_000,
            chunks: 0,
            done: Default::default(),
            updated: String::new(),
        },
        skip: Default::default(),
    };
    let check = |chunking: Option<Chunking>, expected: Encoding| {
        let db = db.clone();
        async move {
            let chunked = chunking.is_some();
            let writer = Writer::begin(&db, seedbed_seeds::Profile::Dev, chunking, None).await.unwrap();
            let encoding = writer.encoding();
            writer.rollback().await.unwrap();
            assert_eq!(encoding, expected, "{backend:?}, in chunks: {chunked}");
        }
    };
    let (whole, chunked) = match backend {
        Backend::Sqlite => (Encoding::Sqlite, Encoding::Sqlite),
        Backend::Postgres => (Encoding::Copy, Encoding::Copy),
        Backend::MySql => (Encoding::LoadData, Encoding::MySql),
    };
    check(None, whole).await;
    check(Some(chunks), chunked).await;
}

/// `LOAD DATA LOCAL` turns a duplicate key into a warning and skips the row (the server
/// cannot stop the client's stream): the seeding must fail and roll back all the same, as it
/// does on the other paths, where the duplicate is an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_that_skips_a_duplicate_key_fails_and_rolls_back() {
    let t = TestDb::new(Backend::MySql).await;
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "raffle"]));
    let db = t.connect("raffle").await;
    let before = seedbed_seeds::digest(&db, &seedbed_seeds::raffle::RaffleSeeder).await.unwrap();
    db.execute_unprepared(
        "CREATE TRIGGER seedbed_test_dup BEFORE INSERT ON `audit_logs` FOR EACH ROW SET NEW.id = 1",
    )
    .await
    .unwrap();
    let out = t.seedbed(&["seed", "--truncate", "--profile", "tiny", "--domain", "raffle"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("Duplicate entry") && stderr.contains("rolled back"),
        "want the skipped rows to fail the seeding, naming the duplicate\n{}",
        show(&out)
    );
    db.execute_unprepared("DROP TRIGGER seedbed_test_dup").await.unwrap();
    assert_eq!(
        seedbed_seeds::digest(&db, &seedbed_seeds::raffle::RaffleSeeder).await.unwrap(),
        before,
        "the failed seeding changed the data"
    );
}
