//! `referrals` (version 1.2.0): an invitation a player sends with a code; when the friend
//! signs up with it, the referral is joined and the referrer earns a `referral_reward` entry
//! in the ledger.

use sea_orm::entity::prelude::*;

use crate::enums::ReferralStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub referrer_id: String,
    /// The invitation code the friend signs up with.
    #[sea_orm(column_type = "String(StringLen::N(16))", unique)]
    pub code: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub invited_email: Option<String>,
    /// The friend, once they joined.
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub referred_id: Option<String>,
    pub status: ReferralStatus,
    /// The referrer's referral_reward, once the friend joined.
    #[sea_orm(unique)]
    pub reward_transaction_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub joined_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ReferrerId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    Referrer,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ReferredId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    Referred,
    #[sea_orm(
        belongs_to = "super::transactions::Entity",
        from = "Column::RewardTransactionId",
        to = "super::transactions::Column::Id",
        on_delete = "Restrict"
    )]
    Reward,
}

impl Related<super::transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reward.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
