//! 003 supporting tables: refresh-token sessions, user notifications and the audit trail,
//! created complete with their keys, rules and indexes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    OnDelete::*, TableDef, check, create_tables, drop_tables, foreign_key, index, now, one_of, unique,
};

const NOTIFICATION_TYPE: &[&str] =
    &["purchase_confirmed", "raffle_won", "raffle_lost", "raffle_cancelled", "credit_expiring", "system"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    let created = || timestamp_with_time_zone("created_at").default(now(b)).take();
    vec![
        (
            Table::create()
                .table("user_sessions")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(
                    string_len("refresh_token_hash", 128)
                        .comment("SHA-256 of the JWT refresh token; the token is never stored."),
                )
                .col(string_len_null("user_agent", 255))
                .col(string_len_null("ip_address", 45))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(created())
                .to_owned(),
            vec![
                foreign_key("user_sessions", "user_id", "users", Cascade),
                check("ck_user_sessions_expiry", "expires_at > created_at"),
                check("ck_user_sessions_revoked", "revoked_at IS NULL OR revoked_at >= created_at"),
            ],
            vec![
                unique("user_sessions", &["refresh_token_hash"]),
                index("user_sessions", &["user_id", "expires_at"]),
            ],
        ),
        (
            Table::create()
                .table("notifications")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("type", 30))
                .col(string_len("title", 200))
                .col(text("body"))
                .col(
                    json_binary_null("data")
                        .comment("Payload for the client, e.g. the raffle a notice is about."),
                )
                .col(timestamp_with_time_zone_null("read_at"))
                .col(created())
                .to_owned(),
            vec![
                foreign_key("notifications", "user_id", "users", Cascade),
                check("ck_notifications_type", &one_of("type", NOTIFICATION_TYPE)),
                check("ck_notifications_read", "read_at IS NULL OR read_at >= created_at"),
            ],
            vec![index("notifications", &["user_id", "created_at DESC"])],
        ),
        (
            Table::create()
                .table("audit_logs")
                .col(pk_uuid("id"))
                .col(uuid_null("user_id").comment("Who acted; NULL for the system or a deleted account."))
                .col(string_len("action", 100).comment("Dotted verb, e.g. raffle.cancel."))
                .col(string_len("entity_type", 50))
                .col(
                    string_len_null("entity_id", 64)
                        .comment("Key of the affected row, as text, whatever its type."),
                )
                .col(json_binary_null("details"))
                .col(string_len_null("ip_address", 45))
                .col(string_len_null("user_agent", 255))
                .col(created())
                .to_owned(),
            // The trail must survive the account it mentions.
            vec![foreign_key("audit_logs", "user_id", "users", SetNull)],
            vec![
                index("audit_logs", &["user_id", "created_at"]),
                index("audit_logs", &["entity_type", "entity_id"]),
                index("audit_logs", &["created_at"]),
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
