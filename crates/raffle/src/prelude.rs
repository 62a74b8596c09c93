//! The entities under their table names in CamelCase, and the enums, for `use seedbed_raffle::prelude::*`.

pub use crate::audit_logs::Entity as AuditLogs;
pub use crate::box_purchases::Entity as BoxPurchases;
pub use crate::email_verification_tokens::Entity as EmailVerificationTokens;
pub use crate::enums::*;
pub use crate::free_redeemable_items::Entity as FreeRedeemableItems;
pub use crate::items::Entity as Items;
pub use crate::notifications::Entity as Notifications;
pub use crate::password_reset_tokens::Entity as PasswordResetTokens;
pub use crate::raffle_participants::Entity as RaffleParticipants;
pub use crate::raffles::Entity as Raffles;
pub use crate::seller_performance::Entity as SellerPerformance;
pub use crate::seller_subscriptions::Entity as SellerSubscriptions;
pub use crate::sellers::Entity as Sellers;
pub use crate::system_settings::Entity as SystemSettings;
pub use crate::transactions::Entity as Transactions;
pub use crate::user_credit_summary::Entity as UserCreditSummary;
pub use crate::user_credits::Entity as UserCredits;
pub use crate::user_sessions::Entity as UserSessions;
pub use crate::users::Entity as Users;
