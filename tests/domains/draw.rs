//! The draw domain by example: a small valid world of players, draws, entries, coin
//! transactions and a winner, and the writes its constraints must refuse.

use chrono::{Duration, TimeZone, Utc};
use sea_orm::prelude::Decimal;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, ExprTrait};
use seedbed_draw::enums::{
    FriendRequestStatus, Language, ReferralStatus, ShareChannel, SubscriptionStatus, Theme, TransactionType,
};
use seedbed_draw::*;

use crate::constraints::{Case, update, update_where};
use crate::integrity::{Corruption, corrupt, first};
use crate::util::Violation::*;

/// The digest of the domain seeded with `tiny`, seed 7, at the default time and scale: fixed
/// here, so that every backend, SQLite included, is compared with something it did not
/// compute itself (`seeding::every_backend_holds_the_same_data`). A change to what the seeder
/// writes changes it on purpose: update it in the same commit, and say why (`seedbed bootstrap
/// --profile tiny --seed 7` then `seedbed digest` prints it).
pub const TINY_SEED_7_DIGEST: &str = "37be6785dc02d852f72f5c1a974d3b1cc92bd30c1da8799b648fb7416bc0d0ab";

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
        is_premium: Set(false),
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

    plant_social_and_premium(db, tx).await;

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
    .into_iter()
    .chain(social_and_premium_cases(b))
    .collect()
}

/// Version 1.2.0 and 1.4.0 rows beside the world above: Ada asked Bob to be friends and he
/// accepted; Ada shared draw 1 by link and with Bob, and her win by email; Ada referred Bob
/// (rewarded by transaction 3) and has a sent invitation; Ada holds an active monthly
/// subscription, paid by transaction 4, after an expired trial.
async fn plant_social_and_premium<F>(db: &DatabaseConnection, tx: F)
where
    F: Fn(i32, &str, TransactionType, i32, Option<i32>) -> transactions::ActiveModel,
{
    let t = Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap();
    put(
        db,
        friend_requests::ActiveModel {
            id: Set(1),
            requester_id: Set("auth|ada".into()),
            addressee_id: Set("auth|bob".into()),
            status: Set(FriendRequestStatus::Accepted),
            responded_at: Set(Some(t)),
            ..Default::default()
        },
    )
    .await;
    let share =
        |id: i32, channel, draw: Option<i32>, win: Option<i32>, friend: Option<&str>| shares::ActiveModel {
            id: Set(id),
            user_id: Set("auth|ada".into()),
            draw_id: Set(draw),
            winner_id: Set(win),
            channel: Set(channel),
            friend_id: Set(friend.map(str::to_owned)),
            ..Default::default()
        };
    put(db, share(1, ShareChannel::Link, Some(1), None, None)).await;
    put(db, share(2, ShareChannel::Friend, Some(1), None, Some("auth|bob"))).await;
    put(db, share(3, ShareChannel::Email, None, Some(1), None)).await;
    put(db, tx(3, "auth|ada", TransactionType::ReferralReward, 100, None)).await;
    put(db, tx(4, "auth|ada", TransactionType::SubscriptionPayment, -300, None)).await;
    let referral = |id: i32, code: &str, joined: bool| referrals::ActiveModel {
        id: Set(id),
        referrer_id: Set("auth|ada".into()),
        code: Set(code.into()),
        invited_email: Set(None),
        referred_id: Set(joined.then(|| "auth|bob".to_owned())),
        status: Set(if joined { ReferralStatus::Joined } else { ReferralStatus::Sent }),
        reward_transaction_id: Set(joined.then_some(3)),
        joined_at: Set(joined.then_some(t)),
        ..Default::default()
    };
    put(db, referral(1, "R000001AAAAAA", true)).await;
    put(db, referral(2, "R000002BBBBBB", false)).await;
    for (id, slug, price, days) in [(1, "trial", 0, 7), (2, "monthly", 300, 30)] {
        put(
            db,
            plans::ActiveModel {
                id: Set(id),
                slug: Set(slug.into()),
                name: Set(slug.into()),
                price_coins: Set(price),
                period_days: Set(days),
                perks: Set(serde_json::json!(["premium_draws"])),
                is_public: Set(true),
                sort_order: Set(id),
                ..Default::default()
            },
        )
        .await;
    }
    let subscription =
        |id: i32, plan: i32, status: SubscriptionStatus, from: i64| subscriptions::ActiveModel {
            id: Set(id),
            user_id: Set("auth|ada".into()),
            plan_id: Set(plan),
            status: Set(status),
            started_at: Set(t + Duration::days(from)),
            period_start: Set(t + Duration::days(from)),
            period_end: Set(t + Duration::days(from + 30)),
            renewals: Set(0),
            auto_renew: Set(status == SubscriptionStatus::Active),
            cancelled_at: Set(None),
            active_user_id: Set((status == SubscriptionStatus::Active).then(|| "auth|ada".to_owned())),
            ..Default::default()
        };
    put(db, subscription(1, 1, SubscriptionStatus::Expired, -60)).await;
    put(db, subscription(2, 2, SubscriptionStatus::Active, -1)).await;
    put(
        db,
        subscription_payments::ActiveModel {
            id: Set(1),
            subscription_id: Set(2),
            transaction_id: Set(4),
            period_start: Set(t - Duration::days(1)),
            period_end: Set(t + Duration::days(29)),
        },
    )
    .await;
}

