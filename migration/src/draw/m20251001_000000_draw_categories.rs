//! Version 1.3.0, draw categories: a `draw_categories` table and a required `category_id` on
//! draws, for filtering. Existing draws are backfilled into categories by their title, in
//! batches, with progress on a terminal; the column becomes NOT NULL only then.
//!
//! The up can be resumed: each step checks whether it is already done, and the backfill only
//! touches draws that have no category yet. That matters on MariaDB, where a failure half-way
//! keeps what was done (see `seedbed migrate repair`). The down drops the column and the
//! table and keeps every draw.

use std::io::IsTerminal;

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::ddl::{
    IndexDef, OnDelete::*, TableDef, add_constraints, check, create_tables, drop_constraints, drop_tables,
    exec, foreign_key, index, now, set_not_null, unique,
};

/// Draws updated per statement: small enough to keep each statement short on a large table.
const BATCH: i64 = 1_000;

/// The categories existing draws are sorted into, and how a title picks one.
const CATEGORIES: &[(&str, &str, &str)] = &[
    ("classic", "Classic", "Everyday draws with a modest prize."),
    ("daily", "Daily", "A new draw every day."),
    ("weekend", "Weekend", "Bigger prizes from Friday to Sunday."),
    ("mega", "Mega", "The largest jackpots."),
];

/// The slug for a draw's title, as SQL: `Daily …` → daily, `Weekend …`/`Friday …` → weekend,
/// `Mega …` → mega, anything else → classic.
const SLUG_OF_TITLE: &str = "CASE WHEN title LIKE 'Daily%' THEN 'daily' \
     WHEN title LIKE 'Weekend%' OR title LIKE 'Friday%' THEN 'weekend' \
     WHEN title LIKE 'Mega%' THEN 'mega' ELSE 'classic' END";

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![(
        Table::create()
            .table("draw_categories")
            .col(pk_auto("id"))
            .col(string_len("slug", 64).comment("Stable key for URLs and filters."))
            .col(string_len("name", 120))
            .col(text_null("description"))
            .col(integer("sort_order").default(0))
            .col(timestamp_with_time_zone("created_at").default(now(b)))
            .to_owned(),
        vec![check("ck_draw_categories_slug", "slug <> ''")],
        vec![unique("draw_categories", &["slug"])],
    )]
}

fn category_index() -> IndexDef {
    index("draws", &["category_id", "draw_time"]).named("idx_draws_category_drawtime")
}

fn category_key() -> Vec<crate::ddl::Constraint> {
    vec![foreign_key("draws", "category_id", "draw_categories", Restrict)]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        if !m.has_table("draw_categories").await? {
            create_tables(m, &tables(b)).await?;
        }
        if !m.has_column("draws", "category_id").await? {
            m.alter_table(Table::alter().table("draws").add_column(integer_null("category_id")).to_owned())
                .await?;
        }
        backfill(m).await?;
        set_not_null(m, "draws", "category_id", "int").await?;
        category_index().create(m).await?;
        add_constraints(m, "draws", &category_key()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_constraints(m, "draws", &category_key()).await?;
        category_index().drop(m).await?;
        m.alter_table(Table::alter().table("draws").drop_column("category_id").to_owned()).await?;
        drop_tables(m, &tables(m.get_database_backend())).await
    }
}

/// Gives every draw without a category the one its title names, creating the categories it
/// needs, `BATCH` draws per statement.
async fn backfill(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = m.get_connection();
    let b = m.get_database_backend();
    let one = |sql: &str| {
        let stmt = Statement::from_string(b, sql.to_owned());
        async move {
            let row = conn.query_one_raw(stmt).await?.ok_or_else(|| DbErr::Migration("no row".into()))?;
            Ok::<_, DbErr>((row.try_get_by_index::<Option<i64>>(0)?, row.try_get_by_index::<Option<i64>>(1)?))
        }
    };
    // PostgreSQL reads an INT column's MIN as INT; the driver wants BIGINT for an i64.
    let (lo, hi) = match b {
        DbBackend::Postgres => {
            one("SELECT MIN(id)::bigint, MAX(id)::bigint FROM draws WHERE category_id IS NULL").await?
        }
        _ => one("SELECT MIN(id), MAX(id) FROM draws WHERE category_id IS NULL").await?,
    };
    let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(()) };

    for (order, (slug, name, description)) in CATEGORIES.iter().enumerate() {
        let exists = conn
            .query_one_raw(Statement::from_sql_and_values(
                b,
                match b {
                    DbBackend::Postgres => "SELECT 1 FROM draw_categories WHERE slug = $1",
                    _ => "SELECT 1 FROM draw_categories WHERE slug = ?",
                },
                [(*slug).into()],
            ))
            .await?
            .is_some();
        if !exists {
            let insert = Query::insert()
                .into_table("draw_categories")
                .columns(["slug", "name", "description", "sort_order"])
                .values_panic([
                    (*slug).into(),
                    (*name).into(),
                    (*description).into(),
                    (order as i32 + 1).into(),
                ])
                .to_owned();
            m.exec_stmt(insert).await?;
        }
    }

    let progress = std::io::stderr().is_terminal();
    let mut start = lo;
    while start <= hi {
        let end = start + BATCH;
        exec(
            m,
            format!(
                "UPDATE draws SET category_id = (SELECT c.id FROM draw_categories c WHERE c.slug = {SLUG_OF_TITLE}) \
                 WHERE id >= {start} AND id < {end} AND category_id IS NULL"
            ),
        )
        .await?;
        if progress {
            let done = (Ord::min(end, hi + 1) - lo) * 100 / (hi + 1 - lo);
            eprint!("\r  draw_categories: backfilling draws {done:>3}%");
        }
        start = end;
    }
    if progress {
        eprintln!();
    }
    Ok(())
}
