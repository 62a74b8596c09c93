//! What raffle's people write: sellers' shop descriptions, item descriptions built from the
//! item's own title, category and price, and the store-credit catalogue's vouchers.

use chrono::{DateTime, Utc};

use crate::stream::Rng;
use crate::text::{self, dollars};

/// What a title's first word says about the item's condition, in the seller's words.
fn condition(adjective: &str) -> &'static str {
    match adjective {
        "New" => "brand new and still sealed in its box",
        "Vintage" => "vintage, cleaned and in good working order",
        "Limited" => "a limited edition, unused",
        "Premium" | "Deluxe" => "the top model, unused",
        "Classic" => "the classic version, unused and boxed",
        "Compact" => "the compact model, unused",
        "Pro" => "the professional model, unused",
        _ => "unused",
    }
}

/// A line a seller adds for the category: what comes with it, how it ships.
fn category_line(category: &str) -> &'static [&'static str] {
    match category {
        "electronics" => &[
            "Comes with its charger, cables and the original packaging.",
            "Factory reset and tested; the manufacturer's warranty still applies.",
        ],
        "fashion" => &[
            "Authentic, with its tags, receipt and dust bag.",
            "Photographed in daylight, so the colour is as you see it.",
        ],
        "home" => &[
            "Works as it should; the manual and every part are in the box.",
            "Fits a standard kitchen counter; the plug is the US type.",
        ],
        "collectibles" => &[
            "Stored away from sunlight, with a certificate of authenticity.",
            "Packed in a padded case, so it arrives as it left.",
        ],
        "sports" => &[
            "Ready to use; setting it up takes a few minutes.",
            "Checked over by a local shop before listing.",
        ],
        _ => &["Delivered by email the day after the draw; it does not expire."],
    }
}

const ITEM: [&str; 4] = [
    "{title}: {condition}. {line} Retail value {price}.",
    "Up for grabs: one {noun}, {condition}. {line}",
    "{title}, {condition}. {line} Ships within {days} days of the draw.",
    "One {noun} ({price} in the shops), {condition}. {line} Ships within {days} days of the draw.",
];

const GIFT_CARD: [&str; 2] =
    ["{title} worth {price}. {line}", "A {noun} for {price}, to spend as you like. {line}"];

/// An item's description, from its title's adjective and noun, its category and its price.
pub(super) fn item(rng: &mut Rng, adjective: &str, noun: &str, category: &str, price_cents: i64) -> String {
    let templates: &[&str] = if category == "gift_cards" { &GIFT_CARD } else { &ITEM };
    let line = *rng.pick(category_line(category));
    let days = rng.between(2, 5);
    text::write(rng, templates, |slot, out| match slot {
        "title" => {
            out.push_str(adjective);
            out.push(' ');
            out.push_str(noun);
        }
        "noun" => out.push_str(noun),
        "condition" => out.push_str(condition(adjective)),
        "line" => out.push_str(line),
        "price" => dollars(out, price_cents),
        "days" => out.push_str(&days.to_string()),
        _ => {}
    })
}

const SELLER: [&str; 4] = [
    "{business} has sold here since {since}. Every item ships tracked within two working days.",
    "A family shop selling since {since}. We answer messages the same day and ship every prize insured.",
    "{business}: new and collectable goods, raffled fairly since {since}. Questions welcome before you buy a box.",
    "Small team, careful packing. Selling here since {since}; winners get their prize within a week.",
];

/// A seller's shop description, from its name and when it started selling.
pub(super) fn seller(rng: &mut Rng, business: &str, since: DateTime<Utc>) -> String {
    text::write(rng, &SELLER, |slot, out| match slot {
        "business" => out.push_str(business),
        "since" => out.push_str(&since.format("%B %Y").to_string()),
        _ => {}
    })
}

/// What the store credit buys: a voucher's title.
const VOUCHERS: [&str; 8] = [
    "Free shipping voucher",
    "10% off voucher",
    "Bonus box voucher",
    "Coffee shop voucher",
    "Cinema ticket voucher",
    "Streaming month voucher",
    "Bookstore voucher",
    "Meal delivery voucher",
];

const VOUCHER: [&str; 3] = [
    "Trade {cost} of store credit for this voucher. {left}",
    "Redeem {cost} of credit and we email you the code. {left}",
    "Yours for {cost} of store credit. {left}",
];

/// A voucher of the store-credit catalogue: its title, and a description from its cost,
/// stock and end of validity.
pub(super) fn voucher(
    rng: &mut Rng,
    cost_cents: i64,
    stock: i32,
    until: Option<DateTime<Utc>>,
) -> (String, String) {
    let title = (*rng.pick(&VOUCHERS)).to_owned();
    let description = text::write(rng, &VOUCHER, |slot, out| match slot {
        "cost" => dollars(out, cost_cents),
        "left" => match (stock, until) {
            (0, _) => out.push_str("Out of stock for now; more are on the way."),
            (_, Some(t)) => {
                out.push_str("Valid until ");
                text::day(out, t);
                out.push_str(&t.format(" %Y.").to_string());
            }
            (n, None) => out.push_str(&format!("{n} left.")),
        },
        _ => {}
    });
    (title, description)
}
