//! `call_recordings`: where a call's recording is stored and until when it is kept.

use sea_orm::entity::prelude::*;

use crate::enums::RecordingFormat;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_recordings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub call_session_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub storage_url: String,
    pub format: RecordingFormat,
    pub duration_seconds: i32,
    pub size_bytes: i64,
    /// End of the retention period.
    pub expires_at: Option<DateTimeUtc>,
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
