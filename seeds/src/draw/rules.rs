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
    ]
}
