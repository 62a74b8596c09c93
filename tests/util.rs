//! Test support: a database namespace of its own for each test on each backend, a way to
//! run the real `seedbed` binary, and assertions whose failures show what a debugger needs.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use sea_orm::sqlx::{Connection, Row};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr, sqlx};
use seedbed_core::{Backend, Target};
use seedbed_registry::{DOMAINS, Domain};
use seedbed_testserver::Kind;

/// Defines one test per backend: `backend_tests!(name)` makes `name::sqlite`,
/// `name::postgres` and `name::mysql`, each calling the async fn `name(Backend)`.
macro_rules! backend_tests {
    ($name:ident) => {
        mod $name {
            use seedbed_core::Backend;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                super::$name(Backend::MySql).await
            }
        }
    };
}
pub(crate) use backend_tests;

/// The server URL for `backend`: the throwaway server this test process started (see the
/// `seedbed-testserver` crate), or the one `SEEDBED_TEST_POSTGRES_URL` / `SEEDBED_TEST_MYSQL_URL`
/// names. `None` for SQLite.
pub fn server_url(backend: Backend) -> Option<String> {
    let kind = match backend {
        Backend::Sqlite => return None,
        Backend::Postgres => Kind::Postgres,
        Backend::MySql => Kind::MariaDb,
    };
    match seedbed_testserver::url(kind) {
        Ok(url) => Some(url),
        Err(e) => panic!("{}", unreachable_help(backend, &e.to_string())),
    }
}

const PREFIX_ROOT: &str = "sbt_";
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A namespace prefix no other test of any run uses: `sbt_{token}_{n}_`.
pub fn fresh_prefix() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{PREFIX_ROOT}{}_{n}_", token())
}

/// A namespace prefix of its own on one backend: every domain connected through it lives in
/// `sbt_{token}_{n}_{domain}` (the token is this test process's, see [`token`]), and all of
/// them are dropped when the value is dropped.
pub struct TestDb {
    pub backend: Backend,
    pub target: Target,
    sqlite_dir: Option<PathBuf>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let prefix = fresh_prefix();
        let (target, sqlite_dir) = match server_url(backend) {
            None => {
                let dir = std::env::temp_dir().join(format!("seedbed-test-{prefix}"));
                (Target::sqlite_dir(&dir), Some(dir))
            }
            Some(url) => (Target::parse(&url).expect("a valid test URL"), None),
        };
        let target = target.with_prefix(&prefix).expect("a valid prefix");
        if backend != Backend::Sqlite && seedbed_testserver::url_from_env(kind_of(backend)).is_some() {
            claim_and_sweep(backend, &target).await;
        }
        TestDb { backend, target, sqlite_dir }
    }

    /// The URL to hand to the `seedbed` binary.
    pub fn url(&self) -> String {
        match &self.sqlite_dir {
            Some(dir) => format!("sqlite://{}", dir.display()),
            None => server_url(self.backend).expect("a server backend"),
        }
    }

    pub fn prefix(&self) -> &str {
        self.target.prefix()
    }

    /// A connection to `domain`'s namespace, created if absent.
    pub async fn connect(&self, domain: &str) -> DatabaseConnection {
        match self.target.connect(domain).await {
            Ok(db) => db,
            Err(e) => panic!("{}", unreachable_help(self.backend, &e.to_string())),
        }
    }

    /// A connection to `domain` with every migration applied.
    pub async fn migrated(&self, domain: &Domain) -> DatabaseConnection {
        let db = self.connect(domain.name).await;
        (domain.migrator)().up(&db, None).await.unwrap_or_else(|e| panic!("migrating {}: {e}", domain.name));
        db
    }

    /// A `seedbed` command pointed at this test's namespaces, not yet started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = seedbed_command();
        cmd.args(args).env("DATABASE_URL", self.url()).env("SEEDBED_PREFIX", self.prefix());
        cmd
    }

    /// Runs `seedbed` pointed at this test's namespaces.
    pub fn seedbed(&self, args: &[&str]) -> Output {
        run(self.command(args))
    }

    /// Starts `seedbed` once per entry of `runs` at the same moment, and waits for them all.
    pub fn seedbed_at_once(&self, runs: &[&[&str]]) -> Vec<Output> {
        let children: Vec<_> = runs
            .iter()
            .map(|args| {
                let mut cmd = self.command(args);
                cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
                cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
            })
            .collect();
        children.into_iter().map(|c| c.wait_with_output().expect("a finished seedbed")).collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::env::var_os("SEEDBED_TEST_KEEP").is_some() {
            eprintln!("keeping test namespaces with prefix {} at {}", self.prefix(), self.url());
            return;
        }
        let target = self.target.clone();
        let dir = self.sqlite_dir.take();
        // Drop runs inside the test's runtime, which cannot block on itself: clean up from a
        // thread with a runtime of its own.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(names) = target.list_namespaces(target.prefix()).await {
                    drop_namespaces(&target, &names).await;
                }
            });
            if let Some(dir) = dir {
                let _ = std::fs::remove_dir_all(dir);
            }
        })
        .join()
        .ok();
    }
}

