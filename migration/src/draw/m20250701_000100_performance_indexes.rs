//! The seed's recommended performance indexes, as their own migration.
//!
//! Two are partial (`WHERE is_active`, `WHERE is_public`): PostgreSQL and SQLite build them
//! partial, MariaDB, which has no partial indexes, builds plain ones on the same columns.
//! The seed builds them `CONCURRENTLY`, which PostgreSQL forbids inside a transaction: by
//! default this migration runs in one like any other (right for a new or small database);
//! `seedbed migrate up --concurrently` runs it outside a transaction with
//! `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, for large live tables, and a re-run repairs an
//! index a failed concurrent build left invalid.

use sea_orm_migration::prelude::*;

use crate::ddl::{IndexDef, concurrent_index_builds, index};

fn indexes() -> Vec<IndexDef> {
    vec![
        index("draws", &["is_active", "draw_time"])
            .named("idx_draws_active_drawtime")
            .partial("is_active = TRUE"),
        index("participations", &["user_id"]).named("idx_participations_userid"),
        index("participations", &["draw_id"]).named("idx_participations_drawid"),
        index("transactions", &["user_id", "created_at DESC"]).named("idx_transactions_userid_created"),
        index("winners", &["user_id"]).named("idx_winners_userid"),
        index("winners", &["is_public", "won_at DESC"])
            .named("idx_winners_public_recent")
            .partial("is_public = TRUE"),
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
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for ix in indexes().into_iter().rev() {
            ix.drop(m).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        concurrent_index_builds().then_some(false)
    }
}
