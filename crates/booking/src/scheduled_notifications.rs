//! `scheduled_notifications`: messages to send to a user at a set time, and whether they went.

use sea_orm::entity::prelude::*;

use crate::enums::{NotificationChannel, ScheduledStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduled_notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub channel: NotificationChannel,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Option<Json>,
    pub scheduled_for: DateTimeUtc,
    pub status: ScheduledStatus,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
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
    #[sea_orm(has_many = "super::notification_logs::Entity")]
    NotificationLogs,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::notification_logs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NotificationLogs.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
