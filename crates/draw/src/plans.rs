//! `plans` (version 1.4.0): what a premium subscription costs in coins per period, and its
//! perks.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable key of the plan.
    #[sea_orm(column_type = "String(StringLen::N(64))", unique)]
    pub slug: String,
    #[sea_orm(column_type = "String(StringLen::N(120))")]
    pub name: String,
    /// Coins each period costs; 0 for a free plan.
    pub price_coins: i32,
    /// Days one paid period lasts.
    pub period_days: i32,
    /// The plan's perks, as a JSON array of perk names.
    #[sea_orm(column_type = "Json")]
    pub perks: Json,
    /// Offered to new subscribers.
    pub is_public: bool,
    pub sort_order: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::subscriptions::Entity")]
    Subscriptions,
}

impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscriptions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
