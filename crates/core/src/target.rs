//! Parsing a database URL into a [`Target`], and naming each domain's namespace in it.
//!
//! A domain never shares a namespace with another: on PostgreSQL it gets a schema of the
//! URL's database, on MariaDB/MySQL a database of its own on the server, on SQLite a file of
//! its own in the URL's directory. The namespace is `{prefix}{domain}`; the prefix (empty by
//! default) keeps parallel test runs and several checkouts apart on one server.

use std::fmt;
use std::path::{Path, PathBuf};

use sea_orm::DbBackend;
use url::Url;

use crate::TargetError;

/// Where the embedded default keeps its SQLite files, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = ".seedbed";

/// One of the three database engines seedbed supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

    /// The short name used in test names and environment variables.
    pub fn key(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    /// The name a person would use for the engine in a sentence.
    pub fn product(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MariaDB/MySQL",
        }
    }

    pub fn db_backend(self) -> DbBackend {
        match self {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
            Backend::MySql => DbBackend::MySql,
        }
    }

    pub fn from_db_backend(backend: DbBackend) -> Self {
        match backend {
            DbBackend::Postgres => Backend::Postgres,
            DbBackend::MySql => Backend::MySql,
            _ => Backend::Sqlite,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.product())
    }
}

/// A parsed database URL plus a namespace prefix: everything needed to find, create and
/// connect to any domain's namespace. Its `Debug` and `Display` never show a password.
#[derive(Clone)]
pub struct Target {
    pub(crate) location: Location,
    pub(crate) prefix: String,
}

#[derive(Clone)]
pub(crate) enum Location {
    Sqlite { dir: PathBuf },
    Server { backend: Backend, url: Url },
}

impl Target {
    /// The embedded default: SQLite files under [`DEFAULT_DATA_DIR`].
    pub fn default_sqlite() -> Self {
        Self::sqlite_dir(DEFAULT_DATA_DIR)
    }

    /// SQLite files under `dir`, one per domain.
    pub fn sqlite_dir(dir: impl Into<PathBuf>) -> Self {
        Target { location: Location::Sqlite { dir: dir.into() }, prefix: String::new() }
    }

    /// Parses `sqlite://DIR`, `postgres://…` or `mysql://…` (`postgresql://` and `mariadb://`
    /// are accepted too).
    pub fn parse(input: &str) -> Result<Self, TargetError> {
        let input = input.trim();
        let Some((scheme, rest)) = input.split_once(':') else {
            return Err(TargetError::Malformed {
                redacted: redact_str(input),
                reason: "no scheme such as postgres:// before the address".into(),
            });
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => parse_sqlite(input, rest),
            "postgres" | "postgresql" => parse_server(input, Backend::Postgres),
            "mysql" | "mariadb" => parse_server(input, Backend::MySql),
            "" => Err(TargetError::Malformed { redacted: redact_str(input), reason: "empty scheme".into() }),
            other => Err(TargetError::UnsupportedScheme { scheme: other.to_owned() }),
        }
    }

    /// Puts `prefix` in front of every namespace name.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self, TargetError> {
        let valid = prefix.is_empty()
            || (prefix.len() <= 40
                && prefix.starts_with(|c: char| c.is_ascii_lowercase())
                && prefix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        if !valid {
            return Err(TargetError::Prefix { prefix: prefix.to_owned() });
        }
        self.prefix = prefix.to_owned();
        Ok(self)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn backend(&self) -> Backend {
        match &self.location {
            Location::Sqlite { .. } => Backend::Sqlite,
            Location::Server { backend, .. } => *backend,
        }
    }

    /// The namespace that holds `domain`: a schema, a database or a file stem.
    pub fn namespace(&self, domain: &str) -> String {
        format!("{}{}", self.prefix, domain)
    }

    /// The SQLite file that holds `domain`, on a SQLite target.
    pub fn sqlite_path(&self, domain: &str) -> Option<PathBuf> {
        match &self.location {
            Location::Sqlite { dir } => Some(dir.join(format!("{}.sqlite3", self.namespace(domain)))),
            Location::Server { .. } => None,
        }
    }

    /// The SQLite data directory, on a SQLite target.
    pub fn sqlite_dir_path(&self) -> Option<&Path> {
        match &self.location {
            Location::Sqlite { dir } => Some(dir),
            Location::Server { .. } => None,
        }
    }

    /// Where `domain` lives, in words, e.g. `PostgreSQL schema "raffle" of database "postgres" at 127.0.0.1:5432`.
    pub fn describe(&self, domain: &str) -> String {
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { .. } => {
                format!("SQLite file {}", self.sqlite_path(domain).unwrap_or_default().display())
            }
            Location::Server { backend: Backend::Postgres, url } => format!(
                "PostgreSQL schema \"{ns}\" of database \"{}\" at {}",
                self.server_database().unwrap_or_else(|| default_pg_database(url)),
                self.endpoint()
            ),
            Location::Server { backend, .. } => {
                format!("{} database \"{ns}\" at {}", backend.product(), self.endpoint())
            }
        }
    }

