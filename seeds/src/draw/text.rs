//! What Lucky11 writes about its draws: a description from the draw's prize, category (the
//! title's first word), entry fee, places and draw time.

use chrono::{DateTime, Utc};

use crate::stream::Rng;
use crate::text::{self, dollars};

/// The opening line by the title's first word, which also names the category.
fn openings(kind: &str) -> &'static [&'static str] {
    match kind {
        "Daily" => {
            &["Today's draw: {prize} to one player.", "A new day, a new winner: {prize} up for grabs."]
        }
        "Weekend" | "Friday" => {
            &["The weekend jackpot: {prize} for one lucky player.", "Start the weekend {prize} richer."]
        }
        "Mega" => &["Our biggest jackpot: {prize}, paid to one winner.", "Mega draw: {prize} on the line."],
        _ => &["A classic draw for {prize}.", "One prize of {prize}, one winner, a fair draw."],
    }
}

const REST: [&str; 3] = [
    "{entry} {places} The winner is drawn on {time} UTC.",
    "{entry} Only {places_short} Results on {time} UTC.",
    "{places} {entry} Drawn live on {time} UTC.",
];

/// A draw's description.
pub(super) fn draw(
    rng: &mut Rng,
    kind: &str,
    prize_cents: i64,
    fee: i32,
    max: i32,
    draw_time: DateTime<Utc>,
    premium: bool,
) -> String {
    let mut out = String::with_capacity(160);
    let slot = |slot: &str, out: &mut String| match slot {
        "prize" => dollars(out, prize_cents),
        "entry" if fee == 0 => out.push_str("Free to enter."),
        "entry" => out.push_str(&format!("Entry costs {fee} coins.")),
        "places" => out.push_str(&format!("{max} places, first come first served.")),
        "places_short" => out.push_str(&format!("{max} places.")),
        "time" => text::day_time(out, draw_time),
        _ => {}
    };
    text::append(&mut out, rng, openings(kind), slot);
    text::append(&mut out, rng, &REST, slot);
    if premium {
        out.push_str(" Premium members only.");
    }
    out
}
