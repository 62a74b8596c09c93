//! `call_sessions`: a call between the two parties of a booking through a masked number.

use sea_orm::entity::prelude::*;

use crate::enums::CallStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub booking_id: Uuid,
    pub caller_id: Uuid,
    pub callee_id: Uuid,
    /// The virtual number both parties dial; neither sees the other's number.
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub masked_number: String,
    pub status: CallStatus,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::bookings::Entity",
        from = "Column::BookingId",
        to = "super::bookings::Column::Id",
        on_delete = "Cascade"
    )]
    Booking,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CallerId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    Caller,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CalleeId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    Callee,
    #[sea_orm(has_one = "super::call_logs::Entity")]
    CallLog,
    #[sea_orm(has_many = "super::call_events::Entity")]
    CallEvents,
    #[sea_orm(has_many = "super::call_recordings::Entity")]
    CallRecordings,
}

impl Related<super::bookings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Booking.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Caller.def()
    }
}

impl Related<super::call_logs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallLog.def()
    }
}

impl Related<super::call_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallEvents.def()
    }
}

impl Related<super::call_recordings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallRecordings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
