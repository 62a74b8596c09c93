//! Backing up and restoring one domain's namespace through each engine's own means: SQLite's
//! `VACUUM INTO` and a file swap, `pg_dump`/`pg_restore` of the domain's schema, and
//! `mariadb-dump`/`mariadb` of its database. Passwords reach the tools through their
//! environment (`PGPASSWORD`, `MYSQL_PWD`), never their command line.
//!
//! A restore checks the file before it touches anything, and replaces the namespace in a
//! way that keeps the old one until the new one is complete: a file swap on SQLite, a schema
//! kept aside under another name on PostgreSQL, a trial load into a scratch database on
//! MariaDB.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _, Executor as _, Row as _};
use thiserror::Error;

use crate::target::Location;
use crate::{Backend, ConnectError, Target};

#[derive(Debug, Error)]
pub enum BackupError {
    #[error("{path} already exists: choose another file, or remove it first")]
    Exists { path: String },
    #[error("{path} does not exist: give the file `seedbed backup` wrote")]
    Missing { path: String },
    #[error("nothing to back up: {what} does not exist (check --database-url and --prefix)")]
    NoNamespace { what: String },
    #[error(
        "{path} is not a seedbed backup of a {backend} domain ({detail}): give a file `seedbed backup` wrote on {backend}"
    )]
    NotABackup { path: String, backend: Backend, detail: String },
    #[error(
        "{path} holds the schema \"{found}\", not \"{expected}\": restore it with the --prefix it was taken with"
    )]
    WrongNamespace { path: String, found: String, expected: String },
    #[error("`{tool}` is not installed: install {package}, or put it on PATH")]
    ToolMissing { tool: String, package: &'static str },
    #[error("`{tool}` failed: {detail}")]
    Tool { tool: String, detail: String },
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Target(#[from] crate::TargetError),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Io { path: path.display().to_string(), detail: e.to_string() }
}

impl Target {
    /// Writes `domain`'s namespace to `file`, which must not exist yet.
    pub async fn backup(&self, domain: &str, file: &Path) -> Result<(), BackupError> {
        if file.exists() {
            return Err(BackupError::Exists { path: file.display().to_string() });
        }
        if !self.namespace_exists(domain).await? {
            return Err(BackupError::NoNamespace { what: self.describe(domain) });
        }
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { .. } => {
                let mut conn =
                    self.sqlite_conn(&self.sqlite_path(domain).expect("a SQLite target"), false).await?;
                let target = file.display().to_string().replace('\'', "''");
                conn.execute(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'"))).await.map_err(|e| {
                    BackupError::Io { path: file.display().to_string(), detail: e.to_string() }
                })?;
                let _ = conn.close().await;
                Ok(())
            }
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut cmd = self.pg_tool("pg_dump");
                cmd.args(["--format=custom", "--no-owner", "--no-privileges"])
                    .arg(format!("--schema={ns}"))
                    .arg(format!("--file={}", file.display()))
                    .arg(format!("--dbname={}", self.libpq_url()));
                run(cmd, "pg_dump", "PostgreSQL's client tools (postgresql-client)", None).await.map(drop)
            }
            Location::Server { .. } => {
                let tool = first_on_path(&["mariadb-dump", "mysqldump"]);
                let mut cmd = self.mysql_tool(&tool);
                cmd.args(["--single-transaction", "--routines", "--triggers"])
                    .arg(format!("--result-file={}", file.display()))
                    .arg(&ns);
                run(cmd, &tool, "MariaDB's client tools (mariadb-client)", None).await.map(drop)
            }
        }
    }

    /// Checks that `file` is a backup of `domain` that [`Target::restore`] can load here,
    /// without changing anything: before taking the domain's lock, say.
    pub async fn check_backup(&self, domain: &str, file: &Path) -> Result<(), BackupError> {
        let path = file.display().to_string();
        if !file.exists() {
            return Err(BackupError::Missing { path });
        }
        let not_a_backup = |detail: String| BackupError::NotABackup {
            path: file.display().to_string(),
            backend: self.backend(),
            detail,
        };
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { .. } => {
                let (header, _) = ends(file, 16)?;
                if !header.starts_with(b"SQLite format 3\0") {
                    return Err(not_a_backup("no SQLite header".into()));
                }
                let mut conn = self.sqlite_conn(file, true).await.map_err(|e| not_a_backup(e.to_string()))?;
                let check: Result<(String, i64), sqlx::Error> = async {
                    let ok: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await?.get(0);
                    let history: i64 =
                        sqlx::query("SELECT count(*) FROM sqlite_master WHERE name = 'seedbed_migrations'")
                            .fetch_one(&mut conn)
                            .await?
                            .get(0);
                    Ok((ok, history))
                }
                .await;
                let _ = conn.close().await;
                match check {
                    Ok((ok, 1)) if ok == "ok" => {}
                    Ok((ok, 0)) if ok == "ok" => {
                        return Err(not_a_backup("no seedbed migration history".into()));
                    }
                    Ok((ok, _)) => return Err(not_a_backup(ok)),
                    Err(e) => return Err(not_a_backup(e.to_string())),
                }
                Ok(())
            }
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut cmd = self.pg_tool("pg_restore");
                cmd.arg("--list").arg(file);
                let listing = run(cmd, "pg_restore", "PostgreSQL's client tools (postgresql-client)", None)
                    .await
                    .map_err(|e| match e {
                        BackupError::Tool { detail, .. } => not_a_backup(detail),
                        other => other,
                    })?;
                let schemas: Vec<&str> = listing
                    .lines()
                    .filter_map(|l| {
                        let words: Vec<&str> = l.split_whitespace().collect();
                        words.windows(3).find(|w| w[0] == "SCHEMA" && w[1] == "-").map(|w| w[2])
                    })
                    .collect();
                if !schemas.contains(&ns.as_str()) {
                    return Err(match schemas.first() {
                        Some(found) => {
                            BackupError::WrongNamespace { path, found: (*found).to_owned(), expected: ns }
                        }
                        None => not_a_backup("it holds no schema".into()),
                    });
                }
                Ok(())
            }
            Location::Server { .. } => {
                let (head, tail) = ends(file, 200)?;
                let (head, tail) = (String::from_utf8_lossy(&head), String::from_utf8_lossy(&tail));
                // Recent mariadb-dump versions put a sandbox-mode line before the banner.
                if !head
                    .lines()
                    .take(3)
                    .any(|l| l.starts_with("-- MariaDB dump") || l.starts_with("-- MySQL dump"))
                {
                    return Err(not_a_backup("no mariadb-dump header".into()));
                }
                if !tail.contains("-- Dump completed") {
                    return Err(not_a_backup("it stops before the end of the dump".into()));
                }
                Ok(())
            }
        }
    }

    /// Replaces `domain`'s namespace with the contents of `file`, written by [`Target::backup`]
    /// on the same backend. The file is checked first; a bad one changes nothing.
    pub async fn restore(&self, domain: &str, file: &Path) -> Result<(), BackupError> {
        self.check_backup(domain, file).await?;
        let not_a_backup = |detail: String| BackupError::NotABackup {
            path: file.display().to_string(),
            backend: self.backend(),
            detail,
        };
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { .. } => {
                let live = self.sqlite_path(domain).expect("a SQLite target");
                if let Some(dir) = live.parent() {
                    std::fs::create_dir_all(dir).map_err(io(dir))?;
                }
                // Copy beside the live file, then rename over it: the live file is whole until
                // the new one is.
                let mut incoming = live.clone().into_os_string();
                incoming.push(".restoring");
                let incoming = PathBuf::from(incoming);
                std::fs::copy(file, &incoming).map_err(io(&incoming))?;
                for suffix in ["-wal", "-shm", "-journal"] {
                    let mut side = live.clone().into_os_string();
                    side.push(suffix);
                    let _ = std::fs::remove_file(side);
                }
                std::fs::rename(&incoming, &live).map_err(io(&live))
            }
            Location::Server { backend: Backend::Postgres, .. } => {
                // Keep the live schema aside until the restore has committed.
                let aside = format!("{ns}_before_restore_{}", std::process::id());
                let existed = self.namespace_exists(domain).await?;
                let mut admin = self.admin_pg().await?;
                let sql = |s: String| sqlx::AssertSqlSafe(s);
                if existed {
                    admin
                        .execute(sql(format!("ALTER SCHEMA \"{ns}\" RENAME TO \"{aside}\"")))
                        .await
                        .map_err(|e| BackupError::Tool {
                            tool: "ALTER SCHEMA".into(),
                            detail: e.to_string(),
                        })?;
                }
                let mut cmd = self.pg_tool("pg_restore");
                cmd.args(["--single-transaction", "--no-owner", "--no-privileges", "--exit-on-error"])
                    .arg(format!("--dbname={}", self.libpq_url()))
                    .arg(file);
                let restored =
                    run(cmd, "pg_restore", "PostgreSQL's client tools (postgresql-client)", None).await;
                let outcome = match &restored {
                    Ok(_) if existed => {
                        admin.execute(sql(format!("DROP SCHEMA \"{aside}\" CASCADE"))).await.map(drop)
                    }
                    Ok(_) => Ok(()),
                    Err(_) if existed => admin
                        .execute(sql(format!("ALTER SCHEMA \"{aside}\" RENAME TO \"{ns}\"")))
                        .await
                        .map(drop),
                    Err(_) => Ok(()),
                };
                let _ = admin.close().await;
                restored?;
                outcome.map_err(|e| BackupError::Tool { tool: "DROP SCHEMA".into(), detail: e.to_string() })
            }
            Location::Server { .. } => {
                // Load it into a scratch database first: a file the server rejects changes
                // nothing; only then replace the live database.
                let trial = self.clone().with_prefix(&format!("sbrestore{}_", std::process::id()))?;
                trial.connect(domain).await?.close().await.ok();
                let tried = self.mysql_load(&trial.namespace(domain), file).await;
                trial.drop_namespace(domain).await?;
                tried.map_err(|e| match e {
                    BackupError::Tool { detail, .. } => not_a_backup(detail),
                    other => other,
                })?;
                self.drop_namespace(domain).await?;
                self.connect(domain).await?.close().await.ok();
                self.mysql_load(&ns, file).await
            }
        }
    }

    async fn sqlite_conn(&self, path: &Path, read_only: bool) -> Result<sqlx::SqliteConnection, BackupError> {
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(read_only)
            .connect()
            .await
            .map_err(|e| BackupError::Io { path: path.display().to_string(), detail: e.to_string() })
    }

    /// The server URL for libpq tools: no password (that goes in PGPASSWORD) and none of the
    /// driver-only parameters libpq would reject.
    fn libpq_url(&self) -> String {
        let mut url = self.server_url().expect("a server target").clone();
        let _ = url.set_password(None);
        let keep: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| matches!(k.as_ref(), "host" | "sslmode" | "sslrootcert"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        if !keep.is_empty() {
            url.query_pairs_mut().extend_pairs(keep);
        }
        if self.server_database().is_none() {
            let user = self.user().unwrap_or_else(|| "postgres".into());
            url.set_path(&user);
        }
        url.to_string()
    }

    fn pg_tool(&self, tool: &str) -> Command {
        let mut cmd = Command::new(tool);
        if let Some(password) = self.server_url().and_then(|u| u.password()) {
            cmd.env("PGPASSWORD", percent_decode(password));
        }
        cmd
    }

    fn mysql_tool(&self, tool: &str) -> Command {
        let url = self.server_url().expect("a server target");
        let mut cmd = Command::new(tool);
        cmd.arg(format!("--host={}", url.host_str().unwrap_or("localhost")));
        cmd.arg(format!("--port={}", url.port().unwrap_or(3306)));
        if !url.username().is_empty() {
            cmd.arg(format!("--user={}", percent_decode(url.username())));
        }
        if let Some((_, socket)) = url.query_pairs().find(|(k, _)| k == "socket") {
            cmd.arg(format!("--socket={socket}"));
        }
        match url.password() {
            Some(password) => cmd.env("MYSQL_PWD", percent_decode(password)),
            None => cmd.env_remove("MYSQL_PWD"),
        };
        cmd
    }

    async fn mysql_load(&self, database: &str, file: &Path) -> Result<(), BackupError> {
        let tool = first_on_path(&["mariadb", "mysql"]);
        let mut cmd = self.mysql_tool(&tool);
        cmd.arg(format!("--database={database}"));
        let input = std::fs::File::open(file).map_err(io(file))?;
        run(cmd, &tool, "MariaDB's client tools (mariadb-client)", Some(input)).await.map(drop)
    }
}

