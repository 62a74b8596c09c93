//! Constraints fire on every backend. Every CHECK and foreign key the live schema holds, in
//! every domain, is broken by one write that the engine must refuse for that constraint,
//! found from the schema alone; and for each domain a valid world is planted, and each
//! hand-written write that breaks one rule (a unique constraint, a NOT NULL, and named cases
//! for the CHECKs) must be refused, for that rule.

use sea_orm::sea_query::{Alias, Expr, Query, UpdateStatement, Value};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExprTrait, Statement, StatementBuilder,
    TransactionTrait,
};
use seedbed_core::introspect::{Check, Snapshot, Table};
use seedbed_core::{Backend, quote};
use seedbed_seeds::Profile;

use crate::seeding::{options, seeded};
use crate::util::{TestDb, Violation, backend_tests, domains, violation};

/// A write that must be refused because of `rule`.
pub struct Case {
    pub rule: &'static str,
    pub kind: Violation,
    pub write: Statement,
}

impl Case {
    pub fn new(
        backend: DbBackend,
        rule: &'static str,
        kind: Violation,
        write: &impl StatementBuilder,
    ) -> Case {
        Case { rule, kind, write: backend.build(write) }
    }
}

/// `UPDATE table SET column = value WHERE id = row`: how most cases break a valid row.
pub fn update(table: &str, column: &str, value: impl Into<Value>, row: impl Into<Value>) -> UpdateStatement {
    Query::update()
        .table(Alias::new(table))
        .value(Alias::new(column), Expr::val(value))
        .and_where(Expr::col(Alias::new("id")).eq(row.into()))
        .to_owned()
}

/// `update` for a table keyed by another column than `id`.
pub fn update_where(
    table: &str,
    column: &str,
    value: impl Into<Value>,
    key: &str,
    row: impl Into<Value>,
) -> UpdateStatement {
    Query::update()
        .table(Alias::new(table))
        .value(Alias::new(column), Expr::val(value))
        .and_where(Expr::col(Alias::new(key)).eq(row.into()))
        .to_owned()
}

/// Each domain's cases, from its file `tests/domains/<name>.rs`.
async fn rejected_writes(domain: &str, db: &DatabaseConnection) -> Vec<Case> {
    crate::domain_cases::rejected_writes(domain, db).await.unwrap_or_else(|| {
        panic!("no constraint cases for domain {domain}: write `pub async fn rejected_writes` in tests/domains/{domain}.rs")
    })
}

backend_tests!(constraints_refuse_bad_rows);
async fn constraints_refuse_bad_rows(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = t.migrated(domain).await;
        let cases = rejected_writes(domain.name, &db).await;
        let mut failures = Vec::new();
        for case in &cases {
            match db.execute_raw(case.write.clone()).await {
                Ok(_) => failures.push(format!("{}: accepted `{}`", case.rule, case.write)),
                Err(e) => match violation(&e) {
                    Some((kind, detail)) if kind == case.kind => {
                        // SQLite names only the CHECK constraints it enforces.
                        let named = detail.contains(case.rule)
                            || (backend == Backend::Sqlite && kind != Violation::Check);
                        if !named {
                            failures.push(format!("{}: refused, but for another rule: {detail}", case.rule));
                        }
                    }
                    other => failures.push(format!(
                        "{}: expected a {:?} violation, got {other:?} from {e}",
                        case.rule, case.kind
                    )),
                },
            }
        }
        assert!(failures.is_empty(), "{} on {backend:?}:\n  {}", domain.name, failures.join("\n  "));
        for kind in [Violation::Check, Violation::ForeignKey, Violation::Unique] {
            assert!(cases.iter().any(|c| c.kind == kind), "{}: no {kind:?} case", domain.name);
        }
    }
}

/// Constraints the derived search below cannot break with one write:
/// `(domain, table, constraint, why)`, a CHECK by its name, a foreign key as `fk(columns)`.
/// The test fails when an entry is stale (the constraint is gone, or is broken after all).
/// Empty today: every CHECK of the three domains is single-row, so one UPDATE of a seeded
/// row reaches it, and every foreign key has a seeded row with the key set. A CHECK that only
/// a state no seeded row is in can break, or one the search's values miss, goes here.
const CANNOT_BE_BROKEN_BY_ONE_WRITE: &[(&str, &str, &str, &str)] = &[];

