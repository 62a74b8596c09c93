//! Backing up and restoring one domain's namespace through each engine's own means: SQLite's
//! `VACUUM INTO`, a plain `pg_dump` script of the domain's schema, a `mariadb-dump` script of
//! its database. Passwords reach the tools through their environment (`PGPASSWORD`,
//! `MYSQL_PWD`), never their command line.
//!
//! Every backup says what it is: a [`Manifest`] (domain, backend, namespace, seedbed version,
//! applied migrations, digest) in a table of the SQLite file, or in SQL comment lines before a
//! dump script, with a trailer line after it that records the dump's length so that a truncated
//! file is known without loading it.
//!
//! A restore never leaves the domain half-made. It loads the file into a scratch namespace
//! `{prefix}sbr_{token}_{domain}`, has the caller verify it against the manifest, then swaps it
//! in with one step: a file rename on SQLite, two schema renames in one transaction on
//! PostgreSQL, one `RENAME TABLE` statement on MariaDB. The caller holds the domain's lock
//! throughout, so a scratch namespace seen by whoever holds that lock belongs to a dead run.

use std::io::{BufRead as _, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _, Executor as _, Row as _};
use thiserror::Error;

use crate::target::Location;
use crate::{Backend, ConnectError, DomainLock, LOCK_TABLE, Target};

/// The table that holds the manifest inside a SQLite backup; dropped from the scratch copy
/// before it becomes the domain.
pub const MANIFEST_TABLE: &str = "seedbed_backup_manifest";
/// Marks scratch namespaces of a restore: `{prefix}sbr_{token}_{domain}`.
const SCRATCH_MARK: &str = "sbr_";
const HEADER: &str = "-- seedbed backup 1";
const MANIFEST_LINE: &str = "-- seedbed-manifest ";
const HEADER_END: &str = "-- seedbed-manifest end";
const TRAILER: &str = "-- seedbed backup end: body bytes ";
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

#[derive(Debug, Error)]
pub enum BackupError {
    #[error("{path} already exists: choose another file, or remove it first")]
    Exists { path: String },
    #[error(
        "cannot write {path}: the directory {dir} does not exist; create it first, or choose another file"
    )]
    NoDirectory { path: String, dir: String },
    #[error("{path} does not exist: give the file `seedbed backup` wrote")]
    Missing { path: String },
    #[error("nothing to back up: {what} does not exist (check --database-url and --prefix)")]
    NoNamespace { what: String },
    #[error("{path} is not a seedbed backup: it is {what}; give a file `seedbed backup` wrote")]
    NotABackup { path: String, what: String },
    #[error("{path} is a truncated seedbed backup ({detail}); nothing was changed: use a complete copy")]
    Truncated { path: String, detail: String },
    #[error(
        "{path} is a seedbed backup of the {found} domain, not {expected}; nothing was changed: restore it with --domain {found}"
    )]
    WrongDomain { path: String, found: String, expected: String },
    #[error(
        "{path} is a seedbed backup of a {found} domain, and this target is {here}; nothing was changed: restore it on {found}"
    )]
    WrongBackend { path: String, found: Backend, here: Backend },
    #[error(
        "{path} does not hold what its manifest says ({detail}); nothing was changed: use a complete, unedited backup"
    )]
    Unverified { path: String, detail: String },
    #[error(
        "{objects} outside {namespace} depend on it, and replacing the domain would drop them; nothing was changed: drop them first, restore, then create them again"
    )]
    Dependents { namespace: String, objects: String },
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

/// What a backup holds, written into it by [`Target::backup`] and checked by
/// [`Target::check_backup`] and [`Target::restore`]. The caller assembles it: this crate
/// knows no domain, its migrations or its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub domain: String,
    pub backend: Backend,
    /// The namespace the backup was taken from (its prefix included).
    pub namespace: String,
    pub seedbed_version: String,
    /// The applied migrations, oldest first: version and checksum.
    pub migrations: Vec<(String, String)>,
    /// The digest of the domain's data when it was backed up.
    pub digest: String,
}

impl Manifest {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = [
            ("domain", self.domain.clone()),
            ("backend", self.backend.key().to_owned()),
            ("namespace", self.namespace.clone()),
            ("seedbed", self.seedbed_version.clone()),
            ("digest", self.digest.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        out.extend(self.migrations.iter().map(|(v, c)| ("migration".to_owned(), format!("{v} {c}"))));
        out
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Manifest, String> {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| format!("its manifest lacks `{key}`"))
        };
        let name = |key: &str| {
            let v = get(key)?;
            let plain =
                !v.is_empty() && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if plain { Ok(v) } else { Err(format!("its manifest has a malformed `{key}`")) }
        };
        let backend = get("backend")?;
        let backend = Backend::ALL
            .into_iter()
            .find(|b| b.key() == backend)
            .ok_or_else(|| format!("its manifest names an unknown backend `{backend}`"))?;
        let migrations = pairs
            .iter()
            .filter(|(k, _)| k == "migration")
            .map(|(_, v)| {
                v.split_once(' ')
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
                    .ok_or_else(|| "its manifest has a malformed `migration`".to_owned())
            })
            .collect::<Result<_, _>>()?;
        Ok(Manifest {
            domain: name("domain")?,
            backend,
            namespace: name("namespace")?,
            seedbed_version: get("seedbed")?,
            migrations,
            digest: get("digest")?,
        })
    }

