//! `call_events`: each signalling step of a call, in order.

use sea_orm::entity::prelude::*;

use crate::enums::CallEventType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub call_session_id: Uuid,
    pub event_type: CallEventType,
    pub occurred_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Option<Json>,
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
