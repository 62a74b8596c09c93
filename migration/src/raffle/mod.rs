//! The raffle domain (the raffle shopping platform), in the order of the platform's own
//! history: 001 initial schema, 002 constraints and indexes, 003 supporting tables, then
//! the reporting views.

use crate::{Migration, Migrator};

mod m20250301_090000_initial_schema;
mod m20250301_090100_constraints_and_indexes;
mod m20250301_090200_supporting_tables;
mod m20250301_090300_reporting_views;

pub fn migrator() -> Migrator {
    Migrator::new(
        "raffle",
        vec![
            Migration::new(
                m20250301_090000_initial_schema::Migration,
                include_str!("m20250301_090000_initial_schema.rs"),
            ),
            Migration::new(
                m20250301_090100_constraints_and_indexes::Migration,
                include_str!("m20250301_090100_constraints_and_indexes.rs"),
            ),
            Migration::new(
                m20250301_090200_supporting_tables::Migration,
                include_str!("m20250301_090200_supporting_tables.rs"),
            ),
            Migration::new(
                m20250301_090300_reporting_views::Migration,
                include_str!("m20250301_090300_reporting_views.rs"),
            ),
        ],
    )
}
