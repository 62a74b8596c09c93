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

/// A bad command line: what to run and what must come back.
struct Bad {
    args: Vec<String>,
    code: i32,
    needle: &'static str,
}

fn bad(args: &[&str], code: i32, needle: &'static str) -> Bad {
    Bad { args: args.iter().map(|a| a.to_string()).collect(), code, needle }
}

#[test]
fn bad_command_lines_get_one_line_and_an_exit_code() {
    let pg = server_url(Backend::Postgres).unwrap();
    let pg_host = pg.split('@').nth(1).unwrap().split('/').next().unwrap().to_owned();
    let my = server_url(Backend::MySql).unwrap();
    let my_host = my.split('@').nth(1).unwrap().split('/').next().unwrap().to_owned();
    // A SQLite target whose draw domain another process holds, and a file that is no backup.
    let busy_dir = std::env::temp_dir().join(format!("seedbed-busy-{}", std::process::id()));
    let busy = format!("sqlite://{}", busy_dir.display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let held = rt
        .block_on(seedbed_core::Target::parse(&busy).unwrap().lock("draw", Duration::ZERO, |_| {}))
        .expect("a free lock");
    let garbage = busy_dir.join("garbage.backup");
    std::fs::write(&garbage, "not a backup").unwrap();
    let garbage = garbage.display().to_string();
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
    ];
    assert!(cases.len() >= 20, "the catalogue promises at least 20 cases");
    for case in &cases {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        assert_fails(&seedbed(&args), case.code, case.needle);
    }
    assert!(!std::env::temp_dir().join("unused").exists(), "a refused command created its data directory");
    rt.block_on(held.release());
    std::fs::remove_dir_all(busy_dir).ok();
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
