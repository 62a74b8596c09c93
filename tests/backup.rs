//! `seedbed backup` and `seedbed restore`: a round trip gives the same digest on every
//! backend and into another prefix; a file that is not this domain's seedbed backup on this
//! backend (missing, foreign, truncated, another domain's, another backend's, one whose
//! manifest lies, one from a build with other migrations) is refused with exit 2 and changes
//! nothing.

use std::path::{Path, PathBuf};

use sea_orm::sqlx::{self, Connection as _};
use sea_orm::{ConnectionTrait, Statement};
use seedbed_core::Backend;

use crate::util::{TestDb, assert_success, backend_tests, show};

pub(crate) fn digest(t: &TestDb) -> String {
    let out = t.seedbed(&["digest", "--domain", "draw"]);
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A directory of the test's own for backup files.
pub(crate) fn files_dir(t: &TestDb) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seedbed-backups-{}", t.prefix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `seedbed backup --domain DOMAIN -o dir/NAME`, which must succeed; returns the file.
pub(crate) fn backup(t: &TestDb, domain: &str, dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(name);
    assert_success(&t.seedbed(&["backup", "--domain", domain, "-o", file.to_str().unwrap()]));
    file
}

fn assert_refused(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", show(out));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{}", show(out));
    assert!(stderr.contains(needle), "the error must mention {needle:?}\n{}", show(out));
}

/// Sets `key` of the manifest inside a backup file to `value`, as a hand edit would.
async fn edit_manifest(file: &Path, key: &str, value: &str) {
    let bytes = std::fs::read(file).unwrap();
    if bytes.starts_with(b"SQLite format 3\0") {
        let mut conn =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display())).await.unwrap();
        let done = sqlx::query("UPDATE seedbed_backup_manifest SET value = ? WHERE key = ?")
            .bind(value)
            .bind(key)
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1, "no manifest key {key} in {}", file.display());
        conn.close().await.unwrap();
        return;
    }
    let text = String::from_utf8(bytes).unwrap();
    let line = format!("-- seedbed-manifest {key}=");
    let start = text.find(&line).unwrap_or_else(|| panic!("no manifest key {key} in {}", file.display()));
    let end = start + text[start..].find('\n').unwrap();
    std::fs::write(file, format!("{}{line}{value}{}", &text[..start], &text[end..])).unwrap();
}

/// A dump of the test's draw namespace by the engine's own tool, as a user would take it.
fn foreign_dumps(t: &TestDb, dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let ns = t.target.namespace("draw");
    match t.backend {
        Backend::Sqlite => {
            let copy = dir.join("plain-copy.sqlite3");
            std::fs::copy(t.target.sqlite_path("draw").unwrap(), &copy).unwrap();
            vec![(copy, "a SQLite database without a seedbed manifest")]
        }
        Backend::Postgres => ["plain", "custom"]
            .into_iter()
            .zip(["a plain pg_dump script", "a pg_dump archive"])
            .map(|(format, what)| {
                let file = dir.join(format!("pg_dump-{format}.sql"));
                let out = std::process::Command::new("pg_dump")
                    .arg(format!("--format={format}"))
                    .arg(format!("--schema={ns}"))
                    .arg(format!("--file={}", file.display()))
                    .arg(format!("--dbname={}", t.url()))
                    .output()
                    .unwrap();
                assert_success(&out);
                (file, what)
            })
            .collect(),
        Backend::MySql => {
            let file = dir.join("mariadb-dump.sql");
            let server = t.target.server_url().expect("a server target");
            let out = std::process::Command::new("mariadb-dump")
                .arg(format!("--host={}", server.host_str().unwrap_or("127.0.0.1")))
                .arg(format!("--port={}", server.port().unwrap_or(3306)))
                .arg(format!("--user={}", server.username()))
                .arg("--single-transaction")
                .arg(format!("--result-file={}", file.display()))
                .arg(&ns)
                .output()
                .unwrap();
            assert_success(&out);
            vec![(file, "a mariadb-dump script")]
        }
    }
}

