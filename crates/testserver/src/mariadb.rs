//! The throwaway MariaDB and the three-node Galera cluster: `mariadb-install-db` (a
//! password-less `root` at 127.0.0.1), then `mariadbd` with a configuration file of its own
//! on free loopback ports, durability off.

use std::fmt::Write as _;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::lease::Instance;
use crate::process::{self, User, WaitError};
use crate::{Kind, Unavailable, failed, missing};

/// The galera-4 provider as Debian and Ubuntu install it.
const PROVIDERS: [&str; 3] =
    ["/usr/lib/galera/libgalera_smm.so", "/usr/lib/libgalera_smm.so", "/usr/lib64/galera-4/libgalera_smm.so"];

struct Binaries {
    server: PathBuf,
    install_db: PathBuf,
    client: PathBuf,
}

fn binaries(kind: Kind) -> Result<Binaries, Unavailable> {
    let find = |names: &[&str]| names.iter().find_map(|n| process::which(n));
    let hint = "(Debian/Ubuntu: apt-get install mariadb-server)";
    let server = find(&["mariadbd", "mysqld"])
        .ok_or_else(|| missing(kind, format!("mariadbd is not installed {hint}")))?;
    let install_db = find(&["mariadb-install-db", "mysql_install_db"])
        .ok_or_else(|| missing(kind, format!("mariadb-install-db is not installed {hint}")))?;
    let client = find(&["mariadb", "mysql"])
        .ok_or_else(|| missing(kind, format!("the mariadb client is not installed {hint}")))?;
    Ok(Binaries { server, install_db, client })
}

pub fn start_single() -> Result<String, Unavailable> {
    let kind = Kind::MariaDb;
    let bins = binaries(kind)?;
    let user = process::service_user("mysql").map_err(|e| missing(kind, e))?;
    let fail = |e: String| failed(kind, e);
    let inst = Instance::create("mariadb").map_err(fail)?;
    let home = inst.dir.join("node");
    install(&bins, &inst, &home, user).map_err(fail)?;
    let mut last = String::new();
    for _ in 0..5 {
        let port = process::free_port().map_err(fail)?;
        let node = Node { home: home.clone(), port, galera: None };
        match node.serve(&bins, &inst, user, false) {
            Ok((child, log)) => {
                process::own_server(child, libc::SIGKILL, log);
                return Ok(format!("mysql://root@127.0.0.1:{port}"));
            }
            Err(e) => last = e,
        }
    }
    Err(fail(last))
}

/// A data directory made by `mariadb-install-db`, owned by `user`.
fn install(bins: &Binaries, inst: &Instance, home: &Path, user: Option<User>) -> Result<(), String> {
    std::fs::create_dir(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    process::give_to(home, user)?;
    // A temporary directory of its own: the shared /tmp is where concurrent runs' bootstraps
    // were seen to lose their temporary tables ("Could not remove temporary table").
    let tmp = home.join("tmp");
    std::fs::create_dir(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    process::give_to(&tmp, user)?;
    let mut cmd = Command::new(&bins.install_db);
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", home.join("data").display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"])
        .args(["--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0"]);
    if user.is_some() {
        cmd.arg("--user=mysql");
    }
    process::run(cmd, user, inst.lease, &inst.dir.join(format!("install-{}.log", name(home))))
}

