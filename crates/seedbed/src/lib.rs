//! seedbed: one command to stand up a realistic, fully migrated database for the raffle,
//! draw and booking services. The library holds the domain registry and the command line;
//! `main.rs` only calls [`cli::main`].

pub mod cli;
pub mod docs;
pub mod domains;

pub use domains::{DOMAINS, Domain};
pub use seedbed_core::{Backend, Target};
