//! The service under test: a tiny piece of the Lucky11 back end, the kind of code a team
//! would test against a seeded database.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DbErr, EntityTrait, TransactionSession, TransactionTrait};
use seedbed_draw::users;

/// How many more players a draw can take.
pub fn places_left(max_participants: i32, current_participants: i32) -> i32 {
    (max_participants - current_participants).max(0)
}

/// Credits a player with `coins`, in a transaction of its own (a savepoint when the caller is
/// already in one, as a test in rollback mode is); the player's new balance.
pub async fn grant_coins(db: &impl TransactionTrait, user_id: &str, coins: i32) -> Result<i32, DbErr> {
    let txn = db.begin().await?;
    let user = users::Entity::find_by_id(user_id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("player {user_id}")))?;
    let balance = user.coins + coins;
    let mut user: users::ActiveModel = user.into();
    user.coins = Set(balance);
    user.update(&txn).await?;
    txn.commit().await?;
    Ok(balance)
}
