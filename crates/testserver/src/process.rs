//! Starting server processes that die with this process, and stopping them at its exit.
//!
//! Linux delivers a parent-death signal when the *thread* that forked a child ends, not the
//! process; test threads come and go, so every child is forked by one keeper thread that
//! lives as long as the process.

use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

/// A system user the servers run as when this process is root.
#[derive(Debug, Clone, Copy)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

/// The account `name` when running as root (servers refuse to run as root), else `None`:
/// the servers then run as the current user.
pub fn service_user(name: &str) -> Result<Option<User>, String> {
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } != 0 {
        return Ok(None);
    }
    let cname = std::ffi::CString::new(name).expect("no NUL in a user name");
    // SAFETY: getpwnam returns a pointer into static storage or null; read before any other call.
    let pw = unsafe { libc::getpwnam(cname.as_ptr()) };
    if pw.is_null() {
        return Err(format!(
            "running as root, the server must run as the `{name}` system user, which does not exist \
             (the server package creates it; or run the tests as an ordinary user)"
        ));
    }
    // SAFETY: pw is non-null and points at a valid passwd record.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(User { uid, gid }))
}

/// Gives `path` to `user` (when there is one), so that a server running as it can write there.
pub fn give_to(path: &std::path::Path, user: Option<User>) -> Result<(), String> {
    let Some(user) = user else { return Ok(()) };
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .map_err(|e| format!("cannot hand {} to uid {}: {e}", path.display(), user.uid))
}

type Request = (Command, Sender<std::io::Result<Child>>);

fn keeper() -> &'static Mutex<Sender<Request>> {
    static KEEPER: OnceLock<Mutex<Sender<Request>>> = OnceLock::new();
    KEEPER.get_or_init(|| {
        let (tx, rx) = channel::<Request>();
        std::thread::Builder::new()
            .name("seedbed-testserver-keeper".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
                // The senders live in a static, so this loop never ends before the process.
            })
            .expect("a keeper thread");
        Mutex::new(tx)
    })
}

/// Starts `cmd` as `user`, in a process group of its own (a Ctrl-C meant for the test run
/// reaches it only through this process's death), holding the lease `lease_fd`, and set to
/// receive `death_signal` when this process dies.
pub fn spawn(
    mut cmd: Command,
    user: Option<User>,
    lease_fd: RawFd,
    death_signal: i32,
) -> std::io::Result<Child> {
    if let Some(u) = user {
        cmd.uid(u.uid).gid(u.gid);
    }
    cmd.process_group(0).stdin(Stdio::null());
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls between fork and exec. The standard library
    // switches the user before running this hook, and a credential change clears the
    // parent-death signal, so it is set here, after the switch.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, death_signal as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the signal was armed.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            // Keep the lease open across exec: the directory stays ours while we live.
            if libc::fcntl(lease_fd, libc::F_SETFD, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (tx, rx) = channel();
    keeper().lock().unwrap_or_else(|e| e.into_inner()).send((cmd, tx)).expect("the keeper thread runs");
    rx.recv().expect("the keeper thread answers")
}

/// Runs a set-up program (initdb, mariadb-install-db) to its end; its output goes to `log`.
pub fn run(
    mut cmd: Command,
    user: Option<User>,
    lease: &std::fs::File,
    log: &std::path::Path,
) -> Result<(), String> {
    let what = format!("{cmd:?}");
    let out = std::fs::File::create(log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    cmd.stdout(out.try_clone().map_err(|e| e.to_string())?).stderr(out);
    let mut child =
        spawn(cmd, user, lease.as_raw_fd(), libc::SIGKILL).map_err(|e| format!("cannot run {what}: {e}"))?;
    let status = child.wait().map_err(|e| format!("waiting for {what}: {e}"))?;
    if !status.success() {
        return Err(format!("{what} failed ({status}): {}", tail(log)));
    }
    Ok(())
}

/// The last lines of a log, for an error message.
pub fn tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    // The lines that name an error say why; the last lines are often boilerplate.
    let errors: Vec<&str> =
        lines.iter().copied().filter(|l| l.to_ascii_lowercase().contains("error")).collect();
    if !errors.is_empty() {
        lines = errors;
    }
    let start = lines.len().saturating_sub(4);
    format!("{} says: {}", log.display(), lines[start..].join(" | "))
}

/// What to stop and remove when this process exits.
struct Owned {
    /// Each server with the signal that ends it quickly and cleanly.
    servers: Vec<(Child, i32)>,
    /// Each server's log, by pid, kept when the server died before the end of the run.
    logs: Vec<(u32, PathBuf)>,
    dirs: Vec<PathBuf>,
}

static OWNED: Mutex<Owned> = Mutex::new(Owned { servers: Vec::new(), logs: Vec::new(), dirs: Vec::new() });

/// Stops `child` with `stop_signal` when this process exits; `log` is kept if it died before.
pub fn own_server(child: Child, stop_signal: i32, log: PathBuf) {
    at_exit();
    let mut owned = OWNED.lock().unwrap_or_else(|e| e.into_inner());
    owned.logs.push((child.id(), log));
    owned.servers.push((child, stop_signal));
}

/// Removes `dir` when this process exits, after its servers stopped.
pub fn own_dir(dir: PathBuf) {
    at_exit();
    OWNED.lock().unwrap_or_else(|e| e.into_inner()).dirs.push(dir);
}

fn at_exit() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registering a plain extern "C" function.
        unsafe { libc::atexit(stop_all) };
    });
}