/// The raw SQL values tried, alone and in pairs, on the columns a CHECK names.
fn candidates(expr: &str, column: &str, others: &[&str], backend: DbBackend) -> Vec<String> {
    let mut out = vec!["NULL".to_owned(), "-1".into(), "0".into(), "1000000000".into()];
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            let mut end = i + 1;
            for (j, d) in chars.by_ref() {
                end = j;
                if d == '\'' {
                    break;
                }
            }
            out.push(expr[i..=end].to_owned());
        } else if c.is_ascii_digit() && !expr[..i].ends_with(|p: char| p.is_alphanumeric() || p == '_') {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !(d.is_ascii_digit() || d == '.') {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            if let Ok(n) = expr[i..end].parse::<f64>() {
                for v in [n, n - 1.0, n + 1.0, -n, n - 0.01, n + 0.01] {
                    out.push(format!("{}", (v * 100.0).round() / 100.0));
                }
            }
        }
    }
    out.extend(
        ["'sb_not_allowed'", "'SB_NOT_ALLOWED'", "''", "'1970-01-02 00:00:00'", "'2037-12-31 00:00:00'"]
            .map(str::to_owned),
    );
    // The row's own value, changed a little: breaks a rule about its form (lower case, a
    // prefix) without breaking its neighbours'.
    let own = quote(backend, column);
    out.extend([format!("UPPER({own})"), format!("{own} + 1"), format!("{own} - 1")]);
    for other in others.iter().filter(|o| **o != column) {
        let q = quote(backend, other);
        out.extend([q.clone(), format!("{q} + 1"), format!("{q} - 1")]);
    }
    out.dedup();
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|v| seen.insert(v.clone()));
    out
}

/// The columns of `table` that `expr` names, as whole words.
fn columns_in<'a>(expr: &str, table: &'a Table) -> Vec<&'a str> {
    let words: std::collections::BTreeSet<&str> =
        expr.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    table.columns.iter().map(|c| c.name.as_str()).filter(|c| words.contains(c)).collect()
}

/// `UPDATE table SET sets WHERE <the n-th row matching filter>`, in each backend's spelling.
fn update_nth(
    backend: DbBackend,
    table: &Table,
    name: &str,
    sets: &[(&str, &str)],
    filter: &str,
    n: u64,
) -> String {
    let t = quote(backend, name);
    let sets: Vec<String> = sets.iter().map(|(c, v)| format!("{} = {v}", quote(backend, c))).collect();
    let sets = sets.join(", ");
    match backend {
        DbBackend::Postgres => {
            format!(
                "UPDATE {t} SET {sets} WHERE ctid = (SELECT ctid FROM {t} WHERE {filter} LIMIT 1 OFFSET {n})"
            )
        }
        DbBackend::Sqlite => {
            format!(
                "UPDATE {t} SET {sets} WHERE rowid = (SELECT rowid FROM {t} WHERE {filter} LIMIT 1 OFFSET {n})"
            )
        }
        // MariaDB refuses a subquery on the updated table unless it is materialised first.
        _ => {
            let key: Vec<String> = table.primary_key.iter().map(|c| quote(backend, c)).collect();
            let key = key.join(", ");
            format!(
                "UPDATE {t} SET {sets} WHERE ({key}) IN (SELECT {key} FROM (SELECT {key} FROM {t} WHERE {filter} LIMIT 1 OFFSET {n}) sb_row)"
            )
        }
    }
}

/// Runs `sql` in a transaction that is always rolled back: `Some(error)` when refused.
async fn refused(db: &DatabaseConnection, sql: &str) -> Option<DbErr> {
    let txn = db.begin().await.expect("a transaction");
    let result = txn.execute_unprepared(sql).await;
    txn.rollback().await.expect("a rollback");
    result.err()
}

/// What one search found: the statement the engine refused for the constraint, or why not.
enum Found {
    Refused(String),
    NotFound(Vec<String>),
}

