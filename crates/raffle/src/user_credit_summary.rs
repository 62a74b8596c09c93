//! `user_credit_summary`: (view) each user's spendable credit, what expires within a week, and how many credits expired.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_credit_summary")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub general_available: Decimal,
    pub item_specific_available: Decimal,
    pub expiring_soon: Decimal,
    pub expired_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::UserId", to = "super::users::Column::Id")]
    User,
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
        Err(crate::read_only("user_credit_summary"))
    }

    async fn before_delete<C: ConnectionTrait>(self, _db: &C) -> Result<Self, DbErr> {
        Err(crate::read_only("user_credit_summary"))
    }
}
