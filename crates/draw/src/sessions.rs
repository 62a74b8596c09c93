//! `sessions`: the session store's table: one serialised session per id, until it expires.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(255))")]
    pub sid: String,
    /// The session object as the session store serialises it.
    #[sea_orm(column_type = "Json")]
    pub sess: Json,
    pub expire: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
