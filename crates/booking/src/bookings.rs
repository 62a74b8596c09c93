//! `bookings`: a customer's request for a service from a provider at an address and a time slot, through to completion or cancellation.

use sea_orm::entity::prelude::*;

use crate::enums::{BookingActor, BookingStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub provider_id: Uuid,
    pub service_id: Uuid,
    pub address_id: Uuid,
    pub status: BookingStatus,
    pub scheduled_start: DateTimeUtc,
    pub scheduled_end: DateTimeUtc,
    /// The price agreed for this booking.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub price: Decimal,
    /// ISO 4217.
    #[sea_orm(column_type = "String(StringLen::N(3))")]
    pub currency: String,
    #[sea_orm(column_type = "Text")]
    pub notes: Option<String>,
    pub accepted_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<BookingActor>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub cancellation_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CustomerId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::provider_profiles::Entity",
        from = "Column::ProviderId",
        to = "super::provider_profiles::Column::Id",
        on_delete = "Restrict"
    )]
    Provider,
    #[sea_orm(
        belongs_to = "super::services_master::Entity",
        from = "Column::ServiceId",
        to = "super::services_master::Column::Id",
        on_delete = "Restrict"
    )]
    Service,
    #[sea_orm(
        belongs_to = "super::addresses::Entity",
        from = "Column::AddressId",
        to = "super::addresses::Column::Id",
        on_delete = "Restrict"
    )]
    Address,
    #[sea_orm(has_one = "super::ratings::Entity")]
    Rating,
    #[sea_orm(has_many = "super::payment_transactions::Entity")]
    PaymentTransactions,
    #[sea_orm(has_many = "super::call_sessions::Entity")]
    CallSessions,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::provider_profiles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Provider.def()
    }
}

impl Related<super::services_master::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Service.def()
    }
}

impl Related<super::addresses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Address.def()
    }
}

impl Related<super::ratings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Rating.def()
    }
}

impl Related<super::payment_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PaymentTransactions.def()
    }
}

impl Related<super::call_sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallSessions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
