//! `services_master`: the catalogue of services a provider can offer, with a base price.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services_master")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub category: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// Suggested price; each provider sets its own in provider_services.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub base_price: Decimal,
    /// Typical length of one visit.
    pub duration_minutes: i32,
    pub is_active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::provider_services::Entity")]
    ProviderServices,
    #[sea_orm(has_many = "super::bookings::Entity")]
    Bookings,
}

impl Related<super::provider_services::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProviderServices.def()
    }
}

impl Related<super::bookings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Bookings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
