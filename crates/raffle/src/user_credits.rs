//! `user_credits`: store credit a user holds: general or for one item, possibly expiring.

use sea_orm::entity::prelude::*;

use crate::enums::{CreditSource, CreditType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_credits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub source: CreditSource,
    pub credit_type: CreditType,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub amount: Decimal,
    /// Unspent part of `amount`.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub remaining: Decimal,
    /// The item an item-specific credit may be spent on.
    pub item_id: Option<Uuid>,
    /// The lost raffle a raffle-loss credit compensates.
    pub raffle_id: Option<Uuid>,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
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
    #[sea_orm(
        belongs_to = "super::items::Entity",
        from = "Column::ItemId",
        to = "super::items::Column::Id",
        on_delete = "Restrict"
    )]
    Item,
    #[sea_orm(
        belongs_to = "super::raffles::Entity",
        from = "Column::RaffleId",
        to = "super::raffles::Column::Id",
        on_delete = "Restrict"
    )]
    Raffle,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Item.def()
    }
}

impl Related<super::raffles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Raffle.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
