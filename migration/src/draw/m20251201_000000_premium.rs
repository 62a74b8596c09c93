//! Version 1.4.0, premium: plans (a price in coins, a period, perks), user subscriptions
//! (the current period, its status and how often it renewed; at most one active per user),
//! each paid period as a `subscription_payment` entry in the ledger (linked from
//! `subscription_payments`), and premium-only draws (`draws.is_premium`).
//!
//! At most one active subscription per user holds on every engine: `active_user_id` is the
//! user while the subscription is active and NULL otherwise, and it is unique (MariaDB has no
//! partial unique index). That `users.is_vip` agrees with an active subscription, and that
//! only subscribers enter premium draws, span tables: the integrity checks hold them.
//!
//! Backfill: every VIP user without an active subscription gets one on the `vip_legacy` plan
//! (free, so no ledger entry), starting now, which explains their flag; no other table's rows
//! change. The down keeps every coin: a `subscription_payment` becomes an `adjustment` (a
//! debit 1.0.0 allows) before the checks of 1.2.0 come back.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    Constraint, OnDelete::*, TableDef, add_constraints, check, create_tables, drop_constraints, drop_tables,
    exec, foreign_key, index, now, now_sql, one_of, unique,
};

const SUBSCRIPTION_STATUS: &[&str] = &["active", "cancelled", "expired"];

/// The ledger's types and sign rule as 1.2.0 left them (restored by the down).
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

/// The same with `subscription_payment`, a debit.
const TYPES_1_4: &[&str] = &[
    "coin_purchase",
    "daily_bonus",
    "referral_bonus",
    "draw_entry",
    "refund",
    "adjustment",
    "referral_reward",
    "subscription_payment",
];
const SIGN_1_4: &str = "amount <> 0 AND (type NOT IN ('coin_purchase', 'daily_bonus', 'referral_bonus', 'refund', 'referral_reward') OR amount > 0) \
                     AND (type NOT IN ('draw_entry', 'subscription_payment') OR amount < 0)";

fn ledger_checks(types: &[&str], sign: &str) -> Vec<Constraint> {
    vec![check("ck_transactions_type", &one_of("type", types)), check("ck_transactions_sign", sign)]
}

