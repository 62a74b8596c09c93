//! The draw domain (Lucky11), in the order of its own history: version 1.0.0, the initial
//! schema of 1 July 2025, then the recommended performance indexes.

use sea_orm_migration::MigrationTrait;

use crate::Migrator;

mod m20250701_000000_initial_schema;
mod m20250701_000100_performance_indexes;

pub fn migrator() -> Migrator {
    let migrations: Vec<Box<dyn MigrationTrait>> = vec![
        Box::new(m20250701_000000_initial_schema::Migration),
        Box::new(m20250701_000100_performance_indexes::Migration),
    ];
    Migrator::new("draw", migrations)
}
