//! The booking domain's data: a year of BuildXpert up to the reference time.
//!
//! Customers (a few frequent, most occasional) book services from providers who offer them,
//! at one of their own addresses; bookings run from requested to completed or cancelled
//! with timestamps in order; completed ones are paid through a gateway (with every event
//! and API call logged) and often rated; the two parties call through masked numbers; and
//! notifications go out on every channel, with failures queued for retry.

mod calls;
mod catalogue;
mod messaging;
mod payments;
mod people;
mod reference;
mod rules;
mod schedule;
mod text;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::async_trait;
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{DbBackend, DbErr, Statement};
use seedbed_booking::enums::*;
use seedbed_booking::*;
use serde_json::json;

use crate::describe::{Facet, Measure};
use crate::places::{City, Settler, cities};
use crate::rhythm::{Rhythm, WORKING_HOURS};
use crate::stream::{DAY, Ids, Pool, Rng, cents, email, zipf_weights};
use crate::table::{TableOps, table};
use crate::{Account, Check, Ctx, Seeder};

pub struct BookingSeeder;

/// The booking domain's seeder.
pub static SEEDER: BookingSeeder = BookingSeeder;

const DOMAIN: &str = "booking";

pub const ADMIN_EMAIL: &str = "admin@booking.example.com";
pub const PROVIDER_EMAIL: &str = "provider@booking.example.com";
pub const CUSTOMER_EMAIL: &str = "customer@booking.example.com";

#[async_trait::async_trait]
impl Seeder for BookingSeeder {
    fn domain(&self) -> &'static str {
        DOMAIN
    }

    fn facets(&self) -> &'static [Facet] {
        FACETS
    }

    fn tables(&self) -> Vec<Box<dyn TableOps>> {
        vec![
            table::<users::Entity>(),
            table::<addresses::Entity>(),
            table::<services_master::Entity>(),
            table::<provider_profiles::Entity>(),
            table::<provider_services::Entity>(),
            table::<bookings::Entity>(),
            table::<ratings::Entity>(),
            table::<notifications::Entity>(),
            table::<payment_transactions::Entity>(),
            table::<payment_events::Entity>(),
            table::<payment_api_logs::Entity>(),
            table::<payment_security_events::Entity>(),
            table::<call_sessions::Entity>(),
            table::<call_logs::Entity>(),
            table::<call_events::Entity>(),
            table::<call_recordings::Entity>(),
            table::<user_push_tokens::Entity>(),
            table::<scheduled_notifications::Entity>(),
            table::<notification_logs::Entity>(),
            table::<user_notification_settings::Entity>(),
            table::<notification_receipts::Entity>(),
            table::<notification_queue::Entity>(),
        ]
    }

    fn schema(&self, backend: DbBackend) -> Vec<TableCreateStatement> {
        create_statements(backend)
    }

    fn views(&self) -> &'static [&'static str] {
        VIEWS
    }

    fn accounts(&self) -> Vec<Account> {
        let note = "password: the development password";
        vec![
            Account { domain: DOMAIN, role: "admin", email: ADMIN_EMAIL, note },
            Account { domain: DOMAIN, role: "provider", email: PROVIDER_EMAIL, note },
            Account { domain: DOMAIN, role: "customer", email: CUSTOMER_EMAIL, note },
        ]
    }

    fn rules(&self, _backend: DbBackend) -> Vec<Check> {
        rules::rules()
    }

    async fn generate(&self, ctx: &Ctx<'_>) -> Result<(), DbErr> {
        Gen::new(ctx).run().await
    }

    /// Every cell's providers rated, their summaries at once.
    async fn finish(&self, ctx: &Ctx<'_>) -> Result<(), DbErr> {
        if ctx.backend == DbBackend::MySql {
            let sums = "SELECT provider_id AS k, COUNT(*) AS n, ROUND(AVG(score), 2) AS average FROM ratings USE INDEX () \
                        WHERE provider_id IS NOT NULL GROUP BY provider_id";
            let update = "UPDATE provider_profiles pp LEFT JOIN seedbed_ratings r ON r.k = pp.id \
                          SET pp.rating_count = COALESCE(r.n, 0), pp.rating_average = r.average";
            return ctx
                .update_joining_sums(
                    vec![("seedbed_ratings", Statement::from_string(ctx.backend, sums))],
                    update,
                )
                .await;
        }
        ctx.execute(Gen::rating_summaries(ctx.backend)).await
    }

    async fn reference(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        write: bool,
    ) -> Result<crate::reference::Outcome, DbErr> {
        reference::upsert(txn, now, write).await
    }
}