    /// The comment lines that open a dump script.
    fn header(&self) -> String {
        let mut out = format!("{HEADER}\n");
        for (k, v) in self.pairs() {
            out.push_str(&format!("{MANIFEST_LINE}{k}={v}\n"));
        }
        out.push_str(HEADER_END);
        out.push('\n');
        out
    }
}

/// Where the engine's own data sits in a backup file.
enum Layout {
    Sqlite,
    /// A dump script: `len` bytes from `start`, between the manifest and the trailer.
    Script {
        start: u64,
        len: u64,
    },
}

impl Target {
    /// Refuses an output file that exists or whose directory does not, before anything runs.
    pub fn check_backup_output(&self, file: &Path) -> Result<(), BackupError> {
        let path = file.display().to_string();
        if file.exists() {
            return Err(BackupError::Exists { path });
        }
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(BackupError::NoDirectory { path, dir: dir.display().to_string() });
        }
        Ok(())
    }

    /// Writes `domain`'s namespace and `manifest` to `file`, which must not exist yet. The file
    /// appears whole or not at all: it is written under another name and linked into place.
    /// The caller holds the domain's lock, so that the manifest describes the data dumped.
    ///
    /// Returns the unfinished files of earlier backups to `file` that it removed: a backup
    /// holds a lock on its unfinished file while it writes, which the kernel releases when
    /// the process dies however it dies, so a file nobody holds is a leftover.
    pub async fn backup(
        &self,
        domain: &str,
        file: &Path,
        manifest: &Manifest,
    ) -> Result<Vec<PathBuf>, BackupError> {
        self.check_backup_output(file)?;
        if !self.namespace_exists(domain).await? {
            return Err(BackupError::NoNamespace { what: self.describe(domain) });
        }
        let ns = self.namespace(domain);
        let removed = remove_abandoned_partials(file);
        let mut partial = file.as_os_str().to_owned();
        partial.push(format!("{PARTIAL_INFIX}{}", token()));
        let partial = PathBuf::from(partial);
        // Created empty and locked before anything is written (SQLite's VACUUM INTO accepts an
        // empty file). Another backup starting in the instant between the two calls could take
        // it for a leftover and remove it: this one then fails at `publish` (its file is gone),
        // with an error and nothing lost, and the data is untouched either way.
        let held = std::fs::File::create_new(&partial).map_err(io(&partial))?;
        held.lock().map_err(io(&partial))?;
        let written = match &self.location {
            Location::Sqlite { .. } => self.backup_sqlite(domain, &partial, manifest).await,
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut cmd = self.pg_tool("pg_dump");
                cmd.args(["--format=plain", "--no-owner", "--no-privileges"])
                    .arg(format!("--schema={ns}"))
                    // The lease lock's row belongs to this run, not to the data.
                    .arg(format!("--exclude-table=\"{ns}\".{LOCK_TABLE}"))
                    .arg(format!("--dbname={}", self.libpq_url()));
                let (header, out) = (manifest.header(), partial.clone());
                blocking(move || dump(cmd, "pg_dump", PG_PACKAGE, &out, &header)).await
            }
            Location::Server { .. } => {
                let tool = first_on_path(&["mariadb-dump", "mysqldump"]);
                let mut cmd = self.mysql_tool(&tool);
                cmd.args(["--single-transaction", "--routines", "--triggers"])
                    .arg(format!("--ignore-table={ns}.{LOCK_TABLE}"))
                    .arg(&ns);
                let (header, out) = (manifest.header(), partial.clone());
                blocking(move || dump(cmd, &tool, MARIADB_PACKAGE, &out, &header)).await
            }
        };
        let published = written.and_then(|()| publish(&partial, file));
        let _ = std::fs::remove_file(&partial);
        drop(held);
        published.map(|()| removed)
    }

    async fn backup_sqlite(&self, domain: &str, out: &Path, manifest: &Manifest) -> Result<(), BackupError> {
        let mut conn = self.sqlite_conn(&self.sqlite_path(domain).expect("a SQLite target"), false).await?;
        let target = out.display().to_string().replace('\'', "''");
        let copied = conn.execute(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'"))).await;
        let _ = conn.close().await;
        copied.map_err(|e| BackupError::Io { path: out.display().to_string(), detail: e.to_string() })?;
        let mut conn = self.sqlite_conn(out, false).await?;
        let written: Result<(), sqlx::Error> = async {
            conn.execute(sqlx::AssertSqlSafe(format!(
                "CREATE TABLE {MANIFEST_TABLE} (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL)"
            )))
            .await?;
            for (seq, (k, v)) in manifest.pairs().into_iter().enumerate() {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO {MANIFEST_TABLE} (seq, key, value) VALUES (?, ?, ?)"
                )))
                .bind(seq as i64)
                .bind(k)
                .bind(v)
                .execute(&mut conn)
                .await?;
            }
            Ok(())
        }
        .await;
        let _ = conn.close().await;
        written.map_err(|e| BackupError::Io { path: out.display().to_string(), detail: e.to_string() })?;
        std::fs::File::open(out).and_then(|f| f.sync_all()).map_err(io(out))
    }

    /// Checks that `file` is a whole seedbed backup of `domain` taken on this backend, and
    /// returns its manifest, without changing anything: before taking the domain's lock, say.
    pub async fn check_backup(&self, domain: &str, file: &Path) -> Result<Manifest, BackupError> {
        self.read_backup(domain, file).await.map(|(m, _)| m)
    }

    async fn read_backup(&self, domain: &str, file: &Path) -> Result<(Manifest, Layout), BackupError> {
        let path = file.display().to_string();
        if !file.is_file() {
            return Err(BackupError::Missing { path });
        }
        let not_a_backup = |what: String| BackupError::NotABackup { path: path.clone(), what };
        let (head, _) = ends(file, 4096)?;
        let (manifest, layout) = if head.starts_with(SQLITE_MAGIC) {
            (self.sqlite_manifest(file).await.map_err(not_a_backup)?, Layout::Sqlite)
        } else if head.starts_with(HEADER.as_bytes()) {
            script_manifest(file)?
        } else {
            return Err(not_a_backup(identify(&head)));
        };
        if manifest.backend != self.backend() {
            return Err(BackupError::WrongBackend { path, found: manifest.backend, here: self.backend() });
        }
        if manifest.domain != domain {
            return Err(BackupError::WrongDomain {
                path,
                found: manifest.domain,
                expected: domain.to_owned(),
            });
        }
        Ok((manifest, layout))
    }

    /// The manifest of a SQLite backup, or what the file is instead.
    async fn sqlite_manifest(&self, file: &Path) -> Result<Manifest, String> {
        let damaged = |e: String| format!("a damaged or truncated SQLite database ({e})");
        let mut conn = self.sqlite_conn(file, true).await.map_err(|e| damaged(e.to_string()))?;
        let read: Result<(String, Vec<(String, String)>), sqlx::Error> = async {
            let ok: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await?.get(0);
            let has: i64 =
                sqlx::query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?")
                    .bind(MANIFEST_TABLE)
                    .fetch_one(&mut conn)
                    .await?
                    .get(0);
            let mut pairs = Vec::new();
            if has == 1 {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT key, value FROM {MANIFEST_TABLE} ORDER BY seq"
                )))
                .fetch_all(&mut conn)
                .await?;
                pairs = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            }
            Ok((ok, pairs))
        }
        .await;
        let _ = conn.close().await;
        match read {
            Ok((ok, _)) if ok != "ok" => Err(damaged(ok)),
            Ok((_, pairs)) if pairs.is_empty() => Err("a SQLite database without a seedbed manifest".into()),
            Ok((_, pairs)) => Manifest::from_pairs(pairs),
            Err(e) => Err(damaged(e.to_string())),
        }
    }

    /// The namespace a restore loads into before the swap: `{prefix}sbr_{token}{mark}_{domain}`.
    fn scratch(&self, token: &str, mark: &str) -> Target {
        Target {
            location: self.location.clone(),
            prefix: format!("{}{SCRATCH_MARK}{token}{mark}_", self.prefix),
        }
    }

    /// Scratch namespaces of `domain` that restores left behind (a run killed part-way).
    /// Only whoever holds the domain's lock may judge them dead: see
    /// [`Target::remove_restore_leftovers`].
    pub async fn restore_leftovers(&self, domain: &str) -> Result<Vec<String>, ConnectError> {
        let start = format!("{}{SCRATCH_MARK}", self.prefix);
        let names = self.list_namespaces(&start).await?;
        Ok(names
            .into_iter()
            .filter(|n| {
                let Some((token, rest)) = n[start.len()..].split_once('_') else { return false };
                rest == domain
                    && (8..=9).contains(&token.len())
                    && token.chars().all(|c| c.is_ascii_hexdigit() || c == 'o')
            })
            .collect())
    }

    /// Drops the scratch namespaces of `domain` that a killed restore left behind and returns
    /// their names. Holding the lock proves them dead: a live restore holds it throughout.
    pub async fn remove_restore_leftovers(
        &self,
        domain: &str,
        _held: &DomainLock,
    ) -> Result<Vec<String>, ConnectError> {
        // A loading tool that outlived a killed restore may still be writing (or committing)
        // a scratch namespace: wait until its session is over, so that nothing appears after
        // the sweep.
        let ns = self.namespace(domain);
        let lock_name = load_lock_name(&ns);
        let wait = match &self.location {
            Location::Sqlite { .. } => None,
            Location::Server { backend: Backend::Postgres, .. } => {
                let mut conn = self.admin_pg().await?;
                sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
                    .bind(PG_LOAD_CLASS)
                    .bind(&ns)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| self.classify(e))?;
                Some(Waited::Postgres(conn))
            }
            Location::Server { .. } => {
                let mut conn = self.admin_mysql().await?;
                sqlx::query("SELECT GET_LOCK(?, 60)")
                    .bind(&lock_name)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| self.classify(e))?;
                Some(Waited::MySql(conn))
            }
        };
        let dropped = async {
            let names = self.restore_leftovers(domain).await?;
            let bare = Target { location: self.location.clone(), prefix: String::new() };
            for name in &names {
                bare.drop_namespace(name).await?;
            }
            Ok(names)
        }
        .await;
        // Closing the session releases its lock.
        match wait {
            Some(Waited::Postgres(conn)) => drop(conn.close().await),
            Some(Waited::MySql(conn)) => drop(conn.close().await),
            None => {}
        }
        dropped
    }

    /// Replaces `domain` with the contents of `file`, written by [`Target::backup`] on this
    /// backend. The caller holds the domain's lock (`held`) from before this call until after
    /// it, and `verify` checks the loaded scratch namespace (its migrations and digest) against
    /// the manifest; `say` hears each stage. Killed at any instant, the domain is the old one
    /// or the new one, whole; what is left over is a scratch namespace that
    /// [`Target::remove_restore_leftovers`] removes.
    pub async fn restore(
        &self,
        domain: &str,
        file: &Path,
        _held: &DomainLock,
        say: &dyn Fn(&str),
        verify: impl AsyncFnOnce(Target) -> Result<(), String>,
    ) -> Result<(), BackupError> {
        let path = file.display().to_string();
        let token = token();
        let scratch = self.scratch(&token, "");
        say(&format!("{domain}: loading {path} into {}", scratch.describe(domain)));
        let unverified = |detail: String| BackupError::Unverified { path: path.clone(), detail };
        let loaded = self.load_into(domain, file, &token).await;
        let checked = match loaded {
            Ok(()) => verify(scratch.clone()).await.map_err(unverified),
            Err(e) => Err(e),
        };
        let checked = match checked {
            Ok(()) => self.outside_dependents(domain).await,
            Err(e) => Err(e),
        };
        if let Err(e) = checked {
            let _ = scratch.drop_namespace(domain).await;
            return Err(e);
        }
        say(&format!("{domain}: verified against its manifest; swapping it in"));
        let old = self.scratch(&token, "o");
        match &self.location {
            Location::Sqlite { .. } => self.swap_sqlite(domain, &scratch).await,
            Location::Server { backend: Backend::Postgres, .. } => self.swap_pg(domain, &scratch, &old).await,
            Location::Server { .. } => self.swap_mysql(domain, &scratch, &old).await,
        }
    }

    /// Loads `file` (a backup of `domain` on this backend) into a scratch namespace beside
    /// the live one, `{prefix}sbr_{token}_{domain}`, and returns the target that holds it;
    /// the live namespace is not changed. The caller holds the domain's lock (`held`) until
    /// it has dropped the scratch namespace: killed before that, the scratch namespace is a
    /// leftover that [`Target::remove_restore_leftovers`] removes. What `seedbed migrate
    /// rehearse` runs the pending migrations on.
    pub async fn load_scratch(
        &self,
        domain: &str,
        file: &Path,
        _held: &DomainLock,
    ) -> Result<Target, BackupError> {
        let token = token();
        let scratch = self.scratch(&token, "");
        if let Err(e) = self.load_into(domain, file, &token).await {
            let _ = scratch.drop_namespace(domain).await;
            return Err(e);
        }
        Ok(scratch)
    }

    /// A scratch target of a new token beside this one (`{prefix}sbr_{token}_`): its
    /// namespaces are what [`Target::restore_leftovers`] finds, so one that a killed command
    /// left behind is removed under the domain's lock like a restore's.
    pub fn scratch_target(&self) -> Target {
        self.scratch(&token(), "")
    }

    /// Loads `file` into the scratch namespace of `token` (see [`Target::restore`]).
    async fn load_into(&self, domain: &str, file: &Path, token: &str) -> Result<(), BackupError> {
        let (manifest, layout) = self.read_backup(domain, file).await?;
        let path = file.display().to_string();
        let token = token.to_owned();
        let scratch = self.scratch(&token, "");
        let unverified = |detail: String| BackupError::Unverified { path: path.clone(), detail };
        let loaded = match (&self.location, &layout) {
            (Location::Sqlite { .. }, _) => self.load_sqlite(domain, file, &scratch).await,
            (Location::Server { backend: Backend::Postgres, .. }, Layout::Script { start, len }) => {
                let hold = self.scratch(&token, "h").namespace(domain);
                self.load_pg(
                    &self.namespace(domain),
                    &token,
                    file,
                    *start,
                    *len,
                    &manifest.namespace,
                    &hold,
                    &scratch.namespace(domain),
                )
                .await
            }
            (Location::Server { .. }, Layout::Script { start, len }) => {
                self.load_mysql(&self.namespace(domain), file, *start, *len, &scratch.namespace(domain)).await
            }
            (Location::Server { .. }, Layout::Sqlite) => unreachable!("refused by the backend check"),
        };
        match loaded {
            Err(BackupError::Tool { tool, detail }) => {
                Err(unverified(format!("`{tool}` refused it: {detail}")))
            }
            other => other,
        }
    }

    async fn load_sqlite(&self, domain: &str, file: &Path, scratch: &Target) -> Result<(), BackupError> {
        let path = scratch.sqlite_path(domain).expect("a SQLite target");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::copy(file, &path).map_err(io(&path))?;
        let mut conn = self.sqlite_conn(&path, false).await?;
        let dropped = conn.execute(sqlx::AssertSqlSafe(format!("DROP TABLE {MANIFEST_TABLE}"))).await;
        let _ = conn.close().await;
        dropped.map_err(|e| BackupError::Io { path: path.display().to_string(), detail: e.to_string() })?;
        Ok(())
    }

    async fn swap_sqlite(&self, domain: &str, scratch: &Target) -> Result<(), BackupError> {
        let live = self.sqlite_path(domain).expect("a SQLite target");
        let incoming = scratch.sqlite_path(domain).expect("a SQLite target");
        std::fs::File::open(&incoming).and_then(|f| f.sync_all()).map_err(io(&incoming))?;
        if live.exists() {
            // Opening the live file rolls back a hot journal a crashed writer left, so that no
            // journal is left beside the path to be replayed into the new file.
            let mut conn = self.sqlite_conn(&live, false).await?;
            let _ = sqlx::query("SELECT count(*) FROM sqlite_master").fetch_one(&mut conn).await;
            let _ = conn.close().await;
        }
        std::fs::rename(&incoming, &live).map_err(io(&live))?;
        if let Some(dir) = live.parent() {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Loads a plain pg_dump script, which creates the schema `orig` it was taken from, and
    /// leaves it committed as `scratch` only. All in one transaction: a schema already called
    /// `orig` (the live domain, usually) is renamed to `hold` for its duration and renamed back
    /// before the commit, so nobody ever sees it moved.
    #[allow(clippy::too_many_arguments)]
    async fn load_pg(
        &self,
        ns: &str,
        token: &str,
        file: &Path,
        start: u64,
        len: u64,
        orig: &str,
        hold: &str,
        scratch: &str,
    ) -> Result<(), BackupError> {
        let rename_if = |from: &str, to: &str| {
            format!(
                "DO $sb$ BEGIN IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{from}') THEN EXECUTE 'ALTER SCHEMA \"{from}\" RENAME TO \"{to}\"'; END IF; END $sb$;\n"
            )
        };
        // Held by the loading session until it ends, so that a sweep can wait for a psql
        // that outlived a killed seedbed.
        let prelude = format!(
            "BEGIN;\nSELECT pg_advisory_xact_lock({PG_LOAD_CLASS}, hashtext('{ns}'));\n{}",
            rename_if(orig, hold)
        );
        // The last word before the commit: is the seedbed that fed this still there? If its
        // session no longer holds the run's lock, roll back rather than leave a scratch schema
        // behind, possibly after the next command swept.
        let alive_check = format!(
            "DO $sb$ BEGIN IF pg_try_advisory_lock({PG_LIVE_CLASS}, hashtext('{token}')) THEN RAISE EXCEPTION 'the seedbed restore that started this load is gone'; END IF; END $sb$;\n"
        );
        let postlude = format!(
            "\nALTER SCHEMA \"{orig}\" RENAME TO \"{scratch}\";\n{}{alive_check}COMMIT;\n",
            rename_if(hold, orig)
        );
        let mut alive = self.admin_pg().await?;
        sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
            .bind(PG_LIVE_CLASS)
            .bind(token)
            .execute(&mut alive)
            .await
            .map_err(|e| self.classify(e))?;
        let mut cmd = self.pg_tool("psql");
        cmd.args(["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"])
            .arg(format!("--dbname={}", self.libpq_url()));
        let parts = vec![
            Feed::Bytes(prelude.into_bytes()),
            Feed::Range { path: file.to_owned(), start, len },
            Feed::Bytes(postlude.into_bytes()),
        ];
        let loaded = blocking(move || feed(cmd, "psql", PG_PACKAGE, parts)).await;
        let _ = alive.close().await;
        loaded
    }

    async fn load_mysql(
        &self,
        ns: &str,
        file: &Path,
        start: u64,
        len: u64,
        scratch: &str,
    ) -> Result<(), BackupError> {
        let mut admin = self.admin_mysql().await?;
        let created = admin
            .execute(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE `{scratch}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )))
            .await;
        let _ = admin.close().await;
        created.map_err(|e| self.classify(e))?;
        let tool = first_on_path(&["mariadb", "mysql"]);
        let mut cmd = self.mysql_tool(&tool);
        cmd.arg(format!("--database={scratch}"));
        // Held by the loading session until it ends: see `remove_restore_leftovers`.
        let lock = format!("SELECT GET_LOCK('{}', 0);\n", load_lock_name(ns));
        let parts = vec![Feed::Bytes(lock.into_bytes()), Feed::Range { path: file.to_owned(), start, len }];
        blocking(move || feed(cmd, &tool, MARIADB_PACKAGE, parts)).await
    }

    /// Objects in other schemas that depend on the live domain's tables (a view, a foreign
    /// key): the swap would hand them the old tables, and dropping those would drop them.
    async fn outside_dependents(&self, domain: &str) -> Result<(), BackupError> {
        let ns = self.namespace(domain);
        let objects = match &self.location {
            Location::Sqlite { .. } => return Ok(()),
            Location::Server { backend: Backend::Postgres, .. } => self.pg_outside_dependents(&ns).await?,
            Location::Server { .. } => {
                // A foreign key from another database would follow the old tables aside and
                // stop their drop half-way.
                let mut admin = self.admin_mysql().await?;
                let rows = sqlx::query(
                    "SELECT DISTINCT CAST(CONCAT('foreign key ', CONSTRAINT_NAME, ' on table ', CONSTRAINT_SCHEMA, '.', TABLE_NAME) AS CHAR)
                     FROM information_schema.REFERENTIAL_CONSTRAINTS
                     WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND CONSTRAINT_SCHEMA <> ?
                     ORDER BY 1",
                )
                .bind(&ns)
                .bind(&ns)
                .fetch_all(&mut admin)
                .await
                .map_err(|e| self.classify(e));
                let _ = admin.close().await;
                rows?.iter().map(|r| r.get::<String, _>(0)).collect()
            }
        };
        if objects.is_empty() {
            return Ok(());
        }
        Err(BackupError::Dependents { namespace: self.describe(domain), objects: objects.join(", ") })
    }

    async fn pg_outside_dependents(&self, ns: &str) -> Result<Vec<String>, BackupError> {
        let mut admin = self.admin_pg().await?;
        let rows = sqlx::query(
            "SELECT DISTINCT coalesce(pg_describe_object('pg_class'::regclass, rc.oid, 0),
                                     pg_describe_object(d.classid, d.objid, 0)) AS what
             FROM pg_depend d
             JOIN pg_class c ON d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = $1
             LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
             LEFT JOIN pg_class rc ON rc.oid = r.ev_class
             LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
             LEFT JOIN pg_class kc ON kc.oid = k.conrelid
             WHERE coalesce(rc.relnamespace, kc.relnamespace) <> n.oid
             ORDER BY 1",
        )
        .bind(ns)
        .fetch_all(&mut admin)
        .await
        .map_err(|e| self.classify(e));
        let _ = admin.close().await;
        Ok(rows?.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    async fn swap_pg(&self, domain: &str, scratch: &Target, old: &Target) -> Result<(), BackupError> {
        let (ns, incoming, old) = (self.namespace(domain), scratch.namespace(domain), old.namespace(domain));
        let mut admin = self.admin_pg().await?;
        let swapped: Result<(), sqlx::Error> = async {
            let mut tx = admin.begin().await?;
            let live: i64 = sqlx::query("SELECT count(*) FROM pg_namespace WHERE nspname = $1")
                .bind(&ns)
                .fetch_one(&mut *tx)
                .await?
                .get(0);
            if live > 0 {
                tx.execute(sqlx::AssertSqlSafe(format!("ALTER SCHEMA \"{ns}\" RENAME TO \"{old}\""))).await?;
            }
            tx.execute(sqlx::AssertSqlSafe(format!("ALTER SCHEMA \"{incoming}\" RENAME TO \"{ns}\"")))
                .await?;
            // The lease lock's table (the lock this restore holds) comes back into the live
            // schema, in the same transaction.
            let lock_table: i64 =
                sqlx::query("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2")
                    .bind(&old)
                    .bind(LOCK_TABLE)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
            if live > 0 && lock_table > 0 {
                tx.execute(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS \"{ns}\".\"{LOCK_TABLE}\"")))
                    .await?;
                tx.execute(sqlx::AssertSqlSafe(format!(
                    "ALTER TABLE \"{old}\".\"{LOCK_TABLE}\" SET SCHEMA \"{ns}\""
                )))
                .await?;
            }
            tx.commit().await?;
            // The old domain is only a leftover now: the next command would sweep it too.
            tx_free_drop(&mut admin, &old).await
        }
        .await;
        let _ = admin.close().await;
        swapped.map_err(|e| BackupError::Connect(self.classify(e)))
    }

    async fn swap_mysql(&self, domain: &str, scratch: &Target, old: &Target) -> Result<(), BackupError> {
        let (ns, incoming, old) = (self.namespace(domain), scratch.namespace(domain), old.namespace(domain));
        let mut admin = self.admin_mysql().await?;
        let swapped: Result<(), sqlx::Error> = async {
            for db in [&ns, &old] {
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    )))
                    .await?;
            }
            let objects = async |conn: &mut sqlx::MySqlConnection, db: &str, kind: &str| {
                let rows = sqlx::query(
                    "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES
                     WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = ? ORDER BY TABLE_NAME",
                )
                .bind(db)
                .bind(kind)
                .fetch_all(conn)
                .await?;
                Ok::<Vec<String>, sqlx::Error>(rows.iter().map(|r| r.get::<String, _>(0)).collect())
            };
            // The lease lock's table stays where it is: the lock it holds is this restore's.
            let mut live_tables = objects(&mut admin, &ns, "BASE TABLE").await?;
            live_tables.retain(|t| t != LOCK_TABLE);
            let mut new_tables = objects(&mut admin, &incoming, "BASE TABLE").await?;
            new_tables.retain(|t| t != LOCK_TABLE);
            let live_views = objects(&mut admin, &ns, "VIEW").await?;
            let new_views = objects(&mut admin, &incoming, "VIEW").await?;
            // One statement, atomic across tables: the old tables out, the new ones in.
            let moves: Vec<String> = live_tables
                .iter()
                .map(|t| format!("`{ns}`.`{t}` TO `{old}`.`{t}`"))
                .chain(new_tables.iter().map(|t| format!("`{incoming}`.`{t}` TO `{ns}`.`{t}`")))
                .collect();
            if !moves.is_empty() {
                admin.execute(sqlx::AssertSqlSafe(format!("RENAME TABLE {}", moves.join(", ")))).await?;
            }
            // Views cannot move between databases. The live ones name their tables, so they
            // already read the new data; they are replaced by the backup's definitions, which
            // differ only when the backup was taken at another migration.
            for v in &new_views {
                let def: String = sqlx::query(
                    "SELECT CAST(VIEW_DEFINITION AS CHAR) FROM information_schema.VIEWS
                     WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                )
                .bind(&incoming)
                .bind(v)
                .fetch_one(&mut admin)
                .await?
                .get(0);
                let def = def.replace(&format!("`{incoming}`."), &format!("`{ns}`."));
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE OR REPLACE VIEW `{ns}`.`{v}` AS {def}")))
                    .await?;
            }
            for v in live_views.iter().filter(|v| !new_views.contains(v)) {
                admin.execute(sqlx::AssertSqlSafe(format!("DROP VIEW IF EXISTS `{ns}`.`{v}`"))).await?;
            }
            for db in [&old, &incoming] {
                admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{db}`"))).await?;
            }
            Ok(())
        }
        .await;
        let _ = admin.close().await;
        swapped.map_err(|e| BackupError::Connect(self.classify(e)))
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

/// Advisory-lock class of a restore's loading session (the domain locks use 0x5EED).
const PG_LOAD_CLASS: i32 = 0x5EEE;
/// Advisory-lock class of a restore's own session, held while its load runs: a load commits
/// only while its restore is alive.
const PG_LIVE_CLASS: i32 = 0x5EEF;

enum Waited {
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
}

/// The MariaDB lock a restore's loading session holds: at most 64 characters.
fn load_lock_name(ns: &str) -> String {
    let name = format!("seedbed-load:{ns}");
    if name.len() <= 64 {
        return name;
    }
    // FNV-1a: the same on every machine, which every process sharing the lock needs.
    let hash =
        ns.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("seedbed-load:{}:{hash:016x}", &ns[..ns.len().min(32)])
}

const PG_PACKAGE: &str = "PostgreSQL's client tools (postgresql-client)";
const MARIADB_PACKAGE: &str = "MariaDB's client tools (mariadb-client)";

async fn tx_free_drop(admin: &mut sqlx::PgConnection, schema: &str) -> Result<(), sqlx::Error> {
    admin.execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))).await.map(drop)
}

