//! The raffle domain's enumerated types. Each is stored as a VARCHAR guarded by a CHECK
//! constraint (the migrations spell out the same values), never as a native ENUM type, so
//! the schema is the same on every backend.

use sea_orm::entity::prelude::*;

/// `users.role`: what an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum UserRole {
    User,
    Seller,
    Admin,
    Operator,
}

/// `items.status`: whether an item can still be raffled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum ItemStatus {
    Available,
    Sold,
    Inactive,
}

/// `raffles.status`: open for sales, sold out, being drawn, done, or called off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum RaffleStatus {
    Open,
    Full,
    Drawing,
    Completed,
    Cancelled,
}

/// `user_credits.source`: why a credit was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum CreditSource {
    RaffleLoss,
    Deposit,
    Refund,
    Bonus,
}

/// `user_credits.credit_type`: where a credit may be spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum CreditType {
    General,
    ItemSpecific,
}

/// `transactions.type`: the kind of money movement; the sign of `amount` follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))", rename_all = "snake_case")]
pub enum TransactionType {
    Deposit,
    Withdrawal,
    BoxPurchase,
    Refund,
    SellerPayout,
    SubscriptionFee,
}

/// `notifications.type`: what a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))", rename_all = "snake_case")]
pub enum NotificationType {
    PurchaseConfirmed,
    RaffleWon,
    RaffleLost,
    RaffleCancelled,
    CreditExpiring,
    System,
}
