//! seedbed: one command to stand up a realistic, fully migrated database for the raffle,
//! draw and booking services. The library holds the command line; the domains come from
//! `seedbed-registry` (re-exported as [`domains`]); `main.rs` only calls [`cli::main`].

pub mod cli;
pub mod docs;

pub use seedbed_core::{Backend, Target};
pub use seedbed_registry::{self as domains, DOMAINS, Domain};
