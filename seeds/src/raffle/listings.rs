//! What is sold: subscription tiers, sellers, their items, and the store-credit catalogue and settings.

use chrono::{DateTime, Duration, Utc};
use sea_orm::DbErr;
use sea_orm::prelude::{Decimal, Uuid};
use seedbed_raffle::enums::*;
use seedbed_raffle::*;

use super::DOMAIN;
use super::generator::Gen;
use super::sales::Listing;
use crate::stream::{DAY, Ids, cents, zipf_weights};

pub(super) use super::reference::TIERS;

pub(super) const CATEGORIES: [(&str, &[&str]); 6] = [
    ("electronics", &["Wireless Earbuds", "Smart Watch", "Tablet", "Gaming Console", "Drone", "E-Reader"]),
    ("fashion", &["Leather Jacket", "Designer Handbag", "Silk Scarf", "Sneakers", "Sunglasses"]),
    ("home", &["Espresso Machine", "Robot Vacuum", "Air Purifier", "Stand Mixer", "Cast Iron Set"]),
    ("collectibles", &["Signed Poster", "Vintage Camera", "Trading Card Box", "Vinyl Record Set"]),
    ("sports", &["Road Bike", "Golf Club Set", "Yoga Bundle", "Camping Tent"]),
    ("gift_cards", &["Store Gift Card", "Travel Voucher", "Spa Voucher"]),
];

pub(super) const ADJECTIVES: [&str; 8] =
    ["Limited", "Premium", "Classic", "New", "Deluxe", "Compact", "Pro", "Vintage"];

pub(super) struct Seller {
    pub(super) id: Uuid,
    pub(super) user: usize,
    pub(super) tier: usize,
    pub(super) started: DateTime<Utc>,
}

pub(super) struct Item {
    pub(super) id: Uuid,
    pub(super) seller: usize,
    pub(super) status: ItemStatus,
}

impl Gen<'_, '_> {
    pub(super) async fn subscriptions(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        // The reference tiers, the same rows `seed --reference-only` inserts: every cell's
        // sellers refer to them, one cell writes them.
        let rows = super::reference::tiers(self.now);
        let writes = ctx.writes_reference;
        let mut sink = ctx.sink::<seller_subscriptions::Entity>(if writes { rows.len() as u64 } else { 0 });
        for row in &rows {
            self.tiers.push(row.id);
            if writes {
                ctx.put(&mut sink, row).await?;
            }
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    pub(super) async fn sellers(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "sellers");
        let mut words = ctx.streams.rng(DOMAIN, "sellers/text");
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
            let business_name = rng.company();
            let description =
                rng.percent(70).then(|| super::text::seller(&mut words, &business_name, started));
            ctx.put(
                &mut sink,
                &sellers::Model {
                    id,
                    user_id: u.id,
                    subscription_id: self.tiers[tier],
                    business_name,
                    description,
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
    pub(super) async fn items(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let n = self.opts().count(14, 500);
        let mut rng = ctx.streams.rng(DOMAIN, "items");
        let mut plan_rng = ctx.streams.rng(DOMAIN, "raffles");
        let mut words = ctx.streams.rng(DOMAIN, "items/text");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut raffle_ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<items::Entity>(n as u64);
        let weights = zipf_weights(&mut rng, self.sellers.len());
        for i in 0..n {
            // The well-known seller lists the first few; the rest follow the heavy tail.
            let seller = if i < 3 { 0 } else { rng.weighted(&weights) };
            let s = &self.sellers[seller];
            let (category, nouns) = CATEGORIES[rng.below(CATEGORIES.len())];
            let (adjective, noun) = (*rng.pick(&ADJECTIVES), *rng.pick(nouns));
            let title = format!("{adjective} {noun}");
            let price = rng.between(20, 2500) * 100 - 1;
            let zone = self.users[s.user].zone;
            let created = self.rhythm.time(&mut rng, s.started, self.now - Duration::days(2), zone);
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
                    description: Some(super::text::item(&mut words, adjective, noun, category, price)),
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
                let listing =
                    Listing { item: self.items.len(), seller, title, price, status, listed: created };
                let plan = self.plan(&mut plan_rng, &mut raffle_ids, listing);
                self.plans.push(plan);
            }
            self.items.push(Item { id, seller, status: item_status });
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    pub(super) async fn catalogue(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "free_redeemable_items");
        let mut words = ctx.streams.rng(DOMAIN, "free_redeemable_items/text");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let n = self.opts().count(4, 40);
        let mut sink = ctx.sink::<free_redeemable_items::Entity>(n as u64);
        let available: Vec<Uuid> =
            self.items.iter().filter(|i| i.status == ItemStatus::Available).map(|i| i.id).collect();
        for i in 0..n {
            let from = rng.time_between(self.now - Duration::days(200), self.now - Duration::days(1));
            let linked = (i == 0 || rng.percent(40)) && !available.is_empty();
            let id = ids.next(&mut rng);
            let item_id = linked.then(|| available[rng.below(available.len())]);
            let cost = rng.between(5, 100) * 100;
            let stock = rng.between(0, 200) as i32;
            let is_active = i == 0 || rng.percent(85);
            let until = (i == 1 || rng.percent(60)).then(|| from + rng.seconds(30 * DAY, 365 * DAY));
            let (title, description) = super::text::voucher(&mut words, cost, stock, until);
            ctx.put(
                &mut sink,
                &free_redeemable_items::Model {
                    id,
                    item_id,
                    title,
                    description: Some(description),
                    credit_cost: cents(cost),
                    stock,
                    is_active,
                    valid_from: from,
                    valid_until: until,
                    created_at: from,
                    updated_at: from,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;

        // The reference settings, the same rows `seed --reference-only` inserts (set by no
        // one), from the cell that writes reference rows. The documented admin becomes who
        // last set them once every cell is written ([`super::generator::finish`]): who changed
        // a setting is not the definition's to say (the upsert leaves `updated_by` alone),
        // and sample data covers the key to users.
        let writes = ctx.writes_reference;
        let settings = if writes { super::reference::settings(self.now) } else { Vec::new() };
        let mut sink = ctx.sink::<system_settings::Entity>(settings.len() as u64);
        for row in &settings {
            ctx.put(&mut sink, row).await?;
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }
}
