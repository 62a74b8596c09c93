//! Migrations interrupted outside a transaction (a started row whose holder is gone): what
//! they had done so far, and `repair --roll-back` / `--roll-forward`.
//!
//! What a migration had done is read against the list of the namespace's objects its started
//! row recorded before its first statement. Rolling back drops what it created. Rolling
//! forward replays the applied migrations into a scratch namespace, records the migration's
//! statements there, finds the point of that sequence the live schema stands at, and runs
//! the rest on the live namespace.

use std::collections::BTreeSet;
use std::time::Instant;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use seedbed_core::introspect::{Kind, Snapshot};

use crate::ddl::quote;
use crate::runner::{Direction, Outcome, Resolve, exec_conn, read_history, record};
use crate::{HISTORY_TABLE, HistoryRow, MigrateError, Migration, Migrator};

/// One object of a namespace, as a started row records it: `table users`, `column
/// users.email`, `index users.idx_users_email`, `foreign key users(org_id) -> orgs`,
/// `check users.ck_users_age`, `view active_users`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Object {
    kind: &'static str,
    table: String,
    /// The part after the table: a column, index or check name, or a key's `(cols) -> parent`.
    name: String,
}

impl Object {
    fn key(&self) -> String {
        match self.kind {
            "table" | "view" => format!("{} {}", self.kind, self.table),
            "foreign key" => format!("foreign key {}{}", self.table, self.name),
            _ => format!("{} {}.{}", self.kind, self.table, self.name),
        }
    }
}

fn objects(snapshot: &Snapshot) -> BTreeSet<Object> {
    let mut out = BTreeSet::new();
    let obj = |kind, table: &str, name: String| Object { kind, table: table.to_owned(), name };
    for (t, table) in &snapshot.tables {
        let kind = if table.kind == Kind::View { "view" } else { "table" };
        out.insert(obj(kind, t, String::new()));
        if table.kind == Kind::View {
            continue;
        }
        for c in &table.columns {
            out.insert(obj("column", t, c.name.clone()));
        }
        for i in table.indexes.keys() {
            out.insert(obj("index", t, i.clone()));
        }
        for fk in &table.foreign_keys {
            out.insert(obj("foreign key", t, format!("({}) -> {}", fk.columns.join(", "), fk.ref_table)));
        }
        for ck in &table.checks {
            out.insert(obj("check", t, ck.name.clone().unwrap_or_else(|| ck.expr.clone())));
        }
    }
    out
}

/// The namespace's objects, one line each, as a started row records them.
pub fn object_keys(snapshot: &Snapshot) -> BTreeSet<String> {
    objects(snapshot).iter().map(Object::key).collect()
}

/// What changed from `before` to `after`: objects created, objects removed. An object of a
/// created (removed) table is not listed on its own.
fn changes(before: &BTreeSet<String>, after: &BTreeSet<Object>) -> (Vec<Object>, Vec<String>) {
    let after_keys: BTreeSet<String> = after.iter().map(Object::key).collect();
    let created_tables: BTreeSet<&str> = after
        .iter()
        .filter(|o| matches!(o.kind, "table" | "view") && !before.contains(&o.key()))
        .map(|o| o.table.as_str())
        .collect();
    let created = after
        .iter()
        .filter(|o| !before.contains(&o.key()))
        .filter(|o| matches!(o.kind, "table" | "view") || !created_tables.contains(o.table.as_str()))
        .cloned()
        .collect();
    let removed_tables: BTreeSet<String> = before
        .iter()
        .filter_map(|k| k.strip_prefix("table ").or_else(|| k.strip_prefix("view ")))
        .filter(|t| !after_keys.contains(&format!("table {t}")) && !after_keys.contains(&format!("view {t}")))
        .map(str::to_owned)
        .collect();
    let removed = before
        .iter()
        .filter(|k| !after_keys.contains(*k))
        .filter(|k| {
            k.starts_with("table ")
                || k.starts_with("view ")
                || !removed_tables.iter().any(|t| {
                    k.split_once(' ').is_some_and(|(_, rest)| {
                        rest.starts_with(&format!("{t}.")) || rest.starts_with(&format!("{t}("))
                    }) || k.strip_prefix("foreign key ").is_some_and(|r| r.starts_with(&format!("{t}(")))
                })
        })
        .cloned()
        .collect();
    (created, removed)
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "nothing".into() } else { items.join(", ") }
}

