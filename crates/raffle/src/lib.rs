//! SeaORM entities of the raffle domain: the raffle shopping platform, where sellers list
//! items, buyers purchase numbered boxes of a raffle, one box wins the item, and losing
//! buyers receive store credit.
//!
//! One module per table, [`enums`] beside them, three read-only view entities, and a
//! [`prelude`]. The crate does no I/O: it describes the schema the migrations build, and
//! [`create_statements`] lets tests compare the two.
//!
//! ```
//! use sea_orm::ActiveEnum;
//! use seedbed_raffle::prelude::*;
//!
//! let tables = seedbed_raffle::create_statements(sea_orm::DbBackend::Postgres);
//! assert!(tables.len() > seedbed_raffle::VIEWS.len());
//! assert_eq!(RaffleStatus::Completed.to_value(), "completed");
//! ```

pub mod enums;
pub mod prelude;

pub mod audit_logs;
pub mod box_purchases;
pub mod email_verification_tokens;
pub mod free_redeemable_items;
pub mod items;
pub mod notifications;
pub mod password_reset_tokens;
pub mod raffles;
pub mod seller_subscriptions;
pub mod sellers;
pub mod system_settings;
pub mod transactions;
pub mod user_credits;
pub mod user_sessions;
pub mod users;

pub mod raffle_participants;
pub mod seller_performance;
pub mod user_credit_summary;

use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{DbBackend, Schema};

/// The entities that map views rather than tables; their active models refuse to write.
pub const VIEWS: &[&str] = &["raffle_participants", "seller_performance", "user_credit_summary"];

/// What each entity expects of the schema (columns, types, nullability, foreign keys), as
/// the statement SeaORM would derive from it for `backend`. Nothing is executed.
pub fn create_statements(backend: DbBackend) -> Vec<TableCreateStatement> {
    let s = Schema::new(backend);
    vec![
        s.create_table_from_entity(users::Entity),
        s.create_table_from_entity(email_verification_tokens::Entity),
        s.create_table_from_entity(password_reset_tokens::Entity),
        s.create_table_from_entity(seller_subscriptions::Entity),
        s.create_table_from_entity(sellers::Entity),
        s.create_table_from_entity(items::Entity),
        s.create_table_from_entity(raffles::Entity),
        s.create_table_from_entity(transactions::Entity),
        s.create_table_from_entity(box_purchases::Entity),
        s.create_table_from_entity(user_credits::Entity),
        s.create_table_from_entity(free_redeemable_items::Entity),
        s.create_table_from_entity(system_settings::Entity),
        s.create_table_from_entity(user_sessions::Entity),
        s.create_table_from_entity(notifications::Entity),
        s.create_table_from_entity(audit_logs::Entity),
        s.create_table_from_entity(raffle_participants::Entity),
        s.create_table_from_entity(seller_performance::Entity),
        s.create_table_from_entity(user_credit_summary::Entity),
    ]
}

fn read_only(view: &str) -> sea_orm::DbErr {
    sea_orm::DbErr::Custom(format!("{view} is a read-only view: write to its base tables instead"))
}
