//! `participations`: one entry of one user in one draw.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "participations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    pub draw_id: i32,
    pub participated_at: DateTimeUtc,
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
