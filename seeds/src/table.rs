//! What the seeder needs of each table whatever its entity: its name, and a digest of its
//! rows read back through the entity, so that every backend's spelling of a value (a UUID as
//! bytes, a decimal as REAL, a boolean as TINYINT) reads the same.

use std::marker::PhantomData;

use sea_orm::entity::prelude::async_trait;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait,
    PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, Value,
};
use sha2::{Digest, Sha256};

/// One table of a domain, seen from the seeder.
#[async_trait::async_trait]
pub trait TableOps: Send + Sync {
    fn name(&self) -> &'static str;
    /// A digest of the table's contents that does not depend on row order or backend.
    async fn digest(&self, db: &DatabaseConnection) -> Result<TableDigest, DbErr>;
}

/// The table of entity `E`.
pub struct Table<E>(PhantomData<E>);

/// `Box<dyn TableOps>` for entity `E`.
pub fn table<E: EntityTrait>() -> Box<dyn TableOps>
where
    E::Model: Sync,
{
    Box::new(Table::<E>(PhantomData))
}

const PAGE: u64 = 5_000;

#[async_trait::async_trait]
impl<E: EntityTrait> TableOps for Table<E>
where
    E::Model: Sync,
{
    fn name(&self) -> &'static str {
        E::default().table_name()
    }

    async fn digest(&self, db: &DatabaseConnection) -> Result<TableDigest, DbErr> {
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
        let pk = E::PrimaryKey::iter().next().expect("a primary key").into_column();
        let mut digest = TableDigest::new(self.name(), &names);
        let mut last: Option<Value> = None;
        // Walk by primary key rather than OFFSET, so large tables read in linear time.
        loop {
            let mut query = E::find().order_by_asc(pk).limit(PAGE);
            if let Some(after) = last.take() {
                query = query.filter(pk.gt(after));
            }
            let page = query.all(db).await?;
            for row in &page {
                digest.add(columns.iter().map(|c| row.get(*c)));
            }
            match page.last() {
                Some(row) if page.len() as u64 == PAGE => last = Some(row.get(pk)),
                _ => break,
            }
        }
        Ok(digest)
    }
}

/// A multiset hash of a table's rows: the count and the wrapping sum of each row's SHA-256,
/// so rows may be read in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub table: String,
    pub rows: u64,
    columns: String,
    sum: [u128; 2],
}

impl TableDigest {
    pub fn new(table: &str, columns: &[&str]) -> Self {
        TableDigest { table: table.to_owned(), rows: 0, columns: columns.join(","), sum: [0; 2] }
    }

    pub fn add(&mut self, values: impl Iterator<Item = Value>) {
        let mut h = Sha256::new();
        for v in values {
            h.update(canonical(&v).as_bytes());
            h.update([0x1f]);
        }
        let bytes: [u8; 32] = h.finalize().into();
        let lo = u128::from_le_bytes(bytes[..16].try_into().unwrap());
        let hi = u128::from_le_bytes(bytes[16..].try_into().unwrap());
        self.sum[0] = self.sum[0].wrapping_add(lo);
        self.sum[1] = self.sum[1].wrapping_add(hi);
        self.rows += 1;
    }

    /// Feeds this table's digest into a domain's.
    pub fn feed(&self, h: &mut Sha256) {
        h.update(self.table.as_bytes());
        h.update(self.columns.as_bytes());
        h.update(self.rows.to_le_bytes());
        h.update(self.sum[0].to_le_bytes());
        h.update(self.sum[1].to_le_bytes());
    }
}

/// One spelling per value, whatever the backend returned.
fn canonical(v: &Value) -> String {
    fn opt<T: ToString>(x: &Option<T>) -> String {
        x.as_ref().map_or_else(|| "\u{2205}".to_owned(), |v| v.to_string())
    }
    match v {
        Value::Bool(b) => opt(b),
        Value::TinyInt(x) => opt(x),
        Value::SmallInt(x) => opt(x),
        Value::Int(x) => opt(x),
        Value::BigInt(x) => opt(x),
        Value::TinyUnsigned(x) => opt(x),
        Value::SmallUnsigned(x) => opt(x),
        Value::Unsigned(x) => opt(x),
        Value::BigUnsigned(x) => opt(x),
        Value::String(s) => opt(s),
        Value::Uuid(u) => opt(&u.map(|u| u.hyphenated().to_string())),
        Value::Decimal(d) => opt(&d.map(|d| d.normalize())),
        Value::ChronoDateTimeUtc(t) => opt(&t.map(|t| t.timestamp())),
        Value::Json(j) => opt(&j.as_ref().map(|j| j.to_string())),
        other => format!("{other:?}"),
    }
}
