//! Entity-relationship diagrams (Mermaid `erDiagram`) generated from the entities, and
//! kept inside each domain's page in `docs/domains/` between two marker comments.

use std::fmt::Write;

use sea_orm::DbBackend;
use sea_orm::sea_query::{ColumnType, StringLen, TableCreateStatement, TableName, TableRef};

use crate::Domain;

pub const BEGIN: &str =
    "<!-- er:begin: generated from the entities by `cargo run -p seedbed -- docs`; do not edit -->";
pub const END: &str = "<!-- er:end -->";

fn name_of(t: Option<&TableRef>) -> String {
    match t {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        other => format!("{other:?}"),
    }
}

fn type_label(ct: &ColumnType) -> String {
    match ct {
        ColumnType::String(StringLen::N(n)) => format!("varchar({n})"),
        ColumnType::String(_) | ColumnType::Char(_) => "varchar".into(),
        ColumnType::Text => "text".into(),
        ColumnType::SmallInteger => "smallint".into(),
        ColumnType::Integer => "int".into(),
        ColumnType::BigInteger => "bigint".into(),
        ColumnType::Decimal(_) => "decimal".into(),
        ColumnType::Boolean => "bool".into(),
        ColumnType::TimestampWithTimeZone => "timestamptz".into(),
        ColumnType::Uuid => "uuid".into(),
        ColumnType::Json | ColumnType::JsonBinary => "json".into(),
        other => format!("{other:?}").to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect(),
    }
}

/// The Mermaid diagram of `domain`'s tables (views left out), columns, keys and relations.
pub fn er_diagram(domain: &Domain) -> String {
    let tables: Vec<TableCreateStatement> = (domain.entities)(DbBackend::Postgres)
        .into_iter()
        .filter(|t| !domain.views.contains(&name_of(t.get_table_name()).as_str()))
        .collect();
    let mut out = String::from("```mermaid\nerDiagram\n");
    for t in &tables {
        let table = name_of(t.get_table_name());
        let fk_columns: Vec<String> = t
            .get_foreign_key_create_stmts()
            .iter()
            .flat_map(|fk| fk.get_foreign_key().get_columns())
            .collect();
        writeln!(out, "    {table} {{").unwrap();
        for col in t.get_columns() {
            let name = col.get_column_name();
            let spec = col.get_column_spec();
            let mut keys = Vec::new();
            if spec.primary_key {
                keys.push("PK");
            }
            if fk_columns.contains(&name) {
                keys.push("FK");
            }
            if spec.unique {
                keys.push("UK");
            }
            let ty = col.get_column_type().map(type_label).unwrap_or_default();
            let nullable = if spec.nullable == Some(false) { "" } else { " \"nullable\"" };
            let keys = if keys.is_empty() { String::new() } else { format!(" {}", keys.join(", ")) };
            writeln!(out, "        {ty} {name}{keys}{nullable}").unwrap();
        }
        writeln!(out, "    }}").unwrap();
    }
    for t in &tables {
        let child = name_of(t.get_table_name());
        for fk in t.get_foreign_key_create_stmts() {
            let fk = fk.get_foreign_key();
            let parent = name_of(fk.get_ref_table());
            let cols = fk.get_columns();
            let optional = t
                .get_columns()
                .iter()
                .any(|c| cols.contains(&c.get_column_name()) && c.get_column_spec().nullable != Some(false));
            let one =
                t.get_columns().iter().any(|c| cols == [c.get_column_name()] && c.get_column_spec().unique);
            let parent_end = if optional { "|o" } else { "||" };
            let child_end = if one { "o|" } else { "o{" };
            writeln!(out, "    {parent} {parent_end}--{child_end} {child} : \"{}\"", cols.join(", "))
                .unwrap();
        }
    }
    out.push_str("```\n");
    out
}

/// `page` with its diagram section replaced by `diagram`, or the section appended when the
/// page has none yet.
pub fn with_diagram(page: &str, diagram: &str) -> String {
    let block = format!("{BEGIN}\n{diagram}{END}\n");
    match (page.find(BEGIN), page.find(END)) {
        (Some(start), Some(end)) if end > start => {
            let after = &page[end + END.len()..];
            format!("{}{block}{}", &page[..start], after.strip_prefix('\n').unwrap_or(after))
        }
        _ => format!("{}\n## Entity-relationship diagram\n\n{block}", page.trim_end().to_owned() + "\n"),
    }
}
