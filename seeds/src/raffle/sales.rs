//! Raffles and their sales: each raffle's plan, and its checkouts replayed from a stream of its own.

use chrono::{DateTime, Duration, Utc};
use sea_orm::DbErr;
use sea_orm::prelude::Uuid;
use seedbed_raffle::enums::*;
use seedbed_raffle::*;

use super::DOMAIN;
use super::generator::Gen;
use super::listings::Seller;
use super::people::User;
use crate::Ctx;
use crate::rhythm::{Crowd, Rhythm, Warp};
use crate::stream::{DAY, Ids, Pool, Rng, cents, zipf_weights};

pub(super) struct Plan {
    pub(super) id: Uuid,
    pub(super) item: usize,
    pub(super) seller: usize,
    pub(super) title: String,
    pub(super) total: i32,
    pub(super) price: i64,
    pub(super) status: RaffleStatus,
    pub(super) starts: DateTime<Utc>,
    pub(super) draw_at: DateTime<Utc>,
    /// When sales stop: the draw, the cancellation or the reference time.
    pub(super) sales_end: DateTime<Utc>,
    pub(super) sold: i32,
    pub(super) drawn_at: Option<DateTime<Utc>>,
    pub(super) cancelled_at: Option<DateTime<Utc>>,
    pub(super) winning_box: Option<i32>,
    pub(super) winner: Option<usize>,
    /// One checkout per box, so that even a tiny raffle has several buyers.
    pub(super) single_boxes: bool,
}

/// An item about to be raffled: what the raffle's plan is made from.
pub(super) struct Listing {
    pub(super) item: usize,
    pub(super) seller: usize,
    pub(super) title: String,
    pub(super) price: i64,
    pub(super) status: RaffleStatus,
    pub(super) listed: DateTime<Utc>,
}

/// One checkout: a buyer takes `boxes` consecutive boxes starting at `first`.
pub(super) struct Checkout {
    pub(super) at: DateTime<Utc>,
    pub(super) buyer: usize,
    pub(super) first: i32,
    pub(super) boxes: i32,
}

/// The checkouts of one raffle, from its own stream: the same every time it is replayed.
pub(super) struct Checkouts {
    pub(super) rng: Rng,
    pub(super) next_box: i32,
    pub(super) sold: i32,
    /// The selling window, measured in the users' activity.
    pub(super) window: Warp,
    pub(super) single: bool,
    pub(super) seller_user: usize,
    pub(super) last_buyer: Option<usize>,
}

impl Checkouts {
    pub(super) fn new(ctx: &Ctx<'_>, crowd: &Crowd, index: usize, plan: &Plan, sellers: &[Seller]) -> Self {
        Checkouts {
            rng: ctx.streams.rng(DOMAIN, &format!("box_purchases#{index}")),
            next_box: 1,
            sold: plan.sold,
            window: Warp::new(crowd, plan.starts, plan.sales_end),
            single: plan.single_boxes,
            seller_user: sellers[plan.seller].user,
            last_buyer: None,
        }
    }

    pub(super) fn next(&mut self, crowd: &Crowd, buyers: &Pool, users: &[User]) -> Option<Checkout> {
        if self.next_box > self.sold {
            return None;
        }
        let remaining = self.sold - self.next_box + 1;
        let boxes = if self.single { 1 } else { [1, 1, 1, 1, 2, 2, 3, 5][self.rng.below(8)].min(remaining) };
        // Spread sales over the selling window, in order of box number, as the users' clock
        // runs: each box in the first half of its share of the window's activity.
        let share = 2000 * (self.next_box - 1) as u64 + self.rng.between(0, 1000) as u64;
        let at = self.window.at(crowd, share, 2000 * self.sold as u64);
        let mut buyer = buyers.pick(&mut self.rng);
        for attempt in 0..6 {
            // At first only a buyer for whom it is a waking hour, then anyone.
            let ok = users[buyer].created < at
                && buyer != self.seller_user
                && Some(buyer) != self.last_buyer
                && (attempt >= 4 || Rhythm::awake(&mut self.rng, at, users[buyer].zone));
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

impl Gen<'_, '_> {
    pub(super) fn plan(&self, rng: &mut Rng, ids: &mut Ids, listing: Listing) -> Plan {
        let Listing { item, seller, title, price, status, listed } = listing;
        let now = self.now;
        let tiny = self.opts().profile == crate::Profile::Tiny;
        let total = if tiny { rng.between(4, 12) } else { rng.between(10, 80) } as i32;
        // Boxes are priced so that a sell-out earns about 1.3 times the retail value.
        let box_price = (((price * 13 / 10) / total as i64) / 50 * 50).max(100);
        let first = self.plans.len() < 5;
        // Past raffles start when their seller is about, more of them as the platform grows.
        let zone = self.users[self.sellers[seller].user].zone;
        let (starts, draw_at, sold, drawn_at, cancelled_at, sales_end) = match status {
            RaffleStatus::Completed => {
                let starts = self.rhythm.time(
                    rng,
                    listed.max(now - Duration::days(300)),
                    now - Duration::days(12),
                    zone,
                );
                let draw_at = starts + rng.seconds(7 * DAY, 10 * DAY);
                let sold = rng.between((total as i64 * 4 / 10).max(2), total as i64) as i32;
                (starts, draw_at, sold, Some(draw_at + Duration::minutes(5)), None, draw_at)
            }
            RaffleStatus::Cancelled => {
                let starts = self.rhythm.time(
                    rng,
                    listed.max(now - Duration::days(300)),
                    now - Duration::days(10),
                    zone,
                );
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

    pub(super) fn buyers(&self) -> Pool {
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
    pub(super) async fn raffles(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let buyers = self.buyers();
        for i in 0..self.plans.len() {
            let Some(winning_box) = self.plans[i].winning_box else { continue };
            let mut run = Checkouts::new(ctx, &self.crowd, i, &self.plans[i], &self.sellers);
            while let Some(c) = run.next(&self.crowd, &buyers, &self.users) {
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
}
