//! The raffle domain's data: a year of a raffle shopping platform up to the reference time.
//!
//! Users and sellers sign up, sellers list items, most items are raffled; buyers (a few
//! power users, a long tail) buy boxes, topping up their wallet when it runs short; raffles
//! complete with a winner who bought the winning box, stay open, sell out, wait for the
//! draw, or are cancelled and refunded; sellers are paid out and pay their subscription;
//! losing buyers receive store credit. Money is simulated in time order across all raffles,
//! so every transaction's `balance_after` is the running balance and each user's `balance`
//! is the sum of their transactions.
//!
//! The data is made of cells ([`crate::cells`]): each a world of its own users, sellers,
//! raffles and money, whose first three users are the cell's admin, seller and keen customer
//! (cell 0's are the documented accounts). Every cell refers to the same reference tiers;
//! cell 0 writes them and the settings, unless a sharded seeding has upserted them.

mod generator;
mod ledger;
mod listings;
mod people;
mod reference;
mod rules;
mod sales;
mod simulation;
mod text;

use sea_orm::entity::prelude::async_trait;
use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{DbBackend, DbErr};
use seedbed_raffle::*;

use crate::describe::{Facet, Measure};
use crate::table::{TableOps, table};
use crate::{Account, Check, Ctx, Seeder};

pub struct RaffleSeeder;

/// The raffle domain's seeder.
pub static SEEDER: RaffleSeeder = RaffleSeeder;

pub(crate) const DOMAIN: &str = "raffle";

/// The documented accounts (password: [`crate::DEV_PASSWORD`]).
pub const ADMIN_EMAIL: &str = "admin@raffle.example.com";
pub const SELLER_EMAIL: &str = "seller@raffle.example.com";
pub const CUSTOMER_EMAIL: &str = "customer@raffle.example.com";

#[async_trait::async_trait]
impl Seeder for RaffleSeeder {
    fn domain(&self) -> &'static str {
        DOMAIN
    }

    async fn reference(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        now: chrono::DateTime<chrono::Utc>,
        write: bool,
    ) -> Result<crate::reference::Outcome, DbErr> {
        reference::upsert(txn, now, write).await
    }

    fn facets(&self) -> &'static [Facet] {
        FACETS
    }

    fn tables(&self) -> Vec<Box<dyn TableOps>> {
        vec![
            table::<seller_subscriptions::Entity>(),
            table::<users::Entity>(),
            table::<email_verification_tokens::Entity>(),
            table::<password_reset_tokens::Entity>(),
            table::<sellers::Entity>(),
            table::<items::Entity>(),
            table::<raffles::Entity>(),
            table::<transactions::Entity>(),
            table::<box_purchases::Entity>(),
            table::<user_credits::Entity>(),
            table::<free_redeemable_items::Entity>(),
            table::<system_settings::Entity>(),
            table::<user_sessions::Entity>(),
            table::<notifications::Entity>(),
            table::<audit_logs::Entity>(),
        ]
    }

    fn schema(&self, backend: DbBackend) -> Vec<TableCreateStatement> {
        create_statements(backend)
    }

    fn views(&self) -> &'static [&'static str] {
        VIEWS
    }

    fn accounts(&self) -> Vec<Account> {
        let with_password = "password: the development password";
        vec![
            Account { domain: DOMAIN, role: "admin", email: ADMIN_EMAIL, note: with_password },
            Account { domain: DOMAIN, role: "seller", email: SELLER_EMAIL, note: with_password },
            Account { domain: DOMAIN, role: "customer", email: CUSTOMER_EMAIL, note: with_password },
        ]
    }

    fn rules(&self, backend: DbBackend) -> Vec<Check> {
        rules::rules(backend)
    }

    async fn generate(&self, ctx: &Ctx<'_>) -> Result<(), DbErr> {
        generator::generate(ctx).await
    }

    async fn finish(&self, ctx: &Ctx<'_>) -> Result<(), DbErr> {
        generator::finish(ctx).await
    }
}

/// What `seedbed describe` charts for raffle: the columns that show whether the data looks live.
const FACETS: &[Facet] = &[
    Facet::new("users", "created_at", Measure::Month, "sign-ups per month"),
    Facet::new("raffles", "status", Measure::Mix, "raffles by status"),
    Facet::new("items", "category", Measure::Mix, "items by category"),
    Facet::new("items", "price", Measure::Amount, "item prices (dollars)"),
    Facet::new("box_purchases", "user_id", Measure::PerUser, "boxes bought per buyer"),
    Facet::new("box_purchases", "purchased_at", Measure::Hour, "box purchases by hour of day (UTC)"),
    Facet::new("box_purchases", "purchased_at", Measure::Weekday, "box purchases by day of week (UTC)"),
    Facet::new("box_purchases", "purchased_at", Measure::Month, "box purchases per month"),
    Facet::new("transactions", "type", Measure::Mix, "wallet transactions by type"),
];
