//! Words people write: the small toolkit the domains' text generators share (templates with
//! named slots, money and dates the way a person writes them), so that every description,
//! review and message is built from the row's own facts instead of filler.
//!
//! A template is plain text with `{slot}` markers; [`fill`] copies it into one `String`,
//! asking the generator for each slot's words, so a text costs one allocation. Templates and
//! vocabularies live beside each domain's generator (`seeds/src/<domain>/text.rs`), as data a
//! reviewer can read.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::stream::Rng;

/// Copies `template` into `out`, with each `{name}` replaced by what `slot` writes for
/// `name`. A `{` without its `}` is copied as it is.
pub fn fill(out: &mut String, template: &str, mut slot: impl FnMut(&str, &mut String)) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        slot(&rest[open + 1..open + close], out);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
}

/// One of `templates`, filled: the usual way a generator writes a sentence.
pub fn write(rng: &mut Rng, templates: &[&str], slot: impl FnMut(&str, &mut String)) -> String {
    let mut out = String::with_capacity(160);
    fill(&mut out, rng.pick::<&str>(templates), slot);
    out
}

/// Appends one of `templates`, filled, after a space: for texts of several sentences.
pub fn append(out: &mut String, rng: &mut Rng, templates: &[&str], slot: impl FnMut(&str, &mut String)) {
    if !out.is_empty() {
        out.push(' ');
    }
    fill(out, rng.pick::<&str>(templates), slot);
}

/// `name` in the middle of a sentence: `Deep cleaning` becomes `deep cleaning`, while an
/// initialism (`AC service`) keeps its capitals.
pub fn mid_sentence(out: &mut String, name: &str) {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => {
            out.extend(first.to_lowercase());
            out.push_str(&name[first.len_utf8()..]);
        }
        _ => out.push_str(name),
    }
}

/// `cents` as a person writes dollars: `$1,249.99`, `$15` for whole amounts.
pub fn dollars(out: &mut String, cents: i64) {
    if cents < 0 {
        out.push('-');
    }
    let (whole, part) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
    out.push('$');
    let digits = whole.to_string();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if part != 0 {
        let _ = write!(out, ".{part:02}");
    }
}

/// A day as a notification writes it: `Tue 14 Jan`.
pub fn day(out: &mut String, t: DateTime<Utc>) {
    let _ = write!(out, "{}", t.format("%a %-d %b"));
}

/// A day and time as a notification writes it: `Tue 14 Jan at 09:30`.
pub fn day_time(out: &mut String, t: DateTime<Utc>) {
    let _ = write!(out, "{}", t.format("%a %-d %b at %H:%M"));
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn check_fill(template: &str, expected: &str) {
        let mut out = String::new();
        fill(&mut out, template, |name, out| {
            out.push_str(match name {
                "name" => "Ada",
                "what" => "a drill",
                other => panic!("the template asked for an unknown slot {other:?}"),
            })
        });
        assert_eq!(out, expected, "filling {template:?}");
    }

    #[test]
    fn slots_are_replaced_and_the_rest_copied() {
        check_fill("Hi {name}, {what} is ready.", "Hi Ada, a drill is ready.");
        check_fill("{name}", "Ada");
        check_fill("no slots", "no slots");
        check_fill("an open { brace", "an open { brace");
    }

    fn check_dollars(cents: i64, expected: &str) {
        let mut out = String::new();
        dollars(&mut out, cents);
        assert_eq!(out, expected, "{cents} cents");
    }

    #[test]
    fn names_inside_a_sentence_keep_initialisms() {
        for (name, expected) in [("Deep cleaning", "deep cleaning"), ("AC service", "AC service"), ("", "")] {
            let mut out = String::new();
            mid_sentence(&mut out, name);
            assert_eq!(out, expected, "{name:?} inside a sentence");
        }
    }

    #[test]
    fn money_reads_like_a_price_tag() {
        check_dollars(1_500, "$15");
        check_dollars(249_999, "$2,499.99");
        check_dollars(123_456_700, "$1,234,567");
        check_dollars(5, "$0.05");
        check_dollars(-1_000, "-$10");
    }

    #[test]
    fn dates_read_like_a_message() {
        let t = Utc.with_ymd_and_hms(2026, 1, 13, 9, 30, 0).unwrap();
        let (mut d, mut dt) = (String::new(), String::new());
        day(&mut d, t);
        day_time(&mut dt, t);
        assert_eq!((d.as_str(), dt.as_str()), ("Tue 13 Jan", "Tue 13 Jan at 09:30"));
    }
}
