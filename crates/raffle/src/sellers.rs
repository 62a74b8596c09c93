//! `sellers`: seller profiles: one per selling account, on one subscription tier.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sellers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    pub subscription_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub business_name: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// Average buyer rating, 0 to 5.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub rating: Option<Decimal>,
    pub verified_at: Option<DateTimeUtc>,
    pub subscription_started_at: DateTimeUtc,
    pub subscription_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::seller_subscriptions::Entity",
        from = "Column::SubscriptionId",
        to = "super::seller_subscriptions::Column::Id",
        on_delete = "Restrict"
    )]
    Subscription,
    #[sea_orm(has_many = "super::items::Entity")]
    Items,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::seller_subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscription.def()
    }
}

impl Related<super::items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Items.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
