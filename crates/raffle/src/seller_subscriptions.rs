//! `seller_subscriptions`: the subscription tiers a seller can be on, with their price and limits.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stable tier identifier, e.g. `pro`.
    #[sea_orm(column_type = "String(StringLen::N(30))", unique)]
    pub code: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub name: String,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub monthly_price: Decimal,
    /// Raffles a seller on this tier may have open at once.
    pub max_active_raffles: i32,
    pub max_items: i32,
    /// Platform share of a completed raffle's revenue, 0 to 1.
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    pub commission_rate: Decimal,
    #[sea_orm(column_type = "JsonBinary")]
    pub features: Json,
    pub is_active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sellers::Entity")]
    Sellers,
}

impl Related<super::sellers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sellers.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