impl Migrator {
    fn started_row(&self, history: &[HistoryRow], version: &str) -> Option<HistoryRow> {
        history
            .iter()
            .find(|r| r.version == version && matches!(r.outcome.as_str(), "started" | "reverting"))
            .cloned()
    }

    async fn live_changes(
        &self,
        db: &DatabaseConnection,
        row: &HistoryRow,
    ) -> Result<(Vec<Object>, Vec<String>), MigrateError> {
        let live = Snapshot::read(db).await.map_err(|e| self.db_err(e))?.without(HISTORY_TABLE);
        let before: BTreeSet<String> =
            row.before.as_deref().unwrap_or_default().lines().map(str::to_owned).collect();
        Ok(changes(&before, &objects(&live)))
    }

    /// What an interrupted migration had done, for messages: the objects created and removed
    /// since its first statement.
    pub(crate) async fn progress(
        &self,
        db: &DatabaseConnection,
        version: &str,
    ) -> Result<String, MigrateError> {
        let history = read_history(db).await.map_err(|e| self.db_err(e))?;
        let Some(row) = self.started_row(&history, version) else { return Ok(String::new()) };
        let (created, removed) = self.live_changes(db, &row).await?;
        let created: Vec<String> = created.iter().map(Object::key).collect();
        let what = if row.outcome == "reverting" { "its down" } else { "it" };
        Ok(format!("so far {what} created {} and removed {}", list(&created), list(&removed)))
    }

