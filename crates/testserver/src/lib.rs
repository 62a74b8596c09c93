//! Throwaway database servers for seedbed's tests: a private PostgreSQL cluster, a private
//! MariaDB and a three-node MariaDB Galera cluster, started from the installed binaries on
//! first use in a process, shared by every test of that process, and gone when it ends.
//!
//! Each server lives in a directory of its own under `$TMPDIR/seedbed-testservers/`, listens
//! on a free loopback port (and a socket in that directory), trades durability for speed
//! (`fsync=off`, `innodb_flush_log_at_trx_commit=0`, …) and, when the process runs as root,
//! runs as the `postgres` or `mysql` system user. Nothing outside that directory is read or
//! written: no system configuration file, no system service, no server of the user's.
//!
//! The servers cannot outlive the process that started them, however it ends:
//! - a normal exit (tests green or failed) stops them and removes their directories
//!   (an `atexit` hook);
//! - a kill (SIGKILL included) kills them too: they are started with a parent-death signal
//!   from a thread that lives as long as the process;
//! - each directory holds a lease (`lease`, an exclusive `flock` held by the owning process
//!   and inherited by its servers); a small watcher (`flock(1)`, outside the process group)
//!   waits for the lease to become free and removes the directory, and the next start on the
//!   machine reaps any directory whose lease is free, in case the watcher was killed too.
//!   The kernel frees the lease when the last holder dies: no pid is ever guessed at.
//!
//! `SEEDBED_TEST_POSTGRES_URL`, `SEEDBED_TEST_MYSQL_URL` and `SEEDBED_TEST_GALERA_URLS`
//! (three URLs, comma separated) point at existing servers instead; nothing is started then.

mod lease;
mod mariadb;
mod postgres;
mod process;

use std::fmt;
use std::sync::OnceLock;

/// Names an existing PostgreSQL server to use instead of a throwaway one.
pub const POSTGRES_ENV: &str = "SEEDBED_TEST_POSTGRES_URL";
/// Names an existing MariaDB/MySQL server to use instead of a throwaway one.
pub const MYSQL_ENV: &str = "SEEDBED_TEST_MYSQL_URL";
/// Names the nodes of an existing Galera cluster (comma separated) instead of a throwaway one.
pub const GALERA_ENV: &str = "SEEDBED_TEST_GALERA_URLS";
/// Where instance directories go (default `$TMPDIR/seedbed-testservers`).
pub const DIR_ENV: &str = "SEEDBED_TEST_SERVER_DIR";

/// A server kind the harness can provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    MariaDb,
    Galera,
}

impl Kind {
    /// The environment variable that points the suite at an existing server of this kind.
    pub fn env(self) -> &'static str {
        match self {
            Kind::Postgres => POSTGRES_ENV,
            Kind::MariaDb => MYSQL_ENV,
            Kind::Galera => GALERA_ENV,
        }
    }

    fn product(self) -> &'static str {
        match self {
            Kind::Postgres => "PostgreSQL",
            Kind::MariaDb => "MariaDB",
            Kind::Galera => "MariaDB Galera cluster",
        }
    }
}

/// Why a server could not be had: what went wrong and how to fix it, in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub kind: Kind,
    /// The server's binaries (or another required program) are not installed: a test may
    /// skip rather than fail, unless the run requires every server.
    pub missing: bool,
    pub reason: String,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no throwaway {} for the tests: {} (or set {} to an existing server)",
            self.kind.product(),
            self.reason,
            self.kind.env()
        )
    }
}

impl std::error::Error for Unavailable {}

pub(crate) fn missing(kind: Kind, reason: impl Into<String>) -> Unavailable {
    Unavailable { kind, missing: true, reason: reason.into() }
}

pub(crate) fn failed(kind: Kind, reason: impl Into<String>) -> Unavailable {
    Unavailable { kind, missing: false, reason: reason.into() }
}

/// The URL an existing server of `kind` is named by in the environment, if any.
pub fn url_from_env(kind: Kind) -> Option<String> {
    std::env::var(kind.env()).ok().filter(|u| !u.trim().is_empty())
}

/// A PostgreSQL URL for the tests (user `postgres`, database `postgres`): the server named by
/// `SEEDBED_TEST_POSTGRES_URL`, else this process's throwaway cluster, started on first use.
pub fn postgres_url() -> Result<String, Unavailable> {
    static SERVER: OnceLock<Result<String, Unavailable>> = OnceLock::new();
    if let Some(url) = url_from_env(Kind::Postgres) {
        return Ok(url);
    }
    SERVER.get_or_init(postgres::start).clone()
}

/// A MariaDB URL for the tests (user `root`, no password): the server named by
/// `SEEDBED_TEST_MYSQL_URL`, else this process's throwaway MariaDB, started on first use.
pub fn mysql_url() -> Result<String, Unavailable> {
    static SERVER: OnceLock<Result<String, Unavailable>> = OnceLock::new();
    if let Some(url) = url_from_env(Kind::MariaDb) {
        return Ok(url);
    }
    SERVER.get_or_init(mariadb::start_single).clone()
}

/// The URLs of the three nodes of a Galera cluster: those in `SEEDBED_TEST_GALERA_URLS`, else
/// this process's throwaway cluster, started on first use (which takes some seconds).
pub fn galera_urls() -> Result<Vec<String>, Unavailable> {
    static CLUSTER: OnceLock<Result<Vec<String>, Unavailable>> = OnceLock::new();
    if let Some(urls) = url_from_env(Kind::Galera) {
        let urls: Vec<String> =
            urls.split(',').map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
        if urls.len() < 2 {
            return Err(failed(
                Kind::Galera,
                format!("{GALERA_ENV} names {} node(s); give at least two", urls.len()),
            ));
        }
        return Ok(urls);
    }
    CLUSTER.get_or_init(mariadb::start_galera).clone()
}

/// The URL for `kind` (the first node's, for Galera).
pub fn url(kind: Kind) -> Result<String, Unavailable> {
    match kind {
        Kind::Postgres => postgres_url(),
        Kind::MariaDb => mysql_url(),
        Kind::Galera => galera_urls().map(|u| u[0].clone()),
    }
}

/// PostgreSQL's client tool `name` (`pg_dump`, `pg_restore`, `psql`) from the installation
/// the throwaway server is started from, so that a dump tool is never older than the server;
/// the bare name (found on `PATH`) when no such installation is found.
pub fn postgres_tool(name: &str) -> std::path::PathBuf {
    postgres::bindir().map(|bin| bin.join(name)).filter(|p| p.is_file()).unwrap_or_else(|| name.into())
}
