//! The money books: transactions, box purchases, credits, notices and the audit trail, written as the simulation runs.

use chrono::{DateTime, Duration, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{DbErr, EntityTrait};
use seedbed_raffle::enums::*;
use seedbed_raffle::*;
use serde_json::json;

use super::DOMAIN;
use super::generator::Gen;
use super::people::{AGENTS, doc_ip};
use crate::Ctx;
use crate::stream::{DAY, Ids, Rng, cents};
use crate::writer::Sink;

/// The pending rows of one money table and its key sequence.
pub(super) struct Book<E: EntityTrait> {
    pub(super) rows: Sink<E>,
    pub(super) ids: Ids,
}

impl<E: EntityTrait> Book<E> {
    fn new(ctx: &Ctx<'_>, base: DateTime<Utc>) -> Self {
        Book { rows: Sink::new(ctx.encoding), ids: Ids::new(base) }
    }
}

/// The tables the simulation writes as it goes, with their streams: box purchases draw from
/// the transactions' stream.
pub(super) struct Ledger {
    pub(super) transactions: Book<transactions::Entity>,
    pub(super) purchases: Book<box_purchases::Entity>,
    pub(super) credits: Book<user_credits::Entity>,
    pub(super) notifications: Book<notifications::Entity>,
    pub(super) audit: Book<audit_logs::Entity>,
    pub(super) tx_rng: Rng,
    pub(super) credit_rng: Rng,
    pub(super) notification_rng: Rng,
    pub(super) audit_rng: Rng,
}

impl Ledger {
    /// Shows the books' tables in the progress display, once a run (sizes unknown until
    /// the money is simulated).
    pub(super) fn announce(&self, ctx: &Ctx<'_>) {
        let _ = ctx.sink::<transactions::Entity>(0);
        let _ = ctx.sink::<box_purchases::Entity>(0);
        let _ = ctx.sink::<user_credits::Entity>(0);
        let _ = ctx.sink::<notifications::Entity>(0);
        let _ = ctx.sink::<audit_logs::Entity>(0);
    }

    pub(super) fn new(ctx: &Ctx<'_>, base: DateTime<Utc>) -> Self {
        Ledger {
            transactions: Book::new(ctx, base),
            purchases: Book::new(ctx, base),
            credits: Book::new(ctx, base),
            notifications: Book::new(ctx, base),
            audit: Book::new(ctx, base),
            tx_rng: ctx.streams.rng(DOMAIN, "transactions"),
            credit_rng: ctx.streams.rng(DOMAIN, "user_credits"),
            notification_rng: ctx.streams.rng(DOMAIN, "notifications"),
            audit_rng: ctx.streams.rng(DOMAIN, "audit_logs"),
        }
    }
}

/// One store credit: to `user`, from `source`, `amount` cents, for an item or a raffle,
/// issued `at` and valid for `days`.
pub(super) struct Credit {
    pub(super) user: usize,
    pub(super) source: CreditSource,
    pub(super) amount: i64,
    pub(super) item: Option<Uuid>,
    pub(super) raffle: Option<Uuid>,
    pub(super) at: DateTime<Utc>,
    pub(super) days: i64,
}

impl Gen<'_, '_> {
    /// Flushes the money tables, parents first.
    pub(super) async fn flush_money(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        ctx.flush(&mut self.ledger.transactions.rows).await?;
        ctx.flush(&mut self.ledger.purchases.rows).await?;
        ctx.flush(&mut self.ledger.credits.rows).await?;
        ctx.flush(&mut self.ledger.notifications.rows).await?;
        ctx.flush(&mut self.ledger.audit.rows).await
    }

    pub(super) async fn transaction(
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
        let id = self.ledger.transactions.ids.next(&mut self.ledger.tx_rng);
        let external = matches!(kind, TransactionType::Deposit | TransactionType::Withdrawal);
        let row = transactions::Model {
            id,
            user_id: u.id,
            kind,
            amount: cents(amount),
            balance_after: cents(u.balance),
            raffle_id: raffle,
            reference: external.then(|| format!("psp_{}", self.ledger.tx_rng.hex(24))),
            description: Some(description),
            created_at: at,
        };
        if self.ledger.transactions.rows.push(&row) {
            self.flush_money().await?;
        }
        Ok(id)
    }

    pub(super) async fn notify(
        &mut self,
        user: usize,
        kind: NotificationType,
        title: String,
        body: String,
        at: DateTime<Utc>,
        data: Option<serde_json::Value>,
    ) -> Result<(), DbErr> {
        let rng = &mut self.ledger.notification_rng;
        let read = (at < self.now - Duration::hours(1) && rng.percent(65))
            .then(|| at + rng.seconds(60, 3 * DAY))
            .filter(|t| *t <= self.now);
        let row = notifications::Model {
            id: self.ledger.notifications.ids.next(rng),
            user_id: self.users[user].id,
            kind,
            title,
            body,
            data,
            read_at: read,
            created_at: at,
        };
        if self.ledger.notifications.rows.push(&row) {
            self.flush_money().await?;
        }
        Ok(())
    }

    pub(super) async fn log(
        &mut self,
        user: Option<usize>,
        action: &str,
        entity: &str,
        entity_id: Uuid,
        at: DateTime<Utc>,
        details: serde_json::Value,
    ) -> Result<(), DbErr> {
        let rng = &mut self.ledger.audit_rng;
        let row = audit_logs::Model {
            id: self.ledger.audit.ids.next(rng),
            user_id: user.map(|u| self.users[u].id),
            action: action.into(),
            entity_type: entity.into(),
            entity_id: Some(entity_id.to_string()),
            details: Some(details),
            ip_address: user.map(|_| doc_ip(rng)),
            user_agent: user.map(|_| rng.pick(&AGENTS).to_string()),
            created_at: at,
        };
        if self.ledger.audit.rows.push(&row) {
            self.flush_money().await?;
        }
        Ok(())
    }

    pub(super) async fn credit(&mut self, c: Credit) -> Result<(), DbErr> {
        let Credit { user, source, amount, item, raffle, at, days } = c;
        let rng = &mut self.ledger.credit_rng;
        let expires = at + Duration::days(days);
        let spent = if rng.percent(30) { rng.between(0, amount) } else { 0 };
        let expiring = expires > self.now && expires < self.now + Duration::days(7);
        // The first credit about to expire is kept whole, so that its reminder goes out.
        let spent = if expiring && !self.covered.credit_expiring { 0 } else { spent };
        let row = user_credits::Model {
            id: self.ledger.credits.ids.next(rng),
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
        if self.ledger.credits.rows.push(&row) {
            self.flush_money().await?;
        }
        if expiring && amount > spent {
            self.covered.credit_expiring = true;
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
    pub(super) async fn ensure_funds(
        &mut self,
        user: usize,
        cost: i64,
        at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if self.users[user].balance >= cost {
            return Ok(());
        }
        let short = cost - self.users[user].balance;
        let amount = (short + 999) / 1000 * 1000 + self.ledger.tx_rng.between(0, 10) * 500;
        let id =
            self.transaction(user, TransactionType::Deposit, amount, at, None, "Card top-up".into()).await?;
        if self.ledger.tx_rng.percent(25) {
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
        if !self.covered.deposit_credit || (amount >= 5000 && self.ledger.credit_rng.percent(10)) {
            self.covered.deposit_credit = true;
            self.credit(Credit {
                user,
                source: CreditSource::Deposit,
                amount: 200,
                item: None,
                raffle: None,
                at,
                days: 60,
            })
            .await?;
        }
        Ok(())
    }
}
