//! `user_push_tokens`: the push tokens of a user's devices.

use sea_orm::entity::prelude::*;

use crate::enums::DevicePlatform;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_push_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub token: String,
    pub platform: DevicePlatform,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub device_id: Option<String>,
    pub is_active: bool,
    pub last_used_at: Option<DateTimeUtc>,
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
    #[sea_orm(has_many = "super::notification_receipts::Entity")]
    NotificationReceipts,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::notification_receipts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NotificationReceipts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