fn name(home: &Path) -> String {
    home.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// One `mariadbd`: its directory (data, socket, configuration) and ports.
struct Node {
    home: PathBuf,
    port: u16,
    galera: Option<Galera>,
}

struct Galera {
    provider: PathBuf,
    cluster: String,
    /// Group communication addresses of every node, this one's included.
    peers: Vec<String>,
    gcomm: u16,
    ist: u16,
    sst: u16,
}

impl Node {
    fn socket(&self) -> PathBuf {
        self.home.join("mysqld.sock")
    }

    fn config(&self) -> String {
        let mut c = String::from("[mysqld]\n");
        let home = self.home.display();
        let _ = writeln!(
            c,
            "datadir={home}/data\nsocket={home}/mysqld.sock\npid-file={home}/mysqld.pid\ntmpdir={home}/tmp"
        );
        let _ = writeln!(c, "port={}\nbind-address=127.0.0.1\nskip-name-resolve", self.port);
        c.push_str(
            "innodb_flush_log_at_trx_commit=0\ninnodb_doublewrite=0\nsync_binlog=0\n\
             innodb_buffer_pool_size=128M\ninnodb_log_file_size=64M\nmax_connections=500\n\
             character-set-server=utf8mb4\ncollation-server=utf8mb4_general_ci\n\
             secure_file_priv=\"\"\nlog_warnings=1\n",
        );
        if let Some(g) = &self.galera {
            let _ = writeln!(
                c,
                "wsrep_on=ON\nwsrep_provider={}\nwsrep_cluster_name={}\nwsrep_cluster_address=gcomm://{}",
                g.provider.display(),
                g.cluster,
                g.peers.join(",")
            );
            let _ = writeln!(
                c,
                "wsrep_node_address=127.0.0.1:{gcomm}\nwsrep_node_incoming_address=127.0.0.1:{port}\n\
                 wsrep_provider_options=\"gmcast.listen_addr=tcp://127.0.0.1:{gcomm};ist.recv_addr=127.0.0.1:{ist};gcache.size=64M\"\n\
                 wsrep_sst_method=rsync\nwsrep_sst_receive_address=127.0.0.1:{sst}\n\
                 binlog_format=ROW\ninnodb_autoinc_lock_mode=2\ndefault_storage_engine=InnoDB",
                gcomm = g.gcomm,
                port = self.port,
                ist = g.ist,
                sst = g.sst
            );
        }
        c
    }

    /// Starts the server and waits until it accepts connections (and, on a Galera node,
    /// until it is synced with the cluster).
    fn serve(
        &self,
        bins: &Binaries,
        inst: &Instance,
        user: Option<User>,
        new_cluster: bool,
    ) -> Result<(Child, PathBuf), String> {
        let cnf = self.home.join("my.cnf");
        std::fs::write(&cnf, self.config()).map_err(|e| format!("cannot write {}: {e}", cnf.display()))?;
        let log = inst.dir.join(format!("{}-{}.log", name(&self.home), self.port));
        let out = std::fs::File::create(&log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
        let mut cmd = Command::new(&bins.server);
        cmd.arg(format!("--defaults-file={}", cnf.display()));
        if new_cluster {
            cmd.arg("--wsrep-new-cluster");
        }
        cmd.stdout(out.try_clone().map_err(|e| e.to_string())?).stderr(out);
        let mut child = process::spawn(cmd, user, inst.lease.as_raw_fd(), libc::SIGKILL)
            .map_err(|e| format!("cannot start {}: {e}", bins.server.display()))?;
        let limit = Duration::from_secs(if self.galera.is_some() { 120 } else { 60 });
        let ready = || {
            std::fs::read_to_string(&log).is_ok_and(|s| s.contains("ready for connections"))
                && (self.galera.is_none()
                    || self.status(bins, "wsrep_local_state_comment").as_deref() == Some("Synced"))
        };
        match process::wait_until(&mut child, limit, ready) {
            Ok(()) => Ok((child, log)),
            Err(WaitError::Exited(status)) => {
                Err(format!("mariadbd exited ({status}): {}", process::tail(&log)))
            }
            Err(WaitError::TimedOut) => {
                process::stop_servers(&mut vec![(child, libc::SIGKILL)]);
                Err(format!("mariadbd was not ready after {} s: {}", limit.as_secs(), process::tail(&log)))
            }
        }
    }

    /// A global status variable, read through the socket with the client.
    fn status(&self, bins: &Binaries, variable: &str) -> Option<String> {
        let out = Command::new(&bins.client)
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-uroot", "-N", "-B", "-e"])
            .arg(format!("SHOW GLOBAL STATUS LIKE '{variable}'"))
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace().nth(1).map(str::to_owned)
    }
}

pub fn start_galera() -> Result<Vec<String>, Unavailable> {
    let kind = Kind::Galera;
    let bins = binaries(kind)?;
    let provider = PROVIDERS.iter().map(PathBuf::from).find(|p| p.is_file()).ok_or_else(|| {
        missing(kind, "the galera-4 provider libgalera_smm.so is not installed (Debian/Ubuntu: apt-get install galera-4)")
    })?;
    for tool in ["rsync", "wsrep_sst_rsync"] {
        if process::which(tool).is_none() {
            return Err(missing(
                kind,
                format!(
                    "{tool} is needed for state transfers (Debian/Ubuntu: apt-get install rsync mariadb-server)"
                ),
            ));
        }
    }
    let user = process::service_user("mysql").map_err(|e| missing(kind, e))?;
    let fail = |e: String| failed(kind, e);
    let inst = Instance::create("galera").map_err(fail)?;
    let mut ports = Vec::new();
    for _ in 0..3 {
        let p: Result<Vec<u16>, String> = (0..4).map(|_| process::free_port()).collect();
        ports.push(p.map_err(fail)?);
    }
    let all: std::collections::HashSet<u16> = ports.iter().flatten().copied().collect();
    if all.len() != 12 {
        return Err(fail("the system handed out the same free port twice; try again".into()));
    }
    let peers: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{}", p[1])).collect();
    let cluster = inst.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // One data directory is made and copied: a joiner's data is replaced by the state
    // transfer anyway, and mariadb-install-db is the slow part.
    let first = inst.dir.join("node1");
    install(&bins, &inst, &first, user).map_err(fail)?;
    for i in 2..=3 {
        let home = inst.dir.join(format!("node{i}"));
        let status = Command::new("cp").arg("-a").arg(&first).arg(&home).status();
        if !status.is_ok_and(|s| s.success()) {
            return Err(fail(format!("cannot copy {} to {}", first.display(), home.display())));
        }
    }
    let mut urls = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let node = Node {
            home: inst.dir.join(format!("node{}", i + 1)),
            port: p[0],
            galera: Some(Galera {
                provider: provider.clone(),
                cluster: cluster.clone(),
                peers: peers.clone(),
                gcomm: p[1],
                ist: p[2],
                sst: p[3],
            }),
        };
        // The first node bootstraps the cluster; the others join one at a time, each taking
        // a state transfer from the cluster.
        let (child, log) =
            node.serve(&bins, &inst, user, i == 0).map_err(|e| fail(format!("node {}: {e}", i + 1)))?;
        process::own_server(child, libc::SIGKILL, log);
        urls.push(format!("mysql://root@127.0.0.1:{}", p[0]));
    }
    Ok(urls)
}
