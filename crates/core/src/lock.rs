//! One writer per domain: the lock that `migrate` and `seed` hold while they change a
//! domain's namespace, so that runs started side by side queue instead of interleaving.
//!
//! PostgreSQL: a session advisory lock keyed by the namespace, on a connection of its own.
//! MariaDB/MySQL: `GET_LOCK` on a connection of its own. SQLite: an exclusive lock on a file
//! beside the database (`raffle.sqlite3.lock`); SQLite's own write lock cannot serve, since
//! it would shut out the very connection that does the work. Each is released when the
//! guard is released or dropped, and by the server or the OS if the process dies.
//!
//! Where the server's session lock cannot be trusted (a Galera node, on which `GET_LOCK` is
//! local; or on request, `LockKind::Lease`), the holder also takes a lease: a row in the
//! namespace's `seedbed_lock` table that every node sees (see the `lease` module). Session
//! lock first, lease second, always in that order, so that two takers never wait for each
//! other in a circle.
//!
//! The holder says who it is where the engine lets others read it (PostgreSQL: the lock
//! connection's `application_name`; SQLite: a line in the lock file; the lease row; MariaDB's
//! `GET_LOCK` names only the connection), so that a waiting process can name what it waits
//! for. On SQLite the lock also waits, within the same timeout, for a program outside seedbed
//! that holds the database's own write lock, so that the work after it does not fail on
//! "database is locked".
//!
//! The lock is exclusive by default. [`Target::lock_shared_with`] takes it shared, for the
//! shards of one seeding that run at once on several machines: any number of shared holders
//! at a time, none while an exclusive one holds it, and no exclusive one while a shared one
//! does. Waiting is polling on both sides (no queue), so a steady stream of shards can keep
//! an exclusive taker waiting until its timeout; shards are few and end, which is what the
//! timeout is for.
//!
//! - PostgreSQL: `pg_try_advisory_lock_shared` on the exclusive lock's key.
//! - SQLite: `File::try_lock_shared` on the lock file. The holder line is written only under
//!   the exclusive lock, so a shared taker that finds the file free takes it exclusively,
//!   writes `held by shared holders (…the first…)`, waits for outsiders as an exclusive taker
//!   does, then trades it for a shared lock; one that finds shared holders there joins them
//!   and leaves the line alone. (If an exclusive holder came and went in the instant between
//!   the two, its stale line is found under the shared lock and the taker starts again.)
//! - MariaDB/MySQL, whose `GET_LOCK` has no shared mode: a readers-writer lock of named locks.
//!   The main lock `seedbed:<namespace>` is the exclusive lock, as before, and the turnstile;
//!   64 slot locks `seedbed:<namespace>#s1`…`#s64` are the shared holders. A shared taker takes
//!   the main lock (waiting for it), takes a free slot with `GET_LOCK(slot, 0)`, and releases
//!   the main lock, keeping the slot on its connection for its whole run. An exclusive taker
//!   takes the main lock (waiting for it) and then must find every slot free (`IS_USED_LOCK`
//!   of all 64 in one query); if one is held it releases the main lock and polls until its
//!   timeout. Nobody waits while holding a lock (the main lock is waited for holding nothing;
//!   slots are taken and checked without waiting; slot holders wait for nothing), so no two
//!   takers wait for each other in a circle. Taking the main lock first makes "check the slots
//!   and keep the main lock" one step no shared taker can come between. A slot, like any
//!   `GET_LOCK`, is freed by the server when its connection ends.
//! - The lease: a row of its own per shared holder beside the `domain` row (see `lease`).

use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _, Row as _};
use thiserror::Error;

use crate::lease::{self, Conn, DEFAULT_LEASE, Lease, LockKind, LockPolicy, Me};
use crate::target::Location;
use crate::{Backend, ConnectError, Target};

/// How often a waiting process asks again.
const POLL: Duration = Duration::from_millis(100);

/// Advisory-lock class of seedbed's domain locks, so that they cannot collide with keys
/// other applications use in the same database.
const PG_LOCK_CLASS: i32 = 0x5EED;

/// How a lock is held: alone, or beside other shared holders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exclusive,
    Shared,
}

/// The start of the line a shared holder writes into a SQLite lock file.
const SHARED_LABEL: &str = "held by shared holders";

/// How many shared holders MariaDB's slot locks admit at once.
const MYSQL_SLOTS: usize = 64;

#[derive(Debug, Error)]
pub enum LockError {
    #[error(
        "gave up after {waited} s waiting for {domain} ({namespace}): {holder}; let it finish, or raise --lock-timeout"
    )]
    Timeout { domain: String, namespace: String, waited: u64, holder: String },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("cannot take the lock on {domain}: {detail}")]
    Other { domain: String, detail: String },
}

/// Holds a domain's lock until [`DomainLock::release`] or drop.
#[must_use = "the lock is released when this is dropped"]
pub struct DomainLock {
    held: Held,
    /// The lease, where one is taken too; released first.
    lease: Option<Lease>,
}

