//! Instance directories and their leases: who may remove a directory is decided by the
//! kernel's `flock` on its `lease` file, held by the owning process and its servers, never by
//! looking at pids.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::DIR_ENV;

/// A directory of this process's own, held by its lease for as long as the process (or any
/// server it started) lives.
pub struct Instance {
    pub dir: PathBuf,
    pub lease: &'static File,
}

/// The directory that holds every instance directory on this machine.
pub fn base_dir() -> PathBuf {
    std::env::var_os(DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("seedbed-testservers"))
}

fn try_lock(file: &File) -> bool {
    // SAFETY: flock on an fd we own.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

impl Instance {
    /// Creates `{base}/{label}-{pid}-{nonce}` with its lease taken, reaping first what dead
    /// runs left, and starts the watcher that removes the directory once the lease is free.
    pub fn create(label: &str) -> Result<Instance, String> {
        let base = base_dir();
        std::fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
        // Servers running as their system users must reach their directories through it.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o1777));
        reap(&base);
        let nonce = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = base.join(format!("{label}-{}-{nonce:08x}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
        // Locked before it gets its name, so a reaper never sees an unlocked lease of a live run.
        let tmp = dir.join("lease.tmp");
        let file = File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        if !try_lock(&file) {
            return Err(format!("cannot lock {}", tmp.display()));
        }
        std::fs::rename(&tmp, dir.join("lease")).map_err(|e| format!("cannot name the lease: {e}"))?;
        watch(&dir);
        crate::process::own_dir(dir.clone());
        Ok(Instance { dir, lease: Box::leak(Box::new(file)) })
    }
}

/// Starts `flock LEASE rm -rf DIR` outside this process group: it waits until this process
/// and every server holding the lease are gone (killed or not), then removes the directory.
/// Without `flock(1)` the next run's [`reap`] does it.
fn watch(dir: &Path) {
    let Some(flock) = crate::process::which("flock") else { return };
    let _ = Command::new(flock)
        .arg(dir.join("lease"))
        .args(["rm", "-rf"])
        .arg(dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

use std::os::unix::process::CommandExt;

/// Removes the instance directories under `base` whose lease nobody holds: their owner and
/// its servers are gone. A directory without a lease is a start that died before taking
/// one; it is removed once it is a minute old.
pub fn reap(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        match File::open(dir.join("lease")) {
            Ok(lease) => {
                if try_lock(&lease) {
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
            Err(_) => {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > Duration::from_secs(60));
                if old {
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory under `base` with a lease file, locked (and kept locked) when `held`.
    fn instance(base: &Path, name: &str, held: bool) -> Option<File> {
        let dir = base.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let file = File::create(dir.join("lease")).unwrap();
        if held {
            assert!(try_lock(&file));
            Some(file)
        } else {
            None
        }
    }

    #[test]
    fn reaping_removes_exactly_the_directories_whose_lease_is_free() {
        let base = std::env::temp_dir().join(format!("seedbed-testserver-reap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let _live = instance(&base, "live", true);
        instance(&base, "dead", false);
        // Made a moment ago by a start that has not taken its lease yet.
        std::fs::create_dir_all(base.join("starting")).unwrap();
        reap(&base);
        let mut left: Vec<String> = std::fs::read_dir(&base)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["live", "starting"]);
        std::fs::remove_dir_all(&base).ok();
    }
}
