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