    /// `host:port` of a server target, or the data directory of a SQLite target.
    pub fn endpoint(&self) -> String {
        match &self.location {
            Location::Sqlite { dir } => dir.display().to_string(),
            Location::Server { backend, url } => {
                let port = url.port().unwrap_or(match backend {
                    Backend::Postgres => 5432,
                    _ => 3306,
                });
                format!("{}:{port}", url.host_str().unwrap_or("localhost"))
            }
        }
    }

    /// Whether the databases are on this machine: SQLite, a Unix socket, `localhost`,
    /// 127.0.0.0/8 or ::1. Destructive commands want `--confirm` anywhere else.
    pub fn is_local(&self) -> bool {
        let Location::Server { url, .. } = &self.location else { return true };
        // A socket given as a parameter: `?host=/run/postgresql`, `?socket=/run/mysqld/mysqld.sock`.
        if url.query_pairs().any(|(k, v)| (k == "host" && v.starts_with('/')) || k == "socket") {
            return true;
        }
        match url.host() {
            None => true,
            // Hosts of non-special schemes such as postgres:// come back as names, even IPs.
            Some(url::Host::Domain(d)) => match d.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
                Ok(ip) => ip.is_loopback(),
                Err(_) => {
                    d.eq_ignore_ascii_case("localhost")
                        || d.starts_with('/')
                        || d.to_ascii_lowercase().starts_with("%2f")
                }
            },
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        }
    }

    /// The user name given in a server URL, if any.
    pub fn user(&self) -> Option<String> {
        match &self.location {
            Location::Server { url, .. } if !url.username().is_empty() => Some(url.username().to_owned()),
            _ => None,
        }
    }

    /// The database named in a server URL's path, if any.
    pub fn server_database(&self) -> Option<String> {
        match &self.location {
            Location::Server { url, .. } => {
                let db = url.path().trim_start_matches('/');
                (!db.is_empty()).then(|| db.to_owned())
            }
            Location::Sqlite { .. } => None,
        }
    }

    /// The URL with any password replaced by `***`: safe to print and log.
    pub fn redacted(&self) -> String {
        match &self.location {
            Location::Sqlite { dir } => format!("sqlite://{}", dir.display()),
            Location::Server { url, .. } => {
                let mut url = url.clone();
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                redact_str(url.as_str())
            }
        }
    }

    /// The password of a server URL as typed (percent escapes decoded), wherever the URL
    /// gave it: the user part or `?password=` (which [`Target::parse`] moves there).
    pub fn password(&self) -> Option<String> {
        let url = self.server_url()?;
        url.password().map(percent_decode)
    }

    /// A URL that connects straight into `domain`'s namespace (password included: for
    /// handing to a client, never for printing).
    pub fn url_for(&self, domain: &str) -> String {
        let ns = self.namespace(domain);
        match &self.location {
            Location::Sqlite { .. } => {
                format!("sqlite://{}", self.sqlite_path(domain).unwrap_or_default().display())
            }
            Location::Server { backend: Backend::Postgres, url } => {
                let mut url = url.clone();
                url.query_pairs_mut().append_pair("options", &format!("-c search_path={ns}"));
                url.to_string()
            }
            Location::Server { url, .. } => {
                let mut url = url.clone();
                url.set_path(&ns);
                url.to_string()
            }
        }
    }

    /// The same server with another database in the URL (PostgreSQL: where the schemas live).
    pub fn with_database(&self, database: &str) -> Target {
        let mut target = self.clone();
        if let Location::Server { url, .. } = &mut target.location {
            url.set_path(database);
        }
        target
    }

    /// The server URL with the password intact: for drivers, never for printing.
    pub fn server_url(&self) -> Option<&Url> {
        match &self.location {
            Location::Server { url, .. } => Some(url),
            Location::Sqlite { .. } => None,
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target").field("url", &self.redacted()).field("prefix", &self.prefix).finish()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn default_pg_database(url: &Url) -> String {
    // libpq and sqlx fall back to a database named after the user.
    if url.username().is_empty() { "postgres".to_owned() } else { url.username().to_owned() }
}

fn parse_sqlite(input: &str, rest: &str) -> Result<Target, TargetError> {
    let path = rest.strip_prefix("//").unwrap_or(rest);
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return Err(TargetError::Malformed {
            redacted: redact_str(input),
            reason: "no directory after sqlite://".into(),
        });
    }
    if path == ":memory:" || rest.contains("mode=memory") {
        return Err(TargetError::SqliteMemory);
    }
    let is_file = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "db" | "sqlite" | "sqlite3" | "db3"));
    if is_file {
        return Err(TargetError::SqliteFile { url: redact_str(input) });
    }
    Ok(Target::sqlite_dir(path))
}

