//! `user_preferences` (version 1.1.0): one row per user: notification channels, language,
//! theme and marketing consent.

use sea_orm::entity::prelude::*;

use crate::enums::{Language, Theme};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    pub notify_email: bool,
    pub notify_push: bool,
    pub notify_sms: bool,
    /// An IETF language tag the app is translated into.
    pub language: Language,
    pub theme: Theme,
    /// Consent to marketing messages, off unless given.
    pub marketing_opt_in: bool,
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