/// Eight hex digits, different for every run on every machine: no pid or host needed.
fn token() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
    );
    h.write_u32(std::process::id());
    format!("{:08x}", h.finish() as u32)
}

/// What follows a backup file's name in the name of its unfinished file.
const PARTIAL_INFIX: &str = ".partial-";

/// Removes the unfinished files of earlier backups to `file` whose writers are gone (nobody
/// holds their lock), and names them. A backup running now holds its lock: its file stays.
fn remove_abandoned_partials(file: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else { return Vec::new() };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let prefix = format!("{}{PARTIAL_INFIX}", name.to_string_lossy());
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let path = entry.path();
        let Ok(f) = std::fs::File::options().write(true).open(&path) else { continue };
        // Removed while locked, so that no backup starting now can take it for its own.
        if f.try_lock().is_ok() && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

/// Moves a finished `partial` file to `file` unless `file` appeared meanwhile.
fn publish(partial: &Path, file: &Path) -> Result<(), BackupError> {
    match std::fs::hard_link(partial, file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(BackupError::Exists { path: file.display().to_string() })
        }
        // A file system without hard links: rename, having checked just before.
        Err(_) if !file.exists() => std::fs::rename(partial, file).map_err(io(file)),
        Err(e) => Err(io(file)(e)),
    }
}

