//! Typed errors for reaching a database; every message is one line that names the problem
//! and the fix, and none of them ever contains a password.

use sea_orm::DbErr;
use thiserror::Error;

/// A database URL or namespace prefix that cannot be used, found before anything connects.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "malformed database URL `{redacted}` ({reason}); expected e.g. sqlite://.seedbed, postgres://user@127.0.0.1:5432/postgres or mysql://root@127.0.0.1:3306"
    )]
    Malformed { redacted: String, reason: String },
    #[error(
        "unsupported database URL scheme `{scheme}`; seedbed speaks sqlite://DIR, postgres:// (or postgresql://) and mysql:// (or mariadb://)"
    )]
    UnsupportedScheme { scheme: String },
    #[error(
        "SQLite URL `{url}` names a file, but seedbed keeps one SQLite file per domain: give a directory instead, e.g. sqlite://.seedbed"
    )]
    SqliteFile { url: String },
    #[error(
        "in-memory SQLite cannot hold seedbed's per-domain databases: give a directory instead, e.g. sqlite://.seedbed"
    )]
    SqliteMemory,
    #[error(
        "invalid namespace prefix `{prefix}`: use lowercase letters, digits and underscores, starting with a letter (at most 40 characters)"
    )]
    Prefix { prefix: String },
}

/// A failure to reach a domain's namespace.
#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("cannot reach {backend} at {endpoint} ({detail}): {hint}")]
    Unreachable { backend: &'static str, endpoint: String, detail: String, hint: String },
    #[error(
        "{backend} at {endpoint} refused the login of user `{user}` (wrong password or no such user): fix the user and password in --database-url or DATABASE_URL"
    )]
    Auth { backend: &'static str, endpoint: String, user: String },
    #[error(
        "database `{database}` does not exist on the {backend} server at {endpoint}: create it (e.g. `{create}`) or name an existing one in the URL"
    )]
    NoDatabase { backend: &'static str, endpoint: String, database: String, create: String },
    #[error("cannot open SQLite file {path}: {detail}; check that its directory is writable")]
    SqliteFile { path: String, detail: String },
    #[error(
        "{path} is not a SQLite database (damaged, or another kind of file): move it away, then restore the domain with `seedbed restore` or rebuild it with `seedbed bootstrap`"
    )]
    NotSqlite { path: String },
    #[error("{backend} at {endpoint}: {detail}")]
    Other { backend: &'static str, endpoint: String, detail: String },
}

/// The driver's own words, without SeaORM's "Execution Error: error returned from database:"
/// wrapping, on one line: what a message about a failed statement quotes.
pub fn driver_message(e: &DbErr) -> String {
    let text = match e {
        DbErr::Exec(r) | DbErr::Query(r) | DbErr::Conn(r) => r.to_string(),
        DbErr::Migration(s) | DbErr::Custom(s) => s.clone(),
        other => other.to_string(),
    };
    text.trim_start_matches("error returned from database: ").replace('\n', " ")
}