use reference::SERVICES;

struct Person {
    id: Uuid,
    created: DateTime<Utc>,
    role: UserRole,
    addresses: Vec<Uuid>,
    /// Their home city (an index into [`cities`]): their addresses, number and time zone.
    city: usize,
}

impl Person {
    fn home(&self) -> &'static City {
        &cities()[self.city]
    }
}

struct Offer {
    provider: usize,
    service: usize,
    price: i64,
}

struct Booking {
    id: Uuid,
    customer: usize,
    provider: usize,
    status: BookingStatus,
    price: i64,
    /// Its service's place in [`SERVICES`].
    service: usize,
    created: DateTime<Utc>,
    start: DateTime<Utc>,
    accepted: Option<DateTime<Utc>>,
    completed: Option<DateTime<Utc>>,
    cancelled: Option<DateTime<Utc>>,
}

struct Gen<'a, 'c> {
    ctx: &'a Ctx<'c>,
    now: DateTime<Utc>,
    people: Vec<Person>,
    /// Each person's first name, by person: what messages call them.
    first_names: Vec<String>,
    /// Provider profile index → its user.
    providers: Vec<(Uuid, usize)>,
    services: Vec<Uuid>,
    offers: Vec<Offer>,
    /// The offers of the providers of each city: customers book near home.
    offers_by_city: BTreeMap<usize, Vec<usize>>,
    bookings: Vec<Booking>,
    rhythm: Rhythm,
    /// The in-app notices that were also pushed: they get a notification log.
    pushed: Vec<(Uuid, usize, DateTime<Utc>)>,
    tokens: Vec<(Uuid, usize)>,
}

impl<'a, 'c> Gen<'a, 'c> {
    fn new(ctx: &'a Ctx<'c>) -> Self {
        Gen {
            ctx,
            now: ctx.opts.now,
            people: Vec::new(),
            first_names: Vec::new(),
            providers: Vec::new(),
            services: Vec::new(),
            offers: Vec::new(),
            offers_by_city: BTreeMap::new(),
            bookings: Vec::new(),
            rhythm: Rhythm::new(ctx.opts.now),
            pushed: Vec::new(),
            tokens: Vec::new(),
        }
    }

    fn rng(&self, table: &str) -> Rng {
        self.ctx.streams.rng(DOMAIN, table)
    }

    fn ids(&self) -> Ids {
        Ids::new(self.now - Duration::days(500))
    }

    async fn run(mut self) -> Result<(), DbErr> {
        self.users().await?;
        self.catalogue().await?;
        self.bookings().await?;
        self.ratings().await?;
        self.in_app().await?;
        self.payments().await?;
        self.calls().await?;
        self.push().await
    }
}

/// What `seedbed describe` charts for booking: the columns that show whether the data looks live.
const FACETS: &[Facet] = &[
    Facet::new("users", "created_at", Measure::Month, "sign-ups per month"),
    Facet::new("bookings", "status", Measure::Mix, "bookings by status"),
    Facet::new("bookings", "price", Measure::Amount, "booking prices (dollars)"),
    Facet::new("bookings", "customer_id", Measure::PerUser, "bookings per customer"),
    Facet::new("bookings", "created_at", Measure::Hour, "booking requests by hour of day (UTC)"),
    Facet::new("bookings", "scheduled_start", Measure::Weekday, "booked visits by day of week (UTC)"),
    Facet::new("bookings", "created_at", Measure::Month, "booking requests per month"),
    Facet::new("ratings", "score", Measure::Mix, "ratings by score"),
    Facet::new("payment_transactions", "status", Measure::Mix, "payments by status"),
    Facet::new("notifications", "type", Measure::Mix, "in-app notifications by type"),
];