/// Tries each group of `attempts` in turn (each attempt a list of column assignments) on the
/// first rows matching `filter`, until one is refused as a `kind` violation that `names`
/// accepts. Cheap attempts come first: most constraints fall to a single assignment.
async fn search(
    db: &DatabaseConnection,
    table: (&str, &Table),
    filter: &str,
    groups: &[Vec<Vec<(&str, String)>>],
    kind: Violation,
    names: impl Fn(&str) -> bool,
) -> Found {
    let backend = db.get_database_backend();
    let rows = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) FROM {} WHERE {filter}", quote(backend, table.0)),
        ))
        .await
        .unwrap()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    if rows == 0 {
        return Found::NotFound(vec![format!("no row of {} matches {filter} after seeding", table.0)]);
    }
    let mut other = Vec::new();
    let mut tried = 0;
    for (g, attempts) in groups.iter().enumerate() {
        let rows = Ord::min(rows, if g == 0 { ROWS_TRIED } else { ROWS_TRIED_IN_PAIRS });
        for n in 0..rows as u64 {
            for sets in attempts {
                tried += 1;
                if tried > MAX_ATTEMPTS {
                    other.push(format!("gave up after {MAX_ATTEMPTS} writes"));
                    return Found::NotFound(other);
                }
                let sets: Vec<(&str, &str)> = sets.iter().map(|(c, v)| (*c, v.as_str())).collect();
                let sql = update_nth(backend, table.1, table.0, &sets, filter, n);
                let Some(e) = refused(db, &sql).await else { continue };
                match violation(&e) {
                    Some((k, detail)) if k == kind && names(&detail) => return Found::Refused(sql),
                    v => {
                        if other.len() < 3 {
                            other.push(format!("`{sql}`: {v:?} {e}"));
                        }
                    }
                }
            }
        }
    }
    Found::NotFound(other)
}

/// The writes tried for one constraint before it is reported: bounds the test's time when a
/// constraint is not enforced (each write is a transaction rolled back).
const MAX_ATTEMPTS: usize = 4_000;

/// How many seeded rows of a table the single assignments are tried on: rows differ in
/// state (open, full, completed…), and some constraints can only be broken from one state.
const ROWS_TRIED: i64 = 60;
/// The same for pairs, which are many more.
const ROWS_TRIED_IN_PAIRS: i64 = 8;

/// Every pair of assignments to two different columns of `columns`, at least one of them in
/// `own`.
fn pairs<'a>(values: &[(&'a str, Vec<String>)], own: &[&str]) -> Vec<Vec<(&'a str, String)>> {
    let mut out = Vec::new();
    for (i, (a, avs)) in values.iter().enumerate() {
        for (b, bvs) in &values[i + 1..] {
            if !own.contains(a) && !own.contains(b) {
                continue;
            }
            for av in avs {
                out.extend(bvs.iter().map(|bv| vec![(*a, av.clone()), (*b, bv.clone())]));
            }
        }
    }
    out
}

/// The attempts for one CHECK, cheapest first: one of its columns; two of them; one of them
/// with a column of a neighbouring CHECK (one sharing a column), for when a neighbour is
/// reported first (PostgreSQL reports the first failing CHECK by name).
fn check_attempts<'a>(
    check: &Check,
    table: &'a Table,
    backend: DbBackend,
) -> Vec<Vec<Vec<(&'a str, String)>>> {
    let own = columns_in(&check.expr, table);
    let values = |columns: &[&'a str], expr: &str| -> Vec<(&'a str, Vec<String>)> {
        columns.iter().map(|c| (*c, candidates(expr, c, columns, backend))).collect()
    };
    let own_values = values(&own, &check.expr);
    let singles = own_values.iter().flat_map(|(c, vs)| vs.iter().map(|v| vec![(*c, v.clone())])).collect();
    let mut near_expr = check.expr.clone();
    let mut near = own.clone();
    for other in table.checks.iter().filter(|o| *o != check) {
        let theirs = columns_in(&other.expr, table);
        if theirs.iter().any(|c| own.contains(c)) {
            near_expr = format!("{near_expr} AND {}", other.expr);
            near.extend(theirs.into_iter().filter(|c| !near.contains(c)).collect::<Vec<_>>());
        }
    }
    let neighbours =
        if near.len() > own.len() { pairs(&values(&near, &near_expr), &own) } else { Vec::new() };
    vec![singles, pairs(&own_values, &own), neighbours]
}

