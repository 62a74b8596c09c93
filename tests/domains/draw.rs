//! The draw domain by example: a small valid world of players, draws, entries, coin
//! transactions and a winner, and the writes its constraints must refuse.

use chrono::{Duration, TimeZone, Utc};
use sea_orm::prelude::Decimal;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use seedbed_draw::enums::{Language, Theme, TransactionType};
use seedbed_draw::*;

use crate::constraints::{Case, update, update_where};
use crate::integrity::{Corruption, corrupt, first};
use crate::util::Violation::*;

/// The digest of the domain seeded with `tiny`, seed 7, at the default time and scale: fixed
/// here, so that every backend, SQLite included, is compared with something it did not
/// compute itself (`seeding::every_backend_holds_the_same_data`). A change to what the seeder
/// writes changes it on purpose: update it in the same commit, and say why (`seedbed bootstrap
/// --profile tiny --seed 7` then `seedbed digest` prints it).
pub const TINY_SEED_7_DIGEST: &str = "14fbc772c687463af1b9bef8e5ed4e7428dc7de444e7ba86920e398a81321dd6";

async fn put<A>(db: &DatabaseConnection, model: A)
where
    A: sea_orm::ActiveModelTrait + Send,
{
    A::Entity::insert(model).exec_without_returning(db).await.expect("planting a valid row");
}

fn player(id: &str, email: &str, coins: i32) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id.into()),
        email: Set(Some(email.into())),
        first_name: Set(Some("Ada".into())),
        last_name: Set(None),
        profile_image_url: Set(None),
        coins: Set(coins),
        total_participations: Set(1),
        total_wins: Set(0),
        total_earnings: Set(Decimal::ZERO),
        current_streak: Set(1),
        is_vip: Set(false),
        ..Default::default()
    }
}

fn draw(id: i32, active: bool, winner: Option<&str>) -> draws::ActiveModel {
    let t = Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap();
    draws::ActiveModel {
        id: Set(id),
        title: Set(format!("Draw {id}")),
        description: Set(None),
        prize_amount: Set(Decimal::new(50000, 2)),
        entry_fee: Set(10),
        max_participants: Set(2),
        current_participants: Set(2),
        draw_time: Set(t + Duration::days(if active { 3 } else { -3 })),
        prize_image_url: Set(None),
        is_active: Set(active),
        winner_id: Set(winner.map(str::to_owned)),
        category_id: Set(1),
        ..Default::default()
    }
}

