//! `items`: the products sellers list, with their retail price and the units left to raffle.

use sea_orm::entity::prelude::*;

use crate::enums::ItemStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub seller_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub category: String,
    /// Retail value.
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub price: Decimal,
    /// Units the seller still holds for raffles.
    pub inventory_count: i32,
    pub status: ItemStatus,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub image_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sellers::Entity",
        from = "Column::SellerId",
        to = "super::sellers::Column::Id",
        on_delete = "Restrict"
    )]
    Seller,
    #[sea_orm(has_many = "super::raffles::Entity")]
    Raffles,
    #[sea_orm(has_many = "super::user_credits::Entity")]
    UserCredits,
    #[sea_orm(has_many = "super::free_redeemable_items::Entity")]
    FreeRedeemableItems,
}

impl Related<super::sellers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Seller.def()
    }
}

impl Related<super::raffles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Raffles.def()
    }
}

impl Related<super::user_credits::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserCredits.def()
    }
}

impl Related<super::free_redeemable_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FreeRedeemableItems.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
