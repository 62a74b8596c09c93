//! seedbed's integration tests. Every test that touches a database runs against SQLite,
//! PostgreSQL and MariaDB, each in namespaces of its own, and over every registered domain:
//! a new domain is covered by registering it, without new test code.
//!
//! PostgreSQL and MariaDB are throwaway servers this test process starts on first use and
//! removes when it ends (the `seedbed-testserver` crate), so the suite touches no server of
//! the machine's; `SEEDBED_TEST_POSTGRES_URL` / `SEEDBED_TEST_MYSQL_URL` point it at existing
//! servers instead. The `galera` tests run on a three-node cluster from the same harness.

mod util;

// Each domain's own test file, `tests/domains/<name>.rs` (its planted world, the writes its
// constraints must refuse, a corruption per rule), found by `build.rs`: the files are the
// registration, so a new domain's file needs no line here.
include!(concat!(env!("OUT_DIR"), "/domains.rs"));

mod backup;
mod bulk_load;
mod chunked;
mod cli;
mod constraints;
mod describe;
mod docs;
mod dry_run;
mod entities;
mod extending;
mod fixtures;
mod fixtures_macro;
mod fixtures_rollback;
mod galera;
mod harness;
mod integrity;
mod locking;
mod migrate_commands;
mod migrations;
mod read_only;
mod realism;
mod reference;
mod restore;
mod seeding;
mod sharding;
mod words;
