//! The booking domain's data: a year of BuildXpert up to the reference time.
//!
//! Customers (a few frequent, most occasional) book services from providers who offer them,
//! at one of their own addresses; bookings run from requested to completed or cancelled
//! with timestamps in order; completed ones are paid through a gateway (with every event
//! and API call logged) and often rated; the two parties call through masked numbers; and
//! notifications go out on every channel, with failures queued for retry.

mod rules;

use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::async_trait;
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use seedbed_booking::enums::*;
use seedbed_booking::*;
use serde_json::json;

use crate::stream::{Ids, Pool, Rng, email, zipf_weights};
use crate::table::{TableOps, table};
use crate::{Account, Check, Ctx, Seeder};

pub struct BookingSeeder;

/// The booking domain's seeder.
pub static SEEDER: BookingSeeder = BookingSeeder;

const DOMAIN: &str = "booking";
const DAY: i64 = 86_400;

pub const ADMIN_EMAIL: &str = "admin@booking.example.com";
pub const PROVIDER_EMAIL: &str = "provider@booking.example.com";
pub const CUSTOMER_EMAIL: &str = "customer@booking.example.com";

#[async_trait::async_trait]
impl Seeder for BookingSeeder {
    fn domain(&self) -> &'static str {
        DOMAIN
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
}

/// Name, category, base price (cents) and minutes of each catalogue service.
const SERVICES: [(&str, &str, i64, i32); 24] = [
    ("Leak repair", "plumbing", 9_000, 60),
    ("Drain unclogging", "plumbing", 7_500, 45),
    ("Water heater install", "plumbing", 45_000, 180),
    ("Outlet install", "electrical", 8_000, 45),
    ("Ceiling fan install", "electrical", 12_000, 90),
    ("Panel upgrade", "electrical", 150_000, 360),
    ("Standard cleaning", "cleaning", 9_500, 120),
    ("Deep cleaning", "cleaning", 22_000, 240),
    ("Move-out cleaning", "cleaning", 30_000, 300),
    ("AC service", "hvac", 11_000, 90),
    ("Furnace repair", "hvac", 18_000, 120),
    ("Duct cleaning", "hvac", 35_000, 240),
    ("Interior painting (room)", "painting", 40_000, 480),
    ("Fence painting", "painting", 60_000, 480),
    ("Furniture assembly", "handyman", 7_000, 90),
    ("TV wall mount", "handyman", 9_000, 60),
    ("Door repair", "handyman", 8_500, 60),
    ("Lawn mowing", "gardening", 5_000, 60),
    ("Hedge trimming", "gardening", 7_000, 90),
    ("Pest inspection", "pest_control", 9_900, 60),
    ("Termite treatment", "pest_control", 60_000, 240),
    ("Appliance repair", "appliances", 13_000, 90),
    ("Roof inspection", "roofing", 20_000, 120),
    ("Gutter cleaning", "roofing", 15_000, 120),
];

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

