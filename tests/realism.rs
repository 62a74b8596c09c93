//! Realism: seeded data looks like a live system. Places agree (an address's postal code is
//! one of its city's, its point lies within the city's radius, a phone number is local, a
//! time zone is the home city's, a provider works near the customers it visits) and time
//! breathes (evening over night in local time, a busiest UTC hour, sign-ups that grow,
//! activity that stays heavy-tailed).
//!
//! The checks read the `dev` seed that `seeding::every_check_passes_on_tiny_and_dev` makes on
//! every backend, so they cost no seeding of their own. The place checks hold for any
//! profile: below, each catches one corrupted row of tiny data. The statistics are pure
//! functions, specified below on data made to pass and to fail.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use sea_orm::prelude::Decimal;
use sea_orm::{DatabaseConnection, EntityTrait};
use seedbed_seeds::places::{self, City, Zone};
use seedbed_seeds::rhythm::{EVENING, NIGHT};

/// The figures of draw entries per user at `dev` with seed 42 before times and places were
/// shaped (issue 18): a floor the heavy tail keeps.
const DRAW_ENTRIES_FLOOR: Tail = Tail { p99: 143, max: 281 };

/// Every realism check of `domain` that fails, one line each with examples.
pub async fn failures(db: &DatabaseConnection, domain: &str, seed: u64) -> Vec<String> {
    let mut found = match domain {
        "raffle" => raffle(db, false).await,
        "draw" => draw(db, seed).await,
        "booking" => booking(db, false).await,
        _ => Vec::new(),
    };
    found.retain(|f| !f.is_empty());
    found
}

/// The place checks of `domain` that fail: they hold at every profile, tiny included.
pub async fn place_failures(db: &DatabaseConnection, domain: &str) -> Vec<String> {
    let mut found = match domain {
        "raffle" => raffle(db, true).await,
        "booking" => booking(db, true).await,
        _ => Vec::new(),
    };
    found.retain(|f| !f.is_empty());
    found
}

async fn raffle(db: &DatabaseConnection, places_only: bool) -> Vec<String> {
    use seedbed_raffle::{box_purchases, users};
    let users = users::Entity::find().all(db).await.unwrap();
    let mut bad_phones = Vec::new();
    let mut zone_of = BTreeMap::new();
    for u in &users {
        let Some(phone) = &u.phone else { continue };
        match places::zone_of_phone(phone).filter(|_| phone.get(5..8) == Some("555")) {
            Some(zone) => {
                zone_of.insert(u.id, zone);
            }
            None => bad_phones.push(format!("{} {phone}", u.email)),
        }
    }
    let phones = listed(
        "raffle: phone numbers not local and fictional (+1, an area code of the gazetteer, 555)",
        &bad_phones,
    );
    if places_only {
        return vec![phones];
    }
    let purchases = box_purchases::Entity::find().all(db).await.unwrap();
    // Local time for the buyers whose number tells where they live.
    let acts: Vec<_> =
        purchases.iter().filter_map(|p| zone_of.get(&p.user_id).map(|z| (p.purchased_at, *z))).collect();
    let mut per_buyer = BTreeMap::<_, u64>::new();
    for p in &purchases {
        *per_buyer.entry(p.user_id).or_default() += 1;
    }
    vec![
        phones,
        daily_cycle("raffle box purchases", &acts).unwrap_or_default(),
        growth("raffle sign-ups", &users.iter().map(|u| u.created_at).collect::<Vec<_>>())
            .unwrap_or_default(),
        heavy_tail("raffle box purchases per buyer", per_buyer.into_values().collect(), None)
            .unwrap_or_default(),
    ]
}

async fn draw(db: &DatabaseConnection, seed: u64) -> Vec<String> {
    use seedbed_draw::{participations, users};
    let users = users::Entity::find().all(db).await.unwrap();
    let entries = participations::Entity::find().all(db).await.unwrap();
    // Players have no address: their home city is derived from their id, as the seeder does.
    let zone = |id: &str| places::home_of(seed, "draw", id).zone;
    let acts: Vec<_> = entries.iter().map(|e| (e.participated_at, zone(&e.user_id))).collect();
    let mut per_player = BTreeMap::<_, u64>::new();
    for e in &entries {
        *per_player.entry(e.user_id.clone()).or_default() += 1;
    }
    let floor = (seed == 42 && users.len() == 1000).then_some(DRAW_ENTRIES_FLOOR);
    vec![
        daily_cycle("draw entries", &acts).unwrap_or_default(),
        growth("draw sign-ups", &users.iter().map(|u| u.created_at).collect::<Vec<_>>()).unwrap_or_default(),
        heavy_tail("draw entries per player", per_player.into_values().collect(), floor).unwrap_or_default(),
    ]
}

