//! The shape of a domain's data, for `seedbed describe`: each table's row count, and for the
//! columns the domain declares telling ([`Facet`]s, beside each seeder) the distribution a
//! person would want to see: the mix of a status, amounts, activity per user, hour of day,
//! day of week and month. Only reads; the counting is done by the database (one `GROUP BY`
//! per facet, so `large` data costs no more memory than `tiny`), with the date functions
//! spelt per backend, and the results are bucketed the same way on every backend.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::{Seeder, quote};

/// What a facet measures of its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// How the rows share out over the column's values (a status, a type, a score).
    Mix,
    /// A non-negative amount (a price, a prize), in buckets of 1, 2, 5, 10, 20, 50…
    Amount,
    /// How many rows each value of the column (a user's key) has: the heavy tail of activity.
    PerUser,
    /// Rows by hour of the day of a timestamp, in UTC.
    Hour,
    /// Rows by day of the week of a timestamp, in UTC.
    Weekday,
    /// Rows by calendar month of a timestamp, in UTC.
    Month,
}

/// A column worth a chart, declared by its domain ([`Seeder::facets`]).
#[derive(Debug, Clone, Copy)]
pub struct Facet {
    pub table: &'static str,
    pub column: &'static str,
    pub measure: Measure,
    /// What the chart shows, in a few words (`boxes bought per buyer`).
    pub about: &'static str,
}

impl Facet {
    pub const fn new(
        table: &'static str,
        column: &'static str,
        measure: Measure,
        about: &'static str,
    ) -> Self {
        Facet { table, column, measure, about }
    }
}

/// A facet's distribution: labelled counts in display order, and a one-line summary where
/// the bars alone do not say it (percentiles of activity, the busiest hour).
#[derive(Debug, Clone)]
pub struct Chart {
    pub facet: Facet,
    pub bars: Vec<(String, u64)>,
    pub summary: Option<String>,
}

impl Chart {
    /// Whether the bars are a series in time order (hours, months): a sparkline fits them.
    pub fn is_series(&self) -> bool {
        matches!(self.facet.measure, Measure::Hour | Measure::Month)
    }

    /// The rows counted.
    pub fn total(&self) -> u64 {
        self.bars.iter().map(|(_, n)| n).sum()
    }
}

