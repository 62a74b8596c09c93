//! The fixtures' rollback mode: a transaction per test on a shared seeded copy, rolled back
//! when the test ends. Parallel tests writing the same row do not see each other, the shared
//! copy never changes, a later test reuses it (no copy), and a transaction the test's code
//! committed early (MariaDB DDL, an explicit COMMIT) fails the test and retires the copy.

use std::panic::{AssertUnwindSafe, catch_unwind};

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use seedbed_core::{Backend, Target};
use seedbed_draw::users;
use seedbed_fixtures::{Domain, Fixture, TxDb};

use crate::util::{backend_tests, server_url};

fn url(backend: Backend) -> String {
    server_url(backend).unwrap_or_else(|| {
        format!("sqlite://{}", std::env::temp_dir().join("seedbed-fixtures-tests").display())
    })
}

/// The seeder's digest of the draw data in a shared copy, read over a connection of its own.
async fn digest_of(copy: &Target) -> String {
    let conn = copy.connect("draw").await.unwrap();
    let digest = seedbed_seeds::digest(&conn, seedbed::domains::find("draw").unwrap().seeder).await.unwrap();
    conn.close().await.unwrap();
    digest
}

/// Sets the player's coins inside the test's transaction and reads them back there.
async fn set_coins(db: &TxDb, player: &str, coins: i32) -> i32 {
    let user = users::Entity::find_by_id(player.to_owned()).one(db.conn()).await.unwrap().unwrap();
    let mut user: users::ActiveModel = user.into();
    user.coins = Set(coins);
    user.update(db.conn()).await.unwrap();
    users::Entity::find_by_id(player.to_owned()).one(db.conn()).await.unwrap().unwrap().coins
}

backend_tests!(parallel_tests_writing_one_row_do_not_see_each_other);
async fn parallel_tests_writing_one_row_do_not_see_each_other(backend: Backend) {
    let fixture = || Fixture::new(Domain::Draw).url(&url(backend));
    let (a, b) = (fixture().transactional().await.unwrap(), fixture().transactional().await.unwrap());
    let copies = [a.location(), b.location()];
    let before = digest_of(&copies[0]).await;
    assert_eq!(digest_of(&copies[1]).await, before, "two shared copies of one template differ");

    let player = a.known().player().await.unwrap().id;
    let (seen_by_a, seen_by_b) = tokio::join!(set_coins(&a, &player, 111), set_coins(&b, &player, 222));
    assert_eq!((seen_by_a, seen_by_b), (111, 222), "a test saw the other's write to the same row");
    drop((a, b));

    for copy in &copies {
        assert_eq!(
            digest_of(copy).await,
            before,
            "the shared copy {} changed after its tests ended on {backend:?}",
            copy.describe("draw")
        );
    }
    let next = fixture().transactional().await.unwrap();
    let reused = next.location().describe("draw");
    assert!(
        copies.iter().any(|c| c.describe("draw") == reused),
        "the next test got a new copy ({reused}) instead of an idle shared one"
    );
}

/// What a statement the test's code runs inside its transaction does to the shared copy.
enum Outcome {
    /// The engine undoes it with the rest: the test passes, the copy is unchanged.
    RolledBack,
    /// It committed the transaction: the test fails saying so, the copy is dropped.
    Reported,
}

/// The seed of `a_transaction_committed_early_fails_the_test`'s template. Its copies are
/// meant to be committed into and retired: sharing the default template's idle copies with
/// the other tests here, run in parallel, it would hand them a copy it had just changed.
const COMMITTING_SEED: u64 = 0xC0FF_EE11;

backend_tests!(a_transaction_committed_early_fails_the_test);
async fn a_transaction_committed_early_fails_the_test(backend: Backend) {
    let ddl = if backend == Backend::MySql { Outcome::Reported } else { Outcome::RolledBack };
    let cases = [
        // (statement, whether it fails, what it does to the shared copy)
        ("CREATE TABLE scratch_rollback (id INT)", false, ddl),
        ("COMMIT", false, Outcome::Reported),
        // A failing statement (PostgreSQL then refuses all but the rollback) commits nothing.
        ("SELECT * FROM no_such_table", true, Outcome::RolledBack),
    ];
    for (statement, fails, outcome) in cases {
        let db = Fixture::new(Domain::Draw)
            .url(&url(backend))
            .seed(COMMITTING_SEED)
            .transactional()
            .await
            .unwrap();
        let copy = db.location();
        let before = digest_of(&copy).await;
        let player = db.known().player().await.unwrap().id;
        set_coins(&db, &player, 333).await;
        let ran = db.execute_unprepared(statement).await;
        assert_eq!(ran.is_err(), fails, "`{statement}` on {backend:?}: {ran:?}");
        let failure = catch_unwind(AssertUnwindSafe(|| drop(db))).err().map(|p| {
            p.downcast_ref::<String>().cloned().unwrap_or_else(|| "a panic without a message".to_owned())
        });
        let context = format!("`{statement}` on {backend:?}, shared copy {}", copy.describe("draw"));
        match outcome {
            Outcome::RolledBack => {
                assert_eq!(failure, None, "{context}: the test failed");
                assert_eq!(digest_of(&copy).await, before, "{context}: the data changed");
                let conn = copy.connect("draw").await.unwrap();
                let table = conn.execute_unprepared("SELECT * FROM scratch_rollback").await;
                assert!(table.is_err(), "{context}: the table outlived the rollback");
                conn.close().await.unwrap();
            }
            Outcome::Reported => {
                let message = failure.unwrap_or_else(|| panic!("{context}: the test passed"));
                assert!(
                    message.contains("was committed before the test ended")
                        && message.contains("mode = \"copy\""),
                    "{context}: the failure does not say what happened and what to do: {message}"
                );
                assert!(
                    !copy.namespace_exists("draw").await.unwrap_or(false),
                    "{context}: the copy holding the test's writes was kept"
                );
            }
        }
    }
}