backend_tests!(backup_fresh_restore_gives_the_same_digest);
async fn backup_fresh_restore_gives_the_same_digest(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    let seeded = digest(&t);
    let file = backup(&t, "draw", &dir, "draw.backup");
    let file_arg = file.to_str().unwrap();

    assert_success(&t.seedbed(&["migrate", "fresh", "--domain", "draw"]));
    assert_ne!(digest(&t), seeded, "fresh should have emptied the domain");
    let out = t.seedbed(&["restore", "--domain", "draw", "-i", file_arg]);
    assert_success(&out);
    assert_eq!(digest(&t), seeded, "the restored domain differs from the backed-up one");
    assert_success(&t.seedbed(&["migrate", "verify", "--domain", "draw"]));
    // The restored schema is the migrations' own (PostgreSQL spells a reloaded CHECK anew).
    assert_success(&t.seedbed(&["migrate", "drift", "--domain", "draw"]));
    let left = t.target.restore_leftovers("draw").await.unwrap();
    assert!(left.is_empty(), "a finished restore left scratch namespaces behind: {left:?}");

    // A second backup never overwrites the first.
    let before = std::fs::read(&file).unwrap();
    assert_refused(&t.seedbed(&["backup", "--domain", "draw", "-o", file_arg]), "already exists");
    assert!(std::fs::read(&file).unwrap() == before, "the existing backup was overwritten");
    // Nor is it written into a directory that does not exist.
    let nowhere = dir.join("missing").join("dir").join("draw.backup");
    assert_refused(
        &t.seedbed(&["backup", "--domain", "draw", "-o", nowhere.to_str().unwrap()]),
        &format!("the directory {} does not exist", nowhere.parent().unwrap().display()),
    );
    std::fs::remove_dir_all(dir).ok();
}

backend_tests!(a_backup_removes_what_a_killed_backup_left_and_keeps_a_running_ones_file);
/// A backup writes its file under another name and holds a lock on it while it writes; the
/// kernel drops the lock when the process dies, however it dies. So the next backup to the
/// same file removes (and names) what a killed one left, and leaves alone the file of one
/// that is still writing, on this machine or another.
async fn a_backup_removes_what_a_killed_backup_left_and_keeps_a_running_ones_file(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    let file = dir.join("draw.backup");
    // What a backup killed part-way leaves: half a file that nobody holds.
    let killed = dir.join("draw.backup.partial-0badf00d");
    std::fs::write(&killed, b"-- seedbed backup, cut short").unwrap();
    // A backup still writing: its file is locked, here by flock(1) as the backup locks it.
    let running = dir.join("draw.backup.partial-5ca1ab1e");
    std::fs::write(&running, b"").unwrap();
    let mut holder = std::process::Command::new("flock")
        .args(["--exclusive", running.to_str().unwrap(), "sleep", "120"])
        .spawn()
        .expect("flock (util-linux)");
    // Another file's leftover is not this backup's business.
    let other = dir.join("other.backup.partial-0badf00d");
    std::fs::write(&other, b"x").unwrap();
    wait_until_locked(&running);

    let out = t.seedbed(&["backup", "--domain", "draw", "-o", file.to_str().unwrap()]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!killed.exists(), "the killed backup's file is still there\n{}", show(&out));
    assert!(
        stdout.contains(&format!("removed {}, left by a backup that did not finish", killed.display())),
        "the backup did not say what it removed\n{}",
        show(&out)
    );
    assert!(running.exists(), "the file of a backup still writing was removed\n{}", show(&out));
    assert!(other.exists(), "another file's leftover was removed\n{}", show(&out));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("draw.backup.partial-") && !running.ends_with(n))
        .collect();
    assert!(left.is_empty(), "the finished backup left its own unfinished file: {left:?}");

    // The backup it wrote is whole: it restores to the same digest.
    let seeded = digest(&t);
    assert_success(&t.seedbed(&["migrate", "fresh", "--domain", "draw"]));
    assert_success(&t.seedbed(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()]));
    assert_eq!(digest(&t), seeded, "the backup written beside the leftovers does not restore");
    std::fs::remove_dir_all(dir).ok();
}

