//! `user_notification_settings`: each user's channel preferences and quiet hours: one row per user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_notification_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    pub push_enabled: bool,
    pub sms_enabled: bool,
    pub email_enabled: bool,
    pub marketing_enabled: bool,
    /// Hour of day, 0 to 23, in the user's time zone.
    pub quiet_hours_start: Option<i16>,
    pub quiet_hours_end: Option<i16>,
    /// IANA name, e.g. America/Chicago.
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub timezone: String,
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
