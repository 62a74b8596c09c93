//! `system_settings`: platform configuration as JSON values under dotted names.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "system_settings")]
pub struct Model {
    /// Dotted setting name, e.g. `raffle.max_boxes`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(100))")]
    pub key: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub value: Json,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub description: Option<String>,
    /// Whether clients may read it without signing in.
    pub is_public: bool,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UpdatedBy",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    UpdatedBy,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UpdatedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
