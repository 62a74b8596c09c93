//! `winners`: the winner of each finished draw and the prize paid.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "winners")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    #[sea_orm(unique)]
    pub draw_id: i32,
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub prize_amount: Decimal,
    pub won_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub celebration_video_url: Option<String>,
    /// Shown in the public winners feed.
    pub is_public: bool,
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
        belongs_to = "super::draws::Entity",
        from = "Column::DrawId",
        to = "super::draws::Column::Id",
        on_delete = "Restrict"
    )]
    Draw,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::draws::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Draw.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
