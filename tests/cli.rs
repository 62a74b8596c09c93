//! The `seedbed` binary, run as a user would: what `migrate` prints, where it finds its
//! URL, and a catalogue of bad inputs that must each give one line, the right exit code,
//! no panic or backtrace, no password, and no change to the database.

use std::process::Output;
use std::time::Duration;

use sea_orm::ConnectionTrait;
use seedbed_core::Backend;
use seedbed_migration::HISTORY_TABLE;

use crate::util::{TestDb, assert_success, backend_tests, domains, run, seedbed_command, server_url, show};

const SECRET: &str = "s3cret-pw";

/// Asserts the shape every failure must have, then returns stderr.
fn assert_fails(out: &Output, code: i32, needle: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let context = show(out);
    assert_eq!(out.status.code(), Some(code), "wrong exit code\n{context}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "the error must be one line\n{context}");
    assert!(stderr.starts_with("error: "), "the error must start with `error: `\n{context}");
    assert!(stderr.contains(needle), "the error must mention {needle:?}\n{context}");
    for forbidden in ["panicked", "backtrace", "RUST_BACKTRACE", SECRET] {
        assert!(
            !stderr.contains(forbidden) && !String::from_utf8_lossy(&out.stdout).contains(forbidden),
            "output shows {forbidden:?}\n{context}"
        );
    }
    stderr
}

fn seedbed(args: &[&str]) -> Output {
    let mut cmd = seedbed_command();
    cmd.args(args).current_dir(std::env::temp_dir());
    run(cmd)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A directory of the test's own under the temporary directory, removed when the test ends,
/// whether it passes or not.
struct ScratchDir(std::path::PathBuf);

impl ScratchDir {
    fn new(name: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("seedbed-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir)
    }
}

impl std::ops::Deref for ScratchDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for ScratchDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A bad command line: what to run (and where, for cases about `.env`) and what must come back.
struct Bad {
    args: Vec<String>,
    cwd: Option<std::path::PathBuf>,
    code: i32,
    needle: &'static str,
}

fn bad(args: &[&str], code: i32, needle: &'static str) -> Bad {
    Bad { args: args.iter().map(|a| a.to_string()).collect(), cwd: None, code, needle }
}

impl Bad {
    /// Runs the case in `dir` instead of the temporary directory.
    fn in_dir(mut self, dir: &std::path::Path) -> Bad {
        self.cwd = Some(dir.to_owned());
        self
    }

    fn run(&self) -> Output {
        let mut cmd = seedbed_command();
        cmd.args(&self.args).current_dir(self.cwd.clone().unwrap_or_else(std::env::temp_dir));
        run(cmd)
    }
}

#[test]
fn bad_command_lines_get_one_line_and_an_exit_code() {
    let pg = server_url(Backend::Postgres).unwrap();
    let pg_host = pg.split('@').nth(1).unwrap().split('/').next().unwrap().to_owned();
    let my = server_url(Backend::MySql).unwrap();
    let my_host = my.split('@').nth(1).unwrap().split('/').next().unwrap().to_owned();
    // A SQLite target whose draw domain another process holds, and a file that is no backup.
    let busy_dir = ScratchDir::new("busy");
    let busy = format!("sqlite://{}", busy_dir.display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let held = rt
        .block_on(seedbed_core::Target::parse(&busy).unwrap().lock("draw", Duration::ZERO, |_| {}))
        .expect("a free lock");
    let garbage = busy_dir.join("garbage.backup");
    std::fs::write(&garbage, "not a backup").unwrap();
    let garbage = garbage.display().to_string();
    // A domain file that is no SQLite database, and a directory whose .env cannot be parsed.
    let damaged = busy_dir.join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("draw.sqlite3"), vec![0x5a_u8; 4096]).unwrap();
    let damaged_url = format!("sqlite://{}", damaged.display());
    let dotenv_dir = busy_dir.join("dotenv");
    std::fs::create_dir_all(&dotenv_dir).unwrap();
    std::fs::write(dotenv_dir.join(".env"), format!("A=1\nDATABASE_URL=\"postgres://u:{SECRET}@h/db\n"))
        .unwrap();
    let never = busy_dir.join("never-created");
    let never_url = format!("sqlite://{}", never.display());
    // A PostgreSQL backup cut short: its manifest is whole, its end line is gone.
    let truncated = busy_dir.join("truncated.backup");
    std::fs::write(
        &truncated,
        "-- seedbed backup 1\n-- seedbed-manifest domain=draw\n-- seedbed-manifest backend=postgres\n\
         -- seedbed-manifest namespace=draw\n-- seedbed-manifest seedbed=0.1.0\n-- seedbed-manifest digest=00\n\
         -- seedbed-manifest end\nCREATE SCHEMA draw;\nCREATE TABLE dr",
    )
    .unwrap();
    let truncated = truncated.display().to_string();
    let nowhere = busy_dir.join("missing").join("dir").join("draw.backup").display().to_string();
    let cases = [
        bad(&["migrate", "up", "--domain", "lottery"], 2, "invalid value 'lottery'"),
        bad(&["migrate", "sideways"], 2, "unrecognized subcommand"),
        bad(&["migrate", "down", "-n", "0"], 2, "invalid value '0' for '--steps <N>'"),
        bad(&["migrate", "up", "--prefix", "Bad-Prefix"], 2, "invalid namespace prefix"),
        bad(
            &["migrate", "up", "--concurrently", "--database-url", "sqlite://unused"],
            2,
            "leave the flag out",
        ),
        bad(
            &["migrate", "up", "--database-url", &format!("postgres://u:{SECRET}@:5432/x")],
            2,
            "malformed database URL",
        ),
        bad(
            &["migrate", "up", "--database-url", &format!("postgres://u:{SECRET}@h:port/x")],
            2,
            "malformed database URL",
        ),
        bad(
            &["migrate", "up", "--database-url", &format!("redis://u:{SECRET}@localhost")],
            2,
            "unsupported database URL scheme `redis`",
        ),
        bad(&["migrate", "up", "--database-url", "sqlite://seedbed.db"], 2, "one SQLite file per domain"),
        bad(
            &["migrate", "status", "--database-url", &format!("postgres://u:{SECRET}@127.0.0.1:1/db")],
            3,
            "cannot reach PostgreSQL at 127.0.0.1:1",
        ),
        bad(
            &["migrate", "status", "--database-url", &format!("mysql://root:{SECRET}@127.0.0.1:1")],
            3,
            "cannot reach MariaDB/MySQL at 127.0.0.1:1",
        ),
        bad(
            &["migrate", "status", "--database-url", &format!("mysql://root:{SECRET}@{my_host}")],
            3,
            "refused the login of user `root`",
        ),
        bad(
            &[
                "migrate",
                "status",
                "--database-url",
                &format!("postgres://no_such_role_x:{SECRET}@{pg_host}/postgres"),
            ],
            3,
            "refused the login of user `no_such_role_x`",
        ),
        bad(
            &[
                "migrate",
                "status",
                "--database-url",
                &format!("postgres://postgres@{pg_host}/seedbed_no_such_db"),
            ],
            3,
            "database `seedbed_no_such_db` does not exist",
        ),
        bad(
            &["migrate", "status", "--database-url", &format!("mysql://root@{my_host}/seedbed_no_such_db")],
            3,
            "database `seedbed_no_such_db` does not exist",
        ),
        bad(&["migrate", "repair", "--update-checksum"], 2, "unexpected argument '--update-checksum'"),
        bad(&["migrate", "verify", "--domain", "lottery"], 2, "invalid value 'lottery'"),
        bad(&["migrate", "drift", "--dry-run"], 2, "unexpected argument '--dry-run'"),
        bad(
            &["migrate", "up", "--lock-timeout", "soon"],
            2,
            "invalid value 'soon' for '--lock-timeout <SECS>'",
        ),
        bad(
            &["migrate", "fresh", "--database-url", &format!("postgres://u:{SECRET}@db.example.invalid/x")],
            2,
            "which is not this machine",
        ),
        bad(
            &["migrate", "down", "--database-url", &format!("mysql://root:{SECRET}@10.20.30.40")],
            2,
            "10.20.30.40:3306, which is not this machine",
        ),
        bad(
            &["seed", "--truncate", "--database-url", &format!("postgres://u:{SECRET}@db.example.invalid/x")],
            2,
            "then add --confirm",
        ),
        bad(
            &["bootstrap", "--env", "production", "--database-url", "sqlite://unused"],
            2,
            "--env is production",
        ),
        bad(&["backup", "--domain", "draw"], 2, "--output <FILE>"),
        bad(&["backup", "--domain", "lottery", "-o", "x"], 2, "invalid value 'lottery'"),
        bad(
            &[
                "restore",
                "--domain",
                "draw",
                "-i",
                "/no/such/seedbed.backup",
                "--database-url",
                "sqlite://unused",
            ],
            2,
            "does not exist",
        ),
        bad(
            &[
                "restore",
                "--domain",
                "draw",
                "-i",
                "x",
                "--database-url",
                &format!("postgres://u:{SECRET}@db.example.invalid/x"),
            ],
            2,
            "which is not this machine",
        ),
        bad(
            &["migrate", "up", "--domain", "draw", "--lock-timeout", "0", "--database-url", &busy],
            4,
            "gave up after 0 s",
        ),
        bad(
            &["restore", "--domain", "draw", "-i", &garbage, "--database-url", &busy],
            2,
            "is not a seedbed backup",
        ),
        bad(
            &["restore", "--domain", "draw", "-i", &truncated, "--database-url", &pg],
            2,
            "is a truncated seedbed backup",
        ),
        bad(
            &["backup", "--domain", "draw", "-o", &nowhere, "--database-url", "sqlite://unused"],
            2,
            "missing/dir does not exist; create it first",
        ),
        bad(
            &["migrate", "generate", "--domain", "draw", "Add-Nickname"],
            2,
            "is not a snake_case migration name",
        ),
        bad(&["migrate", "generate", "--domain", "lottery", "add_nickname"], 2, "invalid value 'lottery'"),
        bad(
            &["migrate", "generate", "--domain", "draw", "add_nickname"],
            2,
            "run it inside the seedbed workspace",
        ),
        bad(
            &["bootstrap", "--now", "9999-12-31", "--database-url", "sqlite://unused"],
            2,
            "outside the accepted range 1975-01-01 to 2035-12-31",
        ),
        bad(&["seed", "--now", "1900-01-01", "--database-url", "sqlite://unused"], 2, "accepted range"),
        bad(
            &["migrate", "up", "--domain", "draw", "--database-url", &damaged_url],
            3,
            "is not a SQLite database",
        ),
        bad(&["digest", "--domain", "draw", "--database-url", &damaged_url], 3, "is not a SQLite database"),
        bad(&["migrate", "status"], 2, "line 2 cannot be parsed").in_dir(&dotenv_dir),
        bad(&["check", "--database-url", &never_url], 5, "are not created yet"),
        bad(&["digest", "--domain", "draw", "--database-url", &never_url], 5, "draw is not created yet"),
        bad(&["migrate", "verify", "--database-url", &never_url], 5, "not created yet"),
        // Issue 17: production, the new migrate commands and --format.
        bad(
            &["migrate", "up", "--env", "production", "--database-url", "sqlite://unused"],
            2,
            "is production",
        ),
        bad(
            &["migrate", "repair", "--env", "production", "--database-url", "sqlite://unused"],
            2,
            "then add --confirm",
        ),
        bad(
            &[
                "migrate",
                "rehearse",
                "--domain",
                "draw",
                "--profile",
                "tiny",
                "--env",
                "production",
                "--database-url",
                "sqlite://unused",
            ],
            2,
            "is production",
        ),
        bad(
            &["migrate", "info", "m29990101_000000_nothing", "--database-url", "sqlite://unused"],
            2,
            "no domain has migration",
        ),
        bad(
            &[
                "migrate",
                "info",
                "m20250701_000000_initial_schema",
                "--domain",
                "raffle",
                "--database-url",
                "sqlite://unused",
            ],
            2,
            "the raffle domain has no migration",
        ),
        bad(&["migrate", "info", "--database-url", "sqlite://unused"], 2, "<VERSION>"),
        bad(
            &["migrate", "rehearse", "--domain", "draw", "--database-url", "sqlite://unused"],
            2,
            "--from-backup <FILE>",
        ),
        bad(
            &["migrate", "rehearse", "--domain", "draw", "--from-backup", "x", "--profile", "tiny"],
            2,
            "cannot be used with",
        ),
        bad(&["migrate", "rehearse", "--domain", "draw", "--profile", "huge"], 2, "huge"),
        bad(
            &["migrate", "rehearse", "--domain", "draw", "--from-backup", &garbage, "--database-url", &busy],
            2,
            "is not a seedbed backup",
        ),
        bad(
            &["migrate", "rehearse", "--domain", "draw", "--from-backup", &truncated, "--database-url", &pg],
            2,
            "is a truncated seedbed backup",
        ),
        bad(&["migrate", "status", "--format", "yaml"], 2, "invalid value 'yaml'"),
        bad(&["check", "--format", "xml"], 2, "invalid value 'xml'"),
        bad(&["describe", "--domain", "lottery"], 2, "invalid value 'lottery'"),
        bad(&["describe", "--format", "json"], 2, "invalid value 'json'"),
        bad(&["describe", "--database-url", &never_url], 5, "are not created yet"),
        bad(&["migrate", "up", "--backup-dir", "/tmp"], 2, "--with-backup"),
        bad(
            &[
                "migrate",
                "up",
                "--with-backup",
                "--backup-dir",
                &busy_dir.join("no-such-dir").display().to_string(),
                "--database-url",
                "sqlite://unused",
            ],
            2,
            "does not exist: create it first",
        ),
        bad(&["check", "--format", "json", "--database-url", &never_url], 5, "are not created yet"),
        bad(
            &[
                "migrate",
                "status",
                "--format",
                "json",
                "--database-url",
                &format!("postgres://u:{SECRET}@127.0.0.1:1/db"),
            ],
            3,
            "cannot reach PostgreSQL",
        ),
        // Reference data: a dry run needs --reference-only, which cannot truncate; production
        // needs --confirm before anything connects; a dry run creates no domain.
        bad(&["seed", "--dry-run", "--database-url", "sqlite://unused"], 2, "--reference-only"),
        bad(
            &["seed", "--reference-only", "--truncate", "--database-url", "sqlite://unused"],
            2,
            "cannot be used with",
        ),
        bad(
            &[
                "seed",
                "--reference-only",
                "--env",
                "production",
                "--database-url",
                &format!("postgres://u:{SECRET}@127.0.0.1:1/db"),
            ],
            2,
            "then add --confirm",
        ),
        bad(&["seed", "--reference-only", "--dry-run", "--database-url", &never_url], 5, "not created yet"),
        // Plain seed writes too: in production it needs --confirm, before anything connects.
        bad(
            &[
                "seed",
                "--env",
                "production",
                "--database-url",
                &format!("postgres://u:{SECRET}@127.0.0.1:1/db"),
            ],
            2,
            "`seedbed seed` changes the database and --env (or SEEDBED_ENV) is production",
        ),
    ];
    let mut ran = 0;
    for case in &cases {
        let out = case.run();
        assert_fails(&out, case.code, case.needle);
        ran += 1;
    }
    assert!(ran >= 40, "the catalogue ran {ran} cases, fewer than the 40 it holds");
    assert!(!std::env::temp_dir().join("unused").exists(), "a refused command created its data directory");
    assert!(!never.exists(), "a reading command created the data directory {}", never.display());
    rt.block_on(held.release());
    drop(busy_dir);
}

#[test]
fn confirm_lets_a_destructive_command_through_the_guard() {
    // Past the guard, the command goes on to connect, and fails only because nothing is there.
    let url = format!("postgres://u:{SECRET}@db.example.invalid/x");
    let out = seedbed(&["migrate", "fresh", "--confirm", "--database-url", &url]);
    assert_fails(&out, 3, "cannot reach PostgreSQL at db.example.invalid");
    // Dry runs change nothing, so they need no confirmation.
    let out = seedbed(&["migrate", "fresh", "--dry-run", "--database-url", &url]);
    assert_fails(&out, 3, "cannot reach PostgreSQL at db.example.invalid");
    // Production wants --confirm even on this machine, and --confirm is enough.
    let dir = std::env::temp_dir().join(format!("seedbed-confirm-{}", std::process::id()));
    let url = format!("sqlite://{}", dir.display());
    let out = seedbed(&[
        "bootstrap",
        "--profile",
        "tiny",
        "--domain",
        "draw",
        "--env",
        "production",
        "--database-url",
        &url,
    ]);
    assert_fails(&out, 2, "--env is production");
    let mut cmd = seedbed_command();
    cmd.args(["bootstrap", "--profile", "tiny", "--domain", "draw", "--confirm", "--database-url", &url])
        .env("SEEDBED_ENV", "production");
    assert_success(&run(cmd));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn help_is_there_for_every_command() {
    for args in [
        vec!["--help"],
        vec!["migrate", "--help"],
        vec!["migrate", "up", "--help"],
        vec!["migrate", "down", "--help"],
        vec!["migrate", "verify", "--help"],
        vec!["migrate", "repair", "--help"],
        vec!["migrate", "fresh", "--help"],
        vec!["migrate", "drift", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["migrate", "generate", "--help"],
        vec!["migrate", "info", "--help"],
        vec!["migrate", "log", "--help"],
        vec!["migrate", "rehearse", "--help"],
    ] {
        let out = seedbed(&args);
        assert_success(&out);
        assert!(stdout(&out).contains("Usage: seedbed"), "{}", show(&out));
    }
}

backend_tests!(migrate_reports_what_it_did);
async fn migrate_reports_what_it_did(backend: Backend) {
    let t = TestDb::new(backend).await;
    let out = t.seedbed(&["migrate", "up"]);
    assert_success(&out);
    for domain in domains() {
        let versions = (domain.migrator)().versions();
        for v in &versions {
            assert!(stdout(&out).contains(v), "up does not mention {v}\n{}", show(&out));
        }
        let out = t.seedbed(&["migrate", "status", "--domain", domain.name]);
        assert_success(&out);
        let applied = stdout(&out)
            .lines()
            .filter(|l| l.trim_start().starts_with("applied") && l.contains(" UTC "))
            .count();
        assert_eq!(applied, versions.len(), "{}", show(&out));

        let out = t.seedbed(&["migrate", "down", "--domain", domain.name]);
        assert_success(&out);
        let out = t.seedbed(&["migrate", "status", "--domain", domain.name]);
        let text = stdout(&out);
        let last = versions.last().unwrap();
        assert!(text.lines().any(|l| l.contains("pending") && l.contains(last.as_str())), "{}", show(&out));

        let out = t.seedbed(&["migrate", "down", "-n", "99", "--domain", domain.name]);
        assert_fails(&out, 4, &format!("only {} applied", versions.len() - 1));
        let out = t.seedbed(&["migrate", "status", "--domain", domain.name]);
        let still = stdout(&out).lines().filter(|l| l.trim_start().starts_with("applied")).count();
        assert_eq!(still, versions.len() - 1, "a refused down changed the history\n{}", show(&out));
    }
}

backend_tests!(an_unknown_history_is_refused);
async fn an_unknown_history_is_refused(backend: Backend) {
    let t = TestDb::new(backend).await;
    for domain in domains() {
        let db = t.migrated(domain).await;
        db.execute_unprepared(&format!(
            "INSERT INTO {HISTORY_TABLE} (version, name, applied_at, execution_ms, checksum, outcome) \
             VALUES ('m29990101_000000_from_the_future', 'from_the_future', '2030-01-01 00:00:00', 5, 'abc', 'applied')"
        ))
        .await
        .unwrap();
        for command in ["up", "down", "reset", "refresh"] {
            let out = t.seedbed(&["migrate", command, "--domain", domain.name]);
            assert_fails(&out, 4, "m29990101_000000_from_the_future");
        }
        let out = t.seedbed(&["migrate", "status", "--domain", domain.name]);
        assert_success(&out);
        assert!(stdout(&out).contains("UNKNOWN"), "{}", show(&out));
        let out = t.seedbed(&["migrate", "verify", "--domain", domain.name]);
        assert_fails(&out, 4, "1 problem(s)");
        assert!(
            stdout(&out).contains("m29990101_000000_from_the_future is applied, but this build"),
            "{}",
            show(&out)
        );
        // fresh is the way out, and says so in the error above.
        assert_success(&t.seedbed(&["migrate", "fresh", "--domain", domain.name]));
    }
}

#[test]
fn the_url_comes_from_the_flag_then_the_environment_then_dotenv() {
    let dir = std::env::temp_dir().join(format!("seedbed-dotenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".env"), "DATABASE_URL=sqlite://from_dotenv\n").unwrap();
    let status = |extra: &[&str], env: Option<&str>| {
        let mut cmd = seedbed_command();
        cmd.args(["migrate", "status"]).args(extra).current_dir(&dir);
        if let Some(url) = env {
            cmd.env("DATABASE_URL", url);
        }
        let out = run(cmd);
        assert_success(&out);
        stdout(&out)
    };
    assert!(status(&[], None).contains("from_dotenv/raffle.sqlite3"));
    assert!(status(&[], Some("sqlite://from_env")).contains("from_env/raffle.sqlite3"));
    assert!(
        status(&["--database-url", "sqlite://from_flag"], Some("sqlite://from_env"))
            .contains("from_flag/raffle.sqlite3")
    );
    std::fs::remove_file(dir.join(".env")).unwrap();
    assert!(status(&[], None).contains(".seedbed/raffle.sqlite3"), "the embedded default");
    std::fs::remove_dir_all(&dir).unwrap();
}

backend_tests!(verify_catches_an_edited_migration_and_repair_accepts_it);
async fn verify_catches_an_edited_migration_and_repair_accepts_it(backend: Backend) {
    let t = TestDb::new(backend).await;
    let domain = &domains()[0];
    let db = t.migrated(domain).await;
    let first = &(domain.migrator)().versions()[0];
    let verify = || t.seedbed(&["migrate", "verify", "--domain", domain.name]);
    assert_success(&verify());

    // What an edit to an applied migration looks like from the history: another checksum.
    db.execute_unprepared(&format!(
        "UPDATE {HISTORY_TABLE} SET checksum = '0123456789abcdef' WHERE version = '{first}'"
    ))
    .await
    .unwrap();
    let out = verify();
    assert_fails(&out, 4, "1 problem(s)");
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{first} was applied with checksum 0123456789ab"))
            && text.contains("repair --update-checksums"),
        "{}",
        show(&out)
    );
    let out = t.seedbed(&["migrate", "status", "--domain", domain.name]);
    assert!(stdout(&out).contains("CHANGED"), "status does not flag the edit\n{}", show(&out));

    // repair without the flag leaves checksums alone; with it, the history is trusted again.
    assert_success(&t.seedbed(&["migrate", "repair", "--domain", domain.name]));
    assert_fails(&verify(), 4, "1 problem(s)");
    let out = t.seedbed(&["migrate", "repair", "--update-checksums", "--domain", domain.name]);
    assert_success(&out);
    assert!(stdout(&out).contains(&format!("checksum updated  {first}")), "{}", show(&out));
    assert_success(&verify());
}

/// Every command, with the arguments it needs to get as far as the database.
const EVERY_COMMAND: [&[&str]; 16] = [
    &["migrate", "up"],
    &["migrate", "up", "--dry-run"],
    &["migrate", "down"],
    &["migrate", "status"],
    &["migrate", "verify"],
    &["migrate", "drift"],
    &["migrate", "repair"],
    &["migrate", "fresh"],
    &["migrate", "reset"],
    &["migrate", "refresh"],
    &["seed", "--profile", "tiny"],
    &["check"],
    &["digest"],
    &["bootstrap", "--profile", "tiny"],
    &["backup", "--domain", "draw", "-o", "draw.backup"],
    &["restore", "--domain", "draw", "-i", "draw.backup"],
];

/// Runs every command against `url` (given by flag, or by `.env` when `url` is None) in
/// `dir`, and fails if any of them prints `SECRET`, panics, or succeeds.
fn check_no_secret(dir: &std::path::Path, url: Option<&str>, what: &str) -> usize {
    let mut ran = 0;
    for command in EVERY_COMMAND {
        let mut cmd = seedbed_command();
        cmd.args(command).current_dir(dir).env("SEEDBED_PREFIX", "sbt_secret_");
        if let Some(url) = url {
            cmd.args(["--database-url", url]);
        }
        let out = run(cmd);
        let context = format!("{what}, `seedbed {}`\n{}", command.join(" "), show(&out));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains(SECRET), "the password is printed: {context}");
        assert!(!all.contains("panicked") && !all.contains("backtrace"), "{context}");
        assert!(!out.status.success(), "a command succeeded where it cannot: {context}");
        ran += 1;
    }
    ran
}

#[test]
fn no_command_prints_the_password_of_a_malformed_url_or_dotenv() {
    let dir = ScratchDir::new("secrets");
    // Nothing listens on port 1, so a URL that parses fails at once and changes nothing.
    let urls = [
        format!("postgres://u:ab#{SECRET}@127.0.0.1:1/db"),
        format!("postgres://u:ab/{SECRET}@127.0.0.1:1/db"),
        format!("postgres://u:ab?{SECRET}@127.0.0.1:1/db"),
        format!("postgres://u:ab@{SECRET}@127.0.0.1:1/db"),
        format!("postgres://postgres:postgres:{SECRET}@127.0.0.1:1/postgres"),
        format!("postgres://u@127.0.0.1:1/db?password={SECRET}"),
        format!("mysql://root@127.0.0.1:1?ssl-mode=bogus&password={SECRET}"),
        format!("mysql://root:{SECRET}@127.0.0.1:1:2/db"),
        format!("postgres:u:{SECRET}@127.0.0.1/db"),
        format!("postgres://u:{SECRET}@127.0.0.1:1/db?sslmode=bogus"),
        format!("mysql://root:{SECRET}@[::1/db"),
        format!("postgres://u:{SECRET}@127.0.0.1:99999/db"),
        format!("sqlite://u:{SECRET}@dir/app.db"),
        format!("postgres://u:other@127.0.0.1:1/db?password={SECRET}"),
    ];
    let mut ran = 0;
    for url in &urls {
        ran += check_no_secret(&dir, Some(url), &format!("--database-url {url}"));
    }
    // .env files: unparsable lines (never echoed), and URLs the file gives that are malformed.
    let dotenvs = [
        format!("DATABASE_URL=\"postgres://u:{SECRET}@127.0.0.1:1/db\n"),
        format!("DATABASE_URL=postgres://u:{SECRET}@127.0.0.1:1/db'\n"),
        format!("export DATABASE_URL postgres://u:{SECRET}@127.0.0.1:1/db\n"),
        format!("DATABASE URL=postgres://u:{SECRET}@127.0.0.1:1/db\n"),
        format!("DATABASE_URL=postgres://u:ab#{SECRET}@127.0.0.1:1/db\n"),
        format!("DATABASE_URL=mysql://root@127.0.0.1:1?password={SECRET}\n"),
        // The environment cannot hold a NUL byte: setting it would panic, quoting the value.
        format!("DATABASE_URL=postgres://u:{SECRET}@127.0.0.1:1/d\0b\n"),
    ];
    for content in &dotenvs {
        std::fs::write(dir.join(".env"), content).unwrap();
        ran += check_no_secret(&dir, None, &format!(".env holding {content:?}"));
    }
    assert_eq!(ran, (urls.len() + dotenvs.len()) * EVERY_COMMAND.len(), "not every case ran");
    assert!(urls.len() + dotenvs.len() >= 12);
}

#[test]
fn a_malformed_dotenv_is_named_by_line_and_yields_to_the_environment() {
    let dir = ScratchDir::new("bad-dotenv");
    std::fs::write(
        dir.join(".env"),
        format!("# local\nSEEDBED_X=1\nDATABASE_URL=\"postgres://u:{SECRET}@h/db\n"),
    )
    .unwrap();
    let status = |env: Option<&str>, flag: Option<&str>| {
        let mut cmd = seedbed_command();
        cmd.args(["migrate", "status", "--domain", "draw"]).current_dir(&dir);
        cmd.args(flag.map(|url| ["--database-url", url]).into_iter().flatten());
        if let Some(url) = env {
            cmd.env("DATABASE_URL", url);
        }
        run(cmd)
    };
    // Needed for the URL: fatal, naming the file and the line, never showing it.
    let out = status(None, None);
    let stderr = assert_fails(&out, 2, "line 3 cannot be parsed");
    assert!(stderr.contains(&dir.join(".env").display().to_string()), "{}", show(&out));
    // Not needed: the environment or the flag wins, the command runs, and a warning says why.
    for (env, flag, place) in [
        (Some("sqlite://from_env"), None, "from_env/draw.sqlite3"),
        (None, Some("sqlite://from_flag"), "from_flag/draw.sqlite3"),
    ] {
        let out = status(env, flag);
        assert_success(&out);
        assert!(stdout(&out).contains(place), "{}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("warning: ") && stderr.contains("line 3 cannot be parsed"),
            "{}",
            show(&out)
        );
        assert!(!stderr.contains(SECRET) && !stdout(&out).contains(SECRET), "{}", show(&out));
        assert!(!dir.join(place).exists(), "status created {place}");
    }
}

/// A MariaDB user of this test's own, with a password, removed (with its databases) on drop.
struct PasswordUser {
    admin: sea_orm::DatabaseConnection,
    name: String,
    rt: tokio::runtime::Runtime,
}

impl Drop for PasswordUser {
    fn drop(&mut self) {
        let (admin, name) = (&self.admin, &self.name);
        self.rt.block_on(async {
            for db in seedbed_registry::names() {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}_{db}`")).await;
            }
            let _ = admin.execute_unprepared(&format!("DROP USER IF EXISTS '{name}'@'%'")).await;
        });
    }
}

#[test]
fn a_password_given_as_a_parameter_reaches_the_server_and_the_dump_tool() {
    // PostgreSQL here trusts every local login, so only MariaDB can tell a password apart.
    let server = server_url(Backend::MySql).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let admin =
        rt.block_on(sea_orm::Database::connect(server.as_str())).expect("MariaDB is needed by this test");
    let name = format!("sbt_pw{}", std::process::id());
    let password = "Pw-9+a b/c";
    rt.block_on(async {
        admin
            .execute_unprepared(&format!("CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'"))
            .await
            .unwrap();
        admin.execute_unprepared(&format!("GRANT ALL ON `{name}\\_%`.* TO '{name}'@'%'")).await.unwrap();
    });
    let user = PasswordUser { admin, name, rt };
    let host = server.split('@').nth(1).unwrap().split(['/', '?']).next().unwrap();
    let encoded = "Pw-9%2Ba%20b%2Fc";
    let url = |password: &str| format!("mysql://{}@{host}/?password={password}", user.name);
    let dir = ScratchDir::new("pw-param");
    let seedbed_as = |args: &[&str], url: &str| {
        let mut cmd = seedbed_command();
        cmd.args(args).args([
            "--domain",
            "draw",
            "--database-url",
            url,
            "--prefix",
            &format!("{}_", user.name),
        ]);
        cmd.current_dir(&dir);
        run(cmd)
    };
    let good = url(encoded);
    assert_success(&seedbed_as(&["migrate", "up"], &good));
    // The seeding's own connection (LOAD DATA LOCAL, another driver) logs in with it too.
    assert_success(&seedbed_as(&["seed", "--profile", "tiny"], &good));
    let out = seedbed_as(&["backup", "-o", "draw.backup"], &good);
    assert_success(&out);
    assert!(dir.join("draw.backup").metadata().unwrap().len() > 0, "an empty backup\n{}", show(&out));
    // The password is used, not dropped: a wrong one is refused.
    let out = seedbed_as(&["migrate", "status"], &url("wrong"));
    assert_fails(&out, 3, &format!("refused the login of user `{}`", user.name));
}
