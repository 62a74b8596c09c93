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
        // Drift reads a listed table as it will be once switched back: the list must be gone.
        for domain in domains() {
            let listed = seedbed_seeds::load::recalc::paused(&t.connect(domain.name).await).await.unwrap();
            assert!(
                listed.is_empty(),
                "after `seed --profile {profile}` {} still lists {listed:?}",
                domain.name
            );
        }
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
            let writer = Writer::begin(&db, seedbed_seeds::Profile::Dev, chunking, None, true).await.unwrap();
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

/// A table of every kind of value the domains' entities hold, for
/// [`every_kind_of_value_reads_back_as_written_through_each_bulk_path`].
mod kinds {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "seedbed_test_kinds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub small: i16,
        pub big: i64,
        pub flag: bool,
        pub ratio: f64,
        #[sea_orm(column_type = "Text")]
        pub text: String,
        #[sea_orm(column_type = "String(StringLen::N(40))")]
        pub maybe: Option<String>,
        #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
        pub amount: Decimal,
        pub uuid: Uuid,
        pub maybe_uuid: Option<Uuid>,
        pub at: DateTimeUtc,
        #[sea_orm(column_type = "Json")]
        pub json: Json,
        #[sea_orm(column_type = "JsonBinary")]
        pub jsonb: Option<Json>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The values whose spelling a bulk path could get wrong: escapes, NULLs, extremes, signs,
/// a time before PostgreSQL's epoch, `json` beside `jsonb`.
fn kinds_rows() -> Vec<kinds::Model> {
    use sea_orm::prelude::{Decimal, Uuid};
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap().and_utc();
    vec![
        kinds::Model {
            id: 1,
            small: i16::MIN,
            big: i64::MAX,
            flag: true,
            ratio: 0.1,
            text: "tab\there, new\nline, back\\slash, \\N, quote ' \" ü 😀".into(),
            maybe: None,
            amount: Decimal::new(-123_456_789, 2),
            uuid: Uuid::from_bytes([b'\t', b'\n', b'\\', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]),
            maybe_uuid: None,
            at: at("1999-12-31 23:59:59"),
            json: serde_json::json!({"b": [1, 2.5, null], "a": "x\ty\\z"}),
            jsonb: Some(serde_json::json!({"n": -1, "s": "ü"})),
        },
        kinds::Model {
            id: 2,
            small: i16::MAX,
            big: i64::MIN,
            flag: false,
            ratio: -12345.678,
            text: String::new(),
            maybe: Some("N".into()),
            amount: Decimal::new(0, 2),
            uuid: Uuid::nil(),
            maybe_uuid: Some(Uuid::from_u128(u128::MAX)),
            at: at("2037-06-30 12:00:01"),
            json: serde_json::json!([]),
            jsonb: None,
        },
        kinds::Model {
            id: 3,
            small: 0,
            big: 0,
            flag: true,
            ratio: 1e300,
            text: "\\".into(),
            maybe: Some(String::new()),
            amount: Decimal::new(99_999_999_999, 1),
            uuid: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            maybe_uuid: None,
            at: at("2000-01-01 00:00:00"),
            json: serde_json::json!("just a string"),
            jsonb: Some(serde_json::json!(null)),
        },
    ]
}

backend_tests!(every_kind_of_value_reads_back_as_written_through_each_bulk_path);
async fn every_kind_of_value_reads_back_as_written_through_each_bulk_path(backend: Backend) {
    use sea_orm::{EntityTrait as _, QueryOrder as _, Schema};
    use seedbed_seeds::load::{Op, Writer, channel};
    use seedbed_seeds::writer::{Quiet, Sink};

    let t = TestDb::new(backend).await;
    assert_success(&t.seedbed(&["migrate", "up"]));
    let db = t.connect(domains()[0].name).await;
    let create = Schema::new(db.get_database_backend()).create_table_from_entity(kinds::Entity);
    db.execute(&create).await.unwrap();
    let rows = kinds_rows();
    // Dev writes straight into the table, Large through MariaDB's staging table.
    for profile in [seedbed_seeds::Profile::Dev, seedbed_seeds::Profile::Large] {
        kinds::Entity::delete_many().exec(&db).await.unwrap();
        let mut writer = Writer::begin(&db, profile, None, None, true).await.unwrap();
        let (out, ops) = channel();
        let mut sink = Sink::<kinds::Entity>::new(writer.encoding());
        let generate = async {
            for row in &rows {
                let _ = sink.push(row);
            }
            sink.flush(&out).await?;
            out.send(Op::End { complete: true }).await
        };
        let (generated, written) = tokio::join!(generate, writer.run(ops, &Quiet));
        generated.unwrap();
        written.unwrap();
        writer.commit().await.unwrap();
        let back = kinds::Entity::find().order_by_asc(kinds::Column::Id).all(&db).await.unwrap();
        for (want, got) in rows.iter().zip(&back) {
            assert_eq!(got, want, "{backend:?} at {profile:?}: a row read back other than written");
        }
        assert_eq!(back.len(), rows.len(), "{backend:?} at {profile:?}: rows read back");
    }
}

/// PostgreSQL drops a table's primary key for its load, unless something other than a
/// foreign key of the domain depends on it: a view grouped by the key (which PostgreSQL lets
/// select the table's other columns) keeps it, and the seeding goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_that_leans_on_a_primary_key_keeps_it_through_the_load() {
    let t = TestDb::new(Backend::Postgres).await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "raffle"]));
    let db = t.connect("raffle").await;
    db.execute_unprepared(
        "CREATE VIEW seedbed_test_spend AS SELECT u.id, u.email, SUM(t.amount) AS spent \
         FROM users u JOIN transactions t ON t.user_id = u.id GROUP BY u.id",
    )
    .await
    .unwrap();
    let out = t.seedbed(&["seed", "--profile", "dev", "--scale", "0.05", "--domain", "raffle"]);
    assert_success(&out);
    let rows = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM seedbed_test_spend",
        ))
        .await
        .unwrap()
        .and_then(|row| row.try_get::<i64>("", "n").ok());
    assert!(rows.is_some_and(|n| n > 0), "the view reads the seeded rows: {rows:?}");
    db.execute_unprepared("DROP VIEW seedbed_test_spend").await.unwrap();
}