enum Held {
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
    File(std::fs::File),
}

impl DomainLock {
    /// Releases the lock now (dropping it releases it too, when the connection closes).
    pub async fn release(self) {
        if let Some(lease) = self.lease {
            lease.release().await;
        }
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
    /// The file whose exclusive lock is `domain`'s lock, on a SQLite target
    /// (`raffle.sqlite3.lock` beside `raffle.sqlite3`).
    fn lock_file(&self, domain: &str) -> Option<std::path::PathBuf> {
        self.sqlite_path(domain).map(|path| {
            let mut file = path.into_os_string();
            file.push(".lock");
            file.into()
        })
    }

    /// Whether nobody holds `domain`'s lock right now, asked without waiting and without
    /// creating anything: how a reading command tells work in progress (its holder holds the
    /// lock for the whole command) from work whose holder is gone, on any machine. On a
    /// server both locks are asked: the session lock, and the lease where the namespace has a
    /// lock table (an unexpired row is a live holder, whichever node it came through). A
    /// shared holder counts as a holder.
    pub async fn lock_is_free(&self, domain: &str) -> Result<bool, LockError> {
        if let Some(path) = self.lock_file(domain) {
            // No lock file: nobody has ever locked this domain, so nobody holds it.
            let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) else { return Ok(true) };
            return match file.try_lock() {
                Ok(()) => {
                    let _ = file.unlock();
                    Ok(true)
                }
                Err(std::fs::TryLockError::WouldBlock) => Ok(false),
                Err(std::fs::TryLockError::Error(e)) => {
                    Err(LockError::Other { domain: domain.to_owned(), detail: e.to_string() })
                }
            };
        }
        if self.lease_holder(domain).await?.is_some() {
            return Ok(false);
        }
        match self.session_lock(domain, Duration::ZERO, "seedbed", Mode::Exclusive, &mut |_| {}).await {
            Ok(held) => {
                DomainLock { held, lease: None }.release().await;
                Ok(true)
            }
            Err(LockError::Timeout { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The live (unexpired) lease row on `domain`, exclusive or shared, if its namespace has a
    /// lock table: who holds it. Creates nothing.
    async fn lease_holder(&self, domain: &str) -> Result<Option<String>, LockError> {
        let ns = self.namespace(domain);
        let other = |e: sqlx::Error| LockError::Other { domain: domain.to_owned(), detail: e.to_string() };
        let mut conn = Conn::open(self).await?;
        let found = async {
            if !conn.table_exists(&ns).await? {
                return Ok(None);
            }
            if let Some(row) = conn.read(&ns, lease::ROW).await?.filter(|row| !row.expired) {
                return Ok(Some(row.who()));
            }
            Ok(conn.read_shared(&ns).await?.into_iter().find(|row| !row.expired).map(|row| row.who()))
        }
        .await
        .map_err(other);
        conn.close().await;
        found
    }

    /// Takes `domain`'s lock, waiting up to `timeout`; `waiting` is called once, with a line
    /// saying what it waits for, when another process holds it.
    pub async fn lock(
        &self,
        domain: &str,
        timeout: Duration,
        waiting: impl FnMut(&str) + Send,
    ) -> Result<DomainLock, LockError> {
        self.lock_as(domain, timeout, &holder_label("seedbed"), waiting).await
    }

    /// [`Target::lock`], announcing the holder as `who` (e.g. `seedbed seed on HOST pid 42`)
    /// to the processes that wait for it, where the engine can show it.
    pub async fn lock_as(
        &self,
        domain: &str,
        timeout: Duration,
        who: &str,
        waiting: impl FnMut(&str) + Send,
    ) -> Result<DomainLock, LockError> {
        self.lock_with(domain, timeout, who, LockPolicy::default(), waiting).await
    }

    /// [`Target::lock_as`] under `policy`: the session lock, then, where the policy asks for
    /// it (or the node replicates through Galera), the lease in the domain's namespace,
    /// creating its lock table (and the namespace) when absent. `say` hears the line that says
    /// what it waits for (once) and the lines that say whose expired lease it took over.
    pub async fn lock_with(
        &self,
        domain: &str,
        timeout: Duration,
        who: &str,
        policy: LockPolicy,
        say: impl FnMut(&str) + Send,
    ) -> Result<DomainLock, LockError> {
        self.lock_in(domain, timeout, who, policy, Mode::Exclusive, say).await
    }

    /// [`Target::lock_with`], shared: any number of shared holders hold `domain` at once (the
    /// shards of one seeding, on any machines or nodes), while no exclusive holder does. It
    /// waits for an exclusive holder, and an exclusive taker waits for every shared holder,
    /// each within its own timeout; a [`LockError::Timeout`] names the holder where the
    /// engine shows it. The same session lock and lease as [`Target::lock_with`], taken in
    /// their shared forms (see the module documentation for each engine's).
    pub async fn lock_shared_with(
        &self,
        domain: &str,
        timeout: Duration,
        who: &str,
        policy: LockPolicy,
        say: impl FnMut(&str) + Send,
    ) -> Result<DomainLock, LockError> {
        self.lock_in(domain, timeout, who, policy, Mode::Shared, say).await
    }

    async fn lock_in(
        &self,
        domain: &str,
        timeout: Duration,
        who: &str,
        policy: LockPolicy,
        mode: Mode,
        mut say: impl FnMut(&str) + Send,
    ) -> Result<DomainLock, LockError> {
        let started = Instant::now();
        let mut announced = false;
        let mut waiting = |line: &str| {
            if !std::mem::replace(&mut announced, true) {
                say(line);
            }
        };
        let held = self.session_lock(domain, timeout, who, mode, &mut waiting).await?;
        let mut lock = DomainLock { held, lease: None };
        let wanted = match (policy.kind, &mut lock.held) {
            (_, Held::File(_)) | (LockKind::Session, _) => false,
            (LockKind::Lease, _) => true,
            // GET_LOCK is local to the node a Galera cluster's client happens to reach.
            (LockKind::Auto, Held::MySql(conn)) => lease::wsrep_on(conn).await,
            (LockKind::Auto, Held::Postgres(_)) => false,
        };
        if !wanted {
            return Ok(lock);
        }
        let left = timeout.saturating_sub(started.elapsed());
        let mut took_over = Vec::new();
        let lease = self
            .take_lease(domain, left, started, who, policy.lease, true, mode, &mut waiting, &mut took_over)
            .await;
        for line in &took_over {
            say(line);
        }
        match lease {
            Ok(Some(lease)) => Ok(DomainLock { lease: Some(lease), ..lock }),
            Ok(None) => unreachable!("the table is created"),
            Err(e) => {
                lock.release().await;
                Err(e)
            }
        }
    }

    /// Takes `domain`'s lock at once if it is free, creating nothing: the session lock, and
    /// the lease where the namespace has a lock table already. `None` when someone holds it.
    /// For reading commands that tidy up what a dead holder left (they must not create a lock
    /// table, yet must not pass a live lease holder, exclusive or shared).
    pub async fn try_lock_without_creating(&self, domain: &str) -> Result<Option<DomainLock>, LockError> {
        let who = holder_label("seedbed");
        let held = match self.session_lock(domain, Duration::ZERO, &who, Mode::Exclusive, &mut |_| {}).await {
            Ok(held) => held,
            Err(LockError::Timeout { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let lock = DomainLock { held, lease: None };
        if matches!(lock.held, Held::File(_)) {
            return Ok(Some(lock));
        }
        let lease = self
            .take_lease(
                domain,
                Duration::ZERO,
                Instant::now(),
                &who,
                DEFAULT_LEASE,
                false,
                Mode::Exclusive,
                &mut |_| {},
                &mut Vec::new(),
            )
            .await;
        match lease {
            Ok(lease) => Ok(Some(DomainLock { lease, ..lock })),
            Err(LockError::Timeout { .. }) => {
                lock.release().await;
                Ok(None)
            }
            Err(e) => {
                lock.release().await;
                Err(e)
            }
        }
    }

    /// The lease on `domain`: inserts the `domain` row, or takes over an expired one (the
    /// line naming the dead holder goes to `took_over`), waiting up to `timeout`. Exclusive,
    /// it then keeps that row only if no live shared row is there (expired ones it removes,
    /// naming their holders in `took_over`), and gives it back and waits otherwise; shared, it
    /// inserts a row of its own and gives the `domain` row back. With `create` false and no
    /// lock table, `None`: nobody takes leases there.
    #[allow(clippy::too_many_arguments)]
    async fn take_lease(
        &self,
        domain: &str,
        timeout: Duration,
        started: Instant,
        who: &str,
        length: Duration,
        create: bool,
        mode: Mode,
        waiting: &mut (dyn FnMut(&str) + Send),
        took_over: &mut Vec<String>,
    ) -> Result<Option<Lease>, LockError> {
        let namespace = self.namespace(domain);
        let other = |e: sqlx::Error| LockError::Other { domain: domain.to_owned(), detail: e.to_string() };
        let mut conn = Conn::open(self).await?;
        let begun = Instant::now();
        let me = Me::new(who);
        let mine = match mode {
            Mode::Exclusive => lease::ROW.to_owned(),
            Mode::Shared => lease::shared_key(&me.token),
        };
        let expired_line = |row: &lease::Row, what: &str| {
            format!(
                "{domain}: took over the {what} on {namespace} from {}, whose lease expired at {} \
                 without a renewal for {} s (it was killed or cut off from the server); \
                 see `seedbed migrate status` for anything it left unfinished",
                row.who(),
                row.expires,
                row.silent
            )
        };
        let result = async {
            if create {
                conn.ensure_table(&namespace).await.map_err(other)?;
            } else if !conn.table_exists(&namespace).await.map_err(other)? {
                return Ok(false);
            }
            loop {
                // The `domain` row first: every taker passes it alone.
                let mut holder = match conn.read(&namespace, lease::ROW).await.map_err(other)? {
                    None => {
                        if conn.insert(&namespace, lease::ROW, &me, length).await.map_err(other)? {
                            None
                        } else {
                            Some(None)
                        }
                    }
                    Some(row) if row.expired => {
                        if conn.take_over(&namespace, &me, &row.token, length).await.map_err(other)? {
                            took_over.push(expired_line(&row, "lock"));
                            None
                        } else {
                            Some(None)
                        }
                    }
                    Some(row) => Some(Some(format!(
                        "held by {} (lease renewed {} s ago, expires {})",
                        row.who(),
                        row.silent,
                        row.expires
                    ))),
                };
                if holder.is_none() {
                    // This taker holds the `domain` row.
                    match mode {
                        Mode::Shared => {
                            // Its own row before the `domain` row goes, so that an exclusive
                            // taker that gets the `domain` row next finds it.
                            let inserted = conn.insert(&namespace, &mine, &me, length).await;
                            let released = conn.delete(&namespace, lease::ROW, &me.token).await;
                            match (inserted, released) {
                                (Ok(true), Ok(())) => return Ok(true),
                                (Ok(false), Ok(())) => holder = Some(None),
                                (inserted, released) => {
                                    // Neither row may outlive this error unrenewed: the next
                                    // taker would wait out its lease for nothing.
                                    if matches!(inserted, Ok(true)) {
                                        let _ = conn.delete(&namespace, &mine, &me.token).await;
                                    }
                                    return Err(other(inserted.err().or(released.err()).expect("an error")));
                                }
                            }
                        }
                        Mode::Exclusive => {
                            let mut live = Vec::new();
                            for row in conn.read_shared(&namespace).await.map_err(other)? {
                                if !row.expired {
                                    live.push(row);
                                } else if conn
                                    .remove_expired(&namespace, &row.key, &row.token)
                                    .await
                                    .map_err(other)?
                                {
                                    took_over.push(expired_line(&row, "shared lock"));
                                }
                            }
                            if live.is_empty() {
                                return Ok(true);
                            }
                            conn.delete(&namespace, lease::ROW, &me.token).await.map_err(other)?;
                            holder = Some(Some(shared_holders(&live)));
                        }
                    }
                }
                let holder = holder.flatten();
                if begun.elapsed() >= timeout {
                    return Err(LockError::Timeout {
                        domain: domain.to_owned(),
                        namespace: namespace.clone(),
                        waited: started.elapsed().as_secs(),
                        holder: holder.unwrap_or_else(|| "another seedbed is migrating or seeding it".into()),
                    });
                }
                if let Some(holder) = &holder {
                    waiting(&format!(
                        "{domain}: waiting for {namespace}, held by {} (up to {} s, see --lock-timeout)",
                        holder.trim_start_matches("held by "),
                        (timeout + begun.duration_since(started)).as_secs()
                    ));
                }
                tokio::time::sleep(
                    lease::POLL.min(timeout.saturating_sub(begun.elapsed())).max(Duration::from_millis(10)),
                )
                .await;
            }
        }
        .await;
        conn.close().await;
        match result {
            Ok(true) => Ok(Some(Lease::keep(self.clone(), domain, namespace, mine, me.token, length))),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The engine's own lock on `domain`, held in `mode`: a file lock (SQLite), an advisory
    /// lock (PostgreSQL) or `GET_LOCK` (MariaDB; shared: a slot lock), waiting up to `timeout`.
    async fn session_lock(
        &self,
        domain: &str,
        timeout: Duration,
        who: &str,
        mode: Mode,
        waiting: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Held, LockError> {
        let namespace = self.namespace(domain);
        let started = Instant::now();
        let timed_out = |holder: Option<String>| LockError::Timeout {
            domain: domain.to_owned(),
            namespace: namespace.clone(),
            waited: started.elapsed().as_secs(),
            holder: holder.unwrap_or_else(|| "another seedbed is migrating or seeding it".into()),
        };
        let other = |detail: String| LockError::Other { domain: domain.to_owned(), detail };
        let mut announce = |holder: &Option<String>| {
            let holder = holder.as_deref().unwrap_or("another seedbed that is migrating or seeding it");
            waiting(&format!(
                "{domain}: waiting for {namespace}, held by {} (up to {} s, see --lock-timeout)",
                holder.trim_start_matches("held by "),
                timeout.as_secs()
            ));
        };
        match &self.location {
            Location::Sqlite { .. } => {
                let path = self.sqlite_path(domain).expect("a SQLite target");
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| other(e.to_string()))?;
                }
                let lock_path = self.lock_file(domain).expect("a SQLite target");
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .read(true)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|e| other(e.to_string()))?;
                let io = |e: std::io::Error| other(e.to_string());
                loop {
                    match mode {
                        Mode::Exclusive => match file.try_lock() {
                            Ok(()) => break,
                            Err(std::fs::TryLockError::WouldBlock) => {}
                            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
                        },
                        Mode::Shared => {
                            // Free: take it alone first, to write the holder line (only ever
                            // written under the exclusive lock, so never torn) and to wait for
                            // outsiders, as an exclusive taker does; then share it.
                            match file.try_lock() {
                                Ok(()) => {
                                    let label =
                                        format!("{SHARED_LABEL} (the first: {who}, since {})", utc_clock());
                                    let _ = write_holder(&mut file, &label);
                                    let within = timeout.saturating_sub(started.elapsed());
                                    if let Err(holder) = sqlite_writable(&path, within).await {
                                        announce(&Some(holder.clone()));
                                        let _ = file.unlock();
                                        return Err(timed_out(Some(holder)));
                                    }
                                    // Unlock, then lock shared: converting in place is not
                                    // atomic with flock either, and not portable.
                                    file.unlock().map_err(io)?;
                                }
                                Err(std::fs::TryLockError::WouldBlock) => {}
                                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
                            }
                            match file.try_lock_shared() {
                                // The line is a shared holder's unless an exclusive holder came
                                // and went in between: then start again, to write it anew.
                                Ok(())
                                    if file_holder(&mut file)
                                        .is_some_and(|l| l.starts_with(SHARED_LABEL)) =>
                                {
                                    return Ok(Held::File(file));
                                }
                                Ok(()) => {
                                    file.unlock().map_err(io)?;
                                    // Bounded like any wait, should something outside seedbed
                                    // hold the file shared and keep the stale line there.
                                    if started.elapsed() >= timeout {
                                        return Err(timed_out(file_holder(&mut file)));
                                    }
                                    tokio::time::sleep(Duration::from_millis(10)).await;
                                    continue;
                                }
                                Err(std::fs::TryLockError::WouldBlock) => {}
                                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
                            }
                        }
                    }
                    let holder = file_holder(&mut file);
                    if started.elapsed() >= timeout {
                        return Err(timed_out(holder));
                    }
                    announce(&holder);
                    tokio::time::sleep(POLL).await;
                }
                // Who holds it, for those who wait: written under the lock, so never torn.
                let label = format!("held by {who} since {}", utc_clock());
                let _ = write_holder(&mut file, &label);
                if let Err(holder) = sqlite_writable(&path, timeout.saturating_sub(started.elapsed())).await {
                    announce(&Some(holder.clone()));
                    let _ = file.unlock();
                    return Err(timed_out(Some(holder)));
                }
                Ok(Held::File(file))
            }
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut conn = self.admin_pg().await?;
                sqlx::query("SELECT set_config('application_name', $1, false)")
                    .bind(truncate_label(who, 63))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| other(e.to_string()))?;
                // The shared form of the same key: PostgreSQL keeps the two modes apart.
                let take = match mode {
                    Mode::Exclusive => "SELECT pg_try_advisory_lock($1, hashtext($2))",
                    Mode::Shared => "SELECT pg_try_advisory_lock_shared($1, hashtext($2))",
                };
                loop {
                    let row = sqlx::query(take)
                        .bind(PG_LOCK_CLASS)
                        .bind(&namespace)
                        .fetch_one(&mut conn)
                        .await
                        .map_err(|e| other(e.to_string()))?;
                    if row.get::<bool, _>(0) {
                        return Ok(Held::Postgres(conn));
                    }
                    let holder = pg_holder(&mut conn, &namespace).await;
                    if started.elapsed() >= timeout {
                        let _ = conn.close().await;
                        return Err(timed_out(holder));
                    }
                    announce(&holder);
                    tokio::time::sleep(POLL).await;
                }
            }
            Location::Server { .. } => {
                let mut conn = self.admin_mysql().await?;
                match mysql_lock(&mut conn, &namespace, mode, timeout, &mut announce).await {
                    Ok(Ok(())) => Ok(Held::MySql(conn)),
                    Ok(Err(holder)) => {
                        let _ = conn.close().await;
                        Err(timed_out(holder))
                    }
                    Err(e) => {
                        let _ = conn.close().await;
                        Err(other(e.to_string()))
                    }
                }
            }
        }
    }
}

/// MariaDB's side of the lock, on `conn` (see the module documentation for the protocol):
/// `Ok(Err(holder))` when it is still held by another after `timeout`.
async fn mysql_lock(
    conn: &mut sqlx::MySqlConnection,
    namespace: &str,
    mode: Mode,
    timeout: Duration,
    announce: &mut (dyn FnMut(&Option<String>) + Send),
) -> Result<Result<(), Option<String>>, sqlx::Error> {
    let started = Instant::now();
    let main = mysql_lock_name(namespace);
    let slots: Vec<String> = (1..=MYSQL_SLOTS).map(|i| mysql_slot_name(namespace, i)).collect();
    let mut wait = 0.0;
    let mut holder = None;
    loop {
        // GET_LOCK waits by itself; asking first without waiting lets a waiting process say so
        // before it blocks.
        if !mysql_get_lock(conn, &main, wait).await? {
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() || wait > 0.0 {
                return Ok(Err(holder));
            }
            holder = mysql_holder(conn, &main).await;
            announce(&holder);
            wait = left.as_secs_f64();
            continue;
        }
        wait = 0.0;
        let users = mysql_slot_users(conn, &slots).await?;
        match mode {
            Mode::Exclusive => {
                let ids: Vec<String> = users.iter().flatten().map(u64::to_string).collect();
                if ids.is_empty() {
                    return Ok(Ok(()));
                }
                holder = Some(format!(
                    "held by {} shared holder(s): connection(s) {} (seedbed runs seeding it in shards)",
                    ids.len(),
                    ids.join(", ")
                ));
            }
            Mode::Shared => {
                // Slots change hands only under the main lock, so a free one stays free here.
                if let Some(free) = users.iter().position(Option::is_none)
                    && mysql_get_lock(conn, &slots[free], 0.0).await?
                {
                    sqlx::query("SELECT RELEASE_LOCK(?)").bind(&main).execute(&mut *conn).await?;
                    return Ok(Ok(()));
                }
                holder =
                    Some(format!("held by {MYSQL_SLOTS} shared holders, as many as may hold it at once"));
            }
        }
        sqlx::query("SELECT RELEASE_LOCK(?)").bind(&main).execute(&mut *conn).await?;
        if started.elapsed() >= timeout {
            return Ok(Err(holder));
        }
        announce(&holder);
        tokio::time::sleep(
            POLL.min(timeout.saturating_sub(started.elapsed())).max(Duration::from_millis(10)),
        )
        .await;
    }
}

/// `GET_LOCK(name, wait)`: whether this connection holds `name` now.
async fn mysql_get_lock(
    conn: &mut sqlx::MySqlConnection,
    name: &str,
    wait: f64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT GET_LOCK(?, ?)").bind(name).bind(wait).fetch_one(conn).await?;
    Ok(row.try_get::<Option<i64>, _>(0).ok().flatten() == Some(1))
}

/// The connection holding each slot lock, in one query: `None` for a free slot.
async fn mysql_slot_users(
    conn: &mut sqlx::MySqlConnection,
    slots: &[String],
) -> Result<Vec<Option<u64>>, sqlx::Error> {
    let sql = format!("SELECT {}", vec!["CAST(IS_USED_LOCK(?) AS SIGNED)"; slots.len()].join(", "));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for slot in slots {
        query = query.bind(slot);
    }
    let row = query.fetch_one(conn).await?;
    Ok((0..slots.len())
        .map(|i| row.try_get::<Option<i64>, _>(i).ok().flatten().map(|id| id as u64))
        .collect())
}

/// Takes `domain`'s lock (the very one `seedbed` commands take) through `db`, a connection
/// to the domain's namespace that a service opened without a [`Target`]: the namespace is
/// read from the connection (PostgreSQL's `search_path`, created if absent like `seedbed
/// migrate up` does; MariaDB's current database; SQLite's file) and must be `domain` or
/// `PREFIXdomain`. On a server the lock is held by a connection taken out of `db`'s pool
/// for the purpose; on SQLite the caller gets the file's target back, to work through a
/// connection of seedbed's own (one connection, foreign keys toggled on it).
pub async fn lock_through(
    db: &sea_orm::DatabaseConnection,
    domain: &str,
    timeout: Duration,
    who: &str,
) -> Result<(DomainLock, Option<Target>), LockError> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let other = |detail: String| LockError::Other { domain: domain.to_owned(), detail };
    let prefix_of = |ns: &str| -> Result<String, LockError> {
        let prefix = ns.strip_suffix(domain).ok_or_else(|| {
            other(format!(
                "the connection is to `{ns}`, which is not a namespace of {domain} (`{domain}` or `PREFIX{domain}`): connect to the domain's own namespace (see `Target::url_for`)"
            ))
        })?;
        Target::sqlite_dir(".").with_prefix(prefix).map_err(|e| other(e.to_string()))?;
        Ok(prefix.to_owned())
    };
    let started = Instant::now();
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Sqlite => {
            let row = db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT file FROM pragma_database_list WHERE name = 'main'",
                ))
                .await
                .map_err(|e| other(e.to_string()))?;
            let file: String = row.and_then(|r| r.try_get_by_index(0).ok()).unwrap_or_default();
            let path = std::path::PathBuf::from(&file);
            let stem = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".sqlite3"));
            let (Some(stem), Some(dir)) = (stem, path.parent()) else {
                return Err(other(format!(
                    "the connection is to `{file}`, not a domain file `DIR/[PREFIX]{domain}.sqlite3` (an in-memory database has no lock to share)"
                )));
            };
            let target =
                Target::sqlite_dir(dir).with_prefix(&prefix_of(stem)?).map_err(|e| other(e.to_string()))?;
            let lock = target.lock_as(domain, timeout, who, |_| {}).await?;
            Ok((lock, Some(target)))
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            let mut conn = pool.acquire().await.map_err(|e| other(e.to_string()))?.detach();
            let row = sqlx::query(
                "SELECT coalesce(current_schema()::text, trim(both '\"' from split_part(current_setting('search_path'), ',', 1)))",
            )
            .fetch_one(&mut conn)
            .await
            .map_err(|e| other(e.to_string()))?;
            let ns: String = row.try_get(0).map_err(|e| other(e.to_string()))?;
            prefix_of(&ns)?;
            let created = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{ns}\"")))
                .execute(&mut conn)
                .await;
            match created {
                // Another replica created it at the same moment.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {}
                other_result => {
                    other_result.map_err(|e| other(e.to_string()))?;
                }
            }
            sqlx::query("SELECT set_config('application_name', $1, false)")
                .bind(truncate_label(who, 63))
                .execute(&mut conn)
                .await
                .map_err(|e| other(e.to_string()))?;
            loop {
                let row = sqlx::query("SELECT pg_try_advisory_lock($1, hashtext($2))")
                    .bind(PG_LOCK_CLASS)
                    .bind(&ns)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|e| other(e.to_string()))?;
                if row.get::<bool, _>(0) {
                    return Ok((DomainLock { held: Held::Postgres(conn), lease: None }, None));
                }
                if started.elapsed() >= timeout {
                    let holder = pg_holder(&mut conn, &ns).await;
                    let _ = conn.close().await;
                    return Err(LockError::Timeout {
                        domain: domain.to_owned(),
                        namespace: ns,
                        waited: started.elapsed().as_secs(),
                        holder: holder.unwrap_or_else(|| "another seedbed is migrating or seeding it".into()),
                    });
                }
                tokio::time::sleep(POLL).await;
            }
        }
        _ => {
            let pool = db.get_mysql_connection_pool();
            let mut conn = pool.acquire().await.map_err(|e| other(e.to_string()))?.detach();
            let row = sqlx::query("SELECT CAST(DATABASE() AS CHAR)")
                .fetch_one(&mut conn)
                .await
                .map_err(|e| other(e.to_string()))?;
            let ns: String = row.try_get::<Option<String>, _>(0).ok().flatten().unwrap_or_default();
            prefix_of(&ns)?;
            // GET_LOCK is local to a Galera node, and the lease needs the domain's Target (its
            // own connections for the heartbeat): refuse rather than let two nodes migrate.
            if lease::wsrep_on(&mut conn).await {
                let _ = conn.close().await;
                return Err(other(
                    "this server is a Galera node, where a lock taken through the service's connection holds on one node only: run `seedbed migrate up` (which takes the cluster-wide lease) before the replicas start".into(),
                ));
            }
            // The same protocol as the CLI's: the main lock, and no shared holder in a slot.
            match mysql_lock(&mut conn, &ns, Mode::Exclusive, timeout, &mut |_| {}).await {
                Ok(Ok(())) => Ok((DomainLock { held: Held::MySql(conn), lease: None }, None)),
                Ok(Err(holder)) => {
                    let _ = conn.close().await;
                    Err(LockError::Timeout {
                        domain: domain.to_owned(),
                        namespace: ns,
                        waited: started.elapsed().as_secs(),
                        holder: holder.unwrap_or_else(|| "another seedbed is migrating or seeding it".into()),
                    })
                }
                Err(e) => {
                    let _ = conn.close().await;
                    Err(other(e.to_string()))
                }
            }
        }
    }
}

