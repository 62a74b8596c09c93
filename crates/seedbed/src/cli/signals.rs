//! SIGINT and SIGTERM, handled by seedbed itself whatever disposition it inherited (a shell
//! starts background jobs with SIGINT ignored): the domain transaction under way rolls back,
//! one line says what was kept and what was rolled back, and the exit code is 130 or 143.

use std::sync::{Arc, Mutex};

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// The signal that stopped a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
}

impl Stop {
    fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal's number, as a shell reports a process the signal killed.
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Interrupt => 130,
            Stop::Terminate => 143,
        }
    }
}

/// Where one domain stands in a command that changes several, for the line printed on a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotStarted,
    Migrating,
    Seeding,
    /// Seeding in chunks: a stop rolls back the open chunk only.
    SeedingInChunks,
    Kept,
    RolledBack,
    /// Chunks committed, the rest not: resumable.
    Incomplete,
}

/// What a command tells the supervisor as it goes, and how it learns of a stop.
#[derive(Clone)]
pub struct Watch {
    stop: watch::Receiver<Option<Stop>>,
    ledger: Arc<Mutex<Vec<(&'static str, Stage)>>>,
}

impl Watch {
    /// Completes once a stop was requested; at once if it already was.
    pub async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(Option::is_some).await;
    }

    /// The domains the command will change, in order: "not started" until said otherwise.
    pub fn plan(&self, domains: &[&'static str]) {
        *self.ledger() = domains.iter().map(|d| (*d, Stage::NotStarted)).collect();
    }

    /// `domain` is being migrated: a stop here ends the command at once.
    pub fn migrating(&self, domain: &'static str) {
        self.set(domain, Stage::Migrating);
    }

    /// `domain`'s seeding transaction is open: a stop waits for its rollback.
    pub fn seeding(&self, domain: &'static str) {
        self.set(domain, Stage::Seeding);
    }

    /// `domain` is being seeded in chunks: a stop waits for the open chunk's rollback.
    pub fn seeding_in_chunks(&self, domain: &'static str) {
        self.set(domain, Stage::SeedingInChunks);
    }

    /// `domain`'s seeding in chunks stopped after committing some.
    pub fn left_incomplete(&self, domain: &'static str) {
        self.set(domain, Stage::Incomplete);
    }

    /// `domain`'s seeding committed.
    pub fn kept(&self, domain: &'static str) {
        self.set(domain, Stage::Kept);
    }

    /// `domain`'s seeding was rolled back after a stop.
    pub fn rolled_back(&self, domain: &'static str) {
        self.set(domain, Stage::RolledBack);
    }

    fn set(&self, domain: &'static str, stage: Stage) {
        let mut ledger = self.ledger();
        match ledger.iter_mut().find(|(d, _)| *d == domain) {
            Some(entry) => entry.1 = stage,
            None => ledger.push((domain, stage)),
        }
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, Stage)>> {
        self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn rolling_back(&self) -> bool {
        self.ledger().iter().any(|(_, s)| matches!(s, Stage::Seeding | Stage::SeedingInChunks))
    }

    /// The one line printed when `stop` ended the command.
    fn summary(&self, stop: Stop, hurried: bool) -> String {
        let ledger = self.ledger().clone();
        let with = |stage: Stage| -> Vec<&str> {
            ledger.iter().filter(|(_, s)| *s == stage).map(|(d, _)| *d).collect()
        };
        let mut parts = Vec::new();
        let kept = with(Stage::Kept);
        if !kept.is_empty() {
            parts.push(format!("kept {} (seeded and committed)", kept.join(", ")));
        }
        let mut rolled = with(Stage::RolledBack);
        rolled.extend(with(Stage::Seeding));
        if !rolled.is_empty() {
            let how = if hurried {
                "left uncommitted, so the database discards it"
            } else {
                "it holds none of this run's rows"
            };
            parts.push(format!("rolled back the seeding of {} ({how})", rolled.join(", ")));
        }
        let mut incomplete = with(Stage::Incomplete);
        incomplete.extend(with(Stage::SeedingInChunks));
        if !incomplete.is_empty() {
            parts.push(format!(
                "left {} incomplete, its committed chunks kept and its last one rolled back (finish with `seedbed seed --resume{}`)",
                incomplete.join(", "),
                incomplete.iter().map(|d| format!(" --domain {d}")).collect::<String>()
            ));
        }
        let migrating = with(Stage::Migrating);
        if !migrating.is_empty() {
            parts.push(format!(
                "stopped while migrating {}: see `seedbed migrate status`, then run the command again",
                migrating.join(", ")
            ));
        }
        let untouched = with(Stage::NotStarted);
        if !untouched.is_empty() {
            parts.push(format!("did not start {}", untouched.join(", ")));
        }
        if parts.is_empty() {
            parts.push("nothing had been committed by this command yet".into());
        }
        let second = if hurried { " (twice: not waiting for the rollback)" } else { "" };
        format!("interrupted by {}{second}: {}", stop.name(), parts.join("; "))
    }
}

/// How a supervised command ended.
pub enum Ended {
    /// It ran to its end, successfully or not.
    Finished(anyhow::Result<()>),
    /// A signal stopped it: the line to print and the exit code.
    Stopped { line: String, code: u8 },
}

/// Runs `work` with SIGINT and SIGTERM handled: on the first signal, a seeding transaction
/// under way rolls back (waited for), any other step is abandoned at once; a second signal
/// during the rollback abandons it too, which leaves the transaction uncommitted, so the
/// server (or SQLite's journal, on the next open) discards it. Nothing half-made is committed
/// either way.
pub async fn supervise<F>(work: impl FnOnce(Watch) -> F) -> Ended
where
    F: Future<Output = anyhow::Result<()>>,
{
    let signals = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()));
    let (mut int, mut term) = match signals {
        (Ok(int), Ok(term)) => (int, term),
        (Err(e), _) | (_, Err(e)) => {
            return Ended::Finished(Err(anyhow::anyhow!("cannot handle SIGINT and SIGTERM: {e}")));
        }
    };
    let mut next = async move || {
        tokio::select! {
            _ = int.recv() => Stop::Interrupt,
            _ = term.recv() => Stop::Terminate,
        }
    };
    let (tell, stop) = watch::channel(None);
    let watch = Watch { stop, ledger: Arc::default() };
    let work = work(watch.clone());
    let mut work = std::pin::pin!(work);
    let first = tokio::select! {
        done = &mut work => return Ended::Finished(done),
        first = next() => first,
    };
    let _ = tell.send(Some(first));
    let mut hurried = false;
    if watch.rolling_back() {
        tokio::select! {
            // The seeding sees the stop, rolls back and returns; or it had committed already.
            _ = &mut work => {}
            _ = next() => hurried = true,
        }
    }
    Ended::Stopped { line: watch.summary(first, hurried), code: first.exit_code() }
}
