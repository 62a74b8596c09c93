//! The booking domain (BuildXpert), in the order of its own five migrations: core tables,
//! payments, payment logging, call masking, push notifications.

use crate::{Migration, Migrator};

mod m20250401_100000_create_core_tables;
mod m20250415_100000_add_payment_transactions_table;
mod m20250501_100000_add_payment_logging_tables;
mod m20250515_100000_add_call_masking_tables;
mod m20250601_100000_add_push_notification_tables;

pub fn migrator() -> Migrator {
    Migrator::new(
        "booking",
        vec![
            Migration::new(
                m20250401_100000_create_core_tables::Migration,
                include_str!("m20250401_100000_create_core_tables.rs"),
            ),
            Migration::new(
                m20250415_100000_add_payment_transactions_table::Migration,
                include_str!("m20250415_100000_add_payment_transactions_table.rs"),
            ),
            Migration::new(
                m20250501_100000_add_payment_logging_tables::Migration,
                include_str!("m20250501_100000_add_payment_logging_tables.rs"),
            ),
            Migration::new(
                m20250515_100000_add_call_masking_tables::Migration,
                include_str!("m20250515_100000_add_call_masking_tables.rs"),
            ),
            Migration::new(
                m20250601_100000_add_push_notification_tables::Migration,
                include_str!("m20250601_100000_add_push_notification_tables.rs"),
            ),
        ],
    )
}
