//! The entities under their table names in CamelCase, and the enums, for `use seedbed_draw::prelude::*`.

pub use crate::draw_categories::Entity as DrawCategories;
pub use crate::draws::Entity as Draws;
pub use crate::enums::*;
pub use crate::friend_requests::Entity as FriendRequests;
pub use crate::friendships::Entity as Friendships;
pub use crate::participations::Entity as Participations;
pub use crate::plans::Entity as Plans;
pub use crate::referrals::Entity as Referrals;
pub use crate::sessions::Entity as Sessions;
pub use crate::shares::Entity as Shares;
pub use crate::subscription_payments::Entity as SubscriptionPayments;
pub use crate::subscriptions::Entity as Subscriptions;
pub use crate::transactions::Entity as Transactions;
pub use crate::user_preferences::Entity as UserPreferences;
pub use crate::users::Entity as Users;
pub use crate::winners::Entity as Winners;
