//! `seedbed describe`: a picture of what the domains hold, without writing SQL. Per table
//! the row count, and for the columns each domain declares telling (`Seeder::facets`) a
//! compact chart: unicode bars and sparklines on a terminal, plain `#` bars when the output
//! goes to a file or a pipe, or one Markdown document with `--format markdown`. Reads only.

use std::fmt::Write as _;
use std::io::IsTerminal;

use clap::Args;
use seedbed_seeds::describe::{Chart, Measure, Picture, thousands};

use super::data::open_existing;
use super::{DbArgs, DomainArgs};

/// How `describe` prints its picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Look {
    /// Lines for a terminal (unicode bars and sparklines), plain text when not a terminal.
    Text,
    /// One Markdown document: headings, tables, the same charts.
    Markdown,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Print lines for people (text) or a Markdown document (markdown).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Look::Text)]
    format: Look,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    domains: DomainArgs,
}

pub async fn run(args: DescribeArgs) -> anyhow::Result<()> {
    let target = args.db.target()?;
    let mut pictures = Vec::new();
    for (domain, db) in open_existing(&target, &args.domains.selected()?).await? {
        super::data::require_migrated(domain, &db).await?;
        // A picture of half a seeding would mislead: refused as check and digest refuse it.
        super::data::require_complete(domain, &db).await?;
        pictures.push(seedbed_seeds::describe::describe(&db, domain.seeder).await?);
    }
    let out = match args.format {
        Look::Markdown => markdown(&pictures),
        Look::Text => text(&pictures, std::io::stdout().is_terminal()),
    };
    say!("{}", out.trim_end());
    Ok(())
}

/// Bar widths, in characters: full scale is the chart's largest bucket.
const TEXT_WIDTH: u64 = 32;
const MARKDOWN_WIDTH: u64 = 20;

