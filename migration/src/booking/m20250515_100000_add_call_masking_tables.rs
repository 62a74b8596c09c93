//! 004 call masking: calls between a customer and a provider over masked numbers, with their logs, events and recordings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    OnDelete::*, TableDef, check, create_tables, drop_tables, foreign_key, index, now, one_of, unique,
};

const CALL_STATUS: &[&str] = &["initiated", "ringing", "in_progress", "completed", "missed", "failed"];
const CALL_OUTCOME: &[&str] = &["completed", "missed", "failed"];
const CALL_EVENT_TYPE: &[&str] = &["initiated", "ringing", "answered", "held", "resumed", "ended", "failed"];
const RECORDING_FORMAT: &[&str] = &["mp3", "wav", "ogg"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![
        (
            Table::create()
                .table("call_sessions")
                .col(pk_uuid("id"))
                .col(uuid("booking_id"))
                .col(uuid("caller_id"))
                .col(uuid("callee_id"))
                .col(
                    string_len("masked_number", 20)
                        .comment("The virtual number both parties dial; neither sees the other's number."),
                )
                .col(string_len("status", 20).default("initiated"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("call_sessions", "booking_id", "bookings", Cascade),
                foreign_key("call_sessions", "caller_id", "users", Restrict),
                foreign_key("call_sessions", "callee_id", "users", Restrict),
                check("ck_call_sessions_status", &one_of("status", CALL_STATUS)),
                check("ck_call_sessions_parties", "caller_id <> callee_id"),
                check("ck_call_sessions_ended", "ended_at IS NULL OR ended_at >= started_at"),
            ],
            vec![
                index("call_sessions", &["booking_id"]),
                index("call_sessions", &["caller_id"]),
                index("call_sessions", &["callee_id"]),
            ],
        ),
        (
            Table::create()
                .table("call_logs")
                .col(pk_uuid("id"))
                .col(uuid("call_session_id"))
                .col(string_len("caller_masked_number", 20))
                .col(string_len("callee_masked_number", 20))
                .col(integer("duration_seconds"))
                .col(string_len("outcome", 20))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("call_logs", "call_session_id", "call_sessions", Cascade),
                check("ck_call_logs_outcome", &one_of("outcome", CALL_OUTCOME)),
                check("ck_call_logs_duration", "duration_seconds >= 0"),
            ],
            vec![unique("call_logs", &["call_session_id"])],
        ),
        (
            Table::create()
                .table("call_events")
                .col(pk_uuid("id"))
                .col(uuid("call_session_id"))
                .col(string_len("event_type", 20))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(json_binary_null("metadata"))
                .to_owned(),
            vec![
                foreign_key("call_events", "call_session_id", "call_sessions", Cascade),
                check("ck_call_events_event_type", &one_of("event_type", CALL_EVENT_TYPE)),
            ],
            vec![index("call_events", &["call_session_id", "occurred_at"])],
        ),
        (
            Table::create()
                .table("call_recordings")
                .col(pk_uuid("id"))
                .col(uuid("call_session_id"))
                .col(string_len("storage_url", 500))
                .col(string_len("format", 10))
                .col(integer("duration_seconds"))
                .col(big_integer("size_bytes"))
                .col(timestamp_with_time_zone_null("expires_at").comment("End of the retention period."))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("call_recordings", "call_session_id", "call_sessions", Cascade),
                check("ck_call_recordings_format", &one_of("format", RECORDING_FORMAT)),
                check("ck_call_recordings_size", "duration_seconds >= 0 AND size_bytes >= 0"),
                check("ck_call_recordings_expiry", "expires_at IS NULL OR expires_at > created_at"),
            ],
            vec![index("call_recordings", &["call_session_id"])],
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
