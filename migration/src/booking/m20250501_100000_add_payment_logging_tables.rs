//! 003 payment event tracking: the payment lifecycle, raw gateway API calls and fraud signals.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{OnDelete::*, TableDef, check, create_tables, drop_tables, foreign_key, index, now, one_of};

const PAYMENT_EVENT_TYPE: &[&str] = &[
    "order_created",
    "payment_authorized",
    "payment_captured",
    "payment_failed",
    "refund_initiated",
    "refund_processed",
];
const PAYMENT_STATUS: &[&str] = &["created", "authorized", "captured", "failed", "refunded"];
const PAYMENT_GATEWAY: &[&str] = &["stripe", "razorpay", "paypal"];
const HTTP_METHOD: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const SECURITY_EVENT_TYPE: &[&str] =
    &["velocity_limit", "card_mismatch", "suspicious_ip", "signature_mismatch", "chargeback"];
const SEVERITY: &[&str] = &["low", "medium", "high", "critical"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![
        (
            Table::create()
                .table("payment_events")
                .col(pk_uuid("id"))
                .col(uuid("payment_id"))
                .col(string_len("event_type", 30))
                .col(string_len("status", 20).comment("The payment's status after this event."))
                .col(json_binary_null("payload").comment("The gateway's webhook body."))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("payment_events", "payment_id", "payment_transactions", Cascade),
                check("ck_payment_events_event_type", &one_of("event_type", PAYMENT_EVENT_TYPE)),
                check("ck_payment_events_status", &one_of("status", PAYMENT_STATUS)),
            ],
            vec![index("payment_events", &["payment_id", "occurred_at"])],
        ),
        (
            Table::create()
                .table("payment_api_logs")
                .col(pk_uuid("id"))
                .col(uuid_null("payment_id"))
                .col(string_len("gateway", 20))
                .col(string_len("endpoint", 255))
                .col(string_len("http_method", 10))
                .col(json_binary_null("request_body"))
                .col(integer_null("response_status"))
                .col(json_binary_null("response_body"))
                .col(integer("duration_ms"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("payment_api_logs", "payment_id", "payment_transactions", SetNull),
                check("ck_payment_api_logs_gateway", &one_of("gateway", PAYMENT_GATEWAY)),
                check("ck_payment_api_logs_http_method", &one_of("http_method", HTTP_METHOD)),
                check(
                    "ck_payment_api_logs_status",
                    "response_status IS NULL OR response_status BETWEEN 100 AND 599",
                ),
                check("ck_payment_api_logs_duration", "duration_ms >= 0"),
            ],
            vec![index("payment_api_logs", &["payment_id"]), index("payment_api_logs", &["created_at"])],
        ),
        (
            Table::create()
                .table("payment_security_events")
                .col(pk_uuid("id"))
                .col(uuid_null("user_id"))
                .col(uuid_null("payment_id"))
                .col(string_len("event_type", 30))
                .col(string_len("severity", 10))
                .col(string_len_null("ip_address", 45))
                .col(json_binary_null("details"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("payment_security_events", "user_id", "users", SetNull),
                foreign_key("payment_security_events", "payment_id", "payment_transactions", SetNull),
                check("ck_payment_security_events_event_type", &one_of("event_type", SECURITY_EVENT_TYPE)),
                check("ck_payment_security_events_severity", &one_of("severity", SEVERITY)),
                check(
                    "ck_payment_security_events_resolved",
                    "resolved_at IS NULL OR resolved_at >= created_at",
                ),
            ],
            vec![
                index("payment_security_events", &["user_id", "created_at"]),
                index("payment_security_events", &["payment_id"]),
                index("payment_security_events", &["severity", "resolved_at"]),
            ],
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
