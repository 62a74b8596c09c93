//! The draw domain's business rules, from the seed's own verification queries and the
//! statistics users carry.

use crate::Check;

pub(super) fn rules() -> Vec<Check> {
    vec![
        Check::new(
            "coins_are_sum_of_transactions",
            "a user's coins equal the sum of their transactions",
            "SELECT u.id FROM users u \
             LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM transactions GROUP BY user_id) t ON t.user_id = u.id \
             WHERE u.coins <> COALESCE(t.total, 0)",
        ),
        Check::new(
            "current_participants_is_entries",
            "a draw's current_participants equals its participations",
            "SELECT d.id FROM draws d \
             LEFT JOIN (SELECT draw_id, COUNT(*) AS n FROM participations GROUP BY draw_id) p ON p.draw_id = d.id \
             WHERE d.current_participants <> COALESCE(p.n, 0)",
        ),
        Check::new(
            "winner_participated",
            "every winner entered the draw they won",
            "SELECT w.id FROM winners w WHERE NOT EXISTS \
             (SELECT 1 FROM participations p WHERE p.user_id = w.user_id AND p.draw_id = w.draw_id)",
        ),
        Check::new(
            "drawn_draw_has_one_winner",
            "a draw that is no longer active has exactly one winner; an active one has none",
            "SELECT d.id FROM draws d WHERE (SELECT COUNT(*) FROM winners w WHERE w.draw_id = d.id) \
             <> CASE WHEN d.is_active THEN 0 ELSE 1 END",
        ),
        Check::new(
            "winner_id_agrees_with_winners",
            "draws.winner_id names the user of the draw's winners row",
            "SELECT d.id FROM draws d LEFT JOIN winners w ON w.draw_id = d.id \
             WHERE (d.winner_id IS NULL AND w.id IS NOT NULL) OR (d.winner_id IS NOT NULL AND (w.id IS NULL OR w.user_id <> d.winner_id))",
        ),
        Check::new(
            "participation_count_agrees",
            "a user's total_participations equals their participations",
            "SELECT u.id FROM users u \
             LEFT JOIN (SELECT user_id, COUNT(*) AS n FROM participations GROUP BY user_id) p ON p.user_id = u.id \
             WHERE u.total_participations <> COALESCE(p.n, 0)",
        ),
        Check::new(
            "win_statistics_agree",
            "a user's total_wins and total_earnings equal their winners rows",
            "SELECT u.id FROM users u \
             LEFT JOIN (SELECT user_id, COUNT(*) AS n, SUM(prize_amount) AS earned FROM winners GROUP BY user_id) w ON w.user_id = u.id \
             WHERE u.total_wins <> COALESCE(w.n, 0) OR ABS(u.total_earnings - COALESCE(w.earned, 0)) > 0.005",
        ),
        Check::new(
            "entry_debited_once",
            "each entry to a draw with a fee is paid by one draw_entry transaction of that fee, and every such debit is an entry",
            "SELECT p.id FROM participations p JOIN draws d ON d.id = p.draw_id \
             LEFT JOIN (SELECT user_id, draw_id, COUNT(*) AS n, MIN(amount) AS lo FROM transactions \
               WHERE type = 'draw_entry' GROUP BY user_id, draw_id) t ON t.user_id = p.user_id AND t.draw_id = p.draw_id \
             WHERE d.entry_fee > 0 AND (t.n IS NULL OR t.n <> 1 OR t.lo <> -d.entry_fee) \
             UNION ALL SELECT t.id FROM transactions t WHERE t.type = 'draw_entry' AND NOT EXISTS \
             (SELECT 1 FROM participations p WHERE p.user_id = t.user_id AND p.draw_id = t.draw_id)",
        ),
        Check::new(
            "entry_before_draw_time",
            "a user enters a draw after signing up and before its draw time",
            "SELECT p.id FROM participations p JOIN draws d ON d.id = p.draw_id JOIN users u ON u.id = p.user_id \
             WHERE p.participated_at > d.draw_time OR p.participated_at < u.created_at",
        ),
        Check::new(
            "prize_is_the_draws",
            "a winner is paid the draw's prize, no earlier than its draw time",
            "SELECT w.id FROM winners w JOIN draws d ON d.id = w.draw_id \
             WHERE ABS(w.prize_amount - d.prize_amount) > 0.005 OR w.won_at < d.draw_time",
        ),
        Check::new(
            "every_user_has_preferences",
            "every user has a preferences row (version 1.1.0 made one for each existing user)",
            "SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_preferences p WHERE p.user_id = u.id)",
        ),
        Check::new(
            "draw_category_follows_title",
            "a draw's category is the one its title names, as version 1.3.0's backfill sorts them",
            "SELECT d.id FROM draws d JOIN draw_categories c ON c.id = d.category_id WHERE c.slug <> \
             CASE WHEN d.title LIKE 'Daily%' THEN 'daily' WHEN d.title LIKE 'Weekend%' OR d.title LIKE 'Friday%' THEN 'weekend' \
             WHEN d.title LIKE 'Mega%' THEN 'mega' ELSE 'classic' END",
        ),
        Check::new(
            "streak_within_participations",
            "a user's current streak is at most their participations",
            "SELECT id FROM users WHERE current_streak > total_participations",
        ),
        // Version 1.2.0, social. A rule judges rows whose keys resolve; a dangling key is its
        // orphan check's finding alone.
        Check::new(
            "friend_request_once_per_pair",
            "two players have at most one friend request between them, whichever way round (1.2.0)",
            "SELECT r.id FROM friend_requests r WHERE EXISTS (SELECT 1 FROM friend_requests o \
             WHERE o.requester_id = r.addressee_id AND o.addressee_id = r.requester_id)",
        ),
        Check::new(
            "friend_request_timeline",
            "a friend request comes after both players signed up, and its answer after it (1.2.0)",
            "SELECT r.id FROM friend_requests r JOIN users a ON a.id = r.requester_id JOIN users b ON b.id = r.addressee_id \
             WHERE r.created_at < a.created_at OR r.created_at < b.created_at OR r.responded_at < r.created_at",
        ),
        Check::new(
            "shared_with_a_friend",
            "a share to a friend goes to someone the sharer is friends with (1.2.0)",
            "SELECT s.id FROM shares s JOIN users f ON f.id = s.friend_id WHERE s.channel = 'friend' AND NOT EXISTS \
             (SELECT 1 FROM friendships x WHERE x.user_id = s.user_id AND x.friend_id = s.friend_id)",
        ),
        Check::new(
            "share_follows_its_subject",
            "a share comes after the sharer signed up and after the draw was announced or the win won, and a win is shared by its winner (1.2.0)",
            "SELECT s.id FROM shares s JOIN users u ON u.id = s.user_id \
             LEFT JOIN draws d ON d.id = s.draw_id LEFT JOIN winners w ON w.id = s.winner_id \
             WHERE s.created_at < u.created_at OR s.created_at < d.created_at OR s.created_at < w.won_at \
             OR w.user_id <> s.user_id",
        ),
        Check::new(
            "referral_timeline",
            "an invitation comes after its referrer signed up, and its friend joined when they signed up (1.2.0)",
            "SELECT r.id FROM referrals r JOIN users a ON a.id = r.referrer_id LEFT JOIN users f ON f.id = r.referred_id \
             WHERE r.created_at < a.created_at OR r.joined_at < r.created_at OR r.joined_at <> f.created_at",
        ),
        Check::new(
            "referral_reward_is_the_referrers",
            "a joined referral's reward is a referral_reward entry of its referrer, made when the friend joined (1.2.0)",
            "SELECT r.id FROM referrals r JOIN transactions t ON t.id = r.reward_transaction_id \
             WHERE t.type <> 'referral_reward' OR t.user_id <> r.referrer_id OR t.created_at <> r.joined_at",
        ),
        Check::new(
            "referral_rewards_match_referrals",
            "a user's referral_reward entries are as many as their referrals that joined (1.2.0)",
            "SELECT u.id FROM users u \
             LEFT JOIN (SELECT user_id, COUNT(*) AS n FROM transactions WHERE type = 'referral_reward' GROUP BY user_id) t \
               ON t.user_id = u.id \
             LEFT JOIN (SELECT referrer_id, COUNT(*) AS n FROM referrals WHERE status = 'joined' GROUP BY referrer_id) r \
               ON r.referrer_id = u.id \
             WHERE COALESCE(t.n, 0) <> COALESCE(r.n, 0)",
        ),
        // Version 1.4.0, premium.
        Check::new(
            "vip_is_an_active_subscription",
            "a user is VIP exactly when they hold an active subscription (1.4.0)",
            "SELECT u.id FROM users u WHERE (u.is_vip = TRUE AND NOT EXISTS \
             (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id AND s.status = 'active')) \
             OR (u.is_vip = FALSE AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id AND s.status = 'active'))",
        ),
        Check::new(
            "premium_entry_by_a_subscriber",
            "whoever entered a premium draw held a subscription over the entry (1.4.0)",
            "SELECT p.id FROM participations p JOIN draws d ON d.id = p.draw_id JOIN users u ON u.id = p.user_id \
             WHERE d.is_premium = TRUE AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = p.user_id \
             AND s.started_at <= p.participated_at AND s.period_end >= p.participated_at)",
        ),
        Check::new(
            "subscription_timeline",
            "a subscription starts after its user signed up, and is cancelled within its period (1.4.0)",
            "SELECT s.id FROM subscriptions s JOIN users u ON u.id = s.user_id \
             WHERE s.started_at < u.created_at OR s.cancelled_at < s.period_start OR s.cancelled_at > s.period_end",
        ),
        Check::new(
            "subscription_payment_matches",
            "a paid period is a subscription_payment entry of the subscriber for the plan's price, made when the period \
             starts, within the subscription (1.4.0)",
            "SELECT sp.id FROM subscription_payments sp JOIN subscriptions s ON s.id = sp.subscription_id \
             JOIN plans pl ON pl.id = s.plan_id JOIN transactions t ON t.id = sp.transaction_id \
             WHERE t.type <> 'subscription_payment' OR t.user_id <> s.user_id OR t.amount <> -pl.price_coins \
             OR t.created_at <> sp.period_start OR sp.period_start < s.started_at OR sp.period_end > s.period_end",
        ),
        Check::new(
            "paid_periods_are_in_the_ledger",
            "a user's subscription_payment entries are as many as the periods of their paid subscriptions (1.4.0)",
            "SELECT u.id FROM users u \
             LEFT JOIN (SELECT user_id, COUNT(*) AS n FROM transactions WHERE type = 'subscription_payment' GROUP BY user_id) t \
               ON t.user_id = u.id \
             LEFT JOIN (SELECT s.user_id, SUM(s.renewals + 1) AS n FROM subscriptions s JOIN plans pl ON pl.id = s.plan_id \
               WHERE pl.price_coins > 0 GROUP BY s.user_id) p ON p.user_id = u.id \
             WHERE COALESCE(t.n, 0) <> COALESCE(p.n, 0)",
        ),
    ]
}
