//! seedbed's integration tests. Every test that touches a database runs against SQLite,
//! PostgreSQL and MariaDB, each in namespaces of its own, and over every registered domain:
//! a new domain is covered by registering it, without new test code.
//!
//! PostgreSQL and MariaDB are expected at their default local addresses; see `util` for the
//! environment variables that point elsewhere. An unreachable server fails its tests with
//! a message that says how to start it.

mod util;

mod backup;
mod booking;
mod cli;
mod constraints;
mod docs;
mod draw;
mod dry_run;
mod entities;
mod extending;
mod fixtures;
mod integrity;
mod locking;
mod migrations;
mod raffle;
mod restore;
mod seeding;
