//! Planner statistics for a freshly seeded domain: without them the first queries on new data
//! are planned as if every table were empty (PostgreSQL until autovacuum gets round to it,
//! MariaDB's persistent statistics only after 10% of a table changed in the background,
//! SQLite never).
//!
//! Called after the seeding transaction committed, on the domain's own connection: it reads
//! the domain's tables and writes only the engine's statistics (PostgreSQL `pg_statistic`,
//! MariaDB `mysql.innodb_table_stats`/`innodb_index_stats`, the domain file's `sqlite_stat1`),
//! so a failure or a stop here loses no rows.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::{Seeder, quote};

/// How many index rows SQLite's `ANALYZE` samples per index: statistics good enough for the
/// planner at any profile, at a cost that does not grow with the table (SQLite's own `PRAGMA
/// optimize` uses 400; SQLite's documentation calls 100 to 1,000 good for most uses). A full
/// `ANALYZE` reads every index of every table, which grows with the profile.
const SQLITE_ANALYSIS_LIMIT: u32 = 1000;

/// Gathers the planner statistics of every table of `seeder`'s domain.
///
/// - PostgreSQL: `ANALYZE` of each table (the domain's schema is the connection's search
///   path): `pg_class.reltuples`, `pg_stats`, `pg_stat_user_tables.last_analyze`.
/// - MariaDB/MySQL: `ANALYZE TABLE` of each table: `mysql.innodb_table_stats` and the
///   indexes' cardinality.
/// - SQLite: `ANALYZE` under an analysis limit: `sqlite_stat1`. Not `PRAGMA optimize`: by
///   default it only considers tables that this connection's own queries used since it
///   opened, and the seeding connection has run none that read them, so on fresh data it
///   may gather nothing; what it runs when it does act is this same limited `ANALYZE`.
pub async fn analyze(db: &impl ConnectionTrait, seeder: &dyn Seeder) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let run = |sql: String| Statement::from_string(backend, sql);
    match backend {
        DbBackend::Sqlite => {
            db.execute_raw(run(format!("PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}"))).await?;
            db.execute_raw(run("ANALYZE".into())).await?;
        }
        DbBackend::Postgres => {
            let tables: Vec<String> = seeder.tables().iter().map(|t| quote(backend, t.name())).collect();
            // One statement: one pass of the server over the list, one round trip.
            db.execute_raw(run(format!("ANALYZE {}", tables.join(", ")))).await?;
        }
        _ => {
            let tables: Vec<String> = seeder.tables().iter().map(|t| quote(backend, t.name())).collect();
            // ANALYZE TABLE answers with a result set (one row per table, an error there
            // rather than as a failed statement): read it, and fail on any row that is not OK.
            let rows = db.query_all_raw(run(format!("ANALYZE TABLE {}", tables.join(", ")))).await?;
            for row in rows {
                let kind: String = row.try_get_by_index(2)?;
                let text: String = row.try_get_by_index(3)?;
                if kind.eq_ignore_ascii_case("error") {
                    let table: String = row.try_get_by_index(0)?;
                    return Err(DbErr::Custom(format!("ANALYZE TABLE {table}: {text}")));
                }
            }
        }
    }
    Ok(())
}
