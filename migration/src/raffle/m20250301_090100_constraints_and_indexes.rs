//! 002 constraints and indexes: the relationships between the core tables (each with a
//! deliberate ON DELETE), the rules a row must obey, unique constraints, and indexes for the
//! query paths the platform uses. Every foreign key column gets its index before its key,
//! so that MariaDB does not invent one that `down` would leave behind.

use sea_orm_migration::prelude::*;

use crate::ddl::{
    Constraint, IndexDef, OnDelete::*, add_constraints, check, drop_constraints, foreign_key, index, unique,
};

fn indexes() -> Vec<IndexDef> {
    vec![
        unique("users", &["email"]),
        unique("users", &["wallet_address"]),
        index("users", &["role"]),
        unique("email_verification_tokens", &["token_hash"]),
        index("email_verification_tokens", &["user_id"]),
        unique("password_reset_tokens", &["token_hash"]),
        index("password_reset_tokens", &["user_id"]),
        unique("seller_subscriptions", &["code"]),
        unique("sellers", &["user_id"]),
        index("sellers", &["subscription_id"]),
        index("items", &["seller_id", "status"]),
        index("items", &["category"]),
        index("raffles", &["item_id"]),
        index("raffles", &["status", "draw_at"]),
        index("raffles", &["winner_id"]),
        index("transactions", &["user_id", "created_at DESC"]),
        index("transactions", &["raffle_id"]),
        unique("transactions", &["reference"]),
        unique("box_purchases", &["raffle_id", "box_number"]),
        index("box_purchases", &["user_id", "purchased_at"]),
        index("box_purchases", &["transaction_id"]),
        index("user_credits", &["user_id", "expires_at"]),
        index("user_credits", &["item_id"]),
        index("user_credits", &["raffle_id"]),
        index("free_redeemable_items", &["item_id"]),
        index("system_settings", &["updated_by"]),
    ]
}