/// Who holds a lease shared: how many, and the first few (oldest first).
fn shared_holders(rows: &[lease::Row]) -> String {
    let named: Vec<String> = rows
        .iter()
        .take(3)
        .map(|row| format!("{} (lease renewed {} s ago, expires {})", row.who(), row.silent, row.expires))
        .collect();
    let more = if rows.len() > named.len() {
        format!(" and {} more", rows.len() - named.len())
    } else {
        String::new()
    };
    format!("held by {} shared holder(s): {}{more}", rows.len(), named.join(", "))
}

/// `seedbed <what> on <host> pid <pid>`: how a holder names itself. The host name is a label
/// for people, never used to judge whether the holder is alive.
pub fn holder_label(what: &str) -> String {
    format!("{what} on {} pid {}", lease::host_name(), std::process::id())
}

/// The time of day, `HH:MM:SS UTC`, for a holder line.
fn utc_clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 86_400);
    format!("{:02}:{:02}:{:02} UTC", secs / 3600, secs / 60 % 60, secs % 60)
}

fn truncate_label(label: &str, max: usize) -> &str {
    let mut end = label.len().min(max);
    while !label.is_char_boundary(end) {
        end -= 1;
    }
    &label[..end]
}

fn write_holder(file: &mut std::fs::File, label: &str) -> std::io::Result<()> {
    use std::io::{Seek, Write};
    file.set_len(0)?;
    file.seek(std::io::SeekFrom::Start(0))?;
    file.write_all(label.as_bytes())?;
    file.flush()
}

