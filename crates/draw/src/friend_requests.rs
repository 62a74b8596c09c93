//! `friend_requests` (version 1.2.0): one player asks another to be friends; the addressee
//! accepts or declines. An accepted request is a friendship (see [`super::friendships`]).

use sea_orm::entity::prelude::*;

use crate::enums::FriendRequestStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "friend_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub requester_id: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub addressee_id: String,
    pub status: FriendRequestStatus,
    pub created_at: DateTimeUtc,
    /// When the addressee accepted or declined.
    pub responded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::RequesterId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Requester,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::AddresseeId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Addressee,
}

impl ActiveModelBehavior for ActiveModel {}
