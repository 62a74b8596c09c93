//! Reference data (`seed --reference-only`), on every backend: applying it twice changes
//! nothing, an edited reference row is put back in place (same key, the rows that reference
//! it intact), a dry run lists the change and changes nothing, an empty migrated domain gets
//! every reference row and passes `check`, and production needs `--confirm`.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use seedbed_core::Backend;
use seedbed_registry::Domain;
use seedbed_seeds::Profile;

use crate::seeding::{options, seeded};
use crate::util::{TestDb, assert_success, backend_tests, show};

/// One reference table per domain, with the table that references it: the edit a test makes
/// to every referenced row (an assignment that reads as a condition too), and the column it
/// changes.
struct Case {
    domain: &'static str,
    table: &'static str,
    referencing: (&'static str, &'static str),
    edit: &'static str,
    column: &'static str,
    /// Every reference table of the domain and how many rows its definition holds.
    defined: &'static [(&'static str, u64)],
}

const CASES: &[Case] = &[
    Case {
        domain: "raffle",
        table: "seller_subscriptions",
        referencing: ("sellers", "subscription_id"),
        edit: "name = 'Edited'",
        column: "name",
        defined: &[("seller_subscriptions", 4), ("system_settings", 6)],
    },
    Case {
        domain: "draw",
        table: "draw_categories",
        referencing: ("draws", "category_id"),
        edit: "name = 'Edited'",
        column: "name",
        defined: &[("draw_categories", 4), ("plans", 4)],
    },
    Case {
        domain: "booking",
        table: "services_master",
        referencing: ("provider_services", "service_id"),
        edit: "category = 'edited'",
        column: "category",
        defined: &[("services_master", 24)],
    },
];

fn domain(name: &str) -> &'static Domain {
    seedbed_registry::find(name).unwrap_or_else(|| panic!("no domain {name} in the registry"))
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("one row")
        .try_get_by_index::<i64>(0)
        .unwrap()
}

