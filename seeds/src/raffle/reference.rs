//! Raffle's reference data: the seller subscription tiers (keyed by `code`) and the system
//! settings (keyed by `key`), which every environment needs. Reviewed like code: a change
//! here reaches every database at its next `seed --reference-only`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::prelude::Decimal;
use sea_orm::{DatabaseTransaction, DbErr};
use seedbed_raffle::{seller_subscriptions, system_settings};
use serde_json::json;

use super::DOMAIN;
use crate::reference::{self, Outcome, Table};
use crate::stream::cents;

/// The subscription tiers: code, name, monthly price (cents), raffles, items, commission
/// (basis points). The generator's sellers are spread over them in this order.
pub(super) const TIERS: [(&str, &str, i64, i32, i32, i64); 4] = [
    ("free", "Free", 0, 1, 5, 1500),
    ("basic", "Basic", 999, 3, 25, 1000),
    ("pro", "Pro", 2900, 10, 100, 750),
    ("enterprise", "Enterprise", 9900, 50, 1000, 500),
];

/// The system settings: key, value, public, description.
fn settings_table() -> [(&'static str, serde_json::Value, bool, &'static str); 6] {
    [
        ("raffle.max_boxes", json!(500), true, "Most boxes a raffle may have"),
        ("raffle.min_box_price", json!("1.00"), true, "Cheapest box allowed"),
        ("credits.loss_ratio", json!(0.1), false, "Share of a losing buyer's spend returned as credit"),
        ("credits.expiry_days", json!(90), true, "Days a raffle-loss credit stays valid"),
        ("wallet.max_deposit", json!("5000.00"), false, "Largest single top-up"),
        ("maintenance", json!({"enabled": false, "message": null}), true, "Maintenance banner"),
    ]
}

/// The tiers as rows, created at `now` less 450 days.
pub(super) fn tiers(now: DateTime<Utc>) -> Vec<seller_subscriptions::Model> {
    let created = now - Duration::days(450);
    TIERS
        .iter()
        .map(|&(code, name, price, raffles, items, bps)| seller_subscriptions::Model {
            id: reference::id(DOMAIN, "seller_subscriptions", code),
            code: code.into(),
            name: name.into(),
            monthly_price: cents(price),
            max_active_raffles: raffles,
            max_items: items,
            commission_rate: Decimal::new(bps, 4),
            features: json!({
                "featured_listings": price >= 2900,
                "analytics": price > 0,
                "support": if price >= 9900 { "dedicated" } else { "email" },
            }),
            is_active: true,
            created_at: created,
            updated_at: created,
        })
        .collect()
}

/// The settings as rows, last changed by the platform (no user) at `now` less 30 days.
pub(super) fn settings(now: DateTime<Utc>) -> Vec<system_settings::Model> {
    settings_table()
        .into_iter()
        .map(|(key, value, public, about)| system_settings::Model {
            key: key.into(),
            value,
            description: Some(about.into()),
            is_public: public,
            updated_by: None,
            updated_at: now - Duration::days(30),
        })
        .collect()
}

pub(super) async fn upsert(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    write: bool,
) -> Result<Outcome, DbErr> {
    let mut out = Outcome::default();
    Table::<seller_subscriptions::Model> {
        name: "seller_subscriptions",
        key: ("code", |m| m.code.clone()),
        columns: |m| {
            vec![
                ("name", m.name.clone()),
                ("monthly_price", reference::decimal(&m.monthly_price)),
                ("max_active_raffles", m.max_active_raffles.to_string()),
                ("max_items", m.max_items.to_string()),
                ("commission_rate", reference::decimal(&m.commission_rate)),
                ("features", reference::json(&m.features)),
                ("is_active", m.is_active.to_string()),
            ]
        },
        keep: |new, old, now| {
            new.id = old.id;
            new.created_at = old.created_at;
            new.updated_at = now;
        },
        serial: None,
    }
    .upsert::<seller_subscriptions::Entity>(txn, tiers(now), now, write, &mut out)
    .await?;
    Table::<system_settings::Model> {
        name: "system_settings",
        key: ("key", |m| m.key.clone()),
        columns: |m| {
            vec![
                ("value", reference::json(&m.value)),
                ("description", format!("{:?}", m.description)),
                ("is_public", m.is_public.to_string()),
            ]
        },
        keep: |new, old, now| {
            // Who changed it last stays on record until the definition changes it.
            new.updated_by = old.updated_by;
            new.updated_at = now;
        },
        serial: None,
    }
    .upsert::<system_settings::Entity>(txn, settings(now), now, write, &mut out)
    .await?;
    Ok(out)
}
