//! Places that agree: the gazetteer every address, phone number and time zone is drawn from.
//!
//! `seeds/data/gazetteer.tsv` lists real cities of the United States and Canada with their
//! state or province, postal codes, coordinates, radius, IANA time zone and area codes (its
//! source is in docs/seeding.md). A user's home city decides all of them at once, so a
//! Toronto address has a Toronto postal code, a point in Toronto, a 416 number and
//! `America/Toronto`. Everything here is integer arithmetic, so the same seed places the
//! same people on every machine.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use sha2::{Digest, Sha256};

use crate::cells::Cell;
use crate::stream::{Pool, Rng};

const GAZETTEER: &str = include_str!("../data/gazetteer.tsv");

/// Letters Canada Post uses in postal codes (never D, F, I, O, Q or U).
const CANADIAN_LETTERS: &[u8] = b"ABCEGHJKLMNPRSTVWXYZ";

/// A time zone's rule: its standard offset and whether it keeps North American daylight
/// saving time (second Sunday of March to first Sunday of November, since 2007), which is
/// all that the gazetteer's zones need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    pub name: &'static str,
    /// Minutes east of UTC, outside daylight saving time.
    pub standard: i32,
    pub daylight_saving: bool,
}

const ZONES: [Zone; 19] = [
    zone("America/New_York", -300, true),
    zone("America/Detroit", -300, true),
    zone("America/Indiana/Indianapolis", -300, true),
    zone("America/Kentucky/Louisville", -300, true),
    zone("America/Toronto", -300, true),
    zone("America/Chicago", -360, true),
    zone("America/Winnipeg", -360, true),
    zone("America/Regina", -360, false),
    zone("America/Denver", -420, true),
    zone("America/Boise", -420, true),
    zone("America/Edmonton", -420, true),
    zone("America/Phoenix", -420, false),
    zone("America/Los_Angeles", -480, true),
    zone("America/Vancouver", -480, true),
    zone("America/Anchorage", -540, true),
    zone("Pacific/Honolulu", -600, false),
    zone("America/Halifax", -240, true),
    zone("America/Moncton", -240, true),
    zone("America/St_Johns", -210, true),
];

const fn zone(name: &'static str, standard: i32, daylight_saving: bool) -> Zone {
    Zone { name, standard, daylight_saving }
}

/// The zone named `name` (an IANA name the gazetteer uses).
pub fn zone_named(name: &str) -> Option<&'static Zone> {
    ZONES.iter().find(|z| z.name == name)
}

impl Zone {
    /// Minutes east of UTC at `t`.
    pub fn offset(&self, t: DateTime<Utc>) -> i32 {
        self.offset_at(t.timestamp())
    }

    fn offset_at(&self, secs: i64) -> i32 {
        if self.daylight_saving && in_daylight_saving(secs + self.standard as i64 * 60) {
            self.standard + 60
        } else {
            self.standard
        }
    }

    /// The local hour (0–23) and weekday (0 = Monday) at `secs` since the epoch.
    pub fn local_hour_weekday(&self, secs: i64) -> (usize, usize) {
        let local = secs + self.offset_at(secs) as i64 * 60;
        let hour = local.rem_euclid(86_400) / 3600;
        // 1970-01-01 was a Thursday (3).
        let weekday = (local.div_euclid(86_400) + 3).rem_euclid(7);
        (hour as usize, weekday as usize)
    }

    /// The local time at `t`, for checks and displays.
    pub fn local(&self, t: DateTime<Utc>) -> chrono::NaiveDateTime {
        (t + chrono::Duration::minutes(self.offset(t) as i64)).naive_utc()
    }
}

