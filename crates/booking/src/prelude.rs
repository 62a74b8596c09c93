//! The entities under their table names in CamelCase, and the enums, for `use seedbed_booking::prelude::*`.

pub use crate::addresses::Entity as Addresses;
pub use crate::bookings::Entity as Bookings;
pub use crate::call_events::Entity as CallEvents;
pub use crate::call_logs::Entity as CallLogs;
pub use crate::call_recordings::Entity as CallRecordings;
pub use crate::call_sessions::Entity as CallSessions;
pub use crate::enums::*;
pub use crate::notification_logs::Entity as NotificationLogs;
pub use crate::notification_queue::Entity as NotificationQueue;
pub use crate::notification_receipts::Entity as NotificationReceipts;
pub use crate::notifications::Entity as Notifications;
pub use crate::payment_api_logs::Entity as PaymentApiLogs;
pub use crate::payment_events::Entity as PaymentEvents;
pub use crate::payment_security_events::Entity as PaymentSecurityEvents;
pub use crate::payment_transactions::Entity as PaymentTransactions;
pub use crate::provider_profiles::Entity as ProviderProfiles;
pub use crate::provider_services::Entity as ProviderServices;
pub use crate::ratings::Entity as Ratings;
pub use crate::scheduled_notifications::Entity as ScheduledNotifications;
pub use crate::services_master::Entity as ServicesMaster;
pub use crate::user_notification_settings::Entity as UserNotificationSettings;
pub use crate::user_push_tokens::Entity as UserPushTokens;
pub use crate::users::Entity as Users;
