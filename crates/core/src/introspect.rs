//! A backend-neutral picture of the schema inside one namespace, read from the database's
//! own catalogue, and the differences between two such pictures.
//!
//! The tests compare snapshots to prove that a migration's `down` undoes its `up` and that
//! entities and migrations agree; the drift check compares the live schema with a scratch
//! one. Types, defaults and expressions are kept in each backend's own spelling: two
//! snapshots are only ever compared on the same backend.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, TryGetable};

use crate::Backend;
use crate::table_sql::CreateTable;

/// Every table and view of a namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Table,
    View,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub kind: Kind,
    /// In declaration order.
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Every index but the primary key's, unique constraints included, by name.
    pub indexes: BTreeMap<String, Index>,
    pub foreign_keys: BTreeSet<ForeignKey>,
    pub checks: BTreeSet<Check>,
    /// How the engine keeps the table's statistics, where a table sets it itself: MariaDB's
    /// and MySQL's `stats_*` table options as `name=value` (a seeding switches
    /// `stats_auto_recalc` off for its load, and must leave it as the migrations made it).
    /// Empty on the other backends.
    pub options: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The type as the catalogue spells it, lower-cased: `character varying(255)`, `varchar(255)`.
    pub data_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// Key columns in order; a descending one carries ` DESC`.
    pub columns: Vec<String>,
    pub unique: bool,
    /// The WHERE clause of a partial index.
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// `CASCADE`, `SET NULL`, `RESTRICT` or `NO ACTION`.
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Check {
    pub name: Option<String>,
    pub expr: String,
}

impl Snapshot {
    /// Reads the namespace `db` is connected to, leaving out the lease lock's table
    /// ([`crate::LOCK_TABLE`]), a chunked seeding's progress ([`crate::SEED_STATE_TABLE`]) and a
    /// bulk load's list of paused statistics ([`crate::PAUSED_STATS_TABLE`]):
    /// they are seedbed's bookkeeping, made by whichever command first needed them, not a
    /// part of the schema the migrations make (so drift and the schema comparisons never see
    /// them).
    pub async fn read(db: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
        let mut snapshot = match Backend::from_db_backend(db.get_database_backend()) {
            Backend::Postgres => read_postgres(db).await,
            Backend::MySql => read_mysql(db).await,
            Backend::Sqlite => read_sqlite(db).await,
        }?;
        // A table a seeding switched off for its load (listed in PAUSED_STATS_TABLE) reads
        // as it will be once switched back: a seeding under way on another machine is not
        // drift, and a killed one's list is reported and repaired on its own.
        if snapshot.tables.contains_key(crate::PAUSED_STATS_TABLE) {
            let sql = format!("SELECT CAST(table_name AS CHAR) FROM `{}`", crate::PAUSED_STATS_TABLE);
            for row in query(db, &sql).await? {
                if let Some(t) = snapshot.tables.get_mut(&get::<String>(&row, 0)?) {
                    t.options.remove("stats_auto_recalc=0");
                }
            }
        }
        Ok(snapshot
            .without(crate::LOCK_TABLE)
            .without(crate::SEED_STATE_TABLE)
            .without(crate::PAUSED_STATS_TABLE))
    }

    /// Base tables only, by name.
    pub fn base_tables(&self) -> impl Iterator<Item = (&String, &Table)> {
        self.tables.iter().filter(|(_, t)| t.kind == Kind::Table)
    }

    /// Each difference from `self` (the expected schema) to `actual`, one line each.
    pub fn diff(&self, actual: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        for (name, want) in &self.tables {
            match actual.tables.get(name) {
                None => out.push(format!("{name}: missing")),
                Some(got) => want.diff(name, got, &mut out),
            }
        }
        for name in actual.tables.keys().filter(|n| !self.tables.contains_key(*n)) {
            out.push(format!("{name}: unexpected (added)"));
        }
        out
    }

    /// The snapshot without `table`, e.g. without the migration history.
    pub fn without(mut self, table: &str) -> Snapshot {
        self.tables.remove(table);
        self
    }
}

