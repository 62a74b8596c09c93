//! Flags shared by several commands, flattened into each: where the databases are and which
//! domains to act on.

use anyhow::Context;
use clap::Args;
use clap::builder::PossibleValuesParser;
use seedbed_core::Target;

use crate::Domain;
use crate::domains::{DOMAINS, find};

#[derive(Debug, Args)]
pub struct DbArgs {
    /// Where the databases live: sqlite://DIR (one file per domain), postgres://USER@HOST/DB
    /// (one schema per domain) or mysql://USER@HOST (one database per domain).
    /// Falls back to DATABASE_URL, then .env, then sqlite://.seedbed.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Put PREFIX in front of every namespace name, e.g. `ci_` gives the schema `ci_raffle`.
    #[arg(long, env = "SEEDBED_PREFIX", value_name = "PREFIX", default_value = "")]
    pub prefix: String,
}

impl DbArgs {
    pub fn target(&self) -> anyhow::Result<Target> {
        let target = match &self.database_url {
            Some(url) => Target::parse(url)?,
            None => Target::default_sqlite(),
        };
        Ok(target.with_prefix(&self.prefix)?)
    }
}

/// For commands that change a domain: they take its lock first, so that runs started side
/// by side (several deploys, a test suite's processes) queue instead of interleaving.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// How long to wait for another seedbed that is migrating or seeding the same domain.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub lock_timeout: u64,
    /// Which lock keeps writers apart: `auto` takes the server's session lock, plus a lease
    /// row in the domain's namespace on a Galera node (where GET_LOCK is node-local);
    /// `lease` takes the lease on any server (engines whose advisory locks cannot be
    /// trusted); `session` never takes it. SQLite always uses its file lock.
    #[arg(long, env = "SEEDBED_LOCK", value_enum, value_name = "KIND", default_value_t = LockKindArg::Auto)]
    pub lock_kind: LockKindArg,
    /// How long a lease lasts without renewal (its holder renews it every third of that): a
    /// holder killed without releasing it is taken over once it expires.
    #[arg(long, env = "SEEDBED_LOCK_LEASE", value_name = "SECS", default_value_t = 30.0,
          value_parser = lease_seconds)]
    pub lock_lease: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LockKindArg {
    Auto,
    Lease,
    Session,
}

fn lease_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.3..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a lease length: give seconds between 0.3 and 86400")),
    }
}

impl LockArgs {
    /// Takes `domain`'s lock, saying so when it has to wait or takes over an expired lease,
    /// and naming this command to those that wait for it.
    pub async fn lock(&self, target: &Target, domain: &str) -> anyhow::Result<seedbed_core::DomainLock> {
        let who = seedbed_core::holder_label(&command_words());
        Ok(target.lock_with(domain, self.timeout(), &who, self.policy(), |line| say!("{line}")).await?)
    }

    /// Which lock, and how long a lease lasts unrenewed.
    fn policy(&self) -> seedbed_core::LockPolicy {
        seedbed_core::LockPolicy {
            kind: match self.lock_kind {
                LockKindArg::Auto => seedbed_core::LockKind::Auto,
                LockKindArg::Lease => seedbed_core::LockKind::Lease,
                LockKindArg::Session => seedbed_core::LockKind::Session,
            },
            lease: std::time::Duration::from_secs_f64(self.lock_lease),
        }
    }

    /// [`LockArgs::lock`] in shared mode: beside the other shards of a sharded seeding, and
    /// excluding everything else. On SQLite the exclusive lock instead: SQLite has one
    /// writer, and shards that took turns on its write lock could fail on "database is
    /// locked" where a deferred transaction turns from reading to writing; so there they
    /// queue, one after another, as `--workers` runs them there.
    pub async fn lock_shared(
        &self,
        target: &Target,
        domain: &str,
    ) -> anyhow::Result<seedbed_core::DomainLock> {
        if target.backend() == seedbed_core::Backend::Sqlite {
            return self.lock(target, domain).await;
        }
        let who = seedbed_core::holder_label(&command_words());
        Ok(target
            .lock_shared_with(domain, self.timeout(), &who, self.policy(), |line| say!("{line}"))
            .await?)
    }

