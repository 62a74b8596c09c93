//! Version 1.4.0's data: the plans, each player's subscriptions and the ledger entries that
//! paid their periods, and which draws are premium.
//!
//! Subscriptions follow from what the earlier tables already say: a VIP player holds one
//! active subscription (the admin on the legacy plan, as the migration's backfill gives it),
//! and whoever entered a premium draw held a subscription over that entry (lapsed by now,
//! unless they are VIP). Payments are appended to the ledger with their own stream, each
//! beside the coin purchase that funded it, so a balance never dips and the earlier rows stay.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::DbErr;
use seedbed_draw::enums::{SubscriptionStatus, TransactionType};
use seedbed_draw::{plans, subscription_payments, subscriptions, transactions};

use super::{DOMAIN, Plan, World};
use crate::Ctx;
use crate::cells::Cell;
use crate::stream::{DAY, Rng};

pub use super::reference::PLANS;
const TRIAL: usize = 0;
const MONTHLY: usize = 1;
const YEARLY: usize = 2;
const LEGACY: usize = 3;

/// Which draws are premium: some past draws, announced a month after the oldest players
/// joined and drawn more than 40 days ago (so a non-VIP entrant's subscription has lapsed by
/// now), never the draw of the first entry of all (key 1 of participations).
pub(super) fn premium_draws(
    ctx: &Ctx<'_>,
    draws: &[Plan],
    now: DateTime<Utc>,
    oldest: DateTime<Utc>,
    first_entry: Option<usize>,
) -> Vec<bool> {
    let mut rng = ctx.streams.rng(DOMAIN, "premium_draws");
    let mut any = false;
    draws
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let eligible = d.past
                && d.created > oldest + Duration::days(30)
                && d.draw_time < now - Duration::days(40)
                && Some(i) != first_entry;
            let premium = eligible && (!any || rng.percent(15));
            any |= premium;
            premium
        })
        .collect()
}

/// Rows of the premium tables, and the ledger entries they add.
pub(super) struct Premium {
    subscriptions: Vec<subscriptions::Model>,
    payments: Vec<subscription_payments::Model>,
    pub ledger: Vec<transactions::Model>,
}

struct Builder<'a> {
    cell: Cell,
    w: &'a World<'a>,
    next_tx: &'a mut i32,
    out: Premium,
}

impl Builder<'_> {
    /// A subscription of `user` to `plan` from `start`, for `periods` periods, with every paid
    /// period in the ledger.
    fn subscribe(
        &mut self,
        user: usize,
        plan: usize,
        start: DateTime<Utc>,
        periods: i64,
        status: SubscriptionStatus,
        rng: &mut Rng,
    ) {
        let (_, name, price, days, _) = PLANS[plan];
        let id = self.cell.key32(self.out.subscriptions.len() as i32 + 1);
        let period = Duration::days(days as i64);
        let player = &self.w.players[user];
        for k in 0..periods {
            if price == 0 {
                break;
            }
            let at = start + period * k as i32;
            for (kind, amount, text) in [
                (TransactionType::CoinPurchase, price, format!("{price} coins for {name}")),
                (TransactionType::SubscriptionPayment, -price, format!("{name}, period {}", k + 1)),
            ] {
                self.out.ledger.push(transactions::Model {
                    id: self.cell.key32(*self.next_tx),
                    user_id: player.id.clone(),
                    kind,
                    amount,
                    description: Some(text),
                    draw_id: None,
                    created_at: at,
                });
                *self.next_tx += 1;
            }
            self.out.payments.push(subscription_payments::Model {
                id: self.cell.key32(self.out.payments.len() as i32 + 1),
                subscription_id: id,
                transaction_id: self.cell.key32(*self.next_tx - 1),
                period_start: at,
                period_end: at + period,
            });
        }
        let period_start = start + period * (periods - 1) as i32;
        let period_end = period_start + period;
        let cancelled = (status == SubscriptionStatus::Cancelled)
            .then(|| rng.time_between(period_start, period_end - Duration::hours(1)));
        self.out.subscriptions.push(subscriptions::Model {
            id,
            user_id: player.id.clone(),
            plan_id: plan as i32 + 1,
            status,
            started_at: start,
            period_start,
            period_end,
            renewals: periods as i32 - 1,
            auto_renew: status == SubscriptionStatus::Active,
            cancelled_at: cancelled,
            active_user_id: (status == SubscriptionStatus::Active).then(|| player.id.clone()),
            created_at: start,
            updated_at: cancelled.unwrap_or(period_start),
        });
    }
}