extern "C" fn stop_all() {
    let mut owned = OWNED.lock().unwrap_or_else(|e| e.into_inner());
    let Owned { servers, logs, .. } = &mut *owned;
    // A server that died during the run explains failed tests: keep its log, and say where.
    for (child, _) in servers.iter_mut() {
        if let Ok(Some(status)) = child.try_wait()
            && let Some((_, log)) = logs.iter().find(|(pid, _)| *pid == child.id())
        {
            let kept = std::env::temp_dir().join(format!("seedbed-testserver-died-{}.log", child.id()));
            if std::fs::copy(log, &kept).is_ok() {
                eprintln!(
                    "seedbed-testserver: a test server died during the run ({status}); its log: {}",
                    kept.display()
                );
            }
        }
    }
    stop_servers(servers);
    for dir in owned.dirs.drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Signals every server, waits up to 10 s for them all, then kills what is left.
pub fn stop_servers(servers: &mut Vec<(Child, i32)>) {
    for (child, signal) in servers.iter() {
        // SAFETY: the pid is our own unreaped child, so it cannot have been reused.
        unsafe { libc::kill(child.id() as libc::pid_t, *signal) };
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for (child, _) in servers.iter_mut() {
        while matches!(child.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    servers.clear();
}

/// A loopback TCP port nobody listens on right now, reserved for this process. Another
/// program may still take it before the server binds it (callers retry where they can), but no
/// other test run on this machine is handed it: each port is reserved by binding an abstract
/// Unix socket named after it, which the kernel frees when this process dies, so two runs that
/// the system handed the same free port cannot both start a server on it.
pub fn free_port() -> Result<u16, String> {
    use std::os::linux::net::SocketAddrExt as _;
    static RESERVED: std::sync::Mutex<Vec<std::os::unix::net::UnixListener>> =
        std::sync::Mutex::new(Vec::new());
    for _ in 0..100 {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| format!("cannot bind a loopback port ({e}); is the loopback interface up?"))?;
        let port = listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())?;
        drop(listener);
        let name = format!("seedbed-testserver-port-{port}");
        let reserved = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .and_then(|addr| std::os::unix::net::UnixListener::bind_addr(&addr));
        if let Ok(reservation) = reserved {
            RESERVED.lock().unwrap_or_else(|e| e.into_inner()).push(reservation);
            return Ok(port);
        }
    }
    Err("no loopback port could be reserved: 100 in a row were taken by other test runs".into())
}

/// Polls `ready` every 50 ms until it says yes, the child ends, or `limit` passes.
pub fn wait_until(
    child: &mut Child,
    limit: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), WaitError> {
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(WaitError::Exited(status));
        }
        if Instant::now() > deadline {
            return Err(WaitError::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub enum WaitError {
    Exited(std::process::ExitStatus),
    TimedOut,
}

/// Finds `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use std::os::linux::net::SocketAddrExt as _;
    use std::os::unix::net::{SocketAddr, UnixListener};

    #[test]
    fn a_handed_out_port_is_reserved_against_other_runs() {
        let port = super::free_port().unwrap();
        // What another test run on this machine would try before it may use the port.
        let name = format!("seedbed-testserver-port-{port}");
        let other = SocketAddr::from_abstract_name(name.as_bytes()).and_then(|a| UnixListener::bind_addr(&a));
        assert!(other.is_err(), "port {port} was handed out but another run could reserve it too");
        assert_ne!(super::free_port().unwrap(), port, "one port handed out twice");
    }
}
