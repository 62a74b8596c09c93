//! `provider_profiles`: what a provider account offers: its business, experience, verification and rating.

use sea_orm::entity::prelude::*;

use crate::enums::VerificationStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub business_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub bio: Option<String>,
    pub experience_years: i32,
    pub verification_status: VerificationStatus,
    /// Mean of the provider's rating scores, 1 to 5; NULL before the first rating.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub rating_average: Option<Decimal>,
    pub rating_count: i32,
    pub is_available: bool,
    pub service_radius_km: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    User,
    #[sea_orm(has_many = "super::provider_services::Entity")]
    ProviderServices,
    #[sea_orm(has_many = "super::bookings::Entity")]
    Bookings,
    #[sea_orm(has_many = "super::ratings::Entity")]
    Ratings,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
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

impl Related<super::ratings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ratings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