/// One domain's picture: its tables' row counts, in the seeder's order, and its charts.
#[derive(Debug, Clone)]
pub struct Picture {
    pub domain: &'static str,
    pub tables: Vec<(&'static str, u64)>,
    pub charts: Vec<Chart>,
}

/// Reads the picture of `seeder`'s domain from `db`.
pub async fn describe(db: &impl ConnectionTrait, seeder: &dyn Seeder) -> Result<Picture, DbErr> {
    let tables = crate::row_counts(db, seeder).await?;
    let mut charts = Vec::new();
    for facet in seeder.facets() {
        charts.push(chart(db, *facet).await?);
    }
    Ok(Picture { domain: seeder.domain(), tables, charts })
}

/// `expr` as text, whatever its type, in `backend`'s spelling.
fn as_text(backend: DbBackend, expr: &str) -> String {
    match backend {
        DbBackend::MySql => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// The upper bounds of the amount buckets: 1, 2, 5, 10, … 50,000,000.
fn amount_bounds() -> Vec<i64> {
    let mut bounds = Vec::new();
    let mut decade = 1i64;
    while decade <= 10_000_000 {
        bounds.extend([decade, 2 * decade, 5 * decade]);
        decade *= 10;
    }
    bounds
}

/// The SQL that puts each row of `column` in its bucket, for `measure`.
fn bucket_expr(backend: DbBackend, column: &str, measure: Measure) -> String {
    let c = column;
    match (measure, backend) {
        (Measure::Mix | Measure::PerUser, _) => c.to_owned(),
        (Measure::Amount, _) => {
            let mut case = format!("CASE WHEN {c} < 0 THEN -1");
            for (i, bound) in amount_bounds().iter().enumerate() {
                case.push_str(&format!(" WHEN {c} < {bound} THEN {i}"));
            }
            case.push_str(&format!(" ELSE {} END", amount_bounds().len()));
            case
        }
        (Measure::Hour, DbBackend::Sqlite) => format!("CAST(strftime('%H', {c}) AS INTEGER)"),
        (Measure::Hour, DbBackend::Postgres) => format!("EXTRACT(HOUR FROM {c} AT TIME ZONE 'UTC')"),
        (Measure::Hour, _) => format!("HOUR({c})"),
        (Measure::Weekday, DbBackend::Sqlite) => format!("CAST(strftime('%w', {c}) AS INTEGER)"),
        (Measure::Weekday, DbBackend::Postgres) => format!("EXTRACT(DOW FROM {c} AT TIME ZONE 'UTC')"),
        (Measure::Weekday, _) => format!("(DAYOFWEEK({c}) - 1)"),
        (Measure::Month, DbBackend::Sqlite) => format!("strftime('%Y-%m', {c})"),
        (Measure::Month, DbBackend::Postgres) => format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM')"),
        (Measure::Month, _) => format!("DATE_FORMAT({c}, '%Y-%m')"),
    }
}

/// Counts `facet`'s rows per bucket (the database's work), then orders and labels them.
async fn chart(db: &impl ConnectionTrait, facet: Facet) -> Result<Chart, DbErr> {
    let backend = db.get_database_backend();
    let column = quote(backend, facet.column);
    let table = quote(backend, facet.table);
    let sql = match facet.measure {
        // Only the counts matter, not the keys (which may be binary UUIDs on SQLite).
        Measure::PerUser => {
            format!("SELECT '', COUNT(*) FROM {table} WHERE {column} IS NOT NULL GROUP BY {column}")
        }
        measure => {
            let bucket = as_text(backend, &bucket_expr(backend, &column, measure));
            format!("SELECT {bucket}, COUNT(*) FROM {table} WHERE {column} IS NOT NULL GROUP BY 1")
        }
    };
    let mut counted: Vec<(String, u64)> = Vec::new();
    for row in db.query_all_raw(Statement::from_string(backend, sql)).await? {
        let key: Option<String> = row.try_get_by_index(0)?;
        let n: i64 = row.try_get_by_index(1)?;
        counted.push((key.unwrap_or_default(), n as u64));
    }
    Ok(shape(facet, counted))
}

/// Orders and labels the counted buckets of `facet` (`counted`: bucket key as text, rows).
pub fn shape(facet: Facet, mut counted: Vec<(String, u64)>) -> Chart {
    let number = |key: &str| key.trim().split('.').next().and_then(|k| k.parse::<i64>().ok()).unwrap_or(0);
    let (bars, summary) = match facet.measure {
        Measure::Mix => {
            // Largest first; ties in key order, so the output is the same on every backend.
            counted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (counted, None)
        }
        Measure::Amount => {
            let bounds = amount_bounds();
            let mut per: Vec<u64> = vec![0; bounds.len() + 2];
            for (key, n) in &counted {
                per[(number(key) + 1).clamp(0, bounds.len() as i64 + 1) as usize] += n;
            }
            let label = |i: usize| match i {
                0 => "below 0".to_owned(),
                i if i == bounds.len() + 1 => format!("{} and more", short(bounds[bounds.len() - 1])),
                1 => format!("0 to {}", short(bounds[0])),
                i => format!("{} to {}", short(bounds[i - 2]), short(bounds[i - 1])),
            };
            (trimmed(per.into_iter().enumerate().map(|(i, n)| (label(i), n)).collect()), None)
        }
        Measure::PerUser => {
            let mut per_user: Vec<u64> = counted.iter().map(|(_, n)| *n).collect();
            per_user.sort_unstable();
            let bounds = amount_bounds();
            let mut per: Vec<u64> = vec![0; bounds.len() + 1];
            for n in &per_user {
                per[bounds.partition_point(|b| *b as u64 <= *n)] += 1;
            }
            let label = |i: usize| match i {
                0 => "0".to_owned(),
                i if i == bounds.len() => format!("{} or more", short(bounds[i - 1])),
                i if bounds[i] - bounds[i - 1] == 1 => short(bounds[i - 1]),
                i => format!("{} to {}", short(bounds[i - 1]), short(bounds[i] - 1)),
            };
            let summary = (!per_user.is_empty()).then(|| {
                let at = |p: usize| per_user[(p * per_user.len()).div_ceil(100).max(1) - 1];
                format!(
                    "{} with any; median {}, p90 {}, p99 {}, max {}",
                    thousands(per_user.len() as u64),
                    at(50),
                    at(90),
                    at(99),
                    per_user[per_user.len() - 1]
                )
            });
            (trimmed(per.into_iter().enumerate().map(|(i, n)| (label(i), n)).collect()), summary)
        }
        Measure::Hour => {
            let mut per = [0u64; 24];
            for (key, n) in &counted {
                per[number(key).clamp(0, 23) as usize] += n;
            }
            let bars: Vec<(String, u64)> =
                per.iter().enumerate().map(|(h, n)| (format!("{h:02}"), *n)).collect();
            (bars.clone(), extremes(&bars, "h"))
        }
        Measure::Weekday => {
            let mut per = [0u64; 7];
            for (key, n) in &counted {
                per[number(key).clamp(0, 6) as usize] += n;
            }
            // Monday first, as a week is read.
            let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
            ((1..=7).map(|d| (names[d % 7].to_owned(), per[d % 7])).collect(), None)
        }
        Measure::Month => {
            counted.sort();
            let bars = months(&counted);
            let summary = extremes(&bars, "");
            (bars, summary)
        }
    };
    Chart { facet, bars, summary }
}

/// Every month from the first counted to the last, empty ones included.
fn months(counted: &[(String, u64)]) -> Vec<(String, u64)> {
    let parse = |k: &str| NaiveDate::parse_from_str(&format!("{}-01", k.trim()), "%Y-%m-%d").ok();
    let (Some(first), Some(last)) =
        (counted.first().and_then(|(k, _)| parse(k)), counted.last().and_then(|(k, _)| parse(k)))
    else {
        return counted.to_vec();
    };
    let mut out = Vec::new();
    let mut month = first;
    while month <= last {
        let key = month.format("%Y-%m").to_string();
        let n = counted.iter().find(|(k, _)| k.trim() == key).map_or(0, |(_, n)| *n);
        out.push((key, n));
        month = month.checked_add_months(chrono::Months::new(1)).unwrap_or(last.succ_opt().unwrap_or(last));
    }
    out
}

/// The busiest and quietest bucket, for a series.
fn extremes(bars: &[(String, u64)], unit: &str) -> Option<String> {
    let busiest = bars.iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))?;
    let quietest = bars.iter().min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))?;
    (busiest.1 > 0).then(|| {
        format!(
            "busiest {}{unit} ({}), quietest {}{unit} ({})",
            busiest.0,
            thousands(busiest.1),
            quietest.0,
            thousands(quietest.1)
        )
    })
}

