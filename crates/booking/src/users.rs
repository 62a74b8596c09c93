//! `users`: every account: customers who book, providers who serve, and admins.

use sea_orm::entity::prelude::*;

use crate::enums::UserRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-case.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub email: String,
    /// E.164, e.g. +14155550123; used to log in by one-time code.
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub phone: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub full_name: String,
    /// argon2id PHC string; NULL for accounts that only log in by one-time code.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub password_hash: Option<String>,
    pub role: UserRole,
    pub is_verified: bool,
    pub is_active: bool,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub profile_picture_url: Option<String>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::addresses::Entity")]
    Addresses,
    #[sea_orm(has_one = "super::provider_profiles::Entity")]
    ProviderProfile,
    #[sea_orm(has_many = "super::bookings::Entity")]
    Bookings,
    #[sea_orm(has_many = "super::ratings::Entity")]
    Ratings,
    #[sea_orm(has_many = "super::notifications::Entity")]
    Notifications,
    #[sea_orm(has_many = "super::payment_transactions::Entity")]
    PaymentTransactions,
    #[sea_orm(has_many = "super::payment_security_events::Entity")]
    PaymentSecurityEvents,
    #[sea_orm(has_many = "super::call_sessions::Entity", via_rel = "Relation::Caller")]
    CallerCallSessions,
    #[sea_orm(has_many = "super::call_sessions::Entity", via_rel = "Relation::Callee")]
    CalleeCallSessions,
    #[sea_orm(has_many = "super::user_push_tokens::Entity")]
    UserPushTokens,
    #[sea_orm(has_many = "super::scheduled_notifications::Entity")]
    ScheduledNotifications,
    #[sea_orm(has_many = "super::notification_logs::Entity")]
    NotificationLogs,
    #[sea_orm(has_one = "super::user_notification_settings::Entity")]
    UserNotificationSetting,
    #[sea_orm(has_many = "super::notification_queue::Entity")]
    NotificationQueue,
}

impl Related<super::addresses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Addresses.def()
    }
}

impl Related<super::provider_profiles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProviderProfile.def()
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

impl Related<super::notifications::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Notifications.def()
    }
}

impl Related<super::payment_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PaymentTransactions.def()
    }
}

impl Related<super::payment_security_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PaymentSecurityEvents.def()
    }
}

impl Related<super::call_sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallerCallSessions.def()
    }
}

impl Related<super::user_push_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserPushTokens.def()
    }
}

impl Related<super::scheduled_notifications::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ScheduledNotifications.def()
    }
}

impl Related<super::notification_logs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NotificationLogs.def()
    }
}

impl Related<super::user_notification_settings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserNotificationSetting.def()
    }
}

impl Related<super::notification_queue::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NotificationQueue.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
