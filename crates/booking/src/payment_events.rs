//! `payment_events`: each step of a payment's life as the gateway reported it, in order.

use sea_orm::entity::prelude::*;

use crate::enums::{PaymentEventType, PaymentStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub payment_id: Uuid,
    pub event_type: PaymentEventType,
    /// The payment's status after this event.
    pub status: PaymentStatus,
    /// The gateway's webhook body.
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Option<Json>,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::payment_transactions::Entity",
        from = "Column::PaymentId",
        to = "super::payment_transactions::Column::Id",
        on_delete = "Cascade"
    )]
    Payment,
}

impl Related<super::payment_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Payment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
