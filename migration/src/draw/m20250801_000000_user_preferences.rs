//! Version 1.1.0, user preferences: one row per user with their notification channels,
//! language, theme and marketing consent. The data step gives every existing user a row of
//! defaults, so the application can rely on one being there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{OnDelete::*, TableDef, check, create_tables, drop_tables, exec, foreign_key, now, one_of};

const LANGUAGE: &[&str] = &["en", "es", "fr", "de", "pt"];
const THEME: &[&str] = &["system", "light", "dark"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![(
        Table::create()
            .table("user_preferences")
            .col(string_len("user_id", 255).primary_key())
            .col(boolean("notify_email").default(true))
            .col(boolean("notify_push").default(true))
            .col(boolean("notify_sms").default(false))
            .col(
                string_len("language", 8)
                    .default("en")
                    .comment("An IETF language tag the app is translated into."),
            )
            .col(string_len("theme", 16).default("system"))
            .col(
                boolean("marketing_opt_in")
                    .default(false)
                    .comment("Consent to marketing messages, off unless given."),
            )
            .col(timestamp_with_time_zone("created_at").default(now(b)))
            .col(timestamp_with_time_zone("updated_at").default(now(b)))
            .to_owned(),
        vec![
            foreign_key("user_preferences", "user_id", "users", Cascade),
            check("ck_user_preferences_language", &one_of("language", LANGUAGE)),
            check("ck_user_preferences_theme", &one_of("theme", THEME)),
        ],
        vec![],
    )]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_tables(m, &tables(m.get_database_backend())).await?;
        // Existing users get the defaults; users created later get a row from the application.
        exec(
            m,
            "INSERT INTO user_preferences (user_id) SELECT id FROM users \
             WHERE id NOT IN (SELECT user_id FROM user_preferences)",
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &tables(m.get_database_backend())).await
    }
}