/// Plants two players, an open and a finished draw they both entered, their coin
/// transactions and the finished draw's winner, then lists writes that each break one rule.
pub async fn rejected_writes(db: &DatabaseConnection) -> Vec<Case> {
    put(db, player("auth|ada", "ada@example.com", 80)).await;
    put(db, player("auth|bob", "bob@example.org", 80)).await;
    for (id, slug) in [(1, "classic"), (2, "mega")] {
        put(
            db,
            draw_categories::ActiveModel {
                id: Set(id),
                slug: Set(slug.into()),
                name: Set(slug.into()),
                description: Set(None),
                sort_order: Set(id),
                ..Default::default()
            },
        )
        .await;
    }
    put(
        db,
        user_preferences::ActiveModel {
            user_id: Set("auth|ada".into()),
            notify_email: Set(true),
            notify_push: Set(true),
            notify_sms: Set(false),
            language: Set(Language::En),
            theme: Set(Theme::Dark),
            marketing_opt_in: Set(false),
            ..Default::default()
        },
    )
    .await;
    put(db, draw(1, true, None)).await;
    put(db, draw(2, false, Some("auth|ada"))).await;
    for (id, user, draw_id) in
        [(1, "auth|ada", 1), (2, "auth|bob", 1), (3, "auth|ada", 2), (4, "auth|bob", 2)]
    {
        put(
            db,
            participations::ActiveModel {
                id: Set(id),
                user_id: Set(user.into()),
                draw_id: Set(draw_id),
                ..Default::default()
            },
        )
        .await;
    }
    let tx = |id: i32, user: &str, kind: TransactionType, amount: i32, draw_id: Option<i32>| {
        transactions::ActiveModel {
            id: Set(id),
            user_id: Set(user.into()),
            kind: Set(kind),
            amount: Set(amount),
            description: Set(None),
            draw_id: Set(draw_id),
            ..Default::default()
        }
    };
    put(db, tx(1, "auth|ada", TransactionType::CoinPurchase, 100, None)).await;
    put(db, tx(2, "auth|ada", TransactionType::DrawEntry, -10, Some(1))).await;
    put(
        db,
        winners::ActiveModel {
            id: Set(1),
            user_id: Set("auth|ada".into()),
            draw_id: Set(2),
            prize_amount: Set(Decimal::new(50000, 2)),
            celebration_video_url: Set(None),
            is_public: Set(true),
            ..Default::default()
        },
    )
    .await;

    let b = db.get_database_backend();
    let second_winner = Query::insert()
        .into_table(Alias::new("winners"))
        .columns([Alias::new("id"), Alias::new("user_id"), Alias::new("draw_id"), Alias::new("prize_amount")])
        .values_panic([2.into(), "auth|bob".into(), 2.into(), Decimal::new(100, 0).into()])
        .to_owned();
    vec![
        Case::new(b, "ck_users_coins", Check, &update("users", "coins", -1, "auth|ada")),
        Case::new(
            b,
            "ck_users_email_lowercase",
            Check,
            &update("users", "email", "Ada@Example.com", "auth|ada"),
        ),
        Case::new(b, "ck_draws_entry_fee", Check, &update("draws", "entry_fee", -5, 1)),
        Case::new(b, "ck_draws_current_participants", Check, &update("draws", "current_participants", 3, 1)),
        Case::new(b, "ck_draws_winner", Check, &update("draws", "winner_id", "auth|bob", 1)),
        Case::new(b, "ck_transactions_type", Check, &update("transactions", "type", "lottery_win", 1)),
        Case::new(b, "ck_transactions_sign", Check, &update("transactions", "amount", 10, 2)),
        Case::new(b, "ck_winners_prize_amount", Check, &update("winners", "prize_amount", Decimal::ZERO, 1)),
        Case::new(
            b,
            "fk_participations_user_id",
            ForeignKey,
            &update("participations", "user_id", "auth|ghost", 1),
        ),
        Case::new(b, "fk_winners_draw_id", ForeignKey, &update("winners", "draw_id", 999, 1)),
        Case::new(
            b,
            "uq_participations_user_id_draw_id",
            Unique,
            &update("participations", "user_id", "auth|ada", 2),
        ),
        Case::new(b, "uq_winners_draw_id", Unique, &second_winner),
        Case::new(b, "uq_users_email", Unique, &update("users", "email", "bob@example.org", "auth|ada")),
        Case::new(
            b,
            "ck_user_preferences_language",
            Check,
            &update_where("user_preferences", "language", "xx", "user_id", "auth|ada"),
        ),
        Case::new(
            b,
            "ck_user_preferences_theme",
            Check,
            &update_where("user_preferences", "theme", "neon", "user_id", "auth|ada"),
        ),
        Case::new(b, "fk_draws_category_id", ForeignKey, &update("draws", "category_id", 99, 1)),
        Case::new(b, "uq_draw_categories_slug", Unique, &update("draw_categories", "slug", "classic", 2)),
        Case::new(b, "ck_draw_categories_slug", Check, &update("draw_categories", "slug", "", 2)),
    ]
}