/// The plan the backfill explains an existing VIP flag with: slug, name, price, period, perks.
const LEGACY_PLAN: (&str, &str, i32, i32, &str) =
    ("vip_legacy", "VIP (before Premium)", 0, 365, r#"["premium_draws"]"#);

fn tables(b: DbBackend) -> Vec<TableDef> {
    let at = |name: &'static str| timestamp_with_time_zone(name).default(now(b)).take();
    vec![
        (
            Table::create()
                .table("plans")
                .col(pk_auto("id"))
                .col(string_len("slug", 64).comment("Stable key of the plan."))
                .col(string_len("name", 120))
                .col(integer("price_coins").comment("Coins each period costs; 0 for a free plan."))
                .col(integer("period_days").comment("Days one paid period lasts."))
                .col(json("perks").comment("The plan's perks, as a JSON array of perk names."))
                .col(boolean("is_public").default(true).comment("Offered to new subscribers."))
                .col(integer("sort_order").default(0))
                .col(at("created_at"))
                .to_owned(),
            vec![
                check("ck_plans_slug", "slug <> ''"),
                check("ck_plans_price_coins", "price_coins >= 0"),
                check("ck_plans_period_days", "period_days > 0"),
            ],
            vec![unique("plans", &["slug"])],
        ),
        (
            Table::create()
                .table("subscriptions")
                .col(pk_auto("id"))
                .col(string_len("user_id", 255))
                .col(integer("plan_id"))
                .col(string_len("status", 16).default("active"))
                .col(timestamp_with_time_zone("started_at").comment("Start of the first period."))
                .col(
                    timestamp_with_time_zone("period_start")
                        .comment("Start of the current (or last) period."),
                )
                .col(timestamp_with_time_zone("period_end"))
                .col(integer("renewals").default(0).comment("Periods after the first."))
                .col(boolean("auto_renew").default(true))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(string_len_null("active_user_id", 255).comment(
                    "user_id while active, NULL otherwise: unique, so one active subscription per user.",
                ))
                .col(at("created_at"))
                .col(at("updated_at"))
                .to_owned(),
            vec![
                foreign_key("subscriptions", "user_id", "users", Restrict),
                foreign_key("subscriptions", "plan_id", "plans", Restrict),
                check("ck_subscriptions_status", &one_of("status", SUBSCRIPTION_STATUS)),
                check("ck_subscriptions_period", "started_at <= period_start AND period_start < period_end"),
                check("ck_subscriptions_renewals", "renewals >= 0"),
                check(
                    "ck_subscriptions_cancelled",
                    "(status = 'cancelled' AND cancelled_at IS NOT NULL) OR (status <> 'cancelled' AND cancelled_at IS NULL)",
                ),
                check(
                    "ck_subscriptions_active",
                    "(status = 'active' AND active_user_id = user_id) OR (status <> 'active' AND active_user_id IS NULL)",
                ),
            ],
            vec![
                unique("subscriptions", &["active_user_id"]),
                index("subscriptions", &["user_id", "period_end"]),
            ],
        ),
        (
            Table::create()
                .table("subscription_payments")
                .col(pk_auto("id"))
                .col(integer("subscription_id"))
                .col(integer("transaction_id").comment("The subscription_payment entry in the ledger."))
                .col(timestamp_with_time_zone("period_start"))
                .col(timestamp_with_time_zone("period_end"))
                .to_owned(),
            vec![
                foreign_key("subscription_payments", "subscription_id", "subscriptions", Restrict),
                foreign_key("subscription_payments", "transaction_id", "transactions", Restrict),
                check("ck_subscription_payments_period", "period_start < period_end"),
            ],
            vec![
                unique("subscription_payments", &["transaction_id"]),
                index("subscription_payments", &["subscription_id", "period_start"]),
            ],
        ),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        drop_constraints(m, "transactions", &ledger_checks(TYPES_1_2, SIGN_1_2)).await?;
        add_constraints(m, "transactions", &ledger_checks(TYPES_1_4, SIGN_1_4)).await?;
        m.alter_table(
            Table::alter()
                .table("draws")
                .add_column(boolean("is_premium").default(false).comment("Only subscribers may enter."))
                .to_owned(),
        )
        .await?;
        if b == DbBackend::Postgres {
            exec(m, "COMMENT ON COLUMN draws.is_premium IS 'Only subscribers may enter.'").await?;
        }
        create_tables(m, &tables(b)).await?;
        backfill(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &tables(m.get_database_backend())).await?;
        m.alter_table(Table::alter().table("draws").drop_column("is_premium").to_owned()).await?;
        exec(m, "UPDATE transactions SET type = 'adjustment' WHERE type = 'subscription_payment'").await?;
        drop_constraints(m, "transactions", &ledger_checks(TYPES_1_4, SIGN_1_4)).await?;
        add_constraints(m, "transactions", &ledger_checks(TYPES_1_2, SIGN_1_2)).await
    }
}

/// Gives each VIP user without an active subscription one on the legacy plan, creating the
/// plan when there is someone to give it to (an empty domain gets its plans from the seeder).
async fn backfill(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let b = m.get_database_backend();
    let (slug, name, price, days, perks) = LEGACY_PLAN;
    let in_a_period = match b {
        DbBackend::Postgres => format!("CURRENT_TIMESTAMP + INTERVAL '{days} days'"),
        DbBackend::MySql => format!("CURRENT_TIMESTAMP + INTERVAL {days} DAY"),
        _ => format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '+{days} days')"),
    };
    let vip_without = "FROM users u WHERE u.is_vip = TRUE AND NOT EXISTS \
         (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id AND s.status = 'active')";
    exec(
        m,
        format!(
            "INSERT INTO plans (slug, name, price_coins, period_days, perks, is_public, sort_order) \
             SELECT '{slug}', '{name}', {price}, {days}, '{perks}', FALSE, 99 \
             FROM (SELECT COUNT(*) AS n {vip_without}) v \
             WHERE v.n > 0 AND NOT EXISTS (SELECT 1 FROM plans WHERE slug = '{slug}')"
        ),
    )
    .await?;
    let now = now_sql(b);
    exec(
        m,
        format!(
            "INSERT INTO subscriptions (user_id, plan_id, status, started_at, period_start, period_end, renewals, \
             auto_renew, active_user_id) \
             SELECT u.id, (SELECT id FROM plans WHERE slug = '{slug}'), 'active', {now}, {now}, {in_a_period}, 0, TRUE, u.id \
             {vip_without}"
        ),
    )
    .await
}
