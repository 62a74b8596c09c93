//! `draws`: the lottery draws: a prize, an entry fee in coins, a cap on entries and a draw time.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "draws")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub prize_amount: Decimal,
    /// Coins it costs to enter.
    pub entry_fee: i32,
    pub max_participants: i32,
    /// Equals the draw's participations.
    pub current_participants: i32,
    pub draw_time: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub prize_image_url: Option<String>,
    /// Open for entries; false once drawn or withdrawn.
    pub is_active: bool,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub winner_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Since version 1.3.0; draws from before it were backfilled by their title.
    pub category_id: i32,
    /// Since version 1.4.0: only subscribers may enter.
    pub is_premium: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::WinnerId",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    Winner,
    #[sea_orm(
        belongs_to = "super::draw_categories::Entity",
        from = "Column::CategoryId",
        to = "super::draw_categories::Column::Id",
        on_delete = "Restrict"
    )]
    Category,
    #[sea_orm(has_many = "super::participations::Entity")]
    Participations,
    #[sea_orm(has_many = "super::transactions::Entity")]
    Transactions,
    #[sea_orm(has_one = "super::winners::Entity")]
    WinnerRecord,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Winner.def()
    }
}

impl Related<super::draw_categories::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Category.def()
    }
}

impl Related<super::participations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participations.def()
    }
}

impl Related<super::transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transactions.def()
    }
}

impl Related<super::winners::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WinnerRecord.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
