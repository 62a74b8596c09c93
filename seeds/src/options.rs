//! What the user asks the seeder for: a profile, a scale, a seed and a reference time, and
//! how each becomes a row count.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use thiserror::Error;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 42;

/// The reference time used when none is given: every seeded timestamp is placed relative to
/// it, so that the same options give the same data whenever they run.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// How much data: `tiny` for tests (every enum value and lifecycle state at least once),
/// `dev` for a realistic small deployment, `large` (100 × dev) for load tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    Tiny,
    Dev,
    Large,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Tiny, Profile::Dev, Profile::Large];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Tiny => "tiny",
            Profile::Dev => "dev",
            Profile::Large => "large",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = OptionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| OptionError::Profile(s.to_owned()))
    }
}

/// A seeder option that cannot be used.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum OptionError {
    #[error("unknown profile `{0}`: use tiny, dev or large")]
    Profile(String),
    #[error("scale {0} is out of range: use a number above 0 and at most {MAX_SCALE} (e.g. 0.5 or 3)")]
    Scale(f64),
    #[error("cannot read `{0}` as a time: use RFC 3339 (2026-01-01T00:00:00Z) or a date (2026-01-01)")]
    Now(String),
}

/// Above this the row counts stop being a database and start being a disk-filling accident.
pub const MAX_SCALE: f64 = 1000.0;

/// Everything that decides the data: the same options give the same rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedOptions {
    pub seed: u64,
    pub profile: Profile,
    pub scale: f64,
    pub now: DateTime<Utc>,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions { seed: DEFAULT_SEED, profile: Profile::Tiny, scale: 1.0, now: default_now() }
    }
}

impl SeedOptions {
    pub fn new(seed: u64, profile: Profile, scale: f64, now: DateTime<Utc>) -> Result<Self, OptionError> {
        if !(scale > 0.0 && scale <= MAX_SCALE) {
            return Err(OptionError::Scale(scale));
        }
        // Whole seconds: MariaDB keeps no fraction, and every backend must hold the same data.
        let now = Utc.timestamp_opt(now.timestamp(), 0).unwrap();
        Ok(SeedOptions { seed, profile, scale, now })
    }

    /// A row count: `tiny` for the tiny profile, `dev` for dev, 100 × `dev` for large, times
    /// the scale, never below `floor` (what the tiny profile's coverage needs).
    pub fn count(&self, tiny: usize, dev: usize) -> usize {
        let base = match self.profile {
            Profile::Tiny => tiny,
            Profile::Dev => dev,
            Profile::Large => dev * 100,
        };
        ((base as f64 * self.scale).round() as usize).max(tiny.min(base)).max(1)
    }
}

/// Parses `--now`: RFC 3339, or a bare date taken as midnight UTC.
pub fn parse_now(s: &str) -> Result<DateTime<Utc>, OptionError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t))
        .ok_or_else(|| OptionError::Now(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_profile_and_scale() {
        let at = |profile, scale| SeedOptions::new(1, profile, scale, default_now()).unwrap();
        assert_eq!(at(Profile::Tiny, 1.0).count(5, 1000), 5);
        assert_eq!(at(Profile::Dev, 1.0).count(5, 1000), 1000);
        assert_eq!(at(Profile::Large, 1.0).count(5, 1000), 100_000);
        assert_eq!(at(Profile::Dev, 0.5).count(5, 1000), 500);
        assert_eq!(at(Profile::Dev, 0.0001).count(5, 1000), 5, "never below the tiny coverage");
    }

    #[test]
    fn rejects_bad_options() {
        for scale in [0.0, -1.0, f64::NAN, 1e9] {
            let got = SeedOptions::new(1, Profile::Dev, scale, default_now());
            assert!(matches!(got, Err(OptionError::Scale(_))), "scale {scale} gave {got:?}");
        }
        assert_eq!("huge".parse::<Profile>(), Err(OptionError::Profile("huge".into())));
        assert!(parse_now("yesterday").is_err());
        assert_eq!(parse_now("2026-03-04").unwrap().to_rfc3339(), "2026-03-04T00:00:00+00:00");
        assert_eq!(parse_now("2026-03-04T05:06:07+02:00").unwrap().to_rfc3339(), "2026-03-04T03:06:07+00:00");
    }
}