/// One corruption per draw rule, in the order of the rules.
pub fn corruptions(_backend: sea_orm::DbBackend) -> Vec<Corruption> {
    let winner = "(SELECT id FROM winners ORDER BY id LIMIT 1)";
    let w_user = format!("(SELECT user_id FROM winners WHERE id = {winner})");
    let w_draw = format!("(SELECT draw_id FROM winners WHERE id = {winner})");
    let w_prize = format!("(SELECT prize_amount FROM winners WHERE id = {winner})");
    // Someone who entered draws and won fewer than they entered, but not this draw.
    let stranger = format!(
        "(SELECT id FROM (SELECT u.id FROM users u WHERE u.total_participations > u.total_wins AND NOT EXISTS \
          (SELECT 1 FROM participations p WHERE p.user_id = u.id AND p.draw_id = {w_draw}) ORDER BY u.id LIMIT 1) first_row)"
    );
    vec![
        corrupt(
            "coins_are_sum_of_transactions",
            &["UPDATE users SET coins = coins + 1 WHERE id = 'seed|player'"],
        ),
        corrupt(
            "current_participants_is_entries",
            &[&format!(
                "UPDATE draws SET current_participants = current_participants - 1 WHERE id = {}",
                first("draws", "current_participants >= 1")
            )],
        ),
        corrupt(
            "winner_participated",
            &[
                &format!(
                    "UPDATE users SET total_wins = total_wins + 1, total_earnings = total_earnings + {w_prize} WHERE id = {stranger}"
                ),
                &format!(
                    "UPDATE users SET total_wins = total_wins - 1, total_earnings = total_earnings - {w_prize} WHERE id = {w_user}"
                ),
                &format!("UPDATE draws SET winner_id = {stranger} WHERE id = {w_draw}"),
                &format!("UPDATE winners SET user_id = {stranger} WHERE id = {winner}"),
            ],
        ),
        corrupt(
            "drawn_draw_has_one_winner",
            &[&format!(
                "UPDATE draws SET is_active = FALSE WHERE id = {}",
                first("draws", "is_active = TRUE")
            )],
        ),
        corrupt(
            "winner_id_agrees_with_winners",
            &[&format!(
                "UPDATE draws SET winner_id = (SELECT MIN(u.id) FROM users u WHERE u.id <> draws.winner_id) WHERE id = {}",
                first("draws", "winner_id IS NOT NULL")
            )],
        ),
        corrupt(
            "participation_count_agrees",
            &["UPDATE users SET total_participations = total_participations + 1 WHERE id = 'seed|player'"],
        ),
        corrupt(
            "win_statistics_agree",
            &["UPDATE users SET total_earnings = total_earnings + 1 WHERE id = 'seed|player'"],
        ),
        corrupt(
            "entry_debited_once",
            &[
                &format!(
                    "UPDATE users SET coins = coins + 1 WHERE id = (SELECT user_id FROM transactions WHERE id = {})",
                    first("transactions", "type = 'draw_entry'")
                ),
                &format!(
                    "UPDATE transactions SET amount = amount + 1 WHERE id = {}",
                    first("transactions", "type = 'draw_entry'")
                ),
            ],
        ),
        corrupt(
            "entry_before_draw_time",
            &[&format!(
                "UPDATE participations SET participated_at = (SELECT w.won_at FROM winners w WHERE w.draw_id = participations.draw_id) WHERE id = {}",
                first("participations", "draw_id IN (SELECT draw_id FROM winners)")
            )],
        ),
        corrupt(
            "prize_is_the_draws",
            &[
                &format!("UPDATE users SET total_earnings = total_earnings + 1 WHERE id = {w_user}"),
                &format!("UPDATE winners SET prize_amount = prize_amount + 1 WHERE id = {winner}"),
            ],
        ),
        corrupt(
            "every_user_has_preferences",
            &["DELETE FROM user_preferences WHERE user_id = 'seed|player'"],
        ),
        corrupt(
            "draw_category_follows_title",
            &[&format!(
                "UPDATE draws SET category_id = (SELECT id FROM draw_categories WHERE slug = 'mega') WHERE id = {}",
                first("draws", "title NOT LIKE 'Mega%'")
            )],
        ),
        corrupt(
            "streak_within_participations",
            &["UPDATE users SET current_streak = total_participations + 1 WHERE id = 'seed|player'"],
        ),
    ]
}
