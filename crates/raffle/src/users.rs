//! `users`: every account (buyer, seller, admin, operator) with its internal wallet balance.

use sea_orm::entity::prelude::*;

use crate::enums::UserRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lower-case, unique.
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub email: String,
    /// argon2id PHC string.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub password_hash: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub display_name: String,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub phone: Option<String>,
    pub role: UserRole,
    #[sea_orm(column_type = "String(StringLen::N(64))", unique)]
    pub wallet_address: String,
    /// Equals the sum of the user's transactions.
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub balance: Decimal,
    pub is_active: bool,
    pub email_verified_at: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::email_verification_tokens::Entity")]
    EmailVerificationTokens,
    #[sea_orm(has_many = "super::password_reset_tokens::Entity")]
    PasswordResetTokens,
    #[sea_orm(has_one = "super::sellers::Entity")]
    Seller,
    #[sea_orm(has_many = "super::raffles::Entity")]
    WonRaffles,
    #[sea_orm(has_many = "super::transactions::Entity")]
    Transactions,
    #[sea_orm(has_many = "super::box_purchases::Entity")]
    BoxPurchases,
    #[sea_orm(has_many = "super::user_credits::Entity")]
    UserCredits,
    #[sea_orm(has_many = "super::system_settings::Entity")]
    UpdatedSettings,
    #[sea_orm(has_many = "super::user_sessions::Entity")]
    UserSessions,
    #[sea_orm(has_many = "super::notifications::Entity")]
    Notifications,
    #[sea_orm(has_many = "super::audit_logs::Entity")]
    AuditLogs,
}

impl Related<super::email_verification_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailVerificationTokens.def()
    }
}

impl Related<super::password_reset_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PasswordResetTokens.def()
    }
}

impl Related<super::sellers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Seller.def()
    }
}

impl Related<super::raffles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WonRaffles.def()
    }
}

impl Related<super::transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transactions.def()
    }
}

impl Related<super::box_purchases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BoxPurchases.def()
    }
}

impl Related<super::user_credits::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserCredits.def()
    }
}

impl Related<super::system_settings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UpdatedSettings.def()
    }
}

impl Related<super::user_sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserSessions.def()
    }
}

impl Related<super::notifications::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Notifications.def()
    }
}

impl Related<super::audit_logs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuditLogs.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