/// Whether the namespace `db` is connected to has a base table called `name`; only reads.
pub async fn table_exists(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match Backend::from_db_backend(backend) {
        Backend::Postgres => {
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1"
        }
        Backend::MySql => {
            "SELECT count(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'"
        }
        Backend::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [name.into()])).await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0) > 0)
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn diff(&self, t: &str, got: &Table, out: &mut Vec<String>) {
        if self.kind != got.kind {
            out.push(format!("{t}: is a {:?}, expected a {:?}", got.kind, self.kind));
        }
        for want in &self.columns {
            match got.column(&want.name) {
                None => out.push(format!("{t}.{}: column missing", want.name)),
                Some(c) => {
                    let mut field = |what: &str, w: &dyn fmt::Debug, g: &dyn fmt::Debug| {
                        let (w, g) = (format!("{w:?}"), format!("{g:?}"));
                        if w != g {
                            out.push(format!("{t}.{}: {what} changed from {w} to {g}", want.name));
                        }
                    };
                    field("type", &want.data_type, &c.data_type);
                    field("nullability", &want.nullable, &c.nullable);
                    field("default", &want.default, &c.default);
                    field("comment", &want.comment, &c.comment);
                }
            }
        }
        for c in got.columns.iter().filter(|c| self.column(&c.name).is_none()) {
            out.push(format!("{t}.{}: column added ({})", c.name, c.data_type));
        }
        let want_order: Vec<_> = self.columns.iter().map(|c| &c.name).collect();
        let got_order: Vec<_> = got.columns.iter().map(|c| &c.name).collect();
        if want_order != got_order && out.is_empty() {
            out.push(format!("{t}: column order changed from {want_order:?} to {got_order:?}"));
        }
        if self.primary_key != got.primary_key {
            out.push(format!(
                "{t}: primary key changed from {:?} to {:?}",
                self.primary_key, got.primary_key
            ));
        }
        for (name, want) in &self.indexes {
            match got.indexes.get(name) {
                None => out.push(format!("{t}: index {name} missing")),
                Some(g) if g != want => out.push(format!("{t}: index {name} changed from {want:?} to {g:?}")),
                _ => {}
            }
        }
        for (name, g) in &got.indexes {
            if !self.indexes.contains_key(name) {
                out.push(format!("{t}: index {name} added {g:?}"));
            }
        }
        for fk in self.foreign_keys.difference(&got.foreign_keys) {
            out.push(format!("{t}: foreign key missing or changed: {fk:?}"));
        }
        for fk in got.foreign_keys.difference(&self.foreign_keys) {
            out.push(format!("{t}: foreign key added or changed: {fk:?}"));
        }
        for ck in self.checks.difference(&got.checks) {
            out.push(format!("{t}: check missing or changed: {ck:?}"));
        }
        for ck in got.checks.difference(&self.checks) {
            out.push(format!("{t}: check added or changed: {ck:?}"));
        }
        if self.options != got.options {
            out.push(format!("{t}: table options changed from {:?} to {:?}", self.options, got.options));
        }
    }
}

async fn query(db: &impl ConnectionTrait, sql: &str) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await
}

fn get<T: TryGetable>(row: &QueryResult, i: usize) -> Result<T, DbErr> {
    row.try_get_by_index(i)
}