/// The holder line a SQLite lock file carries, while someone holds it.
fn file_holder(file: &mut std::fs::File) -> Option<String> {
    use std::io::{Read, Seek};
    let mut text = String::new();
    file.seek(std::io::SeekFrom::Start(0)).ok()?;
    file.take(300).read_to_string(&mut text).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

/// Waits up to `within` until no other program holds `path`'s SQLite write lock; the text
/// for the timeout otherwise. A file that does not exist yet has no holder.
async fn sqlite_writable(path: &std::path::Path, within: Duration) -> Result<(), String> {
    if !path.exists() {
        return Ok(());
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(within);
    let busy = |e: &sqlx::Error| match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c == "5" || c == "6" || c == "517"),
        _ => false,
    };
    let mut conn = match opts.connect().await {
        Ok(conn) => conn,
        Err(e) if busy(&e) => return Err(outside_holder(path)),
        // Not ours to judge here: the connection that does the work reports it properly.
        Err(_) => return Ok(()),
    };
    let taken = sqlx::raw_sql("BEGIN IMMEDIATE; ROLLBACK").execute(&mut conn).await;
    let _ = conn.close().await;
    match taken {
        Err(e) if busy(&e) => Err(outside_holder(path)),
        _ => Ok(()),
    }
}

fn outside_holder(path: &std::path::Path) -> String {
    format!("held by a program outside seedbed that keeps SQLite's write lock on {}", path.display())
}