/// The writes versions 1.2.0 and 1.4.0 must refuse. Two of their rules span tables and are
/// the integrity checks' (see [`corruptions`]): a VIP flag agrees with an active
/// subscription, and only subscribers enter premium draws; so is a friend request the other
/// way round, which no portable constraint can refuse.
fn social_and_premium_cases(b: sea_orm::DbBackend) -> Vec<Case> {
    let second_active = Query::insert()
        .into_table(Alias::new("subscriptions"))
        .columns(
            [
                "id",
                "user_id",
                "plan_id",
                "status",
                "started_at",
                "period_start",
                "period_end",
                "active_user_id",
            ]
            .map(Alias::new),
        )
        .select_from(
            Query::select()
                .exprs([
                    sea_orm::sea_query::Expr::val(3),
                    sea_orm::sea_query::Expr::col(Alias::new("user_id")),
                    sea_orm::sea_query::Expr::col(Alias::new("plan_id")),
                    sea_orm::sea_query::Expr::col(Alias::new("status")),
                    sea_orm::sea_query::Expr::col(Alias::new("started_at")),
                    sea_orm::sea_query::Expr::col(Alias::new("period_start")),
                    sea_orm::sea_query::Expr::col(Alias::new("period_end")),
                    sea_orm::sea_query::Expr::col(Alias::new("active_user_id")),
                ])
                .from(Alias::new("subscriptions"))
                .and_where(sea_orm::sea_query::Expr::col(Alias::new("id")).eq(2))
                .to_owned(),
        )
        .unwrap()
        .to_owned();
    let second_request = Query::insert()
        .into_table(Alias::new("friend_requests"))
        .columns([Alias::new("id"), Alias::new("requester_id"), Alias::new("addressee_id")])
        .values_panic([2.into(), "auth|ada".into(), "auth|bob".into()])
        .to_owned();
    vec![
        // Friend requests: nobody befriends themselves, a pair asks once, three states.
        Case::new(
            b,
            "ck_friend_requests_not_self",
            Check,
            &update("friend_requests", "addressee_id", "auth|ada", 1),
        ),
        Case::new(b, "uq_friend_requests_requester_id_addressee_id", Unique, &second_request),
        Case::new(b, "ck_friend_requests_status", Check, &update("friend_requests", "status", "blocked", 1)),
        Case::new(
            b,
            "ck_friend_requests_responded",
            Check,
            &update("friend_requests", "responded_at", Option::<chrono::DateTime<Utc>>::None, 1),
        ),
        Case::new(
            b,
            "fk_friend_requests_addressee_id",
            ForeignKey,
            &update("friend_requests", "addressee_id", "auth|ghost", 1),
        ),
        // Shares: one subject, a known channel, a friend exactly on the friend channel.
        Case::new(b, "ck_shares_subject", Check, &update("shares", "winner_id", 1, 1)),
        Case::new(b, "ck_shares_channel", Check, &update("shares", "channel", "sms", 1)),
        Case::new(b, "ck_shares_recipient", Check, &update("shares", "channel", "link", 2)),
        Case::new(b, "fk_shares_winner_id", ForeignKey, &update("shares", "winner_id", 99, 3)),
        // Referrals: joined exactly with a friend, a time and a reward; never oneself.
        Case::new(b, "ck_referrals_joined", Check, &update("referrals", "status", "expired", 1)),
        Case::new(b, "ck_referrals_not_self", Check, &update("referrals", "referred_id", "auth|ada", 1)),
        Case::new(b, "ck_referrals_status", Check, &update("referrals", "status", "bounced", 2)),
        Case::new(b, "uq_referrals_code", Unique, &update("referrals", "code", "R000001AAAAAA", 2)),
        Case::new(
            b,
            "fk_referrals_reward_transaction_id",
            ForeignKey,
            &update("referrals", "reward_transaction_id", 999, 1),
        ),
        // The ledger's new types keep their sign: a reward credits, a payment debits.
        Case::new(b, "ck_transactions_sign", Check, &update("transactions", "amount", -100, 3)),
        Case::new(b, "ck_transactions_sign", Check, &update("transactions", "amount", 300, 4)),
        // Plans and subscriptions: at most one active subscription per user.
        Case::new(b, "ck_plans_price_coins", Check, &update("plans", "price_coins", -1, 2)),
        Case::new(b, "ck_plans_period_days", Check, &update("plans", "period_days", 0, 2)),
        Case::new(b, "uq_plans_slug", Unique, &update("plans", "slug", "trial", 2)),
        Case::new(b, "uq_subscriptions_active_user_id", Unique, &second_active),
        Case::new(b, "ck_subscriptions_active", Check, &update("subscriptions", "status", "expired", 2)),
        Case::new(
            b,
            "ck_subscriptions_active",
            Check,
            &update("subscriptions", "active_user_id", "auth|bob", 2),
        ),
        Case::new(b, "ck_subscriptions_status", Check, &update("subscriptions", "status", "paused", 1)),
        Case::new(b, "ck_subscriptions_renewals", Check, &update("subscriptions", "renewals", -1, 2)),
        Case::new(
            b,
            "ck_subscriptions_cancelled",
            Check,
            &update(
                "subscriptions",
                "cancelled_at",
                Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap(),
                1,
            ),
        ),
        Case::new(b, "fk_subscriptions_plan_id", ForeignKey, &update("subscriptions", "plan_id", 99, 1)),
        Case::new(
            b,
            "uq_subscription_payments_transaction_id",
            Unique,
            &Query::insert()
                .into_table(Alias::new("subscription_payments"))
                .columns(
                    ["id", "subscription_id", "transaction_id", "period_start", "period_end"].map(Alias::new),
                )
                .select_from(
                    Query::select()
                        .exprs([
                            sea_orm::sea_query::Expr::val(2),
                            sea_orm::sea_query::Expr::col(Alias::new("subscription_id")),
                            sea_orm::sea_query::Expr::col(Alias::new("transaction_id")),
                            sea_orm::sea_query::Expr::col(Alias::new("period_start")),
                            sea_orm::sea_query::Expr::col(Alias::new("period_end")),
                        ])
                        .from(Alias::new("subscription_payments"))
                        .to_owned(),
                )
                .unwrap()
                .to_owned(),
        ),
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
                // A win is shared by its winner (1.2.0): the stranger's shares would be another rule.
                &format!("DELETE FROM shares WHERE winner_id = {winner}"),
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
        // 1.2.0: the same pair asked again the other way round.
        corrupt(
            "friend_request_once_per_pair",
            &["INSERT INTO friend_requests (requester_id, addressee_id, status, created_at, responded_at) \
               SELECT addressee_id, requester_id, 'declined', created_at, responded_at FROM friend_requests \
               WHERE id = (SELECT MIN(id) FROM friend_requests WHERE status = 'accepted')"],
        ),
        corrupt(
            "friend_request_timeline",
            &[&format!(
                "UPDATE friend_requests SET responded_at = (SELECT created_at FROM users WHERE id = friend_requests.requester_id) \
                 WHERE id = {}",
                first("friend_requests", "status = 'declined'")
            )],
        ),
        corrupt(
            "shared_with_a_friend",
            &[&format!(
                "UPDATE friend_requests SET status = 'declined' WHERE id = {}",
                first(
                    "friend_requests",
                    "status = 'accepted' AND EXISTS (SELECT 1 FROM shares s WHERE s.channel = 'friend' AND \
                     ((s.user_id = requester_id AND s.friend_id = addressee_id) OR (s.user_id = addressee_id AND s.friend_id = requester_id)))"
                )
            )],
        ),
        corrupt(
            "share_follows_its_subject",
            &[&format!(
                "UPDATE shares SET created_at = (SELECT MIN(created_at) FROM users) WHERE id = {}",
                first("shares", "user_id NOT IN ('seed|admin', 'seed|winner', 'seed|player')")
            )],
        ),
        corrupt(
            "referral_timeline",
            &[&format!(
                "UPDATE referrals SET created_at = (SELECT MAX(created_at) FROM transactions) WHERE id = {}",
                first("referrals", "status = 'joined'")
            )],
        ),
        corrupt(
            "referral_reward_is_the_referrers",
            &[&format!(
                "UPDATE transactions SET created_at = (SELECT MIN(created_at) FROM users) WHERE id = {}",
                first("transactions", "type = 'referral_reward'")
            )],
        ),
        corrupt(
            "referral_rewards_match_referrals",
            &[
                "INSERT INTO transactions (user_id, type, amount, description) VALUES ('seed|player', 'referral_reward', 100, 'unexplained')",
                "UPDATE users SET coins = coins + 100 WHERE id = 'seed|player'",
            ],
        ),
        // 1.4.0.
        corrupt(
            "vip_is_an_active_subscription",
            &["UPDATE users SET is_vip = FALSE WHERE id = 'seed|admin'"],
        ),
        corrupt(
            "premium_entry_by_a_subscriber",
            &[&format!(
                "UPDATE draws SET is_premium = TRUE WHERE id = {}",
                first(
                    "draws",
                    "EXISTS (SELECT 1 FROM participations p WHERE p.draw_id = draws.id AND NOT EXISTS \
                     (SELECT 1 FROM subscriptions s WHERE s.user_id = p.user_id))"
                )
            )],
        ),
        corrupt(
            "subscription_timeline",
            &[&format!(
                "UPDATE subscriptions SET started_at = (SELECT MIN(created_at) FROM users) WHERE id = {}",
                first("subscriptions", "user_id NOT IN ('seed|admin', 'seed|winner', 'seed|player')")
            )],
        ),
        corrupt(
            "subscription_payment_matches",
            &[&format!(
                "UPDATE transactions SET created_at = (SELECT MIN(created_at) FROM users) WHERE id = {}",
                first("transactions", "type = 'subscription_payment'")
            )],
        ),
        corrupt(
            "paid_periods_are_in_the_ledger",
            &[&format!(
                "UPDATE subscriptions SET renewals = renewals + 1 WHERE id = {}",
                first("subscriptions", "plan_id IN (SELECT id FROM plans WHERE price_coins > 0)")
            )],
        ),
    ]
}

