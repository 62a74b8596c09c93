//! Opening a connection to a domain's namespace (creating the namespace when absent, or, for
//! reading commands, never), dropping and listing namespaces, and turning driver failures
//! into [`ConnectError`]s.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _, Executor as _, Row as _};
use sea_orm::{ConnectOptions, ConnectionTrait as _, Database, DatabaseConnection, DbErr, RuntimeErr};

use crate::target::Location;
use crate::{Backend, ConnectError, Target};

/// Connections per pool: the CLI and the tests do little in parallel within one domain, and
/// the test suite opens many pools side by side on one server.
const POOL_SIZE: u32 = 4;
const TIMEOUT: Duration = Duration::from_secs(10);

impl Target {
    /// Connects to `domain`'s namespace, creating the schema, database or file if it is absent.
    pub async fn connect(&self, domain: &str) -> Result<DatabaseConnection, ConnectError> {
        self.connect_waiting(domain, TIMEOUT).await
    }

    /// [`Target::connect`], where a SQLite statement waits up to `busy` for another program's
    /// lock on the file (a command's `--lock-timeout`) before it fails; servers queue by
    /// themselves.
    pub async fn connect_waiting(
        &self,
        domain: &str,
        busy: Duration,
    ) -> Result<DatabaseConnection, ConnectError> {
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { dir } => {
                let path = self.sqlite_path(domain).expect("a SQLite target");
                std::fs::create_dir_all(dir).map_err(|e| ConnectError::SqliteFile {
                    path: dir.display().to_string(),
                    detail: e.to_string(),
                })?;
                open_sqlite(&path, false, busy).await
            }
            Location::Server { backend: Backend::Postgres, url } => {
                let mut admin = self.admin_pg().await?;
                let created =
                    admin.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{ns}\""))).await;
                match created {
                    // IF NOT EXISTS is not atomic: a process creating the same schema at the
                    // same moment makes this one fail on the catalog's unique index.
                    Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {}
                    other => {
                        other.map_err(|e| self.classify(e))?;
                    }
                }
                let _ = admin.close().await;
                let mut opts = self.pool_options(url.as_str());
                opts.set_schema_search_path(ns);
                Database::connect(opts).await.map_err(|e| self.classify_db(e))
            }
            Location::Server { url, .. } => {
                let mut admin = self.admin_mysql().await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        // A binary collation makes comparisons, CHECKs and UNIQUE behave as on
                        // PostgreSQL and SQLite (case-sensitive), so one schema means one thing.
                        "CREATE DATABASE IF NOT EXISTS `{ns}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    )))
                    .await
                    .map_err(|e| self.classify(e))?;
                let _ = admin.close().await;
                let mut url = url.clone();
                url.set_path(&ns);
                Database::connect(self.pool_options(url.as_str())).await.map_err(|e| self.classify_db(e))
            }
        }
    }

    /// Connects to `domain`'s namespace, which must exist already: one connection fewer than
    /// [`Target::connect`], for callers that just created it (fixtures).
    pub async fn open(&self, domain: &str) -> Result<DatabaseConnection, ConnectError> {
        let ns = self.namespace(domain);
        match &self.location {
            Location::Server { backend: Backend::Postgres, url } => {
                let mut opts = self.pool_options(url.as_str());
                opts.set_schema_search_path(ns);
                Database::connect(opts).await.map_err(|e| self.classify_db(e))
            }
            Location::Server { url, .. } => {
                let mut url = url.clone();
                url.set_path(&ns);
                Database::connect(self.pool_options(url.as_str())).await.map_err(|e| self.classify_db(e))
            }
            Location::Sqlite { .. } => self.connect(domain).await,
        }
    }

    /// Connects to `domain`'s namespace for reading, creating nothing: no schema, database,
    /// directory or file. `None` when the namespace does not exist yet. A SQLite file is
    /// opened read-only, so that not even a journal is written beside it.
    pub async fn open_existing(&self, domain: &str) -> Result<Option<DatabaseConnection>, ConnectError> {
        match &self.location {
            Location::Sqlite { .. } => {
                let path = self.sqlite_path(domain).expect("a SQLite target");
                if !path.is_file() {
                    return Ok(None);
                }
                open_sqlite(&path, true, TIMEOUT).await.map(Some)
            }
            Location::Server { .. } if !self.namespace_exists(domain).await? => Ok(None),
            Location::Server { .. } => self.open(domain).await.map(Some),
        }
    }

    /// Whether `domain`'s namespace exists, without creating it.
    pub async fn namespace_exists(&self, domain: &str) -> Result<bool, ConnectError> {
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { .. } => Ok(self.sqlite_path(domain).expect("a SQLite target").exists()),
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut admin = self.admin_pg().await?;
                let row = sqlx::query("SELECT count(*) FROM pg_namespace WHERE nspname = $1")
                    .bind(&ns)
                    .fetch_one(&mut admin)
                    .await
                    .map_err(|e| self.classify(e))?;
                let _ = admin.close().await;
                Ok(row.get::<i64, _>(0) > 0)
            }
            Location::Server { .. } => {
                let mut admin = self.admin_mysql().await?;
                let row =
                    sqlx::query("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
                        .bind(&ns)
                        .fetch_one(&mut admin)
                        .await
                        .map_err(|e| self.classify(e))?;
                let _ = admin.close().await;
                Ok(row.get::<i64, _>(0) > 0)
            }
        }
    }

    /// Removes `domain`'s namespace and everything in it. Nothing outside it is touched.
    pub async fn drop_namespace(&self, domain: &str) -> Result<(), ConnectError> {
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { .. } => {
                let path = self.sqlite_path(domain).expect("a SQLite target");
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let file = format!("{}{suffix}", path.display());
                    match std::fs::remove_file(&file) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(ConnectError::SqliteFile { path: file, detail: e.to_string() });
                        }
                    }
                }
                Ok(())
            }
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut admin = self.admin_pg().await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{ns}\" CASCADE")))
                    .await
                    .map_err(|e| self.classify(e))?;
                let _ = admin.close().await;
                Ok(())
            }
            Location::Server { .. } => {
                let mut admin = self.admin_mysql().await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{ns}`")))
                    .await
                    .map_err(|e| self.classify(e))?;
                let _ = admin.close().await;
                Ok(())
            }
        }
    }

    /// Names of the namespaces on this target that start with `start`, for sweeping
    /// leftovers of crashed runs.
    pub async fn list_namespaces(&self, start: &str) -> Result<Vec<String>, ConnectError> {
        let mut names: Vec<String> = match &self.location {
            Location::Sqlite { dir } => match std::fs::read_dir(dir) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter_map(|n| n.strip_suffix(".sqlite3").map(str::to_owned))
                    .filter(|n| n.starts_with(start))
                    .collect(),
                Err(_) => Vec::new(),
            },
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut admin = self.admin_pg().await?;
                let rows = sqlx::query("SELECT nspname::text FROM pg_namespace")
                    .fetch_all(&mut admin)
                    .await
                    .map_err(|e| self.classify(e))?;
                let _ = admin.close().await;
                rows.iter().map(|r| r.get::<String, _>(0)).filter(|n| n.starts_with(start)).collect()
            }
            Location::Server { .. } => {
                let mut admin = self.admin_mysql().await?;
                let rows = sqlx::query("SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA")
                    .fetch_all(&mut admin)
                    .await
                    .map_err(|e| self.classify(e))?;
                let _ = admin.close().await;
                rows.iter().map(|r| r.get::<String, _>(0)).filter(|n| n.starts_with(start)).collect()
            }
        };
        names.sort();
        Ok(names)
    }

    fn pool_options(&self, url: &str) -> ConnectOptions {
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(POOL_SIZE)
            .min_connections(0)
            .connect_timeout(TIMEOUT)
            .acquire_timeout(TIMEOUT)
            .sqlx_logging(false);
        opts
    }

    /// One direct connection to the server, without a pool: a pool retries a refused
    /// connection until its timeout, which would hide the reason from the user.
    pub(crate) async fn admin_pg(&self) -> Result<sqlx::PgConnection, ConnectError> {
        let url = self.server_url().expect("a server target");
        let opts = sqlx::postgres::PgConnectOptions::from_str(url.as_str())
            .map_err(|e| self.classify(e))?
            .application_name("seedbed")
            .disable_statement_logging();
        tokio_timeout(opts.connect()).await.map_err(|e| self.classify(e))
    }

    pub(crate) async fn admin_mysql(&self) -> Result<sqlx::MySqlConnection, ConnectError> {
        let url = self.server_url().expect("a server target");
        let opts = sqlx::mysql::MySqlConnectOptions::from_str(url.as_str())
            .map_err(|e| self.classify(e))?
            .disable_statement_logging();
        tokio_timeout(opts.connect()).await.map_err(|e| self.classify(e))
    }

    fn classify_db(&self, err: DbErr) -> ConnectError {
        match err {
            DbErr::Conn(RuntimeErr::SqlxError(e))
            | DbErr::Exec(RuntimeErr::SqlxError(e))
            | DbErr::Query(RuntimeErr::SqlxError(e)) => match std::sync::Arc::try_unwrap(e) {
                Ok(e) => self.classify(e),
                Err(e) => self.other(e.to_string()),
            },
            other => self.other(db_detail(&other)),
        }
    }

    /// Turns a driver error into the one-line message a user can act on.
    pub(crate) fn classify(&self, err: sqlx::Error) -> ConnectError {
        let backend = self.backend();
        let endpoint = self.endpoint();
        let product = backend.product();
        let unreachable = |detail: String| {
            ConnectError::Unreachable {
            backend: product,
            endpoint: endpoint.clone(),
            detail,
            hint: match backend {
                Backend::Postgres => "start PostgreSQL (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or fix host and port in --database-url".into(),
                _ => "start MariaDB (e.g. `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`) or fix host and port in --database-url".into(),
            },
        }
        };
        match &err {
            sqlx::Error::Io(io) => unreachable(io.kind().to_string().replace('_', " ")),
            sqlx::Error::PoolTimedOut => unreachable(format!("no connection within {}s", TIMEOUT.as_secs())),
            sqlx::Error::Configuration(e) => self.other(format!("invalid connection settings: {e}")),
            sqlx::Error::Tls(e) => self.other(format!("TLS failed: {e}")),
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                let mysql_number =
                    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|e| e.number());
                let user = self.user().unwrap_or_else(|| "(default)".into());
                let auth = matches!(code.as_str(), "28P01" | "28000") || mysql_number == Some(1045);
                let no_db = code == "3D000" || mysql_number == Some(1049);
                if auth {
                    ConnectError::Auth { backend: product, endpoint, user }
                } else if no_db {
                    let database = self.server_database().unwrap_or_else(|| user.clone());
                    let (host, port) = endpoint.split_once(':').unwrap_or((&endpoint, ""));
                    let create = match backend {
                        Backend::Postgres => format!("createdb -h {host} -p {port} -U {user} {database}"),
                        _ => format!("mariadb -h {host} -P {port} -u {user} -e 'CREATE DATABASE {database}'"),
                    };
                    ConnectError::NoDatabase { backend: product, endpoint, database, create }
                } else {
                    self.other(db.message().to_owned())
                }
            }
            other => self.other(other.to_string()),
        }
    }

    fn other(&self, detail: String) -> ConnectError {
        ConnectError::Other { backend: self.backend().product(), endpoint: self.endpoint(), detail }
    }
}

async fn tokio_timeout<T>(
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    // Without a deadline an unroutable host would hang for the kernel's TCP timeout.
    tokio::time::timeout(TIMEOUT, fut).await.unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

/// A failure to open a SQLite file, told apart: a file that is no database (damaged, or
/// something else under the name) is not a permissions problem.
fn sqlite_error(path: &std::path::Path, err: &DbErr) -> ConnectError {
    let detail = db_detail(err);
    // SQLITE_NOTADB is 26; sqlx reports the code as text.
    let not_a_database = detail.contains("file is not a database") || detail.contains("(code: 26)");
    let path = path.display().to_string();
    if not_a_database { ConnectError::NotSqlite { path } } else { ConnectError::SqliteFile { path, detail } }
}

/// The driver's own words for a failure, without SeaORM's wrapping.
pub(crate) fn db_detail(err: &DbErr) -> String {
    match err {
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// Opens one domain's SQLite file: created when absent unless `read_only`, whose statements
/// wait up to `busy` for another connection's lock.
async fn open_sqlite(
    path: &std::path::Path,
    read_only: bool,
    busy: Duration,
) -> Result<DatabaseConnection, ConnectError> {
    let file = path.to_owned();
    let mut opts = ConnectOptions::new("sqlite://seedbed.sqlite3");
    opts.max_connections(1).sqlx_logging(false).map_sqlx_sqlite_opts(move |o| {
        // The file name is set here rather than in the URL so that any path works.
        o.filename(&file)
            .create_if_missing(!read_only)
            .read_only(read_only)
            .foreign_keys(true)
            .busy_timeout(busy)
            // A few dozen statements: the seeder's many-row INSERTs bypass this cache (they go
            // through SQLite's C API, seeds/src/load/sqlite.rs), and what else runs here is
            // small; a statement of a many-row INSERT can hold megabytes of bytecode.
            .statement_cache_capacity(24)
    });
    let db = Database::connect(opts).await.map_err(|e| sqlite_error(path, &e))?;
    // sqlx reads nothing on connect: make a file that is no database fail here, with its own
    // message, rather than in the first query.
    db.execute_unprepared("SELECT count(*) FROM sqlite_master").await.map_err(|e| sqlite_error(path, &e))?;
    Ok(db)
}