/// Whether local standard time `local` (seconds) falls in daylight saving time: from 02:00
/// on the second Sunday of March to 02:00 daylight (01:00 standard) on the first Sunday of
/// November.
pub(crate) fn in_daylight_saving(local: i64) -> bool {
    // Each year's edges, computed once: the generators ask this for every time they draw.
    static EDGES: OnceLock<Vec<(i64, i64)>> = OnceLock::new();
    let edges = EDGES.get_or_init(|| {
        (FIRST_YEAR..FIRST_YEAR + 300)
            .map(|year| {
                let sunday = |month, n, hour| {
                    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n)
                        .and_then(|d| d.and_hms_opt(hour, 0, 0))
                        .map_or(0, |t| t.and_utc().timestamp())
                };
                (sunday(3, 2, 2), sunday(11, 1, 1))
            })
            .collect()
    });
    let Some(t) = DateTime::from_timestamp(local, 0) else { return false };
    let year = t.year() - FIRST_YEAR;
    usize::try_from(year)
        .ok()
        .and_then(|y| edges.get(y))
        .is_some_and(|(start, end)| (*start..*end).contains(&local))
}

/// The first year [`in_daylight_saving`] knows; the 300 from it hold every seeded time.
const FIRST_YEAR: i32 = 1900;

/// One city of the gazetteer.
#[derive(Debug)]
pub struct City {
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    /// The state's or province's postal abbreviation.
    pub state: &'static str,
    pub name: &'static str,
    /// `lo-hi` (US ZIP codes) or `|`-separated patterns (`#` a digit, `@` a letter).
    pub postal: &'static str,
    /// Micro-degrees.
    pub latitude: i64,
    pub longitude: i64,
    /// How far from its centre the city's addresses lie.
    pub radius_km: i64,
    pub zone: &'static Zone,
    pub area_codes: Vec<u16>,
    /// Thousands of inhabitants: how many of the seeded users live there.
    pub population: u32,
}

/// The gazetteer, largest city first.
pub fn cities() -> &'static [City] {
    static CITIES: OnceLock<Vec<City>> = OnceLock::new();
    CITIES.get_or_init(|| {
        let mut cities: Vec<City> = GAZETTEER
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| parse(l).unwrap_or_else(|| panic!("a bad gazetteer line: {l}")))
            .collect();
        cities.sort_by_key(|c| std::cmp::Reverse(c.population));
        cities
    })
}

fn parse(line: &'static str) -> Option<City> {
    let f: Vec<&'static str> = line.split('\t').collect();
    let [country, state, name, postal, lat, lon, radius, zone, codes, population] = f[..] else {
        return None;
    };
    Some(City {
        country,
        state,
        name,
        postal,
        latitude: micro(lat)?,
        longitude: micro(lon)?,
        radius_km: radius.parse().ok()?,
        zone: zone_named(zone)?,
        area_codes: codes.split(',').map(|c| c.parse().ok()).collect::<Option<_>>()?,
        population: population.parse().ok()?,
    })
}

/// "-74.01" as micro-degrees, without going through a float.
fn micro(s: &str) -> Option<i64> {
    let (sign, digits) = s.strip_prefix('-').map_or((1, s), |d| (-1, d));
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if frac.len() > 6 {
        return None;
    }
    let frac: i64 =
        if frac.is_empty() { 0 } else { frac.parse::<i64>().ok()? * 10i64.pow(6 - frac.len() as u32) };
    Some(sign * (whole.parse::<i64>().ok()? * 1_000_000 + frac))
}

/// cos(latitude) × 1000, by Bhaskara's rational approximation (error under 0.2%): integer
/// arithmetic only.
fn cos_milli(latitude: i64) -> i64 {
    let x = (latitude / 1000).abs(); // milli-degrees
    let d2 = 180_000i64 * 180_000;
    (1000 * (d2 - 4 * x * x) / (d2 + x * x)).max(1)
}

/// Micro-degrees of latitude per kilometre.
const MICRO_PER_KM: i64 = 8_983;

