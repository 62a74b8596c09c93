//! The raffle domain's business rules, as queries for the rows that break them. Amounts are
//! compared to half a cent, because SQLite keeps decimals as REAL and sums them as such.

use sea_orm::DbBackend;

use crate::Check;

pub(super) fn rules(backend: DbBackend) -> Vec<Check> {
    let (now, in_a_week) = match backend {
        DbBackend::Postgres => ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP + INTERVAL '7 days'"),
        DbBackend::MySql => ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP + INTERVAL 7 DAY"),
        _ => (
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')",
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '+7 days')",
        ),
    };
    let live = format!("(c.expires_at IS NULL OR c.expires_at > {now})");
    vec![
        Check::new(
            "balance_is_sum_of_transactions",
            "a user's balance equals the sum of their transactions",
            "SELECT u.id FROM users u \
             LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM transactions GROUP BY user_id) t ON t.user_id = u.id \
             WHERE ABS(u.balance - COALESCE(t.total, 0)) > 0.005",
        ),
        Check::new(
            "boxes_sold_is_purchases",
            "a raffle's boxes_sold equals its box purchases",
            "SELECT r.id FROM raffles r \
             LEFT JOIN (SELECT raffle_id, COUNT(*) AS n FROM box_purchases GROUP BY raffle_id) b ON b.raffle_id = r.id \
             WHERE r.boxes_sold <> COALESCE(b.n, 0)",
        ),
        Check::new(
            "box_number_within_raffle",
            "a purchased box number is at most the raffle's total_boxes",
            "SELECT b.id FROM box_purchases b JOIN raffles r ON r.id = b.raffle_id WHERE b.box_number > r.total_boxes",
        ),
        Check::new(
            "box_paid_at_box_price",
            "a box is paid the raffle's box price",
            "SELECT b.id FROM box_purchases b JOIN raffles r ON r.id = b.raffle_id WHERE ABS(b.price_paid - r.box_price) > 0.005",
        ),
        Check::new(
            "purchase_within_sales_window",
            "a box is bought after the raffle starts and before its draw or cancellation",
            "SELECT b.id FROM box_purchases b JOIN raffles r ON r.id = b.raffle_id \
             WHERE b.purchased_at < r.starts_at OR b.purchased_at > r.draw_at \
             OR (r.cancelled_at IS NOT NULL AND b.purchased_at > r.cancelled_at)",
        ),
        Check::new(
            "purchase_after_signup",
            "nobody buys a box before their account exists",
            "SELECT b.id FROM box_purchases b JOIN users u ON u.id = b.user_id WHERE b.purchased_at < u.created_at",
        ),
        Check::new(
            "status_agrees_with_sales",
            "an open raffle has boxes left; a raffle being drawn or completed sold at least one",
            "SELECT id FROM raffles WHERE (status = 'open' AND boxes_sold >= total_boxes) \
             OR (status IN ('drawing', 'completed') AND boxes_sold = 0)",
        ),
        Check::new(
            "winner_bought_winning_box",
            "a completed raffle's winner bought its winning box",
            "SELECT r.id FROM raffles r WHERE r.status = 'completed' AND NOT EXISTS \
             (SELECT 1 FROM box_purchases b WHERE b.raffle_id = r.id AND b.box_number = r.winning_box_number AND b.user_id = r.winner_id)",
        ),
        Check::new(
            "drawn_after_draw_time",
            "a raffle is drawn no earlier than its draw time",
            "SELECT id FROM raffles WHERE drawn_at IS NOT NULL AND drawn_at < draw_at",
        ),
        Check::new(
            "item_status_agrees_with_raffle",
            "an item is sold exactly when its raffle completed, and not inactive while raffled",
            "SELECT i.id FROM items i WHERE \
             (i.status = 'sold' AND NOT EXISTS (SELECT 1 FROM raffles r WHERE r.item_id = i.id AND r.status = 'completed')) \
             OR (i.status <> 'sold' AND EXISTS (SELECT 1 FROM raffles r WHERE r.item_id = i.id AND r.status = 'completed')) \
             OR (i.status = 'inactive' AND EXISTS (SELECT 1 FROM raffles r WHERE r.item_id = i.id AND r.status IN ('open', 'full', 'drawing')))",
        ),
        Check::new(
            "cancellations_refunded",
            "each buyer of a cancelled raffle got back exactly what they paid, and only cancelled raffles refund",
            "SELECT r.id FROM raffles r \
             JOIN (SELECT raffle_id, user_id, SUM(price_paid) AS spent FROM box_purchases GROUP BY raffle_id, user_id) p ON p.raffle_id = r.id \
             LEFT JOIN (SELECT raffle_id, user_id, SUM(amount) AS refunded FROM transactions WHERE type = 'refund' GROUP BY raffle_id, user_id) f \
               ON f.raffle_id = r.id AND f.user_id = p.user_id \
             WHERE r.status = 'cancelled' AND ABS(p.spent - COALESCE(f.refunded, 0)) > 0.005 \
             UNION ALL SELECT t.raffle_id FROM transactions t JOIN raffles r ON r.id = t.raffle_id \
             WHERE t.type = 'refund' AND r.status <> 'cancelled'",
        ),
        Check::new(
            "loss_credit_for_losing_buyer",
            "a raffle-loss credit goes to a buyer of that completed raffle who did not win it",
            "SELECT c.id FROM user_credits c WHERE c.source = 'raffle_loss' AND NOT EXISTS \
             (SELECT 1 FROM raffles r JOIN box_purchases b ON b.raffle_id = r.id WHERE r.id = c.raffle_id \
              AND r.status = 'completed' AND b.user_id = c.user_id AND r.winner_id <> c.user_id)",
        ),
        Check::new(
            "purchase_paid_by_its_transaction",
            "a box is paid by a box-purchase transaction of the same buyer and raffle",
            "SELECT b.id FROM box_purchases b JOIN transactions t ON t.id = b.transaction_id \
             WHERE t.type <> 'box_purchase' OR t.user_id <> b.user_id OR t.raffle_id IS NULL OR t.raffle_id <> b.raffle_id",
        ),
        Check::new(
            "purchase_transaction_covers_its_boxes",
            "a box-purchase transaction debits exactly the price of the boxes it paid for",
            "SELECT t.id FROM transactions t \
             LEFT JOIN (SELECT transaction_id, SUM(price_paid) AS paid FROM box_purchases GROUP BY transaction_id) b ON b.transaction_id = t.id \
             WHERE t.type = 'box_purchase' AND ABS(t.amount + COALESCE(b.paid, 0)) > 0.005",
        ),
        Check::new(
            "sellers_have_seller_role",
            "a seller profile belongs to an account with the seller role",
            "SELECT s.id FROM sellers s JOIN users u ON u.id = s.user_id WHERE u.role <> 'seller'",
        ),
        Check::new(
            "completed_raffles_paid_out",
            "a completed raffle with sales pays its seller exactly once",
            "SELECT r.id FROM raffles r JOIN items i ON i.id = r.item_id JOIN sellers s ON s.id = i.seller_id \
             WHERE r.status = 'completed' AND r.boxes_sold > 0 AND (SELECT COUNT(*) FROM transactions t \
               WHERE t.raffle_id = r.id AND t.type = 'seller_payout' AND t.user_id = s.user_id) <> 1",
        ),
        Check::new(
            "view_raffle_participants_agrees",
            "raffle_participants shows each buyer's boxes and spend in each raffle",
            "SELECT v.raffle_id FROM raffle_participants v \
             LEFT JOIN (SELECT raffle_id, user_id, COUNT(*) AS n, SUM(price_paid) AS spent FROM box_purchases GROUP BY raffle_id, user_id) b \
               ON b.raffle_id = v.raffle_id AND b.user_id = v.user_id \
             WHERE b.n IS NULL OR v.box_count <> b.n OR ABS(v.total_spent - b.spent) > 0.005 \
             UNION ALL SELECT b.raffle_id FROM (SELECT DISTINCT raffle_id, user_id FROM box_purchases) b \
             LEFT JOIN raffle_participants v ON v.raffle_id = b.raffle_id AND v.user_id = b.user_id WHERE v.raffle_id IS NULL",
        ),
        Check {
            name: "view_user_credit_summary_agrees".into(),
            rule: "user_credit_summary shows each user's live, expiring and expired credit".into(),
            sql: format!(
                "SELECT u.id FROM users u LEFT JOIN user_credit_summary v ON v.user_id = u.id \
                 LEFT JOIN (SELECT c.user_id, \
                   SUM(CASE WHEN c.credit_type = 'general' AND {live} THEN c.remaining ELSE 0 END) AS general_available, \
                   SUM(CASE WHEN c.credit_type = 'item_specific' AND {live} THEN c.remaining ELSE 0 END) AS item_available, \
                   SUM(CASE WHEN c.expires_at > {now} AND c.expires_at <= {in_a_week} THEN c.remaining ELSE 0 END) AS soon, \
                   SUM(CASE WHEN c.expires_at <= {now} THEN 1 ELSE 0 END) AS expired \
                   FROM user_credits c GROUP BY c.user_id) e ON e.user_id = u.id \
                 WHERE v.user_id IS NULL OR ABS(v.general_available - COALESCE(e.general_available, 0)) > 0.005 \
                 OR ABS(v.item_specific_available - COALESCE(e.item_available, 0)) > 0.005 \
                 OR ABS(v.expiring_soon - COALESCE(e.soon, 0)) > 0.005 OR v.expired_count <> COALESCE(e.expired, 0)"
            ),
        },
        Check::new(
            "view_seller_performance_agrees",
            "seller_performance shows each seller's items, raffle outcomes and revenue",
            "SELECT s.id FROM sellers s LEFT JOIN seller_performance v ON v.seller_id = s.id \
             LEFT JOIN (SELECT it.seller_id, COUNT(*) AS total, \
               SUM(CASE WHEN ra.status = 'completed' THEN 1 ELSE 0 END) AS completed, \
               SUM(CASE WHEN ra.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled, \
               SUM(CASE WHEN ra.status = 'completed' THEN ra.boxes_sold * ra.box_price ELSE 0 END) AS revenue \
               FROM raffles ra JOIN items it ON it.id = ra.item_id GROUP BY it.seller_id) x ON x.seller_id = s.id \
             LEFT JOIN (SELECT seller_id, COUNT(*) AS n FROM items GROUP BY seller_id) i ON i.seller_id = s.id \
             WHERE v.seller_id IS NULL OR v.total_items <> COALESCE(i.n, 0) OR v.total_raffles <> COALESCE(x.total, 0) \
             OR v.completed_raffles <> COALESCE(x.completed, 0) OR v.cancelled_raffles <> COALESCE(x.cancelled, 0) \
             OR ABS(v.total_revenue - COALESCE(x.revenue, 0)) > 0.005",
        ),
    ]
}
