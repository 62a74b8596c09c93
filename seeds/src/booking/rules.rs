//! The booking domain's business rules.

use crate::Check;

pub(super) fn rules() -> Vec<Check> {
    vec![
        Check::new(
            "rating_on_completed_booking",
            "a booking is rated only once it is completed",
            "SELECT r.id FROM ratings r JOIN bookings b ON b.id = r.booking_id WHERE b.status <> 'completed'",
        ),
        Check::new(
            "rating_by_customer_for_provider",
            "a rating is given by the booking's customer to the booking's provider",
            "SELECT r.id FROM ratings r JOIN bookings b ON b.id = r.booking_id \
             WHERE r.customer_id <> b.customer_id OR r.provider_id <> b.provider_id",
        ),
        Check::new(
            "provider_offers_booked_service",
            "a booking's provider offers the booked service",
            "SELECT b.id FROM bookings b WHERE NOT EXISTS \
             (SELECT 1 FROM provider_services ps WHERE ps.provider_id = b.provider_id AND ps.service_id = b.service_id)",
        ),
        Check::new(
            "address_belongs_to_customer",
            "a booking's address is one of its customer's addresses",
            "SELECT b.id FROM bookings b JOIN addresses a ON a.id = b.address_id WHERE a.user_id <> b.customer_id",
        ),
        Check::new(
            "completed_booking_paid",
            "a completed booking has a captured payment of the booking's price",
            "SELECT b.id FROM bookings b WHERE b.status = 'completed' AND NOT EXISTS \
             (SELECT 1 FROM payment_transactions p WHERE p.booking_id = b.id AND p.captured_at IS NOT NULL \
              AND ABS(p.amount - b.price) <= 0.005)",
        ),
        Check::new(
            "payment_by_booking_customer",
            "a payment is made by the booking's customer, for the booking's price",
            "SELECT p.id FROM payment_transactions p JOIN bookings b ON b.id = p.booking_id \
             WHERE p.user_id <> b.customer_id OR ABS(p.amount - b.price) > 0.005",
        ),
        Check::new(
            "payment_status_is_latest_event",
            "a payment has events, and its status is the status its latest event left it in",
            "SELECT p.id FROM payment_transactions p WHERE p.status <> COALESCE((SELECT e.status FROM payment_events e \
             WHERE e.payment_id = p.id ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1), '')",
        ),
        Check::new(
            "payment_events_after_payment",
            "a payment's events happen no earlier than the payment was created",
            "SELECT e.id FROM payment_events e JOIN payment_transactions p ON p.id = e.payment_id WHERE e.occurred_at < p.created_at",
        ),
        Check::new(
            "call_between_booking_parties",
            "a call joins the booking's customer and the booking's provider",
            "SELECT c.id FROM call_sessions c JOIN bookings b ON b.id = c.booking_id \
             JOIN provider_profiles pp ON pp.id = b.provider_id \
             WHERE NOT ((c.caller_id = b.customer_id AND c.callee_id = pp.user_id) \
                     OR (c.callee_id = b.customer_id AND c.caller_id = pp.user_id))",
        ),
        Check::new(
            "call_log_for_ended_call",
            "a call log exists only for a call that ended, with its outcome",
            "SELECT l.id FROM call_logs l JOIN call_sessions c ON c.id = l.call_session_id \
             WHERE c.ended_at IS NULL OR l.outcome <> c.status",
        ),
        Check::new(
            "one_settings_row_per_user",
            "every user has notification settings",
            "SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_notification_settings s WHERE s.user_id = u.id)",
        ),
        Check::new(
            "provider_rating_summarises_ratings",
            "a provider's rating count and average are those of its ratings",
            "SELECT pp.id FROM provider_profiles pp \
             LEFT JOIN (SELECT provider_id, COUNT(*) AS n, AVG(score) AS mean FROM ratings GROUP BY provider_id) r ON r.provider_id = pp.id \
             WHERE pp.rating_count <> COALESCE(r.n, 0) OR ABS(COALESCE(pp.rating_average, 0) - COALESCE(r.mean, 0)) > 0.0051",
        ),
        Check::new(
            "booking_timestamps_in_order",
            "a booking is accepted after it is requested, started after it is accepted, completed after it starts",
            "SELECT id FROM bookings WHERE accepted_at < created_at OR started_at < accepted_at \
             OR completed_at < started_at OR cancelled_at < created_at",
        ),
        Check::new(
            "receipt_for_push_message",
            "a delivery receipt answers a message sent by push",
            "SELECT r.id FROM notification_receipts r JOIN notification_logs l ON l.id = r.notification_log_id WHERE l.channel <> 'push'",
        ),
    ]
}
