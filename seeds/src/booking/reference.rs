//! Booking's reference data: the service catalogue (`services_master`, keyed by `name`,
//! unique since the first migration), which every environment needs. Reviewed like code: a
//! change here reaches every database at its next `seed --reference-only`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseTransaction, DbErr};
use seedbed_booking::services_master;

use super::DOMAIN;
use crate::reference::{self, Outcome, Table};
use crate::stream::cents;

/// Name, category, base price (cents), minutes of one visit, and whether it is offered to
/// new bookings. Providers' offers pick services by position in this list.
pub(super) const SERVICES: [(&str, &str, i64, i32, bool); 24] = [
    ("Leak repair", "plumbing", 9_000, 60, true),
    // Withdrawn from the catalogue: kept, because past offers and bookings reference it.
    ("Drain unclogging", "plumbing", 7_500, 45, false),
    ("Water heater install", "plumbing", 45_000, 180, true),
    ("Outlet install", "electrical", 8_000, 45, true),
    ("Ceiling fan install", "electrical", 12_000, 90, true),
    ("Panel upgrade", "electrical", 150_000, 360, true),
    ("Standard cleaning", "cleaning", 9_500, 120, true),
    ("Deep cleaning", "cleaning", 22_000, 240, true),
    ("Move-out cleaning", "cleaning", 30_000, 300, true),
    ("AC service", "hvac", 11_000, 90, true),
    ("Furnace repair", "hvac", 18_000, 120, true),
    ("Duct cleaning", "hvac", 35_000, 240, true),
    ("Interior painting (room)", "painting", 40_000, 480, true),
    ("Fence painting", "painting", 60_000, 480, true),
    ("Furniture assembly", "handyman", 7_000, 90, true),
    ("TV wall mount", "handyman", 9_000, 60, true),
    ("Door repair", "handyman", 8_500, 60, true),
    ("Lawn mowing", "gardening", 5_000, 60, true),
    ("Hedge trimming", "gardening", 7_000, 90, true),
    ("Pest inspection", "pest_control", 9_900, 60, true),
    ("Termite treatment", "pest_control", 60_000, 240, true),
    ("Appliance repair", "appliances", 13_000, 90, true),
    ("Roof inspection", "roofing", 20_000, 120, true),
    ("Gutter cleaning", "roofing", 15_000, 120, true),
];

/// The catalogue as rows, created 400 days before `now`. A new service comes with a
/// description written from its own facts; once it is stored, the description is the
/// operator's (the upsert neither compares nor replaces it).
pub(super) fn services(now: DateTime<Utc>) -> Vec<services_master::Model> {
    let created = now - Duration::days(400);
    SERVICES
        .iter()
        .map(|&(name, category, price, minutes, active)| services_master::Model {
            id: reference::id(DOMAIN, "services_master", name),
            name: name.into(),
            category: category.into(),
            description: Some(super::text::service(name, category, price, minutes)),
            base_price: cents(price),
            duration_minutes: minutes,
            is_active: active,
            created_at: created,
            updated_at: created,
        })
        .collect()
}

pub(super) async fn upsert(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    write: bool,
) -> Result<Outcome, DbErr> {
    let mut out = Outcome::default();
    Table::<services_master::Model> {
        name: "services_master",
        key: ("name", |m| m.name.clone()),
        columns: |m| {
            vec![
                ("category", m.category.clone()),
                ("base_price", reference::decimal(&m.base_price)),
                ("duration_minutes", m.duration_minutes.to_string()),
                ("is_active", m.is_active.to_string()),
            ]
        },
        keep: |new, old, now| {
            new.id = old.id;
            // A description written by hand in the database is the operator's to keep.
            new.description = old.description.clone();
            new.created_at = old.created_at;
            new.updated_at = now;
        },
        serial: None,
    }
    .upsert::<services_master::Entity>(txn, services(now), now, write, &mut out)
    .await?;
    Ok(out)
}
