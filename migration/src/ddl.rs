//! Portable DDL for migrations: one call per intent, the right SQL per backend.
//!
//! sea-query renders most DDL for all three engines; what it cannot express is here:
//! column comments on PostgreSQL, named CHECK and FOREIGN KEY constraints added to or
//! dropped from an existing table (SQLite has no `ALTER TABLE … ADD CONSTRAINT`, so the table
//! is rebuilt from its edited definition, as SQLite's documentation prescribes), and a
//! timestamp default that sorts like the values the driver writes.

use sea_orm_migration::SchemaManagerConnection;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use seedbed_core::table_sql::{CreateTable, append_elements};

/// What a foreign key does when its parent row is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    Cascade,
    Restrict,
    SetNull,
}

impl OnDelete {
    fn sql(self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::Restrict => "RESTRICT",
            OnDelete::SetNull => "SET NULL",
        }
    }
}

/// A named table constraint that a migration adds to, or drops from, an existing table.
#[derive(Debug, Clone)]
pub enum Constraint {
    /// `expr` is plain SQL that reads the same on every backend, e.g. `price > 0`.
    Check { name: String, expr: String },
    ForeignKey {
        name: String,
        columns: Vec<String>,
        ref_table: String,
        ref_columns: Vec<String>,
        on_delete: OnDelete,
    },
}

/// A named CHECK constraint, `ck_{table}_{rule}` by convention.
pub fn check(name: &str, expr: &str) -> Constraint {
    Constraint::Check { name: name.to_owned(), expr: expr.to_owned() }
}

/// A foreign key from `table.column` to `ref_table.id`, named `fk_{table}_{column}`.
pub fn foreign_key(table: &str, column: &str, ref_table: &str, on_delete: OnDelete) -> Constraint {
    Constraint::ForeignKey {
        name: format!("fk_{table}_{column}"),
        columns: vec![column.to_owned()],
        ref_table: ref_table.to_owned(),
        ref_columns: vec!["id".to_owned()],
        on_delete,
    }
}

impl Constraint {
    pub fn name(&self) -> &str {
        match self {
            Constraint::Check { name, .. } | Constraint::ForeignKey { name, .. } => name,
        }
    }

    /// The clause as it appears after `ADD` or inside `CREATE TABLE ( … )`.
    fn clause(&self, backend: DbBackend) -> String {
        let q = |s: &str| quote(backend, s);
        let list = |cols: &[String]| cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
        match self {
            Constraint::Check { name, expr } => format!("CONSTRAINT {} CHECK ({expr})", q(name)),
            Constraint::ForeignKey { name, columns, ref_table, ref_columns, on_delete } => format!(
                "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
                q(name),
                list(columns),
                q(ref_table),
                list(ref_columns),
                on_delete.sql()
            ),
        }
    }

    fn drop_clause(&self, backend: DbBackend) -> String {
        match (self, backend) {
            (Constraint::ForeignKey { name, .. }, DbBackend::MySql) => {
                format!("DROP FOREIGN KEY {}", quote(backend, name))
            }
            _ => format!("DROP CONSTRAINT {}", quote(backend, self.name())),
        }
    }
}

/// Quotes an identifier for `backend`.
pub use seedbed_core::quote;

/// The default for a "created at" column. On SQLite the driver stores timestamps as RFC 3339
/// text (`2026-11-23T07:40:01+00:00`) and `CURRENT_TIMESTAMP` would store `2026-11-23 07:40:01`;
/// mixing the two would make text comparisons in CHECKs and views lie, so SQLite gets a
/// default in the driver's format.
pub fn now(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Sqlite => Expr::cust("(strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'))"),
        _ => Expr::current_timestamp(),
    }
}

/// The current time as an SQL expression comparable with stored timestamps, for views.
pub fn now_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')",
        _ => "CURRENT_TIMESTAMP",
    }
}

/// Runs raw SQL.
pub async fn exec(m: &SchemaManager<'_>, sql: impl Into<String>) -> Result<(), DbErr> {
    let conn = m.get_connection();
    conn.execute_raw(Statement::from_string(conn.get_database_backend(), sql.into())).await.map(|_| ())
}

