//! `payment_transactions`: one payment attempt for a booking at a gateway, from order to capture, failure or refund.

use sea_orm::entity::prelude::*;

use crate::enums::{PaymentGateway, PaymentMethod, PaymentStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub booking_id: Uuid,
    /// The payer.
    pub user_id: Uuid,
    pub gateway: PaymentGateway,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub gateway_order_id: Option<String>,
    /// The gateway's id of the payment; unique when present.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub gateway_payment_id: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub amount: Decimal,
    #[sea_orm(column_type = "String(StringLen::N(3))")]
    pub currency: String,
    pub status: PaymentStatus,
    pub method: Option<PaymentMethod>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub failure_reason: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub refund_amount: Option<Decimal>,
    pub captured_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::bookings::Entity",
        from = "Column::BookingId",
        to = "super::bookings::Column::Id",
        on_delete = "Restrict"
    )]
    Booking,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    User,
    #[sea_orm(has_many = "super::payment_events::Entity")]
    PaymentEvents,
    #[sea_orm(has_many = "super::payment_api_logs::Entity")]
    PaymentApiLogs,
    #[sea_orm(has_many = "super::payment_security_events::Entity")]
    PaymentSecurityEvents,
}

impl Related<super::bookings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Booking.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::payment_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PaymentEvents.def()
    }
}

impl Related<super::payment_api_logs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PaymentApiLogs.def()
    }
}

impl Related<super::payment_security_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PaymentSecurityEvents.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
