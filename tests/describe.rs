//! `seedbed describe`, run as a user would on every backend: it names every table of every
//! domain with its real row count, draws each declared chart (the same picture as SQLite's
//! of the same data), and writes a well-formed
//! Markdown document with `--format markdown`. (That it creates nothing is in `read_only`;
//! a bad `--domain` is in the `cli` catalogue of bad inputs.)

use seedbed_core::Backend;
use seedbed_seeds::Profile;
use seedbed_seeds::describe::thousands;

use crate::seeding::{options, seeded};
use crate::util::{TestDb, assert_success, backend_tests, domains, show};

/// The lines of `text` from the one that is `header` to the next unindented one (the next
/// domain's header): one domain's part of the output.
fn section(text: &str, header: &str) -> String {
    let mut lines = text.lines().skip_while(|l| *l != header);
    let Some(first) = lines.next() else { return String::new() };
    let mut out = format!("{first}\n");
    for line in lines.take_while(|l| l.is_empty() || l.starts_with(' ')) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Asserts that every row of every Markdown table has as many cells as its header, and that
/// the separator row follows the header.
fn assert_well_formed_markdown(doc: &str) {
    let mut table: Option<(usize, usize)> = None; // (cells, rows so far)
    for line in doc.lines() {
        if !line.starts_with('|') {
            table = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count() - 1;
        match &mut table {
            None => table = Some((cells, 1)),
            Some((header, rows)) => {
                assert_eq!(
                    cells, *header,
                    "a table row with {cells} cells under a header of {header}: {line:?}\n{doc}"
                );
                if *rows == 1 {
                    assert!(
                        line.split('|').filter(|c| !c.is_empty()).all(|c| c
                            .trim()
                            .trim_matches(':')
                            .chars()
                            .all(|ch| ch == '-')),
                        "the second row of a table must be its separator: {line:?}\n{doc}"
                    );
                }
                *rows += 1;
            }
        }
    }
    assert_eq!(doc.matches("```").count() % 2, 0, "an unclosed code fence\n{doc}");
}

backend_tests!(describe_shows_every_table_with_its_row_count);
async fn describe_shows_every_table_with_its_row_count(backend: Backend) {
    let t = TestDb::new(backend).await;
    let mut expected = Vec::new();
    for domain in domains() {
        let db = seeded(&t, domain, options(Profile::Tiny, 42)).await;
        expected.push((domain, seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap()));
        db.close().await.ok();
    }

    let out = t.seedbed(&["describe"]);
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // Not a terminal: plain text.
    assert!(text.is_ascii(), "describe into a pipe must be plain text\n{}", show(&out));
    for (domain, counts) in &expected {
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let header = format!("{}: {} rows in {} tables", domain.name, thousands(total), counts.len());
        let own = section(&text, &header);
        assert!(!own.is_empty(), "{backend:?}: describe lacks {header:?}\n{text}");
        for (table, n) in counts {
            let line = format!("  {table:<28} {:>10}", thousands(*n));
            assert!(
                own.lines().any(|l| l == line),
                "{backend:?}: {} lacks the line {line:?}\n{own}",
                domain.name
            );
        }
        for facet in domain.seeder.facets() {
            let heading = format!("  {}.{}: {}", facet.table, facet.column, facet.about);
            let at = own
                .find(&format!("{heading}\n"))
                .unwrap_or_else(|| panic!("{backend:?}: {} lacks the chart {heading:?}\n{own}", domain.name));
            let mut chart = own[at + heading.len() + 1..].lines().take_while(|l| !l.is_empty());
            assert!(
                chart.any(|l| l.contains('#')),
                "{backend:?}: the chart {heading:?} has no bar on tiny data (every declared column has rows there)\n{own}"
            );
        }
    }

    // The same data gives the same picture on every backend: each counts with its own date
    // functions, and SQLite's are the reference.
    if backend != Backend::Sqlite {
        let reference = TestDb::new(Backend::Sqlite).await;
        for domain in domains() {
            seeded(&reference, domain, options(Profile::Tiny, 42)).await.close().await.ok();
        }
        let out = reference.seedbed(&["describe"]);
        assert_success(&out);
        let expected = String::from_utf8_lossy(&out.stdout).to_string();
        if let Some((got, want)) = text.lines().zip(expected.lines()).find(|(a, b)| a != b) {
            panic!(
                "{backend:?} describes the same data otherwise than SQLite: {got:?} where SQLite has {want:?}\n{text}"
            );
        }
        assert_eq!(
            text.lines().count(),
            expected.lines().count(),
            "{backend:?}: another number of lines than SQLite\n{text}"
        );
    }

    let out = t.seedbed(&["describe", "--format", "markdown", "--domain", "booking"]);
    assert_success(&out);
    let doc = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(doc.starts_with("# The data in booking\n"), "{doc}");
    assert_well_formed_markdown(&doc);
    let (_, counts) = expected.iter().find(|(d, _)| d.name == "booking").unwrap();
    for (table, n) in counts {
        let row = format!("| `{table}` | {} |", thousands(*n));
        assert!(doc.lines().any(|l| l == row), "{backend:?}: the markdown lacks the row {row:?}\n{doc}");
    }
    assert!(!doc.contains("## raffle"), "--domain booking describes only booking\n{doc}");
}

#[test]
fn a_ragged_markdown_table_is_caught() {
    let caught = std::panic::catch_unwind(|| {
        assert_well_formed_markdown("| a | b |\n| --- | --- |\n| 1 | 2 | 3 |\n");
    });
    assert!(caught.is_err(), "the well-formedness check let a row with an extra cell through");
}
