//! 005 push notifications: device tokens, scheduled and logged notifications, per-user settings, delivery receipts and the retry queue.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    OnDelete::*, TableDef, check, create_tables, drop_tables, foreign_key, index, now, one_of, unique,
};

const DEVICE_PLATFORM: &[&str] = &["ios", "android", "web"];
const NOTIFICATION_CHANNEL: &[&str] = &["push", "sms", "email", "in_app"];
const SCHEDULED_STATUS: &[&str] = &["pending", "sent", "cancelled", "failed"];
const DELIVERY_STATUS: &[&str] = &["queued", "sent", "delivered", "failed"];
const RECEIPT_STATUS: &[&str] = &["delivered", "opened", "dismissed", "failed"];
const QUEUE_STATUS: &[&str] = &["pending", "processing", "failed", "dead"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![
        (
            Table::create()
                .table("user_push_tokens")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("token", 255))
                .col(string_len("platform", 10))
                .col(string_len_null("device_id", 100))
                .col(boolean("is_active").default(true))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("user_push_tokens", "user_id", "users", Cascade),
                check("ck_user_push_tokens_platform", &one_of("platform", DEVICE_PLATFORM)),
            ],
            vec![unique("user_push_tokens", &["token"]), index("user_push_tokens", &["user_id"])],
        ),
        (
            Table::create()
                .table("scheduled_notifications")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("channel", 10))
                .col(string_len("title", 200))
                .col(text("body"))
                .col(json_binary_null("data"))
                .col(timestamp_with_time_zone("scheduled_for"))
                .col(string_len("status", 20).default("pending"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("scheduled_notifications", "user_id", "users", Cascade),
                check("ck_scheduled_notifications_channel", &one_of("channel", NOTIFICATION_CHANNEL)),
                check("ck_scheduled_notifications_status", &one_of("status", SCHEDULED_STATUS)),
                check("ck_scheduled_notifications_sent", "status <> 'sent' OR sent_at IS NOT NULL"),
            ],
            vec![
                index("scheduled_notifications", &["status", "scheduled_for"]),
                index("scheduled_notifications", &["user_id"]),
            ],
        ),
        (
            Table::create()
                .table("notification_logs")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(uuid_null("notification_id"))
                .col(uuid_null("scheduled_notification_id"))
                .col(string_len("channel", 10))
                .col(string_len("status", 20))
                .col(
                    string_len_null("provider_message_id", 100)
                        .comment("The SMS, mail or push provider's id of the message."),
                )
                .col(string_len_null("error_message", 255))
                .col(timestamp_with_time_zone("sent_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("notification_logs", "user_id", "users", Cascade),
                foreign_key("notification_logs", "notification_id", "notifications", SetNull),
                foreign_key(
                    "notification_logs",
                    "scheduled_notification_id",
                    "scheduled_notifications",
                    SetNull,
                ),
                check("ck_notification_logs_channel", &one_of("channel", NOTIFICATION_CHANNEL)),
                check("ck_notification_logs_status", &one_of("status", DELIVERY_STATUS)),
                check("ck_notification_logs_error", "status <> 'failed' OR error_message IS NOT NULL"),
            ],
            vec![
                index("notification_logs", &["user_id", "sent_at DESC"]),
                index("notification_logs", &["notification_id"]),
                index("notification_logs", &["scheduled_notification_id"]),
            ],
        ),
        (
            Table::create()
                .table("user_notification_settings")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(boolean("push_enabled").default(true))
                .col(boolean("sms_enabled").default(true))
                .col(boolean("email_enabled").default(true))
                .col(boolean("marketing_enabled").default(false))
                .col(
                    small_integer_null("quiet_hours_start")
                        .comment("Hour of day, 0 to 23, in the user's time zone."),
                )
                .col(small_integer_null("quiet_hours_end"))
                .col(string_len("timezone", 50).default("UTC").comment("IANA name, e.g. America/Chicago."))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("user_notification_settings", "user_id", "users", Cascade),
                check(
                    "ck_user_notification_settings_quiet_hours",
                    "(quiet_hours_start IS NULL AND quiet_hours_end IS NULL) OR (quiet_hours_start BETWEEN 0 AND 23 AND quiet_hours_end BETWEEN 0 AND 23)",
                ),
            ],
            vec![unique("user_notification_settings", &["user_id"])],
        ),
        (
            Table::create()
                .table("notification_receipts")
                .col(pk_uuid("id"))
                .col(uuid("notification_log_id"))
                .col(uuid_null("push_token_id"))
                .col(string_len("status", 20))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("notification_receipts", "notification_log_id", "notification_logs", Cascade),
                foreign_key("notification_receipts", "push_token_id", "user_push_tokens", SetNull),
                check("ck_notification_receipts_status", &one_of("status", RECEIPT_STATUS)),
            ],
            vec![
                index("notification_receipts", &["notification_log_id"]),
                index("notification_receipts", &["push_token_id"]),
            ],
        ),
        (
            Table::create()
                .table("notification_queue")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("channel", 10))
                .col(json_binary("payload"))
                .col(string_len("status", 20).default("pending"))
                .col(integer("retry_count").default(0))
                .col(integer("max_retries").default(5))
                .col(timestamp_with_time_zone_null("next_attempt_at"))
                .col(string_len_null("last_error", 255))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("notification_queue", "user_id", "users", Cascade),
                check("ck_notification_queue_channel", &one_of("channel", NOTIFICATION_CHANNEL)),
                check("ck_notification_queue_status", &one_of("status", QUEUE_STATUS)),
                check(
                    "ck_notification_queue_retries",
                    "max_retries > 0 AND retry_count >= 0 AND retry_count <= max_retries",
                ),
                check(
                    "ck_notification_queue_next_attempt",
                    "status <> 'pending' OR next_attempt_at IS NOT NULL",
                ),
            ],
            vec![
                index("notification_queue", &["status", "next_attempt_at"]),
                index("notification_queue", &["user_id"]),
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
