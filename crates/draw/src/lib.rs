//! SeaORM entities of the draw domain: Lucky11, a lottery where players spend coins to enter
//! draws with a capped number of entries, and one entrant per draw wins its prize.
//!
//! One module per table, [`enums`] beside them, and a [`prelude`]. The crate does no I/O.
//!
//! ```
//! use sea_orm::ActiveEnum;
//! use seedbed_draw::prelude::*;
//!
//! let tables = seedbed_draw::create_statements(sea_orm::DbBackend::Sqlite);
//! assert!(!tables.is_empty());
//! assert_eq!(TransactionType::DrawEntry.to_value(), "draw_entry");
//! ```

pub mod enums;
pub mod prelude;

pub mod draw_categories;
pub mod draws;
pub mod friend_requests;
pub mod friendships;
pub mod participations;
pub mod plans;
pub mod referrals;
pub mod sessions;
pub mod shares;
pub mod subscription_payments;
pub mod subscriptions;
pub mod transactions;
pub mod user_preferences;
pub mod users;
pub mod winners;

use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{DbBackend, Schema};

/// The entities that map views rather than tables.
pub const VIEWS: &[&str] = &["friendships"];

/// What each entity expects of the schema, as the statement SeaORM would derive from it for
/// `backend`. Nothing is executed.
pub fn create_statements(backend: DbBackend) -> Vec<TableCreateStatement> {
    let s = Schema::new(backend);
    vec![
        s.create_table_from_entity(sessions::Entity),
        s.create_table_from_entity(users::Entity),
        s.create_table_from_entity(draws::Entity),
        s.create_table_from_entity(participations::Entity),
        s.create_table_from_entity(transactions::Entity),
        s.create_table_from_entity(winners::Entity),
        s.create_table_from_entity(user_preferences::Entity),
        s.create_table_from_entity(draw_categories::Entity),
        s.create_table_from_entity(friend_requests::Entity),
        s.create_table_from_entity(shares::Entity),
        s.create_table_from_entity(referrals::Entity),
        s.create_table_from_entity(plans::Entity),
        s.create_table_from_entity(subscriptions::Entity),
        s.create_table_from_entity(subscription_payments::Entity),
        s.create_table_from_entity(friendships::Entity),
    ]
}

fn read_only(view: &str) -> sea_orm::DbErr {
    sea_orm::DbErr::Custom(format!("{view} is a read-only view: write to its base tables instead"))
}