/// Cells (`seeds/src/cells.rs`): `tiny --scale 3` is three tiny cells of draw, each a world of
/// its own. Its digest, fixed here like [`TINY_SEED_7_DIGEST`], is the same on every backend.
pub const TINY_3_CELLS_SEED_7_DIGEST: &str = "b98be363f327def4f0881cde2aa83bb02fcb2322004b8f7070ec227088344a39";

mod cells {
    use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
    use seedbed_core::Backend;
    use seedbed_seeds::{Profile, Quiet, SeedOptions, default_now};

    use crate::seeding::{failing_checks, seeded};
    use crate::util::{TestDb, backend_tests};

    fn draw() -> &'static seedbed_registry::Domain {
        seedbed_registry::find("draw").expect("draw is registered")
    }

    async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("one row")
            .try_get_by_index::<i64>(0)
            .unwrap()
    }

    /// Every user's rows, by the cell their integer keys place them in: a user in more than
    /// one cell is a reference across cells.
    const USERS_IN_TWO_CELLS: &str = "SELECT COUNT(*) FROM (SELECT u FROM ( \
        SELECT user_id AS u, (id - 1) % 3 AS c FROM participations \
        UNION ALL SELECT user_id, (id - 1) % 3 FROM transactions \
        UNION ALL SELECT user_id, (id - 1) % 3 FROM winners \
        UNION ALL SELECT winner_id, (id - 1) % 3 FROM draws WHERE winner_id IS NOT NULL \
        UNION ALL SELECT requester_id, (id - 1) % 3 FROM friend_requests \
        UNION ALL SELECT addressee_id, (id - 1) % 3 FROM friend_requests \
        UNION ALL SELECT user_id, (id - 1) % 3 FROM shares \
        UNION ALL SELECT friend_id, (id - 1) % 3 FROM shares WHERE friend_id IS NOT NULL \
        UNION ALL SELECT referrer_id, (id - 1) % 3 FROM referrals \
        UNION ALL SELECT referred_id, (id - 1) % 3 FROM referrals WHERE referred_id IS NOT NULL \
        UNION ALL SELECT user_id, (id - 1) % 3 FROM subscriptions \
        ) homes GROUP BY u HAVING COUNT(DISTINCT c) > 1) strays";

    /// Integer references whose row and target are in different cells.
    const KEYS_ACROSS_CELLS: &str = "SELECT COUNT(*) FROM ( \
        SELECT id, draw_id AS r FROM participations \
        UNION ALL SELECT id, draw_id FROM transactions WHERE draw_id IS NOT NULL \
        UNION ALL SELECT id, draw_id FROM winners \
        UNION ALL SELECT id, draw_id FROM shares WHERE draw_id IS NOT NULL \
        UNION ALL SELECT id, winner_id FROM shares WHERE winner_id IS NOT NULL \
        UNION ALL SELECT id, reward_transaction_id FROM referrals WHERE reward_transaction_id IS NOT NULL \
        UNION ALL SELECT id, subscription_id FROM subscription_payments \
        UNION ALL SELECT id, transaction_id FROM subscription_payments \
        ) refs WHERE (id - 1) % 3 <> (r - 1) % 3";

    backend_tests!(three_tiny_cells_pass_check_with_one_digest_and_refer_within_their_cell);
    async fn three_tiny_cells_pass_check_with_one_digest_and_refer_within_their_cell(backend: Backend) {
        let t = TestDb::new(backend).await;
        let seeder = draw().seeder;
        let opts = SeedOptions::new(7, Profile::Tiny, 3.0, default_now()).unwrap();
        let db = seeded(&t, draw(), opts).await;
        let failing = failing_checks(&db, draw()).await;
        assert!(failing.is_empty(), "3 tiny cells on {backend:?}:\n  {}", failing.join("\n  "));
        let digest = seedbed_seeds::digest(&db, seeder).await.unwrap();
        assert_eq!(digest, super::TINY_3_CELLS_SEED_7_DIGEST, "3 tiny cells on {backend:?}");

        // Every cell has draws, and nothing refers to another cell's rows.
        assert_eq!(count(&db, "SELECT COUNT(DISTINCT (id - 1) % 3) FROM draws").await, 3, "draws of 3 cells");
        assert_eq!(count(&db, USERS_IN_TWO_CELLS).await, 0, "players whose rows are in two cells");
        assert_eq!(count(&db, KEYS_ACROSS_CELLS).await, 0, "keys that name another cell's row");
        // The documented accounts and their one-off rows are cell 0's alone.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM users WHERE id LIKE 'seed|%'").await, 3);
        let legacy = "SELECT COUNT(*) FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE p.slug = 'vip_legacy'";
        assert_eq!(count(&db, legacy).await, 1, "only the admin is on the legacy plan");

        // About three times one tiny cell's rows; the reference rows once.
        let cells = seedbed_seeds::row_counts(&db, seeder).await.unwrap();
        let hash = seedbed_seeds::accounts::dev_password_hash();
        let one = SeedOptions::new(7, Profile::Tiny, 1.0, default_now()).unwrap();
        seedbed_seeds::seed(&db, seeder, one, true, &Quiet, &hash).await.unwrap();
        let single = seedbed_seeds::row_counts(&db, seeder).await.unwrap();
        for ((table, three), (_, one)) in cells.iter().zip(&single) {
            let (three, one) = (*three as f64, *one as f64);
            if ["draw_categories", "plans"].contains(table) {
                assert_eq!(three, one, "{table}: reference rows written once");
            } else {
                assert!((2.0 * one..=4.0 * one).contains(&three), "{table}: {three} rows in 3 cells, {one} in one");
            }
        }
    }
}
