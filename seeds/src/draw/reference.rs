//! Draw's reference data: the draw categories (keyed by `slug`, version 1.3.0) and the premium
//! plans (keyed by `slug`, version 1.4.0), which every environment needs. Reviewed like
//! code: a change here reaches every database at its next `seed --reference-only`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, Statement};
use seedbed_draw::{draw_categories, plans};
use serde_json::json;

use crate::Ctx;
use crate::reference::{self, Outcome, Table};

/// The categories, in id order: slug, name, description. Version 1.3.0's backfill creates
/// the same ones for draws that existed before it; a draw's title picks one by position.
const CATEGORIES: [(&str, &str, &str); 4] = [
    ("classic", "Classic", "Everyday draws with a modest prize."),
    ("daily", "Daily", "A new draw every day."),
    ("weekend", "Weekend", "Bigger prizes from Friday to Sunday."),
    ("mega", "Mega", "The largest jackpots."),
];

/// The plans, in id order: slug, name, price in coins per period, period in days, public.
/// `vip_legacy` is the one version 1.4.0's backfill creates, with the same values.
pub const PLANS: [(&str, &str, i32, i32, bool); 4] = [
    ("trial", "Premium Trial", 0, 7, true),
    ("monthly", "Premium Monthly", 300, 30, true),
    ("yearly", "Premium Yearly", 3000, 365, true),
    ("vip_legacy", "VIP (before Premium)", 0, 365, false),
];

/// A plan's perks, by its position in [`PLANS`].
fn perks(plan: usize) -> serde_json::Value {
    match plan {
        0 | 3 => json!(["premium_draws"]),
        _ => json!(["premium_draws", "double_daily_bonus", "no_ads"]),
    }
}

/// The categories as rows, keys 1 up in order, created a year before `now`.
pub(super) fn categories(now: DateTime<Utc>) -> Vec<draw_categories::Model> {
    CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, (slug, name, description))| draw_categories::Model {
            id: i as i32 + 1,
            slug: (*slug).to_owned(),
            name: (*name).to_owned(),
            description: Some((*description).to_owned()),
            sort_order: i as i32 + 1,
            created_at: now - Duration::days(365),
        })
        .collect()
}

/// The plans as rows, keys 1 up in order, created a year before `now`.
pub(super) fn plans(now: DateTime<Utc>) -> Vec<plans::Model> {
    PLANS
        .iter()
        .enumerate()
        .map(|(i, (slug, name, price, days, public))| plans::Model {
            id: i as i32 + 1,
            slug: (*slug).to_owned(),
            name: (*name).to_owned(),
            price_coins: *price,
            period_days: *days,
            perks: perks(i),
            is_public: *public,
            sort_order: if *public { i as i32 + 1 } else { 99 },
            created_at: now - Duration::days(365),
        })
        .collect()
}

/// Writes a reference table's rows in the cell that writes them; every cell closes the table.
pub(super) async fn write<E: EntityTrait>(ctx: &Ctx<'_>, rows: Vec<E::Model>) -> Result<(), DbErr> {
    let rows = if ctx.writes_reference { rows } else { Vec::new() };
    let mut sink = ctx.sink::<E>(rows.len() as u64);
    for row in &rows {
        ctx.put(&mut sink, row).await?;
    }
    ctx.close(&mut sink).await
}

/// How an upsert keys the rows it inserts into `E`: into an empty table with the keys defined
/// here, which are the ones `seed` writes and its draws and subscriptions refer to, whatever
/// an earlier seeding left the table's sequence at; beside rows the database keyed, as it
/// goes on keying them (a defined key may be taken).
async fn serial<E: EntityTrait>(txn: &DatabaseTransaction) -> Result<Option<&'static str>, DbErr> {
    Ok(E::find().one(txn).await?.map(|_| "id"))
}

/// Moves PostgreSQL's sequence of `table` past the keys just inserted with their values.
async fn move_sequence(txn: &DatabaseTransaction, table: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        );
        txn.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    }
    Ok(())
}

pub(super) async fn upsert(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    write: bool,
) -> Result<Outcome, DbErr> {
    let mut out = Outcome::default();
    let keyed = serial::<draw_categories::Entity>(txn).await?;
    Table::<draw_categories::Model> {
        name: "draw_categories",
        key: ("slug", |m| m.slug.clone()),
        columns: |m| {
            vec![
                ("name", m.name.clone()),
                ("description", format!("{:?}", m.description)),
                ("sort_order", m.sort_order.to_string()),
            ]
        },
        keep: |new, old, _| {
            new.id = old.id;
            new.created_at = old.created_at;
        },
        serial: keyed,
    }
    .upsert::<draw_categories::Entity>(txn, categories(now), now, write, &mut out)
    .await?;
    if keyed.is_none() && write {
        move_sequence(txn, "draw_categories").await?;
    }
    let keyed = serial::<plans::Entity>(txn).await?;
    Table::<plans::Model> {
        name: "plans",
        key: ("slug", |m| m.slug.clone()),
        columns: |m| {
            vec![
                ("name", m.name.clone()),
                ("price_coins", m.price_coins.to_string()),
                ("period_days", m.period_days.to_string()),
                ("perks", reference::json(&m.perks)),
                ("is_public", m.is_public.to_string()),
                ("sort_order", m.sort_order.to_string()),
            ]
        },
        keep: |new, old, _| {
            new.id = old.id;
            new.created_at = old.created_at;
        },
        serial: keyed,
    }
    .upsert::<plans::Entity>(txn, plans(now), now, write, &mut out)
    .await?;
    if keyed.is_none() && write {
        move_sequence(txn, "plans").await?;
    }
    Ok(out)
}
