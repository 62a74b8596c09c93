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