impl City {
    /// A postal code of the city.
    pub fn postal_code(&self, rng: &mut Rng) -> String {
        if let Some((lo, hi)) = self.zip_range() {
            return format!("{:05}", rng.between(lo, hi));
        }
        let patterns: Vec<&str> = self.postal.split('|').collect();
        let pattern = rng.pick(&patterns);
        pattern
            .bytes()
            .enumerate()
            .map(|(i, b)| match b {
                // The district digit after the first letter is never 0 in the cities listed.
                b'#' if i == 1 => char::from(b'1' + rng.below(9) as u8),
                b'#' => char::from(b'0' + rng.below(10) as u8),
                b'@' => char::from(*rng.pick(CANADIAN_LETTERS)),
                other => char::from(other),
            })
            .collect()
    }

    fn zip_range(&self) -> Option<(i64, i64)> {
        let (lo, hi) = self.postal.split_once('-')?;
        Some((lo.parse().ok()?, hi.parse().ok()?))
    }

    /// Whether `code` is one of the city's postal codes.
    pub fn has_postal_code(&self, code: &str) -> bool {
        if let Some((lo, hi)) = self.zip_range() {
            return code.len() == 5
                && code.bytes().all(|b| b.is_ascii_digit())
                && code.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n));
        }
        self.postal.split('|').any(|pattern| {
            pattern.len() == code.len()
                && pattern.bytes().zip(code.bytes()).all(|(p, c)| match p {
                    b'#' => c.is_ascii_digit(),
                    b'@' => CANADIAN_LETTERS.contains(&c),
                    _ => p == c,
                })
        })
    }

    /// A point (micro-degrees of latitude, longitude) within the city's radius.
    pub fn point(&self, rng: &mut Rng) -> (i64, i64) {
        let r = self.radius_km * MICRO_PER_KM;
        let (mut dx, mut dy) = (0, 0);
        // Uniform in the disc: almost always within two tries (π/4 accepted).
        for _ in 0..16 {
            dx = rng.between(-r, r);
            dy = rng.between(-r, r);
            if dx * dx + dy * dy <= r * r {
                break;
            }
            (dx, dy) = (0, 0);
        }
        (self.latitude + dy, self.longitude + dx * 1000 / cos_milli(self.latitude))
    }

    /// Kilometres from the city's centre to a point in degrees (great-circle, for checks).
    pub fn distance_km(&self, latitude: f64, longitude: f64) -> f64 {
        distance_km(self.latitude as f64 / 1e6, self.longitude as f64 / 1e6, latitude, longitude)
    }
}

/// Great-circle kilometres between two points in degrees: for checks, never for decisions.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

/// The city of a (country, state, city) triple, as an address names it.
pub fn find(country: &str, state: &str, name: &str) -> Option<&'static City> {
    cities().iter().find(|c| c.country == country && c.state == state && c.name == name)
}

/// The zone of a North American number's area code (`+1AAA…`), if the gazetteer has it.
pub fn zone_of_phone(phone: &str) -> Option<&'static Zone> {
    let code: u16 = phone.strip_prefix("+1")?.get(..3)?.parse().ok()?;
    cities().iter().find(|c| c.area_codes.contains(&code)).map(|c| c.zone)
}

/// Where a domain's people live: a weighted choice among the first `cities` of the
/// gazetteer, and the phone numbers handed out so far.
pub struct Settler {
    pool: Pool,
    /// Numbers taken per area code.
    taken: Vec<u32>,
    /// Whose lines: a cell hands out only its own share of each area code's.
    cell: Cell,
}

/// Subscriber numbers per area code with the fictional 555 exchange.
const LINES: u32 = 10_000;

impl Settler {
    /// People living in the `n` largest cities (at least one), in proportion to their size.
    pub fn new(n: usize) -> Self {
        Settler::in_cell(n, Cell::ONLY)
    }

    /// [`Settler::new`] for one cell of a domain ([`crate::cells`]): its `k`-th number of an
    /// area code is the area code's line [`Cell::number`]`(k)`, so no two cells hand out the
    /// same number, and a domain of one cell hands out what it always did.
    pub fn in_cell(n: usize, cell: Cell) -> Self {
        let n = n.clamp(1, cities().len());
        let weights: Vec<u32> = cities()[..n].iter().map(|c| c.population).collect();
        Settler { pool: Pool::new((0..n).collect(), &weights), taken: vec![0; 1000], cell }
    }

