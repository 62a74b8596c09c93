//! Reference data: the rows every environment needs, production included (tiers, settings,
//! categories, plans, a service catalogue), defined once per domain as Rust tables in
//! `<domain>/reference.rs` and applied by an idempotent upsert keyed by a natural key.
//!
//! `seed` writes the same rows (the generators take them from the same definitions, so the
//! sample data references them); `seed --reference-only` applies them alone to a live
//! domain: a row whose key is missing is inserted, a row whose content differs is updated in
//! place (its primary key and creation time kept, so rows that reference it stay intact),
//! and nothing is ever deleted. Everything happens in one transaction per domain, which a
//! dry run rolls back.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, TransactionTrait,
};
use seedbed_core::driver_message;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::Seeder;

/// What the upsert did, or would do, to one reference row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// No row had this key.
    Insert,
    /// The row with this key differed in these columns.
    Update(Vec<&'static str>),
}

/// One reference row that was (or would be) written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub table: &'static str,
    /// The natural key's column and value, e.g. `code = pro`.
    pub key: String,
    pub action: Action,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.action {
            Action::Insert => write!(f, "insert {} {}", self.table, self.key),
            Action::Update(columns) => {
                write!(f, "update {} {} ({})", self.table, self.key, columns.join(", "))
            }
        }
    }
}

/// A domain's upsert: what changed, and how many reference rows were already as defined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub changes: Vec<Change>,
    pub unchanged: usize,
}

impl Outcome {
    pub fn inserts(&self) -> usize {
        self.changes.iter().filter(|c| c.action == Action::Insert).count()
    }
    pub fn updates(&self) -> usize {
        self.changes.len() - self.inserts()
    }
}

/// Why the reference data was not applied.
#[derive(Debug, Error)]
#[error("applying {domain}'s reference data failed, and it was rolled back: {}", driver_message(cause))]
pub struct ReferenceError {
    pub domain: String,
    pub cause: DbErr,
}

/// Applies `seeder`'s reference data in one transaction, placed at `now` (the creation time
/// of inserted rows, the update time of updated ones); with `dry_run` it only reads (a
/// read-only connection will do), and the outcome says what would change.
pub async fn apply(
    db: &DatabaseConnection,
    seeder: &dyn Seeder,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Outcome, ReferenceError> {
    let failed = |cause| ReferenceError { domain: seeder.domain().to_owned(), cause };
    let txn = db.begin().await.map_err(failed)?;
    let outcome = match seeder.reference(&txn, now, !dry_run).await {
        Ok(outcome) => outcome,
        Err(e) => {
            // The rollback's own failure would hide the cause.
            let _ = txn.rollback().await;
            return Err(failed(e));
        }
    };
    if dry_run {
        txn.rollback().await.map_err(failed)?;
    } else {
        txn.commit().await.map_err(failed)?;
    }
    Ok(outcome)
}

/// How one reference table is upserted: its natural key, the columns compared, and how a
/// defined row takes over what the stored one keeps (primary key, creation time).
pub struct Table<M> {
    pub name: &'static str,
    /// The natural key's column name and its value for a row.
    pub key: (&'static str, fn(&M) -> String),
    /// The columns the definition owns, each rendered for comparison (keys and timestamps
    /// are not among them).
    pub columns: fn(&M) -> Vec<(&'static str, String)>,
    /// Gives the defined row the stored row's primary key and creation time, and `now` as its
    /// update time where it has one.
    pub keep: fn(&mut M, &M, DateTime<Utc>),
    /// Whether the primary key is the database's to assign on insert (a serial column).
    pub serial: Option<&'static str>,
}

impl<M> Table<M> {
    /// Inserts the missing rows of `defined` and updates those that differ, in `txn`; only
    /// records what it would do unless `write`.
    pub async fn upsert<E>(
        &self,
        txn: &DatabaseTransaction,
        defined: Vec<M>,
        now: DateTime<Utc>,
        write: bool,
        out: &mut Outcome,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait<Model = M>,
        M: IntoActiveModel<E::ActiveModel> + Clone + Send + Sync,
        E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    {
        let stored: BTreeMap<String, M> =
            E::find().all(txn).await?.into_iter().map(|m| ((self.key.1)(&m), m)).collect();
        for mut row in defined {
            let key = (self.key.1)(&row);
            let label = format!("{} = {key}", self.key.0);
            match stored.get(&key) {
                None => {
                    if write {
                        let mut active = row.into_active_model();
                        if let Some(column) = self.serial {
                            active.not_set(column_named::<E>(column)?);
                        }
                        E::insert(active).exec_without_returning(txn).await?;
                    }
                    out.changes.push(Change { table: self.name, key: label, action: Action::Insert });
                }
                Some(old) => {
                    let (new_cols, old_cols) = ((self.columns)(&row), (self.columns)(old));
                    let differ: Vec<&'static str> = new_cols
                        .iter()
                        .zip(&old_cols)
                        .filter(|(a, b)| a.1 != b.1)
                        .map(|(a, _)| a.0)
                        .collect();
                    if differ.is_empty() {
                        out.unchanged += 1;
                        continue;
                    }
                    if write {
                        (self.keep)(&mut row, old, now);
                        row.into_active_model().reset_all().update(txn).await?;
                    }
                    out.changes.push(Change { table: self.name, key: label, action: Action::Update(differ) });
                }
            }
        }
        Ok(())
    }
}

fn column_named<E: EntityTrait>(name: &str) -> Result<E::Column, DbErr> {
    use sea_orm::Iterable;
    E::Column::iter()
        .find(|c| sea_orm::IdenStatic::as_str(c) == name)
        .ok_or_else(|| DbErr::Custom(format!("no column {name}")))
}

/// A reference row's UUID, derived from its domain, table and natural key: the same in every
/// environment and every run, so `seed` and `seed --reference-only` give a row the same key.
pub fn id(domain: &str, table: &str, key: &str) -> Uuid {
    let hash = Sha256::digest(format!("seedbed reference {domain}.{table}.{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid_v8(bytes)
}

fn uuid_v8(mut bytes: [u8; 16]) -> Uuid {
    bytes[6] = 0x80 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    Uuid::from_bytes(bytes)
}

/// A value rendered for comparison: JSON in its canonical form (object keys sorted), so a
/// backend that stores JSON as text compares equal to one that parses it.
pub fn json(value: &serde_json::Value) -> String {
    value.to_string()
}

/// A decimal rendered for comparison, whatever scale the backend returns it with.
pub fn decimal(value: &sea_orm::prelude::Decimal) -> String {
    value.normalize().to_string()
}
