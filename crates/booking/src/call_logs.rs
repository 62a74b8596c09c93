//! `call_logs`: the summary of one finished call: masked numbers, duration and outcome.

use sea_orm::entity::prelude::*;

use crate::enums::CallOutcome;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub call_session_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub caller_masked_number: String,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub callee_masked_number: String,
    pub duration_seconds: i32,
    pub outcome: CallOutcome,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::call_sessions::Entity",
        from = "Column::CallSessionId",
        to = "super::call_sessions::Column::Id",
        on_delete = "Cascade"
    )]
    CallSession,
}

impl Related<super::call_sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallSession.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
