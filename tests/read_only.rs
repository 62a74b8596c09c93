//! Reading commands (`migrate status`, `migrate verify`, `migrate drift`, `check`, `digest`,
//! `describe`, and any `--dry-run`) create nothing: not a schema, a database, a directory, a file or a lock file, whether the
//! domain exists or not. An absent domain is "not created yet" for `status` and exit 5 for
//! the commands that need its data.

use std::collections::BTreeSet;
use std::process::Output;

use seedbed_core::{Backend, Target};

use crate::util::{TestDb, assert_success, backend_tests, domains, run, show};

/// What a command run against domains that do not exist must do: its exit code, and a
/// phrase of its output.
const READING: [(&[&str], i32, &str); 7] = [
    (&["migrate", "status"], 0, "not created yet"),
    (&["migrate", "up", "--dry-run"], 0, "nothing was changed"),
    (&["migrate", "verify"], 5, "not created yet"),
    (&["migrate", "drift"], 0, "not created yet"),
    (&["check"], 5, "not created yet"),
    (&["digest"], 5, "not created yet"),
    (&["describe"], 5, "not created yet"),
];

/// Everything on the server or in the directory that a command run under this test's prefix
/// could have created: namespaces under the prefix, and for SQLite every file of the directory
/// and whether the directory exists at all.
async fn footprint(target: &Target) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = match target.list_namespaces(target.prefix()).await {
        Ok(names) => names.into_iter().map(|n| format!("namespace {n}")).collect(),
        Err(e) => panic!("listing the namespaces of {target}: {e}"),
    };
    if let Some(dir) = target.sqlite_dir_path() {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                seen.insert(format!("directory {}", dir.display()));
                seen.extend(entries.map(|e| format!("file {}", e.unwrap().file_name().to_string_lossy())));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("reading {}: {e}", dir.display()),
        }
    }
    seen
}

/// Checks a finished command's exit code, and that `expected` is in its output.
fn check(out: &Output, code: i32, expected: &str, context: &str) {
    assert_eq!(out.status.code(), Some(code), "{context}\n{}", show(out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains(expected), "{context}: the output lacks {expected:?}\n{}", show(out));
}

backend_tests!(reading_commands_create_nothing);
async fn reading_commands_create_nothing(backend: Backend) {
    let t = TestDb::new(backend).await;
    let mut urls = vec![t.url()];
    if backend == Backend::Postgres {
        // A URL that names no database: the schemas would land in the user's database.
        let url = t.url();
        let (server, _db) = url.rsplit_once('/').expect("a URL with a database");
        urls.push(server.to_owned());
    }
    let before = footprint(&t.target).await;
    assert!(before.is_empty(), "the test's namespaces exist before it starts: {before:?}");
    let mut ran = 0;
    for url in &urls {
        for (args, code, expected) in READING {
            let mut cmd = t.command(args);
            cmd.env("DATABASE_URL", url);
            let out = run(cmd);
            let context = format!("`seedbed {}` against {url}, where nothing exists yet", args.join(" "));
            assert_eq!(footprint(&t.target).await, before, "{context} created something\n{}", show(&out));
            check(&out, code, expected, &context);
            ran += 1;
        }
    }
    assert_eq!(ran, READING.len() * urls.len());

    // A domain that exists: the reading commands succeed, and leave it as the only thing there.
    let draw = domains().iter().find(|d| d.name == "draw").expect("the draw domain");
    let db = t.migrated(draw).await;
    db.close().await.ok();
    let before = footprint(&t.target).await;
    assert!(before.iter().any(|n| n.ends_with("draw") || n.ends_with("draw.sqlite3")), "{before:?}");
    for (args, _, _) in READING {
        let mut args = args.to_vec();
        args.extend(["--domain", "draw"]);
        let out = t.seedbed(&args);
        assert_success(&out);
        let after = footprint(&t.target).await;
        assert_eq!(after, before, "`seedbed {}` on a migrated domain changed what exists", args.join(" "));
    }
}
