//! Time that breathes: when people act, in their own time zone (quiet at night, busy in the
//! evening, different at weekends), more as the platform grows, and more in its busy weeks.
//!
//! Times are drawn by rejection against integer weight tables, never through floats, so the
//! same seed gives the same times on every machine. [`Rhythm::time`] places one person's act;
//! [`Crowd`] and [`Warp`] spread a run of acts by many people (a raffle's sales, a draw's
//! entries) over a window in time order, following the whole population's clock.

use chrono::{DateTime, Datelike, Duration, Utc};

use crate::places::{Zone, in_daylight_saving};
use crate::stream::Rng;

/// Weight of each local hour of the day for everyday activity: night a twentieth of the
/// evening peak.
pub const HOURS: [u64; 24] =
    [30, 15, 8, 5, 5, 8, 20, 40, 55, 60, 62, 65, 70, 65, 62, 62, 68, 80, 95, 100, 100, 90, 70, 45];

/// Weight of each local hour for appointments at someone's home: working hours.
pub const WORKING_HOURS: [u64; 24] =
    [0, 0, 0, 0, 0, 0, 0, 10, 70, 100, 100, 90, 60, 80, 100, 90, 70, 40, 15, 0, 0, 0, 0, 0];

/// Weight of each local weekday, Monday first: busier at the weekend.
pub const WEEKDAYS: [u64; 7] = [92, 88, 88, 92, 100, 118, 112];

/// The local hours [`HOURS`] calls evening and night, for the checks.
pub const EVENING: std::ops::Range<usize> = 18..23;
pub const NIGHT: std::ops::Range<usize> = 1..6;

/// The clock of a data set that ends at a reference time, a year after it started.
#[derive(Debug, Clone, Copy)]
pub struct Rhythm {
    start: i64,
    end: i64,
}

impl Rhythm {
    pub fn new(now: DateTime<Utc>) -> Self {
        Rhythm { start: (now - Duration::days(365)).timestamp(), end: now.timestamp() }
    }

    /// Growth: a weight from 100 a year before the reference time to 300 at it (after it, 300).
    pub fn growth(&self, secs: i64) -> u64 {
        let into = (secs - self.start).clamp(0, self.end - self.start);
        100 + (200 * into / (self.end - self.start).max(1)) as u64
    }

    /// The busy weeks, by calendar day: the holiday sale (24 November to 1 December) and the
    /// summer jackpot week (1 to 7 July).
    pub fn season(secs: i64) -> u64 {
        let Some(t) = DateTime::from_timestamp(secs, 0) else { return 100 };
        match (t.month(), t.day()) {
            (11, 24..) | (12, 1) => 180,
            (7, 1..=7) => 150,
            _ => 100,
        }
    }

    /// A time between `from` and `to` for one act of a person living in `zone`: their local
    /// hour and weekday, the platform's growth and its busy weeks.
    pub fn time(&self, rng: &mut Rng, from: DateTime<Utc>, to: DateTime<Utc>, zone: &Zone) -> DateTime<Utc> {
        self.time_with(rng, from, to, zone, &HOURS)
    }

    /// [`Rhythm::time`] with other hours of the day (appointments keep working hours).
    pub fn time_with(
        &self,
        rng: &mut Rng,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        zone: &Zone,
        hours: &[u64; 24],
    ) -> DateTime<Utc> {
        let (lo, hi) = (from.timestamp(), to.timestamp().max(from.timestamp()));
        // The largest weight the window can hold (growth only grows), so that few draws are wasted.
        let top = hours.iter().max().copied().unwrap_or(1).max(1) * 118 * self.growth(hi) * 180;
        let mut t = lo;
        // Acceptance is about one in five; a window too short to hold any weight (a night
        // hour for working hours) keeps the last candidate.
        for _ in 0..64 {
            t = rng.between(lo, hi);
            let (hour, weekday) = zone.local_hour_weekday(t);
            let w = hours[hour] * WEEKDAYS[weekday] * self.growth(t) * Self::season(t);
            if rng.between(0, top as i64 - 1) < w as i64 {
                break;
            }
        }
        DateTime::from_timestamp(t, 0).expect("a time within the data's span")
    }

    /// Whether someone in `zone` is about at `t`: true with a chance that follows [`HOURS`].
    pub fn awake(rng: &mut Rng, t: DateTime<Utc>, zone: &Zone) -> bool {
        let (hour, _) = zone.local_hour_weekday(t.timestamp());
        (rng.below(100) as u64) < HOURS[hour]
    }
}

/// Heavy-tailed activity weights, as [`crate::stream::zipf_weights`] (~1/rank), where the
/// ranking favours those who `joined` early: each is ranked by their sign-up time plus up to
/// four months drawn at random, so the keenest are mostly, not only, early adopters.
pub fn keen_early(rng: &mut Rng, joined: &[DateTime<Utc>]) -> Vec<u32> {
    let mut order: Vec<(i64, usize)> =
        joined.iter().enumerate().map(|(i, t)| (t.timestamp() + rng.between(0, 120 * 86_400), i)).collect();
    order.sort_unstable();
    let mut weights = vec![0; joined.len()];
    for (rank, (_, i)) in order.into_iter().enumerate() {
        weights[i] = (1_000_000 / (rank as u64 + 1)).max(1) as u32;
    }
    weights
}

/// A population's clock: the weight of each UTC hour of the week, summed over where people
/// live (their local hour and weekday), with daylight saving time off and on.
pub struct Crowd {
    table: [[u64; 168]; 2],
}

