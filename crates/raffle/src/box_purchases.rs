//! `box_purchases`: one row per box bought, paid by a transaction that may cover several boxes.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "box_purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub raffle_id: Uuid,
    pub user_id: Uuid,
    pub transaction_id: Uuid,
    /// 1 to the raffle's total_boxes; each box is sold once.
    pub box_number: i32,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub price_paid: Decimal,
    pub purchased_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::raffles::Entity",
        from = "Column::RaffleId",
        to = "super::raffles::Column::Id",
        on_delete = "Restrict"
    )]
    Raffle,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::transactions::Entity",
        from = "Column::TransactionId",
        to = "super::transactions::Column::Id",
        on_delete = "Restrict"
    )]
    Transaction,
}

impl Related<super::raffles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Raffle.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transaction.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
