//! `users`: players, keyed by the auth provider's subject id, with their coins and statistics.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Subject id issued by the auth provider.
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(255))")]
    pub id: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub email: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub first_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub last_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub profile_image_url: Option<String>,
    /// Equals the sum of the user's transactions.
    pub coins: i32,
    pub total_participations: i32,
    pub total_wins: i32,
    /// Sum of the prizes won.
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub total_earnings: Decimal,
    /// Draws entered in the 30 days before now.
    pub current_streak: i32,
    pub is_vip: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::participations::Entity")]
    Participations,
    #[sea_orm(has_many = "super::transactions::Entity")]
    Transactions,
    #[sea_orm(has_many = "super::winners::Entity")]
    Wins,
    #[sea_orm(has_many = "super::draws::Entity")]
    WonDraws,
    #[sea_orm(has_one = "super::user_preferences::Entity")]
    Preferences,
    #[sea_orm(has_many = "super::subscriptions::Entity")]
    Subscriptions,
}

impl Related<super::participations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participations.def()
    }
}

impl Related<super::transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transactions.def()
    }
}

impl Related<super::winners::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Wins.def()
    }
}

impl Related<super::draws::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WonDraws.def()
    }
}

impl Related<super::user_preferences::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Preferences.def()
    }
}

impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscriptions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
