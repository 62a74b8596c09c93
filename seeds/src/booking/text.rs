//! What BuildXpert's people and app write: service descriptions from the catalogue's own
//! facts, provider bios, customers' booking notes, reviews whose tone follows the score, and
//! the notifications the app sends, with the real names, services, prices and dates.

use chrono::{DateTime, Utc};

use crate::stream::Rng;
use crate::text::{self, dollars};

/// The trade that does a category's work, as a customer would call it.
fn trade(category: &str) -> &'static str {
    match category {
        "plumbing" => "plumber",
        "electrical" => "electrician",
        "cleaning" => "cleaner",
        "hvac" => "heating and cooling technician",
        "painting" => "painter",
        "handyman" => "handyman",
        "gardening" => "gardener",
        "pest_control" => "pest control technician",
        "appliances" => "appliance technician",
        "roofing" => "roofer",
        _ => "professional",
    }
}

/// What a visit of `minutes` takes, in words.
fn duration(out: &mut String, minutes: i32) {
    match minutes {
        m if m < 60 => out.push_str(&format!("{m} minutes")),
        60 => out.push_str("an hour"),
        m if m % 60 == 0 => out.push_str(&format!("{} hours", m / 60)),
        m => out.push_str(&format!("{} hours {} minutes", m / 60, m % 60)),
    }
}

/// A catalogue service's description, from its name, category, base price and duration.
pub(super) fn service(name: &str, category: &str, price_cents: i64, minutes: i32) -> String {
    let mut out = String::with_capacity(140);
    text::fill(
        &mut out,
        "{name} by a vetted {trade}. A visit takes about {duration}; prices start at {price}, parts extra.",
        |slot, out| match slot {
            "name" => out.push_str(name),
            "trade" => out.push_str(trade(category)),
            "duration" => duration(out, minutes),
            "price" => dollars(out, price_cents),
            _ => {}
        },
    );
    out
}

const BIO_OPENING: [&str; 3] = [
    "Hi, I'm {first}. {experience}",
    "{first} here. {experience}",
    "I'm {first}, and I run {business}. {experience}",
];

const BIO_CLOSING: [&str; 4] = [
    "I work within {radius} km, bring my own tools and clean up before I leave.",
    "Fully insured. I cover jobs within {radius} km and send a photo when the work is done.",
    "Happy to quote before I start; I travel up to {radius} km.",
    "Evenings and weekends on request, within {radius} km.",
];

/// A provider's bio, from their first name, business, years of experience and service radius.
pub(super) fn bio(rng: &mut Rng, first: &str, business: Option<&str>, years: i32, radius: i32) -> String {
    let mut out = String::with_capacity(200);
    let slot = |slot: &str, out: &mut String| match slot {
        "first" => out.push_str(first),
        "business" => out.push_str(business.unwrap_or("a small local team")),
        "experience" => match years {
            0 => out.push_str("New on BuildXpert, trained and certified this year."),
            1 => out.push_str("A year in the trade and loving it."),
            y => out.push_str(&format!("{y} years in the trade.")),
        },
        "radius" => out.push_str(&radius.to_string()),
        _ => {}
    };
    text::append(&mut out, rng, &BIO_OPENING, slot);
    text::append(&mut out, rng, &BIO_CLOSING, slot);
    out
}

/// What a customer tells the provider about the job, by the service's category.
fn job_notes(category: &str) -> &'static [&'static str] {
    match category {
        "plumbing" => &["The leak is under the kitchen sink.", "Water is shut off at the main valve."],
        "electrical" => {
            &["The breaker box is in the garage.", "Two outlets in the living room stopped working."]
        }
        "cleaning" => &["Please focus on the kitchen and both bathrooms.", "Supplies are under the sink."],
        "hvac" => {
            &["The unit makes a rattling noise when it starts.", "The filter was last changed in spring."]
        }
        "painting" => {
            &["Paint is in the garage, colour code on the lid.", "Furniture is moved to the middle."]
        }
        "handyman" => &["The boxes are in the hallway.", "I have a drill if you need one."],
        "gardening" => &["The side gate is unlocked.", "Please take the clippings with you."],
        "pest_control" => &["We saw droppings in the pantry.", "We have a cat; she will stay upstairs."],
        "appliances" => &["It is the dishwasher; it stopped draining.", "The model number is on the door."],
        "roofing" => &["Ladder access is from the back yard.", "The gutter over the porch overflows."],
        _ => &["Details in the app."],
    }
}

const ACCESS: [&str; 6] = [
    "Please call when you are outside.",
    "Gate code is {code}.",
    "Parking on the street only.",
    "The dog is friendly.",
    "Ring twice, the bell is quiet.",
    "Use the side entrance.",
];

