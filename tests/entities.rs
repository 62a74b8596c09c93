//! Entities and migrations agree, on every backend and every domain: each entity column
//! exists in the migrated schema with a compatible type, the same nullability and the same
//! foreign keys, and each table and column of the schema has its entity field.

use std::collections::BTreeSet;

use sea_orm::sea_query::{
    ColumnType, ForeignKeyAction, StringLen, TableCreateStatement, TableName, TableRef,
};
use seedbed_core::Backend;
use seedbed_core::introspect::{Kind, Snapshot, Table};
use seedbed_migration::HISTORY_TABLE;

use crate::util::{TestDb, backend_tests, domains};

/// A type as far as "compatible" goes: a family and, where both sides state one, a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Text,
    Integer,
    BigInteger,
    Decimal,
    Boolean,
    Timestamp,
    Uuid,
    Json,
    Float,
    /// SQLite gives an expression column of a view no declared type.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Type {
    family: Family,
    size: Option<(u32, u32)>,
}

fn ty(family: Family, size: Option<(u32, u32)>) -> Type {
    Type { family, size }
}

fn entity_type(ct: &ColumnType) -> Type {
    use Family::*;
    match ct {
        ColumnType::String(StringLen::N(n)) | ColumnType::Char(Some(n)) => ty(Text, Some((*n, 0))),
        ColumnType::String(_) | ColumnType::Char(None) | ColumnType::Text => ty(Text, None),
        ColumnType::Integer | ColumnType::SmallInteger | ColumnType::TinyInteger => ty(Integer, None),
        ColumnType::BigInteger => ty(BigInteger, None),
        ColumnType::Decimal(size) => ty(Decimal, *size),
        ColumnType::Boolean => ty(Boolean, None),
        ColumnType::TimestampWithTimeZone => ty(Timestamp, None),
        ColumnType::Uuid => ty(Uuid, None),
        ColumnType::Json | ColumnType::JsonBinary => ty(Json, None),
        ColumnType::Double | ColumnType::Float => ty(Float, None),
        other => panic!("the agreement test does not know the entity type {other:?}: teach it"),
    }
}

/// `numeric(12,2)`, `varchar(255)` → the numbers in parentheses.
fn size_of(s: &str) -> Option<(u32, u32)> {
    let inner = s.split_once('(')?.1.split_once(')')?.0;
    let mut parts = inner.split(',').map(|p| p.trim().parse::<u32>());
    let a = parts.next()?.ok()?;
    let b = parts.next().and_then(|r| r.ok()).unwrap_or(0);
    Some((a, b))
}

fn db_type(backend: Backend, table: &Table, column: &str, s: &str) -> Type {
    use Family::*;
    // MariaDB describes a TIMESTAMP that a view's UNION produces as `timestamp /* mariadb-5.3 */`.
    let s = s.split("/*").next().unwrap_or("").trim();
    let base = s.split('(').next().unwrap_or("").trim();
    let size = size_of(s);
    let family = match (backend, base) {
        (_, "character varying" | "varchar" | "character" | "char") => return ty(Text, size),
        (_, "text" | "mediumtext") => Text,
        // MariaDB's JSON is LONGTEXT guarded by json_valid().
        (Backend::MySql, "longtext") => {
            let guarded = table.checks.iter().any(|c| c.expr.contains(&format!("json_valid(`{column}`)")));
            if guarded { Json } else { Text }
        }
        (Backend::MySql, "tinyint") if size == Some((1, 0)) => Boolean,
        (_, "integer" | "int" | "smallint" | "tinyint") => Integer,
        (_, "bigint") => BigInteger,
        (_, "numeric" | "decimal" | "real") if size.is_some() || base != "real" => return ty(Decimal, size),
        (_, "boolean" | "bool") => Boolean,
        (_, "timestamp with time zone" | "timestamp" | "timestamp_with_timezone_text") => Timestamp,
        (Backend::MySql, "binary") if size == Some((16, 0)) => Uuid,
        (_, "uuid" | "uuid_text") => Uuid,
        (_, "jsonb" | "json" | "json_text" | "jsonb_text") => Json,
        (_, "double precision" | "double" | "float" | "real") => Float,
        (Backend::Sqlite, "") => Unknown,
        _ => panic!("the agreement test does not know the {backend:?} type {s:?}: teach it"),
    };
    ty(family, None)
}

fn compatible(backend: Backend, entity: Type, db: Type) -> bool {
    use Family::*;
    let family = entity.family == db.family
        || db.family == Unknown
        // SQLite has one INTEGER; MySQL's BOOLEAN is an integer and its views say so.
        || (backend == Backend::Sqlite && matches!((entity.family, db.family), (Integer | BigInteger, Integer)))
        || (backend == Backend::MySql && entity.family == Boolean && matches!(db.family, Integer | BigInteger));
    let size = match (entity.size, db.size) {
        (Some(e), Some(d)) => e == d,
        _ => true,
    };
    family && size
}

