//! 004 reporting views: raffle_participants, user_credit_summary and seller_performance.
//!
//! sea-query cannot create views, so this is SQL, written once in the dialect the three
//! engines share; only the clock arithmetic differs and is filled in per backend. Every
//! aggregate is wrapped so a view column has one type whether or not rows exist.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{exec, now_sql, quote};

const RAFFLE_PARTICIPANTS: &str = "
SELECT bp.raffle_id AS raffle_id,
       bp.user_id AS user_id,
       COUNT(*) AS box_count,
       SUM(bp.price_paid) AS total_spent,
       MIN(bp.purchased_at) AS first_purchase_at,
       MAX(bp.purchased_at) AS last_purchase_at,
       CASE WHEN r.winner_id = bp.user_id THEN TRUE ELSE FALSE END AS is_winner
FROM box_purchases bp
JOIN raffles r ON r.id = bp.raffle_id
GROUP BY bp.raffle_id, bp.user_id, r.winner_id";

const USER_CREDIT_SUMMARY: &str = "
SELECT u.id AS user_id,
       COALESCE(SUM(CASE WHEN c.credit_type = 'general' AND (c.expires_at IS NULL OR c.expires_at > {now})
                         THEN c.remaining END), 0.0) AS general_available,
       COALESCE(SUM(CASE WHEN c.credit_type = 'item_specific' AND (c.expires_at IS NULL OR c.expires_at > {now})
                         THEN c.remaining END), 0.0) AS item_specific_available,
       COALESCE(SUM(CASE WHEN c.expires_at > {now} AND c.expires_at <= {in_a_week}
                         THEN c.remaining END), 0.0) AS expiring_soon,
       COUNT(CASE WHEN c.expires_at <= {now} THEN 1 END) AS expired_count
FROM users u
LEFT JOIN user_credits c ON c.user_id = u.id
GROUP BY u.id";

const SELLER_PERFORMANCE: &str = "
SELECT s.id AS seller_id,
       s.business_name AS business_name,
       COALESCE(i.total_items, 0) AS total_items,
       COALESCE(r.total_raffles, 0) AS total_raffles,
       COALESCE(r.active_raffles, 0) AS active_raffles,
       COALESCE(r.completed_raffles, 0) AS completed_raffles,
       COALESCE(r.cancelled_raffles, 0) AS cancelled_raffles,
       COALESCE(r.total_revenue, 0.0) AS total_revenue,
       ROUND(1.0 * r.completed_raffles / NULLIF(r.completed_raffles + r.cancelled_raffles, 0), 4) AS completion_rate
FROM sellers s
LEFT JOIN (SELECT seller_id, COUNT(*) AS total_items FROM items GROUP BY seller_id) i ON i.seller_id = s.id
LEFT JOIN (SELECT it.seller_id AS seller_id,
                  COUNT(*) AS total_raffles,
                  COUNT(CASE WHEN ra.status IN ('open', 'full', 'drawing') THEN 1 END) AS active_raffles,
                  COUNT(CASE WHEN ra.status = 'completed' THEN 1 END) AS completed_raffles,
                  COUNT(CASE WHEN ra.status = 'cancelled' THEN 1 END) AS cancelled_raffles,
                  SUM(CASE WHEN ra.status = 'completed' THEN ra.boxes_sold * ra.box_price ELSE 0.0 END) AS total_revenue
           FROM raffles ra
           JOIN items it ON it.id = ra.item_id
           GROUP BY it.seller_id) r ON r.seller_id = s.id";

fn views(b: DbBackend) -> Vec<(&'static str, String)> {
    let in_a_week = match b {
        DbBackend::Postgres => "CURRENT_TIMESTAMP + INTERVAL '7 days'",
        DbBackend::MySql => "CURRENT_TIMESTAMP + INTERVAL 7 DAY",
        _ => "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '+7 days')",
    };
    let fill = |sql: &str| sql.replace("{now}", now_sql(b)).replace("{in_a_week}", in_a_week);
    vec![
        ("raffle_participants", fill(RAFFLE_PARTICIPANTS)),
        ("user_credit_summary", fill(USER_CREDIT_SUMMARY)),
        ("seller_performance", fill(SELLER_PERFORMANCE)),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        for (name, body) in views(b) {
            exec(m, format!("CREATE VIEW {} AS {body}", quote(b, name))).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        for (name, _) in views(b).into_iter().rev() {
            exec(m, format!("DROP VIEW {}", quote(b, name))).await?;
        }
        Ok(())
    }
}
