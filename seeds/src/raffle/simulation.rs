//! The simulation: every raffle's checkouts, ends, fees and withdrawals, in time order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::DbErr;
use seedbed_raffle::enums::*;
use seedbed_raffle::*;
use serde_json::json;

use super::generator::Gen;
use super::ledger::Credit;
use super::listings::TIERS;
use super::sales::{Checkout, Checkouts};
use crate::stream::cents;

/// What happens next: events are taken in time order, ties in the order they were scheduled.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Event {
    Checkout(usize),
    End(usize),
    Fee(usize),
    Withdraw(usize, i64),
}

impl Gen<'_, '_> {
    /// The money, in time order across every raffle.
    pub(super) async fn simulate(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        self.ledger.announce(ctx);
        // Welcome credits, at sign-up.
        for u in 3..self.users.len() {
            if u == 3 || self.ledger.credit_rng.percent(15) {
                let at = self.users[u].created + Duration::hours(1);
                self.credit(Credit {
                    user: u,
                    source: CreditSource::Bonus,
                    amount: 500,
                    item: None,
                    raffle: None,
                    at,
                    days: 90,
                })
                .await?;
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
            let mut run = Checkouts::new(ctx, &self.crowd, i, &self.plans[i], &self.sellers);
            if let Some(first) = run.next(&self.crowd, &buyers, &self.users) {
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
                            id: self.ledger.purchases.ids.next(&mut self.ledger.tx_rng),
                            raffle_id,
                            user_id: self.users[c.buyer].id,
                            transaction_id: tx,
                            box_number: b,
                            price_paid: cents(price),
                            purchased_at: at,
                        };
                        if self.ledger.purchases.rows.push(&row) {
                            self.flush_money().await?;
                        }
                    }
                    *buyers_spend.entry(c.buyer).or_default() += cost;
                    if !self.covered.purchase_notice || self.ledger.notification_rng.percent(35) {
                        self.covered.purchase_notice = true;
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
                    match run.next(&self.crowd, &buyers, &self.users) {
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
        if !self.covered.credit_expiring {
            // No credit happened to be about to expire: the well-known customer's loyalty
            // credit is, so that every profile shows the reminder.
            self.credit(Credit {
                user: 2,
                source: CreditSource::Bonus,
                amount: 500,
                item: None,
                raffle: None,
                at: self.now - Duration::days(85),
                days: 90,
            })
            .await?;
        }
        self.flush_money().await?;
        let books = &mut self.ledger;
        ctx.close(&mut books.transactions.rows).await?;
        ctx.close(&mut books.purchases.rows).await?;
        ctx.close(&mut books.credits.rows).await?;
        // The audit trail goes on with the sessions' sign-ins.
        ctx.close(&mut books.notifications.rows).await
    }

    pub(super) async fn end_raffle(
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
                if later < self.now && (!self.covered.withdrawal || self.ledger.tx_rng.percent(40)) {
                    self.covered.withdrawal = true;
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
                    let item_credit = (!self.covered.item_credit || self.ledger.credit_rng.percent(20))
                        && !available.is_empty();
                    let item = item_credit.then(|| available[self.ledger.credit_rng.below(available.len())]);
                    self.covered.item_credit |= item.is_some();
                    self.credit(Credit {
                        user: buyer,
                        source: CreditSource::RaffleLoss,
                        amount: (spent / 10).max(50),
                        item,
                        raffle: Some(raffle_id),
                        at,
                        days: 90,
                    })
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
                    if !self.covered.goodwill || self.ledger.credit_rng.percent(30) {
                        self.covered.goodwill = true;
                        self.credit(Credit {
                            user: buyer,
                            source: CreditSource::Refund,
                            amount: 300,
                            item: None,
                            raffle: None,
                            at,
                            days: 60,
                        })
                        .await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