fn table_name(stmt: &TableCreateStatement) -> String {
    match stmt.get_table_name() {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        other => panic!("an entity statement without a plain table name: {other:?}"),
    }
}

fn action(a: Option<ForeignKeyAction>) -> &'static str {
    match a {
        Some(ForeignKeyAction::Cascade) => "CASCADE",
        Some(ForeignKeyAction::SetNull) => "SET NULL",
        Some(ForeignKeyAction::Restrict) => "RESTRICT",
        Some(ForeignKeyAction::SetDefault) => "SET DEFAULT",
        _ => "NO ACTION",
    }
}

/// Every disagreement between the entities of a domain and a migrated schema.
fn disagreements(
    backend: Backend,
    views: &[&str],
    entities: &[TableCreateStatement],
    schema: &Snapshot,
) -> Vec<String> {
    let mut out = Vec::new();
    let entity_tables: BTreeSet<String> = entities.iter().map(table_name).collect();
    for name in schema.tables.keys().filter(|n| *n != HISTORY_TABLE && !entity_tables.contains(*n)) {
        out.push(format!("{name}: in the schema but has no entity"));
    }
    for stmt in entities {
        let name = table_name(stmt);
        let Some(table) = schema.tables.get(&name) else {
            out.push(format!("{name}: entity has no table or view in the schema"));
            continue;
        };
        let is_view = views.contains(&name.as_str());
        let expected_kind = if is_view { Kind::View } else { Kind::Table };
        if table.kind != expected_kind {
            out.push(format!("{name}: entity expects a {expected_kind:?}, schema has a {:?}", table.kind));
        }
        let entity_columns: BTreeSet<String> =
            stmt.get_columns().iter().map(|c| c.get_column_name()).collect();
        for col in &table.columns {
            if !entity_columns.contains(&col.name) {
                out.push(format!("{name}.{}: in the schema but has no entity field", col.name));
            }
        }
        for def in stmt.get_columns() {
            let col_name = def.get_column_name();
            let Some(col) = table.column(&col_name) else {
                out.push(format!("{name}.{col_name}: entity field has no column"));
                continue;
            };
            let e = entity_type(def.get_column_type().expect("entity columns have types"));
            let d = db_type(backend, table, &col.name, &col.data_type);
            if !compatible(backend, e, d) {
                out.push(format!(
                    "{name}.{col_name}: entity type {e:?} does not fit column type {:?}",
                    col.data_type
                ));
            }
            // A view's columns carry no reliable NOT NULL; the entity decides there.
            let entity_nullable = def.get_column_spec().nullable != Some(false);
            if !is_view && entity_nullable != col.nullable {
                out.push(format!(
                    "{name}.{col_name}: entity says nullable={entity_nullable}, column says nullable={}",
                    col.nullable
                ));
            }
        }
        if !is_view {
            let entity_fks: BTreeSet<String> = stmt
                .get_foreign_key_create_stmts()
                .iter()
                .map(|fk| {
                    let fk = fk.get_foreign_key();
                    let to = match fk.get_ref_table() {
                        Some(TableRef::Table(TableName(_, n), _)) => n.to_string(),
                        other => format!("{other:?}"),
                    };
                    format!(
                        "{:?} -> {to}{:?} ON DELETE {}",
                        fk.get_columns(),
                        fk.get_ref_columns(),
                        action(fk.get_on_delete())
                    )
                })
                .collect();
            let schema_fks: BTreeSet<String> = table
                .foreign_keys
                .iter()
                .map(|fk| {
                    format!(
                        "{:?} -> {}{:?} ON DELETE {}",
                        fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete
                    )
                })
                .collect();
            for fk in entity_fks.difference(&schema_fks) {
                out.push(format!("{name}: entity relation {fk} has no foreign key in the schema"));
            }
            for fk in schema_fks.difference(&entity_fks) {
                out.push(format!("{name}: foreign key {fk} has no belongs_to relation in the entity"));
            }
        }
    }
    out
}

backend_tests!(entities_agree_with_migrations);
async fn entities_agree_with_migrations(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = t.migrated(domain).await;
        let schema = Snapshot::read(&db).await.unwrap();
        let entities = (domain.entities)(backend.db_backend());
        let found = disagreements(backend, domain.views, &entities, &schema);
        assert!(found.is_empty(), "{} on {backend:?}:\n  {}", domain.name, found.join("\n  "));
    }
}