/// Creates a table with its named table constraints, then gives PostgreSQL the column
/// comments that MariaDB takes inline.
///
/// Constraints are written into the `CREATE TABLE` text rather than through sea-query so
/// that they carry their names on SQLite too, where a later migration can then drop them.
pub async fn create_table(
    m: &SchemaManager<'_>,
    stmt: &TableCreateStatement,
    constraints: &[Constraint],
) -> Result<(), DbErr> {
    let backend = m.get_database_backend();
    let built = backend.build(stmt).sql;
    let clauses: Vec<String> = constraints.iter().map(|c| c.clause(backend)).collect();
    let sql = append_elements(&built, &clauses, backend == DbBackend::MySql)
        .ok_or_else(|| DbErr::Migration(format!("cannot add constraints to: {built}")))?;
    exec(m, sql).await?;
    if backend == DbBackend::Postgres {
        let table = stmt.get_table_name().map(table_name).unwrap_or_default();
        for col in stmt.get_columns() {
            if let Some(comment) = &col.get_column_spec().comment {
                exec(
                    m,
                    format!(
                        "COMMENT ON COLUMN {}.{} IS '{}'",
                        quote(backend, &table),
                        quote(backend, &col.get_column_name()),
                        comment.replace('\'', "''")
                    ),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// `column IN ('a', 'b', …)`: the CHECK that makes a VARCHAR column an enumerated type.
pub fn one_of(column: &str, values: &[&str]) -> String {
    let list: Vec<String> = values.iter().map(|v| format!("'{}'", v.replace('\'', "''"))).collect();
    format!("{column} IN ({})", list.join(", "))
}

fn table_name(t: &TableRef) -> String {
    match t {
        TableRef::Table(TableName(_, name), _) => name.to_string(),
        other => format!("{other:?}"),
    }
}

/// Drops the table that `stmt` creates: how a `down` mirrors its `up` without repeating names.
pub async fn drop_table(m: &SchemaManager<'_>, stmt: &TableCreateStatement) -> Result<(), DbErr> {
    let name = stmt.get_table_name().map(table_name).unwrap_or_default();
    m.drop_table(Table::drop().table(Alias::new(name)).to_owned()).await
}

/// A table as a migration declares it: its statement, its named constraints, its indexes.
pub type TableDef = (TableCreateStatement, Vec<Constraint>, Vec<IndexDef>);

/// Creates `tables` in order, each with its constraints and then its indexes.
pub async fn create_tables(m: &SchemaManager<'_>, tables: &[TableDef]) -> Result<(), DbErr> {
    for (table, constraints, indexes) in tables {
        create_table(m, table, constraints).await?;
        for ix in indexes {
            ix.create(m).await?;
        }
    }
    Ok(())
}

/// Drops `tables` in reverse order: the `down` of a migration whose `up` is [`create_tables`].
pub async fn drop_tables(m: &SchemaManager<'_>, tables: &[TableDef]) -> Result<(), DbErr> {
    for (table, _, _) in tables.iter().rev() {
        drop_table(m, table).await?;
    }
    Ok(())
}

/// Adds named constraints to an existing table.
pub async fn add_constraints(
    m: &SchemaManager<'_>,
    table: &str,
    constraints: &[Constraint],
) -> Result<(), DbErr> {
    let backend = m.get_database_backend();
    if constraints.is_empty() {
        return Ok(());
    }
    if backend == DbBackend::Sqlite {
        return sqlite_rebuild(m, table, |t| {
            for c in constraints {
                if t.has_constraint(c.name()) {
                    return Err(DbErr::Migration(format!(
                        "{table} already has a constraint named {}",
                        c.name()
                    )));
                }
                t.elements.push(c.clause(backend));
            }
            Ok(())
        })
        .await;
    }
    let adds: Vec<String> = constraints.iter().map(|c| format!("ADD {}", c.clause(backend))).collect();
    exec(m, format!("ALTER TABLE {} {}", quote(backend, table), adds.join(", "))).await
}

/// Drops named constraints from an existing table.
pub async fn drop_constraints(
    m: &SchemaManager<'_>,
    table: &str,
    constraints: &[Constraint],
) -> Result<(), DbErr> {
    let backend = m.get_database_backend();
    if constraints.is_empty() {
        return Ok(());
    }
    if backend == DbBackend::Sqlite {
        return sqlite_rebuild(m, table, |t| {
            for c in constraints {
                if !t.remove_constraint(c.name()) {
                    return Err(DbErr::Migration(format!("{table} has no constraint named {}", c.name())));
                }
            }
            Ok(())
        })
        .await;
    }
    let drops: Vec<String> = constraints.iter().map(|c| c.drop_clause(backend)).collect();
    exec(m, format!("ALTER TABLE {} {}", quote(backend, table), drops.join(", "))).await
}

/// Makes `column` NOT NULL, once every row has a value (after a backfill). MariaDB restates
/// the column's type (`mysql_type`, e.g. `int`), so give the type the column has; SQLite
/// rebuilds the table.
pub async fn set_not_null(
    m: &SchemaManager<'_>,
    table: &str,
    column: &str,
    mysql_type: &str,
) -> Result<(), DbErr> {
    let b = m.get_database_backend();
    let (t, c) = (quote(b, table), quote(b, column));
    match b {
        DbBackend::Postgres => exec(m, format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL")).await,
        DbBackend::MySql => exec(m, format!("ALTER TABLE {t} MODIFY COLUMN {c} {mysql_type} NOT NULL")).await,
        _ => {
            sqlite_rebuild(m, table, |def| {
                let element = def
                    .elements
                    .iter_mut()
                    .find(|e| {
                        e.split_whitespace().next().map(seedbed_core::table_sql::unquote).as_deref()
                            == Some(column)
                    })
                    .ok_or_else(|| DbErr::Migration(format!("{table} has no column {column}")))?;
                if !element.to_ascii_uppercase().contains(" NOT NULL") {
                    *element = match element.to_ascii_uppercase().find(" NULL") {
                        Some(at) => format!("{} NOT NULL{}", &element[..at], &element[at + 5..]),
                        None => format!("{element} NOT NULL"),
                    };
                }
                Ok(())
            })
            .await
        }
    }
}

/// An index a migration creates and its `down` drops.
#[derive(Debug, Clone)]
pub struct IndexDef {
    pub name: String,
    pub table: String,
    /// Key columns; a trailing ` DESC` orders one descending.
    pub columns: Vec<String>,
    pub unique: bool,
    /// The WHERE clause of a partial index. PostgreSQL and SQLite honour it; MariaDB has no
    /// partial indexes and gets a plain index on the same columns.
    pub predicate: Option<String>,
}

/// A plain index, named `idx_{table}_{columns}`.
pub fn index(table: &str, columns: &[&str]) -> IndexDef {
    let cols: Vec<&str> = columns.iter().map(|c| c.trim_end_matches(" DESC")).collect();
    IndexDef {
        name: format!("idx_{table}_{}", cols.join("_")),
        table: table.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        unique: false,
        predicate: None,
    }
}

/// A unique index, named `uq_{table}_{columns}`: how seedbed spells a UNIQUE constraint.
pub fn unique(table: &str, columns: &[&str]) -> IndexDef {
    IndexDef { name: format!("uq_{table}_{}", columns.join("_")), unique: true, ..index(table, columns) }
}

tokio::task_local! {
    /// Whether the migrator running the current migration was asked for concurrent index
    /// builds ([`crate::Migrator::with_concurrent_indexes`]). Scoped to that migrator's own
    /// calls, so two migrators in one process (tests, fixtures) never see each other's choice.
    static CONCURRENT_INDEXES: bool;
}

/// Runs `work` with concurrent index builds on or off: how the runner passes its option down
/// to the migrations it runs.
pub(crate) async fn with_concurrent_index_builds<T>(on: bool, work: impl Future<Output = T>) -> T {
    CONCURRENT_INDEXES.scope(on, work).await
}

/// The same for a synchronous call, e.g. a migration's `use_transaction()`.
pub(crate) fn with_concurrent_index_builds_sync<T>(on: bool, work: impl FnOnce() -> T) -> T {
    CONCURRENT_INDEXES.sync_scope(on, work)
}

/// Whether the migrator running this migration was asked for concurrent index builds (off
/// outside a migrator's run); a migration that offers them returns `Some(false)` from
/// `use_transaction()` when this is true.
pub fn concurrent_index_builds() -> bool {
    CONCURRENT_INDEXES.try_with(|on| *on).unwrap_or(false)
}

impl IndexDef {
    /// Names the index, where the default name is not the one wanted.
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Makes it a partial index (PostgreSQL and SQLite; a plain index on MariaDB).
    pub fn partial(mut self, predicate: &str) -> Self {
        self.predicate = Some(predicate.to_owned());
        self
    }

    pub fn create_statement(&self, backend: DbBackend) -> IndexCreateStatement {
        let mut stmt = Index::create();
        stmt.name(&self.name).table(Alias::new(&self.table));
        for c in &self.columns {
            match c.strip_suffix(" DESC") {
                Some(c) => stmt.col((Alias::new(c), IndexOrder::Desc)),
                None => stmt.col(Alias::new(c)),
            };
        }
        if self.unique {
            stmt.unique();
        }
        if let Some(predicate) = &self.predicate
            && backend != DbBackend::MySql
        {
            stmt.and_where(Expr::cust(predicate.clone()));
        }
        stmt
    }

    pub async fn create(&self, m: &SchemaManager<'_>) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut stmt = self.create_statement(backend);
        if concurrently(m) {
            // A failed concurrent build leaves an INVALID index behind, which IF NOT EXISTS
            // would then skip: drop it, so that running the migration again repairs it.
            exec(
                m,
                format!(
                    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() \
                     AND c.relname = '{}' AND NOT i.indisvalid) THEN EXECUTE 'DROP INDEX {}'; END IF; END $$",
                    self.name,
                    quote(backend, &self.name).replace('\'', "''")
                ),
            )
            .await?;
            stmt.concurrently().if_not_exists();
        }
        m.create_index(stmt).await?;
        if backend == DbBackend::MySql {
            self.drop_replaced_key_indexes(m).await?;
        }
        Ok(())
    }

    pub async fn drop(&self, m: &SchemaManager<'_>) -> Result<(), DbErr> {
        match m.get_database_backend() {
            DbBackend::MySql => self.drop_mysql(m).await,
            _ => {
                let mut stmt = Index::drop();
                stmt.name(&self.name).table(Alias::new(&self.table));
                if concurrently(m) {
                    stmt.concurrently();
                }
                m.drop_index(stmt).await
            }
        }
    }

    /// MariaDB gives a foreign key without an index one of its own, named after the key, and
    /// drops it by itself once a later index covers the key, but only if it made it itself.
    /// This drops such a key-named index once this index covers the key, so that `up` ends
    /// in the same schema whether the key's index was MariaDB's or put back by [`Self::drop`].
    async fn drop_replaced_key_indexes(&self, m: &SchemaManager<'_>) -> Result<(), DbErr> {
        let (fks, others) = self.mysql_keys_and_indexes(m).await?;
        let mine: Vec<&str> = self.columns.iter().map(|c| c.trim_end_matches(" DESC")).collect();
        for (fk, cols) in &fks {
            let key: Vec<&str> = cols.split(',').collect();
            let own_index = others.iter().any(|(name, c)| name == fk && c == cols);
            if own_index && leads(&mine, &key) {
                let q = |s: &str| quote(DbBackend::MySql, s);
                exec(m, format!("ALTER TABLE {} DROP INDEX {}", q(&self.table), q(fk))).await?;
            }
        }
        Ok(())
    }

    /// The table's foreign keys and its other indexes, each with its columns joined by commas.
    async fn mysql_keys_and_indexes(&self, m: &SchemaManager<'_>) -> Result<(NameCols, NameCols), DbErr> {
        let conn = m.get_connection();
        let lists = |sql: String| async move {
            let rows = conn.query_all_raw(Statement::from_string(DbBackend::MySql, sql)).await?;
            rows.iter()
                .map(|r| Ok((r.try_get_by_index::<String>(0)?, r.try_get_by_index::<String>(1)?)))
                .collect::<Result<Vec<_>, DbErr>>()
        };
        let table = self.table.replace('\'', "''");
        let fks = lists(format!(
            "SELECT CAST(CONSTRAINT_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' \
             AND REFERENCED_TABLE_NAME IS NOT NULL GROUP BY CONSTRAINT_NAME"
        ))
        .await?;
        let others = lists(format!(
            "SELECT CAST(INDEX_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS CHAR) \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' \
             AND INDEX_NAME <> '{}' GROUP BY INDEX_NAME",
            self.name.replace('\'', "''")
        ))
        .await?;
        Ok((fks, others))
    }

    /// MariaDB refuses to drop an index a foreign key relies on. When it created an index
    /// for a key by itself (named after the key) and this index later replaced it, dropping
    /// this one puts that index back, so the schema is exactly what it was before.
    async fn drop_mysql(&self, m: &SchemaManager<'_>) -> Result<(), DbErr> {
        let (fks, others) = self.mysql_keys_and_indexes(m).await?;
        let mine: Vec<&str> = self.columns.iter().map(|c| c.trim_end_matches(" DESC")).collect();
        let q = |s: &str| quote(DbBackend::MySql, s);
        let mut clauses = Vec::new();
        for (fk, cols) in &fks {
            let key: Vec<&str> = cols.split(',').collect();
            let covered = others.iter().any(|(_, c)| leads(&c.split(',').collect::<Vec<_>>(), &key));
            if leads(&mine, &key) && !covered {
                let list: Vec<String> = key.iter().map(|c| q(c)).collect();
                clauses.push(format!("ADD INDEX {} ({})", q(fk), list.join(", ")));
            }
        }
        clauses.push(format!("DROP INDEX {}", q(&self.name)));
        exec(m, format!("ALTER TABLE {} {}", q(&self.table), clauses.join(", "))).await
    }
}

type NameCols = Vec<(String, String)>;

/// Whether `index` starts with the columns of `key`.
fn leads(index: &[&str], key: &[&str]) -> bool {
    index.len() >= key.len() && index[..key.len()] == *key
}

/// Whether index DDL should use PostgreSQL's CONCURRENTLY here: asked for, on PostgreSQL,
/// and outside a transaction (where CONCURRENTLY is not allowed).
fn concurrently(m: &SchemaManager<'_>) -> bool {
    concurrent_index_builds()
        && m.get_database_backend() == DbBackend::Postgres
        && matches!(m.get_connection(), SchemaManagerConnection::Connection(_))
}

/// Rebuilds a SQLite table from its stored definition after `edit`, keeping its rows,
/// indexes and every view. The runner has switched foreign-key enforcement off around the
/// migration's transaction and runs `PRAGMA foreign_key_check` before committing.
async fn sqlite_rebuild(
    m: &SchemaManager<'_>,
    table: &str,
    edit: impl FnOnce(&mut CreateTable) -> Result<(), DbErr>,
) -> Result<(), DbErr> {
    let conn = m.get_connection();
    let rows = |sql: String| async move {
        let rows = conn.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index::<String>(0)?, r.try_get_by_index::<String>(1)?)))
            .collect::<Result<Vec<_>, DbErr>>()
    };
    let literal = table.replace('\'', "''");
    let Some((_, sql)) =
        rows(format!("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = '{literal}'"))
            .await?
            .pop()
    else {
        return Err(DbErr::Migration(format!("no table {table} to alter")));
    };
    let mut def = CreateTable::parse(&sql)
        .ok_or_else(|| DbErr::Migration(format!("cannot read the definition of {table}: {sql}")))?;
    edit(&mut def)?;
    let indexes =
        rows(format!("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '{literal}' AND sql IS NOT NULL"))
            .await?;
    let views = rows("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid".into()).await?;

    let q = |s: &str| quote(DbBackend::Sqlite, s);
    let scratch = format!("_seedbed_rebuild_{table}");
    for (name, _) in &views {
        exec(m, format!("DROP VIEW {}", q(name))).await?;
    }
    exec(m, def.to_sql(&scratch)).await?;
    exec(m, format!("INSERT INTO {} SELECT * FROM {}", q(&scratch), q(table))).await?;
    exec(m, format!("DROP TABLE {}", q(table))).await?;
    exec(m, format!("ALTER TABLE {} RENAME TO {}", q(&scratch), q(table))).await?;
    for (_, sql) in indexes.iter().chain(&views) {
        exec(m, sql.clone()).await?;
    }
    Ok(())
}
