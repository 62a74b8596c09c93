//! `payment_api_logs`: every call seedbed's services made to a payment gateway's API, with timing.

use sea_orm::entity::prelude::*;

use crate::enums::{HttpMethod, PaymentGateway};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_api_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub payment_id: Option<Uuid>,
    pub gateway: PaymentGateway,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub endpoint: String,
    pub http_method: HttpMethod,
    #[sea_orm(column_type = "JsonBinary")]
    pub request_body: Option<Json>,
    pub response_status: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub response_body: Option<Json>,
    pub duration_ms: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::payment_transactions::Entity",
        from = "Column::PaymentId",
        to = "super::payment_transactions::Column::Id",
        on_delete = "SetNull"
    )]
    Payment,
}

impl Related<super::payment_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Payment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
