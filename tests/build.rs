//! Finds each domain's own test file, `domains/<name>.rs`, and writes the module lines and
//! the dispatch that the registry-driven tests (integrity, constraints) call with a domain's
//! name: adding a domain's test file is its whole registration here.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: a build directory copied from
    // another checkout (a worktree's warm target/) must not include that checkout's files.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("domains");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/domains/")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".rs")?;
            stem.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                .then(|| stem.to_owned())
        })
        .collect();
    names.sort();

    let mut out = String::new();
    for name in &names {
        let path = dir.join(format!("{name}.rs"));
        writeln!(out, "#[path = {:?}]\nmod {name};", path.display().to_string()).unwrap();
    }
    let arms = |call: &str| -> String {
        names.iter().map(|n| format!("            {n:?} => Some(crate::{n}::{call}),\n")).collect()
    };
    write!(
        out,
        r#"
/// The domains that have a test file, and what each one's file holds.
pub mod domain_cases {{
    /// The names of the files in `tests/domains/`.
    pub const NAMES: &[&str] = &{names:?};

    /// The domain's corruptions, one per rule, in order; `None` when it has no test file.
    pub fn corruptions(domain: &str, backend: sea_orm::DbBackend) -> Option<Vec<crate::integrity::Corruption>> {{
        match domain {{
{corruptions}            _ => None,
        }}
    }}

    /// The domain's fixed digest of tiny data, seed 7; `None` when it has no test file.
    pub fn tiny_seed_7_digest(domain: &str) -> Option<&'static str> {{
        match domain {{
{digests}            _ => None,
        }}
    }}

    /// The writes the domain's constraints must refuse; `None` when it has no test file.
    pub async fn rejected_writes(
        domain: &str,
        db: &sea_orm::DatabaseConnection,
    ) -> Option<Vec<crate::constraints::Case>> {{
        match domain {{
{rejected}            _ => None,
        }}
    }}
}}
"#,
        corruptions = arms("corruptions(backend)"),
        rejected = arms("rejected_writes(db).await"),
        digests = arms("TINY_SEED_7_DIGEST"),
    )
    .unwrap();
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("domains.rs"), out).unwrap();
}