/// The first and the last `n` bytes of `file`, without reading what lies between.
fn ends(file: &Path, n: u64) -> Result<(Vec<u8>, Vec<u8>), BackupError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file).map_err(io(file))?;
    let len = f.metadata().map_err(io(file))?.len();
    let mut head = Vec::new();
    (&mut f).take(n).read_to_end(&mut head).map_err(io(file))?;
    f.seek(SeekFrom::Start(len.saturating_sub(n))).map_err(io(file))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).map_err(io(file))?;
    Ok((head, tail))
}

/// The first of `names` on PATH, or the first name (whose absence `run` then reports).
fn first_on_path(names: &[&str]) -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .find(|n| std::env::split_paths(&path).any(|dir| dir.join(n).is_file()))
        .unwrap_or(&names[0])
        .to_string()
}

/// A URL's user or password as typed: percent escapes decoded, `+` kept.
fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// Runs an engine tool off the async threads and returns its stdout; a failure is its
/// stderr's last meaningful line.
async fn run(
    mut cmd: Command,
    tool: &str,
    package: &'static str,
    stdin: Option<std::fs::File>,
) -> Result<String, BackupError> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(match stdin {
        Some(f) => Stdio::from(f),
        None => Stdio::null(),
    });
    let tool = tool.to_owned();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| BackupError::Tool { tool: tool.clone(), detail: e.to_string() })?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BackupError::ToolMissing { tool: tool.clone(), package },
            _ => BackupError::Tool { tool: tool.clone(), detail: e.to_string() },
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let detail = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .find(|l| l.contains("error") || l.contains("ERROR"))
            .or_else(|| stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
            .unwrap_or("no message")
            .to_owned();
        return Err(BackupError::Tool { tool, detail });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
