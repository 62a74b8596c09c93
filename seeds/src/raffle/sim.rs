//! The raffle generator: parents first, then a time-ordered simulation of the money.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{ConnectionTrait, DbErr, Statement};
use seedbed_raffle::enums::*;
use seedbed_raffle::*;
use serde_json::json;

use super::{ADMIN_EMAIL, CUSTOMER_EMAIL, DOMAIN, SELLER_EMAIL};
use crate::stream::{Ids, Pool, Rng, email, zipf_weights};
use crate::writer::Sink;
use crate::{Account, Ctx};

const DAY: i64 = 86_400;

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

pub(super) fn accounts() -> Vec<Account> {
    let with_password = "password: the development password";
    vec![
        Account { domain: DOMAIN, role: "admin", email: ADMIN_EMAIL, note: with_password },
        Account { domain: DOMAIN, role: "seller", email: SELLER_EMAIL, note: with_password },
        Account { domain: DOMAIN, role: "customer", email: CUSTOMER_EMAIL, note: with_password },
    ]
}

/// The subscription tiers: code, name, monthly price (cents), raffles, items, commission (basis points).
const TIERS: [(&str, &str, i64, i32, i32, i64); 4] = [
    ("free", "Free", 0, 1, 5, 1500),
    ("basic", "Basic", 999, 3, 25, 1000),
    ("pro", "Pro", 2900, 10, 100, 750),
    ("enterprise", "Enterprise", 9900, 50, 1000, 500),
];

const CATEGORIES: [(&str, &[&str]); 6] = [
    ("electronics", &["Wireless Earbuds", "Smart Watch", "Tablet", "Gaming Console", "Drone", "E-Reader"]),
    ("fashion", &["Leather Jacket", "Designer Handbag", "Silk Scarf", "Sneakers", "Sunglasses"]),
    ("home", &["Espresso Machine", "Robot Vacuum", "Air Purifier", "Stand Mixer", "Cast Iron Set"]),
    ("collectibles", &["Signed Poster", "Vintage Camera", "Trading Card Box", "Vinyl Record Set"]),
    ("sports", &["Road Bike", "Golf Club Set", "Yoga Bundle", "Camping Tent"]),
    ("gift_cards", &["Store Gift Card", "Travel Voucher", "Spa Voucher"]),
];
const ADJECTIVES: [&str; 8] = ["Limited", "Premium", "Classic", "New", "Deluxe", "Compact", "Pro", "Vintage"];
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
    "RaffleApp/3.2 (Android 15)",
];

/// An address from the ranges reserved for documentation (RFC 5737).
fn doc_ip(rng: &mut Rng) -> String {
    let net = ["192.0.2", "198.51.100", "203.0.113"][rng.below(3)];
    format!("{net}.{}", rng.between(1, 254))
}

struct User {
    id: Uuid,
    created: DateTime<Utc>,
    role: UserRole,
    balance: i64,
}

struct Seller {
    id: Uuid,
    user: usize,
    tier: usize,
    started: DateTime<Utc>,
}

struct Item {
    id: Uuid,
    seller: usize,
    status: ItemStatus,
}

struct Plan {
    id: Uuid,
    item: usize,
    seller: usize,
    title: String,
    total: i32,
    price: i64,
    status: RaffleStatus,
    starts: DateTime<Utc>,
    draw_at: DateTime<Utc>,
    /// When sales stop: the draw, the cancellation or the reference time.
    sales_end: DateTime<Utc>,
    sold: i32,
    drawn_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    winning_box: Option<i32>,
    winner: Option<usize>,
    /// One checkout per box, so that even a tiny raffle has several buyers.
    single_boxes: bool,
}

/// One checkout: a buyer takes `boxes` consecutive boxes starting at `first`.
struct Checkout {
    at: DateTime<Utc>,
    buyer: usize,
    first: i32,
    boxes: i32,
}

/// The checkouts of one raffle, from its own stream: the same every time it is replayed.
struct Checkouts {
    rng: Rng,
    next_box: i32,
    sold: i32,
    starts: DateTime<Utc>,
    span: i64,
    single: bool,
    seller_user: usize,
    last_buyer: Option<usize>,
}

impl Checkouts {
    fn new(ctx: &Ctx<'_>, index: usize, plan: &Plan, sellers: &[Seller]) -> Self {
        Checkouts {
            rng: ctx.streams.rng(DOMAIN, &format!("box_purchases#{index}")),
            next_box: 1,
            sold: plan.sold,
            starts: plan.starts,
            span: (plan.sales_end - plan.starts).num_seconds().max(1),
            single: plan.single_boxes,
            seller_user: sellers[plan.seller].user,
            last_buyer: None,
        }
    }