    /// Settles the interrupted migration of this domain, if there is one, as `how` says, and
    /// returns its version with a line on what was done. Call it holding the domain's lock.
    /// `scratch` (an empty namespace on the same backend) is needed to roll forward.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        how: Resolve,
        scratch: Option<DatabaseConnection>,
    ) -> Result<Option<(String, String)>, MigrateError> {
        let history = read_history(db).await.map_err(|e| self.db_err(e))?;
        let Some(row) =
            history.iter().find(|r| matches!(r.outcome.as_str(), "started" | "reverting")).cloned()
        else {
            return Ok(None);
        };
        let version = row.version.clone();
        let reverting = row.outcome == "reverting";
        let cannot = |action: &'static str, reason: String| MigrateError::CannotResolve {
            domain: self.domain.to_owned(),
            version: version.clone(),
            action,
            reason,
        };
        let Some(m) = self.migrations.iter().find(|m| m.version() == version) else {
            return Err(cannot(
                "settle",
                "this build of seedbed does not have it: run the build that started it, or start over with `seedbed migrate fresh`".into(),
            ));
        };
        if m.checksum() != row.checksum {
            return Err(cannot(
                "settle",
                "its code has changed since it started: run the build that started it, or start over with `seedbed migrate fresh`".into(),
            ));
        }
        let done = match how {
            Resolve::RollBack => self.roll_back(db, m, &row).await?,
            Resolve::RollForward => {
                let scratch =
                    scratch.ok_or_else(|| cannot("roll forward", "no scratch namespace was given".into()))?;
                self.roll_forward(db, m, &history, reverting, scratch).await?
            }
        };
        Ok(Some((version, done)))
    }

    async fn roll_back(
        &self,
        db: &DatabaseConnection,
        m: &Migration,
        row: &HistoryRow,
    ) -> Result<String, MigrateError> {
        let backend = db.get_database_backend();
        let version = m.version();
        let cannot = |reason: String| MigrateError::CannotResolve {
            domain: self.domain.to_owned(),
            version: version.to_owned(),
            action: "roll back",
            reason,
        };
        let (created, removed) = self.live_changes(db, row).await?;
        let this = Expr::col(Alias::new("version")).eq(version);
        if row.outcome == "reverting" {
            // Undoing a `down` means putting back what it dropped, which only its `up` knows.
            if !created.is_empty() || !removed.is_empty() {
                let created: Vec<String> = created.iter().map(Object::key).collect();
                return Err(cannot(format!(
                    "its down had already created {} and removed {}, which a roll-back cannot put back: use --roll-forward to finish the down",
                    list(&created),
                    list(&removed)
                )));
            }
            let stmt = Query::update()
                .table(Alias::new(HISTORY_TABLE))
                .value(Alias::new("outcome"), "applied")
                .and_where(this)
                .to_owned();
            db.execute(&stmt).await.map_err(|e| self.db_err(e))?;
            return Ok("its down had changed nothing yet: applied again".into());
        }
        if !removed.is_empty() {
            return Err(cannot(format!(
                "it had already removed {}, which a roll-back cannot put back: use --roll-forward, or restore a backup",
                removed.join(", ")
            )));
        }
        let q = |s: &str| quote(backend, s);
        let mut statements = Vec::new();
        let created_tables: Vec<&Object> = created.iter().filter(|o| o.kind == "table").collect();
        for o in created.iter().filter(|o| o.kind == "view") {
            statements.push(format!("DROP VIEW {}", q(&o.table)));
        }
        for o in &created {
            match o.kind {
                "index" => statements.push(match backend {
                    DbBackend::MySql => format!("DROP INDEX {} ON {}", q(&o.name), q(&o.table)),
                    _ => format!("DROP INDEX {}", q(&o.name)),
                }),
                "check" => {
                    statements.push(format!("ALTER TABLE {} DROP CONSTRAINT {}", q(&o.table), q(&o.name)))
                }
                "column" => {
                    statements.push(format!("ALTER TABLE {} DROP COLUMN {}", q(&o.table), q(&o.name)))
                }
                "foreign key" => {
                    return Err(cannot(format!(
                        "it added the foreign key {} to a table that existed before, which seedbed cannot name on every backend: drop it by hand, then run this again, or use --roll-forward",
                        o.key()
                    )));
                }
                _ => {}
            }
        }
        // Tables last, children before parents.
        let live = Snapshot::read(db).await.map_err(|e| self.db_err(e))?;
        let mut left: Vec<&str> = created_tables.iter().map(|o| o.table.as_str()).collect();
        while !left.is_empty() {
            let parents_of = |t: &str| -> Vec<String> {
                live.tables
                    .get(t)
                    .map_or(Vec::new(), |t| t.foreign_keys.iter().map(|fk| fk.ref_table.clone()).collect())
            };
            let at = (0..left.len())
                .find(|&i| {
                    left.iter()
                        .enumerate()
                        .all(|(j, o)| j == i || !parents_of(o).iter().any(|p| p == left[i]))
                })
                .unwrap_or(0);
            statements.push(format!("DROP TABLE {}", q(left.remove(at))));
        }
        for sql in &statements {
            exec_conn(db, sql)
                .await
                .map_err(|e| cannot(format!("{sql} failed: {}", seedbed_core::driver_message(&e))))?;
        }
        db.execute(&Query::delete().from_table(Alias::new(HISTORY_TABLE)).and_where(this).to_owned())
            .await
            .map_err(|e| self.db_err(e))?;
        let created: Vec<String> = created.iter().map(Object::key).collect();
        Ok(format!("dropped {}: pending again", list(&created)))
    }

    async fn roll_forward(
        &self,
        db: &DatabaseConnection,
        m: &Migration,
        history: &[HistoryRow],
        reverting: bool,
        mut scratch: DatabaseConnection,
    ) -> Result<String, MigrateError> {
        let started = Instant::now();
        let version = m.version();
        let cannot = |reason: String| MigrateError::CannotResolve {
            domain: self.domain.to_owned(),
            version: version.to_owned(),
            action: "roll forward",
            reason,
        };
        let backend = db.get_database_backend();
        // Outside a transaction on PostgreSQL means it was asked to build indexes concurrently.
        let migrator = Migrator {
            domain: self.domain,
            migrations: Vec::new(),
            concurrent_indexes: self.concurrent_indexes
                || (backend == DbBackend::Postgres && self.transactional(m, backend)),
        };
        // The migrations in place before it (its own `up` too when its `down` was running).
        let mut replay: BTreeSet<String> = history
            .iter()
            .filter(|r| r.outcome == "applied" && r.error.is_none())
            .map(|r| r.version.clone())
            .collect();
        if reverting {
            replay.insert(version.to_owned());
        }
        let dir = if reverting { Direction::Down } else { Direction::Up };
        let log = crate::plan::recording(&mut scratch);
        let scratch = &scratch;
        self.replay_versions(&replay, scratch).await?;
        let statements = migrator.record(scratch, &log, m, dir).await?.statements;

        // Walk the same statements again from the start, looking for the live schema.
        for sql in crate::runner::drop_statements(scratch).await.map_err(|e| self.db_err(e))? {
            exec_conn(scratch, &sql).await.map_err(|e| self.db_err(e))?;
        }
        self.replay_versions(&replay, scratch).await?;
        let read = |db| async move {
            Snapshot::read(db).await.map(|s| s.without(HISTORY_TABLE)).map_err(|e| self.db_err(e))
        };
        if backend == DbBackend::Postgres {
            // A concurrent build killed part-way leaves an INVALID index that introspection
            // cannot tell from a built one: drop it (it serves no query), so that the walk
            // below places the kill before its build, which then runs again.
            exec_conn(
                db,
                "DO $$ DECLARE r record; BEGIN FOR r IN SELECT c.relname FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND NOT i.indisvalid \
                 LOOP EXECUTE format('DROP INDEX %I', r.relname); END LOOP; END $$",
            )
            .await
            .map_err(|e| self.db_err(e))?;
        }
        let live = read(db).await?;
        let mut matches = Vec::new();
        for i in 0..=statements.len() {
            if read(scratch).await? == live {
                matches.push(i);
            }
            if let Some(sql) = statements.get(i) {
                exec_conn(scratch, sql).await.map_err(|e| self.db_err(e))?;
            }
        }
        let (Some(&from), Some(&to)) = (matches.first(), matches.last()) else {
            return Err(cannot(format!(
                "the live schema matches no point of its {} statements (something else changed it): use --roll-back, or fix it by hand",
                statements.len()
            )));
        };
        if let Some(dml) = statements[from..to].iter().find(|s| is_data_change(s)) {
            return Err(cannot(format!(
                "seedbed cannot tell whether its data statement `{}` already ran: use --roll-back, or finish it by hand",
                dml.chars().take(80).collect::<String>()
            )));
        }
        for sql in &statements[from..] {
            exec_conn(db, sql)
                .await
                .map_err(|e| cannot(format!("{sql} failed: {}", seedbed_core::driver_message(&e))))?;
        }
        record(db, m, Outcome::Done(dir), started).await.map_err(|e| self.db_err(e))?;
        let state = if reverting { "reverted" } else { "applied" };
        Ok(format!(
            "ran its remaining {} of {} statement(s): {state}",
            statements.len() - from,
            statements.len()
        ))
    }
}