    /// The line this cell's next number of area code `code` takes, if it has one left.
    fn next_line(&self, code: u16) -> Option<u32> {
        let line = self.cell.number(self.taken[code as usize] as usize);
        u32::try_from(line).ok().filter(|l| *l < LINES)
    }

    /// How many cities people live in.
    pub fn len(&self) -> usize {
        self.pool.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pool.is_empty()
    }

    /// A home city (an index into [`cities`]).
    pub fn home(&self, rng: &mut Rng) -> usize {
        self.pool.pick(rng)
    }

    /// A number of the city's, with the fictional 555 exchange, never handed out before (in
    /// any cell); none once every area code of the city has used its ten thousand lines (a
    /// cell's share of them).
    pub fn phone(&mut self, city: usize) -> Option<String> {
        let c = &cities()[city];
        let (code, n) = c.area_codes.iter().find_map(|a| self.next_line(*a).map(|n| (*a, n)))?;
        self.taken[code as usize] += 1;
        // A permutation of the lines (7919 is prime to 10,000) starting somewhere of the
        // area code's own, so numbers neither count up nor repeat across area codes.
        Some(format!("+1{code}555{:04}", (n * 7919 + code as u32 * 4_099) % LINES))
    }

    /// A home city with a phone number: the city is drawn again while the drawn one has no
    /// number left. Fails only when every city has run out (millions of numbers).
    pub fn home_with_phone(&mut self, rng: &mut Rng) -> Option<(usize, String)> {
        for _ in 0..1000 {
            let city = self.home(rng);
            if let Some(phone) = self.phone(city) {
                return Some((city, phone));
            }
        }
        (0..self.len()).find_map(|city| self.phone(city).map(|p| (city, p)))
    }
}

