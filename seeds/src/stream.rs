//! Deterministic randomness: one ChaCha8 stream per (domain, table), derived from the seed,
//! so that adding a table or a row elsewhere never reshuffles a table's data; plus the small
//! vocabulary every generator speaks (chances, weighted picks, times, keys, money, names).
//! No Latin filler: free text comes from each domain's own templates (`crate::text`).

use chrono::{DateTime, Duration, TimeZone, Utc};
use fake::Fake;
use fake::rand::rngs::ChaCha8Rng;
use fake::rand::{RngExt, SeedableRng};
use sea_orm::prelude::{Decimal, Uuid};
use sha2::{Digest, Sha256};

/// Seconds in a day: generators place rows in time in whole seconds.
pub const DAY: i64 = 86_400;

/// `c` cents as an exact decimal amount: generators and fixtures count money in cents.
pub fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// The independent random streams of one seed, in one cell of a domain (see [`crate::cells`]).
#[derive(Debug, Clone, Copy)]
pub struct Streams {
    seed: u64,
    cell: u32,
}

impl Streams {
    /// The streams of cell 0, which are those of a domain without cells.
    pub fn new(seed: u64) -> Self {
        Streams { seed, cell: 0 }
    }

    /// The streams of cell `cell`: independent of every other cell's.
    pub fn for_cell(seed: u64, cell: u32) -> Self {
        Streams { seed, cell }
    }

    /// The streams every cell shares (cell 0's): for what must come out the same in each.
    pub fn shared(&self) -> Streams {
        Streams::new(self.seed)
    }

    /// The stream of `table` in `domain`; `part` tells apart several streams of one table.
    pub fn rng(&self, domain: &str, table: &str) -> Rng {
        let mut h = Sha256::new();
        h.update(self.seed.to_le_bytes());
        for part in [domain, table] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        // Cell 0 hashes exactly what streams hashed before cells: its data did not change.
        if self.cell > 0 {
            h.update(b"cell");
            h.update(self.cell.to_le_bytes());
        }
        Rng(ChaCha8Rng::from_seed(h.finalize().into()))
    }
}

/// A seeded random stream with the helpers generators need. Every decision goes through
/// integer arithmetic or rand's portable float sampling, never through transcendental
/// functions, so the same seed gives the same data on any machine.
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// The underlying generator, for `fake`.
    pub fn raw(&mut self) -> &mut ChaCha8Rng {
        &mut self.0
    }

    /// 0 ≤ n < `end`.
    pub fn below(&mut self, end: usize) -> usize {
        if end <= 1 { 0 } else { self.0.random_range(0..end) }
    }

    /// `lo` ≤ n ≤ `hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo { lo } else { self.0.random_range(lo..=hi) }
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u32) -> bool {
        self.0.random_range(0..100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Index `i` of `weights`, with probability proportional to its weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| *w as u64).sum();
        let mut x = self.0.random_range(0..total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if x < *w as u64 {
                return i;
            }
            x -= *w as u64;
        }
        weights.len() - 1
    }

    /// The `i`-th value of `values` for the first rows, so that every value occurs, then a
    /// weighted pick: how generators cover every enum value and state even in tiny data.
    pub fn cover<T: Copy>(&mut self, i: usize, values: &[(T, u32)]) -> T {
        if i < values.len() {
            return values[i].0;
        }
        let weights: Vec<u32> = values.iter().map(|(_, w)| *w).collect();
        values[self.weighted(&weights)].0
    }

    /// A time between `from` and `to`, to the second.
    pub fn time_between(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let secs = self.between(from.timestamp(), to.timestamp().max(from.timestamp()));
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    /// A duration of `lo` to `hi` seconds.
    pub fn seconds(&mut self, lo: i64, hi: i64) -> Duration {
        Duration::seconds(self.between(lo, hi))
    }

    /// Money between `lo` and `hi` cents, in whole steps of `step` cents.
    pub fn money(&mut self, lo: i64, hi: i64, step: i64) -> Decimal {
        let steps = self.between(lo / step, hi / step);
        Decimal::new(steps * step, 2)
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from_digit(self.0.random_range(0..16u32), 16).unwrap()).collect()
    }

    pub fn first_name(&mut self) -> String {
        fake::faker::name::en::FirstName().fake_with_rng(&mut self.0)
    }

    pub fn last_name(&mut self) -> String {
        fake::faker::name::en::LastName().fake_with_rng(&mut self.0)
    }

    pub fn company(&mut self) -> String {
        fake::faker::company::en::CompanyName().fake_with_rng(&mut self.0)
    }

    pub fn street(&mut self) -> String {
        let number: String = fake::faker::address::en::BuildingNumber().fake_with_rng(&mut self.0);
        let street: String = fake::faker::address::en::StreetName().fake_with_rng(&mut self.0);
        format!("{number} {street}")
    }
}

