//! Where a domain's data lives: database targets, per-domain namespaces, connections and
//! schema introspection, shared by the migration runner, the CLI and the tests.
//!
//! This crate knows nothing about any particular domain: it is handed a domain's name and
//! turns it into a namespace (a PostgreSQL schema, a MariaDB database or a SQLite file).
//!
//! ```
//! use seedbed_core::{Backend, Target};
//!
//! let target = Target::parse("postgres://app:secret@db.internal:5432/app")?.with_prefix("dev_")?;
//! assert_eq!(target.backend(), Backend::Postgres);
//! assert_eq!(target.namespace("draw"), "dev_draw");
//! assert!(!target.redacted().contains("secret"));
//! # Ok::<(), seedbed_core::TargetError>(())
//! ```

mod backup;
mod connect;
mod error;
pub mod introspect;
mod lease;
mod lock;
pub mod table_sql;
mod target;

pub use backup::{BackupError, MANIFEST_TABLE, Manifest};
pub use error::{ConnectError, TargetError, driver_message};
pub use lease::{DEFAULT_LEASE, LOCK_TABLE, LockKind, LockPolicy, on_lease_lost};
pub use lock::{DomainLock, LockError, holder_label, lock_through};
pub use target::{Backend, DEFAULT_DATA_DIR, Target, redact_str};

/// The table in which a chunked seeding records, in the domain's own namespace, its options and
/// how far each table got (see `seedbed_seeds::state`): a row there means the domain is
/// incomplete. Like the lease lock's table it is seedbed's bookkeeping, not the schema the
/// migrations make: schema snapshots leave it out, and `fresh` drops it with the data it
/// describes. Backups carry it, so an incomplete domain restores as incomplete.
pub const SEED_STATE_TABLE: &str = "seedbed_seeding";

/// The table in which a MariaDB/MySQL bulk load lists, in the domain's own database, the tables
/// whose InnoDB statistics recalculation it switched off for the load (`STATS_AUTO_RECALC=0`;
/// see `seedbed_seeds::load::recalc`). It lives from just before the switch to just after the
/// switch back: finding it means a seeding was killed in between, and the next writing
/// command switches those tables back. Bookkeeping like [`SEED_STATE_TABLE`]: schema
/// snapshots leave it out, and `fresh` drops it.
pub const PAUSED_STATS_TABLE: &str = "seedbed_stats_paused";

/// Quotes an identifier for `backend`'s SQL, doubling any quote character inside it.
pub fn quote(backend: sea_orm::DbBackend, ident: &str) -> String {
    match backend {
        sea_orm::DbBackend::MySql => format!("`{}`", ident.replace('`', "``")),
        _ => format!("\"{}\"", ident.replace('"', "\"\"")),
    }
}