async fn booking(db: &DatabaseConnection, places_only: bool) -> Vec<String> {
    use seedbed_booking::{addresses, bookings, provider_profiles, user_notification_settings, users};
    let users = users::Entity::find().all(db).await.unwrap();
    let addresses = addresses::Entity::find().all(db).await.unwrap();
    let settings = user_notification_settings::Entity::find().all(db).await.unwrap();
    let profiles = provider_profiles::Entity::find().all(db).await.unwrap();
    let bookings = bookings::Entity::find().all(db).await.unwrap();

    let degrees = |d: Option<Decimal>| d.map(|d| d.to_string().parse::<f64>().unwrap());
    let (mut not_a_place, mut bad_postal, mut too_far) = (Vec::new(), Vec::new(), Vec::new());
    let mut city_of: BTreeMap<_, &City> = BTreeMap::new();
    let mut point_of = BTreeMap::new();
    for a in &addresses {
        let Some(city) = places::find(&a.country, &a.state, &a.city) else {
            not_a_place.push(format!("{}, {}, {}", a.city, a.state, a.country));
            continue;
        };
        if !city.has_postal_code(&a.postal_code) {
            bad_postal.push(format!("{} in {}", a.postal_code, city.name));
        }
        if let (Some(lat), Some(lon)) = (degrees(a.latitude), degrees(a.longitude)) {
            let km = city.distance_km(lat, lon);
            if km > city.radius_km as f64 * 1.01 + 0.05 {
                too_far.push(format!(
                    "{lat}, {lon}: {km:.1} km from {} (radius {} km)",
                    city.name, city.radius_km
                ));
            }
            point_of.insert(a.id, (lat, lon));
        }
        if a.is_default {
            city_of.insert(a.user_id, city);
        }
    }
    let (mut foreign_phone, mut foreign_zone) = (Vec::new(), Vec::new());
    for u in &users {
        let Some(city) = city_of.get(&u.id) else { continue };
        let code: Option<u16> = u.phone.get(2..5).and_then(|c| c.parse().ok());
        if !code.is_some_and(|c| city.area_codes.contains(&c)) {
            foreign_phone.push(format!("{} in {}", u.phone, city.name));
        }
    }
    let zone_of: BTreeMap<_, _> = settings.iter().map(|s| (s.user_id, s.timezone.as_str())).collect();
    for (user, city) in &city_of {
        if zone_of.get(user) != Some(&city.zone.name) {
            foreign_zone.push(format!("{:?} in {}", zone_of.get(user), city.name));
        }
    }
    // Providers visit customers within their service radius, from their business address.
    let provider_user: BTreeMap<_, _> =
        profiles.iter().map(|p| (p.id, (p.user_id, p.service_radius_km))).collect();
    let provider_point: BTreeMap<_, _> =
        addresses.iter().filter_map(|a| point_of.get(&a.id).map(|p| (a.user_id, *p))).collect();
    let mut distant = Vec::new();
    for b in &bookings {
        let (user, radius) = provider_user[&b.provider_id];
        let (Some(at), Some(from)) = (point_of.get(&b.address_id), provider_point.get(&user)) else {
            continue;
        };
        let km = places::distance_km(from.0, from.1, at.0, at.1);
        if km > radius as f64 {
            distant.push(format!("booking {}: {km:.0} km, radius {radius} km", b.id));
        }
    }
    let mut found = vec![
        listed("booking: addresses in no city of the gazetteer", &not_a_place),
        listed("booking: postal codes of another city", &bad_postal),
        listed("booking: points outside their city's radius", &too_far),
        listed("booking: phone numbers without an area code of the user's city", &foreign_phone),
        listed("booking: time zones other than the home city's", &foreign_zone),
        listed("booking: bookings beyond the provider's service radius", &distant),
    ];
    if places_only {
        return found;
    }
    let acts: Vec<_> = bookings
        .iter()
        .filter_map(|b| {
            zone_of.get(&b.customer_id).and_then(|z| places::zone_named(z)).map(|z| (b.created_at, z))
        })
        .collect();
    let mut per_customer = BTreeMap::<_, u64>::new();
    for b in &bookings {
        *per_customer.entry(b.customer_id).or_default() += 1;
    }
    found.extend([
        daily_cycle("booking requests", &acts).unwrap_or_default(),
        growth("booking sign-ups", &users.iter().map(|u| u.created_at).collect::<Vec<_>>())
            .unwrap_or_default(),
        heavy_tail("bookings per customer", per_customer.into_values().collect(), None).unwrap_or_default(),
    ]);
    found
}

