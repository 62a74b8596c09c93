//! `raffle_participants`: (view) each buyer of each raffle: boxes bought, money spent, whether they won.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "raffle_participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub raffle_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub box_count: i64,
    pub total_spent: Decimal,
    pub first_purchase_at: DateTimeUtc,
    pub last_purchase_at: DateTimeUtc,
    pub is_winner: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::raffles::Entity",
        from = "Column::RaffleId",
        to = "super::raffles::Column::Id"
    )]
    Raffle,
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::UserId", to = "super::users::Column::Id")]
    User,
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

/// A view is read-only: saving or deleting through the active model fails before any SQL is
/// sent, and the database itself refuses writes to this aggregate view.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C: ConnectionTrait>(self, _db: &C, _insert: bool) -> Result<Self, DbErr> {
        Err(crate::read_only("raffle_participants"))
    }

    async fn before_delete<C: ConnectionTrait>(self, _db: &C) -> Result<Self, DbErr> {
        Err(crate::read_only("raffle_participants"))
    }
}