/// What a file that carries no manifest is, for the refusal.
fn identify(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let first_lines = |needle: &str| text.lines().take(12).any(|l| l.starts_with(needle));
    let what = if head.is_empty() {
        "an empty file"
    } else if head.starts_with(SQLITE_MAGIC) {
        "a SQLite database without a seedbed manifest"
    } else if head.starts_with(b"PGDMP") {
        "a pg_dump archive without a seedbed manifest"
    } else if first_lines("-- PostgreSQL database dump") {
        "a plain pg_dump script without a seedbed manifest"
    } else if first_lines("-- MariaDB dump") || first_lines("-- MySQL dump") {
        "a mariadb-dump script without a seedbed manifest"
    } else {
        "neither a SQLite database nor a dump script"
    };
    what.to_owned()
}

/// The manifest of a dump script and where its dump lies; a truncated file is refused here,
/// before anything is loaded.
fn script_manifest(file: &Path) -> Result<(Manifest, Layout), BackupError> {
    let path = file.display().to_string();
    let f = std::fs::File::open(file).map_err(io(file))?;
    let total = f.metadata().map_err(io(file))?.len();
    let mut reader = std::io::BufReader::new(f);
    let mut pairs = Vec::new();
    let mut start = 0u64;
    let mut line = String::new();
    let truncated = |detail: String| BackupError::Truncated { path: path.clone(), detail };
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io(file))?;
        if n == 0 {
            return Err(truncated("it ends inside its manifest".into()));
        }
        start += n as u64;
        let l = line.trim_end_matches('\n');
        if l == HEADER_END {
            break;
        }
        if let Some(kv) = l.strip_prefix(MANIFEST_LINE) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            pairs.push((k.to_owned(), v.to_owned()));
        } else if l != HEADER {
            return Err(BackupError::NotABackup {
                path,
                what: "a file with a damaged seedbed manifest".into(),
            });
        }
    }
    let manifest = Manifest::from_pairs(pairs).map_err(|detail| BackupError::NotABackup {
        path: path.clone(),
        what: format!("a file whose manifest is damaged: {detail}"),
    })?;
    let (_, tail) = ends(file, 128)?;
    let tail = String::from_utf8_lossy(&tail);
    let last = tail.trim_end_matches('\n').rsplit('\n').next().unwrap_or_default();
    let Some(len) = last.strip_prefix(TRAILER).and_then(|n| n.parse::<u64>().ok()) else {
        return Err(truncated(format!("it stops after {total} bytes, before its end line")));
    };
    let trailer = format!("{TRAILER}{len}\n").len() as u64;
    if start + len + trailer != total {
        return Err(truncated(format!("{total} bytes where its end line says {}", start + len + trailer)));
    }
    Ok((manifest, Layout::Script { start, len }))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(BackupError::Tool { tool: "seedbed".into(), detail: e.to_string() }))
}

