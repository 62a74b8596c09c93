//! The entities under their table names in CamelCase, and the enums, for `use seedbed_draw::prelude::*`.

pub use crate::draw_categories::Entity as DrawCategories;
pub use crate::draws::Entity as Draws;
pub use crate::enums::*;
pub use crate::participations::Entity as Participations;
pub use crate::sessions::Entity as Sessions;
pub use crate::transactions::Entity as Transactions;
pub use crate::user_preferences::Entity as UserPreferences;
pub use crate::users::Entity as Users;
pub use crate::winners::Entity as Winners;
