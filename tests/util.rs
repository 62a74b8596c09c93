//! Test support: a database namespace of its own for each test on each backend, a way to
//! run the real `seedbed` binary, and assertions whose failures show what a debugger needs.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{DatabaseConnection, DbErr, RuntimeErr, sqlx};
use seedbed::{DOMAINS, Domain};
use seedbed_core::{Backend, Target};

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

/// The server URL for `backend`, overridable with `SEEDBED_TEST_POSTGRES_URL` and
/// `SEEDBED_TEST_MYSQL_URL`.
pub fn server_url(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(
            std::env::var("SEEDBED_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        ),
        Backend::MySql => Some(
            std::env::var("SEEDBED_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into()),
        ),
    }
}

const PREFIX_ROOT: &str = "sbt_";
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A namespace prefix of its own on one backend: every domain connected through it lives in
/// `sbt_{pid}_{n}_{domain}`, and all of them are dropped when the value is dropped.
pub struct TestDb {
    pub backend: Backend,
    pub target: Target,
    sqlite_dir: Option<PathBuf>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("{PREFIX_ROOT}{}_{n}_", std::process::id());
        let (target, sqlite_dir) = match server_url(backend) {
            None => {
                let dir = std::env::temp_dir().join(format!("seedbed-test-{}-{n}", std::process::id()));
                (Target::sqlite_dir(&dir), Some(dir))
            }
            Some(url) => (Target::parse(&url).expect("a valid test URL"), None),
        };
        let target = target.with_prefix(&prefix).expect("a valid prefix");
        sweep_once(&target).await;
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

async fn drop_namespaces(target: &Target, names: &[String]) {
    for name in names {
        // Namespaces are `{prefix}{domain}`; an unprefixed target drops by full name.
        let bare = Target::clone(target).with_prefix("").expect("empty prefix is valid");
        let _ = bare.drop_namespace(name).await;
    }
}

/// Drops namespaces left by test processes that no longer run (a crashed or killed run).
async fn sweep_once(target: &Target) {
    static SQLITE: Once = Once::new();
    static POSTGRES: Once = Once::new();
    static MYSQL: Once = Once::new();
    let once = match target.backend() {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
        Backend::MySql => &MYSQL,
    };
    if once.is_completed() || target.backend() == Backend::Sqlite {
        return;
    }
    once.call_once(|| {});
    let bare = Target::clone(target).with_prefix("").expect("empty prefix is valid");
    let Ok(names) = bare.list_namespaces(PREFIX_ROOT).await else { return };
    let dead: Vec<String> = names
        .into_iter()
        .filter(|n| {
            let pid = n.trim_start_matches(PREFIX_ROOT).split('_').next().unwrap_or("");
            pid.parse::<u32>().is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
        })
        .collect();
    drop_namespaces(&bare, &dead).await;
}

/// The message a test fails with when its server is down.
pub fn unreachable_help(backend: Backend, error: &str) -> String {
    let start = match backend {
        Backend::Postgres => {
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set SEEDBED_TEST_POSTGRES_URL)"
        }
        Backend::MySql => {
            "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd (or set SEEDBED_TEST_MYSQL_URL)"
        }
        Backend::Sqlite => "check that the temporary directory is writable",
    };
    format!(
        "{} is needed by this test and could not be used: {error}\nstart it with: {start}",
        backend.product()
    )
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