/// Buckets from the first with rows to the last with rows.
fn trimmed(bars: Vec<(String, u64)>) -> Vec<(String, u64)> {
    let first = bars.iter().position(|(_, n)| *n > 0);
    let last = bars.iter().rposition(|(_, n)| *n > 0);
    match (first, last) {
        (Some(a), Some(b)) => bars[a..=b].to_vec(),
        _ => Vec::new(),
    }
}

/// 12345 as `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// 5000 as `5k`, 2000000 as `2M`: bucket bounds for a narrow label.
fn short(n: i64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facet(measure: Measure) -> Facet {
        Facet { table: "t", column: "c", measure, about: "test" }
    }

    fn check(measure: Measure, counted: &[(&str, u64)], bars: &[(&str, u64)], summary: Option<&str>) {
        let chart = shape(facet(measure), counted.iter().map(|(k, n)| (k.to_string(), *n)).collect());
        let got: Vec<(&str, u64)> = chart.bars.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(got, bars, "{measure:?} of {counted:?}");
        assert_eq!(chart.summary.as_deref(), summary, "{measure:?} of {counted:?}");
    }

    #[test]
    fn a_mix_lists_the_largest_share_first() {
        check(
            Measure::Mix,
            &[("open", 2), ("completed", 9), ("cancelled", 2)],
            &[("completed", 9), ("cancelled", 2), ("open", 2)],
            None,
        );
    }

    #[test]
    fn amounts_fall_in_one_two_five_buckets_between_the_first_and_last_used() {
        // Bucket keys as the CASE returns them: 0 is [0, 1), 2 is [2, 5), 3 is [5, 10).
        check(
            Measure::Amount,
            &[("0", 1), ("3", 4)],
            &[("0 to 1", 1), ("1 to 2", 0), ("2 to 5", 0), ("5 to 10", 4)],
            None,
        );
        // PostgreSQL may spell the key as a decimal.
        check(Measure::Amount, &[("12.0", 3)], &[("5k to 10k", 3)], None);
    }

    #[test]
    fn activity_per_user_shows_its_tail_and_percentiles() {
        let mut counted: Vec<(String, u64)> = (0..98).map(|u| (format!("u{u}"), 1 + u % 3)).collect();
        counted.push(("keen".into(), 40));
        counted.push(("keenest".into(), 250));
        let chart = shape(facet(Measure::PerUser), counted);
        let got: Vec<(&str, u64)> = chart.bars.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(
            got,
            [
                ("1", 33),
                ("2 to 4", 65),
                ("5 to 9", 0),
                ("10 to 19", 0),
                ("20 to 49", 1),
                ("50 to 99", 0),
                ("100 to 199", 0),
                ("200 to 499", 1)
            ]
        );
        assert_eq!(chart.summary.as_deref(), Some("100 with any; median 2, p90 3, p99 40, max 250"));
    }

    #[test]
    fn hours_weekdays_and_months_come_in_calendar_order() {
        let mut hours: Vec<(&str, u64)> = vec![("00", 0); 24];
        let labels: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
        for (h, l) in labels.iter().enumerate() {
            hours[h] = (l.as_str(), 0);
        }
        hours[20].1 = 7;
        hours[3].1 = 0;
        hours[9].1 = 2;
        check(Measure::Hour, &[("20", 7), ("9", 2)], &hours, Some("busiest 20h (7), quietest 00h (0)"));
        check(
            Measure::Weekday,
            &[("0", 5), ("1", 1)],
            &[("Mon", 1), ("Tue", 0), ("Wed", 0), ("Thu", 0), ("Fri", 0), ("Sat", 0), ("Sun", 5)],
            None,
        );
        check(
            Measure::Month,
            &[("2025-12", 4), ("2025-10", 1)],
            &[("2025-10", 1), ("2025-11", 0), ("2025-12", 4)],
            Some("busiest 2025-12 (4), quietest 2025-11 (0)"),
        );
    }

    #[test]
    fn nothing_counted_gives_no_bars_and_no_summary() {
        for measure in [Measure::Mix, Measure::Amount, Measure::PerUser, Measure::Month] {
            check(measure, &[], &[], None);
        }
    }
}