fn is_data_change(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
    matches!(first.as_str(), "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "MERGE" | "TRUNCATE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str) -> Object {
        let (kind, rest) = ["foreign key", "table", "view", "column", "index", "check"]
            .iter()
            .find_map(|k| key.strip_prefix(&format!("{k} ")).map(|rest| (*k, rest)))
            .expect("a known kind");
        match kind {
            "table" | "view" => Object { kind, table: rest.into(), name: String::new() },
            "foreign key" => {
                let at = rest.find('(').expect("(cols)");
                Object { kind, table: rest[..at].into(), name: rest[at..].into() }
            }
            _ => {
                let (table, name) = rest.split_once('.').expect("table.name");
                Object { kind, table: table.into(), name: name.into() }
            }
        }
    }

    /// `before` and `after` as object keys; `created` and `removed` as `changes` should list them.
    fn check(before: &[&str], after: &[&str], created: &[&str], removed: &[&str]) {
        let before: BTreeSet<String> = before.iter().map(|k| (*k).to_owned()).collect();
        let after: BTreeSet<Object> = after.iter().map(|k| object(k)).collect();
        let (got_created, got_removed) = changes(&before, &after);
        let got_created: Vec<String> = got_created.iter().map(Object::key).collect();
        let want = |v: &[&str]| v.iter().map(|k| (*k).to_owned()).collect::<Vec<String>>();
        assert_eq!((got_created, got_removed), (want(created), want(removed)));
    }

    #[test]
    fn what_an_interrupted_migration_did_is_listed_by_its_top_objects() {
        let users = ["table users", "column users.id"];
        // Nothing yet.
        check(&users, &users, &[], &[]);
        // A new table is listed once, not with its columns, indexes and keys.
        check(
            &users,
            &[
                "table users",
                "column users.id",
                "table draws",
                "column draws.id",
                "index draws.idx_d",
                "foreign key draws(user_id) -> users",
            ],
            &["table draws"],
            &[],
        );
        // Both at once: the new table once, the column added to an existing one on its own.
        check(
            &users,
            &["table users", "column users.id", "column users.email", "table draws", "column draws.id"],
            &["column users.email", "table draws"],
            &[],
        );
        // Added to an existing table: each listed.
        check(
            &users,
            &["table users", "column users.id", "column users.email", "index users.idx_e"],
            &["column users.email", "index users.idx_e"],
            &[],
        );
        // A dropped table is listed once; a dropped column of a table that stays on its own.
        check(
            &[
                "table users",
                "column users.id",
                "column users.email",
                "table old",
                "column old.id",
                "foreign key old(user_id) -> users",
            ],
            &["table users", "column users.id"],
            &[],
            &["column users.email", "table old"],
        );
    }
}
