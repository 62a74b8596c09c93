//! Accounts: customers, providers and admins, with their addresses.
//!
//! The platform operates in the largest cities of the gazetteer, more of them as it has
//! more users (two at tiny); everyone lives in one of them, and each of those cities has a
//! provider, so customers always book near home.
//!
//! Every cell ([`crate::cells`]) is such a platform of its own: its first three users are
//! an admin, a provider and a customer (the documented accounts in cell 0, ordinary ones
//! elsewhere), its own providers open its cities, and its e-mail addresses and phone
//! numbers are numbered by the cell, so no other cell has them.

use super::*;

impl Gen<'_, '_> {
    pub(super) async fn users(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let n = ctx.opts.count(20, 1000).max(6);
        let (mut rng, mut ids) = (self.rng("users"), self.ids());
        let mut sink = ctx.sink::<users::Entity>(n as u64);
        let oldest = self.now - Duration::days(365);
        let mut homes = self.rng("homes");
        let mut settler = Settler::in_cell((n / 60).max(2), ctx.cell);
        let mut providers = 0;
        for i in 0..n {
            let (first, last) = (rng.first_name(), rng.last_name());
            // The documented accounts: the first three users of cell 0, who can always sign in.
            let documented = i < 3 && ctx.cell.is_first();
            let address = match i {
                0 if documented => ADMIN_EMAIL.to_owned(),
                1 if documented => PROVIDER_EMAIL.to_owned(),
                2 if documented => CUSTOMER_EMAIL.to_owned(),
                _ => email(&first, &last, ctx.cell.number(i)),
            };
            let role = match i {
                0 => UserRole::Admin,
                1 => UserRole::Provider,
                2 => UserRole::Customer,
                _ => rng.cover(
                    i - 3,
                    // A second provider early on: tiny data shows every verification status.
                    &[
                        (UserRole::Provider, 14),
                        (UserRole::Customer, 84),
                        (UserRole::Admin, 2),
                        (UserRole::Provider, 0),
                    ],
                ),
            };
            // The first providers open the cities, one each; everyone else settles by size.
            let opening = (role == UserRole::Provider && providers < settler.len()).then_some(providers);
            providers += usize::from(role == UserRole::Provider);
            let (city, phone) = match opening.and_then(|c| settler.phone(c).map(|p| (c, p))) {
                Some(home) => home,
                None => settler.home_with_phone(&mut homes).ok_or_else(|| {
                    DbErr::Custom("every fictional phone number is taken: seed fewer users".into())
                })?,
            };
            let zone = cities()[city].zone;
            let created = if documented {
                oldest
            } else {
                self.rhythm.time(&mut rng, oldest, self.now - Duration::days(20), zone)
            };
            let id = ids.next(&mut rng);
            let login =
                (documented || rng.percent(85)).then(|| self.rhythm.time(&mut rng, created, self.now, zone));
            ctx.put(
                &mut sink,
                &users::Model {
                    id,
                    email: address,
                    phone,
                    full_name: format!("{first} {last}"),
                    password_hash: (documented || rng.percent(70)).then(|| ctx.password_hash.to_owned()),
                    role,
                    is_verified: documented || rng.percent(90),
                    is_active: documented || rng.percent(97),
                    profile_picture_url: rng
                        .percent(50)
                        .then(|| format!("https://img.example.com/people/{}.jpg", rng.hex(12))),
                    last_login_at: login,
                    created_at: created,
                    updated_at: login.unwrap_or(created),
                },
            )
            .await?;
            self.people.push(Person { id, created, role, addresses: Vec::new(), city });
            self.first_names.push(first);
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("addresses"), self.ids());
        let mut sink = ctx.sink::<addresses::Entity>(n as u64 * 3 / 2);
        for (i, p) in self.people.iter_mut().enumerate() {
            // Customers have one to three addresses, providers their business address.
            let count = match p.role {
                UserRole::Customer if i == 2 => 2,
                UserRole::Customer => rng.between(1, 3) as usize,
                UserRole::Provider => 1,
                UserRole::Admin => continue,
            };
            let home = p.home();
            for k in 0..count {
                let id = ids.next(&mut rng);
                let positioned = p.role == UserRole::Provider || rng.percent(80);
                let (latitude, longitude) = home.point(&mut rng);
                let address_type = if p.role == UserRole::Provider {
                    AddressType::Work
                } else {
                    rng.cover(
                        i * 3 + k,
                        &[(AddressType::Home, 70), (AddressType::Work, 20), (AddressType::Other, 10)],
                    )
                };
                ctx.put(
                    &mut sink,
                    &addresses::Model {
                        id,
                        user_id: p.id,
                        address_type,
                        line1: rng.street(),
                        line2: rng.percent(25).then(|| format!("Apt {}", rng.between(1, 40))),
                        city: home.name.into(),
                        state: home.state.into(),
                        postal_code: home.postal_code(&mut rng),
                        country: home.country.into(),
                        latitude: positioned.then(|| Decimal::new(latitude, 6)),
                        longitude: positioned.then(|| Decimal::new(longitude, 6)),
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
