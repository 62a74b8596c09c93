//! `subscriptions` (version 1.4.0): a player's subscription to a plan: its current period,
//! status and renewals. At most one is active per player, and a player is VIP exactly while
//! one is.

use sea_orm::entity::prelude::*;

use crate::enums::SubscriptionStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    pub plan_id: i32,
    pub status: SubscriptionStatus,
    /// Start of the first period.
    pub started_at: DateTimeUtc,
    /// Start of the current (or last) period.
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    /// Periods after the first.
    pub renewals: i32,
    pub auto_renew: bool,
    pub cancelled_at: Option<DateTimeUtc>,
    /// user_id while active, NULL otherwise: unique, so one active subscription per user.
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub active_user_id: Option<String>,
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
    #[sea_orm(
        belongs_to = "super::plans::Entity",
        from = "Column::PlanId",
        to = "super::plans::Column::Id",
        on_delete = "Restrict"
    )]
    Plan,
    #[sea_orm(has_many = "super::subscription_payments::Entity")]
    Payments,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::plans::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plan.def()
    }
}

impl Related<super::subscription_payments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Payments.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
