//! The harness's promises, tried through its `seedbed-testserver` program: the servers are
//! private to a run, and after the run (passed, failed or killed with SIGKILL) no server
//! listens and no directory of it is left.
//!
//! Each test gives its runs an instance directory root of its own (`SEEDBED_TEST_SERVER_DIR`),
//! so that what is left behind is seen, and nobody else's is touched.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh, empty root for one test's instance directories.
fn root(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seedbed-testserver-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn testserver(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seedbed-testserver"));
    cmd.args(args)
        .env("SEEDBED_TEST_SERVER_DIR", root)
        .env_remove("SEEDBED_TEST_POSTGRES_URL")
        .env_remove("SEEDBED_TEST_MYSQL_URL");
    cmd
}

/// `host:port` of a `postgres://` or `mysql://` URL.
fn address(url: &str) -> String {
    let rest = url.rsplit('@').next().unwrap();
    rest.split('/').next().unwrap().to_owned()
}

fn listening(address: &str) -> bool {
    TcpStream::connect_timeout(&address.parse().unwrap(), Duration::from_millis(500)).is_ok()
}

/// What is in `root`, and every process whose command line names it.
fn leftovers(root: &Path) -> (Vec<String>, Vec<String>) {
    let entries = std::fs::read_dir(root)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let needle = root.to_string_lossy().into_owned();
    let processes = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(&needle).then(|| format!("{}: {cmdline}", e.file_name().to_string_lossy()))
        })
        .collect();
    (entries, processes)
}

/// Waits up to 30 s for nothing of a run to remain: no directory, no process, no listener.
fn assert_nothing_left(root: &Path, addresses: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (entries, processes) = leftovers(root);
        let listeners: Vec<&String> = addresses.iter().filter(|a| listening(a)).collect();
        if entries.is_empty() && processes.is_empty() && listeners.is_empty() {
            std::fs::remove_dir_all(root).ok();
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "30 s after the run, left in {}: {entries:?}\nprocesses: {processes:#?}\nstill listening: {listeners:?}",
                root.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Starts a run that prints its URLs and serves until killed; returns it with the URLs.
fn serving(root: &Path, args: &[&str], urls: usize) -> (Child, Vec<String>) {
    let mut cmd = testserver(root, args);
    // A process group of its own, so the test can kill the run as a terminal or CI would.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let found: Vec<String> = (0..urls)
        .map(|_| lines.next().expect("a URL line").unwrap().split_once('=').unwrap().1.to_owned())
        .collect();
    (child, found)
}

#[test]
fn a_finished_run_passes_its_exit_status_on_and_leaves_nothing() {
    let root = root("finished");
    let out = testserver(
        &root,
        &[
            "--postgres",
            "--mysql",
            "--",
            "sh",
            "-c",
            "echo $SEEDBED_TEST_POSTGRES_URL $SEEDBED_TEST_MYSQL_URL; exit 3",
        ],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the command's failure must be the run's\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let urls: Vec<&str> = stdout.split_whitespace().collect();
    assert!(
        urls[0].starts_with("postgres://postgres@127.0.0.1:")
            && urls[1].starts_with("mysql://root@127.0.0.1:"),
        "{stdout}"
    );
    assert_nothing_left(&root, &urls.iter().map(|u| address(u)).collect::<Vec<_>>());
}

#[test]
fn a_run_killed_with_sigkill_leaves_nothing() {
    let root = root("killed");
    let (child, urls) = serving(&root, &["--postgres", "--mysql"], 2);
    let addresses: Vec<String> = urls.iter().map(|u| address(u)).collect();
    assert!(addresses.iter().all(|a| listening(a)), "the servers of {urls:?} do not listen");
    assert!(!leftovers(&root).0.is_empty(), "the run made no instance directory under {}", root.display());
    // SAFETY: signalling the process group of our own child.
    unsafe { libc_kill(-(child.id() as i32), 9) };
    let mut child = child;
    child.wait().unwrap();
    assert_nothing_left(&root, &addresses);
}

#[test]
fn two_runs_at_once_have_servers_of_their_own() {
    let root = root("two");
    let (mut a, a_urls) = serving(&root, &["--postgres", "--mysql"], 2);
    let (mut b, b_urls) = serving(&root, &["--postgres", "--mysql"], 2);
    for (x, y) in a_urls.iter().zip(&b_urls) {
        assert_ne!(address(x), address(y), "two runs share a server");
    }
    // Ending one run leaves the other's servers alone.
    unsafe { libc_kill(-(a.id() as i32), 9) };
    a.wait().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(b_urls.iter().all(|u| listening(&address(u))), "ending run a stopped run b's servers");
    unsafe { libc_kill(-(b.id() as i32), 9) };
    b.wait().unwrap();
    let all: Vec<String> = a_urls.iter().chain(&b_urls).map(|u| address(u)).collect();
    assert_nothing_left(&root, &all);
}

#[test]
fn a_server_named_in_the_environment_is_used_and_nothing_is_started() {
    let root = root("env");
    let url = "postgres://someone@192.0.2.1:5999/elsewhere";
    let out = testserver(&root, &["--postgres", "--", "sh", "-c", "echo $SEEDBED_TEST_POSTGRES_URL"])
        .env("SEEDBED_TEST_POSTGRES_URL", url)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), url);
    assert_eq!(leftovers(&root), (vec![], vec![]), "a server was started although one was named");
    std::fs::remove_dir_all(&root).ok();
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