fn list(s: &str) -> Vec<String> {
    s.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

fn referential_action(code: &str) -> String {
    match code.to_ascii_uppercase().as_str() {
        "C" | "CASCADE" => "CASCADE",
        "N" | "SET NULL" => "SET NULL",
        "D" | "SET DEFAULT" => "SET DEFAULT",
        "R" | "RESTRICT" => "RESTRICT",
        _ => "NO ACTION",
    }
    .to_owned()
}

fn empty_table(kind: Kind) -> Table {
    Table {
        kind,
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: BTreeMap::new(),
        foreign_keys: BTreeSet::new(),
        checks: BTreeSet::new(),
        options: BTreeSet::new(),
    }
}

async fn read_postgres(db: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
    let mut tables = BTreeMap::new();
    for row in query(
        db,
        "SELECT c.relname::text, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p')",
    )
    .await?
    {
        let kind = if get::<String>(&row, 1)? == "v" { Kind::View } else { Kind::Table };
        tables.insert(get::<String>(&row, 0)?, empty_table(kind));
    }
    for row in query(
        db,
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum",
    )
    .await?
    {
        if let Some(t) = tables.get_mut(&get::<String>(&row, 0)?) {
            t.columns.push(Column {
                name: get(&row, 1)?,
                data_type: get::<String>(&row, 2)?.to_lowercase(),
                nullable: get(&row, 3)?,
                default: get(&row, 4)?,
                comment: get(&row, 5)?,
            });
        }
    }
    for row in query(
        db,
        "SELECT c.relname::text, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid, true), \
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.o) FROM unnest(con.conkey) WITH ORDINALITY k(n, o) \
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n), \
                rc.relname::text, \
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.o) FROM unnest(con.confkey) WITH ORDINALITY k(n, o) \
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n), \
                con.confdeltype::text, con.confupdtype::text \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = con.connamespace \
         LEFT JOIN pg_class rc ON rc.oid = con.confrelid \
         WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f', 'c')",
    )
    .await?
    {
        let Some(t) = tables.get_mut(&get::<String>(&row, 0)?) else { continue };
        match get::<String>(&row, 2)?.as_str() {
            "p" => t.primary_key = list(&get::<String>(&row, 4)?),
            "f" => {
                t.foreign_keys.insert(ForeignKey {
                    columns: list(&get::<String>(&row, 4)?),
                    ref_table: get(&row, 5)?,
                    ref_columns: list(&get::<String>(&row, 6)?),
                    on_delete: referential_action(&get::<String>(&row, 7)?),
                    on_update: referential_action(&get::<String>(&row, 8)?),
                });
            }
            _ => {
                let def: String = get(&row, 3)?;
                let expr = canonical_pg_check(def.strip_prefix("CHECK ").unwrap_or(&def));
                t.checks.insert(Check { name: Some(get(&row, 1)?), expr });
            }
        }
    }
    for row in query(
        db,
        "SELECT t.relname::text, i.relname::text, ix.indisunique, \
                (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true) \
                        || CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END, ',' ORDER BY k) \
                   FROM generate_series(1, ix.indnkeyatts) k), \
                pg_get_expr(ix.indpred, ix.indrelid, true) \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT ix.indisprimary",
    )
    .await?
    {
        if let Some(t) = tables.get_mut(&get::<String>(&row, 0)?) {
            t.indexes.insert(
                get(&row, 1)?,
                Index {
                    columns: list(&get::<String>(&row, 3)?),
                    unique: get(&row, 2)?,
                    predicate: get(&row, 4)?,
                },
            );
        }
    }
    Ok(Snapshot { tables })
}

/// One spelling of a PostgreSQL CHECK whose IN-list PostgreSQL deparses two ways: as the
/// migration made it, `ARRAY['a'::character varying, …]::text[]`, and after a dump is loaded
/// again (a restore), `ARRAY['a'::character varying::text, …]`. The two are the same
/// constraint; without this, `migrate drift` reports every such CHECK of a restored domain.
fn canonical_pg_check(expr: &str) -> String {
    expr.replace("::character varying::text", "::character varying").replace("]::text[]", "]")
}

/// The `stats_*` options among a MariaDB/MySQL table's `CREATE_OPTIONS` (`stats_auto_recalc=0
/// row_format=…`), lower-cased.
fn stats_options(create_options: &str) -> BTreeSet<String> {
    create_options
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .filter(|o| o.starts_with("stats_"))
        .collect()
}

async fn read_mysql(db: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
    let mut tables = BTreeMap::new();
    for row in query(
        db,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR), CAST(CREATE_OPTIONS AS CHAR) \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    )
    .await?
    {
        let kind = if get::<String>(&row, 1)? == "VIEW" { Kind::View } else { Kind::Table };
        let mut table = empty_table(kind);
        let options: Option<String> = get(&row, 2)?;
        table.options = stats_options(options.as_deref().unwrap_or(""));
        tables.insert(get::<String>(&row, 0)?, table);
    }
    for row in query(
        db,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
                CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), CAST(COLUMN_COMMENT AS CHAR) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .await?
    {
        if let Some(t) = tables.get_mut(&get::<String>(&row, 0)?) {
            let comment: Option<String> = get(&row, 5)?;
            t.columns.push(Column {
                name: get(&row, 1)?,
                data_type: get::<String>(&row, 2)?.to_lowercase(),
                nullable: get::<String>(&row, 3)? == "YES",
                default: get(&row, 4)?,
                comment: comment.filter(|c| !c.is_empty()),
            });
        }
    }
    for row in query(
        db,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), MAX(NON_UNIQUE), \
                CAST(GROUP_CONCAT(CONCAT(COLUMN_NAME, IF(COLLATION = 'D', ' DESC', '')) ORDER BY SEQ_IN_INDEX SEPARATOR ',') AS CHAR) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME",
    )
    .await?
    {
        let Some(t) = tables.get_mut(&get::<String>(&row, 0)?) else { continue };
        let name: String = get(&row, 1)?;
        let columns = list(&get::<String>(&row, 3)?);
        if name == "PRIMARY" {
            t.primary_key = columns;
        } else {
            t.indexes.insert(name, Index { columns, unique: get::<i64>(&row, 2)? == 0, predicate: None });
        }
    }
    for row in query(
        db,
        "SELECT CAST(k.TABLE_NAME AS CHAR), \
                CAST(GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ',') AS CHAR), \
                CAST(k.REFERENCED_TABLE_NAME AS CHAR), \
                CAST(GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ',') AS CHAR), \
                CAST(r.DELETE_RULE AS CHAR), CAST(r.UPDATE_RULE AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, r.DELETE_RULE, r.UPDATE_RULE",
    )
    .await?
    {
        if let Some(t) = tables.get_mut(&get::<String>(&row, 0)?) {
            t.foreign_keys.insert(ForeignKey {
                columns: list(&get::<String>(&row, 1)?),
                ref_table: get(&row, 2)?,
                ref_columns: list(&get::<String>(&row, 3)?),
                on_delete: referential_action(&get::<String>(&row, 4)?),
                on_update: referential_action(&get::<String>(&row, 5)?),
            });
        }
    }
    // MariaDB names the table of each CHECK here; MySQL 8 does not, and is not a tested target.
    for row in query(
        db,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
    )
    .await?
    {
        if let Some(t) = tables.get_mut(&get::<String>(&row, 0)?) {
            t.checks.insert(Check { name: Some(get(&row, 1)?), expr: get(&row, 2)? });
        }
    }
    Ok(Snapshot { tables })
}

