//! The integrity catalogue: each check is a query for the rows that break one rule, run by
//! `seedbed check` and at the end of `bootstrap`. A check passes when its query finds
//! nothing.

use sea_orm::sea_query::{TableCreateStatement, TableName, TableRef};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};

/// A rule and the query for the rows that break it; the query's first column is the
/// offending row's key.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub rule: String,
    pub sql: String,
}

impl Check {
    pub fn new(name: &str, rule: &str, sql: &str) -> Check {
        Check { name: name.to_owned(), rule: rule.to_owned(), sql: sql.to_owned() }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub name: String,
    pub rule: String,
    pub violations: u64,
    /// A few offending keys, as text.
    pub sample: Vec<String>,
    /// How long the check took.
    pub took: std::time::Duration,
}

/// How many offending keys a finding shows.
pub const SAMPLE: usize = 5;

/// Runs every check.
pub async fn run(db: &impl ConnectionTrait, checks: &[Check]) -> Result<Vec<Finding>, DbErr> {
    let backend = db.get_database_backend();
    let mut out = Vec::with_capacity(checks.len());
    for check in checks {
        let started = std::time::Instant::now();
        let count = db
            .query_one_raw(Statement::from_string(backend, format!("SELECT COUNT(*) FROM ({}) q", check.sql)))
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0) as u64;
        let sample = if count == 0 {
            Vec::new()
        } else {
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT * FROM ({}) q ORDER BY 1 LIMIT {SAMPLE}", check.sql),
                ))
                .await?;
            rows.iter().map(key_text).collect()
        };
        out.push(Finding {
            name: check.name.clone(),
            rule: check.rule.clone(),
            violations: count,
            sample,
            took: started.elapsed(),
        });
    }
    Ok(out)
}

/// The first column of a row as text, whatever its type.
fn key_text(row: &QueryResult) -> String {
    if let Ok(u) = row.try_get_by_index::<sea_orm::prelude::Uuid>(0) {
        return u.to_string();
    }
    if let Ok(n) = row.try_get_by_index::<i64>(0) {
        return n.to_string();
    }
    if let Ok(n) = row.try_get_by_index::<i32>(0) {
        return n.to_string();
    }
    row.try_get_by_index::<String>(0).unwrap_or_else(|_| "?".into())
}

fn name_of(t: Option<&TableRef>) -> String {
    match t {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        other => format!("{other:?}"),
    }
}

/// One orphan check per foreign key the entities declare: rows whose key points at no row.
/// The database enforces these keys; the checks find rows written with enforcement off, by
/// a bulk load or by hand, on every backend alike.
pub fn orphan_checks(backend: DbBackend, tables: &[TableCreateStatement], views: &[&str]) -> Vec<Check> {
    let q = |s: &str| match backend {
        DbBackend::MySql => format!("`{s}`"),
        _ => format!("\"{s}\""),
    };
    let mut out = Vec::new();
    for t in tables {
        let child = name_of(t.get_table_name());
        if views.contains(&child.as_str()) {
            continue;
        }
        let pk = t
            .get_columns()
            .iter()
            .find(|c| c.get_column_spec().primary_key)
            .map(|c| c.get_column_name())
            .expect("a single-column primary key");
        for fk in t.get_foreign_key_create_stmts() {
            let fk = fk.get_foreign_key();
            let parent = name_of(fk.get_ref_table());
            let (col, ref_col) = (&fk.get_columns()[0], &fk.get_ref_columns()[0]);
            out.push(Check {
                name: format!("orphan_{child}_{col}"),
                rule: format!("every {child}.{col} names an existing {parent}"),
                sql: format!(
                    "SELECT c.{pk} FROM {ct} c LEFT JOIN {pt} p ON p.{rc} = c.{c} WHERE c.{c} IS NOT NULL AND p.{rc} IS NULL",
                    pk = q(&pk),
                    ct = q(&child),
                    pt = q(&parent),
                    rc = q(ref_col),
                    c = q(col),
                ),
            });
        }
    }
    out
}
