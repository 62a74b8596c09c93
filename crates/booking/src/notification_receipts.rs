//! `notification_receipts`: what a device reported back about a pushed message.

use sea_orm::entity::prelude::*;

use crate::enums::ReceiptStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_receipts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub notification_log_id: Uuid,
    pub push_token_id: Option<Uuid>,
    pub status: ReceiptStatus,
    pub received_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::notification_logs::Entity",
        from = "Column::NotificationLogId",
        to = "super::notification_logs::Column::Id",
        on_delete = "Cascade"
    )]
    NotificationLog,
    #[sea_orm(
        belongs_to = "super::user_push_tokens::Entity",
        from = "Column::PushTokenId",
        to = "super::user_push_tokens::Column::Id",
        on_delete = "SetNull"
    )]
    PushToken,
}

impl Related<super::notification_logs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NotificationLog.def()
    }
}

impl Related<super::user_push_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PushToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
