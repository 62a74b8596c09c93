//! The draw domain (Lucky11), in the order of its own history: version 1.0.0, the initial
//! schema of 1 July 2025, then the recommended performance indexes.

use crate::{Migration, Migrator};

mod m20250701_000000_initial_schema;
mod m20250701_000100_performance_indexes;

pub fn migrator() -> Migrator {
    Migrator::new(
        "draw",
        vec![
            Migration::new(
                m20250701_000000_initial_schema::Migration,
                include_str!("m20250701_000000_initial_schema.rs"),
            ),
            Migration::new(
                m20250701_000100_performance_indexes::Migration,
                include_str!("m20250701_000100_performance_indexes.rs"),
            ),
        ],
    )
}