/// `what: n (first few)`, or nothing when `bad` is empty.
fn listed(what: &str, bad: &[String]) -> String {
    if bad.is_empty() {
        return String::new();
    }
    format!("{what}: {} ({})", bad.len(), bad.iter().take(3).cloned().collect::<Vec<_>>().join("; "))
}

/// Quiet nights and busy evenings in local time (evening at least 3 × night), and a UTC day
/// whose busiest hour has at least twice the acts of its quietest.
fn daily_cycle(what: &str, acts: &[(DateTime<Utc>, &Zone)]) -> Option<String> {
    let (mut local, mut utc) = ([0u64; 24], [0u64; 24]);
    for (t, zone) in acts {
        local[zone.local(*t).hour() as usize] += 1;
        utc[t.hour() as usize] += 1;
    }
    let evening: u64 = local[EVENING].iter().sum();
    let night: u64 = local[NIGHT].iter().sum();
    let (busiest, quietest) = (*utc.iter().max()?, *utc.iter().min()?);
    let mut wrong = Vec::new();
    if evening < 3 * night || acts.is_empty() {
        wrong.push(format!("evening {evening} < 3 × night {night} (local hours {local:?})"));
    }
    if busiest < 2 * quietest {
        wrong.push(format!("busiest UTC hour {busiest} < 2 × quietest {quietest} (UTC hours {utc:?})"));
    }
    (!wrong.is_empty()).then(|| format!("{what}: {}", wrong.join("; ")))
}

/// More sign-ups as the platform grows: the last full month at least 1.5 × the first.
fn growth(what: &str, signups: &[DateTime<Utc>]) -> Option<String> {
    let mut months = BTreeMap::<(i32, u32), u64>::new();
    for t in signups {
        *months.entry((t.year(), t.month())).or_default() += 1;
    }
    // The months strictly between the first sign-up's and the last's are full.
    let full: Vec<_> = months.iter().skip(1).take(months.len().saturating_sub(2)).collect();
    let (Some(first), Some(last)) = (full.first().filter(|_| full.len() >= 2), full.last()) else {
        return Some(format!("{what}: fewer than two full months to compare ({months:?})"));
    };
    (*last.1 * 2 < *first.1 * 3).then(|| {
        format!(
            "{what}: last full month {:?} has {} < 1.5 × the first {:?}'s {} ({months:?})",
            last.0, last.1, first.0, first.1
        )
    })
}

/// The heavy tail's figures: the 99th percentile and the maximum.
#[derive(Debug, Clone, Copy)]
struct Tail {
    p99: u64,
    max: u64,
}

