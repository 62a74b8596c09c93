//! The draw domain's enumerated types, stored as VARCHAR guarded by a CHECK constraint.

use sea_orm::entity::prelude::*;

/// `transactions.type`: why coins moved; the sign of `amount` follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))", rename_all = "snake_case")]
pub enum TransactionType {
    CoinPurchase,
    DailyBonus,
    ReferralBonus,
    DrawEntry,
    Refund,
    Adjustment,
    /// Since 1.2.0: what a referrer earns when an invited friend joins (a credit).
    ReferralReward,
    /// Since 1.4.0: one paid period of a subscription (a debit).
    SubscriptionPayment,
}

/// `user_preferences.language`: the languages the app is translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))", rename_all = "snake_case")]
pub enum Language {
    En,
    Es,
    Fr,
    De,
    Pt,
}

/// `user_preferences.theme`: light, dark, or whatever the device prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))", rename_all = "snake_case")]
pub enum Theme {
    System,
    Light,
    Dark,
}

/// `friend_requests.status` (1.2.0): waiting for the addressee, or answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))", rename_all = "snake_case")]
pub enum FriendRequestStatus {
    Pending,
    Accepted,
    Declined,
}

/// `shares.channel` (1.2.0): where a draw or a win was shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))", rename_all = "snake_case")]
pub enum ShareChannel {
    /// To one friend in the app (`shares.friend_id`).
    Friend,
    Link,
    Email,
    Whatsapp,
}

/// `referrals.status` (1.2.0): sent and waiting, joined (rewarded), or expired unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))", rename_all = "snake_case")]
pub enum ReferralStatus {
    Sent,
    Joined,
    Expired,
}

/// `subscriptions.status` (1.4.0): active (the player is VIP), cancelled, or expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))", rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Active,
    Cancelled,
    Expired,
}