fn parse_server(input: &str, backend: Backend) -> Result<Target, TargetError> {
    let mut url = Url::parse(input)
        .map_err(|e| TargetError::Malformed { redacted: redact_str(input), reason: e.to_string() })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::Malformed { redacted: redact_str(input), reason: "no host name".into() });
    }
    let db = url.path().trim_start_matches('/');
    if db.contains('/') {
        return Err(TargetError::Malformed {
            redacted: redact_str(input),
            reason: "the path may name one database at most".into(),
        });
    }
    // sqlx only knows the `postgres` and `mysql` schemes.
    let canonical = match backend {
        Backend::Postgres => "postgres",
        _ => "mysql",
    };
    if url.scheme() != canonical {
        let rewritten = format!("{canonical}{}", &input[url.scheme().len()..]);
        url = Url::parse(&rewritten)
            .map_err(|e| TargetError::Malformed { redacted: redact_str(input), reason: e.to_string() })?;
    }
    move_query_password(&mut url, input)?;
    Ok(Target { location: Location::Server { backend, url }, prefix: String::new() })
}

/// Moves `?password=…` into the URL's user part, where every consumer looks for it: the
/// drivers, and the engines' own tools (which get it through an environment variable).
/// Dropping it silently would turn into a failed login far from the cause.
fn move_query_password(url: &mut Url, input: &str) -> Result<(), TargetError> {
    let (passwords, rest): (Vec<_>, Vec<_>) =
        url.query_pairs().into_owned().partition(|(k, _)| k.eq_ignore_ascii_case("password"));
    let Some((_, given)) = passwords.first() else { return Ok(()) };
    let malformed =
        |reason: &str| TargetError::Malformed { redacted: redact_str(input), reason: reason.into() };
    if passwords.iter().any(|(_, p)| p != given) {
        return Err(malformed("`?password=` is given twice with different values: keep one"));
    }
    if url.password().is_some_and(|inline| percent_decode(inline) != *given) {
        return Err(malformed(
            "the password is given both before the @ and as `?password=`, and they differ: keep one",
        ));
    }
    // `set_password` escapes what the user part cannot hold, except `%` itself.
    url.set_password(Some(&given.replace('%', "%25")))
        .map_err(|()| malformed("`?password=` needs a URL with a host"))?;
    if rest.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(rest);
    }
    Ok(())
}

/// A URL's user or password as typed: percent escapes decoded, `+` kept.
pub(crate) fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// Query parameters whose values are secrets, in any letter case.
const SECRET_PARAMS: [&str; 6] = ["password", "pass", "passwd", "pwd", "sslpassword", "secret"];

