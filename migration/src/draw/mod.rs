//! The draw domain (Lucky11), in the order of its own history: version 1.0.0, the initial
//! schema of 1 July 2025, then the recommended performance indexes, then the versions the
//! seed plans: 1.1.0 user preferences, 1.3.0 draw categories, then 1.2.0 social and 1.4.0
//! premium (1.2.0 shipped after 1.3.0, so its migration comes after it: released migrations
//! are never reordered).

use crate::{Migration, Migrator};

mod m20250701_000000_initial_schema;
mod m20250701_000100_performance_indexes;
mod m20250801_000000_user_preferences;
mod m20251001_000000_draw_categories;
mod m20251101_000000_social;
mod m20251201_000000_premium;

pub fn migrator() -> Migrator {
    Migrator::new(
        "draw",
        vec![
            Migration::new(
                m20250701_000000_initial_schema::Migration,
                include_str!("m20250701_000000_initial_schema.rs"),
            ),
            Migration::new(
                m20250701_000100_performance_indexes::Migration,
                include_str!("m20250701_000100_performance_indexes.rs"),
            ),
            Migration::new(
                m20250801_000000_user_preferences::Migration,
                include_str!("m20250801_000000_user_preferences.rs"),
            ),
            Migration::new(
                m20251001_000000_draw_categories::Migration,
                include_str!("m20251001_000000_draw_categories.rs"),
            ),
            Migration::new(m20251101_000000_social::Migration, include_str!("m20251101_000000_social.rs")),
            Migration::new(m20251201_000000_premium::Migration, include_str!("m20251201_000000_premium.rs")),
        ],
    )
}
