//! The catalogue: services, provider profiles and the services each provider offers.

use super::*;

impl Gen<'_, '_> {
    pub(super) async fn catalogue(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        // The reference catalogue, the rows `seed --reference-only` inserts into an empty
        // domain, whole at every profile: every environment needs all of it. Every cell
        // offers and books its services by their keys; one writes them (none in a sharded
        // seeding, where each shard upserts them first).
        let rows = super::reference::services(self.now);
        let writes = ctx.writes_reference;
        let expected = if writes { (rows.len() as u64).div_ceil(u64::from(ctx.cell.count)) } else { 0 };
        let mut sink = ctx.sink::<services_master::Entity>(expected);
        for row in &rows {
            if writes {
                ctx.put(&mut sink, row).await?;
            }
            self.services.push(row.id);
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("provider_profiles"), self.ids());
        let mut words = self.rng("provider_profiles/text");
        let mut sink = ctx.sink::<provider_profiles::Entity>(0);
        for (i, p) in self.people.iter().enumerate() {
            if p.role != UserRole::Provider {
                continue;
            }
            let status = if i == 1 {
                VerificationStatus::Verified
            } else {
                rng.cover(
                    self.providers.len().saturating_sub(1),
                    &[
                        (VerificationStatus::Pending, 10),
                        (VerificationStatus::Rejected, 5),
                        (VerificationStatus::Verified, 85),
                    ],
                )
            };
            let id = ids.next(&mut rng);
            let at = p.created + rng.seconds(3600, 5 * DAY);
            let business_name = rng.percent(70).then(|| rng.company());
            let has_bio = rng.percent(80);
            let experience_years = rng.between(0, 30) as i32;
            let is_available = rng.percent(85);
            // Wide enough for the whole of their city: both ends of a booking lie within the
            // city's radius of its centre.
            let service_radius_km = rng.between((2 * p.home().radius_km + 1).max(5), 60) as i32;
            let bio = has_bio.then(|| {
                let first = &self.first_names[i];
                super::text::bio(
                    &mut words,
                    first,
                    business_name.as_deref(),
                    experience_years,
                    service_radius_km,
                )
            });
            ctx.put(
                &mut sink,
                &provider_profiles::Model {
                    id,
                    user_id: p.id,
                    business_name,
                    bio,
                    experience_years,
                    verification_status: status,
                    rating_average: None,
                    rating_count: 0,
                    is_available,
                    service_radius_km,
                    created_at: at,
                    updated_at: at,
                },
            )
            .await?;
            self.providers.push((id, i));
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("provider_services"), self.ids());
        let mut sink = ctx.sink::<provider_services::Entity>(0);
        for provider in 0..self.providers.len() {
            let count = rng.between(2, 5.min(self.services.len() as i64)) as usize;
            let first = rng.below(self.services.len());
            for k in 0..count {
                let service = (first + k) % self.services.len();
                let base = SERVICES[service].2;
                let price = base * rng.between(85, 130) / 100 / 100 * 100;
                ctx.put(
                    &mut sink,
                    &provider_services::Model {
                        id: ids.next(&mut rng),
                        provider_id: self.providers[provider].0,
                        service_id: self.services[service],
                        price: cents(price.max(100)),
                        is_active: k == 0 || rng.percent(90),
                        created_at: self.people[self.providers[provider].1].created + Duration::days(1),
                        updated_at: self.people[self.providers[provider].1].created + Duration::days(1),
                    },
                )
                .await?;
                let city = self.people[self.providers[provider].1].city;
                self.offers_by_city.entry(city).or_default().push(self.offers.len());
                self.offers.push(Offer { provider, service, price: price.max(100) });
            }
        }
        ctx.close(&mut sink).await
    }
}
