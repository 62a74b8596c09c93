//! The registry: the one place where a domain is declared. Everything that works on "every
//! domain" (the CLI's `--domain`, the data-driven tests) iterates over [`DOMAINS`], so
//! adding a domain is adding an entry here.

use sea_orm::DbBackend;
use sea_orm::sea_query::TableCreateStatement;
use seedbed_migration::Migrator;
use seedbed_seeds::Seeder;

/// A business domain: its migrations, its entities and its data.
#[derive(Clone, Copy)]
pub struct Domain {
    /// Its `--domain` value and namespace name.
    pub name: &'static str,
    /// What it is, in a few words.
    pub about: &'static str,
    pub migrator: fn() -> Migrator,
    /// What the entities expect of the schema, one statement per table and view.
    pub entities: fn(DbBackend) -> Vec<TableCreateStatement>,
    /// Which of those are read-only views.
    pub views: &'static [&'static str],
    /// Its data: generator, integrity checks, digest.
    pub seeder: &'static dyn Seeder,
}

pub static DOMAINS: &[Domain] = &[
    Domain {
        name: "raffle",
        about: "raffle shopping platform",
        migrator: seedbed_migration::raffle::migrator,
        entities: seedbed_raffle::create_statements,
        views: seedbed_raffle::VIEWS,
        seeder: &seedbed_seeds::raffle::SEEDER,
    },
    Domain {
        name: "draw",
        about: "Lucky11 lottery",
        migrator: seedbed_migration::draw::migrator,
        entities: seedbed_draw::create_statements,
        views: seedbed_draw::VIEWS,
        seeder: &seedbed_seeds::draw::SEEDER,
    },
    Domain {
        name: "booking",
        about: "BuildXpert service bookings",
        migrator: seedbed_migration::booking::migrator,
        entities: seedbed_booking::create_statements,
        views: seedbed_booking::VIEWS,
        seeder: &seedbed_seeds::booking::SEEDER,
    },
];

/// The domain called `name`.
pub fn find(name: &str) -> Option<&'static Domain> {
    DOMAINS.iter().find(|d| d.name == name)
}

/// Every domain's name, for messages.
pub fn names() -> Vec<&'static str> {
    DOMAINS.iter().map(|d| d.name).collect()
}
