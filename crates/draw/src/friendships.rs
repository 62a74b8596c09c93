//! `friendships` (view, version 1.2.0): each accepted friend request, once in each direction,
//! so that a player's friends are `WHERE user_id = ?`. A friendship exists exactly for an
//! accepted request because it is one.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "friendships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(255))")]
    pub friend_id: String,
    pub request_id: i32,
    /// When the request was accepted.
    pub since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::friend_requests::Entity",
        from = "Column::RequestId",
        to = "super::friend_requests::Column::Id"
    )]
    Request,
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::UserId", to = "super::users::Column::Id")]
    User,
}

impl Related<super::friend_requests::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Request.def()
    }
}

/// A view is read-only: saving or deleting through the active model fails before any SQL is
/// sent; a friendship is made by accepting a request.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C: ConnectionTrait>(self, _db: &C, _insert: bool) -> Result<Self, DbErr> {
        Err(crate::read_only("friendships"))
    }

    async fn before_delete<C: ConnectionTrait>(self, _db: &C) -> Result<Self, DbErr> {
        Err(crate::read_only("friendships"))
    }
}
