//! `audit_logs`: the security and compliance trail: who did what to which row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who acted; `None` for the system or a deleted account.
    pub user_id: Option<Uuid>,
    /// Dotted verb, e.g. `raffle.cancel`.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub action: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub entity_type: String,
    /// Key of the affected row, as text.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(45))")]
    pub ip_address: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_agent: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    User,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