backend_tests!(every_check_and_foreign_key_of_the_live_schema_refuses_a_violating_write);
/// Derived from the live schema, so that a new constraint is covered without new test code:
/// every CHECK gets an UPDATE of a seeded row (found among literal values, neighbours of the
/// expression's numbers and the other columns it names, alone and in pairs) that the engine
/// refuses for that CHECK; every foreign key gets a seeded row pointed at a key that does not
/// exist, refused as a foreign-key violation. An UPDATE is checked exactly as an INSERT is,
/// and leaves every other column as valid as the seeder wrote it.
async fn every_check_and_foreign_key_of_the_live_schema_refuses_a_violating_write(backend: Backend) {
    let t = TestDb::new(backend).await;
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let (mut checks, mut fks) = (0, 0);
    for domain in domains() {
        let db = seeded(&t, domain, options(Profile::Tiny, 42)).await;
        let db_backend = db.get_database_backend();
        let schema = Snapshot::read(&db).await.unwrap();
        for (name, table) in schema.base_tables() {
            for check in &table.checks {
                let label = check.name.clone().unwrap_or_else(|| check.expr.clone());
                checks += 1;
                let groups = check_attempts(check, table, db_backend);
                let wanted = check.name.clone();
                let names = |detail: &str| wanted.as_deref().is_none_or(|w| detail.contains(w));
                let found = search(&db, (name, table), "1 = 1", &groups, Violation::Check, names).await;
                record(&mut failures, &mut seen, (domain.name, name, &label), found);
            }
            for fk in &table.foreign_keys {
                fks += 1;
                let label = format!("fk({})", fk.columns.join(","));
                let filter: Vec<String> =
                    fk.columns.iter().map(|c| format!("{} IS NOT NULL", quote(db_backend, c))).collect();
                let attempts: Vec<Vec<(&str, String)>> = MISSING_KEYS
                    .iter()
                    .map(|v| fk.columns.iter().map(|c| (c.as_str(), (*v).to_owned())).collect())
                    .collect();
                let found = search(
                    &db,
                    (name, table),
                    &filter.join(" AND "),
                    &[attempts],
                    Violation::ForeignKey,
                    |_| true,
                )
                .await;
                record(&mut failures, &mut seen, (domain.name, name, &label), found);
            }
        }
    }
    for e in CANNOT_BE_BROKEN_BY_ONE_WRITE {
        if !seen.contains(&(e.0, e.1, e.2)) {
            failures.push(format!("{}.{} {}: listed as unbreakable, but no such constraint", e.0, e.1, e.2));
        }
    }
    assert!(checks >= 1 && fks >= 1, "the schema read found {checks} CHECKs and {fks} foreign keys");
    assert!(
        failures.is_empty(),
        "on {backend:?}, of {checks} CHECKs and {fks} foreign keys:\n  {}",
        failures.join("\n  ")
    );
}

/// Keys no seeded row has, in each backend's spelling of the key types; each is tried in turn.
const MISSING_KEYS: &[&str] = &[
    "-987654321",
    "'00000000-0000-4000-8000-00000000dead'",
    "X'000000000000400080000000000dead0'",
    "'sb-missing-key'",
];

fn record(
    failures: &mut Vec<String>,
    seen: &mut std::collections::BTreeSet<(&'static str, &'static str, &'static str)>,
    key: (&str, &str, &str),
    found: Found,
) {
    let listed = CANNOT_BE_BROKEN_BY_ONE_WRITE.iter().find(|e| (e.0, e.1, e.2) == key);
    if let Some(e) = listed {
        seen.insert((e.0, e.1, e.2));
    }
    match (found, listed) {
        (Found::Refused(_), None) | (Found::NotFound(_), Some(_)) => {}
        (Found::Refused(sql), Some(_)) => failures.push(format!(
            "{}.{} {}: listed as unbreakable by one write, but `{sql}` was refused for it: remove it from the list",
            key.0, key.1, key.2
        )),
        (Found::NotFound(tried), None) => failures.push(format!(
            "{}.{} {}: no write was refused for it; some refusals seen: {}",
            key.0,
            key.1,
            key.2,
            tried.join(" | ")
        )),
    }
}