fn constraints() -> Vec<(&'static str, Vec<Constraint>)> {
    vec![
        (
            "users",
            vec![
                check("ck_users_email_lowercase", "email = LOWER(email)"),
                check("ck_users_email_format", "email LIKE '%_@_%'"),
                check("ck_users_balance", "balance >= 0"),
                check("ck_users_updated", "updated_at >= created_at"),
            ],
        ),
        (
            "email_verification_tokens",
            vec![
                foreign_key("email_verification_tokens", "user_id", "users", Cascade),
                check("ck_email_verification_tokens_expiry", "expires_at > created_at"),
                check("ck_email_verification_tokens_used", "used_at IS NULL OR used_at >= created_at"),
            ],
        ),
        (
            "password_reset_tokens",
            vec![
                foreign_key("password_reset_tokens", "user_id", "users", Cascade),
                check("ck_password_reset_tokens_expiry", "expires_at > created_at"),
                check("ck_password_reset_tokens_used", "used_at IS NULL OR used_at >= created_at"),
            ],
        ),
        (
            "seller_subscriptions",
            vec![
                check("ck_seller_subscriptions_price", "monthly_price >= 0"),
                check(
                    "ck_seller_subscriptions_limits",
                    "max_active_raffles > 0 AND max_items >= max_active_raffles",
                ),
                check("ck_seller_subscriptions_commission", "commission_rate >= 0 AND commission_rate < 1"),
            ],
        ),
        (
            "sellers",
            vec![
                // A seller with a selling history must not vanish with its account.
                foreign_key("sellers", "user_id", "users", Restrict),
                foreign_key("sellers", "subscription_id", "seller_subscriptions", Restrict),
                check("ck_sellers_rating", "rating IS NULL OR (rating >= 0 AND rating <= 5)"),
                check(
                    "ck_sellers_subscription_period",
                    "subscription_expires_at IS NULL OR subscription_expires_at > subscription_started_at",
                ),
            ],
        ),
        (
            "items",
            vec![
                foreign_key("items", "seller_id", "sellers", Restrict),
                check("ck_items_price", "price > 0"),
                check("ck_items_inventory", "inventory_count >= 0"),
            ],
        ),
        (
            "raffles",
            vec![
                foreign_key("raffles", "item_id", "items", Restrict),
                foreign_key("raffles", "winner_id", "users", Restrict),
                check("ck_raffles_total_boxes", "total_boxes > 0"),
                check("ck_raffles_box_price", "box_price > 0"),
                check("ck_raffles_boxes_sold", "boxes_sold >= 0 AND boxes_sold <= total_boxes"),
                check("ck_raffles_schedule", "draw_at > starts_at"),
                check("ck_raffles_full", "status <> 'full' OR boxes_sold = total_boxes"),
                check(
                    "ck_raffles_winner",
                    "(status = 'completed' AND winner_id IS NOT NULL AND winning_box_number IS NOT NULL AND drawn_at IS NOT NULL) \
                     OR (status <> 'completed' AND winner_id IS NULL AND winning_box_number IS NULL)",
                ),
                check(
                    "ck_raffles_winning_box",
                    "winning_box_number IS NULL OR (winning_box_number >= 1 AND winning_box_number <= total_boxes)",
                ),
                check(
                    "ck_raffles_cancelled",
                    "(status = 'cancelled' AND cancelled_at IS NOT NULL) OR (status <> 'cancelled' AND cancelled_at IS NULL)",
                ),
            ],
        ),
        (
            "transactions",
            vec![
                // Money records outlive nothing they point at.
                foreign_key("transactions", "user_id", "users", Restrict),
                foreign_key("transactions", "raffle_id", "raffles", Restrict),
                // Implications, so that an unknown type breaks only ck_transactions_type.
                check(
                    "ck_transactions_sign",
                    "(type NOT IN ('deposit', 'refund', 'seller_payout') OR amount > 0) \
                     AND (type NOT IN ('withdrawal', 'box_purchase', 'subscription_fee') OR amount < 0)",
                ),
                check("ck_transactions_balance_after", "balance_after >= 0"),
                check(
                    "ck_transactions_raffle",
                    "type NOT IN ('box_purchase', 'refund', 'seller_payout') OR raffle_id IS NOT NULL",
                ),
            ],
        ),
        (
            "box_purchases",
            vec![
                foreign_key("box_purchases", "raffle_id", "raffles", Restrict),
                foreign_key("box_purchases", "user_id", "users", Restrict),
                foreign_key("box_purchases", "transaction_id", "transactions", Restrict),
                check("ck_box_purchases_box_number", "box_number >= 1"),
                check("ck_box_purchases_price_paid", "price_paid > 0"),
            ],
        ),
        (
            "user_credits",
            vec![
                // Credits are part of the account: they go when it goes.
                foreign_key("user_credits", "user_id", "users", Cascade),
                foreign_key("user_credits", "item_id", "items", Restrict),
                foreign_key("user_credits", "raffle_id", "raffles", Restrict),
                check("ck_user_credits_amount", "amount > 0"),
                check("ck_user_credits_remaining", "remaining >= 0 AND remaining <= amount"),
                check(
                    "ck_user_credits_item",
                    "(credit_type = 'item_specific' AND item_id IS NOT NULL) OR (credit_type = 'general' AND item_id IS NULL)",
                ),
                check("ck_user_credits_raffle_loss", "source <> 'raffle_loss' OR raffle_id IS NOT NULL"),
                check("ck_user_credits_expiry", "expires_at IS NULL OR expires_at > created_at"),
            ],
        ),
        (
            "free_redeemable_items",
            vec![
                // A catalogue entry may outlive the listing it was made from.
                foreign_key("free_redeemable_items", "item_id", "items", SetNull),
                check("ck_free_redeemable_items_cost", "credit_cost > 0"),
                check("ck_free_redeemable_items_stock", "stock >= 0"),
                check("ck_free_redeemable_items_validity", "valid_until IS NULL OR valid_until > valid_from"),
            ],
        ),
        ("system_settings", vec![foreign_key("system_settings", "updated_by", "users", SetNull)]),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for ix in indexes() {
            ix.create(m).await?;
        }
        for (table, constraints) in constraints() {
            add_constraints(m, table, &constraints).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, constraints) in constraints().into_iter().rev() {
            drop_constraints(m, table, &constraints).await?;
        }
        for ix in indexes().into_iter().rev() {
            ix.drop(m).await?;
        }
        Ok(())
    }
}
