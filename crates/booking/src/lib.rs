//! SeaORM entities of the booking domain: BuildXpert, where customers book home services
//! from verified providers, pay through a gateway, call each other through masked numbers,
//! rate completed jobs, and get push, SMS, mail and in-app notifications.
//!
//! One module per table, [`enums`] beside them, and a [`prelude`]. The crate does no I/O.
//!
//! ```
//! let tables = seedbed_booking::create_statements(sea_orm::DbBackend::MySql);
//! assert!(!tables.is_empty());
//! ```

pub mod enums;
pub mod prelude;

pub mod addresses;
pub mod bookings;
pub mod call_events;
pub mod call_logs;
pub mod call_recordings;
pub mod call_sessions;
pub mod notification_logs;
pub mod notification_queue;
pub mod notification_receipts;
pub mod notifications;
pub mod payment_api_logs;
pub mod payment_events;
pub mod payment_security_events;
pub mod payment_transactions;
pub mod provider_profiles;
pub mod provider_services;
pub mod ratings;
pub mod scheduled_notifications;
pub mod services_master;
pub mod user_notification_settings;
pub mod user_push_tokens;
pub mod users;

use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{DbBackend, Schema};

/// The entities that map views rather than tables: none in this domain.
pub const VIEWS: &[&str] = &[];

/// What each entity expects of the schema, as the statement SeaORM would derive from it for
/// `backend`. Nothing is executed.
pub fn create_statements(backend: DbBackend) -> Vec<TableCreateStatement> {
    let s = Schema::new(backend);
    vec![
        s.create_table_from_entity(users::Entity),
        s.create_table_from_entity(addresses::Entity),
        s.create_table_from_entity(services_master::Entity),
        s.create_table_from_entity(provider_profiles::Entity),
        s.create_table_from_entity(provider_services::Entity),
        s.create_table_from_entity(bookings::Entity),
        s.create_table_from_entity(ratings::Entity),
        s.create_table_from_entity(notifications::Entity),
        s.create_table_from_entity(payment_transactions::Entity),
        s.create_table_from_entity(payment_events::Entity),
        s.create_table_from_entity(payment_api_logs::Entity),
        s.create_table_from_entity(payment_security_events::Entity),
        s.create_table_from_entity(call_sessions::Entity),
        s.create_table_from_entity(call_logs::Entity),
        s.create_table_from_entity(call_events::Entity),
        s.create_table_from_entity(call_recordings::Entity),
        s.create_table_from_entity(user_push_tokens::Entity),
        s.create_table_from_entity(scheduled_notifications::Entity),
        s.create_table_from_entity(notification_logs::Entity),
        s.create_table_from_entity(user_notification_settings::Entity),
        s.create_table_from_entity(notification_receipts::Entity),
        s.create_table_from_entity(notification_queue::Entity),
    ]
}
