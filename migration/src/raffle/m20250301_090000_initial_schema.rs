//! 001 initial schema: the twelve core tables with their keys, columns, defaults and
//! enumerated types (VARCHAR + CHECK). Relationships, business rules, unique constraints and
//! indexes follow in 002, as in the platform's own history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{Constraint, check, create_table, drop_table, now, one_of};

const USER_ROLE: &[&str] = &["user", "seller", "admin", "operator"];
const ITEM_STATUS: &[&str] = &["available", "sold", "inactive"];
const RAFFLE_STATUS: &[&str] = &["open", "full", "drawing", "completed", "cancelled"];
const CREDIT_SOURCE: &[&str] = &["raffle_loss", "deposit", "refund", "bonus"];
const CREDIT_TYPE: &[&str] = &["general", "item_specific"];
const TRANSACTION_TYPE: &[&str] =
    &["deposit", "withdrawal", "box_purchase", "refund", "seller_payout", "subscription_fee"];

/// Tables in creation order; `down` drops them in reverse.
fn tables(b: DbBackend) -> Vec<(TableCreateStatement, Vec<Constraint>)> {
    let created = || timestamp_with_time_zone("created_at").default(now(b)).take();
    let updated = || timestamp_with_time_zone("updated_at").default(now(b)).take();
    vec![
        (
            Table::create()
                .table("users")
                .col(pk_uuid("id"))
                .col(string_len("email", 255).comment("Stored lower-case; unique on every backend."))
                .col(
                    string_len("password_hash", 255)
                        .comment("argon2id PHC string; the password itself is never stored."),
                )
                .col(string_len("display_name", 100))
                .col(string_len_null("phone", 32))
                .col(string_len("role", 20).default("user"))
                .col(
                    string_len("wallet_address", 64).comment(
                        "Internal platform wallet that holds the balance; not a blockchain address.",
                    ),
                )
                .col(
                    decimal_len("balance", 12, 2)
                        .default(0)
                        .comment("Spendable money; equals the sum of the user's transactions."),
                )
                .col(boolean("is_active").default(true))
                .col(timestamp_with_time_zone_null("email_verified_at"))
                .col(timestamp_with_time_zone_null("last_login_at"))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![check("ck_users_role", &one_of("role", USER_ROLE))],
        ),
        (
            Table::create()
                .table("email_verification_tokens")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(
                    string_len("token_hash", 128)
                        .comment("SHA-256 of the token mailed to the user; the token is never stored."),
                )
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(created())
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("password_reset_tokens")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(
                    string_len("token_hash", 128)
                        .comment("SHA-256 of the token mailed to the user; the token is never stored."),
                )
                .col(string_len_null("requested_ip", 45))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(created())
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("seller_subscriptions")
                .col(pk_uuid("id"))
                .col(
                    string_len("code", 30)
                        .comment("Stable tier identifier used by the application, e.g. pro."),
                )
                .col(string_len("name", 100))
                .col(decimal_len("monthly_price", 10, 2))
                .col(
                    integer("max_active_raffles")
                        .comment("Raffles a seller on this tier may have open at once."),
                )
                .col(integer("max_items"))
                .col(
                    decimal_len("commission_rate", 5, 4)
                        .comment("Platform share of a completed raffle's revenue, 0 to 1."),
                )
                .col(json_binary("features"))
                .col(boolean("is_active").default(true))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("sellers")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(uuid("subscription_id"))
                .col(string_len("business_name", 200))
                .col(text_null("description"))
                .col(
                    decimal_len_null("rating", 3, 2)
                        .comment("Average buyer rating, 0 to 5; NULL until rated."),
                )
                .col(timestamp_with_time_zone_null("verified_at"))
                .col(timestamp_with_time_zone("subscription_started_at"))
                .col(timestamp_with_time_zone_null("subscription_expires_at"))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("items")
                .col(pk_uuid("id"))
                .col(uuid("seller_id"))
                .col(string_len("title", 200))
                .col(text_null("description"))
                .col(string_len("category", 50))
                .col(decimal_len("price", 12, 2).comment("Retail value of the item."))
                .col(
                    integer("inventory_count")
                        .default(1)
                        .comment("Units the seller still holds for raffles."),
                )
                .col(string_len("status", 20).default("available"))
                .col(string_len_null("image_url", 500))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![check("ck_items_status", &one_of("status", ITEM_STATUS))],
        ),
        (
            Table::create()
                .table("raffles")
                .col(pk_uuid("id"))
                .col(uuid("item_id"))
                .col(string_len("title", 200))
                .col(integer("total_boxes"))
                .col(decimal_len("box_price", 10, 2))
                .col(
                    integer("boxes_sold")
                        .default(0)
                        .comment("Boxes bought so far; equals the raffle's box_purchases."),
                )
                .col(string_len("status", 20).default("open"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(timestamp_with_time_zone("draw_at").comment("Scheduled draw time; sales close then."))
                .col(timestamp_with_time_zone_null("drawn_at"))
                .col(uuid_null("winner_id"))
                .col(integer_null("winning_box_number"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![check("ck_raffles_status", &one_of("status", RAFFLE_STATUS))],
        ),
        (
            Table::create()
                .table("transactions")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("type", 30))
                .col(
                    decimal_len("amount", 12, 2)
                        .comment("Signed: positive credits the user's balance, negative debits it."),
                )
                .col(
                    decimal_len("balance_after", 12, 2)
                        .comment("The user's balance right after this transaction."),
                )
                .col(uuid_null("raffle_id"))
                .col(
                    string_len_null("reference", 100)
                        .comment("Payment provider reference of a deposit or withdrawal."),
                )
                .col(string_len_null("description", 255))
                .col(created())
                .to_owned(),
            vec![check("ck_transactions_type", &one_of("type", TRANSACTION_TYPE))],
        ),
        (
            Table::create()
                .table("box_purchases")
                .col(pk_uuid("id"))
                .col(uuid("raffle_id"))
                .col(uuid("user_id"))
                .col(uuid("transaction_id"))
                .col(integer("box_number").comment("1 to the raffle's total_boxes; each box is sold once."))
                .col(decimal_len("price_paid", 10, 2))
                .col(timestamp_with_time_zone("purchased_at").default(now(b)))
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("user_credits")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("source", 20))
                .col(string_len("credit_type", 20))
                .col(decimal_len("amount", 10, 2))
                .col(decimal_len("remaining", 10, 2).comment("Unspent part of amount."))
                .col(uuid_null("item_id").comment("The item an item_specific credit may be spent on."))
                .col(uuid_null("raffle_id").comment("The lost raffle a raffle_loss credit compensates."))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(created())
                .to_owned(),
            vec![
                check("ck_user_credits_source", &one_of("source", CREDIT_SOURCE)),
                check("ck_user_credits_credit_type", &one_of("credit_type", CREDIT_TYPE)),
            ],
        ),
        (
            Table::create()
                .table("free_redeemable_items")
                .col(pk_uuid("id"))
                .col(uuid_null("item_id"))
                .col(string_len("title", 200))
                .col(text_null("description"))
                .col(decimal_len("credit_cost", 10, 2).comment("Credits a user spends to redeem one unit."))
                .col(integer("stock").default(0))
                .col(boolean("is_active").default(true))
                .col(timestamp_with_time_zone("valid_from"))
                .col(timestamp_with_time_zone_null("valid_until"))
                .col(created())
                .col(updated())
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("system_settings")
                .col(
                    string_len("key", 100)
                        .primary_key()
                        .comment("Dotted setting name, e.g. raffle.max_boxes."),
                )
                .col(json_binary("value"))
                .col(string_len_null("description", 255))
                .col(
                    boolean("is_public")
                        .default(false)
                        .comment("Whether clients may read it without signing in."),
                )
                .col(uuid_null("updated_by"))
                .col(updated())
                .to_owned(),
            vec![],
        ),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, constraints) in tables(m.get_database_backend()) {
            create_table(m, &table, &constraints).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in tables(m.get_database_backend()).iter().rev() {
            drop_table(m, table).await?;
        }
        Ok(())
    }
}