struct Person {
    id: Uuid,
    created: DateTime<Utc>,
    role: UserRole,
    addresses: Vec<Uuid>,
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
    /// Provider profile index → its user.
    providers: Vec<(Uuid, usize)>,
    services: Vec<Uuid>,
    offers: Vec<Offer>,
    bookings: Vec<Booking>,
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
            providers: Vec::new(),
            services: Vec::new(),
            offers: Vec::new(),
            bookings: Vec::new(),
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
        self.push().await?;
        self.finish().await
    }

    async fn users(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let n = ctx.opts.count(20, 1000).max(6);
        let (mut rng, mut ids) = (self.rng("users"), self.ids());
        let mut sink = ctx.sink::<users::Entity>(n as u64);
        let oldest = self.now - Duration::days(365);
        for i in 0..n {
            let (first, last) = (rng.first_name(), rng.last_name());
            let (address, role, created) = match i {
                0 => (ADMIN_EMAIL.to_owned(), UserRole::Admin, oldest),
                1 => (PROVIDER_EMAIL.to_owned(), UserRole::Provider, oldest),
                2 => (CUSTOMER_EMAIL.to_owned(), UserRole::Customer, oldest),
                _ => (
                    email(&first, &last, i),
                    rng.cover(
                        i - 3,
                        &[(UserRole::Provider, 14), (UserRole::Customer, 84), (UserRole::Admin, 2)],
                    ),
                    rng.time_between(oldest, self.now - Duration::days(20)),
                ),
            };
            let id = ids.next(&mut rng);
            let login = (i < 3 || rng.percent(85)).then(|| rng.time_between(created, self.now));
            ctx.put(
                &mut sink,
                &users::Model {
                    id,
                    email: address,
                    phone: Rng::phone(i),
                    full_name: format!("{first} {last}"),
                    password_hash: (i < 3 || rng.percent(70)).then(|| ctx.password_hash.to_owned()),
                    role,
                    is_verified: i < 3 || rng.percent(90),
                    is_active: i < 3 || rng.percent(97),
                    profile_picture_url: rng
                        .percent(50)
                        .then(|| format!("https://img.example.com/people/{}.jpg", rng.hex(12))),
                    last_login_at: login,
                    created_at: created,
                    updated_at: login.unwrap_or(created),
                },
            )
            .await?;
            self.people.push(Person { id, created, role, addresses: Vec::new() });
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("addresses"), self.ids());
        let mut sink = ctx.sink::<addresses::Entity>(n as u64 * 3 / 2);
        for (i, p) in self.people.iter_mut().enumerate() {
            if p.role != UserRole::Customer {
                continue;
            }
            let count = if i == 2 { 2 } else { rng.between(1, 3) as usize };
            for k in 0..count {
                let id = ids.next(&mut rng);
                let positioned = rng.percent(80);
                ctx.put(
                    &mut sink,
                    &addresses::Model {
                        id,
                        user_id: p.id,
                        address_type: rng.cover(
                            i * 3 + k,
                            &[(AddressType::Home, 70), (AddressType::Work, 20), (AddressType::Other, 10)],
                        ),
                        line1: rng.street(),
                        line2: rng.percent(25).then(|| format!("Apt {}", rng.between(1, 40))),
                        city: rng.city(),
                        state: rng.state_abbr(),
                        postal_code: rng.zip(),
                        country: "US".into(),
                        latitude: positioned.then(|| Decimal::new(rng.between(25_000_000, 48_000_000), 6)),
                        longitude: positioned.then(|| Decimal::new(-rng.between(70_000_000, 122_000_000), 6)),
                        is_default: k == 0,
                        created_at: p.created,
                        updated_at: p.created,
                    },
                )
                .await?;
                p.addresses.push(id);
            }
        }
        ctx.close(&mut sink).await
    }

    async fn catalogue(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("services_master"), self.ids());
        let n = ctx.opts.count(8, SERVICES.len()).min(SERVICES.len());
        let mut sink = ctx.sink::<services_master::Entity>(n as u64);
        let created = self.now - Duration::days(400);
        for (name, category, price, minutes) in SERVICES.iter().take(n) {
            let id = ids.next(&mut rng);
            ctx.put(
                &mut sink,
                &services_master::Model {
                    id,
                    name: (*name).into(),
                    category: (*category).into(),
                    description: Some(rng.sentence(6..12)),
                    base_price: cents(*price),
                    duration_minutes: *minutes,
                    is_active: self.services.len() != 1 || n < 3,
                    created_at: created,
                    updated_at: created,
                },
            )
            .await?;
            self.services.push(id);
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("provider_profiles"), self.ids());
        let mut sink = ctx.sink::<provider_profiles::Entity>(0);
        for (i, p) in self.people.iter().enumerate() {
            if p.role != UserRole::Provider {
                continue;
            }
            let status = if i == 1 {
                VerificationStatus::Verified
            } else {
                rng.cover(
                    self.providers.len().saturating_sub(1),
                    &[
                        (VerificationStatus::Pending, 10),
                        (VerificationStatus::Rejected, 5),
                        (VerificationStatus::Verified, 85),
                    ],
                )
            };
            let id = ids.next(&mut rng);
            let at = p.created + rng.seconds(3600, 5 * DAY);
            ctx.put(
                &mut sink,
                &provider_profiles::Model {
                    id,
                    user_id: p.id,
                    business_name: rng.percent(70).then(|| rng.company()),
                    bio: rng.percent(80).then(|| rng.paragraph(1..3)),
                    experience_years: rng.between(0, 30) as i32,
                    verification_status: status,
                    rating_average: None,
                    rating_count: 0,
                    is_available: rng.percent(85),
                    service_radius_km: rng.between(5, 60) as i32,
                    created_at: at,
                    updated_at: at,
                },
            )
            .await?;
            self.providers.push((id, i));
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("provider_services"), self.ids());
        let mut sink = ctx.sink::<provider_services::Entity>(0);
        for provider in 0..self.providers.len() {
            let count = rng.between(2, 5.min(self.services.len() as i64)) as usize;
            let first = rng.below(self.services.len());
            for k in 0..count {
                let service = (first + k) % self.services.len();
                let base = SERVICES[service].2;
                let price = base * rng.between(85, 130) / 100 / 100 * 100;
                ctx.put(
                    &mut sink,
                    &provider_services::Model {
                        id: ids.next(&mut rng),
                        provider_id: self.providers[provider].0,
                        service_id: self.services[service],
                        price: cents(price.max(100)),
                        is_active: k == 0 || rng.percent(90),
                        created_at: self.people[self.providers[provider].1].created + Duration::days(1),
                        updated_at: self.people[self.providers[provider].1].created + Duration::days(1),
                    },
                )
                .await?;
                self.offers.push(Offer { provider, service, price: price.max(100) });
            }
        }
        ctx.close(&mut sink).await
    }

    async fn bookings(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("bookings"), self.ids());
        let n = ctx.opts.count(24, 2500);
        let customers: Vec<usize> =
            (0..self.people.len()).filter(|i| self.people[*i].role == UserRole::Customer).collect();
        let mut weights = zipf_weights(&mut rng, customers.len());
        if let Some(pos) = customers.iter().position(|c| *c == 2) {
            weights[pos] = weights.iter().max().copied().unwrap_or(1);
        }
        let pool = Pool::new(customers, &weights);
        let mut sink = ctx.sink::<bookings::Entity>(n as u64);
        let now = self.now;
        for i in 0..n {
            let customer = pool.pick(&mut rng);
            let offer = &self.offers[rng.below(self.offers.len())];
            let minutes = SERVICES[offer.service].3 as i64;
            let status = rng.cover(
                i,
                &[
                    (BookingStatus::Completed, 55),
                    (BookingStatus::Cancelled, 12),
                    (BookingStatus::InProgress, 1),
                    (BookingStatus::Accepted, 12),
                    (BookingStatus::Requested, 14),
                    (BookingStatus::InProgress, 1),
                    (BookingStatus::InProgress, 1),
                ],
            );
            let joined = self.people[customer]
                .created
                .max(self.people[self.providers[offer.provider].1].created + Duration::days(2));
            let start = match status {
                BookingStatus::Completed => {
                    rng.time_between(joined + Duration::days(3), now - Duration::days(1))
                }
                BookingStatus::Cancelled => {
                    rng.time_between(joined + Duration::days(3), now + Duration::days(20))
                }
                BookingStatus::InProgress => now - rng.seconds(600, (minutes * 60 / 2).max(601)),
                BookingStatus::Accepted => now + rng.seconds(3600, 30 * DAY),
                BookingStatus::Requested => now + rng.seconds(DAY, 30 * DAY),
            };
            let created = (start - rng.seconds(DAY, 14 * DAY)).max(joined).min(now - Duration::minutes(30));
            let end = start + Duration::minutes(minutes);
            let accepts = matches!(
                status,
                BookingStatus::Accepted | BookingStatus::InProgress | BookingStatus::Completed
            ) || (status == BookingStatus::Cancelled && rng.percent(50));
            let accepted =
                accepts.then(|| created + rng.seconds(300, 6 * 3600)).map(|t| t.min(start).min(now));
            let started =
                matches!(status, BookingStatus::InProgress | BookingStatus::Completed).then_some(start);
            let completed =
                (status == BookingStatus::Completed).then(|| (end + rng.seconds(0, 1800)).min(now));
            let cancelled = (status == BookingStatus::Cancelled).then(|| {
                let from = accepted.unwrap_or(created);
                rng.time_between(from, start.min(now).max(from))
            });
            let by = cancelled.map(|_| {
                rng.cover(
                    self.bookings.len() % 3,
                    &[(BookingActor::Customer, 60), (BookingActor::Provider, 30), (BookingActor::Admin, 10)],
                )
            });
            let id = ids.next(&mut rng);
            let address = *rng.pick(&self.people[customer].addresses);
            ctx.put(
                &mut sink,
                &bookings::Model {
                    id,
                    customer_id: self.people[customer].id,
                    provider_id: self.providers[offer.provider].0,
                    service_id: self.services[offer.service],
                    address_id: address,
                    status,
                    scheduled_start: start,
                    scheduled_end: end,
                    price: cents(offer.price),
                    currency: "USD".into(),
                    notes: rng.percent(30).then(|| rng.sentence(4..10)),
                    accepted_at: accepted,
                    started_at: started,
                    completed_at: completed,
                    cancelled_at: cancelled,
                    cancelled_by: by,
                    cancellation_reason: cancelled.map(|_| {
                        [
                            "Schedule conflict",
                            "Found another provider",
                            "Provider unavailable",
                            "No longer needed",
                        ][rng.below(4)]
                        .into()
                    }),
                    created_at: created,
                    updated_at: [Some(created), accepted, completed, cancelled]
                        .into_iter()
                        .flatten()
                        .max()
                        .unwrap_or(created),
                },
            )
            .await?;
            self.bookings.push(Booking {
                id,
                customer,
                provider: offer.provider,
                status,
                price: offer.price,
                created,
                start,
                accepted,
                completed,
                cancelled,
            });
        }
        ctx.close(&mut sink).await
    }

    async fn ratings(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("ratings"), self.ids());
        let mut sink = ctx.sink::<ratings::Entity>(self.bookings.len() as u64 / 3);
        let mut rated = 0;
        for b in &self.bookings {
            let Some(done) = b.completed else { continue };
            if rated > 5 && !rng.percent(60) {
                continue;
            }
            // Scores lean high, as they do: mostly fives and fours, a few of everything else.
            let score = if rated < 5 { 5 - rated as i16 } else { [5, 5, 5, 4, 4, 3, 2, 1][rng.below(8)] };
            rated += 1;
            ctx.put(
                &mut sink,
                &ratings::Model {
                    id: ids.next(&mut rng),
                    booking_id: b.id,
                    customer_id: self.people[b.customer].id,
                    provider_id: self.providers[b.provider].0,
                    score,
                    review: rng.percent(60).then(|| rng.sentence(5..15)),
                    created_at: (done + rng.seconds(600, 3 * DAY)).min(self.now),
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await
    }

    async fn in_app(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("notifications"), self.ids());
        let mut sink = ctx.sink::<notifications::Entity>(self.bookings.len() as u64 * 2);
        let mut pushes = self.rng("notification_logs/pushed");
        let mut kinds = 0;
        for b in &self.bookings {
            let provider_user = self.providers[b.provider].1;
            let mut notices =
                vec![(provider_user, NotificationType::BookingUpdate, "New booking request", b.created)];
            if let Some(t) = b.accepted {
                notices.push((b.customer, NotificationType::BookingUpdate, "Your booking was accepted", t));
                if b.start > self.now {
                    notices.push((
                        b.customer,
                        NotificationType::Reminder,
                        "Your booking is coming up",
                        t.max(b.start - Duration::days(1)).min(self.now),
                    ));
                }
            }
            if let Some(t) = b.completed {
                notices.push((b.customer, NotificationType::Payment, "Payment received", t));
            }
            if kinds < 2 {
                notices.push((
                    b.customer,
                    [NotificationType::Promotion, NotificationType::System][kinds],
                    "News from BuildXpert",
                    b.created,
                ));
                kinds += 1;
            } else if rng.percent(5) {
                notices.push((
                    b.customer,
                    NotificationType::Promotion,
                    "20% off your next cleaning",
                    b.created,
                ));
            }
            for (user, kind, title, at) in notices {
                let id = ids.next(&mut rng);
                let read = (rng.percent(60) && at < self.now - Duration::hours(1))
                    .then(|| (at + rng.seconds(60, 2 * DAY)).min(self.now));
                ctx.put(
                    &mut sink,
                    &notifications::Model {
                        id,
                        user_id: self.people[user].id,
                        kind,
                        title: title.into(),
                        message: rng.sentence(6..14),
                        data: Some(json!({"booking_id": b.id.to_string()})),
                        read_at: read,
                        created_at: at,
                    },
                )
                .await?;
                if pushes.percent(40) {
                    self.pushed.push((id, user, at));
                }
            }
        }
        ctx.close(&mut sink).await
    }

    async fn payments(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("payment_transactions"), self.ids());
        let mut payments = ctx.sink::<payment_transactions::Entity>(self.bookings.len() as u64);
        let mut events = ctx.sink::<payment_events::Entity>(self.bookings.len() as u64 * 3);
        let mut calls = ctx.sink::<payment_api_logs::Entity>(self.bookings.len() as u64 * 2);
        let (mut event_ids, mut call_ids) = (self.ids(), self.ids());
        let mut security = Vec::new();
        let mut covered_failure = false;
        for (bi, b) in self.bookings.iter().enumerate() {
            // Which payments a booking has: (status, created, captured) per attempt.
            let mut attempts: Vec<(PaymentStatus, DateTime<Utc>)> = Vec::new();
            match (b.status, b.accepted) {
                (BookingStatus::Completed, Some(acc)) => {
                    if !covered_failure || rng.percent(4) {
                        covered_failure = true;
                        attempts.push((PaymentStatus::Failed, acc));
                    }
                    let refunded = attempts.is_empty() && rng.percent(6) || bi == 0;
                    attempts.push((
                        if refunded { PaymentStatus::Refunded } else { PaymentStatus::Captured },
                        acc + Duration::minutes(5),
                    ));
                }
                (BookingStatus::Cancelled, Some(acc)) if rng.percent(70) || bi < 8 => {
                    attempts.push((PaymentStatus::Refunded, acc))
                }
                (BookingStatus::Accepted | BookingStatus::InProgress, Some(acc)) => {
                    attempts.push((PaymentStatus::Authorized, acc))
                }
                (BookingStatus::Requested, _) if rng.percent(40) || bi < 8 => {
                    attempts.push((PaymentStatus::Created, b.created))
                }
                _ => {}
            }
            for (status, created) in attempts {
                let id = ids.next(&mut rng);
                let gateway = rng.cover(
                    bi % 3,
                    &[
                        (PaymentGateway::Stripe, 60),
                        (PaymentGateway::Razorpay, 25),
                        (PaymentGateway::Paypal, 15),
                    ],
                );
                // The steps the gateway reported, each a few minutes after the last.
                let mut steps: Vec<(PaymentEventType, PaymentStatus)> =
                    vec![(PaymentEventType::OrderCreated, PaymentStatus::Created)];
                match status {
                    PaymentStatus::Failed => {
                        steps.push((PaymentEventType::PaymentFailed, PaymentStatus::Failed))
                    }
                    PaymentStatus::Created => {}
                    _ => {
                        steps.push((PaymentEventType::PaymentAuthorized, PaymentStatus::Authorized));
                        if matches!(status, PaymentStatus::Captured | PaymentStatus::Refunded) {
                            steps.push((PaymentEventType::PaymentCaptured, PaymentStatus::Captured));
                        }
                        if status == PaymentStatus::Refunded {
                            steps.push((PaymentEventType::RefundInitiated, PaymentStatus::Captured));
                            steps.push((PaymentEventType::RefundProcessed, PaymentStatus::Refunded));
                        }
                    }
                }
                let mut at = created;
                let mut times = Vec::new();
                for _ in &steps {
                    times.push(at);
                    at = (at + rng.seconds(30, 1800)).min(self.now);
                }
                let captured =
                    steps.iter().position(|s| s.0 == PaymentEventType::PaymentCaptured).map(|k| times[k]);
                let refunded = (status == PaymentStatus::Refunded).then(|| *times.last().unwrap());
                let refund = (status == PaymentStatus::Refunded)
                    .then(|| if b.status == BookingStatus::Completed { b.price / 2 } else { b.price });
                let method = rng.cover(
                    bi % 4,
                    &[
                        (PaymentMethod::Card, 60),
                        (PaymentMethod::Upi, 15),
                        (PaymentMethod::Netbanking, 10),
                        (PaymentMethod::Wallet, 15),
                    ],
                );
                ctx.put(
                    &mut payments,
                    &payment_transactions::Model {
                        id,
                        booking_id: b.id,
                        user_id: self.people[b.customer].id,
                        gateway,
                        gateway_order_id: Some(format!("order_{}", rng.hex(14))),
                        gateway_payment_id: (status != PaymentStatus::Created)
                            .then(|| format!("pay_{}", rng.hex(20))),
                        amount: cents(b.price),
                        currency: "USD".into(),
                        status,
                        method: (status != PaymentStatus::Created).then_some(method),
                        failure_reason: (status == PaymentStatus::Failed).then(|| "card_declined".into()),
                        refund_amount: refund.map(cents),
                        captured_at: captured,
                        refunded_at: refunded,
                        created_at: created,
                        updated_at: *times.last().unwrap(),
                    },
                )
                .await?;
                for (k, (event, after)) in steps.iter().enumerate() {
                    ctx.put_child(
                        &mut events,
                        &payment_events::Model {
                            id: event_ids.next(&mut rng),
                            payment_id: id,
                            event_type: *event,
                            status: *after,
                            payload: Some(
                                json!({"gateway": format!("{gateway:?}").to_lowercase(), "amount": b.price}),
                            ),
                            occurred_at: times[k],
                            created_at: times[k],
                        },
                        &mut payments,
                    )
                    .await?;
                    let (endpoint, method, code) = match event {
                        PaymentEventType::OrderCreated => ("/v1/orders", HttpMethod::Post, 201),
                        PaymentEventType::PaymentAuthorized => {
                            ("/v1/payments/authorize", HttpMethod::Post, 200)
                        }
                        PaymentEventType::PaymentCaptured => ("/v1/payments/capture", HttpMethod::Post, 200),
                        PaymentEventType::PaymentFailed => ("/v1/payments/authorize", HttpMethod::Post, 402),
                        PaymentEventType::RefundInitiated => ("/v1/refunds", HttpMethod::Post, 202),
                        PaymentEventType::RefundProcessed => ("/v1/refunds/status", HttpMethod::Get, 200),
                    };
                    ctx.put_child(
                        &mut calls,
                        &payment_api_logs::Model {
                            id: call_ids.next(&mut rng),
                            payment_id: Some(id),
                            gateway,
                            endpoint: endpoint.into(),
                            http_method: method,
                            request_body: (method != HttpMethod::Get)
                                .then(|| json!({"amount": b.price, "currency": "USD"})),
                            response_status: Some(code),
                            response_body: Some(json!({"ok": code < 400})),
                            duration_ms: rng.between(40, 1500) as i32,
                            created_at: times[k],
                        },
                        &mut payments,
                    )
                    .await?;
                }
                if security.len() < 5 || rng.percent(2) {
                    security.push((id, b.customer, created));
                }
            }
        }
        // Calls that touch no one payment: health checks and the odd lookup.
        for k in 0..3 {
            let method = [HttpMethod::Get, HttpMethod::Put, HttpMethod::Patch][k];
            let code = [200, 409, 200][k];
            ctx.put(
                &mut calls,
                &payment_api_logs::Model {
                    id: call_ids.next(&mut rng),
                    payment_id: None,
                    gateway: PaymentGateway::Stripe,
                    endpoint: ["/v1/health", "/v1/webhooks/endpoint", "/v1/account"][k].into(),
                    http_method: method,
                    request_body: None,
                    response_status: Some(code),
                    response_body: None,
                    duration_ms: rng.between(20, 300) as i32,
                    created_at: self.now - Duration::days(k as i64 + 1),
                },
            )
            .await?;
        }
        // A call that timed out, without a response.
        let timed_out = payment_api_logs::Model {
            id: call_ids.next(&mut rng),
            payment_id: None,
            gateway: PaymentGateway::Paypal,
            endpoint: "/v1/webhooks/old".into(),
            http_method: HttpMethod::Delete,
            request_body: None,
            response_status: None,
            response_body: None,
            duration_ms: 30_000,
            created_at: self.now - Duration::days(5),
        };
        ctx.put(&mut calls, &timed_out).await?;
        ctx.close(&mut payments).await?;
        ctx.close(&mut events).await?;
        ctx.close(&mut calls).await?;

        let (mut rng, mut ids) = (self.rng("payment_security_events"), self.ids());
        let mut sink = ctx.sink::<payment_security_events::Entity>(security.len() as u64);
        for (k, (payment, user, at)) in security.into_iter().enumerate() {
            let created = (at + rng.seconds(1, 600)).min(self.now);
            ctx.put(
                &mut sink,
                &payment_security_events::Model {
                    id: ids.next(&mut rng),
                    user_id: Some(self.people[user].id),
                    payment_id: Some(payment),
                    event_type: rng.cover(
                        k,
                        &[
                            (SecurityEventType::VelocityLimit, 30),
                            (SecurityEventType::CardMismatch, 20),
                            (SecurityEventType::SuspiciousIp, 30),
                            (SecurityEventType::SignatureMismatch, 10),
                            (SecurityEventType::Chargeback, 10),
                        ],
                    ),
                    severity: rng.cover(
                        k,
                        &[
                            (Severity::Low, 40),
                            (Severity::Medium, 35),
                            (Severity::High, 20),
                            (Severity::Critical, 5),
                        ],
                    ),
                    ip_address: Some(format!("203.0.113.{}", rng.between(1, 254))),
                    details: Some(json!({"rule": "gateway-risk", "score": rng.between(1, 100)})),
                    resolved_at: (k % 2 == 0 || rng.percent(50))
                        .then(|| (created + rng.seconds(600, 3 * DAY)).min(self.now)),
                    created_at: created,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await
    }

    async fn calls(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("call_sessions"), self.ids());
        let mut sessions = ctx.sink::<call_sessions::Entity>(self.bookings.len() as u64 / 2);
        let mut logs = ctx.sink::<call_logs::Entity>(0);
        let mut events = ctx.sink::<call_events::Entity>(0);
        let mut recordings = ctx.sink::<call_recordings::Entity>(0);
        let (mut log_ids, mut event_ids, mut rec_ids) = (self.ids(), self.ids(), self.ids());
        let mut live = 0;
        let mut ended = 0;
        let mut recorded = 0;
        for b in &self.bookings {
            let Some(acc) = b.accepted else { continue };
            let window_end = b.completed.or(b.cancelled).unwrap_or(self.now).min(self.now);
            let statuses: Vec<CallStatus> = if b.status == BookingStatus::InProgress {
                let s = [CallStatus::InProgress, CallStatus::Ringing, CallStatus::Initiated][live % 3];
                live += 1;
                vec![s]
            } else if ended < 3 || rng.percent(35) {
                let s = rng.cover(
                    ended,
                    &[(CallStatus::Completed, 70), (CallStatus::Missed, 20), (CallStatus::Failed, 10)],
                );
                ended += 1;
                vec![s]
            } else {
                vec![]
            };
            for status in statuses {
                let id = ids.next(&mut rng);
                let provider_user = self.providers[b.provider].1;
                let (caller, callee) =
                    if rng.percent(60) { (b.customer, provider_user) } else { (provider_user, b.customer) };
                let is_live =
                    matches!(status, CallStatus::Initiated | CallStatus::Ringing | CallStatus::InProgress);
                let started =
                    if is_live { self.now - rng.seconds(5, 300) } else { rng.time_between(acc, window_end) };
                let talk = match status {
                    CallStatus::Completed => rng.between(20, 900),
                    _ => 0,
                };
                let ended_at = (!is_live).then(|| {
                    (started + Duration::seconds(talk + rng.between(5, 40))).min(self.now.max(started))
                });
                let masked = format!("+1800555{:04}", rng.between(0, 9999));
                ctx.put(
                    &mut sessions,
                    &call_sessions::Model {
                        id,
                        booking_id: b.id,
                        caller_id: self.people[caller].id,
                        callee_id: self.people[callee].id,
                        masked_number: masked.clone(),
                        status,
                        started_at: started,
                        ended_at,
                        created_at: started,
                    },
                )
                .await?;
                let steps: &[CallEventType] = match status {
                    CallStatus::Completed if rng.percent(30) => &[
                        CallEventType::Initiated,
                        CallEventType::Ringing,
                        CallEventType::Answered,
                        CallEventType::Held,
                        CallEventType::Resumed,
                        CallEventType::Ended,
                    ],
                    CallStatus::Completed => &[
                        CallEventType::Initiated,
                        CallEventType::Ringing,
                        CallEventType::Answered,
                        CallEventType::Ended,
                    ],
                    CallStatus::Missed => {
                        &[CallEventType::Initiated, CallEventType::Ringing, CallEventType::Ended]
                    }
                    CallStatus::Failed => &[CallEventType::Initiated, CallEventType::Failed],
                    CallStatus::InProgress => {
                        &[CallEventType::Initiated, CallEventType::Ringing, CallEventType::Answered]
                    }
                    CallStatus::Ringing => &[CallEventType::Initiated, CallEventType::Ringing],
                    CallStatus::Initiated => &[CallEventType::Initiated],
                };
                let last = ended_at.unwrap_or(self.now);
                let span = (last - started).num_seconds().max(0);
                for (k, e) in steps.iter().enumerate() {
                    let offset = span * k as i64 / steps.len().max(1) as i64;
                    ctx.put_child(
                        &mut events,
                        &call_events::Model {
                            id: event_ids.next(&mut rng),
                            call_session_id: id,
                            event_type: *e,
                            occurred_at: started + Duration::seconds(offset),
                            metadata: (*e == CallEventType::Failed).then(|| json!({"sip_code": 503})),
                        },
                        &mut sessions,
                    )
                    .await?;
                }
                let Some(end) = ended_at else { continue };
                ctx.put_child(
                    &mut logs,
                    &call_logs::Model {
                        id: log_ids.next(&mut rng),
                        call_session_id: id,
                        caller_masked_number: masked.clone(),
                        callee_masked_number: masked,
                        duration_seconds: talk as i32,
                        outcome: match status {
                            CallStatus::Completed => CallOutcome::Completed,
                            CallStatus::Missed => CallOutcome::Missed,
                            _ => CallOutcome::Failed,
                        },
                        created_at: end,
                    },
                    &mut sessions,
                )
                .await?;
                if status == CallStatus::Completed && (recorded < 3 || rng.percent(30)) {
                    let k = recorded;
                    recorded += 1;
                    ctx.put_child(
                        &mut recordings,
                        &call_recordings::Model {
                            id: rec_ids.next(&mut rng),
                            call_session_id: id,
                            storage_url: format!("https://recordings.example.com/{}.audio", rng.hex(24)),
                            format: rng.cover(
                                k,
                                &[
                                    (RecordingFormat::Mp3, 70),
                                    (RecordingFormat::Wav, 20),
                                    (RecordingFormat::Ogg, 10),
                                ],
                            ),
                            duration_seconds: talk as i32,
                            size_bytes: talk * 16_000,
                            expires_at: Some(end + Duration::days(90)),
                            created_at: end,
                        },
                        &mut sessions,
                    )
                    .await?;
                }
            }
        }
        ctx.close(&mut sessions).await?;
        ctx.close(&mut logs).await?;
        ctx.close(&mut events).await?;
        ctx.close(&mut recordings).await
    }

    async fn push(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("user_push_tokens"), self.ids());
        let mut sink = ctx.sink::<user_push_tokens::Entity>(self.people.len() as u64);
        for (i, p) in self.people.iter().enumerate() {
            let count = if i < 3 {
                2
            } else if rng.percent(70) {
                rng.between(1, 2)
            } else {
                0
            };
            for _ in 0..count {
                let id = ids.next(&mut rng);
                let created = rng.time_between(p.created, self.now - Duration::hours(1));
                ctx.put(
                    &mut sink,
                    &user_push_tokens::Model {
                        id,
                        user_id: p.id,
                        token: format!("ExponentPushToken[{}]", rng.hex(22)),
                        platform: rng.cover(
                            self.tokens.len(),
                            &[
                                (DevicePlatform::Ios, 45),
                                (DevicePlatform::Android, 45),
                                (DevicePlatform::Web, 10),
                            ],
                        ),
                        device_id: rng.percent(80).then(|| rng.hex(16)),
                        is_active: self.tokens.len() != 1 && rng.percent(90),
                        last_used_at: rng.percent(80).then(|| rng.time_between(created, self.now)),
                        created_at: created,
                        updated_at: created,
                    },
                )
                .await?;
                self.tokens.push((id, i));
            }
        }
        ctx.close(&mut sink).await?;

        // Reminders an hour before each accepted booking: sent for the past, pending ahead.
        let (mut rng, mut ids) = (self.rng("scheduled_notifications"), self.ids());
        let mut scheduled = ctx.sink::<scheduled_notifications::Entity>(self.bookings.len() as u64 / 2);
        let mut sent = Vec::new();
        for (k, b) in self.bookings.iter().enumerate() {
            let Some(acc) = b.accepted else { continue };
            let at = b.start - Duration::hours(1);
            let status = if b.cancelled.is_some() {
                ScheduledStatus::Cancelled
            } else if at > self.now {
                ScheduledStatus::Pending
            } else if k % 25 == 7 {
                ScheduledStatus::Failed
            } else {
                ScheduledStatus::Sent
            };
            let channel = rng.cover(
                k,
                &[
                    (NotificationChannel::Push, 50),
                    (NotificationChannel::Sms, 25),
                    (NotificationChannel::Email, 15),
                    (NotificationChannel::InApp, 10),
                ],
            );
            let id = ids.next(&mut rng);
            ctx.put(
                &mut scheduled,
                &scheduled_notifications::Model {
                    id,
                    user_id: self.people[b.customer].id,
                    channel,
                    title: "Your booking starts in an hour".into(),
                    body: rng.sentence(6..12),
                    data: Some(json!({"booking_id": b.id.to_string()})),
                    scheduled_for: at,
                    status,
                    sent_at: (status == ScheduledStatus::Sent).then_some(at),
                    created_at: acc,
                },
            )
            .await?;
            if status == ScheduledStatus::Sent {
                sent.push((id, b.customer, channel, at));
            }
        }
        ctx.close(&mut scheduled).await?;

        // Every message that went out (the sent reminders and the pushed in-app notices), with
        // what the device reported back for pushes, and the failures waiting for a retry.
        let (mut rng, mut ids) = (self.rng("notification_logs"), self.ids());
        let (mut receipt_rng, mut receipt_ids) = (self.rng("notification_receipts"), self.ids());
        let mut logs = ctx.sink::<notification_logs::Entity>(0);
        let mut receipts = ctx.sink::<notification_receipts::Entity>(0);
        let mut token_of: Vec<Option<Uuid>> = vec![None; self.people.len()];
        for (token, user) in self.tokens.iter().rev() {
            token_of[*user] = Some(*token);
        }
        let mut queue = Vec::new();
        let mut receipted = 0;
        let pushed = std::mem::take(&mut self.pushed);
        let messages =
            sent.into_iter().map(|(id, user, channel, at)| (None, Some(id), user, channel, at)).chain(
                pushed
                    .into_iter()
                    .map(|(id, user, at)| (Some(id), None, user, NotificationChannel::Push, at)),
            );
        let mut pushes_logged = 0;
        for (notification, scheduled_id, user, channel, at) in messages {
            // Coverage counts pushes only, so that a failed push (and its failed receipt) occurs.
            let k = if channel == NotificationChannel::Push { pushes_logged } else { usize::MAX / 2 };
            pushes_logged += usize::from(channel == NotificationChannel::Push);
            let status = rng.cover(
                k,
                &[
                    (DeliveryStatus::Delivered, 80),
                    (DeliveryStatus::Failed, 6),
                    (DeliveryStatus::Sent, 10),
                    (DeliveryStatus::Queued, 4),
                ],
            );
            let id = ids.next(&mut rng);
            ctx.put(
                &mut logs,
                &notification_logs::Model {
                    id,
                    user_id: self.people[user].id,
                    notification_id: notification,
                    scheduled_notification_id: scheduled_id,
                    channel,
                    status,
                    provider_message_id: (status != DeliveryStatus::Queued)
                        .then(|| format!("msg_{}", rng.hex(16))),
                    error_message: (status == DeliveryStatus::Failed).then(|| {
                        ["Device not registered", "Rate limited", "Invalid number"][rng.below(3)].into()
                    }),
                    sent_at: at,
                    created_at: at,
                },
            )
            .await?;
            if status == DeliveryStatus::Failed {
                queue.push((user, channel, at));
            }
            if channel != NotificationChannel::Push || status == DeliveryStatus::Queued {
                continue;
            }
            let receipt = if status == DeliveryStatus::Failed {
                ReceiptStatus::Failed
            } else {
                receipt_rng.cover(
                    receipted,
                    &[
                        (ReceiptStatus::Delivered, 50),
                        (ReceiptStatus::Opened, 35),
                        (ReceiptStatus::Dismissed, 15),
                    ],
                )
            };
            receipted += 1;
            let received = (at + receipt_rng.seconds(1, 120)).min(self.now.max(at));
            ctx.put_child(
                &mut receipts,
                &notification_receipts::Model {
                    id: receipt_ids.next(&mut receipt_rng),
                    notification_log_id: id,
                    push_token_id: token_of[user],
                    status: receipt,
                    received_at: received,
                    created_at: received,
                },
                &mut logs,
            )
            .await?;
        }
        ctx.close(&mut logs).await?;
        ctx.close(&mut receipts).await?;

        let (mut rng, mut ids) = (self.rng("user_notification_settings"), self.ids());
        let mut sink = ctx.sink::<user_notification_settings::Entity>(self.people.len() as u64);
        for (i, p) in self.people.iter().enumerate() {
            let quiet = i == 2 || rng.percent(30);
            ctx.put(
                &mut sink,
                &user_notification_settings::Model {
                    id: ids.next(&mut rng),
                    user_id: p.id,
                    push_enabled: rng.percent(90),
                    sms_enabled: rng.percent(70),
                    email_enabled: rng.percent(85),
                    marketing_enabled: rng.percent(30),
                    quiet_hours_start: quiet.then_some(22),
                    quiet_hours_end: quiet.then_some(7),
                    timezone: [
                        "America/New_York",
                        "America/Chicago",
                        "America/Denver",
                        "America/Los_Angeles",
                    ][rng.below(4)]
                    .into(),
                    created_at: p.created,
                    updated_at: p.created,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("notification_queue"), self.ids());
        // At least one waiting message per channel, even when few sends failed.
        while queue.len() < 4 {
            let user = rng.below(self.people.len());
            queue.push((user, NotificationChannel::Push, self.now - rng.seconds(60, DAY)));
        }
        let mut sink = ctx.sink::<notification_queue::Entity>(queue.len() as u64);
        for (k, (user, channel, at)) in queue.into_iter().enumerate() {
            let channel = if k < 4 {
                [
                    NotificationChannel::Push,
                    NotificationChannel::Sms,
                    NotificationChannel::Email,
                    NotificationChannel::InApp,
                ][k]
            } else {
                channel
            };
            let status = rng.cover(
                k,
                &[
                    (QueueStatus::Pending, 50),
                    (QueueStatus::Processing, 10),
                    (QueueStatus::Failed, 25),
                    (QueueStatus::Dead, 15),
                ],
            );
            let max = 5;
            let retries = match status {
                QueueStatus::Dead => max,
                QueueStatus::Pending => rng.between(0, 3) as i32,
                _ => rng.between(1, 4) as i32,
            };
            ctx.put(
                &mut sink,
                &notification_queue::Model {
                    id: ids.next(&mut rng),
                    user_id: self.people[user].id,
                    channel,
                    payload: json!({"title": "Retry", "attempt": retries}),
                    status,
                    retry_count: retries,
                    max_retries: max,
                    next_attempt_at: (status == QueueStatus::Pending)
                        .then(|| self.now + rng.seconds(60, 3600)),
                    last_error: Some("Device not registered".into()),
                    created_at: at,
                    updated_at: at,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await
    }

    /// Providers' ratings summarise the ratings just written.
    async fn finish(&mut self) -> Result<(), DbErr> {
        let sql = "UPDATE provider_profiles SET \
                   rating_count = (SELECT COUNT(*) FROM ratings r WHERE r.provider_id = provider_profiles.id), \
                   rating_average = (SELECT ROUND(AVG(r.score), 2) FROM ratings r WHERE r.provider_id = provider_profiles.id)";
        self.ctx.db.execute_raw(Statement::from_string(self.ctx.backend, sql)).await?;
        Ok(())
    }
}
