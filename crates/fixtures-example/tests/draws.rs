//! A service's first tests with seedbed fixtures. Each test gets its own copy of a seeded
//! Lucky11 database: SQLite by default, PostgreSQL or MariaDB when SEEDBED_FIXTURE_URL names
//! a server, e.g. `SEEDBED_FIXTURE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test`.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use seedbed_draw::{draws, participations, users};
use seedbed_fixtures::{Domain, Fixture, Profile};
use seedbed_fixtures_example::places_left;

async fn lucky11() -> seedbed_fixtures::Db {
    Fixture::new(Domain::Draw)
        .profile(Profile::Tiny)
        .seed(42)
        .backend_from_env()
        .acquire()
        .await
        .expect("a seeded Lucky11 database")
}

#[tokio::test]
async fn a_finished_draw_has_its_winner_among_its_entrants() {
    let db = lucky11().await;
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

#[tokio::test]
async fn entering_a_draw_costs_its_fee() {
    let db = lucky11().await;
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
