//! `seedbed-testserver`: runs a command with throwaway servers, e.g. a downstream suite that
//! reads `SEEDBED_FIXTURE_URL`, and removes them when it ends.
//!
//! ```text
//! seedbed-testserver [--postgres] [--mysql] [--galera] [--fixture-url postgres|mysql] [-- COMMAND ARGS…]
//! ```
//!
//! The command sees `SEEDBED_TEST_POSTGRES_URL`, `SEEDBED_TEST_MYSQL_URL` and
//! `SEEDBED_TEST_GALERA_URLS` for the servers asked for, and `SEEDBED_FIXTURE_URL` with
//! `--fixture-url`; the exit status is the command's. Without a command the URLs are
//! printed, one per line, and the servers run until this program is stopped (Ctrl-C).

use std::process::{Command, ExitCode};

use seedbed_testserver::{Kind, Unavailable};

const USAGE: &str = "usage: seedbed-testserver [--postgres] [--mysql] [--galera] [--fixture-url postgres|mysql] [-- COMMAND ARGS...]";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("seedbed-testserver: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut args = std::env::args().skip(1);
    let mut kinds = Vec::new();
    let mut fixture = None;
    let mut command = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--postgres" => kinds.push(Kind::Postgres),
            "--mysql" => kinds.push(Kind::MariaDb),
            "--galera" => kinds.push(Kind::Galera),
            "--fixture-url" => {
                let kind = match args.next().as_deref() {
                    Some("postgres") => Kind::Postgres,
                    Some("mysql") => Kind::MariaDb,
                    other => {
                        return Err(format!("--fixture-url takes postgres or mysql, not {other:?}\n{USAGE}"));
                    }
                };
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
                fixture = Some(kind);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            "--" => command.extend(args.by_ref()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if kinds.is_empty() {
        return Err(format!("name at least one server\n{USAGE}"));
    }
    let mut env = Vec::new();
    for kind in &kinds {
        let value = match kind {
            Kind::Galera => seedbed_testserver::galera_urls().map(|u| u.join(",")),
            _ => seedbed_testserver::url(*kind),
        }
        .map_err(|e: Unavailable| e.to_string())?;
        if fixture == Some(*kind) {
            env.push(("SEEDBED_FIXTURE_URL", value.clone()));
        }
        env.push((kind.env(), value));
    }
    let Some((program, rest)) = command.split_first() else {
        for (name, value) in &env {
            println!("{name}={value}");
        }
        // Serve until stopped: the servers go with this process, however it ends.
        loop {
            std::thread::park();
        }
    };
    let status = Command::new(program)
        .args(rest)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    use std::os::unix::process::ExitStatusExt;
    let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok(ExitCode::from(code as u8))
}