pub async fn drop_namespaces(target: &Target, names: &[String]) {
    for name in names {
        // Namespaces are `{prefix}{domain}`; an unprefixed target drops by full name.
        let bare = Target::clone(target).with_prefix("").expect("empty prefix is valid");
        let _ = bare.drop_namespace(name).await;
    }
}

fn kind_of(backend: Backend) -> Kind {
    if backend == Backend::Postgres { Kind::Postgres } else { Kind::MariaDb }
}

/// This test process's token: `h` and seven hex digits, random per process. It never parses
/// as a pid, so older checkouts, which judged `sbt_{pid}_` names by `/proc`, leave ours alone.
pub fn token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
        format!("h{:07x}", h.finish() & 0x0fff_ffff)
    })
}

/// The server-side lock that says a token's process is alive: a PostgreSQL advisory lock
/// (two-key form `(LOCK_CLASS, key)`, so it cannot meet seedbed's own single-key locks) or a
/// MariaDB named lock. The server frees it when the holder's session ends, whichever machine
/// it ran on.
pub fn token_lock(token: &str) -> (i32, String) {
    (u32::from_str_radix(&token[1..], 16).unwrap_or(0) as i32, format!("seedbed_test_{token}"))
}

/// The first key of the PostgreSQL advisory locks that hold test tokens ("sbtt").
pub const LOCK_CLASS: i32 = 0x7362_7474;

/// On a server named by `SEEDBED_TEST_*_URL`, which other runs and machines may share: takes
/// this process's token lock for the life of the process (once per backend), then drops the
/// namespaces of tokens whose lock nobody holds: their process is gone, on whatever machine.
/// Throwaway servers need neither: they die with the run.
async fn claim_and_sweep(backend: Backend, target: &Target) {
    static CLAIMED: Mutex<Vec<Backend>> = Mutex::new(Vec::new());
    {
        let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
        if claimed.contains(&backend) {
            return;
        }
        claimed.push(backend);
    }
    let url = server_url(backend).expect("a server backend");
    hold_token_lock(backend, url.clone());
    sweep_dead_tokens(backend, &url, target).await;
}

/// Drops the `sbt_{token}_*` namespaces of every token but ours whose lock nobody holds.
pub async fn sweep_dead_tokens(backend: Backend, url: &str, target: &Target) {
    let bare = Target::clone(target).with_prefix("").expect("empty prefix is valid");
    let Ok(names) = bare.list_namespaces(PREFIX_ROOT).await else { return };
    let mut tokens: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix(PREFIX_ROOT)?.split('_').next())
        .filter(|t| t.len() == 8 && t.starts_with('h') && *t != token())
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    for dead in tokens {
        if lock_is_free(backend, url, dead).await {
            let prefix = format!("{PREFIX_ROOT}{dead}_");
            let theirs: Vec<String> = names.iter().filter(|n| n.starts_with(&prefix)).cloned().collect();
            drop_namespaces(&bare, &theirs).await;
        }
    }
}

/// Opens a session that takes this process's token lock and keeps it, on a thread with a
/// runtime of its own (each test's runtime ends with the test).
fn hold_token_lock(backend: Backend, url: String) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let (key, name) = token_lock(token());
            let held = match backend {
                Backend::Postgres => match sqlx::PgConnection::connect(&url).await {
                    Ok(mut c) => sqlx::query("SELECT pg_advisory_lock($1, $2)")
                        .bind(LOCK_CLASS)
                        .bind(key)
                        .execute(&mut c)
                        .await
                        .map(|_| Box::new(c) as Box<dyn std::any::Any + Send>),
                    Err(e) => Err(e),
                },
                _ => match sqlx::MySqlConnection::connect(&url).await {
                    Ok(mut c) => sqlx::query("SELECT GET_LOCK(?, 0)")
                        .bind(name)
                        .execute(&mut c)
                        .await
                        .map(|_| Box::new(c) as Box<dyn std::any::Any + Send>),
                    Err(e) => Err(e),
                },
            };
            let ok = held.is_ok();
            let _ = tx.send(held.err().map(|e| e.to_string()));
            if ok {
                // Keep the session, and with it the lock, until the process ends.
                std::future::pending::<()>().await;
            }
        });
    });
    if let Ok(Some(e)) = rx.recv() {
        panic!("{}", unreachable_help(backend, &e));
    }
}

