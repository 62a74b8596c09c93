//! Accounts: users, their e-mail and password tokens, and their sessions.

use chrono::{DateTime, Duration, Utc};
use sea_orm::DbErr;
use sea_orm::prelude::{Decimal, Uuid};
use seedbed_raffle::enums::*;
use seedbed_raffle::*;
use serde_json::json;

use super::generator::Gen;
use super::{ADMIN_EMAIL, CUSTOMER_EMAIL, DOMAIN, SELLER_EMAIL};
use crate::places::{Settler, Zone, cities};
use crate::stream::{DAY, Ids, Rng, email, zipf_weights};

pub(super) const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
    "RaffleApp/3.2 (Android 15)",
];

/// An address from the ranges reserved for documentation (RFC 5737).
pub(super) fn doc_ip(rng: &mut Rng) -> String {
    let net = ["192.0.2", "198.51.100", "203.0.113"][rng.below(3)];
    format!("{net}.{}", rng.between(1, 254))
}

pub(super) struct User {
    pub(super) id: Uuid,
    pub(super) created: DateTime<Utc>,
    pub(super) role: UserRole,
    pub(super) balance: i64,
    /// The time zone of their home city: when they are about.
    pub(super) zone: &'static Zone,
}

impl Gen<'_, '_> {
    pub(super) async fn users(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let n = self.opts().count(16, 1000).max(4);
        let mut rng = ctx.streams.rng(DOMAIN, "users");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<users::Entity>(n as u64);
        let oldest = self.now - Duration::days(365);
        // Homes from a stream of their own; a phone number, when there is one, is local.
        let mut homes = ctx.streams.rng(DOMAIN, "homes");
        let mut settler = Settler::in_cell(cities().len(), ctx.cell);
        for i in 0..n {
            let id = ids.next(&mut rng);
            let (city, phone) = if homes.percent(60) {
                let (city, phone) = settler.home_with_phone(&mut homes).ok_or_else(|| {
                    DbErr::Custom("every fictional phone number is taken: seed fewer users".into())
                })?;
                (city, Some(phone))
            } else {
                (settler.home(&mut homes), None)
            };
            let zone = cities()[city].zone;
            let (first, last) = (rng.first_name(), rng.last_name());
            // Numbered across cells: no two cells make the same address.
            let generated = email(&first, &last, ctx.cell.number(i));
            // The first three are the cell's admin, seller and keen customer: in cell 0 the
            // documented accounts, elsewhere people like any other.
            let documented =
                |address: &str| if ctx.cell.is_first() { address.to_owned() } else { generated.clone() };
            let (address, role, created) = match i {
                0 => (documented(ADMIN_EMAIL), UserRole::Admin, oldest),
                1 => (documented(SELLER_EMAIL), UserRole::Seller, oldest),
                2 => (documented(CUSTOMER_EMAIL), UserRole::User, oldest),
                _ => (
                    generated,
                    rng.cover(
                        i - 3,
                        &[
                            (UserRole::Operator, 2),
                            (UserRole::Seller, 9),
                            (UserRole::User, 87),
                            (UserRole::Admin, 1),
                        ],
                    ),
                    self.rhythm.time(&mut rng, oldest, self.now - Duration::days(30), zone),
                ),
            };
            let verified = (i < 3 || rng.percent(85)).then(|| created + rng.seconds(60, 6 * 3600));
            let last_login =
                (i < 3 || rng.percent(80)).then(|| self.rhythm.time(&mut rng, created, self.now, zone));
            let _ = sink.push(&users::Model {
                id,
                email: address,
                password_hash: ctx.password_hash.to_owned(),
                display_name: format!("{first} {last}"),
                phone,
                role,
                wallet_address: format!("rw_{}", rng.hex(40)),
                balance: Decimal::ZERO,
                is_active: i < 3 || rng.percent(97),
                email_verified_at: verified,
                last_login_at: last_login,
                created_at: created,
                updated_at: last_login.unwrap_or(created).max(created),
            });
            self.users.push(User { id, created, role, balance: 0, zone });
        }
        ctx.close(&mut sink).await?;
        Ok(())
    }

    pub(super) async fn tokens(&mut self) -> Result<(), DbErr> {
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
            let created = self.rhythm.time(&mut rng, u.created, self.now - Duration::hours(2), u.zone);
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

    pub(super) async fn sessions(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let mut rng = ctx.streams.rng(DOMAIN, "user_sessions");
        let mut ids = Ids::new(self.now - Duration::days(450));
        let mut sink = ctx.sink::<user_sessions::Entity>(self.users.len() as u64 * 2);
        let weights = zipf_weights(&mut rng, self.users.len());
        let accounts: Vec<(Uuid, DateTime<Utc>, &Zone)> =
            self.users.iter().map(|u| (u.id, u.created, u.zone)).collect();
        for (i, (user_id, user_created, zone)) in accounts.into_iter().enumerate() {
            let n =
                if i < 3 { 2 } else { (weights[i] / 200_000).min(6) as usize + usize::from(rng.percent(60)) };
            for k in 0..n {
                let created = self.rhythm.time(&mut rng, user_created, self.now - Duration::minutes(5), zone);
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
        self.flush_money().await?;
        ctx.close(&mut self.ledger.audit.rows).await
    }
}