async fn read_sqlite(db: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
    let mut tables = BTreeMap::new();
    let objects = query(
        db,
        "SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .await?;
    for row in objects {
        let name: String = get(&row, 0)?;
        let kind = if get::<String>(&row, 1)? == "view" { Kind::View } else { Kind::Table };
        let sql: Option<String> = get(&row, 2)?;
        let mut table = empty_table(kind);
        let quoted = name.replace('\'', "''");

        let mut pk = Vec::new();
        for c in query(
            db,
            &format!("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{quoted}')"),
        )
        .await?
        {
            let col_name: String = get(&c, 0)?;
            let pk_pos: i64 = get(&c, 4)?;
            if pk_pos > 0 {
                pk.push((pk_pos, col_name.clone()));
            }
            table.columns.push(Column {
                name: col_name,
                data_type: get::<String>(&c, 1)?.to_lowercase(),
                nullable: get::<i64>(&c, 2)? == 0 && pk_pos == 0,
                default: get(&c, 3)?,
                comment: None,
            });
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, n)| n).collect();

        if kind == Kind::Table {
            for ix in
                query(db, &format!("SELECT name, \"unique\", origin FROM pragma_index_list('{quoted}')"))
                    .await?
            {
                let ix_name: String = get(&ix, 0)?;
                if get::<String>(&ix, 2)? == "pk" {
                    continue;
                }
                let ix_quoted = ix_name.replace('\'', "''");
                let mut columns = Vec::new();
                for c in query(
                    db,
                    &format!("SELECT name, \"desc\" FROM pragma_index_xinfo('{ix_quoted}') WHERE key = 1 ORDER BY seqno"),
                )
                .await?
                {
                    let col: Option<String> = get(&c, 0)?;
                    let desc: i64 = get(&c, 1)?;
                    let col = col.unwrap_or_else(|| "<expression>".into());
                    columns.push(if desc == 1 { format!("{col} DESC") } else { col });
                }
                let ix_sql = query(
                    db,
                    &format!("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{ix_quoted}'"),
                )
                .await?
                .first()
                .map(|r| get::<Option<String>>(r, 0))
                .transpose()?
                .flatten();
                let predicate = ix_sql.as_deref().and_then(partial_index_predicate);
                table.indexes.insert(ix_name, Index { columns, unique: get::<i64>(&ix, 1)? == 1, predicate });
            }
            let mut fks: BTreeMap<i64, ForeignKey> = BTreeMap::new();
            for fk in query(
                db,
                &format!("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list('{quoted}') ORDER BY id, seq"),
            )
            .await?
            {
                let entry = fks.entry(get(&fk, 0)?).or_insert_with(|| ForeignKey {
                    columns: Vec::new(),
                    ref_table: String::new(),
                    ref_columns: Vec::new(),
                    on_delete: String::new(),
                    on_update: String::new(),
                });
                entry.ref_table = get(&fk, 1)?;
                entry.columns.push(get(&fk, 2)?);
                entry.ref_columns.push(get::<Option<String>>(&fk, 3)?.unwrap_or_default());
                entry.on_update = referential_action(&get::<String>(&fk, 4)?);
                entry.on_delete = referential_action(&get::<String>(&fk, 5)?);
            }
            table.foreign_keys = fks.into_values().collect();
            if let Some(parsed) = sql.as_deref().and_then(CreateTable::parse) {
                table.checks =
                    parsed.checks().into_iter().map(|c| Check { name: c.name, expr: c.expr }).collect();
            }
        }
        tables.insert(name, table);
    }
    Ok(Snapshot { tables })
}

fn partial_index_predicate(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    upper.rfind(" WHERE ").map(|i| sql[i + 7..].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_statistics_options_are_kept() {
        let got = stats_options("stats_auto_recalc=0 row_format=DYNAMIC STATS_SAMPLE_PAGES=10 partitioned");
        let want: BTreeSet<String> =
            ["stats_auto_recalc=0", "stats_sample_pages=10"].map(String::from).into();
        assert_eq!(got, want);
        assert!(stats_options("").is_empty());
    }
}
