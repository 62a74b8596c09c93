//! `raffles`: a raffle of one item in numbered boxes at a fixed price, drawn at a set time.

use sea_orm::entity::prelude::*;

use crate::enums::RaffleStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "raffles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub title: String,
    pub total_boxes: i32,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub box_price: Decimal,
    /// Equals the number of the raffle's box purchases.
    pub boxes_sold: i32,
    pub status: RaffleStatus,
    pub starts_at: DateTimeUtc,
    /// Scheduled draw time; sales close then.
    pub draw_at: DateTimeUtc,
    pub drawn_at: Option<DateTimeUtc>,
    pub winner_id: Option<Uuid>,
    pub winning_box_number: Option<i32>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::items::Entity",
        from = "Column::ItemId",
        to = "super::items::Column::Id",
        on_delete = "Restrict"
    )]
    Item,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::WinnerId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    Winner,
    #[sea_orm(has_many = "super::box_purchases::Entity")]
    BoxPurchases,
    #[sea_orm(has_many = "super::transactions::Entity")]
    Transactions,
    #[sea_orm(has_many = "super::user_credits::Entity")]
    UserCredits,
}

impl Related<super::items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Item.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Winner.def()
    }
}

impl Related<super::box_purchases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BoxPurchases.def()
    }
}

impl Related<super::transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transactions.def()
    }
}

impl Related<super::user_credits::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserCredits.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
