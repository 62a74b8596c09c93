//! `draw_categories` (version 1.3.0): what players filter draws by.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "draw_categories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable key for URLs and filters.
    #[sea_orm(column_type = "String(StringLen::N(64))", unique)]
    pub slug: String,
    #[sea_orm(column_type = "String(StringLen::N(120))")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub sort_order: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::draws::Entity")]
    Draws,
}

impl Related<super::draws::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Draws.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