    fn next(&mut self, buyers: &Pool, users: &[User]) -> Option<Checkout> {
        if self.next_box > self.sold {
            return None;
        }
        let remaining = self.sold - self.next_box + 1;
        let boxes = if self.single { 1 } else { [1, 1, 1, 1, 2, 2, 3, 5][self.rng.below(8)].min(remaining) };
        // Spread sales over the selling window, in order of box number.
        let slot = self.span / self.sold as i64;
        let at = self.starts
            + Duration::seconds(slot * (self.next_box - 1) as i64 + self.rng.between(0, (slot / 2).max(0)));
        let mut buyer = buyers.pick(&mut self.rng);
        for _ in 0..6 {
            let ok = users[buyer].created < at && buyer != self.seller_user && Some(buyer) != self.last_buyer;
            if ok {
                break;
            }
            buyer = buyers.pick(&mut self.rng);
        }
        if users[buyer].created >= at || buyer == self.seller_user {
            buyer = 2; // the well-known customer, who has been around longest
        }
        self.last_buyer = Some(buyer);
        let first = self.next_box;
        self.next_box += boxes;
        Some(Checkout { at, buyer, first, boxes })
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Checkout(usize),
    End(usize),
    Fee(usize),
    Withdraw(usize, i64),
}

struct Gen<'a, 'c> {
    ctx: &'a Ctx<'c>,
    now: DateTime<Utc>,
    users: Vec<User>,
    sellers: Vec<Seller>,
    tiers: Vec<Uuid>,
    items: Vec<Item>,
    plans: Vec<Plan>,
    transactions: Sink<transactions::Entity>,
    purchases: Sink<box_purchases::Entity>,
    credits: Sink<user_credits::Entity>,
    notifications: Sink<notifications::Entity>,
    audit: Sink<audit_logs::Entity>,
    tx_ids: Ids,
    purchase_ids: Ids,
    credit_ids: Ids,
    notification_ids: Ids,
    audit_ids: Ids,
    tx_rng: Rng,
    credit_rng: Rng,
    notification_rng: Rng,
    audit_rng: Rng,
    covered_deposit_credit: bool,
    covered_withdrawal: bool,
    covered_goodwill: bool,
    covered_item_credit: bool,
    covered_purchase_notice: bool,
    /// Each seller's available items, for item-specific credits.
    available_by_seller: Vec<Vec<Uuid>>,
}

pub(super) async fn generate(ctx: &Ctx<'_>) -> Result<(), DbErr> {
    let now = ctx.opts.now;
    let base = now - Duration::days(400);
    let mut g = Gen {
        ctx,
        now,
        users: Vec::new(),
        sellers: Vec::new(),
        tiers: Vec::new(),
        items: Vec::new(),
        plans: Vec::new(),
        transactions: Sink::new(ctx.backend),
        purchases: Sink::new(ctx.backend),
        credits: Sink::new(ctx.backend),
        notifications: Sink::new(ctx.backend),
        audit: Sink::new(ctx.backend),
        tx_ids: Ids::new(base),
        purchase_ids: Ids::new(base),
        credit_ids: Ids::new(base),
        notification_ids: Ids::new(base),
        audit_ids: Ids::new(base),
        tx_rng: ctx.streams.rng(DOMAIN, "transactions"),
        credit_rng: ctx.streams.rng(DOMAIN, "user_credits"),
        notification_rng: ctx.streams.rng(DOMAIN, "notifications"),
        audit_rng: ctx.streams.rng(DOMAIN, "audit_logs"),
        covered_deposit_credit: false,
        covered_withdrawal: false,
        covered_goodwill: false,
        covered_item_credit: false,
        covered_purchase_notice: false,
        available_by_seller: Vec::new(),
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
    g.sessions().await?;
    g.finish().await
}

impl Gen<'_, '_> {
    fn opts(&self) -> crate::SeedOptions {
        self.ctx.opts
    }

    async fn subscriptions(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "seller_subscriptions");
        let mut ids = Ids::new(self.now - Duration::days(500));
        let mut sink = ctx.sink::<seller_subscriptions::Entity>(TIERS.len() as u64);
        let created = self.now - Duration::days(450);
        for (code, name, price, raffles, items, bps) in TIERS {
            let id = ids.next(&mut rng);
            self.tiers.push(id);
            ctx.put(
                &mut sink,
                &seller_subscriptions::Model {
                    id,
                    code: code.into(),
                    name: name.into(),
                    monthly_price: cents(price),
                    max_active_raffles: raffles,
                    max_items: items,
                    commission_rate: Decimal::new(bps, 4),
                    features: json!({
                        "featured_listings": price >= 2900,
                        "analytics": price > 0,
                        "support": if price >= 9900 { "dedicated" } else { "email" },
                    }),
                    is_active: true,
                    created_at: created,
                    updated_at: created,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    async fn users(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let n = self.opts().count(16, 1000).max(4);
        let mut rng = ctx.streams.rng(DOMAIN, "users");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<users::Entity>(n as u64);
        let oldest = self.now - Duration::days(365);
        for i in 0..n {
            let id = ids.next(&mut rng);
            let (first, last) = (rng.first_name(), rng.last_name());
            let (address, role, created) = match i {
                0 => (ADMIN_EMAIL.to_owned(), UserRole::Admin, oldest),
                1 => (SELLER_EMAIL.to_owned(), UserRole::Seller, oldest),
                2 => (CUSTOMER_EMAIL.to_owned(), UserRole::User, oldest),
                _ => (
                    email(&first, &last, i),
                    rng.cover(
                        i - 3,
                        &[
                            (UserRole::Operator, 2),
                            (UserRole::Seller, 9),
                            (UserRole::User, 87),
                            (UserRole::Admin, 1),
                        ],
                    ),
                    rng.time_between(oldest, self.now - Duration::days(30)),
                ),
            };
            let verified = (i < 3 || rng.percent(85)).then(|| created + rng.seconds(60, 6 * 3600));
            let last_login = (i < 3 || rng.percent(80)).then(|| rng.time_between(created, self.now));
            let _ = sink.push(&users::Model {
                id,
                email: address,
                password_hash: ctx.password_hash.to_owned(),
                display_name: format!("{first} {last}"),
                phone: rng.percent(60).then(|| Rng::phone(i)),
                role,
                wallet_address: format!("rw_{}", rng.hex(40)),
                balance: Decimal::ZERO,
                is_active: i < 3 || rng.percent(97),
                email_verified_at: verified,
                last_login_at: last_login,
                created_at: created,
                updated_at: last_login.unwrap_or(created).max(created),
            });
            self.users.push(User { id, created, role, balance: 0 });
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    async fn tokens(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "email_verification_tokens");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<email_verification_tokens::Entity>(self.users.len() as u64);
        for (i, u) in self.users.iter().enumerate() {
            // Every account got a token at sign-up; most used it, a few let it lapse.
            let used = i < 3 || rng.percent(88);
            let created = u.created;
            ctx.put(
                &mut sink,
                &email_verification_tokens::Model {
                    id: ids.next(&mut rng),
                    user_id: u.id,
                    token_hash: rng.hex(64),
                    expires_at: created + Duration::days(1),
                    used_at: used.then(|| created + rng.seconds(60, 20 * 3600)),
                    created_at: created,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;

        let mut rng = ctx.streams.rng(DOMAIN, "password_reset_tokens");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<password_reset_tokens::Entity>((self.users.len() / 15) as u64);
        for (i, u) in self.users.iter().enumerate() {
            if !(i == 3 || i == 4 || rng.percent(7)) {
                continue;
            }
            let created = rng.time_between(u.created, self.now - Duration::hours(2));
            ctx.put(
                &mut sink,
                &password_reset_tokens::Model {
                    id: ids.next(&mut rng),
                    user_id: u.id,
                    token_hash: rng.hex(64),
                    requested_ip: Some(doc_ip(&mut rng)),
                    expires_at: created + Duration::hours(1),
                    used_at: (i == 3 || (i != 4 && rng.percent(60))).then(|| created + rng.seconds(30, 3000)),
                    created_at: created,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    async fn sellers(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "sellers");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<sellers::Entity>(0);
        for (i, u) in self.users.iter().enumerate() {
            if u.role != UserRole::Seller {
                continue;
            }
            let tier =
                if i == 1 { 2 } else { rng.cover(self.sellers.len(), &[(0, 30), (1, 40), (2, 22), (3, 8)]) };
            let started = u.created + rng.seconds(DAY, 10 * DAY);
            let expires = (self.sellers.len() == 1 || rng.percent(15))
                .then(|| started + rng.seconds(30 * DAY, 400 * DAY));
            let id = ids.next(&mut rng);
            ctx.put(
                &mut sink,
                &sellers::Model {
                    id,
                    user_id: u.id,
                    subscription_id: self.tiers[tier],
                    business_name: rng.company(),
                    description: rng.percent(70).then(|| rng.sentence(6..14)),
                    rating: rng.percent(75).then(|| Decimal::new(rng.between(250, 500), 2)),
                    verified_at: (i == 1 || rng.percent(80)).then(|| started + rng.seconds(3600, 5 * DAY)),
                    subscription_started_at: started,
                    subscription_expires_at: expires,
                    created_at: started,
                    updated_at: started,
                },
            )
            .await?;
            self.sellers.push(Seller { id, user: i, tier, started });
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    /// Items, and the plan of the raffle each gets (if any): the raffle decides the item's status.
    async fn items(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let n = self.opts().count(14, 500);
        let mut rng = ctx.streams.rng(DOMAIN, "items");
        let mut plan_rng = ctx.streams.rng(DOMAIN, "raffles");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut raffle_ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<items::Entity>(n as u64);
        let weights = zipf_weights(&mut rng, self.sellers.len());
        for i in 0..n {
            // The well-known seller lists the first few; the rest follow the heavy tail.
            let seller = if i < 3 { 0 } else { rng.weighted(&weights) };
            let s = &self.sellers[seller];
            let (category, nouns) = CATEGORIES[rng.below(CATEGORIES.len())];
            let title = format!("{} {}", rng.pick(&ADJECTIVES), rng.pick(nouns));
            let price = rng.between(20, 2500) * 100 - 1;
            let created = rng.time_between(s.started, self.now - Duration::days(2));
            // Coverage first: each raffle status, then an item never raffled.
            let raffled = i < 5 || (i != 5 && rng.percent(85));
            let status = if raffled {
                Some(plan_rng.cover(
                    i,
                    &[
                        (RaffleStatus::Completed, 55),
                        (RaffleStatus::Open, 22),
                        (RaffleStatus::Full, 5),
                        (RaffleStatus::Drawing, 3),
                        (RaffleStatus::Cancelled, 7),
                    ],
                ))
            } else {
                None
            };
            let item_status = match status {
                Some(RaffleStatus::Completed) => ItemStatus::Sold,
                Some(_) => ItemStatus::Available,
                None if i == 5 || rng.percent(25) => ItemStatus::Inactive,
                None => ItemStatus::Available,
            };
            let id = ids.next(&mut rng);
            ctx.put(
                &mut sink,
                &items::Model {
                    id,
                    seller_id: s.id,
                    title: title.clone(),
                    description: Some(rng.paragraph(1..3)),
                    category: category.into(),
                    price: cents(price),
                    inventory_count: if item_status == ItemStatus::Sold {
                        0
                    } else {
                        rng.between(1, 3) as i32
                    },
                    status: item_status,
                    image_url: rng
                        .percent(90)
                        .then(|| format!("https://img.example.com/items/{}.jpg", rng.hex(16))),
                    created_at: created,
                    updated_at: created,
                },
            )
            .await?;
            if let Some(status) = status {
                let plan = self.plan(
                    &mut plan_rng,
                    &mut raffle_ids,
                    self.items.len(),
                    seller,
                    title,
                    price,
                    status,
                    created,
                );
                self.plans.push(plan);
            }
            self.items.push(Item { id, seller, status: item_status });
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        rng: &mut Rng,
        ids: &mut Ids,
        item: usize,
        seller: usize,
        title: String,
        price: i64,
        status: RaffleStatus,
        listed: DateTime<Utc>,
    ) -> Plan {
        let now = self.now;
        let tiny = self.opts().profile == crate::Profile::Tiny;
        let total = if tiny { rng.between(4, 12) } else { rng.between(10, 80) } as i32;
        // Boxes are priced so that a sell-out earns about 1.3 times the retail value.
        let box_price = (((price * 13 / 10) / total as i64) / 50 * 50).max(100);
        let first = self.plans.len() < 5;
        let (starts, draw_at, sold, drawn_at, cancelled_at, sales_end) = match status {
            RaffleStatus::Completed => {
                let starts =
                    rng.time_between(listed.max(now - Duration::days(300)), now - Duration::days(12));
                let draw_at = starts + rng.seconds(7 * DAY, 10 * DAY);
                let sold = rng.between((total as i64 * 4 / 10).max(2), total as i64) as i32;
                (starts, draw_at, sold, Some(draw_at + Duration::minutes(5)), None, draw_at)
            }
            RaffleStatus::Cancelled => {
                let starts =
                    rng.time_between(listed.max(now - Duration::days(300)), now - Duration::days(10));
                let draw_at = starts + rng.seconds(7 * DAY, 20 * DAY);
                let cancelled = starts + rng.seconds(3 * DAY, 6 * DAY);
                let sold = rng.between(if first { 1 } else { 0 }, (total as i64 * 3 / 10).max(1)) as i32;
                (starts, draw_at, sold, None, Some(cancelled), cancelled)
            }
            RaffleStatus::Open => {
                let starts = rng.time_between(listed.max(now - Duration::days(20)), now - Duration::days(1));
                let draw_at = now + rng.seconds(DAY, 30 * DAY);
                let sold = rng.between(if first { 1 } else { 0 }, total as i64 - 1) as i32;
                (starts, draw_at, sold, None, None, now - Duration::minutes(1))
            }
            RaffleStatus::Full => {
                let starts = rng.time_between(listed.max(now - Duration::days(20)), now - Duration::days(3));
                let draw_at = now + rng.seconds(3600, 10 * DAY);
                (starts, draw_at, total, None, None, now - Duration::hours(1))
            }
            RaffleStatus::Drawing => {
                let starts = rng.time_between(listed.max(now - Duration::days(20)), now - Duration::days(4));
                let draw_at = now - rng.seconds(60, 7200);
                let sold = rng.between(1, total as i64) as i32;
                (starts, draw_at, sold, None, None, draw_at)
            }
        };
        Plan {
            id: ids.next(rng),
            item,
            seller,
            title: format!("Win a {title}"),
            total,
            price: box_price,
            status,
            starts,
            draw_at,
            sales_end,
            sold,
            drawn_at,
            cancelled_at,
            winning_box: (status == RaffleStatus::Completed).then(|| rng.between(1, sold as i64) as i32),
            winner: None,
            single_boxes: first,
        }
    }

    fn buyers(&self) -> Pool {
        let mut rng = self.ctx.streams.rng(DOMAIN, "activity");
        let users: Vec<usize> =
            (0..self.users.len()).filter(|i| self.users[*i].role == UserRole::User).collect();
        let mut weights = zipf_weights(&mut rng, users.len());
        // The well-known customer is a keen buyer.
        if let Some(pos) = users.iter().position(|u| *u == 2) {
            weights[pos] = weights.iter().max().copied().unwrap_or(1);
        }
        Pool::new(users, &weights)
    }

    /// Writes the raffles, once each raffle's winner is known from a first replay of its sales.
    async fn raffles(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let buyers = self.buyers();
        for i in 0..self.plans.len() {
            let Some(winning_box) = self.plans[i].winning_box else { continue };
            let mut run = Checkouts::new(ctx, i, &self.plans[i], &self.sellers);
            while let Some(c) = run.next(&buyers, &self.users) {
                if (c.first..c.first + c.boxes).contains(&winning_box) {
                    self.plans[i].winner = Some(c.buyer);
                    break;
                }
            }
        }
        let mut sink = ctx.sink::<raffles::Entity>(self.plans.len() as u64);
        for p in &self.plans {
            ctx.put(
                &mut sink,
                &raffles::Model {
                    id: p.id,
                    item_id: self.items[p.item].id,
                    title: p.title.clone(),
                    total_boxes: p.total,
                    box_price: cents(p.price),
                    boxes_sold: p.sold,
                    status: p.status,
                    starts_at: p.starts,
                    draw_at: p.draw_at,
                    drawn_at: p.drawn_at,
                    winner_id: p.winner.map(|u| self.users[u].id),
                    winning_box_number: p.winning_box,
                    cancelled_at: p.cancelled_at,
                    created_at: p.starts - Duration::hours(2),
                    updated_at: p.drawn_at.or(p.cancelled_at).unwrap_or(p.starts),
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    /// Flushes the money tables, parents first.
    async fn flush_money(&mut self) -> Result<(), DbErr> {
        let (db, p) = (self.ctx.db, self.ctx.progress);
        self.transactions.flush(db, p).await?;
        self.purchases.flush(db, p).await?;
        self.credits.flush(db, p).await?;
        self.notifications.flush(db, p).await?;
        self.audit.flush(db, p).await
    }

    async fn transaction(
        &mut self,
        user: usize,
        kind: TransactionType,
        amount: i64,
        at: DateTime<Utc>,
        raffle: Option<Uuid>,
        description: String,
    ) -> Result<Uuid, DbErr> {
        let u = &mut self.users[user];
        u.balance += amount;
        debug_assert!(u.balance >= 0, "a balance went negative");
        let id = self.tx_ids.next(&mut self.tx_rng);
        let external = matches!(kind, TransactionType::Deposit | TransactionType::Withdrawal);
        let row = transactions::Model {
            id,
            user_id: u.id,
            kind,
            amount: cents(amount),
            balance_after: cents(u.balance),
            raffle_id: raffle,
            reference: external.then(|| format!("psp_{}", self.tx_rng.hex(24))),
            description: Some(description),
            created_at: at,
        };
        if self.transactions.push(&row) {
            self.flush_money().await?;
        }
        Ok(id)
    }

    async fn notify(
        &mut self,
        user: usize,
        kind: NotificationType,
        title: String,
        body: String,
        at: DateTime<Utc>,
        data: Option<serde_json::Value>,
    ) -> Result<(), DbErr> {
        let rng = &mut self.notification_rng;
        let read = (at < self.now - Duration::hours(1) && rng.percent(65))
            .then(|| at + rng.seconds(60, 3 * DAY))
            .filter(|t| *t <= self.now);
        let row = notifications::Model {
            id: self.notification_ids.next(rng),
            user_id: self.users[user].id,
            kind,
            title,
            body,
            data,
            read_at: read,
            created_at: at,
        };
        if self.notifications.push(&row) {
            self.flush_money().await?;
        }
        Ok(())
    }

    async fn log(
        &mut self,
        user: Option<usize>,
        action: &str,
        entity: &str,
        entity_id: Uuid,
        at: DateTime<Utc>,
        details: serde_json::Value,
    ) -> Result<(), DbErr> {
        let rng = &mut self.audit_rng;
        let row = audit_logs::Model {
            id: self.audit_ids.next(rng),
            user_id: user.map(|u| self.users[u].id),
            action: action.into(),
            entity_type: entity.into(),
            entity_id: Some(entity_id.to_string()),
            details: Some(details),
            ip_address: user.map(|_| doc_ip(rng)),
            user_agent: user.map(|_| rng.pick(&AGENTS).to_string()),
            created_at: at,
        };
        if self.audit.push(&row) {
            self.flush_money().await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn credit(
        &mut self,
        user: usize,
        source: CreditSource,
        amount: i64,
        item: Option<Uuid>,
        raffle: Option<Uuid>,
        at: DateTime<Utc>,
        days: i64,
    ) -> Result<(), DbErr> {
        let rng = &mut self.credit_rng;
        let expires = at + Duration::days(days);
        let spent = if rng.percent(30) { rng.between(0, amount) } else { 0 };
        let row = user_credits::Model {
            id: self.credit_ids.next(rng),
            user_id: self.users[user].id,
            source,
            credit_type: if item.is_some() { CreditType::ItemSpecific } else { CreditType::General },
            amount: cents(amount),
            remaining: cents(amount - spent),
            item_id: item,
            raffle_id: raffle,
            expires_at: Some(expires),
            created_at: at,
        };
        if self.credits.push(&row) {
            self.flush_money().await?;
        }
        if expires > self.now && expires < self.now + Duration::days(7) && amount > spent {
            let title = "Your credit expires soon".to_owned();
            let body = format!(
                "{} of store credit expires on {}.",
                cents(amount - spent),
                expires.format("%Y-%m-%d")
            );
            self.notify(
                user,
                NotificationType::CreditExpiring,
                title,
                body,
                expires - Duration::days(7),
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Tops a buyer's wallet up when it cannot cover `cost`.
    async fn ensure_funds(&mut self, user: usize, cost: i64, at: DateTime<Utc>) -> Result<(), DbErr> {
        if self.users[user].balance >= cost {
            return Ok(());
        }
        let short = cost - self.users[user].balance;
        let amount = (short + 999) / 1000 * 1000 + self.tx_rng.between(0, 10) * 500;
        let id =
            self.transaction(user, TransactionType::Deposit, amount, at, None, "Card top-up".into()).await?;
        if self.tx_rng.percent(25) {
            self.log(
                Some(user),
                "wallet.deposit",
                "transaction",
                id,
                at,
                json!({"amount": cents(amount).to_string()}),
            )
            .await?;
        }
        if !self.covered_deposit_credit || (amount >= 5000 && self.credit_rng.percent(10)) {
            self.covered_deposit_credit = true;
            self.credit(user, CreditSource::Deposit, 200, None, None, at, 60).await?;
        }
        Ok(())
    }

    /// The money, in time order across every raffle.
    async fn simulate(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        for table in ["transactions", "box_purchases", "user_credits", "notifications", "audit_logs"] {
            ctx.progress.start(table, 0);
        }
        // Welcome credits, at sign-up.
        for u in 3..self.users.len() {
            if u == 3 || self.credit_rng.percent(15) {
                let at = self.users[u].created + Duration::hours(1);
                self.credit(u, CreditSource::Bonus, 500, None, None, at, 90).await?;
                let body = "Thanks for joining: 5.00 of store credit is on us.".to_owned();
                self.notify(u, NotificationType::System, "Welcome!".into(), body, at, None).await?;
            }
        }

        let buyers = self.buyers();
        let mut runs: BTreeMap<usize, (Checkouts, Checkout, BTreeMap<usize, i64>)> = BTreeMap::new();
        let mut spend: BTreeMap<usize, BTreeMap<usize, i64>> = BTreeMap::new();
        let mut heap: BinaryHeap<Reverse<(DateTime<Utc>, u64, Event)>> = BinaryHeap::new();
        let mut seq = 0u64;
        let mut push = |heap: &mut BinaryHeap<_>, at, e| {
            seq += 1;
            heap.push(Reverse((at, seq, e)));
        };
        for i in 0..self.plans.len() {
            let mut run = Checkouts::new(ctx, i, &self.plans[i], &self.sellers);
            if let Some(first) = run.next(&buyers, &self.users) {
                push(&mut heap, first.at, Event::Checkout(i));
                runs.insert(i, (run, first, BTreeMap::new()));
            }
            if let Some(end) = self.plans[i].drawn_at.or(self.plans[i].cancelled_at) {
                push(&mut heap, end, Event::End(i));
            }
        }
        for (s, seller) in self.sellers.iter().enumerate() {
            if TIERS[seller.tier].2 > 0 {
                push(&mut heap, seller.started + Duration::days(1), Event::Fee(s));
            }
        }

        while let Some(Reverse((at, _, event))) = heap.pop() {
            match event {
                Event::Checkout(r) => {
                    let (mut run, c, mut buyers_spend) = runs.remove(&r).expect("a running raffle");
                    let plan = &self.plans[r];
                    let (raffle_id, price, title) = (plan.id, plan.price, plan.title.clone());
                    let cost = price * c.boxes as i64;
                    self.ensure_funds(c.buyer, cost, at).await?;
                    let what = if c.boxes == 1 { "1 box".to_owned() } else { format!("{} boxes", c.boxes) };
                    let tx = self
                        .transaction(
                            c.buyer,
                            TransactionType::BoxPurchase,
                            -cost,
                            at,
                            Some(raffle_id),
                            format!("{what} in {title}"),
                        )
                        .await?;
                    for b in c.first..c.first + c.boxes {
                        let row = box_purchases::Model {
                            id: self.purchase_ids.next(&mut self.tx_rng),
                            raffle_id,
                            user_id: self.users[c.buyer].id,
                            transaction_id: tx,
                            box_number: b,
                            price_paid: cents(price),
                            purchased_at: at,
                        };
                        if self.purchases.push(&row) {
                            self.flush_money().await?;
                        }
                    }
                    *buyers_spend.entry(c.buyer).or_default() += cost;
                    if !self.covered_purchase_notice || self.notification_rng.percent(35) {
                        self.covered_purchase_notice = true;
                        let body = format!("You bought {what} in {title}. Good luck!");
                        self.notify(
                            c.buyer,
                            NotificationType::PurchaseConfirmed,
                            "Purchase confirmed".into(),
                            body,
                            at,
                            Some(json!({"raffle_id": raffle_id.to_string()})),
                        )
                        .await?;
                    }
                    match run.next(&buyers, &self.users) {
                        Some(next) => {
                            push(&mut heap, next.at, Event::Checkout(r));
                            runs.insert(r, (run, next, buyers_spend));
                        }
                        None => {
                            spend.insert(r, buyers_spend);
                        }
                    }
                }
                Event::End(r) => {
                    let buyers_spend = spend.remove(&r).unwrap_or_default();
                    self.end_raffle(r, at, buyers_spend, &mut |e, t| push(&mut heap, t, e)).await?;
                }
                Event::Fee(s) => {
                    let (user, tier) = (self.sellers[s].user, self.sellers[s].tier);
                    let fee = TIERS[tier].2;
                    self.ensure_funds(user, fee, at).await?;
                    self.transaction(
                        user,
                        TransactionType::SubscriptionFee,
                        -fee,
                        at,
                        None,
                        format!("{} plan, first month", TIERS[tier].1),
                    )
                    .await?;
                }
                Event::Withdraw(user, wanted) => {
                    let amount = wanted.min(self.users[user].balance);
                    if amount >= 100 {
                        self.transaction(
                            user,
                            TransactionType::Withdrawal,
                            -amount,
                            at,
                            None,
                            "Payout to bank account".into(),
                        )
                        .await?;
                    }
                }
            }
        }
        self.flush_money().await?;
        for table in ["transactions", "box_purchases", "user_credits", "notifications", "audit_logs"] {
            ctx.progress.finish(table);
        }
        Ok(())
    }

    async fn end_raffle(
        &mut self,
        r: usize,
        at: DateTime<Utc>,
        buyers_spend: BTreeMap<usize, i64>,
        schedule: &mut impl FnMut(Event, DateTime<Utc>),
    ) -> Result<(), DbErr> {
        let plan = &self.plans[r];
        let (raffle_id, title, seller, item, status) =
            (plan.id, plan.title.clone(), plan.seller, plan.item, plan.status);
        let (winner, winning_box, revenue) = (plan.winner, plan.winning_box, plan.price * plan.sold as i64);
        let seller_user = self.sellers[seller].user;
        match status {
            RaffleStatus::Completed => {
                let winner = winner.expect("a completed raffle has a winner");
                let commission = revenue * TIERS[self.sellers[seller].tier].5 / 10_000;
                self.transaction(
                    seller_user,
                    TransactionType::SellerPayout,
                    revenue - commission,
                    at,
                    Some(raffle_id),
                    format!("Proceeds of {title}"),
                )
                .await?;
                let later = at + Duration::days(2);
                if later < self.now && (!self.covered_withdrawal || self.tx_rng.percent(40)) {
                    self.covered_withdrawal = true;
                    schedule(Event::Withdraw(seller_user, (revenue - commission) / 2), later);
                }
                self.log(None, "raffle.draw", "raffle", raffle_id, at, json!({"winning_box": winning_box}))
                    .await?;
                let body =
                    format!("Box {} won {title}. We will ship it this week.", winning_box.unwrap_or(0));
                self.notify(
                    winner,
                    NotificationType::RaffleWon,
                    "You won!".into(),
                    body,
                    at,
                    Some(json!({"raffle_id": raffle_id.to_string()})),
                )
                .await?;
                // Scanning every item per raffle would be quadratic at the large profile.
                let available = std::mem::take(&mut self.available_by_seller[seller]);
                for (buyer, spent) in buyers_spend {
                    if buyer == winner {
                        continue;
                    }
                    // Losers get a tenth of what they spent back as credit, sometimes for another of the seller's items.
                    let item_credit =
                        (!self.covered_item_credit || self.credit_rng.percent(20)) && !available.is_empty();
                    let item = item_credit.then(|| available[self.credit_rng.below(available.len())]);
                    self.covered_item_credit |= item.is_some();
                    self.credit(
                        buyer,
                        CreditSource::RaffleLoss,
                        (spent / 10).max(50),
                        item,
                        Some(raffle_id),
                        at,
                        90,
                    )
                    .await?;
                    let body =
                        format!("{title} was drawn. Better luck next time: a credit is in your account.");
                    self.notify(buyer, NotificationType::RaffleLost, "Raffle drawn".into(), body, at, None)
                        .await?;
                }
                self.available_by_seller[seller] = available;
            }
            RaffleStatus::Cancelled => {
                self.log(
                    Some(seller_user),
                    "raffle.cancel",
                    "raffle",
                    raffle_id,
                    at,
                    json!({"item": self.items[item].id.to_string()}),
                )
                .await?;
                for (buyer, spent) in buyers_spend {
                    self.transaction(
                        buyer,
                        TransactionType::Refund,
                        spent,
                        at,
                        Some(raffle_id),
                        format!("Refund for {title}"),
                    )
                    .await?;
                    let body =
                        format!("{title} was cancelled and {} was refunded to your wallet.", cents(spent));
                    self.notify(
                        buyer,
                        NotificationType::RaffleCancelled,
                        "Raffle cancelled".into(),
                        body,
                        at,
                        None,
                    )
                    .await?;
                    if !self.covered_goodwill || self.credit_rng.percent(30) {
                        self.covered_goodwill = true;
                        self.credit(buyer, CreditSource::Refund, 300, None, None, at, 60).await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn catalogue(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "free_redeemable_items");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let n = self.opts().count(4, 40);
        let mut sink = ctx.sink::<free_redeemable_items::Entity>(n as u64);
        let available: Vec<Uuid> =
            self.items.iter().filter(|i| i.status == ItemStatus::Available).map(|i| i.id).collect();
        for i in 0..n {
            let from = rng.time_between(self.now - Duration::days(200), self.now - Duration::days(1));
            let linked = (i == 0 || rng.percent(40)) && !available.is_empty();
            ctx.put(
                &mut sink,
                &free_redeemable_items::Model {
                    id: ids.next(&mut rng),
                    item_id: linked.then(|| available[rng.below(available.len())]),
                    title: format!("{} voucher", rng.words(1..3)),
                    description: Some(rng.sentence(5..12)),
                    credit_cost: cents(rng.between(5, 100) * 100),
                    stock: rng.between(0, 200) as i32,
                    is_active: i == 0 || rng.percent(85),
                    valid_from: from,
                    valid_until: (i == 1 || rng.percent(60)).then(|| from + rng.seconds(30 * DAY, 365 * DAY)),
                    created_at: from,
                    updated_at: from,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;

        let settings = [
            ("raffle.max_boxes", json!(500), true, "Most boxes a raffle may have"),
            ("raffle.min_box_price", json!("1.00"), true, "Cheapest box allowed"),
            ("credits.loss_ratio", json!(0.1), false, "Share of a losing buyer's spend returned as credit"),
            ("credits.expiry_days", json!(90), true, "Days a raffle-loss credit stays valid"),
            ("wallet.max_deposit", json!("5000.00"), false, "Largest single top-up"),
            ("maintenance", json!({"enabled": false, "message": null}), true, "Maintenance banner"),
        ];
        let mut sink = ctx.sink::<system_settings::Entity>(settings.len() as u64);
        for (key, value, public, about) in settings {
            ctx.put(
                &mut sink,
                &system_settings::Model {
                    key: key.into(),
                    value,
                    description: Some(about.into()),
                    is_public: public,
                    updated_by: Some(self.users[0].id),
                    updated_at: self.now - Duration::days(30),
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    async fn sessions(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "user_sessions");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<user_sessions::Entity>(self.users.len() as u64 * 2);
        let weights = zipf_weights(&mut rng, self.users.len());
        let accounts: Vec<(Uuid, DateTime<Utc>)> = self.users.iter().map(|u| (u.id, u.created)).collect();
        for (i, (user_id, user_created)) in accounts.into_iter().enumerate() {
            let n =
                if i < 3 { 2 } else { (weights[i] / 200_000).min(6) as usize + usize::from(rng.percent(60)) };
            for k in 0..n {
                let created = rng.time_between(user_created, self.now - Duration::minutes(5));
                let revoked = (k == 1 || rng.percent(20))
                    .then(|| created + rng.seconds(60, 10 * DAY))
                    .filter(|t| *t <= self.now);
                let _ = sink.push(&user_sessions::Model {
                    id: ids.next(&mut rng),
                    user_id,
                    refresh_token_hash: rng.hex(64),
                    user_agent: Some(rng.pick(&AGENTS).to_string()),
                    ip_address: Some(doc_ip(&mut rng)),
                    expires_at: created + Duration::days(30),
                    revoked_at: revoked,
                    created_at: created,
                });
                if k == 0 && rng.percent(30) {
                    self.log(Some(i), "user.login", "user", user_id, created, json!({"method": "password"}))
                        .await?;
                }
            }
        }
        ctx.close(&mut sink).await?;
        self.flush_money().await
    }

    /// Every balance is the sum of its transactions: set them in one statement.
    async fn finish(&mut self) -> Result<(), DbErr> {
        self.flush_money().await?;
        // ROUND: SQLite sums REALs, and must store the same two-decimal values as the others.
        let sql = "UPDATE users SET balance = ROUND(COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.user_id = users.id), 0), 2)";
        self.ctx.db.execute_raw(Statement::from_string(self.ctx.backend, sql)).await?;
        Ok(())
    }
}
