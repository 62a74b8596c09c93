//! Every integrity check can fail: on tiny data, each corruption breaks one rule, and
//! exactly that rule's check reports it; each foreign key, pointed at nothing with
//! enforcement switched off, is reported by its orphan check alone.

use std::collections::BTreeSet;

use sea_orm::sea_query::{ColumnType, TableName, TableRef};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use seedbed_core::Backend;
use seedbed_registry::Domain;
use seedbed_seeds::Profile;

use crate::seeding::{failing_checks, options, seeded};
use crate::util::{TestDb, backend_tests, domains};

/// Statements that together break exactly the rule `check` states.
pub struct Corruption {
    pub check: &'static str,
    pub sql: Vec<String>,
    /// MariaDB commits DDL at once: the views must be rebuilt afterwards.
    pub ddl: bool,
}

pub fn corrupt(check: &'static str, sql: &[&str]) -> Corruption {
    Corruption { check, sql: sql.iter().map(|s| (*s).to_owned()).collect(), ddl: false }
}

/// The key of the first row of `table` (by key) matching `filter`, usable inside an UPDATE
/// or DELETE of that same table on MariaDB (which refuses a direct subquery on it).
pub fn first(table: &str, filter: &str) -> String {
    format!("(SELECT id FROM (SELECT id FROM {table} WHERE {filter} ORDER BY id LIMIT 1) first_row)")
}

/// A fresh UUID, in each backend's spelling.
pub fn new_uuid(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "gen_random_uuid()",
        DbBackend::MySql => "UNHEX(REPLACE(UUID(), '-', ''))",
        _ => "randomblob(16)",
    }
}

/// Each domain's corruptions, from its file `tests/domains/<name>.rs`.
fn corruptions(domain: &str, backend: DbBackend) -> Vec<Corruption> {
    crate::domain_cases::corruptions(domain, backend).unwrap_or_else(|| {
        panic!("no corruptions for domain {domain}: write `pub fn corruptions` in tests/domains/{domain}.rs")
    })
}

#[test]
fn every_registered_domain_has_a_test_file_and_every_test_file_a_domain() {
    let mut registered = seedbed_registry::names();
    registered.sort();
    assert_eq!(
        crate::domain_cases::NAMES,
        registered,
        "tests/domains/ holds one file per registered domain, named after it"
    );
}

async fn failing_after(db: &DatabaseConnection, domain: &Domain, sql: &[String]) -> Vec<String> {
    let txn = db.begin().await.unwrap();
    for s in sql {
        txn.execute_unprepared(s).await.unwrap_or_else(|e| panic!("corrupting with `{s}`: {e}"));
    }
    let failing = failing_checks(&txn, domain).await;
    txn.rollback().await.unwrap();
    failing.into_iter().map(|f| f.split(':').next().unwrap().to_owned()).collect()
}

backend_tests!(each_rule_check_catches_its_corruption);
async fn each_rule_check_catches_its_corruption(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = seeded(&t, domain, options(Profile::Tiny, 42)).await;
        assert_eq!(
            failing_checks(&db, domain).await,
            Vec::<String>::new(),
            "{}: tiny data already fails",
            domain.name
        );
        let cases = corruptions(domain.name, backend.db_backend());
        let rules: Vec<String> =
            domain.seeder.rules(backend.db_backend()).into_iter().map(|c| c.name).collect();
        let covered: Vec<String> = cases.iter().map(|c| c.check.to_owned()).collect();
        assert_eq!(covered, rules, "{}: every rule needs exactly one corruption, in order", domain.name);
        let mut wrong = Vec::new();
        for case in &cases {
            let failing = failing_after(&db, domain, &case.sql).await;
            if case.ddl && backend == Backend::MySql {
                let migrator = (domain.migrator)();
                migrator.down(&db, 1).await.unwrap();
                migrator.up(&db, None).await.unwrap();
            }
            if failing != [case.check] {
                wrong.push(format!("{}: corrupting it made {failing:?} fail", case.check));
            }
        }
        assert!(wrong.is_empty(), "{} on {backend:?}:\n  {}", domain.name, wrong.join("\n  "));
    }
}

