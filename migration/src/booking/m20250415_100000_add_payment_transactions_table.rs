//! 002 the payment system: one row per payment attempt at a gateway.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    OnDelete::*, TableDef, check, create_tables, drop_tables, foreign_key, index, now, one_of, unique,
};

const PAYMENT_GATEWAY: &[&str] = &["stripe", "razorpay", "paypal"];
const PAYMENT_STATUS: &[&str] = &["created", "authorized", "captured", "failed", "refunded"];
const PAYMENT_METHOD: &[&str] = &["card", "upi", "netbanking", "wallet"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![(
        Table::create()
            .table("payment_transactions")
            .col(pk_uuid("id"))
            .col(uuid("booking_id"))
            .col(uuid("user_id").comment("The payer."))
            .col(string_len("gateway", 20))
            .col(string_len_null("gateway_order_id", 100))
            .col(
                string_len_null("gateway_payment_id", 100)
                    .comment("The gateway's id of the payment; unique when present."),
            )
            .col(decimal_len("amount", 10, 2))
            .col(string_len("currency", 3).default("USD"))
            .col(string_len("status", 20).default("created"))
            .col(string_len_null("method", 20))
            .col(string_len_null("failure_reason", 255))
            .col(decimal_len_null("refund_amount", 10, 2))
            .col(timestamp_with_time_zone_null("captured_at"))
            .col(timestamp_with_time_zone_null("refunded_at"))
            .col(timestamp_with_time_zone("created_at").default(now(b)))
            .col(timestamp_with_time_zone("updated_at").default(now(b)))
            .to_owned(),
        vec![
            foreign_key("payment_transactions", "booking_id", "bookings", Restrict),
            foreign_key("payment_transactions", "user_id", "users", Restrict),
            check("ck_payment_transactions_gateway", &one_of("gateway", PAYMENT_GATEWAY)),
            check("ck_payment_transactions_status", &one_of("status", PAYMENT_STATUS)),
            check(
                "ck_payment_transactions_method",
                &format!("method IS NULL OR {}", one_of("method", PAYMENT_METHOD)),
            ),
            check("ck_payment_transactions_amount", "amount > 0"),
            check(
                "ck_payment_transactions_refund",
                "refund_amount IS NULL OR (refund_amount > 0 AND refund_amount <= amount)",
            ),
            check(
                "ck_payment_transactions_captured",
                "status NOT IN ('captured', 'refunded') OR captured_at IS NOT NULL",
            ),
            check(
                "ck_payment_transactions_refunded",
                "status <> 'refunded' OR (refunded_at IS NOT NULL AND refund_amount IS NOT NULL)",
            ),
        ],
        vec![
            unique("payment_transactions", &["gateway_payment_id"]),
            index("payment_transactions", &["booking_id"]),
            index("payment_transactions", &["user_id", "created_at DESC"]),
            index("payment_transactions", &["status", "created_at"]),
        ],
    )]
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