impl Crowd {
    /// The clock of people living in these zones, `weight` of them in each.
    pub fn new<'a>(people: impl IntoIterator<Item = (&'a Zone, u64)>) -> Self {
        let mut table = [[0u64; 168]; 2];
        for (zone, weight) in people {
            for (dst, row) in table.iter_mut().enumerate() {
                let offset = zone.standard as i64 + if zone.daylight_saving { dst as i64 * 60 } else { 0 };
                for (how, cell) in row.iter_mut().enumerate() {
                    // Hour `how` of a UTC week starting on Monday at 00:00.
                    let local = (how as i64 * 60 + offset).rem_euclid(168 * 60) / 60;
                    let (hour, weekday) = ((local % 24) as usize, (local / 24) as usize);
                    *cell += weight * HOURS[hour] * WEEKDAYS[weekday];
                }
            }
        }
        Crowd { table }
    }

    /// The weight of the hour holding `secs`, busy weeks included.
    fn weight(&self, secs: i64) -> u64 {
        // North American daylight saving, dated by Eastern time: its one-hour edges differ
        // by a few hours across the zones, which a crowd does not notice.
        let dst = usize::from(in_daylight_saving(secs - 5 * 3600));
        // 1970-01-01 00:00 UTC was a Thursday: hour 72 of its week.
        let how = ((secs.div_euclid(3600) + 72).rem_euclid(168)) as usize;
        self.table[dst][how].max(1) * Rhythm::season(secs)
    }
}

/// A window of time measured in a crowd's activity rather than in seconds: fraction `f` of
/// the way through is where a fraction `f` of the crowd's acts in the window have happened.
/// Positions must be asked in increasing order; it walks forward one hour at a time.
pub struct Warp {
    to: i64,
    total: u128,
    /// The start of the hour it stands in, and the activity before it.
    at: i64,
    before: u128,
}

impl Warp {
    pub fn new(crowd: &Crowd, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let (from, to) = (from.timestamp(), to.timestamp().max(from.timestamp() + 1));
        let mut w = Warp { to, total: 0, at: from, before: 0 };
        let mut t = from;
        while t < to {
            let end = w.hour_end(t);
            w.total += crowd.weight(t) as u128 * (end - t) as u128;
            t = end;
        }
        w
    }

    fn hour_end(&self, t: i64) -> i64 {
        ((t.div_euclid(3600) + 1) * 3600).min(self.to)
    }

    /// The time `num / den` of the way through the window's activity (`num < den`).
    pub fn at(&mut self, crowd: &Crowd, num: u64, den: u64) -> DateTime<Utc> {
        let target = self.total * num as u128 / den.max(1) as u128;
        loop {
            let end = self.hour_end(self.at);
            let w = crowd.weight(self.at) as u128 * (end - self.at) as u128;
            if self.before + w > target || end >= self.to {
                let into = ((target.saturating_sub(self.before)) / crowd.weight(self.at) as u128) as i64;
                let secs = self.at + into.min(end - self.at - 1).max(0);
                return DateTime::from_timestamp(secs, 0).expect("a time within the window");
            }
            self.before += w;
            self.at = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::zone_named;
    use crate::stream::Streams;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_person_acts_in_the_evening_rather_than_at_night() {
        let zone = zone_named("America/Chicago").unwrap();
        let rhythm = Rhythm::new(utc("2026-01-01T00:00:00Z"));
        let mut rng = Streams::new(1).rng("rhythm", "test");
        let mut by_hour = [0u32; 24];
        for _ in 0..20_000 {
            let t = rhythm.time(&mut rng, utc("2025-01-01T00:00:00Z"), utc("2025-12-31T00:00:00Z"), zone);
            by_hour[zone.local_hour_weekday(t.timestamp()).0] += 1;
        }
        let evening: u32 = by_hour[EVENING].iter().sum();
        let night: u32 = by_hour[NIGHT].iter().sum();
        assert!(evening >= 5 * night, "evening {evening}, night {night}: {by_hour:?}");
    }

    #[test]
    fn growth_runs_from_one_to_three() {
        let rhythm = Rhythm::new(utc("2026-01-01T00:00:00Z"));
        let check =
            |t: &str, expected: u64| assert_eq!(rhythm.growth(utc(t).timestamp()), expected, "at {t}");
        check("2024-06-01T00:00:00Z", 100);
        check("2025-01-01T00:00:00Z", 100);
        check("2025-07-02T12:00:00Z", 200);
        check("2026-01-01T00:00:00Z", 300);
        check("2026-02-01T00:00:00Z", 300);
    }

    #[test]
    fn a_warp_moves_forward_within_its_window_and_skips_the_night() {
        let ny = zone_named("America/New_York").unwrap();
        let crowd = Crowd::new([(ny, 1)]);
        let (from, to) = (utc("2025-03-03T00:00:00Z"), utc("2025-03-10T00:00:00Z"));
        let mut warp = Warp::new(&crowd, from, to);
        let mut last = from;
        let mut night = 0;
        for k in 0..1000 {
            let t = warp.at(&crowd, k, 1000);
            assert!(t >= last && t < to, "{t} after {last}, before {to}");
            last = t;
            night += u32::from(NIGHT.contains(&ny.local_hour_weekday(t.timestamp()).0));
        }
        assert!(night < 40, "{night} of 1000 at night");
    }
}
