//! Cells: the independent parts a domain's data is made of, so that it can be written in
//! shards, by several workers or machines at once, and still be exactly one data set.
//!
//! A cell is a small world of its own: a slice of the users with their own listings, draws,
//! bookings and money, its own random streams and its own keys. Nothing in one cell refers
//! to another cell's rows; every cell refers to the domain's reference rows (tiers, plans,
//! categories, the service catalogue), which are the same everywhere and written once.
//!
//! How many cells, and how big, follows from the options alone ([`layout`]), never from how
//! many workers write them: `dev` (up to scale 2) is one cell, `dev --scale 3` three cells of
//! scale 1, `large` a hundred `dev`-sized cells, `tiny --scale 4` four tiny ones. So one
//! worker and N shards write the same rows, and the data of a one-cell profile is what it
//! was before cells existed (cell 0's streams and keys are the domain's old ones).
//!
//! Keys and numbers interleave: the `n`-th row of cell `c` out of `C` gets key
//! `(n - 1) * C + c + 1`, so keys are unique across cells, dense, known without generating
//! any other cell, and with one cell exactly `n`.

use std::fmt;
use std::str::FromStr;

use crate::options::{Profile, SeedOptions};

/// How a domain's data is divided: `count` cells, each generated as `cell` options say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub count: u32,
    /// What one cell is: the same seed and reference time, at a cell's profile and scale.
    pub cell: SeedOptions,
}

/// The cells `opts` make. Whole `dev` units make cells (a `large` is a hundred), a remainder
/// is spread over them; below one unit there is one cell, as big as asked.
pub fn layout(opts: &SeedOptions) -> Layout {
    let (units, profile) = match opts.profile {
        Profile::Tiny => (opts.scale, Profile::Tiny),
        Profile::Dev => (opts.scale, Profile::Dev),
        Profile::Large => (opts.scale * 100.0, Profile::Dev),
    };
    let count = (units.floor() as u32).max(1);
    if count == 1 && opts.profile != Profile::Large {
        // Exactly the options given: a one-cell domain is what the options always made.
        return Layout { count, cell: *opts };
    }
    Layout { count, cell: SeedOptions { profile, scale: units / f64::from(count), ..*opts } }
}

/// One cell of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub index: u32,
    pub count: u32,
}

impl Cell {
    /// The only cell of a one-cell domain.
    pub const ONLY: Cell = Cell { index: 0, count: 1 };

    /// Whether this is cell 0: the one that holds the documented accounts.
    pub fn is_first(&self) -> bool {
        self.index == 0
    }

    /// The domain-wide key of this cell's `n`-th row (1-based) of a table.
    pub fn key(&self, n: i64) -> i64 {
        (n - 1) * i64::from(self.count) + i64::from(self.index) + 1
    }

    /// [`Cell::key`] for the `INTEGER` keys most tables have.
    pub fn key32(&self, n: i32) -> i32 {
        let key = self.key(i64::from(n));
        i32::try_from(key).expect("a cell's key fits an INTEGER column: the options are within MAX_SCALE")
    }

    /// The domain-wide number of this cell's `i`-th thing (0-based): for numbers that make
    /// text unique (e-mail addresses, user names, codes).
    pub fn number(&self, i: usize) -> usize {
        i * self.count as usize + self.index as usize
    }
}

/// Shard `k` of `n` (1-based, as people count): the cells whose index is `k - 1` modulo `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    /// The whole domain as one shard.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// This shard's cells, of `count`.
    pub fn cells(self, count: u32) -> impl Iterator<Item = Cell> {
        (self.k - 1..count).step_by(self.n as usize).map(move |index| Cell { index, count })
    }

    /// Every shard of `n`.
    pub fn all(n: u32) -> impl Iterator<Item = Shard> {
        (1..=n).map(move |k| Shard { k, n })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// Most shards a domain may be written in: more would be workers with nothing to write.
pub const MAX_SHARDS: u32 = 64;

impl FromStr for Shard {
    type Err = String;

    /// `K/N`, 1 ≤ K ≤ N ≤ [`MAX_SHARDS`].
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard: write K/N with 1 ≤ K ≤ N ≤ {MAX_SHARDS}, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u32, u32) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if k == 0 || k > n || n > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::default_now;

    fn opts(profile: Profile, scale: f64) -> SeedOptions {
        SeedOptions::new(1, profile, scale, default_now()).unwrap()
    }

    #[test]
    fn cells_follow_the_options_alone() {
        let check = |profile, scale, count, cell_profile, cell_scale| {
            let got = layout(&opts(profile, scale));
            assert_eq!(
                (got.count, got.cell.profile, got.cell.scale),
                (count, cell_profile, cell_scale),
                "{profile} × {scale}"
            );
        };
        check(Profile::Tiny, 1.0, 1, Profile::Tiny, 1.0);
        check(Profile::Tiny, 0.5, 1, Profile::Tiny, 0.5);
        check(Profile::Tiny, 4.0, 4, Profile::Tiny, 1.0);
        check(Profile::Dev, 1.0, 1, Profile::Dev, 1.0);
        check(Profile::Dev, 1.5, 1, Profile::Dev, 1.5);
        check(Profile::Dev, 2.5, 2, Profile::Dev, 1.25);
        check(Profile::Large, 1.0, 100, Profile::Dev, 1.0);
        check(Profile::Large, 0.015, 1, Profile::Dev, 1.5);
    }

    #[test]
    fn keys_interleave_and_one_cell_keeps_its_own() {
        let only = Cell::ONLY;
        assert_eq!((1..=4).map(|n| only.key(n)).collect::<Vec<_>>(), [1, 2, 3, 4]);
        let mut keys: Vec<i64> =
            (0..3).flat_map(|index| (1..=4).map(move |n| Cell { index, count: 3 }.key(n))).collect();
        keys.sort();
        assert_eq!(keys, (1..=12).collect::<Vec<_>>(), "unique and dense");
        assert_eq!(Cell { index: 2, count: 3 }.number(1), 5);
    }

    #[test]
    fn shards_divide_the_cells_exactly() {
        for n in 1..=5 {
            let mut all: Vec<u32> = Shard::all(n).flat_map(|s| s.cells(7)).map(|c| c.index).collect();
            all.sort();
            assert_eq!(all, (0..7).collect::<Vec<_>>(), "{n} shards");
        }
        assert_eq!(Shard { k: 3, n: 4 }.cells(2).count(), 0, "more shards than cells: some write nothing");
    }

    #[test]
    fn shards_read_as_people_write_them() {
        assert_eq!("2/4".parse(), Ok(Shard { k: 2, n: 4 }));
        for bad in ["0/4", "5/4", "2", "a/b", "1/65", "2/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
