//! The throwaway PostgreSQL cluster: `initdb --no-sync`, then `postgres` on a free loopback
//! port with its socket in the instance directory and durability off.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::lease::Instance;
use crate::process::{self, WaitError};
use crate::{Kind, Unavailable, failed, missing};

/// The directory holding `initdb` and `postgres`: the newest `/usr/lib/postgresql/*/bin`
/// (Debian, Ubuntu), else wherever `PATH` finds them.
pub(crate) fn bindir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file()).then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let initdb = process::which("initdb")?;
    let dir = initdb.parent()?.to_path_buf();
    dir.join("postgres").is_file().then_some(dir)
}

pub fn start() -> Result<String, Unavailable> {
    let bin = bindir().ok_or_else(|| {
        missing(
            Kind::Postgres,
            "initdb and postgres are not installed (Debian/Ubuntu: apt-get install postgresql)",
        )
    })?;
    let user = process::service_user("postgres").map_err(|e| missing(Kind::Postgres, e))?;
    let fail = |e: String| failed(Kind::Postgres, e);
    let inst = Instance::create("postgres").map_err(fail)?;
    let home = inst.dir.join("pg");
    std::fs::create_dir(&home).map_err(|e| fail(format!("cannot create {}: {e}", home.display())))?;
    process::give_to(&home, user).map_err(fail)?;
    let data = home.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        .env("TZ", "UTC");
    process::run(initdb, user, inst.lease, &inst.dir.join("initdb.log")).map_err(fail)?;
    // A free port may be taken by someone else before the server binds it: try another.
    let mut last = String::new();
    for _ in 0..5 {
        let port = process::free_port().map_err(fail)?;
        match serve(&bin, &inst, &home, &data, user, port) {
            Ok(()) => return Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres")),
            Err(e) => last = e,
        }
    }
    Err(fail(last))
}

fn serve(
    bin: &Path,
    inst: &Instance,
    home: &Path,
    data: &Path,
    user: Option<process::User>,
    port: u16,
) -> Result<(), String> {
    let log = inst.dir.join(format!("postgres-{port}.log"));
    let out = std::fs::File::create(&log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D").arg(data).arg("-p").arg(port.to_string()).arg("-k").arg(home).args(["-h", "127.0.0.1"]);
    for setting in [
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "wal_level=minimal",
        "max_wal_senders=0",
        "max_wal_size=1GB",
        "checkpoint_timeout=1h",
        "max_connections=300",
        "shared_buffers=64MB",
        "timezone=UTC",
        "log_timezone=UTC",
    ] {
        cmd.arg("-c").arg(setting);
    }
    cmd.stdout(out.try_clone().map_err(|e| e.to_string())?).stderr(out);
    // SIGQUIT is an immediate shutdown that still frees the shared memory; SIGKILL would not.
    let mut child = process::spawn(cmd, user, inst.lease.as_raw_fd(), libc::SIGQUIT)
        .map_err(|e| format!("cannot start {}: {e}", bin.join("postgres").display()))?;
    let pidfile = data.join("postmaster.pid");
    let ready = || {
        std::fs::read_to_string(&pidfile).is_ok_and(|s| s.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
    };
    match process::wait_until(&mut child, Duration::from_secs(60), ready) {
        Ok(()) => {
            process::own_server(child, libc::SIGQUIT, log);
            Ok(())
        }
        Err(WaitError::Exited(status)) => Err(format!("postgres exited ({status}): {}", process::tail(&log))),
        Err(WaitError::TimedOut) => {
            process::stop_servers(&mut vec![(child, libc::SIGQUIT)]);
            Err(format!("postgres was not ready after 60 s: {}", process::tail(&log)))
        }
    }
}