/// MariaDB's bulk load switches InnoDB's statistics recalculation off for its tables (see
/// `seedbed_seeds::load::recalc`), listing them first. Killed outright in the middle, it
/// leaves them switched off and listed; a reading command says so, the next seeding switches
/// them back (and says so), and a table whose migrations set the option is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_load_leaves_its_tables_listed_and_the_next_seeding_switches_them_back() {
    use seedbed_seeds::load::recalc;

    let t = TestDb::new(Backend::MySql).await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let db = t.connect("draw").await;
    // A migration's own choice, which no seeding may undo.
    db.execute_unprepared("ALTER TABLE plans STATS_AUTO_RECALC = 0").await.unwrap();
    let switched_off = async || -> Vec<String> {
        let sql = "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
                   AND LOWER(CREATE_OPTIONS) LIKE '%stats_auto_recalc=0%' ORDER BY TABLE_NAME";
        let rows =
            db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        let mut tables: Vec<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
        tables.sort();
        tables
    };
    let everything_but_plans: Vec<String> = {
        let mut all: Vec<String> = domains()
            .iter()
            .find(|d| d.name == "draw")
            .unwrap()
            .seeder
            .tables()
            .iter()
            .map(|t| t.name().to_owned())
            .filter(|t| t != "plans")
            .collect();
        all.sort();
        all
    };

    // kill -9 once every table is switched off (just before the transaction begins).
    let mut child = t
        .command(&["seed", "--domain", "draw", "--profile", "large", "--scale", "0.2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while recalc::paused(&db).await.unwrap() != everything_but_plans
        || switched_off().await.len() != everything_but_plans.len() + 1
    {
        if let Ok(Some(_)) = child.try_wait() {
            panic!(
                "the seeding ended before its tables were seen switched off\n{}",
                show(&child.wait_with_output().unwrap())
            );
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "no table was switched off in 60 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    let killed = child.wait_with_output().unwrap();
    let mut left: Vec<String> = switched_off().await;
    left.retain(|t| t != "plans");
    assert_eq!(left, everything_but_plans, "after the kill\n{}", show(&killed));

    // A reader says what it found (once the server has seen the holder's connection go).
    let note = format!("switched off on {} table(s)", everything_but_plans.len());
    let started = std::time::Instant::now();
    loop {
        let out = t.seedbed(&["check", "--domain", "draw"]);
        if String::from_utf8_lossy(&out.stderr).contains(&note) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "`check` never said {note:?}\n{}",
            show(&out)
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        recalc::paused(&db).await.unwrap(),
        everything_but_plans,
        "a reading command changed the list"
    );

    // The next seeding switches them back and says so; plans keeps its own setting.
    let out = t.seedbed(&["seed", "--domain", "draw", "--profile", "tiny"]);
    assert_success(&out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&note) && said.contains("switched back on"),
        "the seeding did not say what it found\n{}",
        show(&out)
    );
    assert_eq!(switched_off().await, ["plans"], "after the next seeding");
    assert!(recalc::paused(&db).await.unwrap().is_empty(), "the list outlived the repair");
    assert!(
        !seedbed_core::introspect::table_exists(&db, seedbed_core::PAUSED_STATS_TABLE).await.unwrap(),
        "the list's table outlived the repair"
    );
    db.execute_unprepared("ALTER TABLE plans STATS_AUTO_RECALC = DEFAULT").await.unwrap();
    let out = t.seedbed(&["migrate", "drift", "--domain", "draw"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "after the repair the schema differs from its migrations\n{}",
        show(&out)
    );
}

/// Another session's open transaction holds a table's metadata lock, which switching the
/// table's statistics recalculation needs: the seeding waits a few seconds at most, loads
/// anyway, and leaves nothing switched off or listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_holding_a_table_does_not_hold_up_the_load() {
    use sea_orm::TransactionTrait;

    let t = TestDb::new(Backend::MySql).await;
    assert_success(&t.seedbed(&["migrate", "up", "--domain", "draw"]));
    let db = t.connect("draw").await;
    let reader = db.begin().await.unwrap();
    reader.execute_unprepared("SELECT COUNT(*) FROM users").await.unwrap();

    let mut child = t
        .command(&["seed", "--domain", "draw", "--profile", "large", "--scale", "0.0005"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(90) {
            child.kill().unwrap();
            panic!("the seeding waited over 90 s for a reader\n{}", show(&child.wait_with_output().unwrap()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_success(&child.wait_with_output().unwrap());
    reader.commit().await.unwrap();
    assert!(seedbed_seeds::load::recalc::paused(&db).await.unwrap().is_empty(), "a table is still listed");
    let out = t.seedbed(&["migrate", "drift", "--domain", "draw"]);
    assert_eq!(out.status.code(), Some(0), "the seeding left the schema changed\n{}", show(&out));
}
