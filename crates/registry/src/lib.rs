//! The registry: the one place where a domain is declared. Everything that works on "every
//! domain" (the command line's `--domain`, the fixtures and their template fingerprint, the
//! bench, the data-driven tests) iterates over [`DOMAINS`], so adding a domain is one line in
//! the `domains!` list below (plus the domain's own entity crate, migrations and seeder,
//! which `seedbed new-domain NAME` scaffolds).
//!
//! The crate is a library without I/O or command-line dependencies, so that a service's test
//! suite (through `seedbed-fixtures`) gets the domains without clap, indicatif or dotenvy.
//!
//! ```
//! use seedbed_registry::{DOMAINS, Domain};
//!
//! // A handle per domain, spelt like an enum variant...
//! assert_eq!(Domain::Draw.name(), "draw");
//! // ...and the registered list, for code that works on every domain.
//! assert!(DOMAINS.contains(&Domain::Draw));
//! assert_eq!(seedbed_registry::find("draw"), Some(&Domain::Draw));
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use sea_orm::DbBackend;
use sea_orm::sea_query::TableCreateStatement;
use seedbed_migration::Migrator;
use seedbed_seeds::Seeder;

/// A business domain: its migrations, its entities and its data.
///
/// A small `Copy` value: the registered ones are the associated constants
/// ([`Domain::Raffle`], …), listed in [`DOMAINS`]. Two handles are equal when they name the
/// same domain; they order as the registry lists them.
///
/// ```
/// use seedbed_registry::Domain;
///
/// let draw = Domain::Draw;
/// let migrator = (draw.migrator)();
/// assert!(!migrator.versions().is_empty());
/// assert_eq!(draw.seeder.domain(), "draw");
/// ```
#[derive(Clone, Copy)]
pub struct Domain {
    /// Its `--domain` value and namespace name.
    pub name: &'static str,
    /// The name of its handle, `Domain::<handle>` (for messages that tell the reader what to
    /// write).
    pub handle: &'static str,
    /// What it is, in a few words.
    pub about: &'static str,
    /// Its migrations, oldest first.
    pub migrator: fn() -> Migrator,
    /// What the entities expect of the schema, one statement per table and view.
    pub entities: fn(DbBackend) -> Vec<TableCreateStatement>,
    /// Which of those are read-only views.
    pub views: &'static [&'static str],
    /// Its data: generator, integrity checks, digest.
    pub seeder: &'static dyn Seeder,
}

/// Declares the domains: one line each, `Handle: module, entity_crate, "about";`. The module
/// names the domain (its `--domain` value, `seedbed_migration::module::migrator` and
/// `seedbed_seeds::module::SEEDER`); the entity crate holds `create_statements` and `VIEWS`.
macro_rules! domains {
    ($($handle:ident: $name:ident, $entities:ident, $about:literal;)*) => {
        // The handles read like the variants of the enum they replaced (`Domain::Draw`), so
        // downstream code that names a domain keeps its spelling.
        #[allow(non_upper_case_globals)]
        impl Domain {
            $(
                #[doc = concat!("The `", stringify!($name), "` domain: ", $about, ".")]
                pub const $handle: Domain = Domain {
                    name: stringify!($name),
                    handle: stringify!($handle),
                    about: $about,
                    migrator: seedbed_migration::$name::migrator,
                    entities: $entities::create_statements,
                    views: $entities::VIEWS,
                    seeder: &seedbed_seeds::$name::SEEDER,
                };
            )*
        }

        /// Every registered domain, in the order commands work through them.
        pub static DOMAINS: &[Domain] = &[$(Domain::$handle),*];
    };
}

domains! {
    Raffle: raffle, seedbed_raffle, "raffle shopping platform";
    Draw: draw, seedbed_draw, "Lucky11 lottery";
    Booking: booking, seedbed_booking, "BuildXpert service bookings";
}

impl Domain {
    /// Its `--domain` value and namespace name (the same as the `name` field).
    ///
    /// ```
    /// assert_eq!(seedbed_registry::Domain::Booking.name(), "booking");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its place in [`DOMAINS`] (unregistered values, as tests may build, come last).
    fn position(&self) -> usize {
        DOMAINS.iter().position(|d| d.name == self.name).unwrap_or(usize::MAX)
    }
}

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Domain {}

impl Hash for Domain {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl PartialOrd for Domain {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Domain {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.position(), self.name).cmp(&(other.position(), other.name))
    }
}

/// `Domain::Draw`: how code names it.
impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Domain::{}", self.handle)
    }
}

/// `draw`: how the command line and the databases name it.
impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The domain called `name`.
///
/// ```
/// assert_eq!(seedbed_registry::find("raffle").map(|d| d.about), Some("raffle shopping platform"));
/// assert!(seedbed_registry::find("lottery").is_none());
/// ```
pub fn find(name: &str) -> Option<&'static Domain> {
    DOMAINS.iter().find(|d| d.name == name)
}

/// Every domain's name, in registry order, for messages.
///
/// ```
/// assert!(seedbed_registry::names().starts_with(&["raffle", "draw", "booking"]));
/// ```
pub fn names() -> Vec<&'static str> {
    DOMAINS.iter().map(|d| d.name).collect()
}
