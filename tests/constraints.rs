//! Constraints fire on every backend: for each domain, a valid world is planted and then
//! each write that breaks one rule (a CHECK, an enumerated value, a foreign key, a unique
//! constraint, a NOT NULL) must be refused, for that rule.

use sea_orm::sea_query::{Alias, Expr, Query, UpdateStatement, Value};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, ExprTrait, Statement, StatementBuilder};
use seedbed_core::Backend;

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

/// Each domain's cases: its one registration line for this test.
async fn rejected_writes(domain: &str, db: &DatabaseConnection) -> Vec<Case> {
    match domain {
        "raffle" => crate::raffle::rejected_writes(db).await,
        "draw" => crate::draw::rejected_writes(db).await,
        "booking" => crate::booking::rejected_writes(db).await,
        other => panic!(
            "no constraint cases for domain {other}: write them in tests/{other}.rs and register them here"
        ),
    }
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
