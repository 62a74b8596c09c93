//! `transactions`: every movement of money in or out of a user's balance.

use sea_orm::entity::prelude::*;

use crate::enums::TransactionType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_name = "type")]
    pub kind: TransactionType,
    /// Signed: positive credits the balance, negative debits it.
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub amount: Decimal,
    /// The balance right after this transaction.
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub balance_after: Decimal,
    pub raffle_id: Option<Uuid>,
    /// Payment provider reference of a deposit or withdrawal.
    #[sea_orm(column_type = "String(StringLen::N(100))", unique)]
    pub reference: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
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
        belongs_to = "super::raffles::Entity",
        from = "Column::RaffleId",
        to = "super::raffles::Column::Id",
        on_delete = "Restrict"
    )]
    Raffle,
    #[sea_orm(has_many = "super::box_purchases::Entity")]
    BoxPurchases,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::raffles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Raffle.def()
    }
}

impl Related<super::box_purchases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BoxPurchases.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
