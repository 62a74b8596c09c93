//! One writer per domain: the lock that `migrate` and `seed` hold while they change a
//! domain's namespace, so that runs started side by side queue instead of interleaving.
//!
//! PostgreSQL: a session advisory lock keyed by the namespace, on a connection of its own.
//! MariaDB/MySQL: `GET_LOCK` on a connection of its own. SQLite: an exclusive lock on a file
//! beside the database (`raffle.sqlite3.lock`); SQLite's own write lock cannot serve, since
//! it would shut out the very connection that does the work. Each is released when the
//! guard is released or dropped, and by the server or the OS if the process dies.

use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, Connection as _, Row as _};
use thiserror::Error;

use crate::target::Location;
use crate::{Backend, ConnectError, Target};

/// How often a waiting process asks again.
const POLL: Duration = Duration::from_millis(100);

/// Advisory-lock class of seedbed's domain locks, so that they cannot collide with keys
/// other applications use in the same database.
const PG_LOCK_CLASS: i32 = 0x5EED;

#[derive(Debug, Error)]
pub enum LockError {
    #[error(
        "gave up after {waited} s waiting for {domain} ({namespace}): another seedbed is migrating or seeding it; let it finish, or raise --lock-timeout"
    )]
    Timeout { domain: String, namespace: String, waited: u64 },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("cannot take the lock on {domain}: {detail}")]
    Other { domain: String, detail: String },
}

/// Holds a domain's lock until [`DomainLock::release`] or drop.
#[must_use = "the lock is released when this is dropped"]
pub struct DomainLock {
    held: Held,
}

enum Held {
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
    File(std::fs::File),
}

impl DomainLock {
    /// Releases the lock now (dropping it releases it too, when the connection closes).
    pub async fn release(self) {
        match self.held {
            Held::Postgres(conn) => {
                let _ = conn.close().await;
            }
            Held::MySql(conn) => {
                let _ = conn.close().await;
            }
            Held::File(file) => {
                let _ = file.unlock();
            }
        }
    }
}

impl Target {
    /// Takes `domain`'s lock, waiting up to `timeout`; `waiting` is called once, with a line
    /// saying what it waits for, when another process holds it.
    pub async fn lock(
        &self,
        domain: &str,
        timeout: Duration,
        waiting: impl FnOnce(&str),
    ) -> Result<DomainLock, LockError> {
        let namespace = self.namespace(domain);
        let started = Instant::now();
        let timed_out = || LockError::Timeout {
            domain: domain.to_owned(),
            namespace: namespace.clone(),
            waited: started.elapsed().as_secs(),
        };
        let other = |detail: String| LockError::Other { domain: domain.to_owned(), detail };
        let mut waiting = Some(waiting);
        let mut announce = || {
            if let Some(say) = waiting.take() {
                say(&format!(
                    "{domain}: waiting for another seedbed that is migrating or seeding {namespace} (up to {} s, see --lock-timeout)",
                    timeout.as_secs()
                ));
            }
        };
        match &self.location {
            Location::Sqlite { .. } => {
                let path = self.sqlite_path(domain).expect("a SQLite target");
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| other(e.to_string()))?;
                }
                let mut lock_path = path.into_os_string();
                lock_path.push(".lock");
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|e| other(e.to_string()))?;
                loop {
                    match file.try_lock() {
                        Ok(()) => return Ok(DomainLock { held: Held::File(file) }),
                        Err(std::fs::TryLockError::WouldBlock) => {}
                        Err(std::fs::TryLockError::Error(e)) => return Err(other(e.to_string())),
                    }
                    if started.elapsed() >= timeout {
                        return Err(timed_out());
                    }
                    announce();
                    tokio::time::sleep(POLL).await;
                }
            }
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut conn = self.admin_pg().await?;
                loop {
                    let row = sqlx::query("SELECT pg_try_advisory_lock($1, hashtext($2))")
                        .bind(PG_LOCK_CLASS)
                        .bind(&namespace)
                        .fetch_one(&mut conn)
                        .await
                        .map_err(|e| other(e.to_string()))?;
                    if row.get::<bool, _>(0) {
                        return Ok(DomainLock { held: Held::Postgres(conn) });
                    }
                    if started.elapsed() >= timeout {
                        let _ = conn.close().await;
                        return Err(timed_out());
                    }
                    announce();
                    tokio::time::sleep(POLL).await;
                }
            }
            Location::Server { .. } => {
                let mut conn = self.admin_mysql().await?;
                let name = mysql_lock_name(&namespace);
                let mut wait = 0.0;
                loop {
                    // GET_LOCK waits by itself; asking first without waiting lets a waiting
                    // process say so before it blocks.
                    let row = sqlx::query("SELECT GET_LOCK(?, ?)")
                        .bind(&name)
                        .bind(wait)
                        .fetch_one(&mut conn)
                        .await
                        .map_err(|e| other(e.to_string()))?;
                    if row.try_get::<Option<i64>, _>(0).ok().flatten() == Some(1) {
                        return Ok(DomainLock { held: Held::MySql(conn) });
                    }
                    let left = timeout.saturating_sub(started.elapsed());
                    if left.is_zero() || wait > 0.0 {
                        let _ = conn.close().await;
                        return Err(timed_out());
                    }
                    announce();
                    wait = left.as_secs_f64();
                }
            }
        }
    }
}

/// MariaDB lock names are at most 64 characters; a database name may be 64 by itself.
fn mysql_lock_name(namespace: &str) -> String {
    let name = format!("seedbed:{namespace}");
    if name.len() <= 64 {
        return name;
    }
    // FNV-1a: stable across builds and machines, which every process sharing the lock needs.
    let hash = namespace
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("seedbed:{}:{hash:016x}", &namespace[..namespace.len().min(36)])
}