fn spawn(cmd: &mut Command, tool: &str, package: &'static str) -> Result<std::process::Child, BackupError> {
    cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => BackupError::ToolMissing { tool: tool.to_owned(), package },
        _ => BackupError::Tool { tool: tool.to_owned(), detail: e.to_string() },
    })
}

/// Collects a child's stderr on a thread of its own, so that neither side blocks the other.
fn collect_stderr(child: &mut std::process::Child) -> std::thread::JoinHandle<String> {
    let mut stderr = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    })
}

/// A failed tool's stderr, cut to its first error line (or its last line).
fn failure_detail(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .find(|l| l.contains("error") || l.contains("ERROR"))
        .or_else(|| stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
        .unwrap_or("no message")
        .to_owned()
}

/// Runs a dump tool with its stdout streamed into `out` between the manifest and the trailer.
/// The tool writes through a pipe, so it dies with seedbed instead of writing on alone.
fn dump(
    mut cmd: Command,
    tool: &str,
    package: &'static str,
    out: &Path,
    header: &str,
) -> Result<(), BackupError> {
    // The caller made it, empty, and holds its lock.
    let mut file = std::fs::File::options().write(true).open(out).map_err(io(out))?;
    file.write_all(header.as_bytes()).map_err(io(out))?;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = spawn(&mut cmd, tool, package)?;
    let errors = collect_stderr(&mut child);
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let copied = std::io::copy(&mut stdout, &mut file);
    drop(stdout);
    let status =
        child.wait().map_err(|e| BackupError::Tool { tool: tool.to_owned(), detail: e.to_string() })?;
    let stderr = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(BackupError::Tool { tool: tool.to_owned(), detail: failure_detail(&stderr) });
    }
    let len = copied.map_err(io(out))?;
    file.write_all(format!("{TRAILER}{len}\n").as_bytes()).map_err(io(out))?;
    file.sync_all().map_err(io(out))
}

