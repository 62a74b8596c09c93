//! `notification_queue`: messages that failed to send, waiting for their next attempt.

use sea_orm::entity::prelude::*;

use crate::enums::{NotificationChannel, QueueStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub channel: NotificationChannel,
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    pub status: QueueStatus,
    pub retry_count: i32,
    pub max_retries: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
