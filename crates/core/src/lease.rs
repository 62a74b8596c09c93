//! The lease lock: one row in `seedbed_lock`, inside the domain's own namespace, for servers
//! whose session locks cannot be trusted to keep writers apart (a Galera cluster, where
//! `GET_LOCK` is local to one node; engines whose advisory locks are missing or no-ops).
//!
//! Taking it inserts the row (holder, host, pid, a random token, an expiry by the server's
//! clock). The primary key lets one insert win; on Galera a conflicting insert made through
//! another node at the same moment fails certification at commit (deadlock 1213), which
//! counts as "held by another" like a duplicate key does. While the lock is held a thread of
//! its own, with a connection and a runtime of its own (so a busy command cannot starve it),
//! renews the expiry; release deletes the row. A holder that dies stops renewing: once the
//! expiry has passed, the next taker replaces the row with an update that succeeds only while
//! the row is still that expired one, and says whose lease it took over. A holder that finds
//! its row gone or replaced no longer holds the domain: the lost-lease hook stops it (see
//! [`on_lease_lost`]).
//!
//! Shared holders (shards of one seeding, see `Target::lock_shared_with`) keep a row each,
//! keyed `shared:<token>`, renewed and released the same way. A shared taker takes the
//! `domain` row as an exclusive taker does, inserts its own row, then deletes the `domain`
//! row: the `domain` row is the turnstile every taker passes alone. An exclusive taker, once
//! it holds the `domain` row, reads the shared rows (causally, on Galera): while one is
//! unexpired it gives the `domain` row back and waits; an expired one it deletes, saying
//! whose. No taker waits while it holds a row, so none waits in a circle.
//!
//! Nothing here reads this host's `/proc` or pids to judge anyone: the host and pid in the row
//! are labels for people; the server's clock and the row decide.

use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, Connection as _, Executor as _, Row as _};

use crate::target::Location;
use crate::{Backend, ConnectError, Target};

/// The lock table every domain namespace gets from the first command that changes it under a
/// lease. It is seedbed's bookkeeping, not the domain's schema: schema snapshots, drift,
/// `fresh`, backups and restores leave it alone.
pub const LOCK_TABLE: &str = "seedbed_lock";

/// The exclusive row's key: one per namespace, the lock itself for an exclusive holder and
/// the turnstile a shared taker passes through.
pub(crate) const ROW: &str = "domain";

/// The key prefix of a shared holder's row, `shared:` and 25 hex digits of its token (the
/// `name` column holds 32 characters on MariaDB).
const SHARED: &str = "shared:";

/// The key of the shared row of the holder with `token`.
pub(crate) fn shared_key(token: &str) -> String {
    format!("{SHARED}{}", &token[..token.len().min(25)])
}

/// How long the lease lasts by default without a renewal.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// A waiting taker asks again this often.
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// Which lock a changing command takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockKind {
    /// The engine's session lock, plus the lease where the session lock cannot be trusted
    /// (a MariaDB with `wsrep_on`).
    #[default]
    Auto,
    /// The engine's session lock and the lease, on any server.
    Lease,
    /// The engine's session lock only (PostgreSQL advisory lock, MariaDB `GET_LOCK`).
    Session,
}

/// How a changing command locks a domain: which lock, and how long a lease lasts unrenewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    pub kind: LockKind,
    pub lease: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy { kind: LockKind::Auto, lease: DEFAULT_LEASE }
    }
}

type Hook = Box<dyn Fn(&str) + Send + Sync>;
static LOST: OnceLock<Hook> = OnceLock::new();

/// What happens when a holder loses its lease (its row was taken over after it could not
/// renew it in time, or removed): `hook` hears one line saying so. A program that writes under
/// the lock should stop there (the CLI exits with status 4), since another may hold the domain
/// now. Without a hook the line goes to stderr. Set once; later calls are ignored.
pub fn on_lease_lost(hook: impl Fn(&str) + Send + Sync + 'static) {
    let _ = LOST.set(Box::new(hook));
}