    /// How long to wait: for the lock, and on SQLite for each statement that meets another
    /// program's lock on the file.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lock_timeout)
    }
}

/// `seedbed migrate up`: the words of this command line before its first flag (flags may
/// carry a URL, hence a password, so none is shown).
fn command_words() -> String {
    let words: Vec<String> =
        std::env::args().skip(1).take_while(|a| !a.starts_with('-') && a.len() < 20).collect();
    format!("seedbed {}", words.join(" ")).trim_end().to_owned()
}

/// For commands that destroy data: what they need before they run off this machine or in
/// production. They never prompt, so a script or CI run cannot hang on a question.
#[derive(Debug, Args)]
pub struct GuardArgs {
    /// Go ahead against a database that is not on this machine (anything but SQLite, a Unix
    /// socket, localhost, 127.0.0.0/8 or ::1), or with --env production.
    #[arg(long)]
    pub confirm: bool,
    /// The environment the database belongs to; `production` always needs --confirm.
    #[arg(long, env = "SEEDBED_ENV", value_name = "NAME", default_value = "development")]
    pub env: String,
}

impl GuardArgs {
    /// Refuses `command` unless it is confirmed or harmless here.
    pub fn check(
        &self,
        target: &Target,
        command: &str,
        domains: &[&Domain],
    ) -> Result<(), super::UsageError> {
        if self.confirm {
            return Ok(());
        }
        let domain = domains.first().map_or("D", |d| d.name);
        let backup = format!("back up first with `seedbed backup --domain {domain} -o FILE` (per domain)");
        if self.env.eq_ignore_ascii_case("production") {
            return Err(super::UsageError(format!(
                "`seedbed {command}` destroys data and --env is production: {backup}, then add --confirm"
            )));
        }
        if !target.is_local() {
            return Err(super::UsageError(format!(
                "`seedbed {command}` destroys data on {}, which is not this machine: {backup}, then add --confirm",
                target.endpoint()
            )));
        }
        Ok(())
    }

    /// Refuses `command`, which writes but destroys nothing (`migrate up`, `migrate repair`),
    /// in production unless it is confirmed. Off this machine it needs nothing: deploying to a
    /// server is what `up` is for.
    pub fn check_production(&self, command: &str) -> Result<(), super::UsageError> {
        if self.confirm || !self.env.eq_ignore_ascii_case("production") {
            return Ok(());
        }
        Err(super::UsageError(format!(
            "`seedbed {command}` changes the database and --env (or SEEDBED_ENV) is production: check the plan with `seedbed {command} --dry-run` where it has one, then add --confirm"
        )))
    }
}

/// For commands that only read: they accept `--env` (and SEEDBED_ENV) like every other
/// command, so that one set of flags serves a whole deploy script; it changes nothing.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The environment the database belongs to; reading commands need no --confirm in any.
    #[arg(long, env = "SEEDBED_ENV", value_name = "NAME", default_value = "development")]
    pub env: String,
}

#[derive(Debug, Args)]
pub struct DomainArgs {
    /// Act on this domain only; repeat for several. Default: every domain.
    #[arg(long = "domain", value_name = "DOMAIN", value_parser = domain_names())]
    pub domains: Vec<String>,
}

pub(crate) fn domain_names() -> PossibleValuesParser {
    PossibleValuesParser::new(DOMAINS.iter().map(|d| d.name))
}

impl DomainArgs {
    /// The chosen domains in registry order, each once.
    pub fn selected(&self) -> anyhow::Result<Vec<&'static Domain>> {
        if self.domains.is_empty() {
            return Ok(DOMAINS.iter().collect());
        }
        for name in &self.domains {
            find(name).with_context(|| format!("unknown domain {name}"))?;
        }
        Ok(DOMAINS.iter().filter(|d| self.domains.iter().any(|n| n == d.name)).collect())
    }
}

/// How a reporting command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// One JSON document on stdout, for CI systems (shapes in docs/migrations.md); errors
    /// stay one line on stderr.
    Json,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Print lines for people (text) or one JSON document (json).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,
}

/// Prints `value` as the command's one JSON document.
pub fn print_json(value: &serde_json::Value) {
    say!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}
