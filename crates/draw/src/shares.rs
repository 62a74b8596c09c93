//! `shares` (version 1.2.0): a player shares a draw, or a win of theirs, to a channel or to a
//! friend.

use sea_orm::entity::prelude::*;

use crate::enums::ShareChannel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shares")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    /// The draw shared, or NULL when a win is.
    pub draw_id: Option<i32>,
    /// The win shared, or NULL when a draw is.
    pub winner_id: Option<i32>,
    pub channel: ShareChannel,
    /// The friend shared with, on the friend channel.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub friend_id: Option<String>,
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
        belongs_to = "super::draws::Entity",
        from = "Column::DrawId",
        to = "super::draws::Column::Id",
        on_delete = "Cascade"
    )]
    Draw,
    #[sea_orm(
        belongs_to = "super::winners::Entity",
        from = "Column::WinnerId",
        to = "super::winners::Column::Id",
        on_delete = "Cascade"
    )]
    Win,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::FriendId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Friend,
}

impl Related<super::draws::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Draw.def()
    }
}

impl Related<super::winners::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Win.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