fn name_of(t: Option<&TableRef>) -> String {
    match t {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        other => format!("{other:?}"),
    }
}

backend_tests!(each_orphan_check_catches_a_dangling_key);
async fn each_orphan_check_catches_a_dangling_key(backend: Backend) {
    let t = TestDb::new(backend).await;
    let b = backend.db_backend();
    let q = |s: &str| if b == DbBackend::MySql { format!("`{s}`") } else { format!("\"{s}\"") };
    for domain in domains() {
        let db = seeded(&t, domain, options(Profile::Tiny, 42)).await;
        let mut wrong = Vec::new();
        let mut inspected = BTreeSet::new();
        for table in domain.seeder.schema(b) {
            let child = name_of(table.get_table_name());
            if domain.views.contains(&child.as_str()) {
                continue;
            }
            let pk = table
                .get_columns()
                .iter()
                .find(|c| c.get_column_spec().primary_key)
                .unwrap()
                .get_column_name();
            for fk in table.get_foreign_key_create_stmts() {
                let col = fk.get_foreign_key().get_columns()[0].clone();
                let ghost = match table
                    .get_columns()
                    .iter()
                    .find(|c| c.get_column_name() == col)
                    .and_then(|c| c.get_column_type())
                {
                    Some(ColumnType::Uuid) => new_uuid(b).to_owned(),
                    Some(ColumnType::Integer) => "2000000000".to_owned(),
                    _ => "'ghost|1'".to_owned(),
                };
                let row = format!(
                    "(SELECT {pk} FROM (SELECT {pk} FROM {t} WHERE {c} IS NOT NULL ORDER BY {pk} LIMIT 1) first_row)",
                    pk = q(&pk),
                    t = q(&child),
                    c = q(&col)
                );
                let (off, on): (&str, &str) = match b {
                    DbBackend::Postgres => ("SET LOCAL session_replication_role = replica", ""),
                    DbBackend::MySql => ("SET FOREIGN_KEY_CHECKS = 0", "SET FOREIGN_KEY_CHECKS = 1"),
                    _ => ("", ""),
                };
                if b == DbBackend::Sqlite {
                    db.execute_unprepared("PRAGMA foreign_keys = OFF").await.unwrap();
                }
                let mut sql =
                    vec![format!("UPDATE {} SET {} = {ghost} WHERE {} = {row}", q(&child), q(&col), q(&pk))];
                if !off.is_empty() {
                    sql.insert(0, off.to_owned());
                }
                if !on.is_empty() {
                    sql.push(on.to_owned());
                }
                let failing: Vec<String> = failing_after(&db, domain, &sql)
                    .await
                    .into_iter()
                    .filter(|f| f.starts_with("orphan_"))
                    .collect();
                if b == DbBackend::Sqlite {
                    db.execute_unprepared("PRAGMA foreign_keys = ON").await.unwrap();
                }
                let expected = format!("orphan_{child}_{col}");
                inspected.insert(expected.clone());
                if failing != [expected.clone()] {
                    wrong.push(format!("{expected}: a dangling key made {failing:?} fail"));
                }
            }
        }
        assert!(wrong.is_empty(), "{} on {backend:?}:\n  {}", domain.name, wrong.join("\n  "));
        // Every orphan check was exercised, and there was at least one: a loop over nothing
        // (no schema, no foreign keys read) must not pass.
        let orphan_checks: BTreeSet<String> = seedbed_seeds::checks(domain.seeder, b)
            .into_iter()
            .map(|c| c.name)
            .filter(|n| n.starts_with("orphan_"))
            .collect();
        assert!(!inspected.is_empty(), "{}: no foreign key was inspected", domain.name);
        assert_eq!(inspected, orphan_checks, "{}: the keys inspected are not the orphan checks", domain.name);
    }
}