enum Feed {
    Bytes(Vec<u8>),
    Range { path: PathBuf, start: u64, len: u64 },
}

/// Runs a loading tool with `parts` streamed into its stdin. Through a pipe, so that the tool
/// sees the end of its input, and stops, when seedbed dies.
fn feed(mut cmd: Command, tool: &str, package: &'static str, parts: Vec<Feed>) -> Result<(), BackupError> {
    cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = spawn(&mut cmd, tool, package)?;
    let errors = collect_stderr(&mut child);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let written: std::io::Result<()> = (|| {
        for part in parts {
            match part {
                Feed::Bytes(b) => stdin.write_all(&b)?,
                Feed::Range { path, start, len } => {
                    let mut f = std::fs::File::open(path)?;
                    f.seek(SeekFrom::Start(start))?;
                    std::io::copy(&mut f.take(len), &mut stdin)?;
                }
            }
        }
        Ok(())
    })();
    drop(stdin);
    let status =
        child.wait().map_err(|e| BackupError::Tool { tool: tool.to_owned(), detail: e.to_string() })?;
    let stderr = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(BackupError::Tool { tool: tool.to_owned(), detail: failure_detail(&stderr) });
    }
    written.map_err(|e| BackupError::Tool { tool: tool.to_owned(), detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            domain: "draw".into(),
            backend: Backend::MySql,
            namespace: "ci_draw".into(),
            seedbed_version: "0.1.0".into(),
            migrations: vec![("m1_a".into(), "aa".into()), ("m2_b".into(), "bb".into())],
            digest: "d1".into(),
        }
    }

    /// Writes a script backup of `body` whose last `cut` bytes are lost, and reads it back.
    fn read_script(body: &str, cut: usize) -> Result<(Manifest, u64, u64), BackupError> {
        let dir = std::env::temp_dir().join(format!("seedbed-manifest-{}-{}", std::process::id(), token()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("b.sql");
        let text = format!("{}{body}{TRAILER}{}\n", manifest().header(), body.len());
        std::fs::write(&file, &text.as_bytes()[..text.len() - cut]).unwrap();
        let read = script_manifest(&file).map(|(m, layout)| match layout {
            Layout::Script { start, len } => (m, start, len),
            Layout::Sqlite => unreachable!(),
        });
        std::fs::remove_dir_all(dir).unwrap();
        read
    }

    #[test]
    fn a_script_manifest_reads_back_as_written() {
        let body = "CREATE TABLE t (id int);\n";
        let (m, start, len) = read_script(body, 0).unwrap();
        assert_eq!(m, manifest());
        assert_eq!((start, len), (manifest().header().len() as u64, body.len() as u64));
    }

    #[test]
    fn a_script_cut_anywhere_after_its_manifest_is_truncated() {
        let body = "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n";
        for cut in [1, 5, 20, 40, 60] {
            match read_script(body, cut) {
                Err(BackupError::Truncated { .. }) => {}
                other => panic!("cut {cut} bytes: expected a truncated backup, got {other:?}"),
            }
        }
    }

    fn check_identify(head: &[u8], expected: &str) {
        assert_eq!(identify(head), expected, "{:?}", String::from_utf8_lossy(head));
    }

    #[test]
    fn names_what_a_file_without_a_manifest_is() {
        check_identify(b"", "an empty file");
        check_identify(b"SQLite format 3\0rest", "a SQLite database without a seedbed manifest");
        check_identify(b"PGDMP\x01\x0e", "a pg_dump archive without a seedbed manifest");
        check_identify(
            b"--\n-- PostgreSQL database dump\n--\n",
            "a plain pg_dump script without a seedbed manifest",
        );
        check_identify(
            b"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n",
            "a mariadb-dump script without a seedbed manifest",
        );
        check_identify(b"hello\n", "neither a SQLite database nor a dump script");
    }
}
