//! Version 1.2.0, social: friend requests (pending, accepted or declined), the `friendships`
//! view (one row per accepted request and direction, so a friendship exists exactly for an
//! accepted request), shares of a draw or a win to a channel or a friend, and referrals whose
//! reward is a `referral_reward` entry in the ledger, a type the transaction checks learn here.
//!
//! Applied after 1.3.0 in this history (1.3.0 shipped first); it touches nothing 1.3.0 made.
//! The down keeps every coin: a `referral_reward` entry becomes a `referral_bonus` (the type
//! 1.0.0 paid referrals with, positive like it) before the checks of 1.0.0 come back.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    Constraint, OnDelete::*, TableDef, add_constraints, check, create_tables, drop_constraints, drop_tables,
    exec, foreign_key, index, now, one_of, quote, unique,
};

const REQUEST_STATUS: &[&str] = &["pending", "accepted", "declined"];
const SHARE_CHANNEL: &[&str] = &["friend", "link", "email", "whatsapp"];
const REFERRAL_STATUS: &[&str] = &["sent", "joined", "expired"];

/// The ledger's types and sign rule as 1.0.0 made them (restored by the down).
const TYPES_1_0: &[&str] =
    &["coin_purchase", "daily_bonus", "referral_bonus", "draw_entry", "refund", "adjustment"];
const SIGN_1_0: &str = "amount <> 0 AND (type NOT IN ('coin_purchase', 'daily_bonus', 'referral_bonus', 'refund') OR amount > 0) \
                     AND (type <> 'draw_entry' OR amount < 0)";

/// The same with `referral_reward`, a credit.
const TYPES_1_2: &[&str] = &[
    "coin_purchase",
    "daily_bonus",
    "referral_bonus",
    "draw_entry",
    "refund",
    "adjustment",
    "referral_reward",
];
const SIGN_1_2: &str = "amount <> 0 AND (type NOT IN ('coin_purchase', 'daily_bonus', 'referral_bonus', 'refund', 'referral_reward') OR amount > 0) \
                     AND (type <> 'draw_entry' OR amount < 0)";

fn ledger_checks(types: &[&str], sign: &str) -> Vec<Constraint> {
    vec![check("ck_transactions_type", &one_of("type", types)), check("ck_transactions_sign", sign)]
}

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![
        (
            Table::create()
                .table("friend_requests")
                .col(pk_auto("id"))
                .col(string_len("requester_id", 255))
                .col(string_len("addressee_id", 255))
                .col(string_len("status", 16).default("pending"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(
                    timestamp_with_time_zone_null("responded_at")
                        .comment("When the addressee accepted or declined."),
                )
                .to_owned(),
            vec![
                foreign_key("friend_requests", "requester_id", "users", Cascade),
                foreign_key("friend_requests", "addressee_id", "users", Cascade),
                check("ck_friend_requests_not_self", "requester_id <> addressee_id"),
                check("ck_friend_requests_status", &one_of("status", REQUEST_STATUS)),
                check(
                    "ck_friend_requests_responded",
                    "(status = 'pending' AND responded_at IS NULL) OR (status <> 'pending' AND responded_at IS NOT NULL)",
                ),
            ],
            // One request per direction; the other direction is the integrity check's.
            vec![
                unique("friend_requests", &["requester_id", "addressee_id"]),
                index("friend_requests", &["addressee_id", "status"]),
            ],
        ),
        (
            Table::create()
                .table("shares")
                .col(pk_auto("id"))
                .col(string_len("user_id", 255))
                .col(integer_null("draw_id").comment("The draw shared, or NULL when a win is."))
                .col(integer_null("winner_id").comment("The win shared, or NULL when a draw is."))
                .col(string_len("channel", 16))
                .col(
                    string_len_null("friend_id", 255)
                        .comment("The friend shared with, on the friend channel."),
                )
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("shares", "user_id", "users", Cascade),
                foreign_key("shares", "draw_id", "draws", Cascade),
                foreign_key("shares", "winner_id", "winners", Cascade),
                foreign_key("shares", "friend_id", "users", Cascade),
                check(
                    "ck_shares_subject",
                    "(draw_id IS NOT NULL AND winner_id IS NULL) OR (draw_id IS NULL AND winner_id IS NOT NULL)",
                ),
                check("ck_shares_channel", &one_of("channel", SHARE_CHANNEL)),
                check(
                    "ck_shares_recipient",
                    "(channel = 'friend' AND friend_id IS NOT NULL AND friend_id <> user_id) \
                     OR (channel <> 'friend' AND friend_id IS NULL)",
                ),
            ],
            vec![index("shares", &["user_id", "created_at"])],
        ),
        (
            Table::create()
                .table("referrals")
                .col(pk_auto("id"))
                .col(string_len("referrer_id", 255))
                .col(string_len("code", 16).comment("The invitation code the friend signs up with."))
                .col(string_len_null("invited_email", 255))
                .col(string_len_null("referred_id", 255).comment("The friend, once they joined."))
                .col(string_len("status", 16).default("sent"))
                .col(
                    integer_null("reward_transaction_id")
                        .comment("The referrer's referral_reward, once the friend joined."),
                )
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone_null("joined_at"))
                .to_owned(),
            vec![
                foreign_key("referrals", "referrer_id", "users", Restrict),
                foreign_key("referrals", "referred_id", "users", Restrict),
                foreign_key("referrals", "reward_transaction_id", "transactions", Restrict),
                check("ck_referrals_code", "code <> ''"),
                check("ck_referrals_status", &one_of("status", REFERRAL_STATUS)),
                check("ck_referrals_not_self", "referred_id IS NULL OR referred_id <> referrer_id"),
                check(
                    "ck_referrals_joined",
                    "(status = 'joined' AND referred_id IS NOT NULL AND joined_at IS NOT NULL AND reward_transaction_id IS NOT NULL) \
                     OR (status <> 'joined' AND referred_id IS NULL AND joined_at IS NULL AND reward_transaction_id IS NULL)",
                ),
            ],
            vec![
                unique("referrals", &["code"]),
                // A player is referred once, and a ledger entry rewards one referral.
                unique("referrals", &["referred_id"]),
                unique("referrals", &["reward_transaction_id"]),
                index("referrals", &["referrer_id"]),
            ],
        ),
    ]
}

/// Both directions of each accepted request: "my friends" is `WHERE user_id = me`.
const FRIENDSHIPS: &str = "SELECT id AS request_id, requester_id AS user_id, addressee_id AS friend_id, \
     responded_at AS since FROM friend_requests WHERE status = 'accepted' \
     UNION ALL SELECT id, addressee_id, requester_id, responded_at FROM friend_requests WHERE status = 'accepted'";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        drop_constraints(m, "transactions", &ledger_checks(TYPES_1_0, SIGN_1_0)).await?;
        add_constraints(m, "transactions", &ledger_checks(TYPES_1_2, SIGN_1_2)).await?;
        create_tables(m, &tables(b)).await?;
        exec(m, format!("CREATE VIEW {} AS {FRIENDSHIPS}", quote(b, "friendships"))).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        exec(m, format!("DROP VIEW {}", quote(b, "friendships"))).await?;
        drop_tables(m, &tables(b)).await?;
        exec(m, "UPDATE transactions SET type = 'referral_bonus' WHERE type = 'referral_reward'").await?;
        drop_constraints(m, "transactions", &ledger_checks(TYPES_1_2, SIGN_1_2)).await?;
        add_constraints(m, "transactions", &ledger_checks(TYPES_1_0, SIGN_1_0)).await
    }
}