/// A booking's note from the customer: about the job, and often about getting in.
pub(super) fn notes(rng: &mut Rng, category: &str) -> String {
    let mut out = String::with_capacity(100);
    let code = rng.between(1000, 9999);
    text::append(&mut out, rng, job_notes(category), |_, _| {});
    if rng.percent(60) {
        text::append(&mut out, rng, &ACCESS, |slot, out| {
            if slot == "code" {
                out.push_str(&code.to_string())
            }
        });
    }
    out
}

/// Reviews by score, 1 to 5: warm at the top, a complaint at the bottom.
const REVIEWS: [&[&str]; 5] = [
    &[
        "Terrible experience. {name} showed up hours late and the {service} is still not done.",
        "Avoid. The {service} was botched and nobody answers my messages.",
        "{name} never turned up for the {service}, and getting a refund took weeks.",
    ],
    &[
        "Disappointed. {name} arrived late and left a mess after the {service}.",
        "The {service} took twice as long as quoted and the result is poor.",
    ],
    &[
        "The {service} got done, though it took longer than quoted.",
        "Okay overall. {name} was polite; the {service} was average for the price.",
    ],
    &[
        "Good work on the {service}. {name} was on time and tidy.",
        "Solid job on the {service}; fair price. Would book again.",
    ],
    &[
        "{name} did a fantastic job on the {service}. On time, tidy and friendly. Highly recommend!",
        "Excellent {service}. {name} explained everything and the place is spotless. Thank you!",
        "Best {service} we have had. Great communication, great result.",
    ],
];

/// A review of `score` stars for `provider`'s `service`.
pub(super) fn review(rng: &mut Rng, score: i16, provider: &str, service: &str) -> String {
    text::write(rng, REVIEWS[(score.clamp(1, 5) - 1) as usize], |slot, out| match slot {
        "name" => out.push_str(provider),
        "service" => text::mid_sentence(out, service),
        _ => {}
    })
}

/// What a notification is about: the facts its text is filled from.
pub(super) struct Notice<'a> {
    pub(super) customer: &'a str,
    pub(super) provider: &'a str,
    pub(super) service: &'a str,
    pub(super) price_cents: i64,
    pub(super) start: DateTime<Utc>,
    pub(super) at: DateTime<Utc>,
}

/// The in-app notices the app sends, each a title and a message template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NoticeKind {
    Requested,
    Accepted,
    Reminder,
    Paid,
    News,
    Promotion,
}

impl NoticeKind {
    fn templates(self) -> (&'static str, &'static str) {
        match self {
            NoticeKind::Requested => (
                "New booking request from {customer}",
                "{customer} asked for {service} on {start} UTC. Accept or decline within 24 hours.",
            ),
            NoticeKind::Accepted => (
                "{provider} accepted your booking",
                "Your {service} with {provider} is confirmed for {start} UTC. Total {price}.",
            ),
            NoticeKind::Reminder => (
                "Your {service} is coming up soon",
                "{provider} will be with you on {start} UTC. Need to reschedule? Reply in the app.",
            ),
            NoticeKind::Paid => (
                "Payment received",
                "We received {price} for your {service} with {provider} on {day}. Your receipt is in the app.",
            ),
            NoticeKind::News => (
                "News from BuildXpert",
                "You can now call your provider from the app without sharing your number.",
            ),
            NoticeKind::Promotion => (
                "20% off your next cleaning",
                "Book any cleaning before {offer_end} and save 20% with code CLEAN20.",
            ),
        }
    }

    /// The notice's title and message for `n`.
    pub(super) fn write(self, n: &Notice) -> (String, String) {
        let (title, message) = self.templates();
        let slot = |slot: &str, out: &mut String| match slot {
            "customer" => out.push_str(n.customer),
            "provider" => out.push_str(n.provider),
            "service" => text::mid_sentence(out, n.service),
            "price" => dollars(out, n.price_cents),
            "start" => text::day_time(out, n.start),
            "day" => text::day(out, n.at),
            "offer_end" => text::day(out, n.at + chrono::Duration::days(14)),
            _ => {}
        };
        let (mut t, mut m) = (String::with_capacity(48), String::with_capacity(120));
        text::fill(&mut t, title, slot);
        text::fill(&mut m, message, slot);
        (t, m)
    }
}

/// The reminder sent an hour before a booking starts: its title and body.
pub(super) fn reminder(n: &Notice) -> (String, String) {
    let mut title = String::with_capacity(48);
    title.push_str(n.service);
    title.push_str(" starts in an hour");
    let mut body = String::with_capacity(80);
    text::fill(&mut body, "{provider} is due at {time} UTC. Total {price}, paid in the app.", |slot, out| {
        match slot {
            "provider" => out.push_str(n.provider),
            "time" => out.push_str(&n.start.format("%H:%M").to_string()),
            "price" => dollars(out, n.price_cents),
            _ => {}
        }
    });
    (title, body)
}
