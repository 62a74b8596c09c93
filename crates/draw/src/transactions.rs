//! `transactions`: every movement of coins in or out of a user's account.

use sea_orm::entity::prelude::*;

use crate::enums::TransactionType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    #[sea_orm(column_name = "type")]
    pub kind: TransactionType,
    /// Signed coins: positive credits the user, negative debits.
    pub amount: i32,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// The draw a `draw_entry` pays for.
    pub draw_id: Option<i32>,
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
