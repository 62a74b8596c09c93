//! The raffle generator: one cell's rows ([`crate::cells`]), parents first, then a
//! time-ordered simulation of the cell's money (its users buy only in its raffles); the
//! summaries over every cell come after the last ([`finish`]).

use chrono::{DateTime, Duration, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{DbErr, Statement};
use seedbed_raffle::enums::*;

use super::ADMIN_EMAIL;
use super::ledger::Ledger;
use super::listings::{Item, Seller};
use super::people::User;
use super::sales::Plan;
use crate::Ctx;
use crate::places::cities;
use crate::rhythm::{Crowd, Rhythm};

/// Which rare cases the data already shows: the first chance to show each is always taken,
/// so that even tiny data holds every kind of row.
#[derive(Default)]
pub(super) struct Coverage {
    pub(super) deposit_credit: bool,
    pub(super) withdrawal: bool,
    pub(super) goodwill: bool,
    pub(super) item_credit: bool,
    pub(super) purchase_notice: bool,
    pub(super) credit_expiring: bool,
}

/// The generator: what the earlier tables hold that the later ones need, the money books,
/// and what the data already covers.
pub(super) struct Gen<'a, 'c> {
    pub(super) ctx: &'a Ctx<'c>,
    pub(super) now: DateTime<Utc>,
    pub(super) users: Vec<User>,
    pub(super) sellers: Vec<Seller>,
    pub(super) tiers: Vec<Uuid>,
    pub(super) items: Vec<Item>,
    pub(super) plans: Vec<Plan>,
    /// Each seller's available items, for item-specific credits.
    pub(super) available_by_seller: Vec<Vec<Uuid>>,
    pub(super) ledger: Ledger,
    pub(super) covered: Coverage,
    /// When people act, one by one ([`Rhythm`]) and all together ([`Crowd`]).
    pub(super) rhythm: Rhythm,
    pub(super) crowd: Crowd,
}

pub(super) async fn generate(ctx: &Ctx<'_>) -> Result<(), DbErr> {
    let now = ctx.opts.now;
    let mut g = Gen {
        ctx,
        now,
        users: Vec::new(),
        sellers: Vec::new(),
        tiers: Vec::new(),
        items: Vec::new(),
        plans: Vec::new(),
        available_by_seller: Vec::new(),
        ledger: Ledger::new(ctx, now - Duration::days(400)),
        covered: Coverage::default(),
        rhythm: Rhythm::new(now),
        // Users live in every city of the gazetteer, as many as its size says.
        crowd: Crowd::new(cities().iter().map(|c| (c.zone, c.population as u64))),
    };
    g.subscriptions().await?;
    g.users().await?;
    g.tokens().await?;
    g.sellers().await?;
    g.items().await?;
    g.raffles().await?;
    g.available_by_seller = vec![Vec::new(); g.sellers.len()];
    for item in g.items.iter().filter(|i| i.status == ItemStatus::Available) {
        g.available_by_seller[item.seller].push(item.id);
    }
    g.simulate().await?;
    g.catalogue().await?;
    g.sessions().await
}

/// What sums up every cell's rows, once, after the last ([`crate::Seeder::finish`]): every
/// balance is the sum of its transactions, and the documented admin (cell 0's) is who last
/// set the reference settings, which are written as their definition has them (no one).
pub(super) async fn finish(ctx: &Ctx<'_>) -> Result<(), DbErr> {
    // ROUND: SQLite sums REALs, and must store the same two-decimal values as the others.
    if ctx.backend == sea_orm::DbBackend::MySql {
        let sums = "SELECT user_id AS k, SUM(amount) AS total FROM transactions USE INDEX () WHERE user_id IS NOT NULL GROUP BY user_id";
        let update = "UPDATE users u LEFT JOIN seedbed_balances t ON t.k = u.id SET u.balance = ROUND(COALESCE(t.total, 0), 2)";
        ctx.update_joining_sums(
            vec![("seedbed_balances", Statement::from_string(ctx.backend, sums))],
            update,
        )
        .await?;
    } else if ctx.backend == sea_orm::DbBackend::Postgres {
        // Transactions grouped once and joined, rather than an index probe per user (the
        // self-join keeps users without transactions, as the correlated form does).
        let balances = "UPDATE users u SET balance = ROUND(COALESCE(t.total, 0), 2) FROM users x \
                        LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM transactions \
                        WHERE user_id IS NOT NULL GROUP BY user_id) t ON t.user_id = x.id WHERE u.id = x.id";
        ctx.execute(Statement::from_string(ctx.backend, balances)).await?;
    } else {
        let balances = "UPDATE users SET balance = ROUND(COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.user_id = users.id), 0), 2)";
        ctx.execute(Statement::from_string(ctx.backend, balances)).await?;
    }
    let settings = format!(
        "UPDATE system_settings SET updated_by = (SELECT id FROM users WHERE email = '{ADMIN_EMAIL}') WHERE updated_by IS NULL"
    );
    ctx.execute(Statement::from_string(ctx.backend, settings)).await
}

impl Gen<'_, '_> {
    pub(super) fn opts(&self) -> crate::SeedOptions {
        self.ctx.opts
    }
}