/// Waits until some process holds an exclusive lock on `path`.
fn wait_until_locked(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    for _ in 0..500 {
        match f.try_lock() {
            Ok(()) => {
                f.unlock().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(_) => return,
        }
    }
    panic!("nobody took the lock on {} within 5 s", path.display());
}

backend_tests!(a_backup_restores_into_another_prefix);
/// A backup is of a domain, not of a namespace: taken under one prefix, it restores under
/// another, and the first is left as it was.
async fn a_backup_restores_into_another_prefix(backend: Backend) {
    let from = TestDb::new(backend).await;
    let into = TestDb::new(backend).await;
    let dir = files_dir(&from);
    assert_success(&from.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    assert_success(&into.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw", "--seed", "7"]));
    let (source, other) = (digest(&from), digest(&into));
    assert_ne!(source, other, "two seeds should give two digests");
    let file = backup(&from, "draw", &dir, "draw.backup");

    assert_success(&into.seedbed(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()]));
    assert_eq!(digest(&into), source, "the other prefix did not get the backup's data");
    assert_eq!(digest(&from), source, "restoring into another prefix changed the source");
    assert_success(&into.seedbed(&["migrate", "verify", "--domain", "draw"]));
    std::fs::remove_dir_all(dir).ok();
}

backend_tests!(a_file_that_is_not_this_domains_backup_changes_nothing);
async fn a_file_that_is_not_this_domains_backup_changes_nothing(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw", "--domain", "raffle"]));
    let seeded = digest(&t);
    let good = backup(&t, "draw", &dir, "good.backup");
    let bytes = std::fs::read(&good).unwrap();
    let raffle = backup(&t, "raffle", &dir, "raffle.backup");

    let garbage = dir.join("garbage.backup");
    std::fs::write(&garbage, "this is not a backup\n").unwrap();
    let half = dir.join("half.backup");
    std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
    let missing = dir.join("missing.backup");
    let other_backend = dir.join("other-backend.backup");
    std::fs::copy(&good, &other_backend).unwrap();
    let (elsewhere, product) = match backend {
        Backend::Sqlite => ("postgres", "PostgreSQL"),
        _ => ("sqlite", "SQLite"),
    };
    edit_manifest(&other_backend, "backend", elsewhere).await;
    let lying = dir.join("lying.backup");
    std::fs::copy(&good, &lying).unwrap();
    edit_manifest(&lying, "digest", &"0".repeat(64)).await;

    let truncated = match backend {
        Backend::Sqlite => "is not a seedbed backup: it is a damaged or truncated SQLite database",
        _ => "is a truncated seedbed backup",
    };
    let mut cases: Vec<(PathBuf, String)> = vec![
        (missing, "does not exist".into()),
        (garbage, "is not a seedbed backup: it is neither a SQLite database nor a dump script".into()),
        (half, truncated.into()),
        (raffle, "is a seedbed backup of the raffle domain, not draw".into()),
        (other_backend, format!("restore it on {product}")),
        (lying, "does not hold what its manifest says (its data's digest is".into()),
    ];
    if backend != Backend::Sqlite {
        // Only the end line lost: the dump itself looks whole.
        let cut = dir.join("cut.backup");
        std::fs::write(&cut, &bytes[..bytes.len() - 8]).unwrap();
        cases.push((cut, "is a truncated seedbed backup".into()));
    }
    for (file, what) in foreign_dumps(&t, &dir) {
        cases.push((file, format!("is not a seedbed backup: it is {what}")));
    }
    for (file, needle) in &cases {
        let out = t.seedbed(&["restore", "--domain", "draw", "-i", file.to_str().unwrap()]);
        assert_refused(&out, needle);
        assert_eq!(digest(&t), seeded, "a refused restore of {} changed the domain", file.display());
        let left = t.target.restore_leftovers("draw").await.unwrap();
        assert!(left.is_empty(), "a refused restore of {} left {left:?}", file.display());
    }
    let expected = match backend {
        Backend::Sqlite => 7,
        Backend::Postgres => 9,
        Backend::MySql => 8,
    };
    assert_eq!(cases.len(), expected, "every refusal was tried");
    std::fs::remove_dir_all(dir).ok();
}

backend_tests!(a_backup_with_migrations_this_build_lacks_needs_force);
async fn a_backup_with_migrations_this_build_lacks_needs_force(backend: Backend) {
    let t = TestDb::new(backend).await;
    let dir = files_dir(&t);
    assert_success(&t.seedbed(&["bootstrap", "--profile", "tiny", "--domain", "draw"]));
    // As if a newer build had applied one more migration.
    let db = t.connect("draw").await;
    let future = "m29990101_000000_from_the_future";
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        match backend {
            Backend::Postgres => {
                "INSERT INTO seedbed_migrations (version, name, applied_at, execution_ms, checksum, outcome) VALUES ($1, 'from the future', CURRENT_TIMESTAMP, 1, 'feed', 'applied')"
            }
            _ => {
                "INSERT INTO seedbed_migrations (version, name, applied_at, execution_ms, checksum, outcome) VALUES (?, 'from the future', CURRENT_TIMESTAMP, 1, 'feed', 'applied')"
            }
        },
        [future.into()],
    ))
    .await
    .unwrap();
    db.close().await.unwrap();
    let seeded = digest(&t);
    let file = backup(&t, "draw", &dir, "future.backup");
    assert_success(&t.seedbed(&["migrate", "fresh", "--domain", "draw"]));
    let emptied = digest(&t);

    let restore = ["restore", "--domain", "draw", "-i", file.to_str().unwrap()];
    assert_refused(
        &t.seedbed(&restore),
        &format!("migrations this one does not know: {future} (not in this build)"),
    );
    assert_eq!(digest(&t), emptied, "a refused restore changed the domain");

    let out = t.seedbed(&[&restore[..], &["--force"]].concat());
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--force: restoring migrations"), "{}", show(&out));
    assert_eq!(digest(&t), seeded, "--force did not restore the backup");
    let status = t.seedbed(&["migrate", "status", "--domain", "draw"]);
    let listed = String::from_utf8_lossy(&status.stdout);
    assert!(listed.contains("UNKNOWN") && listed.contains(future), "{}", show(&status));
    std::fs::remove_dir_all(dir).ok();
}
