//! Versioned, reversible migrations of every seedbed domain, and the runner that applies them.
//!
//! Each domain has a module with its migrations, oldest first, and a `migrator()` that lists
//! them. Migrations never import the entity crates: they spell out their tables with
//! sea-query and the helpers in [`ddl`], so a released migration keeps compiling, and keeps
//! producing the same schema, whatever later happens to the entities. Migration files are
//! named `mYYYYMMDD_HHMMSS_name.rs` and are append-only once released.

pub mod booking;
pub mod ddl;
pub mod draw;
pub mod interrupted;
pub mod plan;
pub mod raffle;
pub mod rehearse;
pub mod runner;
pub mod service;

pub use plan::{Plan, PlannedStep};
pub use rehearse::Rehearsed;
pub use runner::{
    Finding, HISTORY_TABLE, HistoryRow, MigrateError, Migration, MigrationStatus, Migrator, Repaired,
    Resolve, State, Step, checksum,
};
pub use sea_orm_migration;
