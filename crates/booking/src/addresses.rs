//! `addresses`: the places a customer has services done, with an optional map position.

use sea_orm::entity::prelude::*;

use crate::enums::AddressType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "addresses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub address_type: AddressType,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub line1: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub line2: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub city: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub state: String,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    #[sea_orm(column_type = "String(StringLen::N(2))")]
    pub country: String,
    #[sea_orm(column_type = "Decimal(Some((9, 6)))")]
    pub latitude: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((9, 6)))")]
    pub longitude: Option<Decimal>,
    pub is_default: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(has_many = "super::bookings::Entity")]
    Bookings,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::bookings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Bookings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
