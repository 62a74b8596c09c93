//! The raffle domain (the raffle shopping platform), in the order of the platform's own
//! history: 001 initial schema, 002 constraints and indexes, 003 supporting tables, then
//! the reporting views.

use sea_orm_migration::MigrationTrait;

use crate::Migrator;

mod m20250301_090000_initial_schema;
mod m20250301_090100_constraints_and_indexes;
mod m20250301_090200_supporting_tables;
mod m20250301_090300_reporting_views;

pub fn migrator() -> Migrator {
    let migrations: Vec<Box<dyn MigrationTrait>> = vec![
        Box::new(m20250301_090000_initial_schema::Migration),
        Box::new(m20250301_090100_constraints_and_indexes::Migration),
        Box::new(m20250301_090200_supporting_tables::Migration),
        Box::new(m20250301_090300_reporting_views::Migration),
    ];
    Migrator::new("raffle", migrations)
}
