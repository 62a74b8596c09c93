//! `seller_performance`: (view) each seller's listings, raffle outcomes, revenue and completion rate.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_performance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seller_id: Uuid,
    pub business_name: String,
    pub total_items: i64,
    pub total_raffles: i64,
    pub active_raffles: i64,
    pub completed_raffles: i64,
    pub cancelled_raffles: i64,
    /// Box sales of completed raffles.
    pub total_revenue: Decimal,
    /// Completed / (completed + cancelled); `None` before any raffle ended.
    pub completion_rate: Option<Decimal>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sellers::Entity",
        from = "Column::SellerId",
        to = "super::sellers::Column::Id"
    )]
    Seller,
}

impl Related<super::sellers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Seller.def()
    }
}

/// A view is read-only: saving or deleting through the active model fails before any SQL is
/// sent, and the database itself refuses writes to this aggregate view.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C: ConnectionTrait>(self, _db: &C, _insert: bool) -> Result<Self, DbErr> {
        Err(crate::read_only("seller_performance"))
    }

    async fn before_delete<C: ConnectionTrait>(self, _db: &C) -> Result<Self, DbErr> {
        Err(crate::read_only("seller_performance"))
    }
}
