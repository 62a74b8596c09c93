//! Accounts: customers, providers and admins, with their addresses.

use super::*;

impl Gen<'_, '_> {
    pub(super) async fn users(&mut self) -> Result<(), DbErr> {
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
            self.first_names.push(first);
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
}