/// Hides the password of anything URL-shaped, even a URL that does not parse: an unescaped
/// `#`, `/`, `?`, `:` or `@` in a password moves the boundaries a parser would see, so
/// everything from the first `:` after the user name to the *last* `@` is masked (more than
/// the password, at worst), and so is the value of every `password=`-like parameter.
pub fn redact_str(input: &str) -> String {
    let masked = mask_userinfo(input);
    mask_params(&masked)
}

fn mask_userinfo(input: &str) -> String {
    // `scheme://user:pw@host` or the slash-less `scheme:user:pw@host`.
    let Some(colon) = input.find(':') else { return input.to_owned() };
    let scheme = &input[..colon];
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return input.to_owned();
    }
    let start = colon + 1 + input[colon + 1..].len() - input[colon + 1..].trim_start_matches('/').len();
    let Some(at) = input[start..].rfind('@').map(|i| start + i) else { return input.to_owned() };
    match input[start..at].find(':') {
        Some(c) => format!("{}:***{}", &input[..start + c], &input[at..]),
        None => input.to_owned(),
    }
}

fn mask_params(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find(['?', '&', ';']) {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let key_end = rest.find('=').unwrap_or(rest.len());
        let key = &rest[..key_end];
        let secret = key_end < rest.len() && SECRET_PARAMS.iter().any(|p| key.eq_ignore_ascii_case(p));
        if secret {
            let value_end = rest.find(['&', '#', ';', ' ']).filter(|&e| e > key_end).unwrap_or(rest.len());
            out.push_str(key);
            out.push_str("=***");
            rest = &rest[value_end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, &str>) {
        let got = Target::parse(input).map(|t| format!("{} {}", t.backend().key(), t.redacted()));
        match (got, expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "parsing {input}"),
            (Err(err), Err(want)) => {
                let msg = err.to_string();
                assert!(msg.contains(want), "parsing {input}: error {msg:?} lacks {want:?}");
                assert!(!msg.contains("s3cret"), "parsing {input}: error shows the password: {msg}");
            }
            (got, want) => panic!("parsing {input}: got {got:?}, expected {want:?}"),
        }
    }

    fn check_local(input: &str, local: bool) {
        assert_eq!(Target::parse(input).unwrap().is_local(), local, "{input}");
    }

    #[test]
    fn knows_which_databases_are_on_this_machine() {
        check_local("sqlite://.seedbed", true);
        check_local("postgres://postgres@127.0.0.1:5432/postgres", true);
        check_local("postgres://postgres@127.8.9.10/postgres", true);
        check_local("postgres://postgres@localhost/postgres", true);
        check_local("postgres://postgres@LOCALHOST/postgres", true);
        check_local("postgres://postgres@[::1]:5432/postgres", true);
        check_local("postgres://postgres@%2Frun%2Fpostgresql/postgres", true);
        check_local("postgres://postgres@db/postgres?host=/run/postgresql", true);
        check_local("mysql://root@127.0.0.1:3306", true);
        check_local("mysql://root@db?socket=/run/mysqld/mysqld.sock", true);
        check_local("postgres://postgres@db.example.com/postgres", false);
        check_local("postgres://postgres@10.0.0.5/postgres", false);
        check_local("postgres://postgres@[2001:db8::1]/postgres", false);
        check_local("mysql://root@128.0.0.1:3306", false);
        check_local("mysql://root@localhost.example.com", false);
    }

    #[test]
    fn parses_each_supported_scheme() {
        check("sqlite://.seedbed", Ok("sqlite sqlite://.seedbed"));
        check("sqlite:data/dir", Ok("sqlite sqlite://data/dir"));
        check("sqlite:///abs/dir", Ok("sqlite sqlite:///abs/dir"));
        check("postgres://u:s3cret@db:5433/app", Ok("postgres postgres://u:***@db:5433/app"));
        check("postgresql://u@db/app", Ok("postgres postgres://u@db/app"));
        check("mysql://root@127.0.0.1:3306", Ok("mysql mysql://root@127.0.0.1:3306"));
        check("mariadb://root:s3cret@127.0.0.1", Ok("mysql mysql://root:***@127.0.0.1"));
    }

    #[test]
    fn rejects_bad_urls_without_echoing_the_password() {
        check("redis://u:s3cret@host", Err("unsupported database URL scheme `redis`"));
        check("postgres://u:s3cret@", Err("malformed database URL `postgres://u:***@`"));
        check("postgres://u:s3cret@host:notaport/db", Err("malformed database URL"));
        check("no-scheme-at-all", Err("malformed database URL"));
        check("mysql://u:s3cret@host/a/b", Err("one database at most"));
        check("sqlite://app.db", Err("names a file"));
        check("sqlite::memory:", Err("in-memory SQLite"));
        check("sqlite://", Err("no directory"));
    }

    /// `input` comes out of [`redact_str`] as `expected`, which never holds `s3cret`.
    fn check_redacted(input: &str, expected: &str) {
        assert_eq!(redact_str(input), expected, "redacting {input}");
        assert!(!expected.contains("s3cret"), "the expectation itself shows the password: {expected}");
    }

    #[test]
    fn masks_the_password_of_anything_url_shaped() {
        check_redacted("postgres://u:s3cret@h/db", "postgres://u:***@h/db");
        check_redacted("postgres://u:ab#s3cret@h/db", "postgres://u:***@h/db");
        check_redacted("postgres://u:ab/s3cret@h/db", "postgres://u:***@h/db");
        check_redacted("postgres://u:ab?s3cret@h/db", "postgres://u:***@h/db");
        check_redacted("postgres://u:ab@s3cret@h/db", "postgres://u:***@h/db");
        check_redacted("postgres://postgres:postgres:s3cret@h/db", "postgres://postgres:***@h/db");
        check_redacted("postgres:u:s3cret@h/db", "postgres:u:***@h/db");
        check_redacted("postgres://u@h/db?password=s3cret", "postgres://u@h/db?password=***");
        check_redacted(
            "mysql://u@h/db?ssl-mode=off&PWD=s3cret&x=1",
            "mysql://u@h/db?ssl-mode=off&PWD=***&x=1",
        );
        check_redacted("mysql://u@h/db?password=s3cret#frag", "mysql://u@h/db?password=***#frag");
        check_redacted("postgres://u@h/db", "postgres://u@h/db");
        check_redacted("sqlite://.seedbed", "sqlite://.seedbed");
        check_redacted("no url here", "no url here");
    }

    #[test]
    fn takes_a_password_given_as_a_parameter() {
        let password = |input: &str| Target::parse(input).unwrap().password();
        assert_eq!(password("postgres://u@h/db?password=s3cret"), Some("s3cret".into()));
        // A query string is form-encoded, as sqlx reads it: `+` is a space there, `%2B` a plus.
        assert_eq!(
            password("postgres://u@h/db?password=a%2Fb%25c+d%2B&sslmode=disable"),
            Some("a/b%c d+".into())
        );
        assert_eq!(password("mysql://u:s3cret@h?password=s3cret"), Some("s3cret".into()));
        assert_eq!(password("mysql://u:p%40ss@h"), Some("p@ss".into()));
        assert_eq!(password("mysql://u@h"), None);
        let t = Target::parse("postgres://u@h/db?password=s3cret&sslmode=disable").unwrap();
        assert_eq!(
            t.server_url().unwrap().query(),
            Some("sslmode=disable"),
            "the parameter is moved, not copied"
        );
        assert_eq!(t.redacted(), "postgres://u:***@h/db?sslmode=disable");
        check("postgres://u:other@h/db?password=s3cret", Err("they differ"));
        check("postgres://u@h/db?password=s3cret&password=x", Err("different values"));
    }

    #[test]
    fn names_namespaces_with_the_prefix() {
        let t = Target::parse("postgres://u@h/db").unwrap().with_prefix("ci_7_").unwrap();
        assert_eq!(t.namespace("raffle"), "ci_7_raffle");
        assert_eq!(t.describe("raffle"), "PostgreSQL schema \"ci_7_raffle\" of database \"db\" at h:5432");
        let t = Target::sqlite_dir("d").with_prefix("x_").unwrap();
        assert_eq!(t.sqlite_path("draw").unwrap(), Path::new("d/x_draw.sqlite3"));
        for bad in ["Upper", "1digit", "has-dash", "a b"] {
            assert!(Target::sqlite_dir("d").with_prefix(bad).is_err(), "{bad} accepted");
        }
    }
}
