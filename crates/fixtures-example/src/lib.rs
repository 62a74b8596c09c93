//! The service under test: a tiny piece of the Lucky11 back end, the kind of code a team
//! would test against a seeded database.

/// How many more players a draw can take.
pub fn places_left(max_participants: i32, current_participants: i32) -> i32 {
    (max_participants - current_participants).max(0)
}
