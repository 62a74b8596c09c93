//! Version 1.0.0, the initial schema: sessions, users with coins and statistics, draws,
//! participations, coin transactions and winners, with the keys, rules and defaults a real
//! lottery needs. The seed's camelCase fields are snake_case columns here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    OnDelete::*, TableDef, check, create_tables, drop_tables, foreign_key, index, now, one_of, unique,
};

const TRANSACTION_TYPE: &[&str] =
    &["coin_purchase", "daily_bonus", "referral_bonus", "draw_entry", "refund", "adjustment"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    let created = || timestamp_with_time_zone("created_at").default(now(b)).take();
    let updated = || timestamp_with_time_zone("updated_at").default(now(b)).take();
    vec![
        (
            // The session store's own table (connect-pg-simple's shape).
            Table::create()
                .table("sessions")
                .col(string_len("sid", 255).primary_key())
                .col(json("sess").comment("The session object as the session store serialises it."))
                .col(timestamp_with_time_zone("expire"))
                .to_owned(),
            vec![],
            vec![index("sessions", &["expire"])],
        ),
        (
            Table::create()
                .table("users")
                // TEXT in the seed; VARCHAR(255) because MariaDB cannot key or index TEXT whole.
                .col(string_len("id", 255).primary_key().comment("Subject id issued by the auth provider."))
                .col(string_len_null("email", 255))
                .col(text_null("first_name"))
                .col(text_null("last_name"))
                .col(text_null("profile_image_url"))
                .col(
                    integer("coins")
                        .default(0)
                        .comment("Spendable coins; equals the sum of the user's transactions."),
                )
                .col(integer("total_participations").default(0))
                .col(integer("total_wins").default(0))
                .col(decimal_len("total_earnings", 12, 2).default(0).comment("Sum of the prizes won."))
                .col(integer("current_streak").default(0).comment("Draws entered in the 30 days before now."))
                .col(boolean("is_vip").default(false))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![
                check("ck_users_email_lowercase", "email IS NULL OR email = LOWER(email)"),
                check("ck_users_coins", "coins >= 0"),
                check(
                    "ck_users_counters",
                    "total_participations >= 0 AND total_wins >= 0 AND total_wins <= total_participations AND current_streak >= 0",
                ),
                check("ck_users_total_earnings", "total_earnings >= 0"),
            ],
            vec![unique("users", &["email"])],
        ),
        (
            Table::create()
                .table("draws")
                .col(pk_auto("id"))
                .col(text("title"))
                .col(text_null("description"))
                .col(decimal_len("prize_amount", 12, 2))
                .col(integer("entry_fee").default(0).comment("Coins it costs to enter."))
                .col(integer("max_participants"))
                .col(integer("current_participants").default(0).comment("Equals the draw's participations."))
                .col(timestamp_with_time_zone("draw_time"))
                .col(text_null("prize_image_url"))
                .col(
                    boolean("is_active")
                        .default(true)
                        .comment("Open for entries; false once drawn or withdrawn."),
                )
                .col(string_len_null("winner_id", 255))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![
                foreign_key("draws", "winner_id", "users", Restrict),
                check("ck_draws_prize_amount", "prize_amount > 0"),
                check("ck_draws_entry_fee", "entry_fee >= 0"),
                check("ck_draws_max_participants", "max_participants > 0"),
                check(
                    "ck_draws_current_participants",
                    "current_participants >= 0 AND current_participants <= max_participants",
                ),
                check("ck_draws_winner", "winner_id IS NULL OR NOT is_active"),
            ],
            vec![],
        ),
        (
            Table::create()
                .table("participations")
                .col(pk_auto("id"))
                .col(string_len("user_id", 255))
                .col(integer("draw_id"))
                .col(timestamp_with_time_zone("participated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("participations", "user_id", "users", Restrict),
                foreign_key("participations", "draw_id", "draws", Restrict),
            ],
            // One entry per user per draw.
            vec![unique("participations", &["user_id", "draw_id"])],
        ),
        (
            Table::create()
                .table("transactions")
                .col(pk_auto("id"))
                .col(string_len("user_id", 255))
                .col(string_len("type", 30))
                .col(integer("amount").comment("Signed coins: positive credits the user, negative debits."))
                .col(text_null("description"))
                .col(integer_null("draw_id").comment("The draw a draw_entry pays for."))
                .col(created())
                .to_owned(),
            vec![
                foreign_key("transactions", "user_id", "users", Restrict),
                foreign_key("transactions", "draw_id", "draws", Restrict),
                check("ck_transactions_type", &one_of("type", TRANSACTION_TYPE)),
                // Written as implications, so that an unknown type breaks only ck_transactions_type.
                check(
                    "ck_transactions_sign",
                    "amount <> 0 AND (type NOT IN ('coin_purchase', 'daily_bonus', 'referral_bonus', 'refund') OR amount > 0) \
                     AND (type <> 'draw_entry' OR amount < 0)",
                ),
                check("ck_transactions_draw", "type <> 'draw_entry' OR draw_id IS NOT NULL"),
            ],
            vec![],
        ),
        (
            Table::create()
                .table("winners")
                .col(pk_auto("id"))
                .col(string_len("user_id", 255))
                .col(integer("draw_id"))
                .col(decimal_len("prize_amount", 12, 2))
                .col(timestamp_with_time_zone("won_at").default(now(b)))
                .col(text_null("celebration_video_url"))
                .col(boolean("is_public").default(true).comment("Shown in the public winners feed."))
                .to_owned(),
            vec![
                foreign_key("winners", "user_id", "users", Restrict),
                foreign_key("winners", "draw_id", "draws", Restrict),
                check("ck_winners_prize_amount", "prize_amount > 0"),
            ],
            // A draw has one winner.
            vec![unique("winners", &["draw_id"])],
        ),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_tables(m, &tables(m.get_database_backend())).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &tables(m.get_database_backend())).await
    }
}