/// Activity per person stays heavy-tailed: the 99th percentile at least 10 × the median,
/// and at least `floor` where one is known.
fn heavy_tail(what: &str, mut counts: Vec<u64>, floor: Option<Tail>) -> Option<String> {
    counts.sort_unstable();
    let n = counts.len();
    let (median, p99, max) = (*counts.get(n / 2)?, counts[n * 99 / 100], counts[n - 1]);
    let shown = format!("median {median}, p99 {p99}, max {max} over {n}");
    if p99 < 10 * median {
        return Some(format!("{what}: not heavy-tailed: {shown}"));
    }
    let floor = floor?;
    (p99 < floor.p99 || max < floor.max).then(|| format!("{what}: {shown}, below the floor {floor:?}"))
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use seedbed_core::Backend;
    use seedbed_seeds::Profile;

    use super::*;
    use crate::seeding::{options, seeded};
    use crate::util::{TestDb, domains};

    /// One corrupted row per place check, on tiny data: each is reported by its own check,
    /// and by no other.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_place_check_catches_one_corrupted_row() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "booking",
                "UPDATE addresses SET postal_code = '99999' WHERE id = (SELECT MIN(id) FROM addresses WHERE country = 'US')",
                "booking: postal codes of another city: 1",
            ),
            (
                "booking",
                "UPDATE addresses SET latitude = latitude + 1 WHERE id = (SELECT MIN(id) FROM addresses \
                 WHERE latitude IS NOT NULL AND id NOT IN (SELECT address_id FROM bookings) \
                 AND user_id NOT IN (SELECT user_id FROM provider_profiles))",
                "booking: points outside their city's radius: 1",
            ),
            (
                "booking",
                "UPDATE addresses SET city = 'Atlantis' WHERE id = (SELECT MIN(id) FROM addresses)",
                "booking: addresses in no city of the gazetteer: 1",
            ),
            (
                "booking",
                "UPDATE users SET phone = '+19075550000' WHERE id = (SELECT MIN(user_id) FROM addresses WHERE is_default AND state <> 'AK')",
                "booking: phone numbers without an area code of the user's city: 1",
            ),
            (
                "booking",
                "UPDATE user_notification_settings SET timezone = 'Pacific/Honolulu' \
                 WHERE user_id = (SELECT MIN(user_id) FROM addresses WHERE is_default AND state <> 'HI')",
                "booking: time zones other than the home city's: 1",
            ),
            (
                "booking",
                "UPDATE provider_profiles SET service_radius_km = 1 WHERE id = (SELECT MIN(b.provider_id) FROM bookings b \
                 JOIN addresses a ON a.id = b.address_id WHERE a.latitude IS NOT NULL)",
                "booking: bookings beyond the provider's service radius:",
            ),
            (
                "raffle",
                "UPDATE users SET phone = '+19995551234' WHERE id = (SELECT MIN(id) FROM users WHERE phone IS NOT NULL)",
                "raffle: phone numbers not local and fictional (+1, an area code of the gazetteer, 555): 1",
            ),
        ];
        for (domain, corruption, expected) in cases {
            let t = TestDb::new(Backend::Sqlite).await;
            let d = domains().iter().find(|d| d.name == *domain).unwrap();
            let db = seeded(&t, d, options(Profile::Tiny, 42)).await;
            assert_eq!(
                place_failures(&db, domain).await,
                Vec::<String>::new(),
                "{domain}: tiny before corrupting"
            );
            let done = db.execute_raw(Statement::from_string(DbBackend::Sqlite, *corruption)).await.unwrap();
            assert_eq!(done.rows_affected(), 1, "{corruption} corrupted no single row");
            let found = place_failures(&db, domain).await;
            assert!(
                found.len() == 1 && found[0].starts_with(expected),
                "{corruption}\n  expected only: {expected}\n  found: {found:#?}"
            );
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn check_cycle(hours_utc: &[(u32, usize)], expected_ok: bool) {
        let chicago = places::zone_named("America/Chicago").unwrap();
        let acts: Vec<_> = hours_utc
            .iter()
            .flat_map(|(h, n)| std::iter::repeat_n((at(&format!("2025-01-15T{h:02}:30:00Z")), chicago), *n))
            .collect();
        let got = daily_cycle("acts", &acts);
        assert_eq!(got.is_none(), expected_ok, "{hours_utc:?}: {got:?}");
    }

    #[test]
    fn a_daily_cycle_needs_evenings_over_nights_and_a_busiest_hour() {
        // Chicago is UTC-6 in January: 01:00 UTC is 19:00 there, 09:00 UTC is 03:00.
        let flat: Vec<_> = (0..24).map(|h| (h, 10)).collect();
        check_cycle(&flat, false);
        check_cycle(&[(1, 30), (9, 10), (15, 20)], true);
        check_cycle(&[(1, 29), (9, 10), (15, 20)], false);
        check_cycle(&[], false);
    }

    fn check_growth(per_month: &[u64], expected_ok: bool) {
        let signups: Vec<_> = per_month
            .iter()
            .enumerate()
            .flat_map(|(m, n)| {
                std::iter::repeat_n(at(&format!("2025-{:02}-10T12:00:00Z", m + 1)), *n as usize)
            })
            .collect();
        let got = growth("sign-ups", &signups);
        assert_eq!(got.is_none(), expected_ok, "{per_month:?}: {got:?}");
    }

    #[test]
    fn sign_ups_grow_when_the_last_full_month_has_half_as_many_again_as_the_first() {
        check_growth(&[1, 100, 120, 150, 1], true);
        check_growth(&[1000, 100, 120, 149, 1], false);
        check_growth(&[90, 95, 99, 93, 88], false);
        check_growth(&[5, 5], false);
    }

    #[test]
    fn activity_is_heavy_tailed_and_keeps_its_floor() {
        let tailed: Vec<u64> = (1..=200).map(|r| 1000 / r).collect();
        assert_eq!(heavy_tail("x", tailed.clone(), None), None);
        assert!(heavy_tail("x", vec![7; 200], None).is_some(), "an even spread is not a tail");
        assert!(heavy_tail("x", tailed, Some(Tail { p99: 1, max: 1001 })).is_some(), "below the floor");
    }
}
