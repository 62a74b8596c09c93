//! `notification_logs`: every message sent to a user on any channel, and how far it got.

use sea_orm::entity::prelude::*;

use crate::enums::{DeliveryStatus, NotificationChannel};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub notification_id: Option<Uuid>,
    pub scheduled_notification_id: Option<Uuid>,
    pub channel: NotificationChannel,
    pub status: DeliveryStatus,
    /// The SMS, mail or push provider's id of the message.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub provider_message_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub error_message: Option<String>,
    pub sent_at: DateTimeUtc,
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
    #[sea_orm(
        belongs_to = "super::notifications::Entity",
        from = "Column::NotificationId",
        to = "super::notifications::Column::Id",
        on_delete = "SetNull"
    )]
    Notification,
    #[sea_orm(
        belongs_to = "super::scheduled_notifications::Entity",
        from = "Column::ScheduledNotificationId",
        to = "super::scheduled_notifications::Column::Id",
        on_delete = "SetNull"
    )]
    ScheduledNotification,
    #[sea_orm(has_many = "super::notification_receipts::Entity")]
    NotificationReceipts,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::notifications::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Notification.def()
    }
}

impl Related<super::scheduled_notifications::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ScheduledNotification.def()
    }
}

impl Related<super::notification_receipts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NotificationReceipts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