/// Who holds the PostgreSQL advisory lock on `namespace`: its application name and address,
/// or those of the first few shared holders and how many there are.
async fn pg_holder(conn: &mut sqlx::PgConnection, namespace: &str) -> Option<String> {
    let rows = sqlx::query(
        "SELECT a.application_name, coalesce(host(a.client_addr), 'a local socket'), a.pid, \
                l.mode = 'ShareLock', count(*) OVER () \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND l.classid = $1::int4::oid AND l.objid = hashtext($2)::oid \
         ORDER BY a.backend_start LIMIT 3",
    )
    .bind(PG_LOCK_CLASS)
    .bind(namespace)
    .fetch_all(conn)
    .await
    .ok()?;
    let mut shared = false;
    let mut count = 0;
    let mut named = Vec::new();
    for row in &rows {
        let app: String = row.try_get(0).ok()?;
        let addr: String = row.try_get(1).ok()?;
        let pid: i32 = row.try_get(2).ok()?;
        shared = row.try_get(3).ok()?;
        count = row.try_get::<i64, _>(4).ok()?;
        let app = if app.is_empty() { "a client without an application name".into() } else { app };
        named.push(format!("{app} (server process {pid}, from {addr})"));
    }
    match (named.len(), shared) {
        (0, _) => None,
        (_, false) => Some(format!("held by {}", named[0])),
        (n, true) => {
            let more =
                if count > n as i64 { format!(" and {} more", count - n as i64) } else { String::new() };
            Some(format!("held by {count} shared holder(s): {}{more}", named.join(", ")))
        }
    }
}