async fn digest(db: &DatabaseConnection, name: &str) -> String {
    seedbed_seeds::digest(db, domain(name).seeder).await.unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

backend_tests!(applying_the_reference_data_to_seeded_data_twice_changes_nothing);
async fn applying_the_reference_data_to_seeded_data_twice_changes_nothing(backend: Backend) {
    let t = TestDb::new(backend).await;
    for case in CASES {
        // `seed` wrote the reference rows itself: the upsert finds them all as defined.
        let db = seeded(&t, domain(case.domain), options(Profile::Tiny, 7)).await;
        let seeded_digest = digest(&db, case.domain).await;
        for run in ["first", "second"] {
            let out = t.seedbed(&["seed", "--reference-only", "--domain", case.domain]);
            assert_success(&out);
            assert!(
                stdout(&out).contains("0 inserted, 0 updated"),
                "{}: the {run} application changed seeded reference rows\n{}",
                case.domain,
                show(&out)
            );
            assert_eq!(
                digest(&db, case.domain).await,
                seeded_digest,
                "{}: the {run} application changed the data\n{}",
                case.domain,
                show(&out)
            );
        }
    }
}

backend_tests!(an_edited_reference_row_is_updated_in_place_after_a_dry_run_that_changes_nothing);
async fn an_edited_reference_row_is_updated_in_place_after_a_dry_run_that_changes_nothing(backend: Backend) {
    let t = TestDb::new(backend).await;
    for case in CASES {
        let db = seeded(&t, domain(case.domain), options(Profile::Tiny, 7)).await;
        let (referencing, fk) = case.referencing;
        let referenced =
            format!("SELECT COUNT(*) FROM {referencing} r JOIN {} t ON t.id = r.{fk}", case.table);
        let rows = format!("SELECT COUNT(*) FROM {}", case.table);
        let edited = format!("SELECT COUNT(*) FROM {} WHERE {}", case.table, case.edit);
        let (references_before, rows_before) = (count(&db, &referenced).await, count(&db, &rows).await);
        assert!(references_before > 0, "{}: tiny data references no {}", case.domain, case.table);

        // Every referenced row is edited, as an operator's hand change on a live database would.
        let edit =
            format!("UPDATE {} SET {} WHERE id IN (SELECT {fk} FROM {referencing})", case.table, case.edit);
        db.execute_raw(Statement::from_string(db.get_database_backend(), edit)).await.unwrap();
        let edits = count(&db, &edited).await;
        assert!(edits > 0, "{}: the edit changed nothing", case.domain);

        let before_dry_run = digest(&db, case.domain).await;
        let out = t.seedbed(&["seed", "--reference-only", "--dry-run", "--domain", case.domain]);
        assert_success(&out);
        let listed = format!("update {} ", case.table);
        let lines = stdout(&out);
        assert!(
            lines.contains(&format!("{edits} to update")) && lines.contains(&listed),
            "{}: the dry run does not list the {edits} update(s)\n{}",
            case.domain,
            show(&out)
        );
        assert!(
            lines.contains(&format!("({})", case.column)),
            "{}: the dry run does not name the column\n{}",
            case.domain,
            show(&out)
        );
        assert_eq!(
            digest(&db, case.domain).await,
            before_dry_run,
            "{}: the dry run changed data\n{}",
            case.domain,
            show(&out)
        );

        let out = t.seedbed(&["seed", "--reference-only", "--domain", case.domain]);
        assert_success(&out);
        assert!(
            stdout(&out).contains(&format!("0 inserted, {edits} updated")),
            "{}\n{}",
            case.domain,
            show(&out)
        );
        assert_eq!(count(&db, &edited).await, 0, "{}: the edit is still there\n{}", case.domain, show(&out));
        assert_eq!(
            (count(&db, &referenced).await, count(&db, &rows).await),
            (references_before, rows_before),
            "{}: referencing rows or reference rows were lost or re-keyed",
            case.domain
        );
        let out = t.seedbed(&["check", "--domain", case.domain]);
        assert_success(&out);
    }
}

backend_tests!(reference_only_fills_an_empty_migrated_domain_that_then_passes_check);
async fn reference_only_fills_an_empty_migrated_domain_that_then_passes_check(backend: Backend) {
    let t = TestDb::new(backend).await;
    for case in CASES {
        let db = t.migrated(domain(case.domain)).await;
        // Version 1.4.0's backfill may leave a plan where there was a VIP user; not here.
        let out = t.seedbed(&["seed", "--reference-only", "--domain", case.domain]);
        assert_success(&out);
        let total: u64 = case.defined.iter().map(|(_, n)| n).sum();
        assert!(
            stdout(&out).contains(&format!("{total} inserted, 0 updated, 0 unchanged")),
            "{}: not every reference row was inserted\n{}",
            case.domain,
            show(&out)
        );
        for (table, n) in case.defined {
            assert_eq!(
                count(&db, &format!("SELECT COUNT(*) FROM {table}")).await,
                *n as i64,
                "{}.{table}",
                case.domain
            );
        }
        let out = t.seedbed(&["check", "--domain", case.domain]);
        assert_success(&out);
        let out = t.seedbed(&["seed", "--reference-only", "--domain", case.domain]);
        assert!(
            stdout(&out).contains(&format!("0 inserted, 0 updated, {total} unchanged")),
            "{}",
            show(&out)
        );
    }
}

backend_tests!(reference_only_in_production_needs_confirm);
async fn reference_only_in_production_needs_confirm(backend: Backend) {
    let t = TestDb::new(backend).await;
    let case = &CASES[0];
    let db = t.migrated(domain(case.domain)).await;
    let rows = format!("SELECT COUNT(*) FROM {}", case.table);

    let out = t.seedbed(&["seed", "--reference-only", "--env", "production", "--domain", case.domain]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert_eq!(stderr.trim_end().lines().count(), 1, "not one line\n{}", show(&out));
    assert!(stderr.contains("--confirm") && stderr.contains("--dry-run"), "{}", show(&out));
    assert_eq!(count(&db, &rows).await, 0, "the refused run wrote rows");

    // A dry run writes nothing, so it needs no confirmation.
    let out =
        t.seedbed(&["seed", "--reference-only", "--dry-run", "--env", "production", "--domain", case.domain]);
    assert_success(&out);
    assert_eq!(count(&db, &rows).await, 0, "the dry run wrote rows");

    let out =
        t.seedbed(&["seed", "--reference-only", "--env", "production", "--confirm", "--domain", case.domain]);
    assert_success(&out);
    assert!(count(&db, &rows).await > 0, "the confirmed run wrote nothing\n{}", show(&out));
}

backend_tests!(a_reference_row_stored_under_another_key_is_updated_under_that_key);
async fn a_reference_row_stored_under_another_key_is_updated_under_that_key(backend: Backend) {
    // A database whose reference rows predate their definitions: the `daily` category under
    // key 77, with another name and no description. The upsert finds it by its slug, and
    // updates it there.
    let t = TestDb::new(backend).await;
    let db = t.migrated(domain("draw")).await;
    let insert =
        "INSERT INTO draw_categories (id, slug, name, sort_order) VALUES (77, 'daily', 'Old daily', 2)";
    db.execute_raw(Statement::from_string(db.get_database_backend(), insert)).await.unwrap();

    let out = t.seedbed(&["seed", "--reference-only", "--domain", "draw"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("update draw_categories slug = daily (name, description)"),
        "the hand-made row was not updated\n{}",
        show(&out)
    );
    let kept = "SELECT COUNT(*) FROM draw_categories WHERE id = 77 AND slug = 'daily' AND name = 'Daily'";
    assert_eq!(count(&db, kept).await, 1, "the daily category left key 77\n{}", show(&out));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM draw_categories").await, 4, "{}", show(&out));
}

backend_tests!(draw_reference_rows_upserted_into_an_emptied_domain_are_the_seeded_ones);
async fn draw_reference_rows_upserted_into_an_emptied_domain_are_the_seeded_ones(backend: Backend) {
    // A sharded seeding upserts the reference rows into an empty domain, and its cells refer
    // to them by the keys `seed` gives them: the upsert must insert exactly those rows, even
    // where an earlier seeding moved the tables' sequences.
    use sea_orm::EntityTrait;
    use seedbed_draw::{draw_categories, plans};

    let t = TestDb::new(backend).await;
    let draw = domain("draw");
    let db = seeded(&t, draw, options(Profile::Tiny, 7)).await;
    let categories = draw_categories::Entity::find().all(&db).await.unwrap();
    let plans = plans::Entity::find().all(&db).await.unwrap();
    for table in draw.seeder.tables().iter().rev() {
        let sql = format!("DELETE FROM {}", table.name());
        db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    }
    let now = seedbed_seeds::default_now();
    let outcome = seedbed_seeds::reference::apply(&db, draw.seeder, now, false).await.unwrap();
    assert_eq!(outcome.inserts(), 8, "{outcome:?}");
    assert_eq!(draw_categories::Entity::find().all(&db).await.unwrap(), categories);
    assert_eq!(plans::Entity::find().all(&db).await.unwrap(), plans);
    // And the application's next category is keyed past them, here and in a domain never
    // seeded, whose sequences had not moved.
    let fresh = TestDb::new(backend).await;
    let never_seeded = fresh.migrated(draw).await;
    seedbed_seeds::reference::apply(&never_seeded, draw.seeder, now, false).await.unwrap();
    for db in [&db, &never_seeded] {
        let insert = "INSERT INTO draw_categories (slug, name, sort_order) VALUES ('extra', 'Extra', 5)";
        db.execute_raw(Statement::from_string(db.get_database_backend(), insert)).await.unwrap();
        let keyed = "SELECT COUNT(*) FROM draw_categories WHERE slug = 'extra' AND id = 5";
        assert_eq!(count(db, keyed).await, 1);
    }
}