/// A bar of `n` on a scale where `max` fills `width`: unicode blocks to an eighth of a
/// character, or `#` to a whole one. A bucket with rows never shows as nothing.
fn bar(out: &mut String, n: u64, max: u64, width: u64, unicode: bool) {
    if max == 0 || n == 0 {
        return;
    }
    if !unicode {
        let cells = (n * width).div_ceil(max).max(1);
        out.extend(std::iter::repeat_n('#', cells as usize));
        return;
    }
    let eighths = (n * width * 8).div_ceil(max).max(1);
    out.extend(std::iter::repeat_n('█', (eighths / 8) as usize));
    if !eighths.is_multiple_of(8) {
        out.push([' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][(eighths % 8) as usize]);
    }
}

/// The series as one line of eight-level blocks (`▁` for an empty bucket as well: the line
/// keeps its length).
fn sparkline(chart: &Chart) -> String {
    let max = chart.bars.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let levels = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    chart
        .bars
        .iter()
        .map(|(_, n)| if max == 0 { levels[0] } else { levels[((n * 7).div_ceil(max)) as usize] })
        .collect()
}

/// `n` as a share of `total`, in whole percent (`<1%` for a few rows of many).
fn share(n: u64, total: u64) -> String {
    match (n, total) {
        (_, 0) => "-".into(),
        (n, t) if n > 0 && n * 100 < t => "<1%".into(),
        (n, t) => format!("{}%", (n * 100 + t / 2) / t),
    }
}

fn heading(chart: &Chart) -> String {
    format!("{}.{}: {}", chart.facet.table, chart.facet.column, chart.facet.about)
}

/// The pictures as lines for a person: unicode charts on a terminal, `#` bars elsewhere.
pub fn text(pictures: &[Picture], unicode: bool) -> String {
    let mut out = String::new();
    for p in pictures {
        let total: u64 = p.tables.iter().map(|(_, n)| n).sum();
        let _ = writeln!(out, "{}: {} rows in {} tables", p.domain, thousands(total), p.tables.len());
        for (table, n) in &p.tables {
            let _ = writeln!(out, "  {table:<28} {:>10}", thousands(*n));
        }
        for chart in &p.charts {
            let _ = writeln!(out);
            let _ = writeln!(out, "  {}", heading(chart));
            let max = chart.bars.iter().map(|(_, n)| *n).max().unwrap_or(0);
            if chart.total() == 0 {
                let _ = writeln!(out, "    no rows");
                continue;
            }
            if unicode && chart.is_series() {
                let (first, last) = (&chart.bars[0].0, &chart.bars[chart.bars.len() - 1].0);
                let _ = writeln!(out, "    {}  {first} to {last}", sparkline(chart));
            } else {
                let label = chart.bars.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
                for (l, n) in &chart.bars {
                    let mut b = String::new();
                    bar(&mut b, *n, max, TEXT_WIDTH, unicode);
                    let pad = label - l.chars().count();
                    let _ = writeln!(
                        out,
                        "    {l}{:pad$}  {b:<w$} {:>9}  {:>4}",
                        "",
                        thousands(*n),
                        share(*n, chart.total()),
                        w = TEXT_WIDTH as usize + 1,
                    );
                }
            }
            if let Some(summary) = &chart.summary {
                let _ = writeln!(out, "    {summary}");
            }
        }
        let _ = writeln!(out);
    }
    out
}

/// What a chart's buckets are and what they count, as a table's header says it.
fn columns(measure: Measure) -> (&'static str, &'static str) {
    match measure {
        Measure::Mix => ("value", "rows"),
        Measure::Amount => ("amount", "rows"),
        Measure::PerUser => ("rows each", "users"),
        Measure::Weekday => ("day (UTC)", "rows"),
        // Series are one row of counts under their buckets.
        Measure::Hour | Measure::Month => ("", "rows"),
    }
}

/// `|` and line breaks would end a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The pictures as one Markdown document: a table of row counts per domain, then each
/// chart as a table (bars drawn with unicode blocks in a code span), or for a series (hours,
/// months) its sparkline over one row of counts.
pub fn markdown(pictures: &[Picture]) -> String {
    let mut out = String::new();
    let names: Vec<&str> = pictures.iter().map(|p| p.domain).collect();
    let _ = writeln!(out, "# The data in {}\n", names.join(", "));
    for p in pictures {
        let total: u64 = p.tables.iter().map(|(_, n)| n).sum();
        let _ = writeln!(out, "## {}\n", p.domain);
        let _ = writeln!(out, "{} rows in {} tables.\n", thousands(total), p.tables.len());
        let _ = writeln!(out, "| table | rows |\n| --- | ---: |");
        for (table, n) in &p.tables {
            let _ = writeln!(out, "| `{table}` | {} |", thousands(*n));
        }
        let _ = writeln!(out);
        for chart in &p.charts {
            let _ = writeln!(out, "### {}\n", cell(&heading(chart)));
            if chart.total() == 0 {
                let _ = writeln!(out, "No rows.\n");
                continue;
            }
            if chart.is_series() {
                let (first, last) = (&chart.bars[0].0, &chart.bars[chart.bars.len() - 1].0);
                let _ = writeln!(out, "`{}` {first} to {last}\n", sparkline(chart));
            }
            if let Some(summary) = &chart.summary {
                let _ = writeln!(out, "{}.\n", cell(summary));
            }
            if chart.is_series() {
                // One row of counts under the buckets: the sparkline above is its chart.
                let heads: String = chart.bars.iter().map(|(l, _)| format!(" {} |", cell(l))).collect();
                let rule: String = chart.bars.iter().map(|_| " ---: |").collect();
                let counts: String =
                    chart.bars.iter().map(|(_, n)| format!(" {} |", thousands(*n))).collect();
                let _ = writeln!(out, "|{heads}\n|{rule}\n|{counts}\n");
                continue;
            }
            let max = chart.bars.iter().map(|(_, n)| *n).max().unwrap_or(0);
            let (what, count) = columns(chart.facet.measure);
            let _ = writeln!(out, "| {what} | {count} | share | |\n| --- | ---: | ---: | --- |");
            for (l, n) in &chart.bars {
                let mut b = String::new();
                bar(&mut b, *n, max, MARKDOWN_WIDTH, true);
                let b = if b.is_empty() { String::new() } else { format!("`{b}`") };
                let _ =
                    writeln!(out, "| {} | {} | {} | {b} |", cell(l), thousands(*n), share(*n, chart.total()));
            }
            let _ = writeln!(out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use seedbed_seeds::describe::{Facet, shape};

    use super::*;

    fn picture() -> Picture {
        let facet = |measure, about| Facet::new("raffles", "status", measure, about);
        let counted = |pairs: &[(&str, u64)]| pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        Picture {
            domain: "raffle",
            tables: vec![("raffles", 1_234), ("items", 0)],
            charts: vec![
                shape(
                    facet(Measure::Mix, "raffles by status"),
                    counted(&[("open", 16), ("completed", 4), ("a|b", 1)]),
                ),
                shape(facet(Measure::Hour, "by hour"), counted(&[("20", 8), ("3", 1)])),
                shape(facet(Measure::Month, "per month"), Vec::new()),
            ],
        }
    }

    fn check_bar(n: u64, max: u64, unicode: bool, expected: &str) {
        let mut out = String::new();
        bar(&mut out, n, max, 4, unicode);
        assert_eq!(out, expected, "{n} of {max} in 4 cells, unicode {unicode}");
    }

    #[test]
    fn bars_scale_to_the_largest_bucket_and_never_hide_a_row() {
        check_bar(8, 8, true, "████");
        check_bar(1, 8, true, "▌");
        check_bar(1, 1000, true, "▏");
        check_bar(0, 8, true, "");
        check_bar(4, 8, false, "##");
        check_bar(1, 1000, false, "#");
    }

    #[test]
    fn plain_text_has_no_unicode_blocks_and_names_every_table() {
        let out = text(&[picture()], false);
        assert!(out.is_ascii(), "plain text holds only ASCII:\n{out}");
        for line in ["raffle: 1,234 rows in 2 tables", "raffles", "items", "no rows", "busiest 20h (8)"] {
            assert!(out.contains(line), "the text lacks {line:?}:\n{out}");
        }
    }

    #[test]
    fn a_terminal_gets_a_sparkline_for_a_series() {
        let out = text(&[picture()], true);
        assert!(out.contains("▁▁▁▂▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁█▁▁▁  00 to 23"), "{out}");
    }

    #[test]
    fn markdown_tables_have_as_many_cells_as_their_header() {
        let out = markdown(&[picture()]);
        let mut columns = None;
        for line in out.lines() {
            if !line.starts_with('|') {
                columns = None;
                continue;
            }
            // An escaped pipe is not a cell border.
            let cells = line.replace("\\|", "").matches('|').count();
            assert_eq!(*columns.get_or_insert(cells), cells, "a ragged table row {line:?} in\n{out}");
        }
        assert!(out.contains("| a\\|b | 1 |"), "{out}");
        assert!(out.starts_with("# The data in raffle\n"), "{out}");
    }
}