backend_tests!(the_agreement_check_can_fail);
/// The check above must be able to fail: a column dropped by hand, a changed type, a lost
/// foreign key and an extra table are each reported.
async fn the_agreement_check_can_fail(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = t.migrated(domain).await;
        let mut schema = Snapshot::read(&db).await.unwrap();
        let entities = (domain.entities)(backend.db_backend());
        let (name, table) = schema
            .tables
            .iter_mut()
            .find(|(n, t)| t.kind == Kind::Table && !t.foreign_keys.is_empty() && *n != HISTORY_TABLE)
            .expect("a table with a foreign key");
        let name = name.clone();
        let dropped = table.columns.pop().unwrap().name;
        table.columns[0].data_type = "boolean".into();
        table.foreign_keys.clear();
        let mut extra = table.clone();
        extra.foreign_keys.clear();
        schema.tables.insert("hand_made".into(), extra);
        let found = disagreements(backend, domain.views, &entities, &schema).join("\n");
        for expected in [
            format!("{name}.{dropped}: entity field has no column"),
            format!("{name}.{}: entity type", table_first_column(&schema, &name)),
            format!("{name}: entity relation"),
            "hand_made: in the schema but has no entity".to_owned(),
        ] {
            assert!(found.contains(&expected), "expected a finding {expected:?} in:\n{found}");
        }
    }
}

fn table_first_column(schema: &Snapshot, table: &str) -> String {
    schema.tables[table].columns[0].name.clone()
}

/// What `Seeder::tables()` says against the entity list: the same tables, each once, each
/// after the tables its foreign keys point at (the order seeding and truncation rely on).
fn seeder_disagreements(
    entities: &[TableCreateStatement],
    entity_views: &[&str],
    seeder_tables: &[&str],
    seeder_views: &[&str],
) -> Vec<String> {
    let mut out = Vec::new();
    let tables: BTreeSet<String> =
        entities.iter().map(table_name).filter(|t| !entity_views.contains(&t.as_str())).collect();
    let listed: BTreeSet<String> = seeder_tables.iter().map(|t| (*t).to_owned()).collect();
    for t in tables.difference(&listed) {
        out.push(format!("{t}: an entity table the seeder's tables() does not list"));
    }
    for t in listed.difference(&tables) {
        out.push(format!("{t}: listed by the seeder's tables() but has no entity"));
    }
    if listed.len() != seeder_tables.len() {
        out.push(format!("tables() lists a table twice: {seeder_tables:?}"));
    }
    let views: BTreeSet<&str> = entity_views.iter().copied().collect();
    if views != seeder_views.iter().copied().collect() {
        out.push(format!("views: the entities say {entity_views:?}, the seeder {seeder_views:?}"));
    }
    for stmt in entities {
        let child = table_name(stmt);
        let Some(at) = seeder_tables.iter().position(|t| *t == child) else { continue };
        for fk in stmt.get_foreign_key_create_stmts() {
            let parent = name_of(fk.get_foreign_key().get_ref_table());
            let parent_at = seeder_tables.iter().position(|t| *t == parent);
            if parent != child && parent_at.is_some_and(|p| p > at) {
                out.push(format!("{child} is listed before its parent {parent}"));
            }
        }
    }
    out
}

fn name_of(t: Option<&TableRef>) -> String {
    match t {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn each_seeders_tables_are_its_entities_parents_first() {
    for domain in domains() {
        let entities = (domain.entities)(sea_orm::DbBackend::Postgres);
        let tables: Vec<&str> = domain.seeder.tables().iter().map(|t| t.name()).collect();
        let found = seeder_disagreements(&entities, domain.views, &tables, domain.seeder.views());
        assert!(found.is_empty(), "{}:\n  {}", domain.name, found.join("\n  "));
    }
}

#[test]
fn the_seeder_tables_check_can_fail() {
    let domain = domains().iter().find(|d| d.name == "draw").unwrap();
    let entities = (domain.entities)(sea_orm::DbBackend::Postgres);
    let mut tables: Vec<&str> = domain.seeder.tables().iter().map(|t| t.name()).collect();
    let dropped = tables.pop().unwrap();
    let users = tables.iter().position(|t| *t == "users").unwrap();
    let moved = tables.remove(users);
    tables.push(moved);
    tables.push("hand_made");
    let found = seeder_disagreements(&entities, domain.views, &tables, &["a_view"]).join("\n");
    for expected in [
        format!("{dropped}: an entity table the seeder's tables() does not list"),
        "hand_made: listed by the seeder's tables() but has no entity".to_owned(),
        "is listed before its parent users".to_owned(),
        "views: the entities say".to_owned(),
    ] {
        assert!(found.contains(&expected), "expected a finding {expected:?} in:\n{found}");
    }
}