/// Periods of `days` from `start` needed to reach past `until`.
fn periods_to(start: DateTime<Utc>, until: DateTime<Utc>, days: i32) -> i64 {
    (until - start).num_seconds().max(0) / (days as i64 * DAY) + 1
}

/// Plans every subscription and payment; `next_tx` is the cell's next ledger entry (1-based).
pub(super) fn plan(ctx: &Ctx<'_>, w: &World<'_>, next_tx: &mut i32) -> Premium {
    let mut rng = ctx.streams.rng(DOMAIN, "subscriptions");
    // The span of each player's entries to premium draws.
    let mut needs: BTreeMap<usize, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    for (d, p, at) in w.entries {
        if w.draws[*d].premium {
            let span = needs.entry(*p).or_insert((*at, *at));
            span.0 = span.0.min(*at);
            span.1 = span.1.max(*at);
        }
    }
    let mut b = Builder {
        cell: ctx.cell,
        w,
        next_tx,
        out: Premium { subscriptions: Vec::new(), payments: Vec::new(), ledger: Vec::new() },
    };
    let mut lapsed = 0;
    for (i, p) in w.players.iter().enumerate() {
        let need = needs.get(&i).copied();
        // A start before the first premium entry (or any time), never before signing up.
        let start = |rng: &mut Rng, latest: DateTime<Utc>| match need {
            Some((first, _)) => (first - rng.seconds(3600, 3 * DAY)).max(p.created),
            None => rng.time_between(p.created, latest),
        };
        if ctx.cell.is_first() && i == 0 {
            // The admin tried Premium first, then has been VIP ever since: key 1 is a lapsed
            // free subscription, and the active one is the legacy plan's.
            let trial = Duration::days(PLANS[TRIAL].3 as i64);
            b.subscribe(i, TRIAL, p.created, 1, SubscriptionStatus::Expired, &mut rng);
            let from = p.created + trial;
            let periods = periods_to(from, w.now, PLANS[LEGACY].3);
            b.subscribe(i, LEGACY, from, periods, SubscriptionStatus::Active, &mut rng);
        } else if p.vip {
            let plan = if rng.percent(30) { YEARLY } else { MONTHLY };
            let from = start(&mut rng, w.now - Duration::days(1));
            let periods = periods_to(from, w.now, PLANS[plan].3);
            b.subscribe(i, plan, from, periods, SubscriptionStatus::Active, &mut rng);
        } else if need.is_some() || (p.created < w.now - Duration::days(60) && (i == 3 || rng.percent(4))) {
            // Lapsed: over by now (premium draws are over 40 days old, one period is 30).
            let from = start(&mut rng, w.now - Duration::days(60));
            let until = need.map_or(from, |(_, last)| last);
            let periods = periods_to(from, until, PLANS[MONTHLY].3);
            let status =
                rng.cover(lapsed, &[(SubscriptionStatus::Cancelled, 30), (SubscriptionStatus::Expired, 70)]);
            lapsed += 1;
            b.subscribe(i, MONTHLY, from, periods, status, &mut rng);
        }
    }
    b.out
}

/// Writes the plans and the subscriptions (their ledger entries are already written).
pub(super) async fn write(ctx: &Ctx<'_>, w: &World<'_>, p: Premium) -> Result<(), DbErr> {
    // The reference plans, the same rows `seed --reference-only` writes.
    super::reference::write::<plans::Entity>(ctx, super::reference::plans(w.now)).await?;
    let mut sink = ctx.sink::<subscriptions::Entity>(p.subscriptions.len() as u64);
    for row in &p.subscriptions {
        ctx.put(&mut sink, row).await?;
    }
    ctx.close(&mut sink).await?;
    let mut sink = ctx.sink::<subscription_payments::Entity>(p.payments.len() as u64);
    for row in &p.payments {
        ctx.put(&mut sink, row).await?;
    }
    ctx.close(&mut sink).await
}