/// Who holds the MariaDB lock `name`: MariaDB shows only the connection.
async fn mysql_holder(conn: &mut sqlx::MySqlConnection, name: &str) -> Option<String> {
    let row = sqlx::query(
        "SELECT p.ID, CAST(p.USER AS CHAR), CAST(p.HOST AS CHAR) FROM information_schema.PROCESSLIST p \
         WHERE p.ID = IS_USED_LOCK(?)",
    )
    .bind(name)
    .fetch_optional(conn)
    .await
    .ok()??;
    let id: u64 = row.try_get::<u64, _>(0).or_else(|_| row.try_get::<i64, _>(0).map(|v| v as u64)).ok()?;
    let user: String = row.try_get(1).ok()?;
    let host: String = row.try_get(2).ok()?;
    Some(format!("held by connection {id} of {user}@{host} (a seedbed migrating or seeding it)"))
}

/// The name of MariaDB's shared slot lock `slot` (1 to 64) on `namespace`: the main lock's
/// name and `#s<slot>`, hashed like it where that would pass 64 characters.
fn mysql_slot_name(namespace: &str, slot: usize) -> String {
    let main = mysql_lock_name(namespace);
    if main.len() + 4 <= 64 {
        return format!("{main}#s{slot}");
    }
    format!("seedbed:{}:{:016x}#s{slot}", &namespace[..namespace.len().min(32)], fnv1a(namespace))
}

/// MariaDB lock names are at most 64 characters; a database name may be 64 by itself.
fn mysql_lock_name(namespace: &str) -> String {
    let name = format!("seedbed:{namespace}");
    if name.len() <= 64 {
        return name;
    }
    format!("seedbed:{}:{:016x}", &namespace[..namespace.len().min(36)], fnv1a(namespace))
}

/// FNV-1a: stable across builds and machines, which every process sharing a lock needs.
fn fnv1a(namespace: &str) -> u64 {
    namespace
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
