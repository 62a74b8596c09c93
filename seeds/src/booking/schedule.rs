//! Bookings from request to completion or cancellation, their ratings, and the providers' rating summaries.

use super::*;

impl Gen<'_, '_> {
    pub(super) async fn bookings(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("bookings"), self.ids());
        let mut words = self.rng("bookings/text");
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
        // Cancellations so far: the first three cover who cancels, the first is accepted
        // before it is cancelled (so its reminder is a cancelled one).
        let mut cancellations = 0;
        for i in 0..n {
            let customer = pool.pick(&mut rng);
            // A provider of the customer's city (every city the platform serves has one).
            let nearby = self.offers_by_city.get(&self.people[customer].city);
            let offer = &self.offers[match nearby {
                Some(offers) => *rng.pick(offers),
                None => rng.below(self.offers.len()),
            }];
            let zone = self.people[customer].home().zone;
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
                    // Two more cancellations among the first rows (weight 0: only then), so
                    // that every party who can cancel does so even in tiny data.
                    (BookingStatus::Cancelled, 0),
                    (BookingStatus::Cancelled, 0),
                ],
            );
            let joined = self.people[customer]
                .created
                .max(self.people[self.providers[offer.provider].1].created + Duration::days(2));
            // Appointments keep local working hours; requests come in when customers are about.
            let visit = |rng: &mut Rng, from, to| self.rhythm.time_with(rng, from, to, zone, &WORKING_HOURS);
            let start = match status {
                BookingStatus::Completed => {
                    visit(&mut rng, joined + Duration::days(3), now - Duration::days(1))
                }
                BookingStatus::Cancelled => {
                    visit(&mut rng, joined + Duration::days(3), now + Duration::days(20))
                }
                BookingStatus::InProgress => now - rng.seconds(600, (minutes * 60 / 2).max(601)),
                BookingStatus::Accepted => {
                    visit(&mut rng, now + Duration::hours(1), now + Duration::days(30))
                }
                BookingStatus::Requested => {
                    visit(&mut rng, now + Duration::days(1), now + Duration::days(30))
                }
            };
            let (earliest, latest) = (
                joined.max(start - Duration::days(14)),
                (start - Duration::days(1)).min(now - Duration::minutes(30)),
            );
            let created = if earliest < latest {
                self.rhythm.time(&mut rng, earliest, latest, zone)
            } else {
                (start - rng.seconds(DAY, 14 * DAY)).max(joined).min(now - Duration::minutes(30))
            };
            let end = start + Duration::minutes(minutes);
            let accepts = matches!(
                status,
                BookingStatus::Accepted | BookingStatus::InProgress | BookingStatus::Completed
            ) || (status == BookingStatus::Cancelled
                && (cancellations == 0 || rng.percent(50)));
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
                cancellations += 1;
                rng.cover(
                    cancellations - 1,
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
                    notes: rng.percent(30).then(|| super::text::notes(&mut words, SERVICES[offer.service].1)),
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
                service: offer.service,
                created,
                start,
                accepted,
                completed,
                cancelled,
            });
        }
        ctx.close(&mut sink).await
    }

    pub(super) async fn ratings(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("ratings"), self.ids());
        let mut words = self.rng("ratings/text");
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
                    review: rng.percent(60).then(|| {
                        let provider = &self.first_names[self.providers[b.provider].1];
                        super::text::review(&mut words, score, provider, SERVICES[b.service].0)
                    }),
                    created_at: (done + rng.seconds(600, 3 * DAY)).min(self.now),
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await
    }

    /// Providers' ratings summarise their ratings: once, after every cell's are written
    /// ([`Seeder::finish`]).
    pub(super) fn rating_summaries(backend: DbBackend) -> Statement {
        if backend == DbBackend::Postgres {
            // Ratings grouped once and joined, rather than two index probes per provider (the
            // self-join keeps providers without ratings, as the correlated form does).
            let sql = "UPDATE provider_profiles pp SET rating_count = COALESCE(r.n, 0), rating_average = r.average \
                       FROM provider_profiles x LEFT JOIN (SELECT provider_id, COUNT(*) AS n, ROUND(AVG(score), 2) AS average \
                       FROM ratings WHERE provider_id IS NOT NULL GROUP BY provider_id) r ON r.provider_id = x.id \
                       WHERE pp.id = x.id";
            return Statement::from_string(backend, sql);
        }
        let sql = "UPDATE provider_profiles SET \
                   rating_count = (SELECT COUNT(*) FROM ratings r WHERE r.provider_id = provider_profiles.id), \
                   rating_average = (SELECT ROUND(AVG(r.score), 2) FROM ratings r WHERE r.provider_id = provider_profiles.id)";
        Statement::from_string(backend, sql)
    }
}
