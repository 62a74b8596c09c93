//! A service's first tests with seedbed fixtures, written with `#[seedbed_fixtures::test]`.
//! SQLite by default, PostgreSQL or MariaDB when SEEDBED_FIXTURE_URL names a server, e.g.
//! `SEEDBED_FIXTURE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test`.
//!
//! The first two tests get a copy of the seeded database each (`Db`); the last two run in a
//! transaction on a shared seeded copy, rolled back when they end (`TxDb`, `mode = "rollback"`).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use seedbed_draw::{draws, participations, users};
use seedbed_fixtures::{Db, TxDb};
use seedbed_fixtures_example::{grant_coins, places_left};

#[seedbed_fixtures::test(domains(draw), profile = "tiny", seed = 42)]
async fn a_finished_draw_has_its_winner_among_its_entrants(db: Db) {
    let (draw, winner) = db.known().finished_draw().await.unwrap();
    let entrants = participations::Entity::find()
        .filter(participations::Column::DrawId.eq(draw.id))
        .all(db.conn())
        .await
        .unwrap();
    assert!(entrants.iter().any(|p| p.user_id == winner.user_id));
    assert_eq!(
        places_left(draw.max_participants, draw.current_participants),
        draw.max_participants - entrants.len() as i32
    );
}

#[seedbed_fixtures::test(domains(draw))]
async fn entering_a_draw_costs_its_fee(db: Db) {
    let f = db.factory();
    let draw = f.draws().open().with_entry_fee(50).max_participants(2).create().await.unwrap();
    let player = db.known().player().await.unwrap();
    f.participate(&player.id, draw.id).await.unwrap();

    let after = users::Entity::find_by_id(player.id.clone()).one(db.conn()).await.unwrap().unwrap();
    let draw = draws::Entity::find_by_id(draw.id).one(db.conn()).await.unwrap().unwrap();
    assert_eq!(draw.current_participants, 1);
    assert_eq!(places_left(draw.max_participants, draw.current_participants), 1);
    assert_eq!(after.total_participations, player.total_participations + 1);
    // The fee is debited; a player short of it first buys the missing coins, in hundreds.
    let bought = if player.coins >= 50 { 0 } else { (50 - player.coins + 99) / 100 * 100 };
    assert_eq!(
        after.coins,
        player.coins + bought - 50,
        "{} coins before, {bought} bought, a fee of 50",
        player.coins
    );
}

#[seedbed_fixtures::test(domains(draw), mode = "rollback")]
async fn granting_coins_commits_a_savepoint_inside_the_test(db: TxDb) {
    let player = db.known().player().await.unwrap();
    // The service opens a transaction of its own: inside the test's, it is a savepoint.
    let balance = grant_coins(&*db, &player.id, 100).await.unwrap();
    let after = users::Entity::find_by_id(player.id.clone()).one(db.conn()).await.unwrap().unwrap();
    assert_eq!((balance, after.coins), (player.coins + 100, player.coins + 100));
}

#[seedbed_fixtures::test(domains(draw), mode = "rollback")]
async fn a_full_draw_has_no_places_left(db: TxDb) {
    let f = db.factory();
    let draw = f.draws().open().max_participants(1).create().await.unwrap();
    let player = db.known().player().await.unwrap();
    f.participate(&player.id, draw.id).await.unwrap();
    let draw = draws::Entity::find_by_id(draw.id).one(db.conn()).await.unwrap().unwrap();
    assert_eq!(places_left(draw.max_participants, draw.current_participants), 0);
}