/// Whether nobody holds `token`'s lock. On PostgreSQL the check takes the lock and gives it back.
async fn lock_is_free(backend: Backend, url: &str, token: &str) -> bool {
    let (key, name) = token_lock(token);
    let free: Result<bool, sqlx::Error> = async {
        match backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(url).await?;
                let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1, $2)")
                    .bind(LOCK_CLASS)
                    .bind(key)
                    .fetch_one(&mut c)
                    .await?
                    .try_get(0)?;
                if got {
                    sqlx::query("SELECT pg_advisory_unlock($1, $2)")
                        .bind(LOCK_CLASS)
                        .bind(key)
                        .execute(&mut c)
                        .await?;
                }
                Ok(got)
            }
            _ => {
                let mut c = sqlx::MySqlConnection::connect(url).await?;
                let free: Option<i64> =
                    sqlx::query("SELECT IS_FREE_LOCK(?)").bind(name).fetch_one(&mut c).await?.try_get(0)?;
                Ok(free == Some(1))
            }
        }
    }
    .await;
    free.unwrap_or(false)
}

/// The message a test fails with when its server is down.
pub fn unreachable_help(backend: Backend, error: &str) -> String {
    let fix = match backend {
        Backend::Postgres | Backend::MySql => {
            "the suite starts a throwaway server of its own from the installed packages: run tests/run, \
             which installs what is missing (see docs/testing.md), or point SEEDBED_TEST_POSTGRES_URL / \
             SEEDBED_TEST_MYSQL_URL at a server that is up"
        }
        Backend::Sqlite => "check that the temporary directory is writable",
    };
    format!("{} is needed by this test and could not be used: {error}\n{fix}", backend.product())
}

/// Every registered domain.
pub fn domains() -> &'static [Domain] {
    DOMAINS
}

/// The `seedbed` binary built from this workspace.
pub fn seedbed_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seedbed-cli"));
    // Keep the developer's environment out of the binary's way.
    cmd.env_remove("DATABASE_URL").env_remove("SEEDBED_PREFIX").env_remove("RUST_BACKTRACE");
    cmd
}

pub fn run(mut cmd: Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Renders a finished command for a failure message.
pub fn show(out: &Output) -> String {
    format!(
        "exit status: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts a refusal: exit `code`, and every phrase of `expected` on stderr.
pub fn refused(out: &Output, code: i32, expected: &[&str], what: &str) {
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(code) && expected.iter().all(|e| said.contains(e)),
        "{what}: want exit {code} saying {expected:?}\n{}",
        show(out)
    );
}

/// Asserts that a command succeeded, showing its output if not.
pub fn assert_success(out: &Output) {
    assert!(out.status.success(), "command failed\n{}", show(out));
}

/// The kind of integrity rule a database refused a write for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    Check,
    ForeignKey,
    Unique,
    NotNull,
}

/// Which rule the driver reports `err` broke, and the constraint's name when it says.
pub fn violation(err: &DbErr) -> Option<(Violation, String)> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else {
        return None;
    };
    let sqlx::Error::Database(db) = &**e else { return None };
    let kind = match db.kind() {
        sqlx::error::ErrorKind::CheckViolation => Violation::Check,
        sqlx::error::ErrorKind::ForeignKeyViolation => Violation::ForeignKey,
        sqlx::error::ErrorKind::UniqueViolation => Violation::Unique,
        sqlx::error::ErrorKind::NotNullViolation => Violation::NotNull,
        // MariaDB reports a failed CHECK as error 4025, and SQLite a RESTRICT as a trigger
        // failure; sqlx maps neither.
        _ if db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some_and(|e| e.number() == 4025) => {
            Violation::Check
        }
        _ if db.message().contains("FOREIGN KEY constraint failed") => Violation::ForeignKey,
        _ => return None,
    };
    Some((kind, format!("{} {}", db.constraint().unwrap_or_default(), db.message())))
}