fn lost(line: &str) {
    match LOST.get() {
        Some(hook) => hook(line),
        None => eprintln!("{line}"),
    }
}

/// Who takes the lease.
pub(crate) struct Me {
    pub token: String,
    pub holder: String,
    pub host: String,
    pub pid: i64,
}

impl Me {
    pub fn new(holder: &str) -> Me {
        Me {
            token: token(),
            holder: holder.to_owned(),
            host: host_name(),
            pid: i64::from(std::process::id()),
        }
    }
}

/// A row as a waiting taker sees it.
pub(crate) struct Row {
    /// `domain`, or `shared:…` for a shared holder's row.
    pub key: String,
    pub token: String,
    pub holder: String,
    pub host: String,
    pub pid: i64,
    /// `YYYY-MM-DD HH:MM:SS UTC`, by the server's clock.
    pub expires: String,
    pub expired: bool,
    /// Seconds since its holder last renewed it, by the server's clock.
    pub silent: i64,
}

impl Row {
    /// `seedbed migrate up on HOST pid 42`, with the host and pid from their own columns when
    /// the label lacks them.
    pub fn who(&self) -> String {
        if self.holder.contains(" pid ") {
            self.holder.clone()
        } else {
            format!("{} on {} pid {}", self.holder, self.host, self.pid)
        }
    }
}

/// A connection to the server, outside any namespace (names are qualified).
pub(crate) enum Conn {
    Pg(sqlx::PgConnection),
    My(sqlx::MySqlConnection),
}

impl Conn {
    pub async fn open(target: &Target) -> Result<Conn, ConnectError> {
        match &target.location {
            Location::Server { backend: Backend::Postgres, .. } => Ok(Conn::Pg(target.admin_pg().await?)),
            Location::Server { .. } => {
                let mut conn = target.admin_mysql().await?;
                if wsrep_on(&mut conn).await {
                    // Causal reads: this node answers only after applying every write set the
                    // cluster committed before the statement, so a released row is seen as
                    // released and a taken one as taken.
                    sqlx::query("SET SESSION wsrep_sync_wait = 7")
                        .execute(&mut conn)
                        .await
                        .map_err(|e| target.classify(e))?;
                }
                Ok(Conn::My(conn))
            }
            Location::Sqlite { .. } => unreachable!("SQLite domains are locked by a file lock"),
        }
    }

    pub async fn close(self) {
        match self {
            Conn::Pg(c) => {
                let _ = c.close().await;
            }
            Conn::My(c) => {
                let _ = c.close().await;
            }
        }
    }

    fn table(&self, ns: &str) -> String {
        match self {
            Conn::Pg(_) => format!("\"{ns}\".\"{LOCK_TABLE}\""),
            Conn::My(_) => format!("`{ns}`.`{LOCK_TABLE}`"),
        }
    }