/// Keys in insertion order: UUIDv7 layout, with the time field a running counter from a base
/// instant (so keys sort as rows are written) and the rest from the table's stream.
pub struct Ids {
    next_ms: u64,
}

impl Ids {
    pub fn new(base: DateTime<Utc>) -> Self {
        Ids { next_ms: base.timestamp_millis().max(0) as u64 }
    }

    pub fn next(&mut self, rng: &mut Rng) -> Uuid {
        let ms = self.next_ms;
        self.next_ms += 1;
        let random: u128 = rng.0.random();
        let mut bytes = random.to_be_bytes();
        bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        bytes[6] = 0x70 | (bytes[6] & 0x0f);
        bytes[8] = 0x80 | (bytes[8] & 0x3f);
        Uuid::from_bytes(bytes)
    }
}

/// A weighted choice among `items`, drawn in O(log n).
pub struct Pool {
    items: Vec<usize>,
    cumulative: Vec<u64>,
}

impl Pool {
    pub fn new(items: Vec<usize>, weights: &[u32]) -> Self {
        let mut total = 0u64;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += *w as u64;
                total
            })
            .collect();
        Pool { items, cumulative }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn pick(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = rng.between(0, total as i64 - 1) as u64;
        let i = self.cumulative.partition_point(|c| *c <= x);
        self.items[i.min(self.items.len() - 1)]
    }
}

/// A lower-case email on a domain reserved for examples, unique for a unique `n`.
pub fn email(first: &str, last: &str, n: usize) -> String {
    let clean = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
    let domain = ["example.com", "example.net", "example.org"][n % 3];
    format!("{}.{}{}@{domain}", clean(first), clean(last), n)
}

/// Heavy-tailed activity weights: the user at popularity rank r (1-based) weighs ~1/r, so a
/// few power users act a lot and a long tail acts a little. Ranks are a shuffle of the users.
pub fn zipf_weights(rng: &mut Rng, n: usize) -> Vec<u32> {
    let mut ranks: Vec<usize> = (1..=n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i + 1);
        ranks.swap(i, j);
    }
    ranks.into_iter().map(|r| (1_000_000 / r as u64).max(1) as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_stable_and_independent() {
        let s = Streams::new(42);
        let a: Vec<usize> = (0..5)
            .map({
                let mut r = s.rng("raffle", "users");
                move |_| r.below(1000)
            })
            .collect();
        let again: Vec<usize> = (0..5)
            .map({
                let mut r = s.rng("raffle", "users");
                move |_| r.below(1000)
            })
            .collect();
        let other: Vec<usize> = (0..5)
            .map({
                let mut r = s.rng("raffle", "items");
                move |_| r.below(1000)
            })
            .collect();
        assert_eq!(a, again);
        assert_ne!(a, other);
        let first = |s: Streams| s.rng("raffle", "users").below(1_000_000);
        assert_eq!(first(Streams::for_cell(42, 0)), first(s), "cell 0 is the stream without cells");
        assert_ne!(first(Streams::for_cell(42, 1)), first(s), "another cell has its own");
        assert_eq!(first(Streams::for_cell(42, 1).shared()), first(s), "shared streams are cell 0's");
    }

    #[test]
    fn ids_sort_in_insertion_order() {
        let mut rng = Streams::new(1).rng("d", "t");
        let mut ids = Ids::new(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap());
        let keys: Vec<Uuid> = (0..100).map(|_| ids.next(&mut rng)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(keys[0].get_version_num(), 7);
    }

    #[test]
    fn emails_are_reserved_and_lowercase() {
        assert_eq!(email("Zoë", "O'Brien", 4), "zo.obrien4@example.net");
    }
}