/// The home city of a domain's user whose key is `key`, derived from the seed alone (for
/// users without an address or phone, whose city the checks must find again).
pub fn home_of(seed: u64, domain: &str, key: &str) -> &'static City {
    static WEIGHTS: OnceLock<Vec<u64>> = OnceLock::new();
    let cumulative = WEIGHTS.get_or_init(|| {
        let mut total = 0;
        cities()
            .iter()
            .map(|c| {
                total += c.population as u64;
                total
            })
            .collect()
    });
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    for part in [domain, "home", key] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let bytes: [u8; 32] = h.finalize().into();
    let x = u64::from_le_bytes(bytes[..8].try_into().unwrap()) % cumulative.last().unwrap();
    &cities()[cumulative.partition_point(|c| *c <= x)]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::stream::Streams;

    #[test]
    fn every_line_of_the_gazetteer_reads_and_names_one_city() {
        let mut seen = BTreeMap::new();
        for c in cities() {
            assert!(c.area_codes.iter().all(|a| (200..1000).contains(a)), "{c:?}");
            assert!((1..=30).contains(&c.radius_km), "{c:?}");
            assert!(seen.insert((c.country, c.state, c.name), ()).is_none(), "listed twice: {c:?}");
        }
        assert!(cities().len() >= 250, "only {} cities", cities().len());
    }

    #[test]
    fn an_area_code_lies_in_one_time_zone_rule() {
        // The checks find a raffle user's zone from the phone's area code alone.
        let mut rule = BTreeMap::new();
        for c in cities() {
            for a in &c.area_codes {
                let r = (c.zone.standard, c.zone.daylight_saving);
                assert_eq!(*rule.entry(*a).or_insert(r), r, "area code {a} spans zones ({})", c.name);
            }
        }
    }

    #[test]
    fn postal_codes_and_points_belong_to_their_city() {
        let mut rng = Streams::new(1).rng("places", "test");
        for c in cities() {
            for _ in 0..20 {
                let code = c.postal_code(&mut rng);
                assert!(c.has_postal_code(&code), "{code} is not a postal code of {}", c.name);
                let (lat, lon) = c.point(&mut rng);
                let d = c.distance_km(lat as f64 / 1e6, lon as f64 / 1e6);
                assert!(d <= c.radius_km as f64 * 1.01, "{} km from {} (radius {})", d, c.name, c.radius_km);
            }
        }
        let toronto = find("CA", "ON", "Toronto").unwrap();
        assert!(toronto.has_postal_code("M5V 2T6"));
        assert!(!toronto.has_postal_code("K1A 0B1"));
        assert!(!find("US", "IL", "Chicago").unwrap().has_postal_code("10001"));
    }

    #[test]
    fn local_time_follows_daylight_saving() {
        let check = |zone: &str, utc: &str, expected: &str| {
            let t: DateTime<Utc> = utc.parse().unwrap();
            let got = zone_named(zone).unwrap().local(t).to_string();
            assert_eq!(got, expected, "{utc} in {zone}");
        };
        check("America/New_York", "2025-01-15T12:00:00Z", "2025-01-15 07:00:00");
        check("America/New_York", "2025-07-15T12:00:00Z", "2025-07-15 08:00:00");
        // 2025: daylight saving from 9 March 07:00 UTC to 2 November 06:00 UTC in New York.
        check("America/New_York", "2025-03-09T06:59:59Z", "2025-03-09 01:59:59");
        check("America/New_York", "2025-03-09T07:00:00Z", "2025-03-09 03:00:00");
        check("America/New_York", "2025-11-02T05:59:59Z", "2025-11-02 01:59:59");
        check("America/New_York", "2025-11-02T06:00:00Z", "2025-11-02 01:00:00");
        check("America/Phoenix", "2025-07-15T12:00:00Z", "2025-07-15 05:00:00");
        check("America/St_Johns", "2025-01-15T12:00:00Z", "2025-01-15 08:30:00");
        let (hour, weekday) = zone_named("America/Chicago")
            .unwrap()
            .local_hour_weekday("2025-12-01T02:30:00Z".parse::<DateTime<Utc>>().unwrap().timestamp());
        assert_eq!((hour, weekday), (20, 6), "Sunday 20:30 in Chicago");
    }

    #[test]
    fn phones_are_unique_and_local_until_the_city_runs_out() {
        // Los Angeles, the largest city, has five area codes: 50,000 fictional numbers.
        let mut s = Settler::new(1);
        let mut rng = Streams::new(1).rng("places", "phones");
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..50_000 {
            let (city, phone) = s.home_with_phone(&mut rng).expect("numbers left");
            assert!(seen.insert(phone.clone()), "{phone} handed out twice");
            let code: u16 = phone[2..5].parse().unwrap();
            assert!(cities()[city].area_codes.contains(&code), "{phone} in {}", cities()[city].name);
            assert_eq!(&phone[5..8], "555", "{phone} is not fictional");
        }
        assert_eq!(s.home_with_phone(&mut rng), None, "a number after every line was used");
    }

    #[test]
    fn cells_hand_out_their_own_numbers() {
        let numbers = |cell: Cell| {
            let mut s = Settler::in_cell(1, cell);
            let mut rng = Streams::new(1).rng("places", "phones");
            std::iter::from_fn(move || s.home_with_phone(&mut rng).map(|(_, phone)| phone))
                .collect::<Vec<_>>()
        };
        let mut only = Settler::new(1);
        let mut rng = Streams::new(1).rng("places", "phones");
        let first: Vec<String> = (0..100).map(|_| only.home_with_phone(&mut rng).unwrap().1).collect();
        assert_eq!(numbers(Cell::ONLY)[..100], first[..], "one cell hands out what a settler always did");
        let mut all = std::collections::BTreeSet::new();
        for index in 0..3 {
            let cell = numbers(Cell { index, count: 3 });
            assert!(cell.len() >= 5 * (10_000 / 3), "cell {index} has {} numbers", cell.len());
            for phone in cell {
                assert!(all.insert(phone.clone()), "{phone} handed out by two cells");
            }
        }
        assert_eq!(all.len(), 50_000, "the cells share every line between them");
    }
}