    /// Whether the namespace has a lock table; creates nothing.
    pub async fn table_exists(&mut self, ns: &str) -> Result<bool, sqlx::Error> {
        let n: i64 = match self {
            Conn::Pg(c) => {
                sqlx::query("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2")
                    .bind(ns)
                    .bind(LOCK_TABLE)
                    .fetch_one(c)
                    .await?
                    .get(0)
            }
            Conn::My(c) => sqlx::query(
                "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            )
            .bind(ns)
            .bind(LOCK_TABLE)
            .fetch_one(c)
            .await?
            .get(0),
        };
        Ok(n > 0)
    }

    /// Makes the namespace and its lock table where they are absent (a changing command's
    /// first step; concurrent creators are fine).
    pub async fn ensure_table(&mut self, ns: &str) -> Result<(), sqlx::Error> {
        let table = self.table(ns);
        match self {
            Conn::Pg(c) => {
                for sql in [
                    format!("CREATE SCHEMA IF NOT EXISTS \"{ns}\""),
                    format!(
                        "CREATE TABLE IF NOT EXISTS {table} (name text PRIMARY KEY, token text NOT NULL, \
                         holder text NOT NULL, host text NOT NULL, pid bigint NOT NULL, \
                         acquired_at timestamptz NOT NULL, renewed_at timestamptz NOT NULL, \
                         expires_at timestamptz NOT NULL)"
                    ),
                ] {
                    match c.execute(sqlx::AssertSqlSafe(sql)).await {
                        // IF NOT EXISTS is not atomic on PostgreSQL: a creator at the same moment
                        // makes this one fail on the catalogue's unique index.
                        Err(sqlx::Error::Database(e))
                            if matches!(e.code().as_deref(), Some("23505") | Some("42P07")) => {}
                        other => {
                            other?;
                        }
                    }
                }
            }
            Conn::My(c) => {
                c.execute(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE IF NOT EXISTS `{ns}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                )))
                .await?;
                c.execute(sqlx::AssertSqlSafe(format!(
                    "CREATE TABLE IF NOT EXISTS {table} (name VARCHAR(32) NOT NULL PRIMARY KEY, \
                     token VARCHAR(64) NOT NULL, holder VARCHAR(255) NOT NULL, host VARCHAR(255) NOT NULL, \
                     pid BIGINT NOT NULL, acquired_at DATETIME(6) NOT NULL, renewed_at DATETIME(6) NOT NULL, \
                     expires_at DATETIME(6) NOT NULL) ENGINE=InnoDB"
                )))
                .await?;
            }
        }
        Ok(())
    }

    /// The row keyed `key`, if there is one.
    pub async fn read(&mut self, ns: &str, key: &str) -> Result<Option<Row>, sqlx::Error> {
        Ok(self.select(ns, "name = ", key).await?.pop())
    }

    /// Every shared holder's row, expired ones included, oldest first.
    pub async fn read_shared(&mut self, ns: &str) -> Result<Vec<Row>, sqlx::Error> {
        self.select(ns, "name LIKE ", &format!("{SHARED}%")).await
    }

    /// The rows whose name passes `test` (`name = ` or `name LIKE `) with `value`.
    async fn select(&mut self, ns: &str, test: &str, value: &str) -> Result<Vec<Row>, sqlx::Error> {
        let table = self.table(ns);
        let rows = match self {
            Conn::Pg(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT name, token, holder, host, pid, \
                     to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', \
                     expires_at <= clock_timestamp(), \
                     extract(epoch FROM clock_timestamp() - renewed_at)::bigint \
                     FROM {table} WHERE {test}$1 ORDER BY acquired_at, name"
            )))
            .bind(value)
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| Row {
                key: r.get(0),
                token: r.get(1),
                holder: r.get(2),
                host: r.get(3),
                pid: r.get(4),
                expires: r.get(5),
                expired: r.get(6),
                silent: r.get(7),
            })
            .collect(),
            Conn::My(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(name AS CHAR), CAST(token AS CHAR), CAST(holder AS CHAR), CAST(host AS CHAR), pid, \
                     CAST(CONCAT(DATE_FORMAT(expires_at, '%Y-%m-%d %H:%i:%s'), ' UTC') AS CHAR), \
                     CAST(expires_at <= UTC_TIMESTAMP(6) AS SIGNED), \
                     CAST(TIMESTAMPDIFF(SECOND, renewed_at, UTC_TIMESTAMP(6)) AS SIGNED) \
                     FROM {table} WHERE {test}? ORDER BY acquired_at, name"
            )))
            .bind(value)
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| Row {
                key: r.get(0),
                token: r.get(1),
                holder: r.get(2),
                host: r.get(3),
                pid: r.get(4),
                expires: r.get(5),
                expired: r.get::<i64, _>(6) != 0,
                silent: r.get(7),
            })
            .collect(),
        };
        Ok(rows)
    }

    /// Inserts the row `key` for `me`: `false` when another holds it (a duplicate key, or on
    /// Galera a certification conflict with an insert made through another node).
    pub async fn insert(
        &mut self,
        ns: &str,
        key: &str,
        me: &Me,
        lease: Duration,
    ) -> Result<bool, sqlx::Error> {
        let table = self.table(ns);
        let micros = lease.as_micros() as i64;
        let done = match self {
            Conn::Pg(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} (name, token, holder, host, pid, acquired_at, renewed_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp(), \
                     clock_timestamp() + $6::bigint * interval '1 microsecond')"
            )))
            .bind(key)
            .bind(&me.token)
            .bind(&me.holder)
            .bind(&me.host)
            .bind(me.pid)
            .bind(micros)
            .execute(c)
            .await
            .map(drop),
            Conn::My(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} (name, token, holder, host, pid, acquired_at, renewed_at, expires_at) \
                     VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), \
                     DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND))"
            )))
            .bind(key)
            .bind(&me.token)
            .bind(truncate(&me.holder, 255))
            .bind(truncate(&me.host, 255))
            .bind(me.pid)
            .bind(micros)
            .execute(c)
            .await
            .map(drop),
        };
        lost_race(done)
    }

    /// Replaces the expired row of `old` by `me`'s: `false` when it is no longer that expired
    /// row (renewed, released, or taken by another at the same moment).
    pub async fn take_over(
        &mut self,
        ns: &str,
        me: &Me,
        old: &str,
        lease: Duration,
    ) -> Result<bool, sqlx::Error> {
        let table = self.table(ns);
        let micros = lease.as_micros() as i64;
        let done = match self {
            Conn::Pg(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET token = $1, holder = $2, host = $3, pid = $4, acquired_at = clock_timestamp(), \
                 renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $5::bigint * interval '1 microsecond' \
                 WHERE name = $6 AND token = $7 AND expires_at <= clock_timestamp()"
            )))
            .bind(&me.token)
            .bind(&me.holder)
            .bind(&me.host)
            .bind(me.pid)
            .bind(micros)
            .bind(ROW)
            .bind(old)
            .execute(c)
            .await
            .map(|r| r.rows_affected()),
            Conn::My(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET token = ?, holder = ?, host = ?, pid = ?, acquired_at = UTC_TIMESTAMP(6), \
                 renewed_at = UTC_TIMESTAMP(6), expires_at = DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND) \
                 WHERE name = ? AND token = ? AND expires_at <= UTC_TIMESTAMP(6)"
            )))
            .bind(&me.token)
            .bind(truncate(&me.holder, 255))
            .bind(truncate(&me.host, 255))
            .bind(me.pid)
            .bind(micros)
            .bind(ROW)
            .bind(old)
            .execute(c)
            .await
            .map(|r| r.rows_affected()),
        };
        match done {
            Ok(n) => Ok(n == 1),
            Err(e) => lost_race(Err(e)),
        }
    }

    /// Pushes the expiry of `token`'s row `key` one lease ahead: `false` when the row is not
    /// its own any more.
    pub async fn renew(
        &mut self,
        ns: &str,
        key: &str,
        token: &str,
        lease: Duration,
    ) -> Result<bool, sqlx::Error> {
        let table = self.table(ns);
        let micros = lease.as_micros() as i64;
        let n = match self {
            Conn::Pg(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET renewed_at = clock_timestamp(), \
                 expires_at = clock_timestamp() + $1::bigint * interval '1 microsecond' WHERE name = $2 AND token = $3"
            )))
            .bind(micros)
            .bind(key)
            .bind(token)
            .execute(c)
            .await?
            .rows_affected(),
            Conn::My(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET renewed_at = UTC_TIMESTAMP(6), \
                 expires_at = DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND) WHERE name = ? AND token = ?"
            )))
            .bind(micros)
            .bind(key)
            .bind(token)
            .execute(c)
            .await?
            .rows_affected(),
        };
        Ok(n == 1)
    }

    /// Deletes `token`'s row `key` (only its own). On Galera the delete can fail
    /// certification against another node's write to the table at the same moment (deadlock
    /// 1213: seen with three shard processes taking the shared lock through three nodes);
    /// the row is then still this holder's, and the delete is tried again.
    pub async fn delete(&mut self, ns: &str, key: &str, token: &str) -> Result<(), sqlx::Error> {
        let mut tries = 0;
        loop {
            match self.delete_once(ns, key, token).await {
                Err(e) if tries < 10 && conflicted(&e) => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(10 * tries)).await;
                }
                done => return done,
            }
        }
    }

    async fn delete_once(&mut self, ns: &str, key: &str, token: &str) -> Result<(), sqlx::Error> {
        let table = self.table(ns);
        match self {
            Conn::Pg(c) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE name = $1 AND token = $2"
                )))
                .bind(key)
                .bind(token)
                .execute(c)
                .await?;
            }
            Conn::My(c) => {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE name = ? AND token = ?")))
                    .bind(key)
                    .bind(token)
                    .execute(c)
                    .await?;
            }
        }
        Ok(())
    }

    /// Deletes `token`'s row `key` if it is still that one and expired: `false` when it was
    /// renewed, released or removed meanwhile.
    pub async fn remove_expired(&mut self, ns: &str, key: &str, token: &str) -> Result<bool, sqlx::Error> {
        let table = self.table(ns);
        let done = match self {
            Conn::Pg(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE name = $1 AND token = $2 AND expires_at <= clock_timestamp()"
            )))
            .bind(key)
            .bind(token)
            .execute(c)
            .await
            .map(|r| r.rows_affected()),
            Conn::My(c) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE name = ? AND token = ? AND expires_at <= UTC_TIMESTAMP(6)"
            )))
            .bind(key)
            .bind(token)
            .execute(c)
            .await
            .map(|r| r.rows_affected()),
        };
        match done {
            Ok(n) => Ok(n == 1),
            // Another taker removed it at the same moment (on Galera, a certification conflict).
            Err(e) => lost_race(Err(e)).map(|_| false),
        }
    }
}

/// Whether a MariaDB connection belongs to a Galera node that replicates (`wsrep_on`); a
/// server without the variable (MySQL) is not one.
pub(crate) async fn wsrep_on(conn: &mut sqlx::MySqlConnection) -> bool {
    match sqlx::query("SELECT CAST(@@SESSION.wsrep_on AS SIGNED)").fetch_one(conn).await {
        Ok(row) => row.try_get::<i64, _>(0).is_ok_and(|v| v != 0),
        Err(_) => false,
    }
}

/// A failed insert or takeover that means "another got there first": a duplicate key, or a
/// deadlock / serialisation failure (on Galera, the certification conflict of two nodes'
/// writes to the one row).
fn lost_race(done: Result<(), sqlx::Error>) -> Result<bool, sqlx::Error> {
    match done {
        Ok(()) => Ok(true),
        Err(e) if raced(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `e` says another writer got there first (see [`lost_race`]): a conflict, a
/// duplicate key or a lock wait given up.
fn raced(e: &sqlx::Error) -> bool {
    conflicted(e)
        || matches!(e, sqlx::Error::Database(e)
            if matches!(e.code().as_deref(), Some("23505" | "23000" | "40000"))
                || e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                    .is_some_and(|m| matches!(m.number(), 1062 | 1205)))
}

/// Whether `e` is a deadlock or serialisation failure (on Galera, a certification conflict):
/// the statement was rolled back at once, and running it again is the remedy. Not a lock
/// wait timeout, which has already waited its full time.
fn conflicted(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(e)
        if matches!(e.code().as_deref(), Some("40001" | "40P01"))
            || e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some_and(|m| m.number() == 1213))
}

/// The lease a [`crate::DomainLock`] holds: its renewing thread, told to delete the row and
/// stop on release or drop.
pub(crate) struct Lease {
    stop: Option<mpsc::Sender<()>>,
    done: Mutex<mpsc::Receiver<()>>,
}

/// How long a release waits for the row to be deleted before it leaves it to expire.
const RELEASE_WAIT: Duration = Duration::from_secs(5);

impl Lease {
    /// Starts renewing `token`'s row `key` (the `domain` row, or a shared holder's) in `ns`
    /// every third of `lease`, on a thread with a connection and a runtime of its own.
    pub fn keep(
        target: Target,
        domain: &str,
        ns: String,
        key: String,
        token: String,
        lease: Duration,
    ) -> Lease {
        let (stop, stopped) = mpsc::channel::<()>();
        let (finished, done) = mpsc::channel::<()>();
        let domain = domain.to_owned();
        let named = format!("{domain} ({ns})");
        let lock = if key == ROW { "the lock" } else { "the shared lock" };
        let every = (lease / 3).max(Duration::from_millis(100));
        let spawned = std::thread::Builder::new().name(format!("seedbed-lease-{domain}")).spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                lost(&format!("lost {lock} on {domain} ({ns}): cannot start the thread that renews its lease"));
                return;
            };
            let mut conn: Option<Conn> = None;
            let mut renewed = Instant::now();
            loop {
                match stopped.recv_timeout(every) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    // Released or dropped: the row goes, so the next taker need not wait.
                    _ => {
                        rt.block_on(async {
                            if conn.is_none() {
                                conn = Conn::open(&target).await.ok();
                            }
                            if let Some(mut c) = conn.take() {
                                let _ = c.delete(&ns, &key, &token).await;
                                c.close().await;
                            }
                        });
                        let _ = finished.send(());
                        return;
                    }
                }
                let outcome = rt.block_on(async {
                    if conn.is_none() {
                        conn = Some(Conn::open(&target).await.map_err(|e| e.to_string())?);
                    }
                    let c = conn.as_mut().expect("just opened");
                    c.renew(&ns, &key, &token, lease).await.map_err(|e| e.to_string())
                });
                match outcome {
                    Ok(true) => renewed = Instant::now(),
                    Ok(false) => {
                        lost(&format!(
                            "lost {lock} on {domain} ({ns}): its lease row was taken over or removed while this \
                             command held it (it could not renew it within {} s); stopping so that two writers never \
                             share the domain: see `seedbed migrate status`, and raise --lock-lease if the server is slow",
                            lease.as_secs_f64()
                        ));
                        return;
                    }
                    Err(e) => {
                        if let Some(c) = conn.take() {
                            rt.block_on(c.close());
                        }
                        // The next chance to renew would come after the expiry: past it,
                        // another may take the domain, so this holder must not go on.
                        if renewed.elapsed() + every >= lease {
                            lost(&format!(
                                "lost {lock} on {domain} ({ns}): could not renew its lease for {} s ({e}); \
                                 stopping so that two writers never share the domain",
                                renewed.elapsed().as_secs()
                            ));
                            return;
                        }
                    }
                }
            }
        });
        if spawned.is_err() {
            lost(&format!("lost {lock} on {named}: cannot start the thread that renews its lease"));
        }
        Lease { stop: Some(stop), done: Mutex::new(done) }
    }

    /// Deletes the row and stops renewing, waiting (a bounded time) for the deletion.
    pub async fn release(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
            let started = Instant::now();
            while started.elapsed() < RELEASE_WAIT {
                match self.done.lock().unwrap_or_else(|e| e.into_inner()).try_recv() {
                    Err(mpsc::TryRecvError::Empty) => {}
                    _ => return,
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

impl Drop for Lease {
    /// A lease dropped without [`Lease::release`] (an error, a signal) is released here,
    /// synchronously, before the process can exit.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
            let _ = self.done.lock().unwrap_or_else(|e| e.into_inner()).recv_timeout(RELEASE_WAIT);
        }
    }
}

/// 32 hex digits, different for every taker on every machine.
fn token() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let part = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        h.write_u32(std::process::id());
        h.write_u64(salt);
        h.finish()
    };
    format!("{:016x}{:016x}", part(1), part(2))
}

/// This machine's name, as a label for people.
pub(crate) fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "an unknown host".into())
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
