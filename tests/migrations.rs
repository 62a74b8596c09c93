//! Migrations, on every backend and every domain: each `down` undoes exactly its `up`, a
//! full round trip gives the same schema, a failure leaves no partial state where the
//! engine allows, and `fresh` stays inside its own domain.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use seedbed_core::Backend;
use seedbed_core::introspect::Snapshot;
use seedbed_migration::sea_orm_migration::prelude::*;
use seedbed_migration::{HISTORY_TABLE, MigrateError, Migrator, State};

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
        migrations.push(Box::new(HalfDone));
        let migrator = Migrator::new(domain.name, migrations);

        let err = migrator.up(&db, None).await.expect_err("the broken migration must fail");
        let message = err.to_string();
        assert!(matches!(err, MigrateError::Failed { .. }), "{message}");
        assert!(message.contains("m29991231_235959_half_done"), "{message}");
        let status = migrator.status(&db).await.unwrap();
        assert_eq!(
            status.last().unwrap().state,
            State::Pending,
            "the failed migration was recorded: {status:?}"
        );

        let after = schema(&db).await;
        if backend == Backend::MySql {
            // MariaDB commits DDL at once: the error must say so and name what stayed.
            assert!(message.contains("commits DDL at once") && message.contains("half_done"), "{message}");
            assert!(after.tables.contains_key("half_done"), "{:?}", after.tables.keys());
        } else {
            assert!(message.contains("rolled back and nothing changed"), "{message}");
            assert_same(&format!("{}: after the failed migration", domain.name), &before, &after);
        }
    }
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
        let invalid = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT i.indisvalid",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
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
